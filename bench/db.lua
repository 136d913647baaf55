-- HTTP db: TechEmpower's single-query (/db) and multiple-queries (/queries?queries=20) tests
-- against a real PostgreSQL, for hotpath's C server (libpq pipeline mode), the Rust peer (hyper
-- 0.14 + tokio-postgres) and the Go peer (net/http + pgx v4): bench/peers/*/web_pg.
--
-- Every run starts its own throwaway cluster (hotpath.pg: initdb in a temporary folder as the
-- postgres user, 127.0.0.1 on a free port, the World table of 10,000 rows) and the server in
-- setup (untimed), checks the server against the rules (hotpath.http.dbcheck: headers, exact
-- row shape, rows as in the table, the queries parameter clamped) before loading it, and stops
-- both at the end of run, also when the load fails. Load, server, PostgreSQL share the machine.
local hp = require "hotpath"
local http = hp.http
local pg = require "hotpath.pg"
local dbcheck = require "hotpath.http.dbcheck"
local dbservers = require "hotpath.http.dbservers"

local SECONDS, QUICK = 3, 1
-- No warm-up run: every run starts its own cluster and server in setup (untimed), so a warm-up
-- run would warm nothing the counted runs share.
local WARMUP = 0
local CONNECTIONS = 64

local WORKLOADS = {
  { key = "db", target = "db", title = "single query", workload = "/db, one random row per request" },
  { key = "queries", target = "queries?queries=20", title = "20 queries",
    workload = "/queries?queries=20, twenty rows per request" },
}

-- Published TechEmpower figures are for dedicated machines and 512 connections; none are set
-- beside these rows (the article's database claims are about memory: bench/memory.lua).

local function setup_for(kind)
  return function()
    local db, err, code = pg.start {}
    if not db then
      if code == "missing" then return hp.skip(err) end
      error(err, 0)
    end
    local started, s, serr, scode = pcall(dbservers.start, kind, db, { duration = 300 })
    if not started then s, serr = nil, s end
    if not s then
      db:stop()
      if scode == "missing" then return hp.skip(serr) end
      error(serr, 0)
    end
    local world = dbcheck.world(db)
    local ok, cerr = dbcheck.check(s.url, { world = world })
    if not ok then
      s:stop()
      db:stop()
      error("the server fails TechEmpower's rules: " .. cerr, 0)
    end
    return { server = s, db = db, record = { build_s = s.build_s, postgres = db.version } }
  end
end

-- The run: load the server, stop it and the cluster (whatever happened), report the figures.
local function loaded(target)
  return function(p, state)
    local r, err = http.load { url = state.server.url .. target, connections = p.connections, threads = 1,
      duration = p.seconds, timeout = 5 }
    local mem = state.server.pid and state.server:memory()
    state.server:stop()
    state.db:stop()
    if not r then error(err, 0) end
    return http.scenario_figures(r, mem) -- timeouts (5 s) are a figure, not a failure
  end
end

local verify = http.scenario_verify

local NOTES = {
  hotpath = "hotpath's C server: one epoll loop and one libpq connection in pipeline mode per thread (2 threads)",
  rust = "hyper 0.14 on tokio's multi-thread runtime, tokio-postgres (one connection per CPU, pipelined), serde_json",
  go = "net/http, pgx v4 pool (4 connections per CPU; /queries as one pipelined batch), encoding/json",
}
local PEER = { rust = "Rust", go = "Go" }

local scenarios = {}
for _, w in ipairs(WORKLOADS) do
  for _, kind in ipairs(dbservers.KINDS) do
    local name = string.format("%s, %s", w.title, dbservers.NAMES[kind])
    local headline = { dimension = "HTTP db", workload = w.workload }
    if kind == "hotpath" then
      headline.show = { "rps", "p99_ms", "server_mb" }
    else
      headline.peer = PEER[kind]
    end
    scenarios[#scenarios + 1] = hp.scenario(name) {
      params = { seconds = SECONDS, connections = CONNECTIONS },
      quick = { seconds = QUICK },
      setup = setup_for(kind),
      run = loaded(w.target),
      verify = verify,
      note = NOTES[kind] .. "; load: 1 generator thread, 64 connections; PostgreSQL " ..
        "15 on the same 2 cores, fsync off",
      headline = headline,
      timeout = 600, warmup = WARMUP,
    }
  end
end

-- The web-service memory test (bench/memory.lua's rate profile: 1000 QPS steady, a 5000 QPS
-- burst, 1000 QPS again) on /db: database queries and JSON serialization per request, as the
-- article's "moderately loaded Web API service" has. The server's RSS and PSS are sampled every
-- 100 ms; start-up is the first sample, after the database connections are open.
local memory = require "hotpath.http.memory"
local MEMORY_REFERENCE = memory.WEB_API_REFERENCE
local MEMORY_WORKLOAD = "web API on PostgreSQL (/db), 1000 QPS: start-up / steady / 5000 QPS peak / swing"

local function memory_run(p, st)
  local s = st.server
  local r, err, _, m = memory.web_api(s, s.url .. "db", p)
  s:stop()
  st.db:stop()
  if not r then error(err, 0) end
  local figures, all_200 = memory.web_api_figures(r, m)
  -- a server too slow for a phase's rate is a figure (the QPS it got), not a failed check
  local output = string.format("phases %d, status 200 only: %s", #r.phases, all_200 and "yes" or "no")
  figures.burst_p99_ms = r.phases[2].latency.p99 / 1e3
  figures.steady_qps = r.phases[1].sent / r.phases[1].duration
  figures.burst_qps = r.phases[2].sent / r.phases[2].duration
  return output, figures, { timeline = m.timeline, pid = m.pid, start_time = m.start_time }
end

for _, kind in ipairs(dbservers.KINDS) do
  local headline = { dimension = "memory", workload = MEMORY_WORKLOAD }
  if kind == "hotpath" then
    headline.show = { "startup_mb", "steady_mb", "peak_mb", "swing_mb" }
  else
    headline.peer = PEER[kind]
  end
  scenarios[#scenarios + 1] = hp.scenario(string.format("web API at 1000 QPS on PostgreSQL, %s", dbservers.NAMES[kind])) {
    params = memory.WEB_API_PARAMS, warmup = WARMUP,
    quick = { steady = 2, burst = 1 },
    setup = setup_for(kind),
    run = memory_run,
    verify = function(output)
      if output == "phases 3, status 200 only: yes" then return true end
      return false, output
    end,
    reference = kind == "hotpath" and MEMORY_REFERENCE or nil,
    headline = headline,
    note = NOTES[kind] .. (kind == "hotpath" and "; the server runs in a fresh Lua interpreter (its RSS counts it)" or "") ..
      "; swing: max - min of RSS over the two 1000 QPS phases",
    timeout = 600,
  }
end

return hp.suite "db" (scenarios)
