-- The `hotpath load` and `hotpath serve` subcommands. Each function takes the arguments after
-- the subcommand's name and returns an exit status (0 ok, 1 failure, 2 usage error); output
-- goes to stdout, errors to stderr.
local http = require "hotpath.http"
local K = require "hotpath.consts"
local launcher = require "hotpath.launcher"

local format, concat, floor, tonumber = string.format, table.concat, math.floor, tonumber
local stdout, stderr = io.stdout, io.stderr

local cli = {}

local LOAD_HELP = [[
usage: hotpath load URL [options]
  -c, --connections N   connections to keep open (default 10)
  -t, --threads N       load threads (default 1)
  -d, --duration T      test duration: 10, 3s, 500ms, 1m (default 10s)
  -n, --requests N      stop after N requests (answered or lost) instead of a duration
  -R, --rate R          constant rate, requests/second (open model; latency from the
                        intended send time, corrected for coordinated omission)
      --phases LIST     RATE:DURATION,... run back to back, each reported on its own,
                        e.g. 1000:10s,5000:5s,1000:10s (rate 0: closed loop); not with
                        -R, -d or -n
      --pipeline N      requests in flight per connection (default 1)
      --warmup T        run T first and leave it out of the results
      --timeout T       per-request timeout (default 2s)
  -m, --method M        request method (default GET)
  -H, --header "N: v"   add a request header (repeatable)
      --body S          request body
      --memory PID      sample PID's RSS and PSS every 100 ms during the run (any server:
                        ours, nginx's worker, Go, Rust); summary per phase in the report,
                        every sample in the JSON (memory.timeline)
      --export-json FILE  also write the full result as JSON to FILE, with the latency
                        histograms, start and end times, host and options ("-": the
                        JSON alone on stdout); --json is an alias
      --export-csv FILE, --export-markdown FILE, --export-html FILE
                        the figures as CSV, a Markdown table, or a self-contained HTML
                        page with the latency percentile curve and the memory timeline;
                        {rank} and {host} in an export path become the copy's index and
                        the host name (hotpath merge joins the copies' JSON)
      --split           -c, -R, -n and --phases' rates are totals over all copies that a
                        launcher started (srun, sbatch --array, Kubernetes indexed jobs,
                        mpirun): this copy runs its share. On by default under a launcher
                        that says how many copies there are; --no-split turns it off
      --start-at T      wait until the wall clock reads T before the first request:
                        seconds since the epoch, a UTC time (2026-12-03T10:00:00Z) or +5s
                        from now. Under srun the default is the step's start + 2 s, so the
                        copies start together; the result says how late each began
  -h, --help            this text
On a terminal a progress line (elapsed, phase, requests, current rate, errors) is shown on
stderr while the run lasts. Traffic goes only to the URL given. A run in which no request got
a response exits 1.]]

local SERVE_HELP = [[
usage: hotpath serve --test plaintext|json|db [--port P] [--threads N] [--duration T] [--host H]
                     [--idle-timeout T] [--request-timeout T] [--pg CONNINFO]
  Runs a reference server (TechEmpower plaintext or json rules) in this process until
  stopped (SIGTERM/SIGINT) or until --duration passes. Default port 8080, host 127.0.0.1.
  --test db: TechEmpower's /db and /queries?queries=N on the PostgreSQL database --pg
  (a libpq conninfo, e.g. "host=127.0.0.1 port=5432 dbname=hello_world user=postgres").
  --idle-timeout: a connection waiting for its next request is closed after T (default 60s);
  --request-timeout: a request not complete T after its first byte gets 408 (default 10s).]]

local function err(msg)
  stderr:write("hotpath: ", msg, "\n")
end

-- Parses argv against a table of flags: name -> { key, takes_value, repeatable }.
local function getopt(argv, flags, positional_max)
  local o, pos = {}, {}
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local name, inline = a:match("^(%-%-[%w-]+)=(.*)$")
    name = name or a
    local f = flags[name]
    if f then
      local v = true
      if f[2] then
        v = inline or argv[i + 1]
        if v == nil then return nil, format("option %s needs a value", name) end
        if not inline then i = i + 1 end
      end
      if f[3] then
        o[f[1]] = o[f[1]] or {}
        local list = o[f[1]]
        list[#list + 1] = v
      else
        o[f[1]] = v
      end
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      return nil, format("unknown option '%s'", a)
    else
      pos[#pos + 1] = a
      if #pos > positional_max then return nil, format("unexpected argument '%s'", a) end
    end
    i = i + 1
  end
  return o, pos
end

local function count(v, name, lo)
  local n = tonumber(v)
  if not n or n ~= floor(n) or n < (lo or 1) then return nil, format("%s must be a whole number >= %d, got '%s'", name, lo or 1, tostring(v)) end
  return n
end

-- Latency in microseconds, as wrk prints it.
local function lat(us)
  if us >= 1e6 then return format("%.2fs", us / 1e6) end
  if us >= 1e3 then return format("%.2fms", us / 1e3) end
  return format("%.2fus", us)
end

local function si(n)
  if n >= 1e9 then return format("%.2fG", n / 1e9) end
  if n >= 1e6 then return format("%.2fM", n / 1e6) end
  if n >= 1e3 then return format("%.2fk", n / 1e3) end
  return format("%.2f", n)
end

local function bytes(n)
  if n >= 2 ^ 30 then return format("%.2fGB", n / 2 ^ 30) end
  if n >= 2 ^ 20 then return format("%.2fMB", n / 2 ^ 20) end
  if n >= 2 ^ 10 then return format("%.2fKB", n / 2 ^ 10) end
  return format("%dB", n)
end

-- KiB as a whole number, or with one decimal for a median between two samples (%d would
-- raise on 10.5 under Lua 5.4).
local function kib(v)
  if floor(v) == v then return format("%d", v) end
  return format("%.1f", v)
end

-- The wrk-like report of a load result.
function cli.report(r, out)
  out = out or stdout
  local L = r.latency
  local w = function(...) out:write(format(...)) end
  w("  %d threads and %d connections%s\n", r.threads, r.connections,
    r.pipeline > 1 and format(", pipeline %d", r.pipeline) or "")
  w("  Thread Stats   Avg      Stdev     Max\n")
  w("    Latency   %9s %9s %9s\n", lat(L.mean), lat(L.stdev), lat(L.max))
  w("  Latency Distribution%s\n", r.mode == "rate" and " (from intended send; corrected)" or "")
  for _, p in ipairs { { "50%", L.p50 }, { "90%", L.p90 }, { "99%", L.p99 }, { "99.9%", L.p99_9 }, { "99.99%", L.p99_99 } } do
    w("  %7s %9s\n", p[1], lat(p[2]))
  end
  if r.mode == "rate" then
    local S = r.service
    w("  Service time (from actual send): 50%% %s  99%% %s  max %s; backlog max %d, late sends %d\n",
      lat(S.p50), lat(S.p99), lat(S.max), r.backlog_max, r.late)
  end
  if #r.phases > 1 then
    for i, p in ipairs(r.phases) do
      w("  phase %d: %s for %.2fs: %d requests, %.1f/s, p50 %s, p99 %s, max %s\n", i,
        p.rate > 0 and format("%g/s", p.rate) or "closed loop", p.duration, p.requests, p.rps,
        lat(p.latency.p50), lat(p.latency.p99), lat(p.latency.max))
    end
  end
  w("  %d requests in %.2fs, %s read\n", r.requests, r.duration, bytes(r.bytes))
  local e = r.errors
  if e.total > 0 then
    w("  Socket errors: connect %d, refused %d, reset %d, closed %d, timeout %d, parse %d\n",
      e.connect, e.refused, e.reset, e.closed, e.timeout, e.parse)
  end
  if e.non2xx > 0 then
    local codes = {}
    for code, n in pairs(r.status) do
      if code:sub(1, 1) ~= "2" then codes[#codes + 1] = format("%s: %d", code, n) end
    end
    table.sort(codes)
    w("  Non-2xx or 3xx responses: %d (%s)\n", e.non2xx, concat(codes, ", "))
  end
  if r.first_error then w("  First error: %s\n", r.first_error) end
  if r.memory then
    local m = r.memory
    w("  Server memory (pid %d, KiB): RSS before %d, after %d\n", m.pid, m.before.first, m.after.first)
    for _, l in ipairs(m.labels) do
      if l ~= "before" and l ~= "after" then
        local x = m[l]
        w("    %-8s RSS median %s, min %d, max %d, swing %d; PSS median %s (%d samples)\n", l, kib(x.median), x.min,
          x.max, x.swing, kib(x.pss_median), x.n)
      end
    end
  end
  if r.launcher or r.sources then
    if r.sources then
      w("  Merged from %d copies (hosts: %s); start skew %.1f ms, common window %.2fs\n", #r.sources,
        concat(r.hosts or {}, ", "), (r.skew or 0) * 1e3, r.window and r.window.seconds or 0)
    else
      w("  Copy %d of %s on %s (%s)%s\n", r.rank, r.count and tostring(r.count) or "?", tostring(r.node or r.host),
        r.launcher, r.split and ", its share of the totals" or "")
    end
  end
  if r.start_at and not r.sources then
    w("  Start: asked for %.3f, began %.1f ms later\n", r.start_at, (r.start_late or 0) * 1e3)
  end
  w("Requests/sec: %10.2f\n", r.rps)
  w("Transfer/sec: %10s\n", bytes(floor(r.bytes_per_sec)))
  w("Generator CPU: %.2fs user, %.2fs sys, %.2f us/request\n", r.cpu.user, r.cpu.sys, r.cpu.us_per_request)
end

-- Minimal JSON for the result (numbers, strings, booleans, nested tables; sorted keys).
local function to_json(v, out)
  local t = type(v)
  if t == "table" then
    if #v > 0 or next(v) == nil and getmetatable(v) == "array" then
      out[#out + 1] = "["
      for i, x in ipairs(v) do
        if i > 1 then out[#out + 1] = "," end
        to_json(x, out)
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = tostring(k) end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = format("%q:", k)
        local x = v[k]
        if x == nil then x = v[tonumber(k)] end
        to_json(x, out)
      end
      out[#out + 1] = "}"
    end
  elseif t == "string" then
    out[#out + 1] = '"' .. v:gsub('[%c"\\]', function(c) return format("\\u%04x", c:byte()) end) .. '"'
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then out[#out + 1] = "null"
    elseif v == floor(v) and v > -2 ^ 53 and v < 2 ^ 53 then out[#out + 1] = format("%d", v)
    else
      local txt = format("%.15g", v) -- the shortest of 15..17 digits that reads back the same
      if tonumber(txt) ~= v then txt = format("%.16g", v) end
      if tonumber(txt) ~= v then txt = format("%.17g", v) end
      out[#out + 1] = txt
    end
  elseif t == "boolean" then
    out[#out + 1] = tostring(v)
  else
    out[#out + 1] = "null"
  end
end
cli.to_json = function(v) local out = {} to_json(v, out) return concat(out) end

local LOAD_FLAGS = {
  ["-c"] = { "connections", true }, ["--connections"] = { "connections", true },
  ["-t"] = { "threads", true }, ["--threads"] = { "threads", true },
  ["-d"] = { "duration", true }, ["--duration"] = { "duration", true },
  ["-n"] = { "requests", true }, ["--requests"] = { "requests", true },
  ["-R"] = { "rate", true }, ["--rate"] = { "rate", true },
  ["--pipeline"] = { "pipeline", true }, ["--warmup"] = { "warmup", true },
  ["--timeout"] = { "timeout", true }, ["-m"] = { "method", true }, ["--method"] = { "method", true },
  ["-H"] = { "headers", true, true }, ["--header"] = { "headers", true, true },
  ["--body"] = { "body", true }, ["--json"] = { "json", true }, ["--export-json"] = { "json", true },
  ["--export-csv"] = { "csv", true }, ["--export-markdown"] = { "markdown", true },
  ["--export-html"] = { "html", true },
  ["--phases"] = { "phases", true }, ["--memory"] = { "memory", true },
  ["--split"] = { "split" }, ["--no-split"] = { "no_split" }, ["--start-at"] = { "start_at", true },
  ["-h"] = { "help" }, ["--help"] = { "help" },
}

-- parse_phases("1000:10s,5000:5s") -> { { rate = 1000, seconds = 10 }, ... } | nil, message.
-- Rates are requests per second (0: closed loop), durations what -d accepts.
function cli.parse_phases(text)
  local list, i = {}, 0
  for part in (text .. ","):gmatch("([^,]*),") do
    i = i + 1
    local r, d = part:match("^%s*([^:]-)%s*:%s*(.-)%s*$")
    local rate, secs = tonumber(r), d and http.seconds(d)
    if not rate or not (rate >= 0 and rate < math.huge) or not secs or not (secs > 0) then
      return nil, format("--phases: bad phase '%s' (expected RATE:DURATION, e.g. 1000:10s)", part)
    end
    list[i] = { rate = rate, seconds = secs }
  end
  return list
end

-- The progress line for p (hp_load_wait's progress) after prev (nil at the first tick): what
-- `hotpath load` shows on a terminal. nphases counts the warm-up when there is one.
function cli.progress_line(p, prev, nphases, warmup)
  local phase
  if warmup and p.phase == 1 then phase = "warm-up"
  else
    local n = nphases - (warmup and 1 or 0)
    phase = n > 1 and format("phase %d/%d", p.phase - (warmup and 1 or 0), n) or "running"
  end
  local dt = p.elapsed - (prev and prev.elapsed or 0)
  local rps = dt > 0 and (p.requests - (prev and prev.requests or 0)) / dt or 0
  return format("%6.1fs  %s  %d requests  %s/s  %d error%s", p.elapsed, phase, p.requests, si(rps),
    p.errors, p.errors == 1 and "" or "s")
end

function cli.load(argv)
  local o, pos = getopt(argv or {}, LOAD_FLAGS, 1)
  if not o then err(pos .. " (see hotpath load --help)") return 2 end
  if o.help then stdout:write(LOAD_HELP, "\n") return 0 end
  if #pos == 0 then err("load: URL expected (see hotpath load --help)") return 2 end
  local opts = { url = pos[1], method = o.method, body = o.body }
  local e
  for _, k in ipairs { "connections", "threads", "pipeline", "requests" } do
    if o[k] then
      opts[k], e = count(o[k], "--" .. k)
      if not opts[k] then err(e) return 2 end
    end
  end
  for _, k in ipairs { "duration", "warmup", "timeout" } do
    if o[k] then
      opts[k] = http.seconds(o[k])
      if not opts[k] or not (opts[k] > 0) then err(format("--%s must be a duration like 3s or 500ms, got '%s'", k, o[k])) return 2 end
    end
  end
  if o.rate then
    opts.rate = tonumber(o.rate)
    if not opts.rate or not (opts.rate > 0) then err(format("--rate must be a positive number, got '%s'", o.rate)) return 2 end
  end
  if o.requests and o.rate then
    err("-n/--requests cannot be combined with -R/--rate (a constant rate runs for a duration: -d)")
    return 2
  end
  if o.phases then
    -- phases say both the rate and the duration of every part of the run
    for _, c in ipairs { { "rate", "-R/--rate" }, { "duration", "-d/--duration" }, { "requests", "-n/--requests" } } do
      if o[c[1]] then err(format("--phases cannot be combined with %s (each phase gives its rate and duration)", c[2])) return 2 end
    end
    opts.phases, e = cli.parse_phases(o.phases)
    if not opts.phases then err(e) return 2 end
  end
  local copy, cerr = launcher.info()
  if not copy then err(cerr) return 2 end
  if o.split and o.no_split then err("--split and --no-split exclude each other") return 2 end
  local split = o.split or (not o.no_split and copy.launcher ~= nil and copy.count ~= nil and copy.count > 1)
  local totals
  if split then
    totals = { connections = opts.connections, rate = opts.rate, requests = opts.requests, phases = opts.phases }
    opts, e = launcher.split(opts, copy)
    if not opts then err(e) return 2 end
  end
  if o.start_at then
    opts.start_at, e = launcher.parse_start_at(o.start_at, require("hotpath.util").core.wallclock())
    if not opts.start_at then err(e) return 2 end
  elseif copy.launcher == "slurm" and (copy.count or 1) > 1 then
    opts.start_at, e = launcher.start_at(copy)
    if not opts.start_at then stderr:write("hotpath: ", e, "; this copy starts at once\n") end
  end
  for _, kind in ipairs { "json", "csv", "markdown", "html" } do
    if o[kind] and o[kind] ~= "-" then o[kind] = launcher.expand(o[kind], copy) end
  end
  if opts.threads and not opts.connections then opts.connections = 10 * opts.threads end
  if o.headers then
    opts.headers = {}
    for i, h in ipairs(o.headers) do
      if not h:match("^[^%s:]+:") then err(format("bad header '%s' (\"Name: value\" expected)", h)) return 2 end
      opts.headers[i] = h
    end
  end
  local nphases = (opts.phases and #opts.phases or 1) + (opts.warmup and 1 or 0)
  local shown = require("hotpath.proc").isatty(2)
  local watch
  if o.memory then
    local pid
    pid, e = count(o.memory, "--memory")
    if not pid or pid > 2 ^ 31 then err(e or "--memory must be a process id") return 2 end
    watch = require("hotpath.http.memory").watch(pid)
    local m, merr = watch:sample("before")
    if not m then err(merr) return 1 end
  end
  local function label(phase)
    if opts.warmup and phase == 1 then return "warm-up" end
    return format("phase %d", phase - (opts.warmup and 1 or 0))
  end
  if shown or watch then
    local prev
    opts.tick = watch and 0.1 or 0.5
    opts.on_tick = function(p)
      if watch then watch:sample(label(p.phase)) end
      if shown and (not prev or p.elapsed - prev.elapsed >= 0.45) then
        stderr:write("\r\27[K", cli.progress_line(p, prev, nphases, opts.warmup ~= nil))
        stderr:flush()
        prev = p
      end
    end
  end
  local ok, r, msg = pcall(http.load, opts)
  if shown then stderr:write("\r\27[K") stderr:flush() end
  if ok and r and watch then
    watch:sample("after")
    r.memory = watch:summary()
  end
  if not ok then
    err((tostring(r):gsub("^bad argument #1 to 'load' %((.*)%)$", "%1")))
    return 2
  end
  if not r then err(msg) return 1 end
  r.launcher, r.rank, r.count, r.host, r.node, r.job = copy.launcher, copy.rank, copy.count, copy.host, copy.node, copy.job
  r.split = split and true or false
  if split then r.totals = totals end
  if o.json ~= "-" then
    local what = format("%.2fs", r.duration)
    if #r.phases > 1 then what = format("%s %d-phase", what, #r.phases)
    elseif r.mode == "rate" then what = format("%s %g req/s", what, r.rate or 0) end
    stdout:write(format("Running %s test @ %s\n", what, r.url))
    cli.report(r)
  end
  if o.json then
    local text = cli.to_json(r) .. "\n"
    if o.json == "-" then
      stdout:write(text)
    else
      local f, ferr = io.open(o.json, "w")
      if not f then err(ferr) return 1 end
      f:write(text)
      f:close()
    end
  end
  for _, kind in ipairs { "csv", "markdown", "html" } do
    if o[kind] then
      local text = require("hotpath.report.load")[kind](r)
      local f, ferr = io.open(o[kind], "w")
      if not f then err(ferr) return 1 end
      f:write(text)
      f:close()
    end
  end
  return 0
end

local SERVE_FLAGS = {
  ["--test"] = { "test", true }, ["--port"] = { "port", true }, ["-p"] = { "port", true },
  ["--threads"] = { "threads", true }, ["-t"] = { "threads", true },
  ["--duration"] = { "duration", true }, ["--host"] = { "host", true },
  ["--idle-timeout"] = { "idle_timeout", true }, ["--request-timeout"] = { "request_timeout", true },
  ["--pg"] = { "pg", true },
  ["-h"] = { "help" }, ["--help"] = { "help" },
}

function cli.serve(argv)
  local o, pos = getopt(argv or {}, SERVE_FLAGS, 0)
  if not o then err(pos .. " (see hotpath serve --help)") return 2 end
  if o.help then stdout:write(SERVE_HELP, "\n") return 0 end
  if o.test ~= "plaintext" and o.test ~= "json" and o.test ~= "db" then
    err(format("serve: --test must be plaintext, json or db%s", o.test and format(", got '%s'", o.test) or ""))
    return 2
  end
  if (o.test == "db") ~= (o.pg ~= nil) then
    err(o.pg and "serve: --pg goes with --test db" or "serve: --test db needs --pg CONNINFO")
    return 2
  end
  local port, threads, e = 8080, 1, nil
  if o.port then
    port, e = count(o.port, "--port")
    if not port or port > 65535 then err(e or "--port must be between 1 and 65535") return 2 end
  end
  if o.threads then
    threads, e = count(o.threads, "--threads")
    if not threads or threads > K.HP_SERVER_MAX_THREADS then
      err(e or format("--threads must be between 1 and %d", K.HP_SERVER_MAX_THREADS))
      return 2
    end
  end
  local duration
  if o.duration then
    duration = http.seconds(o.duration)
    if not duration or not (duration > 0) then err(format("--duration must be a duration like 30s, got '%s'", o.duration)) return 2 end
  end
  local timeouts = {}
  for _, t in ipairs { { "idle_timeout", "--idle-timeout" }, { "request_timeout", "--request-timeout" } } do
    local v = o[t[1]]
    if v then
      timeouts[t[1]] = http.seconds(v)
      if not timeouts[t[1]] or not (timeouts[t[1]] > 0) then err(format("%s must be a duration like 30s, got '%s'", t[2], v)) return 2 end
    end
  end
  stdout:write(format("serving %s on http://%s:%d/ with %d thread%s%s\n", o.test, o.host or "127.0.0.1", port,
    threads, threads == 1 and "" or "s", duration and format(" for %gs", duration) or ""))
  stdout:flush()
  local ok, msg = http.serve { test = o.test, port = port, threads = threads, duration = duration, host = o.host,
    idle_timeout = timeouts.idle_timeout, request_timeout = timeouts.request_timeout, pg = o.pg }
  if not ok then err(msg) return 1 end
  return 0
end

return cli
