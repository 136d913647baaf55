-- HTTP: the TechEmpower plaintext (pipelining 16) and json tests against our reference
-- servers, nginx and Go net/http when installed, and any URL in $HOTPATH_HTTP_URL, all on this
-- machine.
-- Load comes from hotpath.http.load (one load thread: on 2 cores, one load thread against one
-- server worker beats two). Each server runs in its own process, started in `setup` and
-- stopped at the end of `run`; it also ends by itself with the scenario's process.
local hp = require "hotpath"
local http = hp.http

local SECONDS, QUICK = 5, 1
local HERE = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "bench"

-- server_mb: compared with the server process's RSS (the run's own peak RSS is the load
-- generator's process, not the server's)
local PUBLISHED_PLAINTEXT = {
  { name = "actix-web, published", rps = 1245830, p99_ms = 0.12, server_mb = 3.9, lang = "Rust" },
  { name = "fasthttp, published", rps = 687000, p99_ms = 0.31, lang = "Go" },
  { name = "Go net/http, published", rps = 424000, p99_ms = 0.62, server_mb = 32.7 },
}
local PUBLISHED_JSON = {
  { name = "actix-web, published", rps = 876000, p99_ms = 0.21, server_mb = 4.2, lang = "Rust" },
  { name = "axum, published", rps = 812000, lang = "Rust" },
  { name = "fasthttp, published", rps = 498000, p99_ms = 0.45, server_mb = 28.6, lang = "Go" },
  { name = "Go net/http, published", rps = 313000, p99_ms = 0.78, server_mb = 35.1 },
}

-- The run: load the server, check that every response was a 200, report the figures.
local function loaded(p, state)
  local r, err = http.load { url = state.url, connections = p.connections, threads = 1,
    pipeline = p.pipeline, duration = p.seconds, timeout = 2 }
  local mem = state.server and state.server.pid and state.server:memory()
  if state.server then state.server:stop() end
  if not r then error(err, 0) end
  local other = r.requests - (r.status["200"] or 0)
  local output = string.format("status 200 only: %s; errors: %d", other == 0 and r.requests > 0 and "yes" or "no", r.errors.total)
  return output, {
    rps = r.rps, p50_ms = r.latency.p50 / 1e3, p99_ms = r.latency.p99 / 1e3, max_ms = r.latency.max / 1e3,
    generator_cpu_us_per_request = r.cpu.us_per_request,
    server_mb = mem and mem.rss_kb / 1024 or nil, server_pss_mb = mem and mem.pss_kb and mem.pss_kb / 1024 or nil,
  }
end

local function verify(output)
  if output == "status 200 only: yes; errors: 0" then return true end
  return false, output
end

local function ours(test)
  return function()
    local s = assert(http.start { test = test, duration = 120 })
    return { server = s, url = s.url .. test }
  end
end

local scenarios = {
  hp.scenario "plaintext, hotpath server, pipeline 16" {
    params = { seconds = SECONDS, connections = 256, pipeline = 16 },
    quick = { seconds = QUICK },
    setup = ours("plaintext"),
    run = loaded,
    verify = verify,
    reference = PUBLISHED_PLAINTEXT,
    note = "published figures: 4-core EPYC, wrk on another core set; here load and server share 2 cores",
    headline = { dimension = "HTTP plaintext", workload = "\"Hello, World!\", pipelining 16", show = { "rps", "p99_ms", "server_mb" } },
    timeout = 60,
  },
  hp.scenario "json, hotpath server" {
    params = { seconds = SECONDS, connections = 64, pipeline = 1 },
    quick = { seconds = QUICK },
    setup = ours("json"),
    run = loaded,
    verify = verify,
    reference = PUBLISHED_JSON,
    note = "the body is serialized per request with hotpath's JSON writer (TechEmpower rules)",
    headline = { dimension = "HTTP json", workload = "{\"message\":\"Hello, World!\"} per request", show = { "rps", "p99_ms", "server_mb" } },
    timeout = 60,
  },
}

local ok, nginx = pcall(require, "hotpath.http.nginx")
if ok and nginx.which("nginx") then
  scenarios[#scenarios + 1] = hp.scenario "plaintext, nginx 1 worker, pipeline 16" {
    params = { seconds = SECONDS, connections = 256, pipeline = 16 },
    quick = { seconds = QUICK },
    setup = function()
      local s = assert(nginx.start { duration = 120, pipelined = true })
      return { server = s, url = s.url .. "plaintext" }
    end,
    run = loaded,
    verify = verify,
    reference = PUBLISHED_PLAINTEXT,
    note = "nginx (Debian) with one worker, return 200 \"Hello, World!\", tcp_nodelay off (its best under pipelining: doc/http.md); server_mb is the master's RSS",
    timeout = 60,
  }
end

-- Go net/http (bench/programs/hello_server.go, standard library only), built in setup with
-- the Debian golang-go toolchain (offline; cached by source digest, so only the first run
-- pays the ~7 s cold build), never inside the timed run.
local gok, gopeer = pcall(require, "hotpath.http.go")
local function go_setup(test)
  return function()
    local s = assert(gopeer.start { source = HERE .. "/programs/hello_server.go", duration = 120 })
    return { server = s, url = s.url .. test }
  end
end
local GO_NOTE = "Go net/http (go %s, Debian golang-go), GOMAXPROCS = all cores (Go's default): "
  .. "it shares the 2 cores with the load generator"
if gok and gopeer.which("go") then
  local ver = (io.popen("go env GOVERSION 2>/dev/null"):read("*l") or ""):gsub("^go", "")
  scenarios[#scenarios + 1] = hp.scenario "plaintext, Go net/http, pipeline 16" {
    params = { seconds = SECONDS, connections = 256, pipeline = 16 },
    quick = { seconds = QUICK },
    setup = go_setup("plaintext"),
    run = loaded,
    verify = verify,
    reference = PUBLISHED_PLAINTEXT,
    note = GO_NOTE:format(ver) .. "; net/http answers pipelined requests one at a time",
    timeout = 60,
  }
  scenarios[#scenarios + 1] = hp.scenario "json, Go net/http" {
    params = { seconds = SECONDS, connections = 64, pipeline = 1 },
    quick = { seconds = QUICK },
    setup = go_setup("json"),
    run = loaded,
    verify = verify,
    reference = PUBLISHED_JSON,
    note = GO_NOTE:format(ver) .. "; the body is serialized per request with encoding/json",
    timeout = 60,
  }
else
  io.stderr:write("bench/http.lua: Go scenarios skipped: `go` not on PATH (Debian package golang-go)\n")
end

local url = os.getenv("HOTPATH_HTTP_URL")
if url and url ~= "" then
  scenarios[#scenarios + 1] = hp.scenario("plaintext, " .. url) {
    params = { seconds = SECONDS, connections = 64, pipeline = 1 },
    quick = { seconds = QUICK },
    setup = function() return { url = url } end,
    run = loaded,
    verify = verify,
    note = "a server given by $HOTPATH_HTTP_URL (started by you)",
    timeout = 60,
  }
end

return hp.suite "http" (scenarios)
