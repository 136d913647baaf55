-- hotpath.http.techempower: the TechEmpower response rules, on raw responses (table-driven)
-- and against a deliberately wrong server (spec/fixtures/peers/go/te_misbehaving, raw TCP,
-- one canned response per path; pending where go is not installed): every broken rule is
-- named exactly; a server that is not there is a "fetch" failure.
local hp = require "hotpath"
local helper = require "helper"
local te = require "hotpath.http.techempower"
local peers = require "hotpath.peers"

local DATE = "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
local function response(head, body)
  return "HTTP/1.1 200 OK\r\n" .. head .. "\r\n" .. body
end
local PLAIN = "Server: t\r\n" .. DATE .. "Content-Type: text/plain\r\nContent-Length: 13\r\n"

describe("hotpath.http.techempower.check_response", function()
  local CASES = {
    { "plaintext", response(PLAIN, "Hello, World!"), nil },
    { "plaintext", response("server: t\r\n" .. DATE .. "content-type: TEXT/PLAIN; charset=utf-8\r\ncontent-length:13\r\n", "Hello, World!"), nil },
    { "json", response("Server: t\r\n" .. DATE .. "Content-Type: application/json\r\nContent-Length: 27\r\n", '{"message":"Hello, World!"}'), nil },
    { "json", response(PLAIN, "Hello, World!"), 'Content-Type "text/plain", application/json expected' },
    { "plaintext", "HTTP/1.1 200 OK\r\nServer: t\r\n", "no complete response head (status line and headers ending in CRLF CRLF)" },
    { "plaintext", "HTTP/2 200\r\n\r\n", 'status line "HTTP/2 200" is not HTTP/1.x' },
    { "plaintext", "HTTP/1.1 404 Not Found\r\n" .. PLAIN .. "\r\nHello, World!", "status 404, 200 expected" },
    { "plaintext", response("Server: t\r\nbroken line\r\n", ""), 'malformed header line "broken line"' },
    { "plaintext", response(PLAIN .. "Content-Length: 13\r\n", "Hello, World!"), "header content-length given twice" },
    { "plaintext", response(DATE .. "Content-Type: text/plain\r\nContent-Length: 13\r\n", "Hello, World!"), "no Server header (required)" },
    { "plaintext", response("Server:\r\n" .. DATE .. "Content-Type: text/plain\r\nContent-Length: 13\r\n", "Hello, World!"), "no Server header (required)" },
    { "plaintext", response("Server: t\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n", "Hello, World!"), "no Date header (required)" },
    { "plaintext", response("Server: t\r\nDate: Sun, 6 Nov 1994 08:49:37 GMT\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n", "Hello, World!"),
      'Date "Sun, 6 Nov 1994 08:49:37 GMT" is not an IMF-fixdate (like "Sun, 06 Nov 1994 08:49:37 GMT")' },
    { "plaintext", response("Server: t\r\n" .. DATE .. "Content-Length: 13\r\n", "Hello, World!"), "no Content-Type header, text/plain expected" },
    { "plaintext", response("Server: t\r\n" .. DATE .. "Content-Type: text/plainer\r\nContent-Length: 13\r\n", "Hello, World!"), 'Content-Type "text/plainer", text/plain expected' },
    { "plaintext", response("Server: t\r\n" .. DATE .. "Content-Type: text/plain\r\n", "Hello, World!"), "no Content-Length header (required)" },
    { "plaintext", response("Server: t\r\n" .. DATE .. "Content-Type: text/plain\r\nContent-Length: 0x0d\r\n", "Hello, World!"), 'Content-Length "0x0d" is not a number' },
    { "plaintext", response(PLAIN, "Hello, World!\n"), "Content-Length 13, but the body has 14 bytes" },
    { "plaintext", response(PLAIN, "Hello, world!"), 'body "Hello, world!", "Hello, World!" expected' },
    { "json", response("Server: t\r\n" .. DATE .. "Content-Type: application/json\r\nContent-Length: 29\r\n", '{"message": "Hello, World!"}\n'),
      'body "{\\"message\\": \\"Hello, World!\\"}\\n", "{\\"message\\":\\"Hello, World!\\"}" expected' },
  }
  for i, c in ipairs(CASES) do
    it(c[1] .. " case " .. i .. ": " .. (c[3] or "passes"), function()
      if c[3] then
        assert.are.same({ nil, "TechEmpower " .. c[1] .. ": " .. c[3] }, { te.check_response(c[2], c[1]) })
      else
        assert.are.same({ true }, { te.check_response(c[2], c[1]) })
      end
    end)
  end

  local DATES = {
    { "Sun, 06 Nov 1994 08:49:37 GMT", true }, { "Thu, 31 Dec 2026 23:59:60 GMT", true },
    { "Sunday, 06-Nov-94 08:49:37 GMT", false }, { "Sun Nov  6 08:49:37 1994", false },
    { "Sun, 06 Nov 1994 08:49:37 UTC", false }, { "Xyz, 06 Nov 1994 08:49:37 GMT", false },
    { "Sun, 06 Foo 1994 08:49:37 GMT", false }, { "Sun, 00 Nov 1994 08:49:37 GMT", false },
    { "Sun, 06 Nov 1994 24:00:00 GMT", false }, { "Sun, 06 Nov 1994 08:49:37 GMT ", false },
  }
  for _, d in ipairs(DATES) do
    it("IMF-fixdate " .. d[1] .. ": " .. tostring(d[2]), function()
      assert.are.equal(d[2], te.imf_fixdate(d[1]))
    end)
  end

  it("raises on misuse, naming the argument", function()
    assert.has_error(function() te.check_response(nil, "plaintext") end,
      "bad argument #1 to 'check_response' (string expected, got nil)")
    assert.has_error(function() te.check_response("", "xml") end,
      "bad argument #2 to 'check_response' (test must be \"plaintext\" or \"json\")")
    assert.has_error(function() te.check("http://127.0.0.1:1/", "db") end,
      "bad argument #2 to 'check' (test must be \"plaintext\" or \"json\")")
    assert.has_error(function() te.check(nil, "json") end,
      "bad argument #1 to 'check' (string expected, got nil)")
    assert.has_error(function() te.fetch(8080) end,
      "bad argument #1 to 'fetch' (string expected, got number)")
  end)
end)

