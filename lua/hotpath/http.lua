-- hotpath.http: an HTTP load generator and reference servers, for measuring web services on
-- this machine.
--
--   local r, err, code = hotpath.http.load{
--     url = "http://127.0.0.1:8080/plaintext",
--     connections = 64, threads = 1,
--     duration = 5,            -- seconds, or "5s", "500ms", "1m"   (closed loop)
--     requests = 100000,       -- instead of duration: stop after this many requests (answered or lost)
--     rate = 1000,             -- constant rate (open model), requests per second
--     phases = { { rate = 1000, seconds = 10 }, { 5000, 5 } },  -- rate 0: closed loop
--     warmup = 1,              -- seconds run first and left out of the results
--     pipeline = 16, method = "GET", headers = { ["X-A"] = "1" }, body = "...",
--     timeout = 2,             -- seconds per request
--     on_tick = function(progress) end, tick = 1,  -- every tick seconds, never per request
--     start_at = 1796290000.5, -- wait until the wall clock reads this (epoch seconds) before the
--                              -- run; the result says how late it began (start_late)
--   }
--
-- r is JSON-ready: rps, requests, duration, latency (microseconds: p50, p90, p99, p99_9,
-- p99_99, max, min, mean, stdev; from the intended send time in constant-rate mode), service
-- (from the actual send), errors by class, status counts, cpu (the generator's own), phases.
-- Bad URLs, refused connections and unreachable hosts return nil, message, code; so does a run
-- in which no request got a response (code "failed"; the core's message gives the counts by
-- kind and the first error). Misuse raises.
local util = require "hotpath.util"
local machine = require "hotpath.machine"
local core = util.core
local K = require "hotpath.consts"
local yielding = require "hotpath.ngx"

local type, pairs, ipairs, tostring, tonumber = type, pairs, ipairs, tostring, tonumber
local format, concat, sort, floor = string.format, table.concat, table.sort, math.floor
local typename, checkint = util.typename, util.checkint

local http = {}

-- Phases a caller may give: the core's limit less the one a warm-up takes.
local MAX_PHASES = K.HP_LOAD_MAX_PHASES - 1

http.TESTS = { plaintext = K.HP_SERVER_PLAINTEXT, json = K.HP_SERVER_JSON, reset = K.HP_SERVER_RESET,
  stall = K.HP_SERVER_STALL, db = K.HP_SERVER_DB }

local function argerror(pos, fname, msg) util.argerror(pos, fname, msg, 2) end

-- parse_url(url) -> { host, port, target, authority } | nil, message
function http.parse_url(url)
  if type(url) ~= "string" then return nil, "URL must be a string" end
  local rest = url:match("^[hH][tT][tT][pP]://(.*)$")
  if not rest then
    if url:match("^%a[%w+.-]*://") then return nil, format("unsupported URL scheme in '%s' (http:// only)", url) end
    return nil, format("bad URL '%s' (http://host[:port]/path expected)", url)
  end
  local authority, target = rest:match("^([^/?#]*)(.*)$")
  if target == "" then target = "/" end
  if target:sub(1, 1) == "?" then target = "/" .. target end
  target = target:gsub("#.*$", "")
  if target:find("[%s%c]") then return nil, format("bad URL '%s' (spaces in the path)", url) end
  if authority:find("@", 1, true) then return nil, format("bad URL '%s' (user info not supported)", url) end
  local host, port = authority:match("^%[([%x:.]+)%]:?(%d*)$")
  if not host then host, port = authority:match("^([^:]+):?(%d*)$") end
  if not host or host == "" then return nil, format("bad URL '%s' (no host)", url) end
  if authority:sub(-1) == ":" then return nil, format("bad URL '%s' (empty port)", url) end
  port = port ~= "" and tonumber(port) or 80
  if port < 1 or port > 65535 then return nil, format("bad URL '%s' (port out of range)", url) end
  return { host = host, port = port, target = target, authority = authority }
end

-- seconds(v) -> number of seconds from 5, "5", "5s", "500ms", "2m", "1h", or nil
function http.seconds(v)
  if type(v) == "number" then return v == v and v or nil end
  if type(v) ~= "string" then return nil end
  local n, unit = v:match("^%s*([%d.]+)%s*(%a*)%s*$")
  n = tonumber(n)
  if not n then return nil end
  local mult = ({ [""] = 1, s = 1, ms = 1e-3, us = 1e-6, m = 60, h = 3600 })[unit]
  return mult and n * mult or nil
end

-- JSON writers give an empty table with this metatable as [] (lua/hotpath/http/cli.lua).
local ARRAY = { __metatable = "array" }

-- A histogram as results carry it (doc/http.md, "Histograms"): HdrHistogram's layout named by
-- its parameters, then the non-empty buckets as { lo, hi, count } (ns, hi included), with the
-- exact count, min, max, sum and sum of squares, so that runs merge exactly and a reader
-- redraws the percentile curve without knowing how buckets are indexed.
local function histogram_of(h)
  if not h then return nil end
  local layout, flat, b = core.http_hist_layout, h.buckets, setmetatable({}, ARRAY)
  for i = 1, #flat, 3 do b[#b + 1] = { flat[i], flat[i + 1], flat[i + 2] } end
  return { layout = "hdr", unit = "ns", lowest = layout.lowest, highest = floor(2 ^ layout.highest_bits) - 1,
    significant_digits = layout.significant_digits, count = h.count, min = h.min, max = h.max,
    sum = h.sum, sumsq = h.sumsq, buckets = b }
end

-- The binding's latency table (csrc/lua/lhttp.c names its fields: count, min, mean, stdev,
-- p50 ... p99_99, max), completed in place with its histogram: the fields are listed once.
local function latency_of(x, h)
  x.histogram = histogram_of(h)
  return x
