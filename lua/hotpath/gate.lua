-- The regression gate: compares two result documents (the JSON export's shape, see
-- report/json.lua) scenario by scenario, with a bootstrap confidence interval of the change,
-- and says which scenario got significantly slower (or larger) beyond a threshold.
--
-- For each scenario present in both documents and each measure (time: run_s of the counted
-- runs; memory: peak RSS; for load scenarios the rps and p99_ms metrics), the change is the
-- ratio of the medians new / old. Its 95 % confidence interval comes from resampling: both
-- sets of runs are drawn again with replacement (B = 2000 times) and the ratio of the medians
-- of the draws is taken; the interval is the 2.5th and 97.5th percentiles of those ratios. The
-- random draws come from a fixed-seed generator (Park-Miller, exact in doubles), so the same
-- two documents give the same interval under Lua 5.4 and LuaJIT.
--
-- A measure regresses when its change is worse than the threshold (default 5 %) AND the whole
-- interval is on the worse side of no change (significant): a 2x slowdown over a few runs
-- fails, a 1 % wobble or a noisy 8 % with an interval that reaches below 1.0 does not. With
-- fewer than 3 runs on a side there is no interval and the verdict is "too few runs".
local ipairs, type, tostring, pcall, format, floor, sort = ipairs, type, tostring, pcall, string.format, math.floor, table.sort
local open = io.open
local stats = require "hotpath.stats"

local M = {}

M.DEFAULT_THRESHOLD = 0.05
M.RESAMPLES = 2000
M.SEED = 20261203
M.MIN_RUNS = 3

-- A deterministic generator: returns next() giving integers in [1, n].
function M.rng(seed)
  local s = (seed or M.SEED) % 2147483647
  if s <= 0 then s = s + 2147483646 end
  return function(n)
    s = (s * 16807) % 2147483647
    return floor((s - 1) / 2147483646 * n) + 1
  end
end

local function median_of_draw(xs, pick, buf)
  local n = #xs
  for i = 1, n do buf[i] = xs[pick(n)] end
  for i = n + 1, #buf do buf[i] = nil end
  return stats.median(buf)
end

-- Bootstrap of the ratio of medians new / old: returns { ratio, lo, hi } (lo, hi nil with
-- fewer than MIN_RUNS values on a side). opts: resamples, seed, level (default 0.95).
function M.bootstrap(old, new, opts)
  opts = opts or {}
  local mo, mn = stats.median(old), stats.median(new)
  if not mo or not mn or mo == 0 then return nil end
  local res = { ratio = mn / mo }
  if #old < M.MIN_RUNS or #new < M.MIN_RUNS then return res end
  local pick = M.rng(opts.seed)
  local b = opts.resamples or M.RESAMPLES
  local ratios, bo, bn = {}, {}, {}
  for i = 1, b do
    local a = median_of_draw(old, pick, bo)
    local c = median_of_draw(new, pick, bn)
    ratios[i] = a ~= 0 and c / a or mn / mo
  end
  sort(ratios)
  local alpha = (1 - (opts.level or 0.95)) / 2
  local function q(p)
    local k = floor(p * (b - 1) + 0.5) + 1
    return ratios[k]
  end
  res.lo, res.hi = q(alpha), q(1 - alpha)
  return res
end

