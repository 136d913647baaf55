-- hotpath.http.dbservers: the three database-backed servers of the database scenarios, started
-- the same way: hotpath's C server (http.start{ test = "db" }), and the Rust (hyper +
-- tokio-postgres) and Go (net/http + pgx v4) peers, bench/peers/<lang>/web_pg, built by
-- hotpath.peers and run as `web_pg PORT SECONDS CONNINFO`.
--
--   local dbservers = require "hotpath.http.dbservers"
--   local s, err, code = dbservers.start("hotpath" | "rust" | "go", db, { threads = 2, duration = 120 })
--   -- s: an http.start handle (pid, port, url, stop, memory); s.build_s for the peers
--   -- code "missing": the toolchain or its Debian packages are not installed (skip)
local format, tostring = string.format, tostring
local http = require "hotpath.http"

local M = {}

M.KINDS = { "hotpath", "rust", "go" }
M.NAMES = { hotpath = "hotpath", rust = "Rust hyper + tokio-postgres", go = "Go net/http + pgx" }
M.PACKAGES = { rust = "librust-hyper-dev librust-tokio-postgres-dev librust-serde-json-dev",
  go = "golang-github-jackc-pgx-v4-dev" }

-- start(kind, db, opts) -> server | nil, msg, code. db: a hotpath.pg handle (or any table with
-- conninfo). opts: threads (hotpath's server threads; default the CPU count), duration
-- (seconds, default 120), connections (the peers' database connections; default theirs).
function M.start(kind, db, opts)
  opts = opts or {}
  local duration = opts.duration or 120
  if kind == "hotpath" then
    local s, err, code = http.start { test = "db", pg = db.conninfo, duration = duration,
      threads = opts.threads or require("hotpath.machine").cores() }
    if s then s.build_s = 0 end
    return s, err, code
  end
  if kind ~= "rust" and kind ~= "go" then error(format("bad argument #1 to 'start' (unknown server '%s')", tostring(kind)), 2) end
  local b, err, code = require("hotpath.peers").build(kind, "web_pg")
  if not b then
    -- cargo: "no matching package named `hyper` found"; go: "cannot find package": the Debian
    -- packages of the peer's libraries are missing, which is a skip, not a failure
    if code == "build" and (err:match("no matching package") or err:match("cannot find package")) then
      return nil, format("%s peer web_pg skipped: install %s (%s)", kind, M.PACKAGES[kind], err:match("[^\n]*")), "missing"
    end
    return nil, err, code
  end
  local argv = { b.path, "{port}", tostring(duration), db.conninfo }
  if opts.connections then argv[#argv + 1] = tostring(opts.connections) end
  local s, serr, scode = http.start { command = argv, duration = duration, wait = 30 }
  if not s then return nil, serr, scode end
  s.build_s = b.build_s
  return s
end

return M
