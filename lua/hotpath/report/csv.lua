-- CSV exports (RFC 4180: comma-separated, a header line, fields with a comma, a quote or a line
-- break quoted, quotes doubled). The numbers are written exactly as the JSON export writes
-- them (report/json.lua: integers as such, others as the shortest text that reads back as the
-- same double), so a CSV and a JSON of the same run carry the same figures, digit for digit.
local ipairs, pairs, type, concat, sort, tostring = ipairs, pairs, type, table.concat, table.sort, tostring
local json = require "hotpath.report.json"

local M = {}

local function field(v)
  if v == nil then return "" end
  if type(v) == "number" then return json.encode(v) == "null" and "" or json.encode(v) end
  if type(v) == "boolean" then return tostring(v) end
  local s = tostring(v)
  if s:find('[,"\r\n]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end
M.field = field

local function line(cells)
  local out = {}
  for i = 1, cells.n or #cells do out[i] = field(cells[i]) end
  return concat(out, ",")
end

-- "k=v;k2=v2" with sorted keys (scalar parameters only).
function M.params_text(p)
  local keys = {}
  for k, v in pairs(p or {}) do
    if type(v) ~= "table" then keys[#keys + 1] = k end
  end
  sort(keys)
  local parts = {}
  for i, k in ipairs(keys) do parts[i] = k .. "=" .. tostring(p[k]) end
  return concat(parts, ";")
end

local function status(sc)
  if sc.skipped then return "skipped" end
  return sc.ok and "ok" or "failed"
end

M.RUN_HEADER = {
  "id", "suite", "scenario", "params", "status", "runs",
  "best_s", "median_s", "min_s", "max_s", "mad_s", "spread_pct",
  "wall_median_s", "cpu_median_s", "peak_rss_median_kb", "peak_rss_min_kb", "peak_rss_max_kb",
}

local function rows_of(header, rows)
  local out = { line(header) }
  for _, r in ipairs(rows) do
    local cells = { n = #header }
    for i, h in ipairs(header) do cells[i] = r[h] end
    out[#out + 1] = line(cells)
  end
  return concat(out, "\n") .. "\n"
end

-- The metric names of a document's scenarios, sorted.
local function metric_keys(doc)
  local set, keys = {}, {}
  for _, sc in ipairs(doc.scenarios or {}) do
    for k in pairs(sc.summary and sc.summary.metrics or {}) do
      if not set[k] then set[k] = true; keys[#keys + 1] = k end
    end
  end
  sort(keys)
  return keys
end

-- One row per scenario of a run document (report/json.lua's M.document): its summary
-- figures, and the median of each metric as metric_<name>.
function M.run(doc)
  local header = {}
  for i, h in ipairs(M.RUN_HEADER) do header[i] = h end
  local mkeys = metric_keys(doc)
  for _, k in ipairs(mkeys) do header[#header + 1] = "metric_" .. k end
  local rows = {}
  for _, sc in ipairs(doc.scenarios or {}) do
    local s = sc.summary or {}
    local t, rss = s.run_s or {}, s.maxrss_kb or {}
    local row = {
      id = sc.id, suite = sc.suite, scenario = sc.name, params = M.params_text(sc.params), status = status(sc),
      runs = t.n, best_s = t.best, median_s = t.median, min_s = t.min, max_s = t.max, mad_s = t.mad,
      spread_pct = t.spread_pct, wall_median_s = s.wall and s.wall.median, cpu_median_s = s.cpu and s.cpu.median,
      peak_rss_median_kb = rss.median, peak_rss_min_kb = rss.min, peak_rss_max_kb = rss.max,
    }
    for _, k in ipairs(mkeys) do
      local m = s.metrics and s.metrics[k]
      row["metric_" .. k] = m and m.median
    end
    rows[#rows + 1] = row
  end
  return rows_of(header, rows)
end

M.COMPARE_HEADER = {
  "id", "measure", "unit", "old_median", "new_median", "runs_old", "runs_new", "ratio",
  "ci_low", "ci_high", "change_pct", "ci_low_pct", "ci_high_pct", "verdict", "regression",
}

-- One row per scenario and measure of a comparison (gate.compare).
function M.compare(cmp)
  local rows = {}
  for _, r in ipairs(cmp.rows) do
    rows[#rows + 1] = {
      id = r.id, measure = r.measure, unit = r.unit, old_median = r.old, new_median = r.new,
      runs_old = r.runs_old, runs_new = r.runs_new, ratio = r.ratio, ci_low = r.lo, ci_high = r.hi,
      change_pct = r.change_pct, ci_low_pct = r.lo_pct, ci_high_pct = r.hi_pct, verdict = r.verdict,
      regression = r.regression,
    }
  end
  return rows_of(M.COMPARE_HEADER, rows)
end

-- Parses CSV text (as written here) into a list of rows of strings; the first is the header.
function M.parse(text)
  local rows, row, cur, i, n = {}, {}, {}, 1, #text
  local quoted = false
  while i <= n do
    local c = text:sub(i, i)
    if quoted then
      if c == '"' then
        if text:sub(i + 1, i + 1) == '"' then cur[#cur + 1] = '"'; i = i + 1 else quoted = false end
      else
        cur[#cur + 1] = c
      end
    elseif c == '"' then quoted = true
    elseif c == "," then row[#row + 1] = concat(cur); cur = {}
    elseif c == "\n" then
      row[#row + 1] = concat(cur); cur = {}
      rows[#rows + 1] = row; row = {}
    elseif c ~= "\r" then cur[#cur + 1] = c end
    i = i + 1
  end
  if #cur > 0 or #row > 0 then row[#row + 1] = concat(cur); rows[#rows + 1] = row end
  return rows
end

return M
