-- Memory: the published "web API at 1000 QPS" test. Our json server starts in a fresh
-- interpreter (its own process, measured alone); we sample its RSS and PSS every 100 ms while
-- it serves 1000 QPS steady, a 5000 QPS burst, then 1000 QPS again, and report start-up,
-- steady-state median, burst peak and the swing during the steady phases. An idle
-- interpreter that loaded hotpath is measured too, so the server's own cost is visible.
local hp = require "hotpath"
local http = hp.http
local memory = require "hotpath.http.memory"

local function idle_interpreter_kb()
  local lua = rawget(_G, "jit") and "luajit" or "lua5.4"
  local code = string.format("package.path=%q package.cpath=%q require('hotpath.http')", package.path, package.cpath)
  local r = assert(hp.proc.run { lua, "-e", code, timeout = 30 })
  return r.maxrss_kb
end

return hp.suite "memory" {
  hp.scenario "web API at 1000 QPS (json server)" {
    params = memory.WEB_API_PARAMS,
    warmup = 0, -- every run starts its own server: a warm-up run would warm nothing
    quick = { steady = 2, burst = 1 },
    setup = function()
      local s = assert(http.start { test = "json", duration = 300 })
      return { server = s, idle_kb = idle_interpreter_kb() }
    end,
    run = function(p, st)
      local s = st.server
      local r, err, _, m = memory.web_api(s, s.url .. "json", p)
      s:stop()
      if not r then error(err, 0) end
      local figures, all_200 = memory.web_api_figures(r, m)
      local ok_rates = true
      for _, ph in ipairs(r.phases) do
        if math.abs(ph.sent / ph.duration - ph.rate) > 0.01 * ph.rate then ok_rates = false end
      end
      local output = string.format("phases %d, rates met: %s, status 200 only: %s", #r.phases,
        ok_rates and "yes" or "no", all_200 and "yes" or "no")
      figures.idle_interpreter_mb = st.idle_kb / 1024
      figures.above_idle_mb = (m.steady.median - st.idle_kb) / 1024
      return output, figures, { timeline = m.timeline, pid = m.pid, start_time = m.start_time }
    end,
    verify = function(output)
      if output == "phases 3, rates met: yes, status 200 only: yes" then return true end
      return false, output
    end,
    -- claim = false: bench/db.lua's web API row (on PostgreSQL, with the Rust and Go servers
    -- measured beside ours) recomputes the article's memory multipliers; this row has no peers
    headline = { dimension = "memory", workload = "web API, 1000 QPS: start-up / steady / 5000 QPS peak / swing",
                 show = { "startup_mb", "steady_mb", "peak_mb", "swing_mb" }, claim = false },
    reference = memory.WEB_API_REFERENCE,
    note = "swing: max - min of RSS over the two 1000 QPS phases (the published figure is +-)",
    timeout = 120,
  },
}