-- The values of a measure from the counted runs of a scenario (a document's scenario entry).
local function values(sc, get)
  local xs = {}
  for _, r in ipairs(sc.runs or {}) do
    if r.ok and not r.warmup then
      local v = get(r)
      if type(v) == "number" then xs[#xs + 1] = v end
    end
  end
  return xs
end

-- The measures: name, how to read a run, unit, and whether higher is better.
M.MEASURES = {
  { name = "time", unit = "s", get = function(r) return r.run_s end, worse = "slower", better = "faster" },
  { name = "memory", unit = "kB", get = function(r) return r.maxrss_kb end, worse = "larger", better = "smaller" },
  { name = "rps", unit = "req/s", higher = true, get = function(r) return r.metrics and r.metrics.rps end, worse = "slower", better = "faster" },
  { name = "p99", unit = "ms", get = function(r) return r.metrics and r.metrics.p99_ms end, worse = "slower", better = "faster" },
}

-- The verdict of one measure: "slower"/"larger" (a regression), "faster"/"smaller",
-- "unchanged", or "too few runs".
local function verdict(m, b, threshold)
  if not b.lo then return "too few runs" end
  -- worse: the direction that hurts (up for time and memory, down for rps)
  local change, lo, hi = b.ratio, b.lo, b.hi
  if m.higher then change, lo, hi = 1 / b.ratio, 1 / b.hi, 1 / b.lo end
  if change > 1 + threshold and lo > 1 then return m.worse, true end
  if change < 1 / (1 + threshold) and hi < 1 then return m.better end
  return "unchanged"
end

-- What the two machines differ in that makes times incomparable: a list of messages.
function M.machine_warnings(a, b)
  local out = {}
  a, b = a or {}, b or {}
  local function diff(key, what)
    if a[key] ~= nil and b[key] ~= nil and a[key] ~= b[key] then
      out[#out + 1] = format("the baseline was measured with another %s (%s, now %s): changes may come from that, not from the code",
        what, tostring(a[key]), tostring(b[key]))
    end
  end
  diff("cpu_model", "CPU")
  diff("cores", "number of cores")
  diff("runtime", "runtime")
  diff("backend", "backend")
  diff("hotpath", "hotpath version")
  return out
end

local function by_id(doc)
  local t, order = {}, {}
  for _, sc in ipairs(doc.scenarios or {}) do
    if sc.id then
      t[sc.id] = sc
      order[#order + 1] = sc.id
    end
  end
  return t, order
end

-- Compares two documents. opts: threshold (a fraction, default 0.05), resamples, seed.
-- Returns { rows = { { id, measure, unit, old, new, runs_old, runs_new, ratio, lo, hi,
-- change_pct, lo_pct, hi_pct, verdict, regression } ... }, missing = { ids only in old },
-- added = { ids only in new }, warnings = { messages }, regressions = n, threshold }.
function M.compare(old, new, opts)
  opts = opts or {}
  local threshold = opts.threshold or M.DEFAULT_THRESHOLD
  local oi, oorder = by_id(old)
  local ni, norder = by_id(new)
  local out = {
    rows = {}, missing = {}, added = {}, warnings = M.machine_warnings(old.machine, new.machine),
    regressions = 0, threshold = threshold,
  }
  for _, id in ipairs(norder) do
    local a, b = oi[id], ni[id]
    if not a then
      out.added[#out.added + 1] = id
    elseif a.ok and b.ok and not a.skipped and not b.skipped then
      if a.mode and b.mode and a.mode ~= b.mode then
        out.warnings[#out.warnings + 1] = format("%s: the baseline ran the %s sizes, this run the %s sizes", id, a.mode, b.mode)
      end
      for _, m in ipairs(M.MEASURES) do
        local xs, ys = values(a, m.get), values(b, m.get)
        local bs = #xs > 0 and #ys > 0 and M.bootstrap(xs, ys, opts)
        if bs then
          local v, reg = verdict(m, bs, threshold)
          local row = {
            id = id, measure = m.name, unit = m.unit, old = stats.median(xs), new = stats.median(ys),
            runs_old = #xs, runs_new = #ys, ratio = bs.ratio, lo = bs.lo, hi = bs.hi,
            change_pct = (bs.ratio - 1) * 100, lo_pct = bs.lo and (bs.lo - 1) * 100, hi_pct = bs.hi and (bs.hi - 1) * 100,
            verdict = v, regression = reg or false,
          }
          out.rows[#out.rows + 1] = row
          if reg then out.regressions = out.regressions + 1 end
        end
      end
    end
  end
  for _, id in ipairs(oorder) do
    if not ni[id] then out.missing[#out.missing + 1] = id end
  end
  return out
end

-- Parses a threshold: "5%", "5", "0.05" is not accepted (ambiguous); returns a fraction or
-- nil, message.
function M.parse_threshold(s)
  local n = tonumber((tostring(s):match("^%s*([%d%.]+)%s*%%?%s*$")))
  if not n or n < 0 or n >= 1000 then
    return nil, format("--fail-if-slower needs a percentage such as 5%%, got '%s'", tostring(s))
  end
  return n / 100
end

-- ---- baselines on disk -------------------------------------------------------------------

M.DIR = ".hotpath/baselines"

-- The file of a baseline NAME: NAME itself when it names a path (has a / or ends in .json),
-- otherwise dir/NAME.json.
function M.path(name, dir)
  if name:find("/", 1, true) or name:match("%.json$") then return name end
  return (dir or M.DIR) .. "/" .. name .. ".json"
end

-- Reads a result document (JSON); returns it or nil, message.
function M.load(path)
  local f, err = open(path, "rb")
  if not f then return nil, "cannot read " .. path .. ": " .. tostring(err):gsub("^[^:]*: ", "") end
  local text = f:read("*a")
  f:close()
  local ok, doc = pcall(require("hotpath.json").decode, text)
  if not ok then return nil, format("%s: not a JSON document: %s", path, tostring(doc)) end
  if type(doc) ~= "table" or type(doc.scenarios) ~= "table" then
    return nil, path .. ": not a hotpath result (no scenarios)"
  end
  return doc
end

-- Writes text to path (mkdir: creating its folder first, as --save does for
-- .hotpath/baselines/); returns true or nil, message.
function M.write(path, text, mkdir)
  local dir = path:match("^(.*)/[^/]*$")
  if mkdir and dir and dir ~= "" then
    local r = require("hotpath.proc").run { "mkdir", "-p", dir }
    if not (r and r.ok) then return nil, "cannot create " .. dir end
  end
  local f, err = open(path, "wb")
  if not f then return nil, "cannot write " .. path .. ": " .. tostring(err):gsub("^[^:]*: ", "") end
  f:write(text)
  f:close()
  return true
end

return M
