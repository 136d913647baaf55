-- Markdown exports: GitHub-flavoured tables ready to paste into a README or a pull request.
-- Times in milliseconds with 3 decimals, memory in MB (1024 kB) with 2, changes in percent
-- with 1: the figures of the JSON export, rounded to what a reader compares.
local ipairs, type, format, concat, tostring = ipairs, type, string.format, table.concat, tostring
local csv = require "hotpath.report.csv"

local M = {}

local function cell(s)
  s = tostring(s or "-"):gsub("|", "\\|"):gsub("\n", " ")
  return s
end

local function tbl(head, rows, align)
  local out = { "| " .. concat(head, " | ") .. " |" }
  local sep = {}
  for i = 1, #head do sep[i] = align and align[i] == "r" and "---:" or "---" end
  out[#out + 1] = "| " .. concat(sep, " | ") .. " |"
  for _, r in ipairs(rows) do
    local c = {}
    for i = 1, #head do c[i] = cell(r[i]) end
    out[#out + 1] = "| " .. concat(c, " | ") .. " |"
  end
  return concat(out, "\n")
end
M.table = tbl

function M.ms(s) return s and format("%.3f", s * 1e3) or "-" end
function M.mb(kb) return kb and format("%.2f", kb / 1024) or "-" end
function M.pct(p) return p and format("%+.1f%%", p) or "-" end

local function status(sc)
  if sc.skipped then return "skipped: " .. sc.skipped end
  return sc.ok and "ok" or "FAILED"
end

-- The scenarios of a run document as a table: one row per scenario.
function M.run(doc)
  local rows = {}
  for _, sc in ipairs(doc.scenarios or {}) do
    local s = sc.summary or {}
    local t = s.run_s or {}
    rows[#rows + 1] = {
      sc.suite, sc.name, csv.params_text(sc.params):gsub(";", " "), status(sc), t.n or 0,
      M.ms(t.best), M.ms(t.median), t.spread_pct and format("%.1f%%", t.spread_pct) or "-",
      M.mb(s.maxrss_kb and s.maxrss_kb.median),
    }
  end
  local m = doc.machine or {}
  local out = {
    format("hotpath %s on %s (%s cores), %s", tostring(doc.hotpath), tostring(m.cpu_model), tostring(m.cores), tostring(m.runtime)),
    "",
    tbl({ "suite", "scenario", "params", "status", "runs", "best (ms)", "median (ms)", "spread", "peak RSS (MB)" },
      rows, { nil, nil, nil, nil, "r", "r", "r", "r", "r" }),
  }
  if doc.scans and #doc.scans > 0 then
    out[#out + 1] = ""
    out[#out + 1] = M.scans(doc.scans)
  end
  return concat(out, "\n") .. "\n"
end

local function fit_text(f)
  if not f then return "-", "-" end
  return format("%.2f", f.exponent), f.class
end

-- The parameter scans: the fitted growth of time and memory.
function M.scans(scans)
  local rows = {}
  for _, sc in ipairs(scans) do
    local te, tc = fit_text(sc.time_fit)
    local me, mc = fit_text(sc.memory_fit)
    local xs = {}
    for i, p in ipairs(sc.points) do xs[i] = tostring(p.x) end
    rows[#rows + 1] = { sc.id, sc.key .. " = " .. concat(xs, ", "), te, tc, me, mc }
  end
  return tbl({ "scan", "values", "time exponent", "time class", "memory exponent", "memory class" },
    rows, { nil, nil, "r", nil, "r", nil })
end

local function value(r, v)
  if v == nil then return "-" end
  if r.unit == "s" then return M.ms(v) .. " ms" end
  if r.unit == "kB" then return M.mb(v) .. " MB" end
  if r.unit == "req/s" then return format("%.0f", v) end
  return format("%.3f ms", v)
end

-- A comparison (gate.compare) as a table.
function M.compare(cmp)
  local rows = {}
  for _, r in ipairs(cmp.rows) do
    rows[#rows + 1] = {
      r.id, r.measure, value(r, r.old), value(r, r.new), M.pct(r.change_pct),
      r.lo_pct and format("%s .. %s", M.pct(r.lo_pct), M.pct(r.hi_pct)) or "-",
      r.regression and ("**" .. r.verdict .. "**") or r.verdict,
    }
  end
  local out = {
    tbl({ "scenario", "measure", "old", "new", "change", "95% CI", "verdict" }, rows,
      { nil, nil, "r", "r", "r", "r", nil }),
    "",
    format("threshold %.1f%%; %d regression(s)", cmp.threshold * 100, cmp.regressions),
  }
  for _, w in ipairs(cmp.warnings or {}) do out[#out + 1] = "\n> warning: " .. w end
  return concat(out, "\n") .. "\n"
end

-- Parses the first Markdown table of text: returns the header cells and the rows (cells as
-- strings, "\|" unescaped).
function M.parse(text)
  local head, rows
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do
    if l:match("^|") then
      local cells = {}
      local body = l:gsub("\\|", "\0"):match("^|(.*)|%s*$")
      for c in (body .. "|"):gmatch("([^|]*)|") do
        cells[#cells + 1] = (c:gsub("%z", "|"):match("^%s*(.-)%s*$"))
      end
      if not head then head, rows = cells, {}
      elseif not cells[1]:match("^%-%-%-") and not cells[1]:match("^:?%-+:?$") then rows[#rows + 1] = cells end
    elseif head then
      break
    end
  end
  return head, rows
end

return M
