-- HTTP: the TechEmpower plaintext (pipelining 16) and json tests against hotpath's reference
-- server, nginx, the Rust peer (hyper 0.14 on tokio's multi-thread runtime) and the Go peers
-- (net/http, fasthttp, gin built with its jsoniter tag), and any URL in $HOTPATH_HTTP_URL, all
-- on this machine. actix-web and axum are not packaged in Debian 12 (they cannot be built
-- offline), so hyper is the Rust peer; fasthttp, the fastest Go one, is the Go headline.
-- Every server is started in `setup` on a free port, checked against the TechEmpower rules on
-- one response (hotpath.http.techempower: a server that breaks one fails its scenario, never
-- measured), loaded by hotpath.http.load (one load thread: on 2 cores, one load thread against
-- one server worker beats two), and stopped by PID at the end of `run`; it also ends by itself
-- with the scenario's process. The peers are built in setup (hotpath.peers, cached by source
-- digest: untimed); a missing toolchain makes their scenarios skipped.
local hp = require "hotpath"
local http = hp.http
local te = require "hotpath.http.techempower"
local peers = require "hotpath.peers"

local SECONDS, QUICK = 3, 1
-- No warm-up run: every run starts its own server in setup (untimed) and loads it from cold, as
-- the counted runs do, so a warm-up run would warm nothing they share.
local WARMUP = 0
local PLAINTEXT = { seconds = SECONDS, connections = 256, pipeline = 16, server_threads = 1 }
local JSON = { seconds = SECONDS, connections = 64, pipeline = 1, server_threads = 1 }
local PLAINTEXT_ROW = { dimension = "HTTP plaintext", workload = "\"Hello, World!\", pipelining 16", show = { "rps", "p99_ms", "server_mb" } }
local JSON_ROW = { dimension = "HTTP json", workload = "{\"message\":\"Hello, World!\"} per request", show = { "rps", "p99_ms", "server_mb" } }

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
  local output, figures = http.scenario_figures(r, mem) -- timeouts (2 s) are a figure, not a failure
  figures.generator_cpu_us_per_request = r.cpu.us_per_request
  return output, figures, state.record
end

local verify = http.scenario_verify

-- A started server, checked against the TechEmpower rules for test before it is loaded: the
-- state of `loaded`, or an error naming the broken rule (the server is stopped first).
local function checked(s, test, record)
  local url = s.url .. test
  local ok, err = te.check(url, test)
  if not ok then
    s:stop()
    error(err, 0)
  end
  return { server = s, url = url, record = record }
end

local function ours(test)
  return function(p)
    return checked(assert(http.start { test = test, threads = p.server_threads, duration = 120 }), test)
  end
end

-- A peer server (bench/peers/<lang>/<program>, `--port P --threads N --duration S`), built in
-- setup.
local function peer(lang, program, test)
  return function(p)
    local b, skip = peers.need(lang, program)
    if not b then return skip end
    local s = assert(http.start { command = { b.path, "--port", "{port}", "--threads", tostring(p.server_threads),
      "--duration", "120" }, duration = 120 })
    return checked(s, test, { peer = peers.record(lang, program, b) })
  end
end

local function nginx_setup()
  local ok, nginx = pcall(require, "hotpath.http.nginx")
  if not (ok and nginx.which("nginx")) then return hp.skip("nginx not installed (apt-get install nginx)") end
  return checked(assert(nginx.start { duration = 120, pipelined = true }), "plaintext")
end

local function scenario(name, def)
  local s = { params = def.test == "plaintext" and PLAINTEXT or JSON, quick = { seconds = QUICK },
    setup = def.setup, run = loaded, verify = verify, note = def.note, headline = def.headline,
    reference = def.test == "plaintext" and PUBLISHED_PLAINTEXT or PUBLISHED_JSON, timeout = 60, warmup = WARMUP }
  return hp.scenario(name)(s)
end