end

-- The layout of a histogram as results carry it, in words ("hdr ns 1..137438953471, 3 digits").
local function layout_text(h)
  return format("%s %s %s..%s, %s digits", tostring(h.layout), tostring(h.unit), tostring(h.lowest),
    tostring(h.highest), tostring(h.significant_digits))
end

-- merge_histograms(list) -> latency | nil, message, code, position
-- Merges histograms as results carry them (latency.histogram of a load result) bucket by
-- bucket: the counts are added in the core (hp_hist_add_buckets), so the figures of the merged
-- histogram are exactly those of one histogram fed every sample. Returns the latency table of a
-- result (microseconds, with the merged histogram). A histogram of another layout than this
-- build's, or with a bucket that is not one of the layout, is refused, with its position in list.
function http.merge_histograms(list)
  local mine = histogram_of { buckets = {} }
  for i, h in ipairs(list) do
    if type(h) ~= "table" then return nil, "not a histogram", "invalid", i end
    for _, k in ipairs { "layout", "unit", "lowest", "highest", "significant_digits" } do
      if h[k] ~= mine[k] then
        return nil, format("histogram layout %s, this build merges %s", layout_text(h), layout_text(mine)), "invalid", i
      end
    end
  end
  -- Under LuaJIT, a JSON integer beyond 2^53 decodes as int64 cdata (exact), which the binding
  -- would take for "unknown": a sum of squares can be that large, so it is read as the double
  -- the core kept (a shallow copy; the caller's tables stay as they are).
  local given = list
  for i, h in ipairs(given) do
    if type(h.sum) == "cdata" or type(h.sumsq) == "cdata" then
      if list == given then
        list = {}
        for k, x in ipairs(given) do list[k] = x end
      end
      local c = {}
      for k, v in pairs(h) do c[k] = v end
      c.sum, c.sumsq = tonumber(h.sum), tonumber(h.sumsq)
      list[i] = c
    end
  end
  -- the binding reads the buckets as they are ({ lo, hi, count } each) and checks their values
  local r, err, code, pos = core.http_hist_merge(list)
  if not r then return nil, err, code, pos end
  return latency_of(r.latency, r.histogram)
end

-- The binding's phase table, completed in place: its response rate, its latencies with their
-- histograms (the raw ones leave).
local function phase_of(p)
  p.rps = p.duration > 0 and p.requests / p.duration or 0
  p.latency, p.service = latency_of(p.latency, p.latency_hist), latency_of(p.service, p.service_hist)
  p.latency_hist, p.service_hist = nil, nil
  return p
end

-- The JSON-ready result from the binding's raw one.
local function shape(raw, o)
  local t = raw.total
  local status, non2xx = {}, 0
  for code, n in pairs(raw.status) do
    status[tostring(code)] = n
    if code < 200 or code > 299 then non2xx = non2xx + n end
  end
  local phases = {}
  for i, p in ipairs(raw.phases) do phases[i] = phase_of(p) end
  local cpu = raw.user + raw.sys
  return {
    url = o.url, threads = o.threads, connections = o.connections, pipeline = o.pipeline,
    mode = o.mode, rate = o.rate,
    duration = t.duration, requests = t.requests, sent = t.sent,
    rps = t.duration > 0 and t.requests / t.duration or 0,
    bytes = t.bytes, bytes_per_sec = t.duration > 0 and t.bytes / t.duration or 0,
    latency = latency_of(t.latency, t.latency_hist), service = latency_of(t.service, t.service_hist),
    backlog_max = t.backlog_max, late = t.late,
    status = status,
    errors = { total = raw.refused + raw.reset + raw.closed + raw.timeouts + raw.parse_errors + raw.connect_errors,
      lost = t.errors, refused = raw.refused, reset = raw.reset, closed = raw.closed,
      timeout = raw.timeouts, parse = raw.parse_errors, connect = raw.connect_errors, non2xx = non2xx },
    connects = raw.connects,
    cpu = { user = raw.user, sys = raw.sys, total = cpu,
      us_per_request = t.requests > 0 and cpu / t.requests * 1e6 or 0 },
    wall = raw.wall, start_time = raw.start_time, end_time = raw.end_time,
    hostname = machine.hostname(), options = o.options,
    phases = phases,
    first_error = raw.first_error ~= "" and raw.first_error or nil,
  }
end

-- Misuse found while validating load options: raised by http.load at its caller.
local MISUSE = {}
local function misuse(msg) error({ [MISUSE] = msg }) end

-- An integer in [lo, hi], with util.checkint's messages.
local function count(v, _, _, lo, hi, what)
  if type(v) ~= "number" or v ~= v or floor(v) ~= v then
    misuse(format("%s: integer expected, got %s", what, type(v) == "number" and tostring(v) or typename(v)))
  end
  if v < lo or v > hi then
    misuse(format("%s must be between %s and %s, got %s", what, format("%.17g", lo), format("%.17g", hi), format("%.17g", v)))
  end
  return v
end

local function header_block(h)
  if h == nil then return nil end
  if type(h) ~= "table" then misuse("headers must be a table") end
  local lines = {}
  for k, v in pairs(h) do
    local line
    if type(k) == "number" then line = v else line = tostring(k) .. ": " .. tostring(v) end
    if type(line) ~= "string" or not line:match("^[^%s:]+:[^\r\n]*$") then
      misuse("headers must be Name = value pairs or \"Name: value\" strings")
    end
    lines[#lines + 1] = line .. "\r\n"
  end
  sort(lines)
  return concat(lines)
end

local function checkpos(v, what)
  if type(v) ~= "number" or not (v > 0) or v == math.huge then
    misuse(format("%s must be a positive number, got %s", what, type(v) == "number" and tostring(v) or typename(v)))
  end
  return v
end

-- Validates load options into the binding's spec and a description of the run.
local LOAD_OPTS = {
  url = true, connections = true, threads = true, duration = true, requests = true, rate = true,
  phases = true, pipeline = true, method = true, headers = true, body = true, timeout = true,
  on_tick = true, tick = true, warmup = true, start_at = true,
}

local function load_spec(o)
  local fname = "load"
  if type(o) ~= "table" then misuse("options table expected, got " .. typename(o)) end
  local unknown = util.unknown_option(o, LOAD_OPTS)
  if unknown then misuse(unknown) end
  local url = o.url
  if type(url) ~= "string" then misuse("url must be a string") end
  local u, uerr = http.parse_url(url)
  if not u then return nil, uerr end
  local threads = count(o.threads or 1, 1, fname, 1, K.HP_LOAD_MAX_THREADS, "threads")
  local connections = count(o.connections or 10 * threads, 1, fname, threads, K.HP_LOAD_MAX_CONNECTIONS, "connections")
  local pipeline = count(o.pipeline or 1, 1, fname, 1, K.HP_LOAD_MAX_PIPELINE, "pipeline")
  local method = o.method or "GET"
  if type(method) ~= "string" or not method:match("^%u+$") then misuse("method must be an upper-case word") end
  if o.body ~= nil and type(o.body) ~= "string" then misuse("body must be a string") end
  local timeout = http.seconds(o.timeout or 2)
  if not timeout then misuse("timeout must be a duration") end
  checkpos(timeout, "timeout")
  if o.on_tick ~= nil and type(o.on_tick) ~= "function" then misuse("on_tick must be a function") end
  local tick = http.seconds(o.tick or 1)
  if not tick or tick < 0.01 then misuse("tick must be at least 10 ms") end
  local requests = 0
  if o.requests ~= nil then requests = count(o.requests, 1, fname, 1, 2 ^ 53, "requests") end
  if o.start_at ~= nil and type(o.start_at) ~= "number" then
    misuse("start_at must be a number (seconds since the epoch), got " .. typename(o.start_at))
  end

  local phases, mode = {}, "closed"
  if o.phases ~= nil then
    if o.rate ~= nil or o.duration ~= nil or o.requests ~= nil then
      misuse("phases cannot be combined with rate, duration or requests")
    end
    if type(o.phases) ~= "table" or #o.phases == 0 or #o.phases > MAX_PHASES then
      misuse(format("phases must be a list of 1 to %d { rate = r, seconds = s }", MAX_PHASES))
    end
    for i, p in ipairs(o.phases) do
      if type(p) ~= "table" then misuse(format("phases[%d] must be a table", i)) end
      local rate, secs = p.rate or p[1], http.seconds(p.seconds or p.duration or p[2])
      if type(rate) ~= "number" or rate < 0 or rate ~= rate or rate >= 1e9 then
        misuse(format("phases[%d]: rate must be a number >= 0", i))
      end
      if not secs or not (secs > 0) then misuse(format("phases[%d]: seconds must be positive", i)) end
      phases[i] = { rate = rate, duration = secs }
      if rate > 0 then mode = "rate" end
    end
  else
    local d = o.duration
    if d ~= nil then
      d = http.seconds(d)
      if not d then misuse("duration must be a number of seconds or a string like \"3s\"") end
      checkpos(d, "duration")
    end
    if requests > 0 and o.rate ~= nil then misuse("requests cannot be combined with rate") end
    if requests > 0 then d = d or 3600 else d = d or 10 end
    local rate = o.rate or 0
    if o.rate ~= nil then checkpos(rate, "rate"); mode = "rate" end
    phases[1] = { rate = rate, duration = d }
  end
  local warmup = false
  if o.warmup ~= nil and o.warmup ~= 0 then
    local w = http.seconds(o.warmup)
    if not w or not (w > 0) then misuse("warmup must be a positive duration") end
    table.insert(phases, 1, { rate = phases[1].rate, duration = w })
    warmup = true
  end
  local headers = header_block(o.headers)
  local request, rerr, rcode = core.http_request(method, u.target, u.authority, headers, o.body)
  if not request then return nil, rerr, rcode end
  -- the run as asked, normalized (durations in seconds), for the results
  local options = { url = url, method = method, threads = threads, connections = connections,
    pipeline = pipeline, timeout = timeout, requests = requests > 0 and requests or nil,
    warmup = warmup and phases[1].duration or nil, phases = {},
    headers = headers and setmetatable({}, ARRAY) or nil, body_bytes = o.body and #o.body or nil }
  for i = warmup and 2 or 1, #phases do
    options.phases[#options.phases + 1] = { rate = phases[i].rate, duration = phases[i].duration }
  end
  if headers then
    for line in headers:gmatch("([^\r\n]+)\r\n") do options.headers[#options.headers + 1] = line end
  end
  return {
    host = u.host, port = u.port, request = request, head = method == "HEAD", threads = threads,
    connections = connections, pipeline = pipeline, phases = phases, warmup = warmup,
    requests = requests, timeout = timeout,
  }, { url = url, threads = threads, connections = connections, pipeline = pipeline, mode = mode,
    rate = mode == "rate" and #phases == 1 + (warmup and 1 or 0) and phases[#phases].rate or nil,
    on_tick = o.on_tick, tick = tick, options = options, start_at = o.start_at }
end

-- load(opts): see the top of this file.
--
-- In nginx's Lua module the generator runs on its own threads and a request handler or a timer
-- awaits it, yielding between polls, so the worker keeps serving (its own requests included).
-- In a phase that cannot yield (init_worker, set, header_filter, log, ...) it would block the
-- worker for the whole run: load raises there, with a message that says so.
function http.load(o)
  local ngx, phase = yielding.context()
  if not ngx and phase then
    error(format("hotpath.http.load cannot run in nginx's %s phase: it would block the worker for the whole run; " ..
      "call it from a request handler (content_by_lua*) or a timer (ngx.timer.at)", phase), 2)
  end
  local ok, spec, desc, code = pcall(load_spec, o)
  if not ok then
    if type(spec) == "table" and spec[MISUSE] then error(format("bad argument #1 to 'load' (%s)", spec[MISUSE]), 2) end
    error(spec, 0)
  end
  if not spec then return nil, desc, code or "invalid" end
  if desc.start_at then
    local waited, werr, wcode = core.sleep_until(desc.start_at)
    if not waited then return nil, "start_at: " .. werr, wcode end
  end
  local run, err, ecode = core.http_load_start(spec)
  if not run then return nil, err, ecode end
  local on_tick, tick = desc.on_tick, desc.tick
  local progress_now
  if ngx then
    -- a poll that never blocks, with the progress of this moment
    progress_now = function() local d, p = run:wait(0) return d, p end
  end
  while true do
    local done, progress
    if ngx then
      local waited = yielding.await(ngx, function()
        done, progress = progress_now()
        return done
      end, on_tick and tick or 1)
      done = waited
    else
      done, progress = run:wait(on_tick and tick or 1)
    end
    if done then break end
    if on_tick then
      local ok, e = pcall(on_tick, progress)
      if not ok then
        run:stop()
        run:finish()
        error(e, 0)
      end
    end
  end
  local raw, ferr, fcode = run:finish()
  if not raw then return nil, ferr, fcode end
  local r = shape(raw, desc)
  if desc.start_at then
    r.start_at = desc.start_at
    r.start_late = r.start_time - desc.start_at -- the set-up after the wait, 2 ms lead included
  end
  return r
end

-- ---- servers ----------------------------------------------------------------------------------

local function check_test(test, fname)
  local t = http.TESTS[test]
  if not t then util.argerror(1, fname, "test must be \"plaintext\", \"json\" or \"db\"", 2) end
  return t
end

-- The db test's conninfo (libpq key=value, see hotpath.pg): required with test "db".
local function check_pg(o, fname)
  if o.pg ~= nil and type(o.pg) ~= "string" then util.argerror(1, fname, "pg must be a conninfo string", 2) end
  if o.test == "db" and (not o.pg or o.pg == "") then
    util.argerror(1, fname, "test \"db\" needs pg (a PostgreSQL conninfo string)", 2)
  end
  return o.pg
end

-- The server's timeouts from options (durations; nil: the server's defaults, 60 s and 10 s).
local function timeouts(o, fname)
  local idle, request = 0, 0
  if o.idle_timeout ~= nil then
    idle = http.seconds(o.idle_timeout)
    if not idle or not (idle > 0) then util.argerror(1, fname, "idle_timeout must be a positive duration", 2) end
  end
  if o.request_timeout ~= nil then
    request = http.seconds(o.request_timeout)
    if not request or not (request > 0) then util.argerror(1, fname, "request_timeout must be a positive duration", 2) end
  end
  return idle, request
end

-- serve{ test = "plaintext"|"json"|"db", port = P, threads = 1, duration = nil, host = "127.0.0.1",
--        idle_timeout = 60, request_timeout = 10, pg = conninfo (test "db": its database) }:
-- runs the reference server in this process until duration passes (forever without one).
local SERVE_OPTS = { test = true, port = true, threads = true, duration = true, host = true,
  idle_timeout = true, request_timeout = true, pg = true }
local START_OPTS = { test = true, port = true, threads = true, duration = true, process = true,
  command = true, output = true, runtime = true, wait = true, idle_timeout = true, request_timeout = true,
  pg = true }

function http.serve(o)
  if type(o) ~= "table" then argerror(1, "serve", "options table expected, got " .. typename(o)) end
  util.checkkeys(o, SERVE_OPTS, 1, "serve")
  local t = check_test(o.test, "serve")
  checkint(o.port, 1, "serve", 1, 65535, "port")
  checkint(o.threads or 1, 1, "serve", 1, K.HP_SERVER_MAX_THREADS, "threads")
  local d = o.duration and http.seconds(o.duration) or 0
  local idle, request = timeouts(o, "serve")
  local pg = check_pg(o, "serve")
  return core.http_serve(t, o.port, o.threads or 1, d, o.host, idle, request, pg)
end

local Server = {}
Server.__index = Server

-- Stops the server process (SIGTERM, then SIGKILL after 2 s) and reaps it; idempotent.
function Server:stop()
  if self.pid then
    core.proc_stop(self.pid, 2)
    self.pid = nil
  end
  return true
end
Server.__gc = Server.stop
Server.__close = Server.stop

function Server:memory()
  if not self.pid then error("attempt to use a stopped server", 2) end
  return core.http_mem_read(self.pid)
end

-- The interpreter running this code, for starting a fresh one.
local function interpreter()
  local a = rawget(_G, "arg")
  local i, prog = -1, nil
  while a and a[i] do prog = a[i]; i = i - 1 end
  if prog and (prog:match("lua") or prog:match("jit")) then return prog end
  return rawget(_G, "jit") and "luajit" or "lua5.4"
end

-- start{ test = "plaintext", port = nil (a free one), threads = 1, duration = 60,
--        process = "fresh" | "fork", command = {argv...}, idle_timeout = 60, request_timeout = 10,
--        pg = conninfo (test "db") }
-- Starts a server in the background on 127.0.0.1 and returns once it accepts connections:
-- a handle with pid, port, url, stop(), memory(). "fresh" (default) starts a new interpreter
-- running the reference server (its memory is the server's alone); "fork" forks this process
-- from C; command starts any program (use {port} in its arguments for the port). The server
-- ends by itself after duration seconds, and with this process.
function http.start(o)
  local fname = "start"
  o = util.checkopts(o, 1, fname, 1, START_OPTS)
  local port = o.port or core.http_free_port()
  checkint(port, 1, fname, 1, 65535, "port")
  local threads = checkint(o.threads or 1, 1, fname, 1, K.HP_SERVER_MAX_THREADS, "threads")
  local duration = http.seconds(o.duration or 60)
  if not duration or not (duration > 0) then argerror(1, fname, "duration must be a positive duration") end
  local idle, request = timeouts(o, fname)
  local pid, err, code
  if o.command then
    if type(o.command) ~= "table" or #o.command == 0 then argerror(1, fname, "command must be a list of strings") end
    local argv = {}
    for i, a in ipairs(o.command) do argv[i] = (tostring(a):gsub("{port}", tostring(port))) end
    pid, err, code = core.proc_start(argv, o.output)
  else
    local t = check_test(o.test or "plaintext", fname)
    local pg = check_pg(o, fname)
    if o.process == "fork" then
      pid, err, code = core.http_child_serve(t, port, threads, duration, idle, request, pg)
    elseif o.process == nil or o.process == "fresh" then
      local extra = (idle > 0 and format(",'--idle-timeout','%.0fus'", idle * 1e6) or "") ..
        (request > 0 and format(",'--request-timeout','%.0fus'", request * 1e6) or "") ..
        (pg and format(",'--pg',%q", pg) or "")
      local boot = format("package.path=%q package.cpath=%q os.exit(require('hotpath.http.cli').serve{'--test',%q,'--port','%d','--threads','%d','--duration','%g'%s})",
        package.path, package.cpath, o.test or "plaintext", port, threads, duration, extra)
      pid, err, code = core.proc_start({ o.runtime or interpreter(), "-e", boot }, o.output)
    else
      argerror(1, fname, "process must be \"fresh\" or \"fork\"")
    end
  end
  if not pid then return nil, err, code end
  local ok, werr, wcode = core.http_child_wait_port(pid, port, o.wait or 10)
  if not ok then
    core.proc_stop(pid, 1)
    return nil, werr, wcode
  end
  local s = setmetatable({ pid = pid, port = port, url = format("http://127.0.0.1:%d/", port) }, Server)
  if rawget(_G, "newproxy") then -- LuaJIT: tables have no __gc; a proxy stops the server
    local proxy = newproxy(true)
    getmetatable(proxy).__gc = function() s:stop() end
    s._proxy = proxy
  end
  return s
end

-- errors_text(r [, except]) -> "0", or the count of a load result's errors with their kinds and
-- the first error: "12 (timeout 10, reset 2; first: ...)", for a scenario's output line. except
-- names one kind left out of the count ("timeout": a figure of a slow server, not a broken one).
local ERROR_KINDS = { "connect", "refused", "reset", "closed", "timeout", "parse" }
function http.errors_text(r, except)
  local e = r.errors
  local total, parts = 0, {}
  for _, k in ipairs(ERROR_KINDS) do
    if k ~= except and (e[k] or 0) > 0 then
      total = total + e[k]
      parts[#parts + 1] = k .. " " .. e[k]
    end
  end
  if total == 0 then return "0" end
  return format("%d (%s%s)", total, concat(parts, ", "), r.first_error and ("; first: " .. r.first_error) or "")
end

-- For the load scenarios of bench/ (http.lua, db.lua): scenario_figures(r, mem) -> the run's
-- output line and its figures, from a load result and the server's memory (http.memory's, or
-- nil). Every response must be a 200 and no request may fail, except by timing out: a request
-- unanswered within the load's timeout is a figure (timeouts: the server starved a connection
-- that long), not a broken server. scenario_verify(output) -> true | false, output.
local SCENARIO_OK = "status 200 only: yes; errors: 0"
function http.scenario_figures(r, mem)
  local other = r.requests - (r.status["200"] or 0)
  local output = format("status 200 only: %s; errors: %s", other == 0 and r.requests > 0 and "yes" or "no",
    http.errors_text(r, "timeout"))
  return output, {
    rps = r.rps, timeouts = r.errors.timeout,
    p50_ms = r.latency.p50 / 1e3, p99_ms = r.latency.p99 / 1e3, max_ms = r.latency.max / 1e3,
    server_mb = mem and mem.rss_kb / 1024 or nil, server_pss_mb = mem and mem.pss_kb and mem.pss_kb / 1024 or nil,
  }
end

function http.scenario_verify(output)
  if output == SCENARIO_OK then return true end
  return false, output
end

-- free_port() -> a TCP port on 127.0.0.1 that was free a moment ago
function http.free_port() return core.http_free_port() end

-- memory(pid) -> { rss_kb, hwm_kb, pss_kb } | nil, message, code
function http.memory(pid)
  checkint(pid or 0, 1, "memory", 0, 2 ^ 31, "pid")
  return core.http_mem_read(pid or 0)
end

-- reset_peak(pid): resets the process's peak RSS (VmHWM), so a phase's peak can be read alone.
function http.reset_peak(pid)
  checkint(pid, 1, "reset_peak", 1, 2 ^ 31, "pid")
  return core.http_mem_reset_peak(pid)
end

return http
