-- The child side of a timed run: `<interpreter> child.lua FILE SUITE SCENARIO MODE`.
-- Loads the scenario file afresh, runs setup untimed, records RSS, times run with the
-- monotonic clock, verifies the output, and writes one report to fd $HOTPATH_REPORT_FD.
-- The parent reads wall, CPU and peak RSS of this whole process from wait4 (through the
-- launcher, csrc/proc/launch.h); the peak is reset after setup, so it covers run() (and what
-- setup left resident), the report and the exit.
local hp = require "hotpath"
local scenario = require "hotpath.scenario"
local serial = require "hotpath.serial"
local core = require("hotpath.util").core

local clock, rss_kb, reset_peak = core.clock, core.rss_kb, core.http_mem_reset_peak
local type, tostring, pcall, xpcall = type, tostring, pcall, xpcall

local file, si, ci, mode = arg[1], tonumber(arg[2]), tonumber(arg[3]), arg[4] or "full"
local pairs = pairs
local report = { ok = false }

local function send()
  local fd = os.getenv("HOTPATH_REPORT_FD") or "3"
  local f = io.open("/dev/fd/" .. fd, "w")
  if f then
    f:write(serial.encode(report))
    f:close()
  else
    io.stderr:write(serial.encode(report), "\n")
  end
end

local function traceback(e)
  return debug.traceback(tostring(e), 2)
end

local function main()
  local suites, err = scenario.load_file(file)
  if not suites then report.error = err return end
  local s = suites[si] and suites[si].scenarios[ci]
  if not s then report.error = "scenario not found in " .. file return end
  local p = scenario.params(s, mode)
  if arg[5] then -- a point of a parameter scan (runner.expand): its values over the lists
    local point = serial.decode(arg[5])
    for k, v in pairs(point or {}) do p[k] = v end
  end
  local state
  if s.setup then
    local t0 = clock()
    local ok, res = xpcall(function() return s.setup(p) end, traceback)
    if not ok then report.error = "setup raised: " .. tostring(res) return end
    state = res
    report.setup_s = clock() - t0
    local why = scenario.skipped(res)
    if why then report.ok, report.skipped = true, why return end
  end
  collectgarbage("collect")
  -- The peak RSS the parent reads from wait4 should be the run's, not setup's (generating a
  -- 25 MB input must not count as the kernel's memory): writing 5 to clear_refs resets the
  -- kernel's high-water mark, which wait4's ru_maxrss reports at exit. What setup held
  -- stays resident and counted. (The other part of ru_maxrss, the peak recorded at exec, is
  -- the launcher's few hundred kB: doc/measurement.md.)
  report.setup_hwm_kb = rss_kb(0, 1)
  report.peak_reset = reset_peak(0) and true or false
  report.rss_before_kb = rss_kb(0, 0)
  local run = s.run
  local t0 = clock()
  local ok, out, metrics, data = pcall(run, p, state)
  local t1 = clock()
  if not ok then
    -- no traceback through the timed call: re-raise cost is not ours to time; the message is
    report.error = "run raised: " .. tostring(out)
    return
  end
  report.run_s = t1 - t0
  report.rss_after_kb = rss_kb(0, 0)
  report.hwm_kb = rss_kb(0, 1)
  if type(metrics) == "table" then
    local m = {}
    for k, v in pairs(metrics) do
      if type(k) == "string" and type(v) == "number" then m[k] = v end
    end
    report.metrics = m
  end
  -- plain data the scenario wants kept with the run (a memory timeline, a histogram)
  if type(data) == "table" then report.data = data end
  local v = scenario.verifier(s, mode)
  if type(out) == "string" then
    -- one digest, of the kind the verifier names (sha256 when it names none): outputs run
    -- to megabytes, and the parent compares only that kind
    report.out_bytes = #out
    report.digest = hp.digest(out, type(v) == "string" and v:match("^(%w+):") or "sha256")
  end
  if type(v) == "function" then
    local vok, good, msg = pcall(v, out, p)
    if not vok then report.error = "verify raised: " .. tostring(good) return end
    if not good then report.error = "verification failed: " .. tostring(msg or "verify returned false") return end
    report.verified = true
  elseif type(v) == "string" then
    if type(out) ~= "string" then
      report.error = "run returned " .. type(out) .. ", not the output string to verify"
      return
    end
    report.verified = true -- the parent compares the digest, so the message shows both
  end
  report.ok = true
end

local ok, err = pcall(main)
if not ok then report.ok, report.error = false, tostring(err) end
send()
os.exit(report.ok and 0 or 1)
