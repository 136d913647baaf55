-- Memory: the published "web API at 1000 QPS" test. Our json server starts in a fresh
-- interpreter (its own process, measured alone); we sample its RSS and PSS every 100 ms while
-- it serves 1000 QPS steady, a 5000 QPS burst, then 1000 QPS again, and report start-up,
-- steady-state median, burst peak and the swing during the steady phases. An idle
-- interpreter that loaded hotpath is measured too, so the server's own cost is visible.
local hp = require "hotpath"
local http = hp.http
local watch = require("hotpath.http.memory").watch

local function idle_interpreter_kb()
  local lua = rawget(_G, "jit") and "luajit" or "lua5.4"
  local code = string.format("package.path=%q package.cpath=%q require('hotpath.http')", package.path, package.cpath)
  local r = assert(hp.proc.run { lua, "-e", code, timeout = 30 })
  return r.maxrss_kb
end

return hp.suite "memory" {
  hp.scenario "web API at 1000 QPS (json server)" {
    params = { steady = 10, burst = 3, connections = 32 },
    quick = { steady = 2, burst = 1 },
    setup = function()
      local s = assert(http.start { test = "json", duration = 300 })
      return { server = s, idle_kb = idle_interpreter_kb() }
    end,
    run = function(p, st)
      local s = st.server
      local w = watch(s.pid)
      w:sample("startup")
      local names = { "steady", "burst", "after" }
      local r, err = http.load { url = s.url .. "json", connections = p.connections, timeout = 2, tick = 0.1,
        phases = { { 1000, p.steady }, { 5000, p.burst }, { 1000, p.steady } },
        on_tick = function(pg) w:sample(names[pg.phase]) end }
      w:sample("after")
      s:stop()
      if not r then error(err, 0) end
      local m = w:summary()
      local steady_kb = m.steady.median
      local swing_kb = math.max(m.steady.max, m.after.max) - math.min(m.steady.min, m.after.min)
      local ok_rates = true
      for i, ph in ipairs(r.phases) do
        if math.abs(ph.sent / ph.duration - ph.rate) > 0.01 * ph.rate then ok_rates = false end
      end
      local output = string.format("phases %d, rates met: %s, status 200 only: %s", #r.phases,
        ok_rates and "yes" or "no", (r.status["200"] or 0) == r.requests and r.requests > 0 and "yes" or "no")
      return output, {
        startup_mb = m.startup.first / 1024, steady_mb = steady_kb / 1024,
        peak_mb = math.max(m.burst.max, m.steady.max, m.after.max) / 1024, swing_mb = swing_kb / 1024,
        steady_pss_mb = m.steady.pss_median / 1024,
        idle_interpreter_mb = st.idle_kb / 1024, above_idle_mb = (steady_kb - st.idle_kb) / 1024,
        p99_ms = r.phases[1].latency.p99 / 1e3,
      }, { timeline = m.timeline, pid = m.pid, start_time = m.start_time }
    end,
    verify = function(output)
      if output == "phases 3, rates met: yes, status 200 only: yes" then return true end
      return false, output
    end,
    headline = { dimension = "memory", workload = "web API, 1000 QPS: start-up / steady / 5000 QPS peak / swing",
                 show = { "startup_mb", "steady_mb", "peak_mb", "swing_mb" } },
    reference = {
      { name = "Rust (actix-web), published", startup_mb = 3.2, steady_mb = 8.1, peak_mb = 14.3, swing_mb = 0.5 },
      { name = "Go, published", startup_mb = 18, steady_mb = 45, peak_mb = 128, swing_mb = 35 },
    },
    note = "swing: max - min of RSS over the two 1000 QPS phases (the published figure is +-)",
    timeout = 120,
  },
}
