-- Noise warnings: what else was going on while the runs were measured.
--
-- A snapshot reads the machine's CPU counters (/proc/stat: busy and steal time of all cores),
-- swap activity (/proc/vmstat), the load average and this process's own CPU time. Between two
-- snapshots, the CPU time that neither we nor our measured children used is other processes'
-- work: on a 2-core machine, two busy neighbours take about as much as the runs do. assess()
-- turns a quiet sample taken before the runs, the window of the runs, and the scenarios' own
-- spreads and outliers into warnings, each with its figure and what to do.
--
-- Every figure comes from plain data (snapshot tables), so assess() can be checked with
-- invented snapshots; snapshot() is the only function that reads /proc.
local tonumber, format, ipairs, pairs, type, floor = tonumber, string.format, ipairs, pairs, type, math.floor

local M = {}

-- Thresholds, documented in doc/measurement.md.
M.OTHER_CORES = 0.25     -- other processes' average use of the cores, in cores
M.STEAL_PCT = 5          -- time the hypervisor gave to other guests, % of the window's CPU time
M.SPREAD_PCT = 5         -- a scenario's MAD spread, % of its median
M.MIN_WINDOW = 0.5       -- seconds: a shorter window's jiffies (10 ms each) say too little
M.HZ = 100               -- USER_HZ of /proc/stat and /proc/self/stat on Linux

local read = require("hotpath.machine").read

-- Parses the "cpu " line of /proc/stat: returns busy and steal jiffies (nil if unreadable).
-- busy counts user, nice, system, irq and softirq (guest time is already inside user).
function M.parse_stat(text)
  local f = {}
  local line = text and text:match("^cpu%s+([^\n]+)")
  if not line then return nil end
  for n in line:gmatch("%d+") do f[#f + 1] = tonumber(n) end
  local busy = (f[1] or 0) + (f[2] or 0) + (f[3] or 0) + (f[6] or 0) + (f[7] or 0)
  return busy, f[8] or 0
end

-- This process's own user + system jiffies from /proc/self/stat (fields 14 and 15, counted
-- after the command name, which may hold spaces and parentheses).
function M.parse_self_stat(text)
  local rest = text and text:match("^.*%)%s+(.*)$")
  if not rest then return nil end
  local f = {}
  for w in rest:gmatch("%S+") do f[#f + 1] = w end
  -- rest starts at field 3 (state): utime is field 14, stime 15
  return (tonumber(f[12]) or 0) + (tonumber(f[13]) or 0)
end

-- A snapshot of the machine's counters at wall-clock time t (seconds, any monotonic origin).
function M.snapshot(t)
  local busy, steal = M.parse_stat(read("/proc/stat"))
  local vm = read("/proc/vmstat") or ""
  local la = read("/proc/loadavg") or ""
  return {
    t = t, busy = busy, steal = steal, self = M.parse_self_stat(read("/proc/self/stat")),
    swap = (tonumber(vm:match("pswpin (%d+)")) or 0) + (tonumber(vm:match("pswpout (%d+)")) or 0),
    loadavg = tonumber(la:match("^(%S+)")),
  }
end

-- The window between two snapshots: seconds, other processes' average cores, steal %, pages
-- swapped. children_cpu: CPU seconds of the processes we started and measured in the window.
function M.window(a, b, children_cpu)
  local w = { seconds = b.t - a.t, swapped_pages = (b.swap or 0) - (a.swap or 0), loadavg = b.loadavg }
  if not (a.busy and b.busy) or w.seconds <= 0 then return w end
  local busy = (b.busy - a.busy) / M.HZ
  local own = ((b.self or 0) - (a.self or 0)) / M.HZ + (children_cpu or 0)
  local other = busy - own
  if other < 0 then other = 0 end -- jiffies are coarse: our share may round above the total
  w.other_cores = other / w.seconds
  local steal = (b.steal - a.steal) / M.HZ
  local total = busy + steal
  w.steal_pct = total > 0 and 100 * steal / total or 0
  return w
end

local function warn(list, kind, value, message)
  list[#list + 1] = { kind = kind, value = value, message = message }
end

-- Warnings for a run. before: the window of a quiet sample taken before the runs (nothing of
-- ours running), during: the window of the runs, cores: the machine's cores, governor: the CPU
-- frequency governor or nil, results: the scenario results (summary.run_s.spread_pct and
-- outliers). Returns a list of { kind, value, message }.
function M.assess(before, during, cores, governor, results)
  local list = {}
  if before and before.other_cores and before.seconds >= 0.1 and before.other_cores >= M.OTHER_CORES then
    warn(list, "busy_before", before.other_cores, format(
      "the machine was busy before the runs: other processes used %.2f of %d cores; close them, or rerun on a quiet machine",
      before.other_cores, cores))
  end
  if during and during.other_cores and during.seconds >= M.MIN_WINDOW and during.other_cores >= M.OTHER_CORES then
    warn(list, "busy_during", during.other_cores, format(
      "other processes used %.2f of %d cores on average while the runs ran (%.1f s): the figures are slower and noisier than on a quiet machine; close them and rerun",
      during.other_cores, cores, during.seconds))
  end
  if during and during.steal_pct and during.seconds >= M.MIN_WINDOW and during.steal_pct >= M.STEAL_PCT then
    warn(list, "steal", during.steal_pct, format(
      "the hypervisor took %.0f%% of the CPU time for other guests (steal) while the runs ran: compare only figures measured side by side in one run",
      during.steal_pct))
  end
  if during and (during.swapped_pages or 0) > 0 then
    warn(list, "swap", during.swapped_pages, format(
      "%d pages were swapped in or out while the runs ran: memory is short, and times include disk waits; free memory and rerun",
      during.swapped_pages))
  end
  if governor and governor ~= "performance" and governor ~= "n/a" then
    warn(list, "governor", governor, format(
      "the CPU frequency governor is '%s': the clock moves with the load; for steadier figures set 'performance' (cpupower frequency-set -g performance)",
      governor))
  end
  for _, r in ipairs(results or {}) do
    local t = r.ok and r.summary and r.summary.run_s
    if t and t.n and t.n >= 3 and t.spread_pct and t.spread_pct > M.SPREAD_PCT then
      warn(list, "spread", t.spread_pct, format(
        "%s: spread +- %.1f%% is above %d%%: the runs disagree; rerun with more --runs on a quieter machine",
        r.id or r.name, t.spread_pct, M.SPREAD_PCT))
    end
    if t and t.outliers and #t.outliers > 0 then
      warn(list, "outliers", #t.outliers, format(
        "%s: %d of %d runs are outliers (more than 3 scaled MADs from the median): something else ran then",
        r.id or r.name, #t.outliers, t.n))
    end
  end
  return list
end

-- Rounds a window's figures for the results (two decimals are plenty for jiffy-based figures).
function M.rounded(w)
  if not w then return nil end
  local r = {}
  for k, v in pairs(w) do
    r[k] = type(v) == "number" and floor(v * 100 + 0.5) / 100 or v
  end
  return r
end

return M
