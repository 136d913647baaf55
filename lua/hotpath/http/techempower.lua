-- hotpath.http.techempower: the TechEmpower response rules for the plaintext and json tests,
-- checked on one response of a server before a scenario loads it (bench/http.lua): a server
-- that breaks a rule fails its scenario instead of being measured.
--
--   te.check(url, test)          -> true | nil, msg, code   fetch url once, then check_response
--   te.check_response(raw, test) -> true | nil, msg         the rules, on a response's raw bytes
--   te.fetch(url [, timeout])    -> raw bytes | nil, msg, code
--
-- test is "plaintext" or "json". The rules (msg names the one broken, prefixed by
-- "TechEmpower <test>: "): status 200; a Server header; a Date header in IMF-fixdate
-- ("Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110); Content-Type text/plain (plaintext) or
-- application/json (json), parameters such as "; charset=utf-8" allowed (TechEmpower's
-- verifier only warns about a charset); a Content-Length equal to the body's length; the exact body
-- ("Hello, World!" or {"message":"Hello, World!"}).
--
-- fetch runs curl (Debian's curl) against 127.0.0.1 with `Connection: close` and reads the
-- body to the end of the connection, ignoring Content-Length, so a Content-Length that lies
-- is caught rather than trusted. Codes: "missing" (no curl), "fetch" (no response).
local type, tonumber, tostring, format = type, tonumber, tostring, string.format
local util = require "hotpath.util"

local te = {}

te.RULES = {
  plaintext = { type = "text/plain", body = "Hello, World!" },
  json = { type = "application/json", body = '{"message":"Hello, World!"}' },
}

local DAYS = { Mon = true, Tue = true, Wed = true, Thu = true, Fri = true, Sat = true, Sun = true }
local MONTHS = { Jan = true, Feb = true, Mar = true, Apr = true, May = true, Jun = true, Jul = true,
  Aug = true, Sep = true, Oct = true, Nov = true, Dec = true }

-- Whether s is an IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (fixed width, GMT).
function te.imf_fixdate(s)
  local day, dd, mon, h, m, sec = s:match("^(%a%a%a), (%d%d) (%a%a%a) %d%d%d%d (%d%d):(%d%d):(%d%d) GMT$")
  return day ~= nil and DAYS[day] == true and MONTHS[mon] == true and tonumber(dd) >= 1 and
    tonumber(dd) <= 31 and tonumber(h) <= 23 and tonumber(m) <= 59 and tonumber(sec) <= 60
end

-- s in double quotes, with \\, \" and control bytes escaped alike under Lua 5.4 and LuaJIT
-- (whose %s differ), and cut after 200 bytes: a message shows what the server sent.
local ESC = { ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ['"'] = '\\"', ["\\"] = "\\\\" }
local function quote(s)
  local cut = #s > 200
  s = s:sub(1, 200):gsub('[%c"\\]', function(c) return ESC[c] or format("\\%03d", c:byte()) end)
  return '"' .. s .. (cut and '"...' or '"')
end

local function rules_of(test, fname)
  local r = te.RULES[test]
  if not r then util.argerror(2, fname, "test must be \"plaintext\" or \"json\"", 3) end
  return r
end

function te.check_response(raw, test)
  if type(raw) ~= "string" then util.argerror(1, "check_response", "string expected, got " .. util.typename(raw), 2) end
  local rule = rules_of(test, "check_response")
  local function fail(fmt, ...) return nil, format("TechEmpower %s: " .. fmt, test, ...) end
  local head_end = raw:find("\r\n\r\n", 1, true)
  if not head_end then return fail("no complete response head (status line and headers ending in CRLF CRLF)") end
  local head, body = raw:sub(1, head_end - 1), raw:sub(head_end + 4)
  local status = head:match("^HTTP/1%.[01] (%d%d%d)")
  if not status then return fail("status line %s is not HTTP/1.x", quote(head:match("^[^\r\n]*"))) end
  if status ~= "200" then return fail("status %s, 200 expected", status) end
  local headers = {}
  for line in head:gmatch("\r\n([^\r\n]*)") do
    local name, value = line:match("^([^:%s]+):[ \t]*(.-)[ \t]*$")
    if not name then return fail("malformed header line %s", quote(line)) end
    name = name:lower()
    if headers[name] and name ~= "set-cookie" then return fail("header %s given twice", name) end
    headers[name] = value
  end
  if not headers.server or headers.server == "" then return fail("no Server header (required)") end
  if not headers.date then return fail("no Date header (required)") end
  if not te.imf_fixdate(headers.date) then
    return fail("Date %s is not an IMF-fixdate (like \"Sun, 06 Nov 1994 08:49:37 GMT\")", quote(headers.date))
  end
  local ctype = headers["content-type"]
  if not ctype then return fail("no Content-Type header, %s expected", rule.type) end
  local media = ctype:match("^([^;]*)"):gsub("%s+$", ""):lower()
  if media ~= rule.type then return fail("Content-Type %s, %s expected", quote(ctype), rule.type) end
  local clen = headers["content-length"]
  if not clen then return fail("no Content-Length header (required)") end
  if not clen:match("^%d+$") then return fail("Content-Length %s is not a number", quote(clen)) end
  if tonumber(clen) ~= #body then
    return fail("Content-Length %s, but the body has %d bytes", clen, #body)
  end
  if body ~= rule.body then return fail("body %s, %s expected", quote(body), quote(rule.body)) end
  return true
end

function te.fetch(url, timeout)
  if type(url) ~= "string" then util.argerror(1, "fetch", "string expected, got " .. util.typename(url), 2) end
  local proc = require "hotpath.proc"
  local r, err = proc.run { argv = { "curl", "-sS", "-i", "--http1.1", "--ignore-content-length",
      "-H", "Connection: close", "--max-time", tostring(timeout or 5), url },
    keep_stdout = true, keep_stderr = 4096, timeout = (timeout or 5) + 5 }
  if not r then
    return nil, "TechEmpower check needs curl (apt-get install curl): " .. tostring(err), "missing"
  end
  if not r.ok or r.stdout == "" then
    return nil, format("TechEmpower check: no response from %s (%s)%s", url, r.status,
      r.stderr ~= "" and (": " .. r.stderr:gsub("%s+$", "")) or ""), "fetch"
  end
  return r.stdout
end

function te.check(url, test)
  if type(url) ~= "string" then util.argerror(1, "check", "string expected, got " .. util.typename(url), 2) end
  rules_of(test, "check")
  local raw, err, code = te.fetch(url)
  if not raw then return nil, err, code end
  local ok, msg = te.check_response(raw, test)
  if not ok then return nil, msg .. " (" .. url .. ")", "techempower" end
  return true
end

return te
