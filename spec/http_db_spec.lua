-- The database servers (TechEmpower's /db and /queries): hotpath's C server (test "db") and
-- the Rust and Go peers (bench/peers/*/web_pg), each against a throwaway PostgreSQL cluster
-- (hotpath.pg), on 127.0.0.1 with free ports, each stopped in the test that started it.
local hp = require "hotpath"
local helper = require "helper"
local pg = require "hotpath.pg"
local peers = require "hotpath.peers"
local dbcheck = require "hotpath.http.dbcheck"
local dbservers = require "hotpath.http.dbservers"
local http = hp.http

local ROW = '{"id":(%d+),"randomNumber":(%d+)}'

-- The rows of an exact compact body: an object (array = false) or an array of n objects.
local function rows_of(body, array)
  local list = {}
  local inner = body
  if array then
    inner = body:match("^%[(.*)%]$")
    assert(inner, "not an array: " .. body)
  end
  local pos = 1
  while pos <= #inner do
    local s, e, id, n = inner:find("^" .. ROW, pos)
    assert(s, "bad row at " .. pos .. " of " .. body)
    list[#list + 1] = { tonumber(id), tonumber(n) }
    pos = e + 1
    if pos <= #inner then
      assert(inner:sub(pos, pos) == ",", "no comma at " .. pos .. " of " .. body)
      assert(array, "two objects in " .. body)
      pos = pos + 1
    end
  end
  return list
end

-- Reads the responses of one connection in order: { { status, head, body }, ... }; heads[i]:
-- the i-th answered a HEAD request (no body, whatever its Content-Length).
local function split_responses(raw, heads)
  local out, pos = {}, 1
  while pos <= #raw do
    local s, e, status, head = raw:find("^HTTP/1%.1 (%d%d%d) [^\r]*\r\n(.-)\r\n\r\n", pos)
    assert(s, "no response at byte " .. pos)
    local len = heads[#out + 1] and 0 or tonumber(head:match("[Cc]ontent%-[Ll]ength: *(%d+)"))
    out[#out + 1] = { status = tonumber(status), head = head, body = raw:sub(e + 1, e + len) }
    pos = e + len + 1
  end
  return out
end

describe("hotpath serve --test db", function()
  it("refuses misuse", function()
    local ok, err = pcall(http.start, { test = "db" })
    assert.is_false(ok)
    assert.matches("bad argument #1 to 'start' %(test \"db\" needs pg %(a PostgreSQL conninfo string%)%)", err)
    ok, err = pcall(http.serve, { test = "db", port = 1, pg = 5 })
    assert.is_false(ok)
    assert.matches("bad argument #1 to 'serve' %(pg must be a conninfo string%)", err)
    local r = helper.cli { "serve", "--test", "db", "--port", "1" }
    assert.equal(2, r.exit_code)
    assert.equal("hotpath: serve: --test db needs --pg CONNINFO\n", r.stderr)
    r = helper.cli { "serve", "--test", "json", "--pg", "x", "--port", "1" }
    assert.equal(2, r.exit_code)
    assert.equal("hotpath: serve: --pg goes with --test db\n", r.stderr)
  end)
end)

if not pg.find() then
  describe("the database servers", function()
    pending("PostgreSQL not installed (apt-get install postgresql)")
  end)
  return
end

describe("the database servers", function()
  local db, world
  setup(function()
    db = assert(pg.start {})
    world = assert(dbcheck.world(db))
  end)
  teardown(function()
    if db then db:stop() end
  end)

  it("hotpath: /db and /queries answer exact JSON, rows from the table, queries clamped", function()
    local s = assert(http.start { test = "db", pg = db.conninfo, threads = 2, duration = 60 })
    local ok, err = pcall(function()
      local r = assert(dbcheck.fetch(s.url .. "db"))
      assert.equal(200, r.status)
      assert.equal("application/json", r.headers["content-type"])
      assert.equal("hotpath", r.headers["server"])
      assert.equal(tostring(#r.body), r.headers["content-length"])
      local rows = rows_of(r.body, false)
      assert.equal(1, #rows)
      assert.equal(world[rows[1][1]], rows[1][2])
      for _, c in ipairs(dbcheck.CLAMPS) do
        r = assert(dbcheck.fetch(s.url .. "queries" .. c[1]))
        assert.equal(200, r.status)
        rows = rows_of(r.body, true)
        assert.equal(c[2], #rows, c[1])
        for _, row in ipairs(rows) do assert.equal(world[row[1]], row[2]) end
      end
      r = assert(dbcheck.fetch(s.url .. "queries?queries=foo"))
      assert.matches("^%[" .. ROW .. "%]$", r.body)
      r = assert(dbcheck.fetch(s.url .. "nope"))
      assert.equal(404, r.status)
      assert.equal("", r.body)
      assert.is_true(dbcheck.check(s.url, { world = world }))
    end)
    s:stop()
    if not ok then error(err, 0) end
  end)

  it("hotpath: answers pipelined requests on one connection in order", function()
    local s = assert(http.start { test = "db", pg = db.conninfo, threads = 1, duration = 60 })
    local reqs = "GET /queries?queries=3 HTTP/1.1\r\nHost: x\r\n\r\n" .. "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" ..
      "GET /db HTTP/1.1\r\nHost: x\r\n\r\n" .. "HEAD /db HTTP/1.1\r\nHost: x\r\n\r\n" ..
      "GET /queries?queries=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    local r = hp.proc.run { "bash", "-c", 'exec 3<>"/dev/tcp/127.0.0.1/$PORT" && printf "%s" "$REQS" >&3 && cat <&3',
      env = { PORT = tostring(s.port), REQS = reqs }, keep_stdout = true, timeout = 20 }
    s:stop()
    assert.is_true(r.ok, r.status)
    local res = split_responses(r.stdout, { [4] = true })
    assert.equal(5, #res)
    assert.same({ 200, 404, 200, 200, 200 }, { res[1].status, res[2].status, res[3].status, res[4].status, res[5].status })
    assert.equal(3, #rows_of(res[1].body, true))
    assert.equal(1, #rows_of(res[3].body, false))
    assert.equal("", res[4].body) -- HEAD: headers only, the length of the body a GET would get
    -- HEAD: the length a GET would get, for the random row the HEAD drew (ids and numbers run
    -- 1..10000, so it is not res[3]'s length but one of a /db body's)
    local len = tonumber(res[4].head:match("Content%-Length: (%d+)"))
    assert.is_true(len >= #'{"id":1,"randomNumber":1}' and len <= #'{"id":10000,"randomNumber":10000}', tostring(len))
    assert.equal(2, #rows_of(res[5].body, true))
    assert.matches("Connection: close", res[5].head)
  end)

  it("hotpath: answers a pipelined stream past its per-connection limit of waiting requests", function()
    -- 300 requests in one write: more than the 128 that may wait for the database at once, so
    -- the connection stops being read and is read on as answers leave
    local s = assert(http.start { test = "db", pg = db.conninfo, threads = 1, duration = 60 })
    local reqs = ("GET /queries?queries=2 HTTP/1.1\r\nHost: x\r\n\r\n"):rep(299) ..
      "GET /db HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    local r = hp.proc.run { "bash", "-c", 'exec 3<>"/dev/tcp/127.0.0.1/$PORT" && printf "%s" "$REQS" >&3 && cat <&3',
      env = { PORT = tostring(s.port), REQS = reqs }, keep_stdout = true, timeout = 30 }
    s:stop()
    assert.is_true(r.ok, r.status)
    local res = split_responses(r.stdout, {})
    assert.equal(300, #res)
    for i = 1, 299 do
      assert.equal(200, res[i].status)
      assert.equal(2, #rows_of(res[i].body, true))
    end
    assert.equal(1, #rows_of(res[300].body, false))
  end)

  it("hotpath: a request left incomplete gets 408 after request_timeout (the server core's timers)", function()
    -- the db server runs on the same epoll core as the plaintext server (csrc/http/srvcore.c),
    -- so it has the request timeout too: a complete /db first, then half a request
    local s = assert(http.start { test = "db", pg = db.conninfo, threads = 1, duration = 60, request_timeout = 0.5 })
    local reqs = "GET /db HTTP/1.1\r\nHost: x\r\n\r\nGET /db HTTP/1.1\r\nHost:"
    local r = hp.proc.run { "bash", "-c", 'exec 3<>"/dev/tcp/127.0.0.1/$PORT" && printf "%s" "$REQS" >&3 && cat <&3',
      env = { PORT = tostring(s.port), REQS = reqs }, keep_stdout = true, timeout = 20 }
    s:stop()
    assert.is_true(r.ok, r.status)
    assert.is_true(r.wall < 10, "closed by the server, not by the time limit")
    local res = split_responses(r.stdout, {})
    assert.equal(2, #res)
    assert.equal(200, res[1].status)
    assert.equal(1, #rows_of(res[1].body, false))
    assert.equal(408, res[2].status)
    assert.matches("Connection: close", res[2].head)
    assert.equal("", res[2].body)
  end)

  it("hotpath: fails to start when the database is unreachable or has no World table", function()
    local port = http.free_port()
    local s, err = http.start { test = "db", process = "fork", duration = 10,
      pg = string.format("host=127.0.0.1 port=%d dbname=hello_world user=postgres connect_timeout=2", port) }
    assert.is_nil(s)
    assert.matches("^PostgreSQL: .*127%.0%.0%.1", err)
    s, err = http.start { test = "db", process = "fork", duration = 10,
      pg = db.conninfo:gsub("dbname=hello_world", "dbname=postgres") }
    assert.is_nil(s)
    assert.matches("^PostgreSQL: ERROR:  relation \"world\" does not exist", err)
  end)

  it("hotpath: answers 500 once the database goes away, and keeps serving HTTP", function()
    local own = assert(pg.start { rows = 10000 })
    local s = assert(http.start { test = "db", pg = own.conninfo, threads = 1, duration = 60 })
    local ok, err = pcall(function()
      assert.equal(200, assert(dbcheck.fetch(s.url .. "db")).status)
      own:stop()
      for _, target in ipairs { "db", "queries?queries=5", "db" } do
        local r = assert(dbcheck.fetch(s.url .. target))
        assert.equal(500, r.status)
        assert.equal("", r.body)
      end
      assert.equal(404, assert(dbcheck.fetch(s.url .. "nope")).status)
    end)
    s:stop()
    own:stop()
    if not ok then error(err, 0) end
  end)

  for _, lang in ipairs { "rust", "go" } do
    if peers.toolchain(lang) then
      it(lang .. " peer: one database round trip through /db and /queries, checked", function()
        local s = assert(dbservers.start(lang, db, { duration = 60 }))
        local ok, err = pcall(function()
          local r = assert(dbcheck.fetch(s.url .. "db"))
          local rows = rows_of(r.body, false)
          assert.equal(world[rows[1][1]], rows[1][2])
          r = assert(dbcheck.fetch(s.url .. "queries?queries=20"))
          assert.equal(20, #rows_of(r.body, true))
          assert(dbcheck.check(s.url, { world = world }))
        end)
        s:stop()
        if not ok then error(err, 0) end
      end)
    else
      pending(lang .. " toolchain not installed")
    end
  end

  it("dbcheck refuses a wrong response", function()
    -- the json reference server answers every target with {"message":...}: not a World row
    local s = assert(http.start { test = "json", duration = 30 })
    local ok, err = dbcheck.check(s.url)
    s:stop()
    assert.is_nil(ok)
    assert.equal(s.url .. "db: unexpected member 'message'", err)
  end)
end)
