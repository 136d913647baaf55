-- hotpath.http.memory: a server's memory over a load run. Samples RSS and PSS of any process
-- (ours, nginx's worker, a Go or Rust server: /proc/PID/status and smaps_rollup, see
-- csrc/proc/memory.c) under a label (the phase), keeps every sample in a timeline and
-- summarizes each label: first sample, median (steady state), min, max (peak) and swing
-- (max - min), in KiB.
--
--   local w = require("hotpath.http.memory").watch(pid)
--   w:sample("startup")
--   http.load{ ..., tick = 0.1, on_tick = function(p) w:sample(names[p.phase]) end }
--   w:summary()  --> { labels = {...}, startup = { n, first, median, min, max, swing, pss_median, ... },
--                --    start_time = epoch s of the first sample,
--                --    timeline = { { t = 0, label = "startup", rss_kb = .., pss_kb = .. }, ... } }
local util = require "hotpath.util"
local core = util.core

local sort, setmetatable, ipairs = table.sort, setmetatable, ipairs
local clock = core.clock

local M = {}

local Watch = {}
Watch.__index = Watch

-- watch(pid) -> a sampler of that process
function M.watch(pid)
  util.checkint(pid, 1, "watch", 1, 2 ^ 31, "pid")
  return setmetatable({ pid = pid, order = {}, rss = {}, pss = {}, timeline = {} }, Watch)
end

-- Takes one sample under label; returns it, or nil, message when the process is gone. The
-- timeline gets { t, label, rss_kb, pss_kb }: t in seconds since the first sample (monotonic),
-- pss_kb absent where smaps_rollup is unreadable (another user's process).
function Watch:sample(label)
  local m, err = core.http_mem_read(self.pid)
  if not m then return nil, err end
  local now = clock()
  if not self.t0 then self.t0, self.start_time = now, m.time end
  if not self.rss[label] then
    self.order[#self.order + 1] = label
    self.rss[label], self.pss[label] = {}, {}
  end
  local r, p = self.rss[label], self.pss[label]
  r[#r + 1] = m.rss_kb
  p[#p + 1] = m.pss_kb or m.rss_kb
  self.timeline[#self.timeline + 1] = { t = now - self.t0, label = label, rss_kb = m.rss_kb, pss_kb = m.pss_kb }
  return m
end

local function stats(list)
  local s = {}
  for i, v in ipairs(list) do s[i] = v end
  sort(s)
  local n = #s
  local med = n % 2 == 1 and s[(n + 1) / 2] or (s[n / 2] + s[n / 2 + 1]) / 2
  return { n = n, first = list[1], median = med, min = s[1], max = s[n], swing = s[n] - s[1] }
end

-- Per label: RSS statistics (KiB), and pss_median / pss_max; with the timeline of every sample
-- and the wall-clock time of the first (epoch seconds), to line it up with a load result's
-- start_time.
function Watch:summary()
  local out = { labels = self.order, pid = self.pid, start_time = self.start_time, timeline = self.timeline }
  for _, label in ipairs(self.order) do
    local st = stats(self.rss[label])
    local ps = stats(self.pss[label])
    st.pss_median, st.pss_max = ps.median, ps.max
    out[label] = st
  end
  return out
end

-- ---- the web-API memory test ------------------------------------------------------------------
-- The published "web API at 1000 QPS" test, as bench/memory.lua (json server) and bench/db.lua
-- (/db on PostgreSQL) run it: 1000 QPS steady, a 5000 QPS burst, 1000 QPS again.

-- The published figures (MB) the scenarios compare with.
M.WEB_API_REFERENCE = {
  { name = "Rust (actix-web), published", startup_mb = 3.2, steady_mb = 8.1, peak_mb = 14.3, swing_mb = 0.5 },
  { name = "Go, published", startup_mb = 18, steady_mb = 45, peak_mb = 128, swing_mb = 35 },
}

-- The rate profile's lengths (seconds) and connections, the same for every server: 5 s at each
-- 1000 QPS phase is 50 samples, enough for a steady median and the swing, and keeps the four
-- profiles of `make bench` (json server, three database servers) within its time.
M.WEB_API_PARAMS = { steady = 5, burst = 3, connections = 32 }

-- Samples server s (http.start's) at start-up, then every 100 ms while url is loaded at
-- 1000 QPS for p.steady seconds, 5000 QPS for p.burst, 1000 QPS for p.steady (p.connections),
-- and once after. Returns the load result (or nil, message, code) and the memory summary.
function M.web_api(s, url, p)
  local http = require "hotpath.http"
  local w = M.watch(s.pid)
  w:sample("startup")
  local names = { "steady", "burst", "after" }
  local r, err, code = http.load { url = url, connections = p.connections, timeout = 2, tick = 0.1,
    phases = { { 1000, p.steady }, { 5000, p.burst }, { 1000, p.steady } },
    on_tick = function(pr) w:sample(names[pr.phase]) end }
  w:sample("after")
  return r, err, code, w:summary()
end

-- The figures of a web_api run every scenario reports (MB, ms): start-up, steady median, peak,
-- swing (max - min of RSS over the two 1000 QPS phases), steady PSS, steady p99; and whether
-- every response was a 200.
function M.web_api_figures(r, m)
  local swing_kb = math.max(m.steady.max, m.after.max) - math.min(m.steady.min, m.after.min)
  return {
    startup_mb = m.startup.first / 1024, steady_mb = m.steady.median / 1024,
    peak_mb = math.max(m.burst.max, m.steady.max, m.after.max) / 1024, swing_mb = swing_kb / 1024,
    steady_pss_mb = m.steady.pss_median / 1024, p99_ms = r.phases[1].latency.p99 / 1e3,
  }, (r.status["200"] or 0) == r.requests and r.requests > 0
end

return M