local function headline(row, lang)
  local h = {}
  for k, v in pairs(row) do h[k] = v end
  h.peer = lang
  return h
end

-- server_threads = 1 for every server (hotpath's, nginx's one worker, the peers' --threads:
-- tokio worker threads or GOMAXPROCS): on 2 cores shared with the load generator one thread
-- served more than the runtimes' default of one per core (doc/http.md, "The HTTP peers").
local CORES = "one worker thread (--threads 1: tokio worker threads or GOMAXPROCS; doc/http.md)"
local scenarios = {
  scenario("plaintext, hotpath server, pipeline 16", { test = "plaintext", setup = ours("plaintext"),
    note = "one server thread; published figures: 4-core EPYC, wrk on another core set; here load and server share 2 cores",
    headline = PLAINTEXT_ROW }),
  scenario("plaintext, nginx 1 worker, pipeline 16", { test = "plaintext", setup = nginx_setup,
    note = "nginx (Debian) with one worker, return 200 \"Hello, World!\", tcp_nodelay off (its best under pipelining: doc/http.md); server_mb is the master's RSS" }),
  scenario("plaintext, Rust hyper, pipeline 16", { test = "plaintext", setup = peer("rust", "web_hyper", "plaintext"),
    note = "hyper 0.14 (HTTP/1 only, pipeline_flush) on tokio's multi-thread runtime, " .. CORES,
    headline = headline(PLAINTEXT_ROW, "Rust") }),
  scenario("plaintext, Go fasthttp, pipeline 16", { test = "plaintext", setup = peer("go", "web_fasthttp", "plaintext"),
    note = "fasthttp, one process, " .. CORES, headline = headline(PLAINTEXT_ROW, "Go") }),
  scenario("plaintext, Go net/http, pipeline 16", { test = "plaintext", setup = peer("go", "web_nethttp", "plaintext"),
    note = "net/http, " .. CORES .. "; net/http answers pipelined requests one at a time; " ..
      "timeouts: requests left unanswered for 2 s" }),
  scenario("plaintext, Go gin, pipeline 16", { test = "plaintext", setup = peer("go", "web_gin", "plaintext"),
    note = "gin (release mode, no middleware) on net/http, " .. CORES }),
  scenario("json, hotpath server", { test = "json", setup = ours("json"),
    note = "one server thread; the body is serialized per request with hotpath's JSON writer (TechEmpower rules)",
    headline = JSON_ROW }),
  scenario("json, Rust hyper", { test = "json", setup = peer("rust", "web_hyper", "json"),
    note = "hyper 0.14 on tokio's multi-thread runtime, " .. CORES .. "; serde_json per request",
    headline = headline(JSON_ROW, "Rust") }),
  scenario("json, Go fasthttp", { test = "json", setup = peer("go", "web_fasthttp", "json"),
    note = "fasthttp, " .. CORES .. "; jsoniter per request", headline = headline(JSON_ROW, "Go") }),
  scenario("json, Go net/http", { test = "json", setup = peer("go", "web_nethttp", "json"),
    note = "net/http, " .. CORES .. "; encoding/json per request" }),
  scenario("json, Go gin", { test = "json", setup = peer("go", "web_gin", "json"),
    note = "gin built with -tags=jsoniter (c.JSON serializes with jsoniter), " .. CORES }),
}

local url = os.getenv("HOTPATH_HTTP_URL")
if url and url ~= "" then
  scenarios[#scenarios + 1] = hp.scenario("plaintext, " .. url) {
    params = { seconds = SECONDS, connections = 64, pipeline = 1 },
    quick = { seconds = QUICK },
    setup = function() return { url = url } end,
    run = loaded,
    verify = verify,
    note = "a server given by $HOTPATH_HTTP_URL (started by you; not checked against the TechEmpower rules)",
    timeout = 60, warmup = WARMUP,
  }
end

return hp.suite "http" (scenarios)
