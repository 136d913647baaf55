-- hotpath.pg: a throwaway PostgreSQL cluster for the database scenarios.
--
--   local pg = require "hotpath.pg"
--   local db, err, code = pg.start{ rows = 10000, timeout = 60 }
--   -- db.conninfo: "host=127.0.0.1 port=P dbname=hello_world user=postgres" (libpq keywords)
--   -- db.url: "postgres://postgres@127.0.0.1:P/hello_world"; db.port, db.dir, db.socket_dir,
--   -- db.pid (runuser's, the group leader), db.postmaster_pid, db.bin (the server binaries' folder), db.version ("15.18")
--   db:stop()                     -- idempotent; also on collection and on close (Lua 5.4 `<close>`)
--   pg.with(opts, fn)             -- start, fn(db), always stop; fn's error is raised again
--   pg.find() -> bin folder | nil, msg, "missing"
--   pg.sweep() -> folders removed: what killed runs left (start calls it; see below)
--
-- start: Debian's server binaries (/usr/lib/postgresql/<highest>/bin; $HOTPATH_PG_BIN
-- overrides), a temporary folder /tmp/hotpath-pg.XXXXXX owned by the `postgres` user, initdb
-- there (trust authentication, C locale), the server run as `postgres` (through runuser: this
-- process is root) on a Unix socket in that folder and on 127.0.0.1 at a free port (no other
-- address), durability off (fsync, synchronous_commit, full_page_writes: a throwaway cluster),
-- then TechEmpower's `World` table in the database hello_world: rows (default 10,000) of id
-- (1..rows) and randomNumber (1..10000). Fails with nil, msg, code: "missing" (no
-- PostgreSQL, or not root), "start" (initdb, the server or the load failed: msg ends with its
-- output), "timeout" (not ready after opts.timeout seconds, default 60). Whatever was started
-- is stopped and the folder removed before a failure returns.
--
-- stop: `pg_ctl stop -m immediate` (SIGQUIT: no shutdown checkpoint), then the server's
-- process group is ended by PID (SIGTERM, SIGKILL after 2 s) and reaped, then the folder
-- removed. Nothing here raises on an operational failure; misuse raises.
local type, pairs, tostring, tonumber, format = type, pairs, tostring, tonumber, string.format
local setmetatable, pcall, error, open, getenv = setmetatable, pcall, error, io.open, os.getenv
local util = require "hotpath.util"
local core = util.core

local pg = {}

pg.DB = "hello_world"
pg.PACKAGES = "postgresql"

local function run(argv, t)
  local spec = { argv = argv, keep_stdout = true, keep_stderr = 8192, timeout = 120 }
  for k, v in pairs(t or {}) do spec[k] = v end
  local r, err = require("hotpath").proc.run(spec)
  if not r then return nil, err end
  if not r.ok then
    return nil, format("%s: %s%s", argv[1], r.status, r.stderr ~= "" and ("\n" .. r.stderr) or
      (r.stdout ~= "" and ("\n" .. r.stdout) or "")), r
  end
  return r
end

local exists = require("hotpath.machine").exists

-- The folder of Debian's server binaries (initdb, postgres, pg_ctl), the highest version.
function pg.find()
  local env = getenv("HOTPATH_PG_BIN")
  if env and env ~= "" then
    if exists(env .. "/initdb") and exists(env .. "/postgres") then return env end
    return nil, "HOTPATH_PG_BIN=" .. env .. " has no initdb and postgres", "missing"
  end
  local best, bestv
  for v = 30, 9, -1 do
    local d = "/usr/lib/postgresql/" .. v .. "/bin"
    if exists(d .. "/initdb") and exists(d .. "/postgres") and exists(d .. "/pg_ctl") then
      best, bestv = d, v
      break
    end
  end
  if not best then
    return nil, "PostgreSQL not installed: apt-get install " .. pg.PACKAGES, "missing"
  end
  return best, bestv
end

local function sleep(s) run({ "sleep", tostring(s) }, { timeout = s + 5 }) end

local DB = {}
DB.__index = DB

