-- The scenario DSL: what to run, with which inputs, checked how, compared to what.
--
--   return hp.suite "cpu" {
--     hp.scenario "mandelbrot" {
--       params = { n = 5000 }, quick = { n = 1000 },   -- quick: params overridden by --quick
--       setup = function(p) return state end,          -- untimed (in the child); may return
--                                                      -- hp.skip "reason" (reported skipped)
--       run = function(p, state) return output, metrics, data end,  -- timed; metrics: numbers
--                                                      -- by name; data: plain tables kept in
--                                                      -- the run's record (the JSON's runs[i].data)
--       verify = "sha256:<hex>" | "md5:<hex>" | function(output, p) return ok, msg end
--                | { full = "sha256:..", quick = "sha256:.." },
--       reference = { { name = "Rust, published", ms = 246, mb = 4.8 }, ... },
--       note = "shown with the results", timeout = 120, runs = 5, warmup = 1,
--       baseline = "other scenario of the suite",  -- also show the ratio of medians to it
--       headline = { dimension = "CPU", workload = "mandelbrot 5000", show = { "ms", "mb" },
--                    langs = { "Rust", "Go" } },
--                                                  -- a row of the summary table (report/summary.lua);
--                                                  -- claim = false: no recomputed multipliers for it
--     },
--     hp.scenario "mandelbrot, plain Lua" {           -- an external command instead of run
--       command = function(p, ctx, state) return { "luajit", ctx.dir .. "/prog.lua", p.n }, stdin end,
--       ...
--     },
--   }
--
-- Misuse (a scenario with neither run nor command, a bad verify string, ...) raises when the
-- file is loaded, naming the scenario.
local type, pairs, ipairs, error, format, setmetatable = type, pairs, ipairs, error, string.format, setmetatable

local M = {}

local SCENARIO, SUITE = {}, {}
M.SCENARIO, M.SUITE = SCENARIO, SUITE

local FIELDS = {
  params = "table", quick = "table", setup = "function", run = "function", command = "function|table",
  verify = "string|function|table", reference = "table", note = "string", timeout = "number",
  runs = "number", warmup = "number", stdin = "string|function", baseline = "string",
  headline = "table",
}

