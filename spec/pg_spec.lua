-- hotpath.pg: the throwaway PostgreSQL cluster of the database scenarios.
local hp = require "hotpath"
local helper = require "helper"
local pg = require "hotpath.pg"

local bin = pg.find()

-- Is a process with this pid alive (and not a zombie)?
local function alive(pid)
  local f = io.open("/proc/" .. pid .. "/stat", "rb")
  if not f then return false end
  local s = f:read("*a")
  f:close()
  return s:match("^%d+ %b() (%a)") ~= "Z"
end

local function isdir(path)
  local r = require("hotpath").proc.run { "test", "-d", path, timeout = 10 }
  return r.ok
end

-- The /tmp/hotpath-pg.* folders that exist now (a set).
local function folders()
  local set = {}
  local p = io.popen("ls -d /tmp/hotpath-pg.* 2>/dev/null")
  for line in p:lines() do set[line] = true end
  p:close()
  return set
end

describe("hotpath.pg", function()
  it("refuses misuse with the argument's position", function()
    local cases = {
      { { rows = 0 }, "bad argument #1 to 'start' (rows must be between 1 and 10000000, got 0)" },
      { { rows = 1.5 }, "bad argument #1 to 'start' (rows: integer expected, got 1.5)" },
      { { timeout = -1 }, "bad argument #1 to 'start' (timeout must be a positive number of seconds)" },
      { { colour = 1 }, "bad argument #1 to 'start' (unknown option 'colour')" },
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(pg.start, c[1])
      assert.is_false(ok)
      assert.equal(c[2], (tostring(err):gsub("^.-:%d+: ", "")))
    end
    local ok, err = pcall(pg.with, {}, 42)
    assert.is_false(ok)
    assert.matches("bad argument #2 to 'with' %(function expected%)", err)
  end)

  it("sweeps only the folders that killed runs left: old, and no live postmaster", function()
    local me = io.open("/proc/self/stat"):read("*l"):match("^(%d+)")
    local made = {}
    local function make(name, pid, old)
      local d = "/tmp/hotpath-pg." .. name
      assert(hp.proc.run { "mkdir", "-p", d .. "/data", timeout = 10 }.ok)
      if pid then helper.write(d .. "/data/postmaster.pid", pid .. "\n/tmp/x\n") end
      if old then assert(hp.proc.run { "touch", "-d", "20 minutes ago", d, timeout = 10 }.ok) end
      made[#made + 1] = d
      return d
    end
    local stale = make("SpecStale1", "999999999", true)
    local nopid = make("SpecStale2", nil, true)
    local young = make("SpecYoung", nil, false)
    local live = make("SpecLive", me, true)
    local removed = pg.sweep()
    table.sort(removed)
    assert.same({ stale, nopid }, removed)
    assert.is_false(isdir(stale))
    assert.is_true(isdir(young))
    assert.is_true(isdir(live))
    for _, d in ipairs(made) do helper.rmdir(d) end
  end)

  if not bin then
    pending("PostgreSQL not installed (apt-get install postgresql)")
    return
  end

  it("starts a cluster with the World table on 127.0.0.1 only, and stops it by PID", function()
    local db = assert(pg.start { rows = 1000 })
    local pid, dir = db.postmaster_pid, db.dir
    assert.is_number(pid)
    assert.is_true(alive(pid))
    assert.matches("^/tmp/hotpath%-pg%.", dir)
    assert.equal(string.format("host=127.0.0.1 port=%d dbname=hello_world user=postgres", db.port), db.conninfo)
    assert.equal("1000|1|1000|1000|t\n", assert(pg.query(db, "SELECT count(*), min(id), max(id), " ..
      "count(DISTINCT id), bool_and(randomNumber BETWEEN 1 AND 10000) FROM World")))
    assert.equal("127.0.0.1\n", assert(pg.query(db, "SHOW listen_addresses")))
    assert.equal(dir, assert(pg.query(db, "SHOW unix_socket_directories")):gsub("\n$", ""))
    assert.is_true(db:stop())
    assert.is_true(db:stop()) -- idempotent
    assert.is_false(alive(pid))
    assert.is_false(isdir(dir))
    local out, err = pg.query(db, "SELECT 1")
    assert.is_nil(out)
    assert.equal("the cluster is stopped", err)
  end)

  it("stops the cluster and removes its folder when the function raises", function()
    local pid, dir
    local marker = setmetatable({}, { __tostring = function() return "boom" end })
    local ok, err = pcall(pg.with, { rows = 10 }, function(db)
      pid, dir = db.postmaster_pid, db.dir
      assert.equal("10\n", pg.query(db, "SELECT count(*) FROM World"))
      error(marker)
    end)
    assert.is_false(ok)
    assert.equal(marker, err) -- raised again, unchanged
    assert.is_number(pid)
    assert.is_false(alive(pid))
    assert.is_false(isdir(dir))
    assert.same({ 3, 4 }, { pg.with({ rows = 1 }, function() return 3, 4 end) })
  end)

  it("fails with 'timeout' and leaves nothing behind when the cluster is not ready in time", function()
    local before = folders()
    local db, err, code = pg.start { timeout = 0.01 }
    assert.is_nil(db)
    assert.equal("timeout", code)
    assert.is_string(err)
    for d in pairs(folders()) do assert.is_true(before[d] ~= nil, "left behind: " .. d) end
  end)

  it("is stopped when the handle is collected", function()
    local pid, dir
    do
      local db = assert(pg.start { rows = 1 })
      pid, dir = db.postmaster_pid, db.dir
    end
    collectgarbage()
    collectgarbage()
    assert.is_false(alive(pid))
    assert.is_false(isdir(dir))
  end)
end)