-- Stops the server (see the header) and removes the folder; idempotent.
function DB:stop()
  if self.data and self.pid then
    run({ "runuser", "-u", "postgres", "--", self.bin .. "/pg_ctl", "stop", "-D", self.data,
      "-m", "immediate", "-w", "-t", "10" }, { timeout = 20 })
  end
  if self.pid then
    core.proc_stop(self.pid, 2)
    self.pid = nil
  end
  if self.dir then
    if self.dir:match("^/tmp/hotpath%-pg%.") then run({ "rm", "-rf", self.dir }, { timeout = 60 }) end
    self.dir = nil
  end
  return true
end
DB.__gc = DB.stop
DB.__close = DB.stop

local SQL = [[
CREATE TABLE World (id integer NOT NULL, randomNumber integer NOT NULL DEFAULT 0, PRIMARY KEY (id));
INSERT INTO World (id, randomNumber)
  SELECT x, least(floor(random() * 10000 + 1), 10000) FROM generate_series(1, %d) AS x;
ANALYZE World;
]]

-- Folders a killed process left (its server died with it: the server gets SIGTERM when this
-- process dies, but nothing removes the folder): /tmp/hotpath-pg.* older than 10 minutes
-- whose postmaster.pid is missing or names no live process. A cluster in use keeps its live
-- postmaster, and one being made is younger, so neither is touched.
function pg.sweep()
  local r = run({ "find", "/tmp", "-maxdepth", "1", "-name", "hotpath-pg.*", "-type", "d", "-mmin", "+10" }, { timeout = 30 })
  local removed = {}
  for dir in ((r and r.stdout) or ""):gmatch("[^\n]+") do
    if dir:match("^/tmp/hotpath%-pg%.[%w]+$") then
      local f = open(dir .. "/data/postmaster.pid", "rb")
      local pid = f and tonumber(f:read("*l"))
      if f then f:close() end
      if not (pid and exists("/proc/" .. pid .. "/stat")) then
        run({ "rm", "-rf", dir }, { timeout = 60 })
        removed[#removed + 1] = dir
      end
    end
  end
  return removed
end

local START_OPTS = { rows = true, timeout = true, max_connections = true }

-- start(opts) -> handle | nil, msg, code (see the header).
function pg.start(o)
  o = util.checkopts(o, 1, "start", 1, START_OPTS)
  local rows = util.checkint(o.rows or 10000, 1, "start", 1, 10000000, "rows")
  local maxconn = util.checkint(o.max_connections or 200, 1, "start", 2, 10000, "max_connections")
  local timeout = o.timeout or 60
  if type(timeout) ~= "number" or not (timeout > 0) then
    util.argerror(1, "start", "timeout must be a positive number of seconds", 2)
  end
  local bin, ver = pg.find()
  if not bin then return nil, ver, "missing" end
  if not run({ "id", "-u", "postgres" }, { timeout = 10 }) then
    return nil, "PostgreSQL fixture: no 'postgres' user (apt-get install " .. pg.PACKAGES .. ")", "missing"
  end
  local who = run({ "id", "-u" }, { timeout = 10 })
  if not who or who.stdout:match("^%d+") ~= "0" then
    return nil, "PostgreSQL fixture: must run as root (it runs the server as the postgres user)", "missing"
  end
  pg.sweep()
  local mk, merr = run({ "mktemp", "-d", "/tmp/hotpath-pg.XXXXXX" }, { timeout = 10 })
  if not mk then return nil, merr, "start" end
  local dir = mk.stdout:match("^(/tmp/hotpath%-pg%.[%w]+)")
  if not dir then return nil, "mktemp gave no folder", "start" end
  local db = setmetatable({ dir = dir, socket_dir = dir, data = dir .. "/data", bin = bin }, DB)
  if rawget(_G, "newproxy") then -- LuaJIT: tables have no __gc; a proxy stops the server
    local proxy = newproxy(true)
    getmetatable(proxy).__gc = function() db:stop() end
    db._proxy = proxy
  end
  local function fail(msg, code)
    db:stop()
    return nil, msg, code or "start"
  end
  local ok, err = run({ "chown", "postgres:postgres", dir }, { timeout = 10 })
  if not ok then return fail(err) end
  local initr
  ok, err, initr = run({ "runuser", "-u", "postgres", "--", bin .. "/initdb", "-D", db.data, "-U", "postgres",
    "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync" }, { timeout = timeout })
  if not ok then return fail(err, initr and initr.timed_out and "timeout") end
  local port = core.http_free_port()
  local pid, perr = core.proc_start({ "runuser", "-u", "postgres", "--", bin .. "/postgres", "-D", db.data,
    "-k", dir, "-p", tostring(port), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
    "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=" .. maxconn,
    "-c", "shared_buffers=64MB", "-c", "logging_collector=off" }, false)
  if not pid then return fail(perr) end
  db.pid, db.port = pid, port
  db.conninfo = format("host=127.0.0.1 port=%d dbname=%s user=postgres", port, pg.DB)
  db.url = format("postgres://postgres@127.0.0.1:%d/%s", port, pg.DB)
  -- ready: the port accepts and the server takes connections (not "starting up")
  local deadline = core.clock() + timeout
  local up, uerr, ucode = core.http_child_wait_port(pid, port, timeout)
  if not up then return fail("PostgreSQL: " .. tostring(uerr), ucode == "timeout" and "timeout" or "start") end
  local ready
  repeat
    ready = run({ bin .. "/pg_isready", "-q", "-h", "127.0.0.1", "-p", tostring(port), "-t", "1" }, { timeout = 5 })
    if ready then break end
    sleep(0.05)
  until core.clock() > deadline
  if not ready then return fail(format("PostgreSQL not ready on 127.0.0.1:%d after %g s", port, timeout), "timeout") end
  local psql = { bin .. "/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", tostring(port),
    "-U", "postgres" }
  local function sql(dbname, text)
    local a = {}
    for i = 1, #psql do a[i] = psql[i] end
    a[#a + 1] = "-d"
    a[#a + 1] = dbname
    return run(a, { stdin = text, timeout = timeout })
  end
  local sr
  ok, err, sr = sql("postgres", "CREATE DATABASE " .. pg.DB .. ";\n")
  if not ok then return fail(err, sr and sr.timed_out and "timeout") end
  ok, err, sr = sql(pg.DB, format(SQL, rows))
  if not ok then return fail(err, sr and sr.timed_out and "timeout") end
  local pidfile = open(db.data .. "/postmaster.pid", "rb")
  db.postmaster_pid = pidfile and tonumber(pidfile:read("*l"))
  if pidfile then pidfile:close() end
  local v = run({ bin .. "/postgres", "--version" }, { timeout = 10 })
  db.version = v and v.stdout:match("(%d+%.%d+)") or tostring(ver)
  db.rows = rows
  return db
end

-- with(opts, fn) -> fn's results: the cluster is stopped (and its folder removed) whether fn
-- returns or raises; fn's error is raised again, unchanged. A failed start raises with its
-- message (use start for nil, msg, code).
function pg.with(o, fn)
  if type(fn) ~= "function" then util.argerror(2, "with", "function expected", 2) end
  local db, err, code = pg.start(o)
  if not db then error(format("pg.with: %s (%s)", tostring(err), tostring(code)), 2) end
  local res = { pcall(fn, db) }
  db:stop()
  if not res[1] then error(res[2], 0) end
  return (unpack or table.unpack)(res, 2, table.maxn and table.maxn(res) or #res)
end

-- query(db, sql) -> psql's unaligned output (rows separated by "\n", fields by "|") | nil, msg
function pg.query(db, text)
  if getmetatable(db) ~= DB then util.argerror(1, "query", "pg handle expected", 2) end
  if not db.pid then return nil, "the cluster is stopped" end
  local r, err = run({ db.bin .. "/psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
    "-p", tostring(db.port), "-U", "postgres", "-d", pg.DB, "-c", text }, { timeout = 60 })
  if not r then return nil, err end
  return r.stdout
end

return pg