local function check_verify(v, where)
  if type(v) == "string" then
    local kind, hex = v:match("^(%w+):(%x+)$")
    if not ((kind == "sha256" and #hex == 64) or (kind == "md5" and #hex == 32)) then
      error(format("%s: verify must be \"sha256:<64 hex digits>\", \"md5:<32 hex digits>\" or a function, got %q", where, v), 4)
    end
  elseif type(v) == "table" then
    for k, d in pairs(v) do
      if (k ~= "full" and k ~= "quick") then
        error(format("%s: a verify table has the keys full and quick", where), 4)
      end
      check_verify(d, where)
    end
  end
end

-- The numeric fields' ranges: timeout a positive finite number of seconds, runs a whole number
-- of at least 1, warmup a whole number of at least 0 (NaN fails every comparison, so it fails).
local NUMBERS = {
  timeout = { min = 0, open = true, what = "a positive number of seconds" },
  runs = { min = 1, int = true, what = "a whole number of at least 1" },
  warmup = { min = 0, int = true, what = "a whole number of at least 0" },
}

local function check_numbers(def, where)
  for k, r in pairs(NUMBERS) do
    local v = def[k]
    if v ~= nil then
      local ok = v == v and v < math.huge and (r.open and v > r.min or not r.open and v >= r.min)
        and (not r.int or v == math.floor(v))
      if not ok then
        error(format("%s: field '%s' must be %s, got %s", where, k, r.what, v == v and tostring(v) or "nan"), 3)
      end
    end
  end
end

-- hp.scenario "name" { fields }
function M.scenario(name)
  if type(name) ~= "string" or name == "" then
    error("bad argument #1 to 'scenario' (name string expected)", 2)
  end
  return function(def)
    local where = format("scenario '%s'", name)
    if type(def) ~= "table" then error(where .. ": definition table expected", 2) end
    for k, v in pairs(def) do
      local want = FIELDS[k]
      if not want then error(format("%s: unknown field '%s'", where, tostring(k)), 2) end
      if not want:find(type(v), 1, true) then
        error(format("%s: field '%s' must be a %s, got %s", where, k, want:gsub("|", " or "), type(v)), 2)
      end
    end
    if (def.run == nil) == (def.command == nil) then
      error(where .. ": exactly one of 'run' (Lua, timed in a child) or 'command' (an external program) is required", 2)
    end
    check_numbers(def, where)
    if def.verify ~= nil then check_verify(def.verify, where) end
    local h = def.headline
    if h and (type(h.dimension) ~= "string" or type(h.workload) ~= "string" or (h.show ~= nil and type(h.show) ~= "table")) then
      error(where .. ": headline needs dimension and workload strings (and optionally a show list)", 2)
    end
    for i, r in ipairs(def.reference or {}) do
      if type(r) ~= "table" or type(r.name) ~= "string" then
        error(format("%s: reference %d must be a table with a name", where, i), 2)
      end
    end
    local s = { name = name }
    for k, v in pairs(def) do s[k] = v end
    return setmetatable(s, SCENARIO)
  end
end

-- hp.suite "name" { scenarios }
function M.suite(name)
  if type(name) ~= "string" or name == "" then
    error("bad argument #1 to 'suite' (name string expected)", 2)
  end
  return function(list)
    if type(list) ~= "table" then error(format("suite '%s': list of scenarios expected", name), 2) end
    local seen = {}
    for i, s in ipairs(list) do
      if getmetatable(s) ~= SCENARIO then
        error(format("suite '%s': item %d is not a scenario (use hp.scenario \"name\" {...})", name, i), 2)
      end
      if seen[s.name] then error(format("suite '%s': two scenarios are named '%s'", name, s.name), 2) end
      seen[s.name] = true
    end
    for _, s in ipairs(list) do
      if s.baseline and not seen[s.baseline] then
        error(format("suite '%s': scenario '%s' has baseline '%s', which is not in the suite", name, s.name, s.baseline), 2)
      end
    end
    return setmetatable({ name = name, scenarios = list }, SUITE)
  end
end

-- hp.skip "reason": what a setup returns when the scenario cannot run on this machine (a
-- toolchain or a server that is not installed). The scenario is reported skipped with the
-- reason, not failed.
local SKIP = {}
M.SKIP = SKIP
function M.skip(reason)
  if type(reason) ~= "string" or reason == "" then
    error("bad argument #1 to 'skip' (reason string expected)", 2)
  end
  return setmetatable({ reason = reason }, SKIP)
end
function M.skipped(v)
  return getmetatable(v) == SKIP and v.reason or nil
end

-- The parameters of a scenario in a mode ("full" or "quick").
function M.params(s, mode)
  local p = {}
  for k, v in pairs(s.params or {}) do p[k] = v end
  if mode == "quick" then
    for k, v in pairs(s.quick or {}) do p[k] = v end
  end
  return p
end

-- The expected digest or check function in a mode, or nil.
function M.verifier(s, mode)
  local v = s.verify
  if type(v) == "table" then return v[mode] end
  return v
end

-- Loads a scenario file; returns its suites (a file returns one suite or a list of them), or
-- nil and a message (syntax errors, errors while loading, a file that returns no suite).
function M.load_file(path)
  local chunk, err = loadfile(path)
  if not chunk then return nil, err end
  local ok, res = pcall(chunk)
  if not ok then return nil, format("%s: error while loading: %s", path, tostring(res)) end
  if getmetatable(res) == SUITE then return { res } end
  if type(res) == "table" and #res > 0 then
    for i, s in ipairs(res) do
      if getmetatable(s) ~= SUITE then
        return nil, format("%s: item %d of the returned list is not a suite", path, i)
      end
    end
    return res
  end
  return nil, format("%s: must return a suite (hp.suite \"name\" {...}) or a list of suites", path)
end

return M
