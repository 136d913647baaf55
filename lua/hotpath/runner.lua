-- The runner: finds scenario files, runs each scenario's warm-up and counted runs in fresh
-- child processes, verifies outputs, and summarizes (doc/measurement.md).
--
-- A scenario that fails (a file that does not load, a run that raises, a digest mismatch, a
-- timeout, a command that cannot start) is reported failed; the others still run.
local scenario = require "hotpath.scenario"
local serial = require "hotpath.serial"
local stats = require "hotpath.stats"
local proc = require "hotpath.proc"
local noise = require "hotpath.noise"
local scan = require "hotpath.scan"
local clock = require("hotpath.util").core.clock

local type, pairs, ipairs, format, tostring = type, pairs, ipairs, string.format, tostring
local sort, concat = table.sort, table.concat

local runner = {}

runner.DEFAULT_RUNS, runner.DEFAULT_WARMUP, runner.DEFAULT_TIMEOUT = 5, 1, 120

-- ---- discovery --------------------------------------------------------------------------------

local function is_dir(path)
  local r = proc.run { "test", "-d", path }
  return r and r.ok
end

local function list_lua(dir)
  local r = assert(proc.run { "find", dir, "-maxdepth", "1", "-type", "f", "-name", "*.lua", keep_stdout = true })
  local files = {}
  for line in r.stdout:gmatch("[^\n]+") do files[#files + 1] = line end
  sort(files)
  return files
end

-- Files named by paths (files, or directories whose *.lua files are taken in name order).
-- Returns files, errors (a list of { file, error }).
function runner.discover(paths)
  local files, errors = {}, {}
  for _, p in ipairs(paths) do
    local f = io.open(p, "r")
    if not f then
      errors[#errors + 1] = { file = p, error = p .. ": no such file or directory" }
    else
      f:close()
      if is_dir(p) then
        for _, x in ipairs(list_lua(p)) do files[#files + 1] = x end
      else
        files[#files + 1] = p
      end
    end
  end
  return files, errors
end

-- Whether id matches filter: nil (everything), a Lua pattern, or a list of them (any match).
local function matches(id, filter)
  if filter == nil then return true end
  if type(filter) == "string" then return id:find(filter) ~= nil end
  for _, f in ipairs(filter) do
    if id:find(f) then return true end
  end
  return false
end

-- Loads files and lists their scenarios as entries { file, si, ci, suite, scenario, id }.
-- filter: a Lua pattern matched against "suite/scenario", or a list of them (any match).
-- Returns entries, errors.
function runner.collect(files, filter)
  local entries, errors = {}, {}
  for _, file in ipairs(files) do
    local suites, err = scenario.load_file(file)
    if not suites then
      errors[#errors + 1] = { file = file, error = err }
    else
      for si, suite in ipairs(suites) do
        for ci, s in ipairs(suite.scenarios) do
          local id = suite.name .. "/" .. s.name
          if matches(id, filter) then
            entries[#entries + 1] = { file = file, si = si, ci = ci, suite = suite.name, scenario = s, id = id }
          end
        end
      end
    end
  end
  return entries, errors
end

-- ---- one run ----------------------------------------------------------------------------------

-- The interpreter running us: the lowest index of arg (lua5.4 -e ... script: arg[-3]).
function runner.interpreter()
  local exe
  if arg then
    local i = -1
    while arg[i] do exe = arg[i]; i = i - 1 end
  end
  return exe or (rawget(_G, "jit") and "luajit" or "lua5.4")
end

local function child_env()
  return {
    LUA_PATH = package.path, LUA_PATH_5_4 = package.path,
    LUA_CPATH = package.cpath, LUA_CPATH_5_4 = package.cpath,
    HOTPATH_REPORT_FD = "3",
  }
end

local function dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

local function failure_text(r)
  local tail = (r.stderr or ""):gsub("%s+$", "")
  if #tail > 600 then tail = "..." .. tail:sub(-600) end
  return tail ~= "" and (r.status .. ": " .. tail) or r.status
end

-- Compares the "kind:hex" digest the child or proc computed with the expected one.
local function check_digest(expected, got, bytes)
  if got == expected then return true end
  return false, format("digest mismatch: expected %s, got %s (%d bytes of output)", expected, tostring(got), bytes or 0)
end

-- Runs a Lua scenario once in a fresh child; returns a run record.
local function run_lua(e, mode, ctx)
  local s = e.scenario
  local r, err = proc.run {
    -- a point of a scan: the child sets the scanned parameters over the scenario's own
    argv = { ctx.interpreter, ctx.child, e.file, e.si, e.ci, mode, e.scan and serial.encode(e.scan) or nil },
    env = ctx.env, timeout = s.timeout or runner.DEFAULT_TIMEOUT, report_fd = 3, keep_stderr = 8192,
  }
  if not r then return { ok = false, error = err } end
  local rec = { wall = r.wall, user = r.user, sys = r.sys, cpu = r.user + r.sys, maxrss_kb = r.maxrss_kb }
  local rep = r.report ~= "" and serial.decode(r.report) or nil
  if r.timed_out then
    rec.ok, rec.error = false, failure_text(r)
    return rec
  end
  if type(rep) ~= "table" then
    rec.ok, rec.error = false, "child gave no report (" .. failure_text(r) .. ")"
    return rec
  end
  for k, v in pairs(rep) do rec[k] = v end
  if rec.ok then
    local v = scenario.verifier(s, mode)
    if type(v) == "string" then
      rec.ok, rec.error = check_digest(v, rep.digest, rep.out_bytes)
    end
  end
  if rec.ok and not r.ok then rec.ok, rec.error = false, failure_text(r) end
  return rec
end

-- Runs a command scenario once; returns a run record.
local function run_command(e, mode, ctx)
  local s = e.scenario
  local p = e.params or scenario.params(s, mode)
  local cctx = { dir = dirname(e.file), file = e.file, mode = mode }
  local argv, stdin = s.command, s.stdin
  if type(argv) == "function" then
    local ok, a, i = pcall(argv, p, cctx, ctx.state)
    if not ok then return { ok = false, error = "command raised: " .. tostring(a) } end
    argv, stdin = a, i or stdin
  end
  if type(stdin) == "function" then stdin = stdin(p, cctx, ctx.state) end
  local v = scenario.verifier(s, mode)
  local ok, r, err = pcall(proc.run, {
    argv = argv, stdin = stdin, timeout = s.timeout or runner.DEFAULT_TIMEOUT,
    digest = type(v) == "string" and v:match("^(%w+):") or "sha256",
    keep_stdout = type(v) == "function", keep_stderr = 8192,
  })
  if not ok then return { ok = false, error = "bad command: " .. tostring(r) } end
  if not r then return { ok = false, error = err } end
  local rec = {
    wall = r.wall, user = r.user, sys = r.sys, cpu = r.user + r.sys, maxrss_kb = r.maxrss_kb,
    run_s = r.wall, out_bytes = r.stdout_bytes, ok = r.ok,
    digest = (type(v) == "string" and v:match("^(%w+):") or "sha256") .. ":" .. r.digest,
  }
  if not r.ok then rec.error = failure_text(r) return rec end
  if type(v) == "string" then
    rec.ok, rec.error = check_digest(v, rec.digest, r.stdout_bytes)
  elseif type(v) == "function" then
    local vok, good, msg = pcall(v, r.stdout, p)
    if not vok then rec.ok, rec.error = false, "verify raised: " .. tostring(good)
    elseif not good then rec.ok, rec.error = false, "verification failed: " .. tostring(msg or "verify returned false") end
  end
  return rec
end

-- ---- a scenario -------------------------------------------------------------------------------

local function column(runs, key)
  local xs = {}
  for _, r in ipairs(runs) do
    if r[key] then xs[#xs + 1] = r[key] end
  end
  return xs
end

-- Summaries of the counted runs: run time, wall, CPU, peak RSS, RSS before run, and metrics.
function runner.summarize(runs)
  local sum = {
    run_s = stats.summary(column(runs, "run_s")),
    wall = stats.summary(column(runs, "wall")),
    cpu = stats.summary(column(runs, "cpu")),
    maxrss_kb = stats.summary(column(runs, "maxrss_kb")),
    rss_before_kb = stats.summary(column(runs, "rss_before_kb")),
  }
  local metrics = {}
  for _, r in ipairs(runs) do
    for k in pairs(r.metrics or {}) do metrics[k] = true end
  end
  local m = {}
  for k in pairs(metrics) do
    local xs = {}
    for _, r in ipairs(runs) do
      if r.metrics and r.metrics[k] then xs[#xs + 1] = r.metrics[k] end
    end
    m[k] = stats.summary(xs)
  end
  if next(m) then sum.metrics = m end
  return sum
end

-- Prepares the result record of an entry (and runs a command scenario's setup, untimed).
local function prepare(e, opts, ctx)
  local s = e.scenario
  local mode = opts.quick and "quick" or "full"
  local res = {
    id = e.id, suite = e.suite, name = s.name, file = e.file, mode = mode,
    kind = s.command and "command" or "lua", params = e.params or scenario.params(s, mode), scan = e.scan,
    reference = s.reference, note = s.note, baseline = s.baseline, headline = s.headline, runs = {}, ok = true,
    verified = s.verify ~= nil and scenario.verifier(s, mode) ~= nil,
  }
  local plan = {
    e = e, res = res, mode = mode,
    nruns = opts.runs or s.runs or runner.DEFAULT_RUNS,
    nwarm = opts.warmup or s.warmup or runner.DEFAULT_WARMUP,
    rctx = { interpreter = ctx.interpreter, child = ctx.child, env = ctx.env },
  }
  if s.command and s.setup then
    local ok, st = pcall(s.setup, res.params)
    if not ok then
      res.ok, res.error = false, "setup raised: " .. tostring(st)
    end
    res.skipped = ok and scenario.skipped(st) or nil
    -- a setup may leave facts for the results (a peer's build: time, toolchain versions)
    if ok and type(st) == "table" and type(st.record) == "table" then res.setup = st.record end
    plan.rctx.state = st
  end
  return plan
end

-- Runs run number i of a plan (warm-up runs first); a failing run fails the scenario.
local function step(plan, i, opts)
  local e, res = plan.e, plan.res
  local warm = i <= plan.nwarm
  if opts.progress then
    opts.progress("run", e, { index = i, total = plan.nwarm + plan.nruns, warmup = warm, last = res.runs[#res.runs] })
  end
  local started = clock()
  local rec = e.scenario.command and run_command(e, plan.mode, plan.rctx) or run_lua(e, plan.mode, plan.rctx)
  rec.started = started -- monotonic seconds: shows the interleaving order in the JSON
  rec.warmup = warm or nil
  if rec.skipped then -- the child's setup said this machine cannot run it
    res.skipped = rec.skipped
    return
  end
  res.runs[#res.runs + 1] = rec
  if not rec.ok then
    res.ok, res.error = false, rec.error or "failed"
  end
end

local function counted_runs(res)
  local counted = {}
  for _, r in ipairs(res.runs) do
    if not r.warmup and r.ok then counted[#counted + 1] = r end
  end
  return counted
end

-- The output digest of the counted runs: { digest, bytes, same = every run's agrees }, or nil.
local function output_digest(runs)
  local d = runs[1] and runs[1].digest
  if not d then return nil end
  for _, r in ipairs(runs) do
    if r.digest ~= d or r.out_bytes ~= runs[1].out_bytes then return { same = false } end
  end
  return { digest = d, bytes = runs[1].out_bytes, same = true }
end

-- Runs the scenarios of one suite interleaved: every scenario's warm-up runs, then round after
-- round one counted run of each (A B A B ...), so that a machine's slow minute hits all of them
-- alike. A scenario stops at its first failing run.
function runner.run_group(entries, opts, ctx)
  local plans, rounds = {}, 0
  for i, e in ipairs(entries) do
    plans[i] = prepare(e, opts, ctx)
    local n = plans[i].nwarm + plans[i].nruns
    if n > rounds then rounds = n end
  end
  -- warm-up runs of all first, then counted rounds
  local order = {}
  for _, warm in ipairs { true, false } do
    for r = 1, rounds do
      for _, plan in ipairs(plans) do
        local i = warm and r or plan.nwarm + r
        if (warm and r <= plan.nwarm) or (not warm and r <= plan.nruns) then
          order[#order + 1] = { plan, i }
        end
      end
    end
  end
  for _, o in ipairs(order) do
    if o[1].res.ok and not o[1].res.skipped then step(o[1], o[2], opts) end
  end
  local results, by_name = {}, {}
  for i, plan in ipairs(plans) do
    local res = plan.res
    res.summary = runner.summarize(counted_runs(res))
    res.output = output_digest(counted_runs(res))
    if opts.progress then opts.progress("done", plan.e, res) end
    results[i] = res
    by_name[res.name .. (res.scan and "[" .. scan.label(res.scan) .. "]" or "")] = res
  end
  -- ratios to a baseline scenario of the same suite, from the interleaved pairs of runs (a
  -- point of a scan is compared with the baseline's point of the same values)
  for _, res in ipairs(results) do
    local base = res.baseline and by_name[res.baseline .. (res.scan and "[" .. scan.label(res.scan) .. "]" or "")]
    if base and res.ok and base.ok then
      local a, b = column(counted_runs(res), "run_s"), column(counted_runs(base), "run_s")
      local ratio, spread = stats.ratio(a, b)
      if ratio then res.vs_baseline = { name = base.name, ratio = ratio, spread_pct = spread } end
    end
  end
  return results
end

-- Runs one entry alone (see run_group).
function runner.run_entry(e, opts, ctx)
  return runner.run_group({ e }, opts, ctx)[1]
end

-- Runs everything, suite by suite. opts: paths, filter, quick, runs, warmup, progress.
-- Returns { results = {...}, errors = {...}, ok = bool }.
-- The CPU seconds of every run of the results (wait4's user + sys of each child).
local function children_cpu(results)
  local s = 0
  for _, res in ipairs(results) do
    for _, r in ipairs(res.runs) do s = s + (r.cpu or 0) end
  end
  return s
end

-- A quiet sample before the runs: the machine's counters around a short sleep of a child.
local function quiet_sample()
  local a = noise.snapshot(clock())
  local r = proc.run { "sleep", "0.2" }
  local b = noise.snapshot(clock())
  return noise.window(a, b, r and (r.user + r.sys) or 0)
end

-- The entries of the points of parameter scans (scan.lua): an entry whose parameters (its
-- own, or as overridden by `params`, { key = list of values }) hold a list becomes one entry
-- per value, with e.params, e.scan = { key = value } and the id "suite/name[key=value]".
-- e.add_params: the overrides apply even to keys the scenario lacks (ad-hoc commands).
-- Returns entries, and the keys of params that no entry has.
function runner.expand(entries, quick, params)
  local out, used = {}, {}
  for _, e in ipairs(entries) do
    local own = scenario.params(e.scenario, quick and "quick" or "full")
    for k in pairs(params or {}) do
      if own[k] ~= nil or e.add_params then used[k] = true end
    end
    local pts = scan.points(own, params, e.add_params)
    if #pts == 1 and not pts[1].scan then
      out[#out + 1] = e
    else
      for _, pt in ipairs(pts) do
        local x = {}
        for k, v in pairs(e) do x[k] = v end
        x.params, x.scan, x.id = pt.params, pt.scan, e.id .. "[" .. scan.label(pt.scan) .. "]"
        out[#out + 1] = x
      end
    end
  end
  local unused = {}
  for k in pairs(params or {}) do
    if not used[k] then unused[#unused + 1] = k end
  end
  sort(unused)
  return out, unused
end

-- Runs everything, suite by suite. opts: paths (or entries: ready-made entries, as from
-- runner.entries), filter (a list of Lua patterns: any match runs), quick, runs, warmup,
-- params ({ key = list of values }: --param), progress, noise (false: no noise sampling).
-- Returns { results = {...}, errors = {...}, ok = bool, noise = { before, during, warnings },
-- scans = (scan.collect) }.
function runner.run(opts)
  local files, errors, entries = {}, {}, opts.entries
  if not entries then
    local load_errors
    files, errors = runner.discover(opts.paths)
    entries, load_errors = runner.collect(files, opts.filter)
    for _, le in ipairs(load_errors) do errors[#errors + 1] = le end
  end
  local unused
  entries, unused = runner.expand(entries, opts.quick, opts.params)
  for _, k in ipairs(unused) do
    errors[#errors + 1] = { file = "--param " .. k, error = format("--param %s: no scenario run has a parameter '%s'", k, k) }
  end
  local child = package.searchpath("hotpath.child", package.path)
  local ctx = { interpreter = runner.interpreter(), child = child, env = child_env() }
  local results, ok = {}, #errors == 0
  local before = opts.noise ~= false and #entries > 0 and quiet_sample() or nil
  local s0 = noise.snapshot(clock())
  local i = 1
  while i <= #entries do
    local group, key = {}, entries[i].file .. "#" .. entries[i].si
    while entries[i] and entries[i].file .. "#" .. entries[i].si == key do
      group[#group + 1] = entries[i]
      i = i + 1
    end
    for _, res in ipairs(runner.run_group(group, opts, ctx)) do
      results[#results + 1] = res
      ok = ok and res.ok
    end
  end
  local run = { results = results, errors = errors, ok = ok, files = files, entries = #entries }
  local scans = scan.collect(results)
  if #scans > 0 then run.scans = scans end
  if before then
    local during = noise.window(s0, noise.snapshot(clock()), children_cpu(results))
    local m = require("hotpath.machine")
    run.noise = {
      before = noise.rounded(before), during = noise.rounded(during),
      warnings = noise.assess(before, during, m.cores(), m.governor(), results),
    }
  end
  return run
end

return runner