describe("hotpath.http.techempower.check against a server", function()
  it("reports a server that is not there as a fetch failure", function()
    local url = "http://127.0.0.1:" .. hp.http.free_port() .. "/plaintext"
    local ok, msg, code = te.check(url, "plaintext")
    assert.is_nil(ok)
    assert.are.equal("fetch", code)
    assert.are.equal("TechEmpower check: no response from " .. url .. " (exited 7): curl: (7) Failed to connect to 127.0.0.1 port ",
      msg:sub(1, #("TechEmpower check: no response from " .. url .. " (exited 7): curl: (7) Failed to connect to 127.0.0.1 port ")))
  end)

  local missing = select(2, peers.toolchain("go"))
  if missing then
    pending(missing)
    return
  end
  local server
  setup(function()
    local b = assert(peers.build("go", "te_misbehaving", { dir = helper.root .. "/spec/fixtures/peers/go", timeout = 600 }))
    server = assert(hp.http.start { command = { b.path, "--port", "{port}", "--duration", "120" }, duration = 120 })
  end)
  teardown(function()
    if server then server:stop() end
  end)

  local CASES = {
    { "/good", "plaintext", nil },
    { "/good_json", "json", nil },
    { "/no_date", "plaintext", "no Date header (required)" },
    { "/bad_date", "plaintext", 'Date "Sunday, 06-Nov-94 08:49:37 GMT" is not an IMF-fixdate (like "Sun, 06 Nov 1994 08:49:37 GMT")' },
    { "/no_server", "plaintext", "no Server header (required)" },
    { "/long_length", "plaintext", "Content-Length 14, but the body has 13 bytes" },
    { "/short_length", "plaintext", "Content-Length 12, but the body has 13 bytes" },
    { "/no_length", "plaintext", "no Content-Length header (required)" },
    { "/wrong_body", "plaintext", 'body "Hello, world!", "Hello, World!" expected' },
    { "/wrong_type", "plaintext", 'Content-Type "text/html", text/plain expected' },
    { "/good", "json", 'Content-Type "text/plain", application/json expected' },
    { "/status_500", "plaintext", "status 500, 200 expected" },
    { "/nothing", "plaintext", "status 404, 200 expected" },
  }
  for _, c in ipairs(CASES) do
    it(c[1] .. " as " .. c[2] .. ": " .. (c[3] or "passes"), function()
      local url = server.url .. c[1]:sub(2)
      if c[3] then
        assert.are.same({ nil, "TechEmpower " .. c[2] .. ": " .. c[3] .. " (" .. url .. ")", "techempower" },
          { te.check(url, c[2]) })
      else
        assert.are.same({ true }, { te.check(url, c[2]) })
      end
    end)
  end
end)
