-- The readable table: one block per suite, a row per scenario (best, median +- spread of the
-- run time, process wall, CPU and peak RSS), then one line per reference figure with our
-- ratio to it. Ratios are ours / theirs: below 1.00 we are faster (or smaller).
local format, rep, concat, ipairs, pairs, sort = string.format, string.rep, table.concat, ipairs, pairs, table.sort
local floor, log = math.floor, math.log
local LN10 = log(10)

local M = {}

function M.seconds(s)
  if not s then return "-" end
  if s >= 100 then return format("%.0f s", s) end
  if s >= 1 then return format("%.2f s", s) end
  if s >= 1e-3 then return format("%.1f ms", s * 1e3) end
  return format("%.1f us", s * 1e6)
end

-- A ratio as text: two decimals ("0.54x", "3.31x"), or two significant digits below 0.1, so
-- that a 300-times gap reads "0.0033x" rather than "0.00x".
function M.ratio(r)
  if not (r > 0 and r < 0.1) then return format("%.2fx", r) end
  local digits = 1 - floor(log(r) / LN10)
  if digits > 9 then digits = 9 end
  return format("%." .. digits .. "fx", r)
end

function M.mb(kb)
  if not kb then return "-" end
  return format("%.1f MB", kb / 1024)
end

local function pad(s, w) return s .. rep(" ", w - #s) end

-- A column of a reference line: padded to w, or, when it is wider than w, followed by one
-- more space so that it never runs into the next column with a single space.
local function field(s, w) return #s <= w and pad(s, w) or s .. " " end

local function params_text(p)
  local keys = {}
  for k in pairs(p or {}) do keys[#keys + 1] = k end
  sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = p[k]
    if type(v) == "number" or type(v) == "string" or type(v) == "boolean" then
      local s = tostring(v)
      if #s > 20 then s = s:sub(1, 17) .. "..." end
      parts[#parts + 1] = k .. "=" .. s
    end
  end
  return concat(parts, " ")
end

local function metric_text(k, v)
  if k:match("_ms$") then return format("%s %.3f", k, v) end
  if v >= 1000 then return format("%s %.0f", k, v) end
  return format("%s %.4g", k, v)
end

local COLS = { 34, 11, 20, 10, 10, 10, 10 }
local HEAD = { "scenario", "best", "median +- spread", "wall", "cpu", "peak RSS", "RSS@run" }

local function row(cells)
  local out = {}
  for i, c in ipairs(cells) do out[i] = pad(c, COLS[i]) end
  return (concat(out, " "):gsub("%s+$", ""))
end

-- Lines for one scenario result.
function M.scenario_lines(r)
  local lines = {}
  local name = r.name
  local pt = params_text(r.params)
  if pt ~= "" then name = name .. " (" .. pt .. ")" end
  if #name > COLS[1] then
    lines[#lines + 1] = name
    name = ""
  end
  local s = r.summary or {}
  local t = s.run_s or {}
  if r.skipped then
    lines[#lines + 1] = row { name, "skipped" }
    lines[#lines + 1] = "    " .. r.skipped
    return lines
  end
  if not r.ok then
    lines[#lines + 1] = row { name, "FAILED" }
    for l in tostring(r.error):gmatch("[^\n]+") do lines[#lines + 1] = "    " .. l end
    return lines
  end
  local med = t.median and format("%s +- %.1f%%", M.seconds(t.median), t.spread_pct) or "-"
  lines[#lines + 1] = row {
    name, M.seconds(t.best), med, M.seconds(s.wall and s.wall.median), M.seconds(s.cpu and s.cpu.median),
    M.mb(s.maxrss_kb and s.maxrss_kb.median), M.mb(s.rss_before_kb and s.rss_before_kb.median),
  }
  if t.outliers and #t.outliers > 0 then
    lines[#lines + 1] = format("    %d outlying run(s): more than 3 scaled MADs and 5 %% from the median", #t.outliers)
  end
  if not r.verified then
    local d = r.output
    -- 16 hex digits tell outputs apart on a terminal; the JSON has the whole digest
    local what = d and (d.same and format("output %s (%d bytes)", d.digest:match("^[^:]*:" .. ("%x"):rep(16)) or d.digest, d.bytes or 0)
      or "output differs between runs") or "output"
    lines[#lines + 1] = "    " .. what .. " not verified (the scenario has no verify)"
  end
  if r.vs_baseline then
    local b = r.vs_baseline
    lines[#lines + 1] = format("    vs %s: %s +- %.1f%% (median ratio of interleaved pairs of runs)", b.name, M.ratio(b.ratio), b.spread_pct)
  end
  local keys = {}
  for k in pairs(s.metrics or {}) do keys[#keys + 1] = k end
  sort(keys)
  if #keys > 0 then
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = metric_text(k, s.metrics[k].median) end
    lines[#lines + 1] = "    " .. concat(parts, ", ")
  end
  -- published figures are for the full sizes: comparing a quick run with them would mislead
  for _, ref in ipairs(r.mode == "full" and r.reference or {}) do
    local theirs, ratios = {}, {}
    if ref.ms then
      theirs[#theirs + 1] = M.seconds(ref.ms / 1e3)
      if t.best then ratios[#ratios + 1] = "time " .. M.ratio(t.best * 1e3 / ref.ms) end
    end
    if ref.mb then
      theirs[#theirs + 1] = format("%.1f MB", ref.mb)
      if s.maxrss_kb and s.maxrss_kb.median then
        ratios[#ratios + 1] = "memory " .. M.ratio(s.maxrss_kb.median / 1024 / ref.mb)
      end
    end
    for _, k in ipairs(keys) do
      if type(ref[k]) == "number" and ref[k] ~= 0 then
        theirs[#theirs + 1] = metric_text(k, ref[k])
        ratios[#ratios + 1] = k .. " " .. M.ratio(s.metrics[k].median / ref[k])
      end
    end
    lines[#lines + 1] = "    vs " .. field(ref.name, 28) .. " " .. field(concat(theirs, ", "), 26) .. " " ..
      concat(ratios, "  ")
  end
  if r.note then
    for l in r.note:gmatch("[^\n]+") do lines[#lines + 1] = "    note: " .. l end
  end
  return lines
end

-- The whole table as a string.
function M.render(run, info, options)
  local out = {}
  local function add(l) out[#out + 1] = l end
  add(format("hotpath %s on %s (%d cores), %s, %s", info.hotpath, info.cpu_model, info.cores, info.runtime, info.kernel))
  add(format("%d counted run(s) after %d warm-up, each in a fresh process%s", options.runs, options.warmup,
    options.quick and "; quick sizes (reference figures are for the full sizes and are not compared)" or ""))
  local suite
  for _, r in ipairs(run.results) do
    if r.suite ~= suite then
      suite = r.suite
      add("")
      add("[" .. suite .. "]")
      add(row(HEAD))
    end
    for _, l in ipairs(M.scenario_lines(r)) do add(l) end
  end
  for _, e in ipairs(run.errors) do
    add("")
    add("FAILED to load " .. e.file .. ":")
    add("    " .. tostring(e.error))
  end
  local warnings = run.noise and run.noise.warnings or {}
  if #warnings > 0 then add("") end
  for _, w in ipairs(warnings) do add("warning: " .. w.message) end
  add("")
  add("best and median: time of run() (for commands, the process wall); wall, cpu: the whole child")
  add("process (wait4); peak RSS: its peak from the start of run() (reset after setup); RSS@run: its")
  add("RSS before run(). Ratios are ours / theirs.")
  local failed = 0
  for _, r in ipairs(run.results) do if not r.ok then failed = failed + 1 end end
  failed = failed + #run.errors
  local skipped = 0
  for _, r in ipairs(run.results) do if r.skipped then skipped = skipped + 1 end end
  add(format("%d scenario(s), %d failed%s", #run.results, failed, skipped > 0 and format(", %d skipped", skipped) or ""))
  return concat(out, "\n")
end

local function pct(p) return p and format("%+.1f%%", p) or "-" end

local function measure_value(unit, v)
  if v == nil then return "-" end
  if unit == "s" then return M.seconds(v) end
  if unit == "kB" then return M.mb(v) end
  if unit == "req/s" then return format("%.0f req/s", v) end
  return format("%.3g ms", v)
end

-- A comparison (gate.compare) as text: one line per scenario and measure with the change and
-- its 95 % interval, then the scenarios only on one side, the warnings and the verdict.
function M.compare(cmp, title)
  local out = { title or "Compared with the baseline (change of the median, 95 % bootstrap interval)" }
  local w = 8
  for _, r in ipairs(cmp.rows) do if #r.id > w then w = #r.id end end
  if w > 40 then w = 40 end
  for _, r in ipairs(cmp.rows) do
    local ci = r.lo_pct and format("[%s, %s]", pct(r.lo_pct), pct(r.hi_pct)) or "[no interval]"
    out[#out + 1] = format("  %s %-6s %10s -> %-10s %7s %-18s %s%s", pad(r.id, w), r.measure,
      measure_value(r.unit, r.old), measure_value(r.unit, r.new), pct(r.change_pct), ci, r.verdict,
      r.regression and "  <-- REGRESSION" or "")
  end
  for _, id in ipairs(cmp.added or {}) do out[#out + 1] = "  " .. id .. ": new (not in the baseline)" end
  for _, id in ipairs(cmp.missing or {}) do out[#out + 1] = "  " .. id .. ": in the baseline, not in this run" end
  for _, wm in ipairs(cmp.warnings or {}) do out[#out + 1] = "warning: " .. wm end
  out[#out + 1] = format("%d regression(s) beyond %.1f %% with significance", cmp.regressions, cmp.threshold * 100)
  return concat(out, "\n")
end

-- The parameter scans (scan.collect): per scan its points and the fitted growth.
function M.scans(scans)
  local out = { "Parameter scans (fit of the median time and peak RSS against the parameter)" }
  for _, sc in ipairs(scans) do
    local pts = {}
    for _, p in ipairs(sc.points) do
      pts[#pts + 1] = format("%s=%s: %s, %s", sc.key, tostring(p.x), M.seconds(p.time_s), M.mb(p.peak_kb))
    end
    out[#out + 1] = "  " .. sc.id .. "  " .. concat(pts, "; ")
    local function fit(what, f)
      if not f then return end
      out[#out + 1] = format("    %s grows as %s^%.2f, nearest class %s", what, sc.key, f.exponent, f.class)
    end
    fit("time", sc.time_fit)
    fit("memory", sc.memory_fit)
  end
  return concat(out, "\n")
end

return M
