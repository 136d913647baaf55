-- The runner: finds scenario files, runs each scenario's warm-up and counted runs in fresh
-- child processes, verifies outputs, and summarizes (DESIGN.md, measurement model).
--
-- A scenario that fails (a file that does not load, a run that raises, a digest mismatch, a
-- timeout, a command that cannot start) is reported failed; the others still run.
local scenario = require "hotpath.scenario"
local serial = require "hotpath.serial"
local stats = require "hotpath.stats"
local proc = require "hotpath.proc"

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

-- Loads files and lists their scenarios as entries { file, si, ci, suite, scenario, id }.
-- filter: a Lua pattern matched against "suite/scenario". Returns entries, errors.
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
          if not filter or id:find(filter) then
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

-- Compares a digest the child or proc computed with the expected "kind:hex".
local function check_digest(expected, got_sha256, got_md5, bytes)
  local kind = expected:match("^(%w+):")
  local got = kind == "md5" and got_md5 or got_sha256
  if got == expected then return true end
  return false, format("digest mismatch: expected %s, got %s (%d bytes of output)", expected, tostring(got), bytes or 0)
end

-- Runs a Lua scenario once in a fresh child; returns a run record.
local function run_lua(e, mode, ctx)
  local s = e.scenario
  local r, err = proc.run {
    argv = { ctx.interpreter, ctx.child, e.file, e.si, e.ci, mode },
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
      rec.ok, rec.error = check_digest(v, rep.sha256, rep.md5, rep.out_bytes)
    end
  end
  if rec.ok and not r.ok then rec.ok, rec.error = false, failure_text(r) end
  return rec
end

-- Runs a command scenario once; returns a run record.
local function run_command(e, mode, ctx)
  local s = e.scenario
  local p = scenario.params(s, mode)
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
  }
  if not r.ok then rec.error = failure_text(r) return rec end
  if type(v) == "string" then
    local kind = v:match("^(%w+):")
    rec.ok, rec.error = check_digest(v, kind .. ":" .. r.digest, kind .. ":" .. r.digest, r.stdout_bytes)
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

-- Runs one entry: warm-up runs, then counted runs; stops at the first failing run.
-- progress(event, entry, info) is called before each run and at the end.
function runner.run_entry(e, opts, ctx)
  local s = e.scenario
  local mode = opts.quick and "quick" or "full"
  local nruns = opts.runs or s.runs or runner.DEFAULT_RUNS
  local nwarm = opts.warmup or s.warmup or runner.DEFAULT_WARMUP
  local res = {
    id = e.id, suite = e.suite, name = s.name, file = e.file, mode = mode,
    kind = s.command and "command" or "lua", params = scenario.params(s, mode),
    reference = s.reference, note = s.note, runs = {}, ok = true,
    verified = s.verify ~= nil and scenario.verifier(s, mode) ~= nil,
  }
  local rctx = { interpreter = ctx.interpreter, child = ctx.child, env = ctx.env }
  if s.command and s.setup then
    local ok, st = pcall(s.setup, res.params)
    if not ok then
      res.ok, res.error = false, "setup raised: " .. tostring(st)
      return res
    end
    rctx.state = st
  end
  local total = nwarm + nruns
  for i = 1, total do
    local warm = i <= nwarm
    if opts.progress then
      opts.progress("run", e, { index = i, total = total, warmup = warm, last = res.runs[#res.runs] })
    end
    local rec = s.command and run_command(e, mode, rctx) or run_lua(e, mode, rctx)
    rec.warmup = warm or nil
    res.runs[#res.runs + 1] = rec
    if not rec.ok then
      res.ok, res.error = false, rec.error or "failed"
      break
    end
  end
  local counted = {}
  for _, r in ipairs(res.runs) do
    if not r.warmup and r.ok then counted[#counted + 1] = r end
  end
  res.summary = runner.summarize(counted)
  if opts.progress then opts.progress("done", e, res) end
  return res
end

-- Runs everything. opts: paths, filter, quick, runs, warmup, progress.
-- Returns { results = {...}, errors = {...}, ok = bool }.
function runner.run(opts)
  local files, errors = runner.discover(opts.paths)
  local entries, load_errors = runner.collect(files, opts.filter)
  for _, le in ipairs(load_errors) do errors[#errors + 1] = le end
  local child = package.searchpath("hotpath.child", package.path)
  local ctx = { interpreter = runner.interpreter(), child = child, env = child_env() }
  local results, ok = {}, #errors == 0
  for _, e in ipairs(entries) do
    local res = runner.run_entry(e, opts, ctx)
    results[#results + 1] = res
    ok = ok and res.ok
  end
  return { results = results, errors = errors, ok = ok, files = files, entries = #entries }
end

return runner
