-- LuaJIT: binding of http/ into the core table, the same functions as csrc/lua/lhttp.c.
-- Only marshalling; lua/hotpath/http.lua validates.
local ffi = require "ffi"
local C = require "hotpath.ffi.lib"

local ffi_new, ffi_string, ffi_gc = ffi.new, ffi.string, ffi.gc
local tonumber, setmetatable, error, type = tonumber, setmetatable, error, type

return function(core)
  local fail = core._fail

  core.http_hist_layout = { lowest = C.HP_HIST_LOWEST, significant_digits = C.HP_HIST_SIGNIFICANT_DIGITS,
    highest_bits = C.HP_HIST_HIGHEST_BITS }

  -- A load run: the hp_load handle and the request bytes it reads, kept alive together.
  local Load = {}
  Load.__index = Load

  local function free_run(self)
    if self.h ~= nil then
      C.hp_load_free(ffi_gc(self.h, nil))
      self.h = nil
    end
  end
  Load.__gc = free_run
  Load.__close = free_run
  local function check_open(self)
    if self.h == nil then error("attempt to use a finished load run", 3) end
  end

  function core.http_load_start(t)
    local n = #t.phases
    local ph = ffi_new("hp_load_phase[?]", n)
    for i = 1, n do
      ph[i - 1].rate = t.phases[i].rate or 0
      ph[i - 1].duration = t.phases[i].duration or 0
    end
    local s = ffi_new("hp_load_spec")
    s.host = t.host
    s.port = t.port or 0
    s.request, s.request_len = t.request, #t.request  -- copied by hp_load_start
    s.head = t.head and 1 or 0
    s.threads = t.threads or 1
    s.connections = t.connections or 1
    s.pipeline = t.pipeline or 1
    s.phases, s.nphases = ph, n
    s.warmup = t.warmup and 1 or 0
    s.requests = t.requests or 0
    s.timeout = t.timeout or 2
    local out, errp = ffi_new("hp_load *[1]"), ffi_new("char *[1]")
    local rc = C.hp_load_start(s, out, errp)
    if rc ~= 0 then return fail(rc, errp) end
    -- the cdata's finalizer frees the run if the table is dropped unfinished
    return setmetatable({ h = ffi_gc(out[0], C.hp_load_free) }, Load)
  end

  local pg = ffi_new("hp_load_progress")
  function Load:wait(seconds)
    check_open(self)
    local done = C.hp_load_wait(self.h, seconds or 0, pg) ~= 0
    return done, { elapsed = pg.elapsed, phase = pg.phase + 1, requests = tonumber(pg.requests),
      errors = tonumber(pg.errors) }
  end

  function Load:stop()
    check_open(self)
    C.hp_load_stop(self.h)
  end

  local function latency(x)
    return { count = tonumber(x.count), min = x.min, mean = x.mean, stdev = x.stdev, p50 = x.p50,
      p90 = x.p90, p99 = x.p99, p99_9 = x.p999, p99_99 = x.p9999, max = x.max }
  end
  -- The raw histogram { count, min, max, sum, sumsq, buckets = { lo1, hi1, count1, ... } } (ns),
  -- as csrc/lua/lhttp.c makes it; lua/hotpath/http.lua shapes it.
  local function hist(h)
    if h == nil then return nil end
    local n = tonumber(C.hp_hist_buckets(h, nil, 0))
    local b = ffi_new("hp_hist_bucket[?]", n > 0 and n or 1)
    C.hp_hist_buckets(h, b, n)
    local flat = {}
    for i = 0, n - 1 do
      flat[3 * i + 1], flat[3 * i + 2], flat[3 * i + 3] = tonumber(b[i].lo), tonumber(b[i].hi), tonumber(b[i].count)
    end
    return { count = tonumber(C.hp_hist_count(h)), min = tonumber(C.hp_hist_min(h)),
      max = tonumber(C.hp_hist_max(h)), sum = C.hp_hist_sum(h), sumsq = C.hp_hist_sumsq(h), buckets = flat }
  end
  local function phase(p, h, i)
    return { rate = p.rate, duration = p.duration, sent = tonumber(p.sent),
      requests = tonumber(p.requests), errors = tonumber(p.errors), bytes = tonumber(p.bytes),
      backlog_max = tonumber(p.backlog_max), late = tonumber(p.late),
      latency = latency(p.latency), service = latency(p.service),
      latency_hist = hist(C.hp_load_histogram(h, i, C.HP_LOAD_LATENCY)),
      service_hist = hist(C.hp_load_histogram(h, i, C.HP_LOAD_SERVICE)) }
  end

  function Load:finish()
    check_open(self)
    local r = ffi_new("hp_load_result")
    local errp = ffi_new("char *[1]")
    local rc = C.hp_load_finish(self.h, r, errp)
    if rc ~= 0 then
      free_run(self)
      return fail(rc, errp)
    end
    local h = self.h
    local res = { wall = r.wall, start_time = r.start_time, end_time = r.end_time,
      user = r.user, sys = r.sys, connects = tonumber(r.connects),
      refused = tonumber(r.refused), reset = tonumber(r.reset), closed = tonumber(r.closed),
      timeouts = tonumber(r.timeouts), parse_errors = tonumber(r.parse_errors),
      connect_errors = tonumber(r.connect_errors), first_error = ffi_string(r.first_error),
      status = {}, phases = {}, total = phase(r.total, h, -1) }
    for s = 100, 599 do
      local c = tonumber(r.status[s])
      if c > 0 then res.status[s] = c end
    end
    for i = 0, r.nphases - 1 do res.phases[i + 1] = phase(r.phases[i], h, i) end
    free_run(self) -- the histograms were copied above
    return res
  end

  -- http_hist_merge(list) -> { histogram = raw, latency = figures } | nil, msg, code, position:
  -- as csrc/lua/lhttp.c (histograms as results carry them, buckets { { lo, hi, count }, ... }),
  -- each added with hp_hist_add_buckets.
  local lat_out = ffi_new("hp_load_latency")
  local function u64(v) return type(v) == "number" and v >= 0 and v < 2 ^ 63 and v % 1 == 0 end
  function core.http_hist_merge(list)
    if type(list) ~= "table" then error("bad argument #1 to 'http_hist_merge' (table expected)", 2) end
    local h = ffi_gc(C.hp_hist_new(), C.hp_hist_free)
    if h == nil then return nil, "out of memory", "nomem" end
    local errp = ffi_new("char *[1]")
    for i = 1, #list do
      local x = list[i]
      local bad
      if type(x) ~= "table" or not u64(x.min) or not u64(x.max) then bad = "histogram without whole numbers min and max"
      elseif type(x.buckets) ~= "table" then bad = "histogram without buckets" end
      local bs = not bad and x.buckets
      local nb = bs and #bs or 0
      local b = ffi_new("hp_hist_bucket[?]", nb > 0 and nb or 1)
      for k = 1, nb do
        local t = bs[k]
        if type(t) ~= "table" or not u64(t[1]) or not u64(t[2]) or not u64(t[3]) then
          bad = ("bucket %d is not [lo, hi, count] (whole numbers >= 0)"):format(k)
          break
        end
        b[k - 1].lo, b[k - 1].hi, b[k - 1].count = t[1], t[2], t[3]
      end
      if bad then return nil, bad, "invalid", i end
      local sum, sumsq = x.sum, x.sumsq
      if type(sum) ~= "number" then sum = 0 / 0 end
      if type(sumsq) ~= "number" then sumsq = 0 / 0 end
      local rc = C.hp_hist_add_buckets(h, b, nb, x.min, x.max, sum, sumsq, errp)
      if rc ~= 0 then
        local _, msg, code = fail(rc, errp)
        return nil, msg, code, i
      end
    end
    C.hp_load_latency_of(h, lat_out)
    local res = { latency = latency(lat_out), histogram = hist(h) }
    C.hp_hist_free(ffi_gc(h, nil))
    return res
  end

  function core.http_request(method, target, host, headers, body)
    local out, len, errp = ffi_new("char *[1]"), ffi_new("size_t[1]"), ffi_new("char *[1]")
    local rc = C.hp_http_request_build(method, target, host, headers, body, body and #body or 0, out, len, errp)
    if rc ~= 0 then return fail(rc, errp) end
    local s = ffi_string(out[0], len[0])
    C.hp_free(out[0])
    return s
  end

  function core.http_serve(test, port, threads, duration, host, idle_timeout, request_timeout, pg)
    local s = ffi_new("hp_server_spec")
    s.pg = pg -- the string stays referenced by this frame while the server runs
    s.host, s.port, s.test, s.threads, s.duration, s.ready_fd = host, port, test, threads or 1, duration or 0, -1
    s.idle_timeout, s.request_timeout = idle_timeout or 0, request_timeout or 0
    local errp = ffi_new("char *[1]")
    local rc = C.hp_server_run(s, errp)
    if rc ~= 0 then return fail(rc, errp) end
    return true
  end

  function core.http_child_serve(test, port, threads, duration, idle_timeout, request_timeout, pg)
    local pid, errp = ffi_new("int[1]"), ffi_new("char *[1]")
    local s = ffi_new("hp_server_spec")
    s.pg = pg
    s.port, s.test, s.threads, s.duration, s.ready_fd = port, test, threads or 1, duration or 0, -1
    s.idle_timeout, s.request_timeout = idle_timeout or 0, request_timeout or 0
    local rc = C.hp_child_serve_spec(s, pid, errp)
    if rc ~= 0 then return fail(rc, errp) end
    return pid[0]
  end

  function core.http_child_wait_port(pid, port, timeout)
    local errp = ffi_new("char *[1]")
    local rc = C.hp_child_wait_port(pid, port, timeout, errp)
    if rc ~= 0 then return fail(rc, errp) end
    return true
  end

  function core.http_free_port() return C.hp_free_port() end

  function core.http_mem_read(pid)
    local m, errp = ffi_new("hp_mem_sample"), ffi_new("char *[1]")
    local rc = C.hp_mem_read(pid or 0, m, errp)
    if rc ~= 0 then return fail(rc, errp) end
    local t = { time = m.time, rss_kb = tonumber(m.rss_kb), hwm_kb = tonumber(m.hwm_kb) }
    if m.pss_kb >= 0 then t.pss_kb = tonumber(m.pss_kb) end
    return t
  end

  function core.http_mem_reset_peak(pid)
    local errp = ffi_new("char *[1]")
    local rc = C.hp_mem_reset_peak(pid or 0, errp)
    if rc ~= 0 then return fail(rc, errp) end
    return true
  end
end
