-- hotpath.http.dbcheck: TechEmpower's rules for the single-query and multiple-queries tests,
-- checked against a running server before it is loaded (bench/db.lua) and in the specs.
--
--   local dbcheck = require "hotpath.http.dbcheck"
--   local ok, why = dbcheck.check("http://127.0.0.1:PORT", { world = map })
--   dbcheck.fetch(url) -> { status = 200, headers = { ["content-type"] = ... }, body = "..." } | nil, msg
--   dbcheck.CLAMPS: the queries parameters checked and the row counts they must give
--
-- A response passes when: status 200; Server, Date, Content-Type application/json and a
-- Content-Length equal to the body's length; the body is, for /db, one object with exactly the
-- integer members id and randomNumber (both 1..10000), for /queries an array of N such objects
-- with N the parameter clamped per the rules (missing, not an integer or below 1: 1; above 500:
-- 500). opts.world (id -> randomNumber, e.g. from dbcheck.world(db)) also checks each row
-- against the table. Requests go through curl (Debian's curl), only to the URL given.
local type, pairs, ipairs, tostring, format = type, pairs, ipairs, tostring, string.format
local floor, next = math.floor, next

local M = {}

-- { query string, rows expected }
M.CLAMPS = {
  { "", 1 }, { "?queries=1", 1 }, { "?queries=20", 20 }, { "?queries=0", 1 }, { "?queries=-5", 1 },
  { "?queries=foo", 1 }, { "?queries=501", 500 }, { "?queries=500", 500 },
}

-- fetch(url) -> { status, headers (lowercase names), body } | nil, msg
function M.fetch(url)
  local r, err = require("hotpath").proc.run { "curl", "-s", "-i", "--max-time", "10", "--noproxy", "*", url,
    keep_stdout = true, timeout = 20 }
  if not r then return nil, err end
  if not r.ok then return nil, format("curl %s: %s", url, r.status) end
  local head, body = r.stdout:match("^(.-)\r\n\r\n(.*)$")
  if not head then return nil, "no HTTP response from " .. url end
  local status = tonumber(head:match("^HTTP/1%.%d (%d%d%d)"))
  local headers = {}
  for name, value in head:gmatch("\r\n([^:\r\n]+):[ \t]*([^\r\n]*)") do headers[name:lower()] = value end
  return { status = status, headers = headers, body = body }
end

local function is_int(v) return type(v) == "number" and floor(v) == v end

-- One row: exactly { id, randomNumber }, integers 1..10000, and as in world when given.
local function row_ok(v, world, where)
  if type(v) ~= "table" then return nil, where .. ": not an object" end
  for k in pairs(v) do
    if k ~= "id" and k ~= "randomNumber" then return nil, format("%s: unexpected member '%s'", where, tostring(k)) end
  end
  if not is_int(v.id) or v.id < 1 or v.id > 10000 then return nil, format("%s: id %s not in 1..10000", where, tostring(v.id)) end
  if not is_int(v.randomNumber) or v.randomNumber < 1 or v.randomNumber > 10000 then
    return nil, format("%s: randomNumber %s not in 1..10000", where, tostring(v.randomNumber))
  end
  if world and world[v.id] ~= v.randomNumber then
    return nil, format("%s: row %d has randomNumber %s, the table %s", where, v.id, tostring(v.randomNumber), tostring(world[v.id]))
  end
  return true
end

-- The common checks of a response; returns the decoded body.
local function response_ok(url, r)
  if r.status ~= 200 then return nil, format("%s: status %s", url, tostring(r.status)) end
  for _, h in ipairs { "server", "date", "content-type", "content-length" } do
    if not r.headers[h] then return nil, format("%s: no %s header", url, h) end
  end
  if not r.headers["content-type"]:lower():match("^application/json") then
    return nil, format("%s: Content-Type '%s'", url, r.headers["content-type"])
  end
  if tonumber(r.headers["content-length"]) ~= #r.body then
    return nil, format("%s: Content-Length %s, body %d bytes", url, r.headers["content-length"], #r.body)
  end
  local ok, v = pcall(require("hotpath").json.decode, r.body)
  if not ok or v == nil then return nil, format("%s: body is not JSON: %.80s", url, r.body) end
  return v
end

-- check(base, opts) -> true | nil, msg (see the header). base: "http://127.0.0.1:PORT".
function M.check(base, opts)
  opts = opts or {}
  base = base:gsub("/$", "")
  local url = base .. "/db"
  local r, err = M.fetch(url)
  if not r then return nil, err end
  local v, verr = response_ok(url, r)
  if not v then return nil, verr end
  if v[1] ~= nil then return nil, url .. ": an array, not an object" end
  local ok, rerr = row_ok(v, opts.world, url)
  if not ok then return nil, rerr end
  for _, c in ipairs(M.CLAMPS) do
    url = base .. "/queries" .. c[1]
    r, err = M.fetch(url)
    if not r then return nil, err end
    v, verr = response_ok(url, r)
    if not v then return nil, verr end
    if type(v) ~= "table" or (#v == 0 and next(v) ~= nil) then return nil, url .. ": not an array" end
    if #v ~= c[2] then return nil, format("%s: %d rows, expected %d", url, #v, c[2]) end
    for i = 1, #v do
      ok, rerr = row_ok(v[i], opts.world, format("%s: row %d", url, i))
      if not ok then return nil, rerr end
    end
  end
  return true
end

-- world(db) -> { [id] = randomNumber } from a hotpath.pg handle (for check's opts.world).
function M.world(db)
  local out, err = require("hotpath.pg").query(db, "SELECT id, randomNumber FROM World")
  if not out then return nil, err end
  local w = {}
  for id, n in out:gmatch("(%d+)|(%d+)") do w[tonumber(id)] = tonumber(n) end
  return w
end

return M
