-- hotpath.json: decode, errors with offsets, lazy documents, encode, round trips (both runtimes).
local json = require "hotpath.json"
local null = json.null
local jit = rawget(_G, "jit")

local function canon(v) return json.encode(v, { sort_keys = true }) end

-- A seeded generator of integers in 0 .. n - 1 (Park-Miller: exact in doubles, so both
-- runtimes generate the same sequence).
local function random(seed)
  return function(n) seed = seed * 16807 % 2147483647 return seed % n end
end

describe("hotpath.json.decode", function()
  local valid = {
    { '{"a":[1,2,{"b":null}],"c":"x"}', '{"a":[1,2,{"b":null}],"c":"x"}' },
    { '[]', '{}' }, { '{}', '{}' }, { ' [ 1 , 2 ] ', '[1,2]' },
    { '"\\"\\\\\\/\\b\\f\\n\\r\\t"', '"\\"\\\\/\\b\\f\\n\\r\\t"' },
    { '"\\u00e9\\u20ac"', '"\xc3\xa9\xe2\x82\xac"' },
    { '"\\ud83d\\ude00"', '"\xf0\x9f\x98\x80"' },                 -- surrogate pair
    { '[-9223372036854775808,9223372036854775807]', jit and '[-9223372036854775808,9223372036854775807]' or '[-9223372036854775808,9223372036854775807]' },
    { '[1e2,-0.5,5e-324,1.7976931348623157e308]', '[100,-0.5,5e-324,1.7976931348623157e308]' },
    { '\239\187\191[1]', '[1]' },                                  -- BOM is skipped
    { 'true', 'true' }, { 'null', 'null' },
  }
  for i, c in ipairs(valid) do
    it("decodes valid document " .. i, function()
      assert.are.equal(c[2], canon(json.decode(c[1])))
    end)
  end

  it("gives exact 64-bit integers", function()
    local t = json.decode("[9007199254740993,-9007199254740993]")
    if jit then
      assert.are.equal("9007199254740993LL", tostring(t[1]))
      assert.are.equal("-9007199254740993LL", tostring(t[2]))
      assert.are.equal("9007199254740993", json.decode("[9007199254740993]", { bigint = "string" })[1])
      assert.are.equal(9007199254740992, json.decode("[9007199254740993]", { bigint = "float" })[1])
      -- and back: int64 and uint64 cdata encode as their digits (sorted: the C encoder)
      local u = json.decode("[18446744073709551615,-9223372036854775808]")
      assert.are.equal("18446744073709551615ULL", tostring(u[1]))
      for _, opts in ipairs { {}, { sort_keys = true } } do
        assert.are.equal("[18446744073709551615,-9223372036854775808]", json.encode(u, opts))
        assert.are.equal("[9007199254740993,-9007199254740993]", json.encode(t, opts))
      end
    else
      assert.are.equal(9007199254740993, t[1])
      assert.are.equal("integer", math.type(t[1]))
      assert.are.equal("float", math.type(json.decode("1.0")))
    end
  end)

  it("decodes null as the NULL light userdata shared with cjson", function()
    local v = json.decode("[null]")[1]
    assert.are.equal(null, v)
    local ok, cjson = pcall(require, "cjson")
    if ok then assert.are.equal(cjson.null, v) end
  end)

  it("sets the array metatable on request, so empty arrays round-trip", function()
    local t = json.decode('{"a":[]}', { array_mt = true })
    assert.are.equal(json.array_mt, getmetatable(t.a))
    assert.are.equal('{"a":[]}', json.encode(t))
    assert.are.equal('{"a":{}}', json.encode(json.decode('{"a":[]}')))
  end)

  local invalid = {
    { "", "empty document at byte 0" },
    { "   ", "empty document at byte 3" },
    { "[1] x", "trailing content after the document 'x' at byte 4" },
    { "[1,]", "unexpected character ']' at byte 3" },
    { '{"a":1,}', "object key (string) expected at byte 7" },
    { "[01]", "invalid number (leading zero) at byte 1" },
    { "[1.]", "invalid number (digit expected after '.') at byte 1" },
    { "[-]", "invalid number at byte 1" },
    { "[1e400]", "number out of the double range at byte 1" },
    { "123456789012345678901234", "integer out of the 64-bit range at byte 0" },
    { '["a\1"]', "unescaped control character in string at byte 3" },
    { '["\255"]', "invalid UTF-8 at byte 2" },
    { '["\237\160\128"]', "invalid UTF-8 at byte 2" },            -- encoded surrogate
    { '["\\x"]', "invalid escape in string at byte 2" },
    { '"\\ud800"', "lone high surrogate in string at byte 1" },
    { '"\\udc00"', "lone low surrogate in string at byte 1" },
    { '"abc', "unterminated string at byte 0" },
    { "nul", "invalid literal at byte 0" },
    { "[1", "unexpected end of input at byte 2" },
    { '{"a" 1}', "':' expected at byte 5" },
    { "[1 2]", "',' or ']' expected at byte 3" },
    { "\239\187\191", "empty document at byte 3" },
    { string.rep("[", 1001) .. string.rep("]", 1001), "nesting deeper than 1000 at byte 1000" },
  }
  for i, c in ipairs(invalid) do
    it("rejects invalid document " .. i .. " with its offset", function()
      local ok, err = pcall(json.decode, c[1])
      assert.is_false(ok)
      assert.are.equal(c[2], err)
      local v, msg = json.safe.decode(c[1])
      assert.is_nil(v)
      assert.are.equal(c[2], msg)
    end)
  end

  it("stays usable after a failed parse", function()
    for _ = 1, 3 do
      assert.is_nil(json.safe.decode("[1,"))
      assert.are.equal(2, json.decode("[1,2]")[2])
    end
  end)

  it("handles deep nesting up to max_depth without crashing", function()
    local deep = string.rep("[", 1000) .. string.rep("]", 1000)
    local t = json.decode(deep)
    for _ = 1, 999 do t = t[1] end
    assert.are.same({}, t)
    local d = 20000
    local s = string.rep('{"a":', d) .. "1" .. string.rep("}", d)
    assert.are.equal(1, (function() local x = json.decode(s, { max_depth = d }) for _ = 1, d do x = x.a end return x end)())
    assert.is_nil(json.safe.decode(s, { max_depth = d - 1 }))
  end)

  it("counts empty containers at the depth limit", function()
    assert.are.equal("[[[]]]", json.encode(json.decode("[[[]]]", { max_depth = 3, array_mt = true })))
    local v, err = json.safe.decode("[[[]]]", { max_depth = 2 })
    assert.is_nil(v)
    assert.are.equal("nesting deeper than 2 at byte 2", err)
    v, err = json.safe.decode('{"a":{"b":{}}}', { max_depth = 2 })
    assert.are.equal("nesting deeper than 2 at byte 10", err)
    assert.are.equal(5, json.decode('{"a":{"b":5}}', { max_depth = 2 }).a.b)
  end)

  it("decodes 100000 levels (the max_depth limit) and materializes deep subtrees", function()
    local d = 100000
    local s = string.rep("[", d) .. string.rep("]", d)
    local t = json.decode(s, { max_depth = d })
    for _ = 1, d - 1 do t = t[1] end
    assert.are.same({}, t)
    local doc = json.parse(s, { max_depth = d })
    local sub = doc:decode("/0/0")
    for _ = 1, d - 3 do sub = sub[1] end
    assert.are.same({}, sub)
  end)

  it("gives the same strings through its string cache, across documents and collections", function()
    -- keys and values of every short length, sharing prefixes and suffixes, and enough
    -- distinct strings to collide in and evict from any cache
    local parts, expect = {}, {}
    for n = 0, 45 do
      local a = string.rep("x", n)
      local b = n > 0 and string.rep("x", n - 1) .. "y" or "z"
      local c = n > 0 and "y" .. string.rep("x", n - 1) or "w"
      local m = n > 2 and string.rep("x", math.floor(n / 2)) .. "q" .. string.rep("x", n - math.floor(n / 2) - 1) or "v" .. n
      for _, k in ipairs { a, b, c, m } do
        parts[#parts + 1] = string.format("%q:%q", "k" .. k, k .. "v")
        expect["k" .. k] = k .. "v"
      end
    end
    for i = 1, 3000 do
      parts[#parts + 1] = string.format('"u%d":["s%d","alpha","s%d"]', i, i, i * 7)
      expect["u" .. i] = { "s" .. i, "alpha", "s" .. i * 7 }
    end
    local src = "{" .. table.concat(parts, ",") .. "}"
    for _ = 1, 4 do
      assert.are.same(expect, json.decode(src))
      collectgarbage("collect")
      assert.are.same({ x = "alpha", [""] = "" }, json.decode('{"x":"alpha","":""}'))
    end
  end)

  -- Two builds, compared: a plain decode (one call, with the string cache) and a hooked one
  -- (built a step at a time between calls of the hook, with a parser of its own and no
  -- cache), on generated documents and broken copies of them.
  describe("against a hooked decode", function()
    local function hooked(s) return json.decode(s, { yield = function() end }) end
    local function same(a, b)
      if type(a) ~= type(b) then return false end
      if type(a) == "number" then
        if math.type and math.type(a) ~= math.type(b) then return false end
        return a == b and 1 / a == 1 / b
      elseif type(a) == "table" then
        if getmetatable(a) ~= getmetatable(b) then return false end
        for k, v in pairs(a) do if not same(v, b[k]) then return false end end
        for k in pairs(b) do if a[k] == nil then return false end end
        return true
      elseif type(a) == "cdata" then
        return tostring(a) == tostring(b)
      end
      return a == b
    end
    local rnd = random(4711)
    local function pick(t) return t[rnd(#t) + 1] end
    local numbers = {
      "0", "-0", "7", "-12", "0.5", "-0.0", "1e2", "1E+2", "-1.5e-3", "2.5E-22", "1e22", "1e23",
      "123456789012345678", "-123456789012345678", "1234567890123456789", "9223372036854775807",
      "-9223372036854775808", "9223372036854775808", "18446744073709551615", "9007199254740991",
      "9007199254740992", "-9007199254740993", "9007199254740993.0", "0.1", "3.141592653589793",
      "0.0000000000000000001", "1.00000000000000000001", "5e-324", "1.7976931348623157e308",
      "4.35", "100e-2", "12345.678e-1",
    }
    local strings = {
      "", "a", "alpha", "item 12", "caf\195\169", "\\\"", "\\\\", "\\/", "\\b\\f\\n\\r\\t",
      "a\\\\b", "a\\bb", "\\u00e9", "\\u20AC", "\\ud83d\\ude00", "x\\u0000y", "tab\\tz",
      "a long string of more than forty bytes, so never cached",
    }
    local spaces = { "", "", "", " ", "\n", "\t ", "\r\n  " }
    local function ws() return pick(spaces) end
    local function gen(depth)
      local k = depth == 0 and rnd(2) or depth > 4 and 2 + rnd(3) or rnd(6)
      if k == 0 or k == 1 then
        local obj, parts = k == 0, {}
        for i = 1, rnd(5) do
          local v = gen(depth + 1)
          if obj then   -- few distinct keys: repeats, and duplicates within an object
            v = ws() .. '"k' .. rnd(6) .. '"' .. ws() .. ":" .. ws() .. v
          end
          parts[i] = ws() .. v .. ws()
        end
        local body = #parts > 0 and table.concat(parts, ",") or ws()
        return obj and "{" .. body .. "}" or "[" .. body .. "]"
      elseif k == 2 then return pick(numbers)
      elseif k == 3 then return '"' .. pick(strings) .. '"'
      elseif k == 4 then return pick { "true", "false", "null" }
      else return "[" .. ws() .. pick(numbers) .. ws() .. "," .. ws() .. '"' .. pick(strings) .. '"' .. "]" end
    end

    -- Both decode s to the same values or fail with the same message; returns whether they
    -- decoded it.
    local function agree(s)
      local ok, v = pcall(json.decode, s)
      local tok, tv = pcall(hooked, s)
      assert.are.equal(tok, ok, s)
      if ok then assert.is_true(same(tv, v), s) else assert.are.equal(tv, v, s) end
      return ok
    end

    it("builds the same values, on generated documents", function()
      for _ = 1, 500 do agree(ws() .. gen(0) .. ws()) end
    end)

    it("rejects the same broken documents with the same message", function()
      local bytes = { ",", ":", '"', "[", "]", "{", "}", "x", "0", "-", ".", "e", "\\", " ", "\1", "\0" }
      local rejected = 0
      for _ = 1, 800 do
        local s = gen(0)
        local at, how = rnd(#s) + 1, rnd(3)
        if how == 0 then s = s:sub(1, at - 1) .. s:sub(at + 1)
        elseif how == 1 then s = s:sub(1, at - 1) .. pick(bytes) .. s:sub(at)
        else s = s:sub(1, at) end
        if not agree(s) then rejected = rejected + 1 end
      end
      assert.is_true(rejected > 400, "only " .. rejected .. " of 800 broken: the test did not test")
    end)
  end)

  describe("with a yield hook", function()
    local parts = {}
    for i = 1, 10000 do parts[i] = '{"id":' .. i .. ',"t":["a","b"]}' end
    local doc = "[" .. table.concat(parts, ",") .. "]"
    local plain = json.decode(doc)

    it("calls it between chunks and builds the same tables", function()
      local calls = 0
      local v = json.decode(doc, { yield = function() calls = calls + 1 end, chunk = 1000 })
      assert.are.same(plain, v)
      -- 10,000 objects of 6 values: one call about every 1,000 values
      assert.is_true(calls >= 40 and calls <= 110, "calls " .. calls)
      local once = 0
      assert.are.same(plain, json.decode(doc, { yield = function() once = once + 1 end }))
      assert.are.equal(0, once) -- fewer values than the default chunk (100,000)
    end)

    it("lets the hook yield the coroutine, while other decodes and parses go on", function()
      local co = coroutine.wrap(function() return json.decode(doc, { yield = coroutine.yield, chunk = 5000 }) end)
      local r, resumes = co(), 1
      while r == nil do
        assert.are.same({ 1, { a = 2 } }, json.decode('[1,{"a":2}]'))
        assert.are.equal(2, json.parse('{"x":[1,2]}'):at("/x/1"))
        r = co()
        resumes = resumes + 1
      end
      assert.is_true(resumes > 3, "resumes " .. resumes)
      assert.are.same(plain, r)
      -- a decode suspended for good holds nothing the next decodes need
      local dead = coroutine.wrap(function() return json.decode(doc, { yield = coroutine.yield, chunk = 10 }) end)
      assert.is_nil(dead())
      dead = nil
      collectgarbage()
      assert.are.same(plain, json.decode(doc))
    end)

    it("passes the hook's errors on, and reports bad input and bad options", function()
      local ok, err = pcall(json.decode, doc, { yield = function() error("stop here", 0) end, chunk = 100 })
      assert.is_false(ok)
      assert.are.equal("stop here", err)
      assert.are.same(plain, json.decode(doc))
      local cases = {
        { "[1,2", { yield = print }, "unexpected end of input at byte 4" },
        { doc, { yield = 5 }, "bad argument #2 to 'decode' (yield must be a function or true, got number)" },
        { doc, { yield = false }, "bad argument #2 to 'decode' (yield must be a function or true, got boolean)" },
        { doc, { chunk = 5 }, "bad argument #2 to 'decode' (chunk needs a yield function)" },
        { doc, { yield = print, chunk = 0 }, "bad argument #2 to 'decode' (chunk must be between 1 and 1099511627776, got 0)" },
        { doc, { yield = print, chunk = 1.5 }, "bad argument #2 to 'decode' (chunk: integer expected, got 1.5)" },
      }
      for _, c in ipairs(cases) do
        local okc, msg = pcall(json.decode, c[1], c[2])
        assert.is_false(okc)
        assert.are.equal(c[3], msg)
      end
      local v, msg, code = json.safe.decode("[1,2", { yield = print })
      assert.are.same({ nil, "unexpected end of input at byte 4", "parse" }, { v, msg, code })
    end)
  end)

  -- yield = true outside nginx: the decode runs in steps without yielding. The parse of the
  -- start on a pool thread (what a yielding decode in nginx does with a large text) through the
  -- binding: ready, then finish, then the steps build the same tables; its errors are the
  -- plain decode's.
  describe("with yield = true and a parse on a pool thread", function()
    local cj = require("hotpath.util").core.json
    local parts = {}
    for i = 1, 5000 do parts[i] = '{"id":' .. i .. ',"t":["a","b"]}' end
    local doc = "[" .. table.concat(parts, ",") .. "]"
    local plain = json.decode(doc)
    local pool
    before_each(function() pool = require("hotpath.pool").new { threads = 1 } end)
    after_each(function() pool:close() end)

    local function on_pool(s, depth)
      local b, err, code = cj.decode_start_on(pool._h, s, depth or 1000, false, 0)
      if not b then return nil, err, code end
      while not cj.decode_ready(b) do end -- the parse runs on the pool thread
      local ok, ferr, fcode = cj.decode_finish(b)
      if not ok then return nil, ferr, fcode end
      local spill = {}
      while true do
        local done, v, vcode = cj.decode_step(b, s, spill, 1000)
        if done then return v end
        if done == nil then return nil, v, vcode end
      end
    end

    it("decodes like a plain decode", function()
      assert.are.same(plain, json.decode(doc, { yield = true }))
      assert.are.same(plain, json.decode(doc, { yield = true, chunk = 10 }))
      assert.are.same(plain, on_pool(doc))
      for _, bad in ipairs { "[1,2", "", "{\"a\":}", "[" .. ("["):rep(20) .. ("]"):rep(21) } do
        assert.are.same({ json.safe.decode(bad, { max_depth = 10 }) }, { on_pool(bad, 10) }, bad)
      end
    end)

    it("refuses steps before the parse is finished, and a closed pool", function()
      local b = assert(cj.decode_start_on(pool._h, doc, 1000, false, 0))
      local ok, err = pcall(cj.decode_step, b, doc, {}, 10)
      assert.is_false(ok)
      assert.truthy(err:find("JSON decode: the parse is not finished (decode_finish)", 1, true), err)
      while not cj.decode_ready(b) do end -- the parse runs on the pool thread
      assert.is_true(cj.decode_finish(b))
      ok, err = pcall(cj.decode_finish, b)
      assert.truthy(not ok and err:find("JSON decode already finished", 1, true), err)
      local h = pool._h
      pool:close()
      ok, err = pcall(cj.decode_start_on, h, doc, 1000, false, 0)
      assert.truthy(not ok and err:find("pool is closed", 1, true), err)
      -- a build collected while its parse runs: the job frees it
      pool = require("hotpath.pool").new { threads = 1 }
      for _ = 1, 20 do cj.decode_start_on(pool._h, doc, 1000, false, 0) end
      collectgarbage()
      collectgarbage()
      assert.are.same(plain, on_pool(doc))
    end)
  end)

  -- A finalizer that raises while a build runs: Lua 5.4 turns its error into a warning (the
  -- build completes), LuaJIT passes it on to the allocation that ran it (the build raises).
  -- Either way the parser's busy mark must be clear afterwards (else every later decode takes
  -- a temporary parser), and the parser usable.
  it("stays usable after a build raises (an error thrown by a finalizer in the middle)", function()
    local cj = require("hotpath.util").core.json
    local p = cj.parser()
    local parts = {}
    for i = 1, 20000 do parts[i] = '{"a":[1,2,{"b":"x' .. i .. '"}]}' end
    local doc = "[" .. table.concat(parts, ",") .. "]"
    -- the finalizer raises only while armed (around the decode), so it can never go off later
    local armed, fired = false, false
    local function boom() if armed then fired = true; error("boom from a finalizer") end end
    -- decode until a collection cycle ends inside one. LuaJIT: a fast collector makes that
    -- soon (the pause applies from the end of the next full cycle: the following one starts at
    -- once); Lua 5.4 with such settings never reached its finalizers here, with its own it does
    local pause, mul
    if jit then pause, mul = collectgarbage("setpause", 10), collectgarbage("setstepmul", 1000) end
    collectgarbage()
    if jit then getmetatable(newproxy(true)).__gc = boom else setmetatable({}, { __gc = boom }) end
    local ok, err
    armed = true
    for _ = 1, 100 do
      ok, err = pcall(cj.decode, p, doc, 1000, false, 0)
      if fired or not ok then break end
    end
    armed = false
    if jit then collectgarbage("setpause", pause); collectgarbage("setstepmul", mul) end
    if jit then
      assert.is_false(ok)
      assert.truthy(tostring(err):find("boom from a finalizer", 1, true))
    else
      assert.is_true(ok)
      assert.are.equal(20000, #err)
    end
    assert.is_true(fired, "the finalizer never ran during a decode")
    assert.is_false(cj.busy(p))
    assert.are.equal("x20000", cj.decode(p, doc, 1000, false, 0)[20000].a[3].b)
  end)

  it("builds nesting deeper than a C function's Lua stack (LuaJIT: about 8000 slots), also hooked", function()
    for _, d in ipairs { 5000, 30000 } do
      local s = string.rep('[{"k":', d) .. '"leaf"' .. string.rep("}]", d)
      for _, opts in ipairs { { max_depth = 2 * d }, { max_depth = 2 * d, yield = function() end, chunk = 7 } } do
        local t = json.decode(s, opts)
        for _ = 1, d do t = t[1].k end
        assert.are.equal("leaf", t)
      end
      local sub = json.parse(s, { max_depth = 2 * d }):decode("/0/k")   -- the C build of doc:decode()
      for _ = 2, d do sub = sub[1].k end
      assert.are.equal("leaf", sub)
    end
  end)

  it("decodes documents of several MB (parsed in place, parser pages given back as it builds)", function()
    -- doubles near 1e-144 and integers near 0x2222222222222222 have tape payload words whose
    -- top byte is the string tag: the release pass must never read them as tags
    local items = {}
    for i = 1, 30000 do
      items[i] = { id = i, name = "name " .. i, x = 1e-144 * i, tags = { "a" .. i % 7, "b" }, z = i % 3 == 0 and null or false,
                   big = not jit and (2459565876494606882 + i) or nil, obj = { k = string.rep("v", i % 50) } }
    end
    local src = json.encode(items)
    assert.is_true(#src > 3 * 1024 * 1024)
    for _, pad in ipairs { "", " ", string.rep(" ", 4000) } do   -- moves the end within its page
      local t = json.decode(src .. pad)
      assert.are.equal(30000, #t)
      assert.are.equal(canon(items), canon(t))
    end
    assert.are.equal(2, json.decode("[1,2]")[2])   -- and the parser is fine afterwards
  end)

  it("decodes huge strings", function()
    local big = string.rep("abc\\n", 300000)
    assert.are.equal(string.rep("abc\n", 300000), json.decode('"' .. big .. '"'))
  end)

  it("rejects option names it does not know (a misspelt option would do nothing)", function()
    local cases = {
      { json.decode, { "[]", { maxdepth = 3 } }, "bad argument #2 to 'decode' (unknown option 'maxdepth')" },
      { json.safe.decode, { "[]", { arraymt = true } }, "bad argument #2 to 'decode' (unknown option 'arraymt')" },
      { json.parse, { "[]", { parsr = 1 } }, "bad argument #2 to 'parse' (unknown option 'parsr')" },
      { json.encode, { {}, { sort_key = true } }, "bad argument #2 to 'encode' (unknown option 'sort_key')" },
      { json.encode, { {}, { true } }, "bad argument #2 to 'encode' (unknown option [1])" },
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(c[1], c[2][1], c[2][2])
      assert.is_false(ok)
      assert.are.equal(c[3], err)
    end
  end)

  it("raises on misuse", function()
    local ok, err = pcall(json.decode, 5)
    assert.are.equal("bad argument #1 to 'decode' (string expected, got number)", err:match("bad argument.*"))
    ok, err = pcall(json.decode, "1", { max_depth = 0 })
    assert.is_false(ok)
    assert.truthy(err:find("max_depth must be between 1 and 100000", 1, true))
  end)
end)

describe("hotpath.json.parse (lazy)", function()
  local src = '{"status":"ok","total":256,"items":[{"id":1,"name":"a","tags":["x","y"],' ..
    '"metadata":{"k":1.5}},{"id":2,"name":"b~/c","tags":[],"metadata":{}}],"a/b":1,"m~n":2}'

  it("reads by RFC 6901 pointer with typed getters", function()
    local doc = json.parse(src)
    assert.are.equal("ok", doc:at("/status"))
    assert.are.equal(256, doc:integer("/total"))
    assert.are.equal("b~/c", doc:string("/items/1/name"))
    assert.are.equal(1.5, doc:number("/items/0/metadata/k"))
    assert.are.equal(1, doc:at("/a~1b"))
    assert.are.equal(2, doc:at("/m~0n"))
    assert.is_nil(doc:at("/items/2"))
    assert.is_nil(doc:at("/items/01"))
    assert.is_nil(doc:at("/items/-"))
    assert.is_nil(doc:at("/nope"))
    local v, msg = doc:integer("/status")
    assert.is_nil(v)
    assert.are.equal("string at /status, integer expected", msg)
    assert.are.equal("array", doc:type("/items"))
    assert.are.equal(2, doc:len("/items"))
    assert.are.equal(5, doc:len())
  end)

  it("iterates and materializes subtrees", function()
    local doc = json.parse(src)
    local names = {}
    for i, item in doc:pairs("/items") do names[i] = item:at("/name") end
    assert.are.same({ "a", "b~/c" }, names)
    assert.are.equal('{"id":1,"metadata":{"k":1.5},"name":"a","tags":["x","y"]}', canon(doc:decode("/items/0")))
    assert.are.equal(canon(json.decode(src)), canon(doc:decode()))
  end)

  it("keeps each document valid across other parses (a lent parser each)", function()
    local doc = json.parse(src)
    local other = json.parse("[1]")
    json.decode("[3]")
    assert.are.equal(256, doc:at("/total"))
    assert.are.equal(1, other:at("/0"))
    local items = doc:at("/items")
    doc = nil
    json.parse("[2]")
    -- a node holds its document's parser as the root does
    assert.are.equal("a", items:at("/0/name"))
  end)

  it("raises a clear error when a document of a given parser is used after that parser was reused", function()
    local p = json.parser()
    local doc = json.parse(src, { parser = p })
    json.parse("[1]", { parser = p })
    local ok, err = pcall(doc.at, doc, "/total")
    assert.is_false(ok)
    assert.truthy(err:find("JSON document used after its parser parsed another document", 1, true))
    local d1 = json.parse(src, { parser = p })
    json.parse("[2]")
    json.decode("[3]")
    assert.are.equal(256, d1:at("/total"))
  end)

  it("closes parsers: close(), __close and __gc are one idempotent function", function()
    local p = json.parser()
    local doc = json.parse(src, { parser = p })
    assert.are.equal(256, doc:at("/total"))
    p:close()
    p:close()
    for _, call in ipairs {
      function() return doc:at("/total") end,
      function() return json.parse("[1]", { parser = p }) end,
      function() return doc:decode() end,
    } do
      local ok, err = pcall(call)
      assert.is_false(ok)
      assert.truthy(tostring(err):find("attempt to use a closed JSON parser", 1, true), err)
    end
    -- the same C function under each name (LuaJIT makes a closure object per name): on a
    -- closed parser each does nothing; __close and __gc free an open one as close() does
    local mt = getmetatable(p)
    for _, name in ipairs { "__gc", "__close" } do
      mt[name](p)
      local q = json.parser()
      local d = json.parse("[7]", { parser = q })
      mt[name](q)
      local ok, err = pcall(d.at, d, "/0")
      assert.truthy(not ok and tostring(err):find("attempt to use a closed JSON parser", 1, true), name)
    end
  end)

  it("returns the parsers of collected documents and keeps at most 64 idle", function()
    collectgarbage()
    collectgarbage()
    local lent0, idle0 = json.parsers()
    local docs = {}
    for i = 1, 100 do docs[i] = json.parse("[" .. i .. "]") end
    local lent, idle = json.parsers()
    assert.are.same({ lent0 + 100, 0 }, { lent, idle })
    for i = 1, 100 do assert.are.equal(i, docs[i]:at("/0")) end
    docs = nil
    collectgarbage()
    collectgarbage()
    lent, idle = json.parsers()
    assert.are.same({ lent0, 64 }, { lent, idle })
    -- a parser of a large document is closed when returned: the idle ones stay within 4 MB
    local big = json.parse("[" .. ("1,"):rep(200000) .. "1]")
    assert.are.same({ lent0 + 1, 63 }, { json.parsers() })
    big = nil
    collectgarbage()
    collectgarbage()
    assert.are.same({ lent0, 63 }, { json.parsers() })
    -- 10,000 documents parsed and dropped: the parsers are returned as the collector goes
    for i = 1, 10000 do json.parse('{"i":' .. i .. '}') end
    lent = json.parsers()
    assert.is_true(lent - lent0 < 1000, "lent: " .. lent)
    -- a failed parse returns its parser at once
    collectgarbage()
    collectgarbage()
    lent0 = json.parsers()
    assert.is_nil((json.safe.parse("[1,")))
    assert.are.equal(lent0, (json.parsers()))
  end)

  it("rejects node indices that are not values (raw core calls, forged nodes)", function()
    local cj = require("hotpath.util").core.json
    local p = cj.parser()
    -- tape: 1 [, 2 int, 3 payload, 4 double, 5 payload, 6 {, 7 key, 8 int, 9 payload, 10 }, 11 "s", 12 ]
    local g = cj.parse(p, '[2449958199437037567,1.5,{"k":-1},"s"]', 0)
    for _, n in ipairs({ 0, 3, 5, 7, 9, 10, 12, 13, 100000 }) do
      local want = "JSON node " .. n .. " is not a value of this document"
      local ok, err = pcall(cj.get, p, g, n, "")
      assert.is_false(ok)
      assert.truthy(tostring(err):find(want, 1, true), err)
      ok, err = pcall(cj.materialize, p, g, n, false, 0)
      assert.truthy(not ok and tostring(err):find(want, 1, true), err)
      ok, err = pcall(cj.next, p, g, n, 0)
      assert.truthy(not ok and tostring(err):find(want, 1, true), err)
      ok, err = pcall(cj.get, p, g, n, "/0")
      assert.truthy(not ok and tostring(err):find(want, 1, true), err)
    end
    local kind, v, cnt = cj.get(p, g, 6, "")
    assert.are.same({ 9, 6, 1 }, { kind, tonumber(v), cnt })
    assert.are.equal(-1, select(2, cj.get(p, g, 8, "")))
    -- iteration cursors: a child start inside the container, or the end
    for _, c in ipairs({ 3, 5, 9, 13, 100 }) do
      local ok, err = pcall(cj.next, p, g, 1, c)
      assert.truthy(not ok and tostring(err):find("JSON iteration cursor " .. c .. " is not a child of node 1", 1, true), err)
    end
    local ok, err = pcall(cj.next, p, g, 6, 8)   -- a value where an object's key must be
    assert.truthy(not ok and tostring(err):find("JSON iteration cursor 8 is not a child of node 6", 1, true), err)
    assert.is_nil(cj.next(p, g, 1, 12))
    -- the reviewer's repro: a node pointed at a number's payload word raises, never reads it
    local doc = json.parse("[2449958199437037567]")
    assert.are.equal("2449958199437037567", (tostring(doc:at("/0")):gsub("LL$", "")))
    doc._n = 3
    ok, err = pcall(doc.type, doc)
    assert.truthy(not ok and tostring(err):find("JSON node 3 is not a value of this document", 1, true), err)
  end)

  it("checks opts.parser", function()
    for _, bad in ipairs({ 5, "p", {}, io.stdout }) do
      local ok, err = pcall(function() local d = json.parse("[1]", { parser = bad }) return d end)
      assert.is_false(ok)
      assert.are.equal("bad argument #2 to 'parse' (parser must be a json.parser(), got " .. type(bad) .. ")",
        err:match("bad argument.*"))
      assert.truthy(err:find("json_spec.lua", 1, true), err)   -- blamed on the caller
    end
    local doc = json.parse("[7]", { parser = json.parser() })
    assert.are.equal(7, doc:at("/0"))
  end)

  it("reports bad input like decode", function()
    local ok, err = pcall(json.parse, "[1,")
    assert.are.equal("unexpected end of input at byte 3", err)
    assert.is_nil((json.safe.parse("{")))
    local ok2, err2 = pcall(json.parse("[1]").at, json.parse("[1]"), "x")
    assert.is_false(ok2)
    assert.truthy(err2:find("JSON pointer must be empty or start with '/'", 1, true))
  end)
end)

describe("hotpath.json.encode", function()
  local cases = {
    { "x\"\\\n\1", '"x\\"\\\\\\n\\u0001"' }, { 1.5, "1.5" }, { 0.1, "0.1" }, { 100, "100" },
    { { 1, 2, 3 }, "[1,2,3]" }, { {}, "{}" }, { { a = null }, '{"a":null}' }, { true, "true" },
    { { [1] = 1, [3] = 3 }, '{"1":1,"3":3}' }, { 1e300, "1e300" }, { -0.0, "-0.0" },
  }
  for i, c in ipairs(cases) do
    it("encodes case " .. i, function() assert.are.equal(c[2], json.encode(c[1], { sort_keys = true })) end)
  end

  it("writes number keys as the same text under both runtimes, sorted by that text", function()
    local keys = {
      { 0.1, "0.1" }, { 1 / 3, "0.3333333333333333" }, { 0.1 + 0.2, "0.30000000000000004" },
      { 3.0, "3" }, { -7.0, "-7" }, { -0.0, "0" }, { 2 ^ 53, "9007199254740992" },
      { 2 ^ 60, "1152921504606846976" }, { -2 ^ 63, "-9223372036854775808" },
      { 2 ^ 63, "9.223372036854776e18" }, { 1e300, "1e300" }, { 5e-324, "5e-324" },
      { -1.5, "-1.5" }, { 1e21, "1e21" }, { 123456789012, "123456789012" },
    }
    for _, c in ipairs(keys) do
      local want = '{"' .. c[2] .. '":1}'
      assert.are.equal(want, json.encode({ [c[1]] = 1 }))
      assert.are.equal(want, json.encode({ [c[1]] = 1 }, { sort_keys = true }))
      assert.are.equal('{\n  "' .. c[2] .. '": 1\n}', json.encode({ [c[1]] = 1 }, { sort_keys = true, indent = 2 }))
    end
    -- sorted by the text written; a string key with the same text as a number key first
    assert.are.equal('{"0.1":1,"0.3":4,"0.3":2,"0.30000000000000004":3,"10":5,"9":6}',
      json.encode({ [0.1] = 1, [0.3] = 2, [0.1 + 0.2] = 3, ["0.3"] = 4, [10] = 5, [9] = 6 }, { sort_keys = true }))
    assert.are.equal('{"-1":3,"1e300":5,"2.5":2,"b":4}',
      json.encode({ [-1] = 3, [1e300] = 5, [2.5] = 2, b = 4 }, { sort_keys = true }))
    local ok, err = pcall(json.encode, { [0 / 0 ~= 0 / 0 and 1e309 or 0] = 1 })
    assert.is_false(ok)
    assert.truthy(err:find("cannot encode a NaN or infinite table key as JSON", 1, true))
  end)

  it("classifies a table as an array by its keys, wherever and in whatever order they are stored", function()
    -- keys 1..n in the hash part: Lua 5.4 walks this one as 7, 1, 2, ..., 6
    local function hashed(n)
      local t = { a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7 }
      for _, k in ipairs { "a", "b", "c", "d", "e", "f", "g" } do t[k] = nil end
      for i = n, 1, -1 do t[i] = i * 10 end
      return t
    end
    local cases = {
      { hashed(7), "[10,20,30,40,50,60,70]" },
      { hashed(3), "[10,20,30]" },
      { { hashed(7), { 1, 2 } }, "[[10,20,30,40,50,60,70],[1,2]]" },
      -- an array part followed by another key: the values already written are taken back
      { { { 1 }, { a = 1 }, x = true }, '{"1":[1],"2":{"a":1},"x":true}' },
      { { 1, 2, 3, [5] = 5 }, '{"1":1,"2":2,"3":3,"5":5}' },
      { { 1, nil, 3 }, '{"1":1,"3":3}' },
      { { [0] = 0, 1 }, '{"0":0,"1":1}' },
    }
    for i, c in ipairs(cases) do
      assert.are.equal(c[2], json.encode(c[1], { sort_keys = true }), "case " .. i)
      assert.are.same(json.decode(c[2]), json.decode(json.encode(c[1])), "case " .. i)
    end
    local ok, err = pcall(json.encode, { 1, 2, print })
    assert.is_false(ok)
    assert.truthy(err:find("cannot encode a function as JSON", 1, true))
  end)

  it("sorts keys and indents", function()
    assert.are.equal('{\n  "a": [\n    1,\n    2\n  ],\n  "b": {}\n}',
      json.encode({ b = {}, a = { 1, 2 } }, { sort_keys = true, indent = 2 }))
    assert.are.equal('{"a":[]}', json.encode({ a = {} }, { empty_table = "array" }))
    assert.are.equal('[]', json.encode(setmetatable({}, json.array_mt)))
  end)

  local bad = {
    { function() end, "cannot encode a function as JSON" },
    { { 0 / 0 }, "cannot encode NaN as JSON (allow_nan = true writes null)" },
    { { math.huge }, "cannot encode inf as JSON (allow_nan = true writes null)" },
    { io.stdout, "cannot encode a userdata as JSON" },
    { { [true] = 1 }, "cannot encode a table key of type boolean as JSON" },
  }
  for i, c in ipairs(bad) do
    it("raises on unencodable value " .. i, function()
      local ok, err = pcall(json.encode, c[1])
      assert.is_false(ok)
      assert.truthy(err:find(c[2], 1, true), err)
    end)
  end

  -- Cycles and depth: the Lua 5.4 encoder looks for a cycle only once the depth limit is
  -- reached, so these pin that a cycle is named whatever the limit, shape or sorting, and that
  -- a table met twice on different branches is no cycle.
  local function chain(levels, leaf)
    local d = leaf or {}
    for _ = 1, levels do d = { d } end
    return d
  end
  local CYCLE = "cannot encode a table that contains itself (cycle) as JSON"
  local depth_cases = {
    { "a cycle through an array", function() local t = {} t[1] = { t } return t end, nil, CYCLE },
    { "a table that holds itself", function() local t = {} t.self = t return t end, nil, CYCLE },
    { "a cycle at max_depth 2", function() local t = {} t.self = t return t end, { max_depth = 2 }, CYCLE },
    { "a cycle beyond max_depth 1", function() local t = {} t.self = t return t end, { max_depth = 1 },
      "cannot encode tables nested deeper than 1 as JSON" },
    { "a cycle of three tables, sorted", function()
        local a, b, c = {}, {}, {}
        a.next, b.next, c.next = b, c, a
        return { x = 1, a = a }
      end, { sort_keys = true }, CYCLE },
    -- the replay of the cycle meets the limit inside the deep sibling before the cycle again
    { "a cycle beside data nearly max_depth deep", function()
        local t = { chain(15) }
        t[2] = t
        return t
      end, { max_depth = 20 }, CYCLE },
    { "data deeper than max_depth", function() return chain(20) end, { max_depth = 10 },
      "cannot encode tables nested deeper than 10 as JSON" },
    { "data deeper than the default 1000", function() return chain(1000) end, nil,
      "cannot encode tables nested deeper than 1000 as JSON" },
  }
  for _, c in ipairs(depth_cases) do
    it("raises on " .. c[1], function()
      local ok, err = pcall(json.encode, c[2](), c[3])
      assert.is_false(ok)
      assert.truthy(err:find(c[4], 1, true), err)
    end)
  end

  it("writes a table met twice on different branches, and data at max_depth", function()
    local shared = { 1 }
    assert.are.equal('[[1],{"s":[1]},[1]]', json.encode({ shared, { s = shared }, shared }))
    assert.are.equal("[[[[]]]]", json.encode(chain(3), { max_depth = 4, empty_table = "array" }))
    assert.are.equal(string.rep("[", 1000) .. string.rep("]", 1000),
      json.encode(chain(999), { empty_table = "array" }))
    assert.are.equal("null", json.encode(0 / 0, { allow_nan = true }))
  end)

  -- Leaves the collector, stopped and then restarted, in its finalizer phase with finalizers
  -- that call fin still pending, so that the next allocation runs some (deterministic: the GC
  -- is driven by explicit steps). A userdata under LuaJIT, whose tables take no __gc; LuaJIT
  -- runs no finalizer while a trace runs, so callers run interpreted (jit.off).
  local function pending_finalizers(fin)
    collectgarbage("collect")
    -- Lua 5.4: the smallest steps (one unit of GC work, a few finalizers each)
    if not jit then collectgarbage("incremental", 0, 1, 1) end
    collectgarbage("stop")
    local ran = 0
    local function f() ran = ran + 1 fin() end
    for _ = 1, 500 do
      if jit then
        local p = newproxy(true)
        getmetatable(p).__gc = f
      else
        setmetatable({}, { __gc = f })
      end
    end
    local steps = 0
    while ran == 0 and steps < 1000000 do collectgarbage("step", 1) steps = steps + 1 end
    collectgarbage("restart")
    return ran < 500
  end
  local function interpreted(f)
    if jit then jit.flush() jit.off() end
    local ok, err = pcall(f)
    if jit then jit.on() else collectgarbage("incremental", 200, 100, 13) end   -- 5.4's defaults
    assert(ok, err)
  end

  it("is reentrant: a finalizer that encodes during an encode gets its own writer", function()
    -- sorted (the C encoder, which allocates then), and under LuaJIT unsorted too (the FFI
    -- walk, which allocates when interpreted: boxed 64-bit fields)
    for _, opts in ipairs(jit and { { sort_keys = true }, {} } or { { sort_keys = true } }) do
      local inside, runs, bad = false, 0, nil
      local inner = { z = { 1, 2, 3 }, y = "fin", [0.5] = true }
      local inner_want = json.encode(inner, opts)
      local function fin()
        local s = json.encode(inner, opts)
        if inside then runs = runs + 1 end
        if s ~= inner_want then bad = s end
      end
      local big = {}
      for i = 1, 100 do big["k" .. i] = { i, "v" .. i, { x = i / 8, [i + 0.5] = i } } end
      local want = json.encode(big, opts)
      interpreted(function()
        for _ = 1, 5 do
          assert.is_true(pending_finalizers(fin))
          inside = true
          local s = json.encode(big, opts)
          inside = false
          assert.are.equal(want, s)
        end
      end)
      collectgarbage("collect")
      assert.is_nil(bad)
      assert.is_true(runs > 0, "no finalizer ran during an encode: the test did not test")
      -- an encode that raised leaves the encoder usable
      assert.is_false(pcall(json.encode, { function() end }, opts))
      assert.are.equal(want, json.encode(big, opts))
    end
  end)

  it("does not leave the encoder's busy mark set, whatever raises during an encode, in both runtimes", function()
    local cj = require("hotpath.util").core.json
    for _, v in ipairs { { function() end }, { 1, { 0 / 0 } }, { [true] = 1 }, { a = io.stdout } } do
      local cyc = {} cyc.a = { cyc }
      for _, x in ipairs { v, cyc } do
        assert.is_false(pcall(json.encode, x))
        assert.is_false(pcall(json.encode, x, { sort_keys = true }))
        assert.is_false(cj.busy())
      end
    end
    if not jit then return end
    -- LuaJIT's FFI walk: a finalizer's error, which LuaJIT passes on to the allocation that
    -- ran it (interpreted, the walk allocates: boxed 64-bit fields)
    local fast = require("hotpath.ffi.json").fast(cj)
    local big = {}
    for i = 1, 200 do big[i] = { id = i, name = "n" .. i, tags = { "a", "b" } } end
    local want = json.encode(big)
    local raised, armed = false, false
    interpreted(function()
      for _ = 1, 20 do
        -- armed only around the encode: the finalizers still pending after it do nothing
        assert.is_true(pending_finalizers(function() if armed then error("boom from a finalizer") end end))
        armed = true
        local ok, err = pcall(json.encode, big)
        armed = false
        collectgarbage("collect")
        if not ok then
          assert.truthy(tostring(err):find("boom from a finalizer", 1, true), err)
          raised = true
          break
        end
      end
    end)
    assert.is_true(raised, "no finalizer raised during an encode: the test did not test")
    -- the mark the raise left is taken over by the next encode (the FFI encoder's stayed set
    -- for good, and every later encode took a temporary encoder)
    assert.are.equal(want, json.encode(big))
    assert.is_false(fast.busy())
  end)

  it("is reentrant: a finalizer that decodes or parses during a decode or materialize", function()
    local inside, materializing, runs, bad = false, false, 0, nil
    local pp = json.parser()
    local inner = '{"inner":[1,2,3],"pad":"' .. string.rep("x", 3000) .. '","more":[' .. string.rep('{"a":1},', 200) .. '0]}'
    local function fin()
      local v = json.decode(inner)
      if v.inner[3] ~= 3 or #v.more ~= 201 then bad = "inner decode" end
      if inside then
        runs = runs + 1
        -- parsing with the parser a running doc:decode() reads from is refused, with the
        -- core's status name for misuse (both runtimes: the FFI binding said "EINVAL")
        local d, msg, code = json.safe.parse(inner, { parser = pp })
        if d and materializing then bad = "parse allowed during doc:decode()" end
        if not d and not materializing then bad = "parse refused: " .. tostring(msg) end
        if not d and materializing and code ~= "invalid" then bad = "code " .. tostring(code) end
      end
    end
    local parts = {}
    for i = 1, 300 do parts[i] = '{"id":' .. i .. ',"name":"n' .. i .. '","tags":["a","b"]}' end
    local outer = "[" .. table.concat(parts, ",") .. "]"
    local want = canon(json.decode(outer))
    interpreted(function()
      for _ = 1, 5 do
        assert.is_true(pending_finalizers(fin))
        inside = true
        local v = json.decode(outer)
        inside = false
        assert.are.equal(want, canon(v))
        local doc = json.parse(outer, { parser = pp })
        assert.is_true(pending_finalizers(fin))
        inside, materializing = true, true
        v = doc:decode()
        inside, materializing = false, false
        assert.are.equal(want, canon(v))
      end
    end)
    collectgarbage("collect")
    assert.is_nil(bad)
    assert.is_true(runs > 0, "no finalizer ran during a decode: the test did not test")
  end)

  it("round-trips generated values: decode(encode(x)) == x", function()
    local rnd = random(12345)
    local function gen(depth)
      local k = rnd(depth > 3 and 5 or 7)
      if k == 0 then return rnd(2000000) - 1000000
      elseif k == 1 then return (rnd(2000000) - 1000000) / 7
      elseif k == 2 then local s = {} for i = 1, rnd(12) do s[i] = string.char(rnd(256)) end
        return (table.concat(s):gsub("[\128-\255]", "\195\169"))
      elseif k == 3 then return rnd(2) == 1
      elseif k == 4 then return null
      elseif k == 5 then local t = {} for i = 1, rnd(5) do t[i] = gen(depth + 1) end return t
      else local t = {} for i = 1, rnd(5) do t["k" .. rnd(100)] = gen(depth + 1) end return t end
    end
    for _ = 1, 300 do
      local x = gen(0)
      local s = json.encode(x, { sort_keys = true })
      assert.are.equal(s, json.encode(json.decode(s), { sort_keys = true }))
      if type(x) == "table" and next(x) then assert.are.same(x, json.decode(s)) end
    end
  end)
end)

-- LuaJIT's FFI fast paths (lua/hotpath/ffi/json.lua) leave every rule to the C binding; what
-- they write or read themselves must be exactly what C gives. Compared on generated values.
describe("hotpath.json under LuaJIT: the FFI fast paths against the C binding", function()
  if not jit then return end
  local cj = require("hotpath.util").core.json
  local fast = require("hotpath.ffi.json").fast(cj)
  local rnd = random(777)
  local function pick(t) return t[rnd(#t) + 1] end
  local scalars = { 0, -0.0, 1, -7, 0.5, 1 / 3, 1e21, 2 ^ 53, 2 ^ 60, -2 ^ 63, 5e-324, 1e300, "", "a",
    "caf\195\169", "\0\1\"\\", "x\n", true, false, null }
  local odd = { 0 / 0, math.huge, print, io.stdout }   -- left to C: it raises
  local function gen(depth)
    local k = depth > 4 and 3 or rnd(8)
    if k == 0 then   -- array, sometimes with a hole or an extra key
      local t = {}
      for i = 1, rnd(5) do t[i] = gen(depth + 1) end
      local r = rnd(10)
      if r == 0 and #t > 1 then t[1] = nil elseif r == 1 then t.x = 1 elseif r == 2 then t[0] = 0 end
      return t
    elseif k == 1 then   -- object, string and number keys
      local t = {}
      for _ = 1, rnd(5) do
        local key = rnd(4) == 0 and pick { 1.5, -3, 2 ^ 40, 7 } or "k" .. rnd(9)
        t[key] = gen(depth + 1)
      end
      return t
    elseif k == 2 then return rnd(3) == 0 and setmetatable({}, json.array_mt) or {}
    elseif k == 7 and rnd(20) == 0 then return pick(odd)
    else return pick(scalars) end
  end

  it("encodes exactly as C, and leaves to C what raises", function()
    local bails = 0
    for _ = 1, 3000 do
      local v = gen(0)
      local empty = rnd(2) == 0
      local depth = rnd(4) == 0 and 3 or 1000
      local ok1, s1 = pcall(cj.encode, v, false, 0, empty, depth, false)
      local ok2, s2 = pcall(fast.encode, v, false, 0, empty, depth, false)
      assert.are.same({ ok1, s1 }, { ok2, s2 })
      if not ok1 then bails = bails + 1 end
      assert.is_false(fast.busy())
    end
    assert.is_true(bails > 50, "only " .. bails .. " errors: the test did not test")
  end)

  it("parses and reads doc:at() values exactly as C", function()
    local p = cj.parser()
    for _ = 1, 300 do
      local ok, src = pcall(json.encode, gen(0), { allow_nan = true })
      if not ok then src = "[1]" end   -- a function or userdata in it
      local g = cj.parse(p, src, 0)
      local ptrs = { "", "/0", "/1", "/k1", "/k2/0", "/7", "/-3", "/1.5", "/x", "/nope" }
      for _, ptr in ipairs(ptrs) do
        assert.are.same({ pcall(cj.get, p, g, 1, ptr) }, { pcall(fast.get, p, g, 1, ptr) })
      end
    end
    for _, src in ipairs { "[9007199254740993,-9007199254740993,18446744073709551615]", '{"a":1}' } do
      local g = cj.parse(p, src, 0)
      for _, ptr in ipairs { "/0", "/1", "/2", "/a", "x" } do
        local a, b = { pcall(cj.get, p, g, 1, ptr) }, { pcall(fast.get, p, g, 1, ptr) }
        assert.are.equal(#a, #b)
        for i = 1, #a do assert.are.equal(tostring(a[i]), tostring(b[i])) end
      end
    end
    -- parse: a generation, or C's nil, msg, code
    for _, src in ipairs { "[1]", "", "[1,", "[[[[1]]]]", "\255" } do
      local a, b = { cj.parse(p, src, 3) }, { fast.parse(p, src, 3) }
      if a[1] then assert.are.same({ "number", "number" }, { type(a[1]), type(b[1]) })
      else assert.are.same(a, b) end
    end
    local closed = cj.parser()
    getmetatable(closed).__close(closed)
    assert.are.same({ pcall(cj.parse, closed, "[1]", 0) }, { pcall(fast.parse, closed, "[1]", 0) })
    -- a forged node, a stale document, a value that is no parser: C's errors
    local g = cj.parse(p, "[1,2]", 0)
    for _, c in ipairs { { p, g, 3 }, { p, g + 1, 1 }, { cj.array_mt, g, 1 }, { 5, g, 1 } } do
      local a, b = { pcall(cj.get, c[1], c[2], c[3], "") }, { pcall(fast.get, c[1], c[2], c[3], "") }
      assert.is_false(a[1])
      assert.are.same(a, b)
    end
  end)
end)

-- Hostile input (issue 13): nothing crashes, hangs or gives a wrong answer, in either runtime.
describe("hotpath.json on hostile input", function()
  local helper = require "helper"
  local proc = require("hotpath").proc

  -- Runs code in a fresh interpreter of this runtime (fresh parsers: the bug needed one) and
  -- returns its stdout.
  local function fresh(code)
    local prelude = string.format("package.path = %q .. package.path; package.cpath = %q .. package.cpath; ",
      helper.root .. "/lua/?.lua;" .. helper.root .. "/lua/?/init.lua;" .. helper.root .. "/build/lua/?.lua;",
      helper.root .. "/build/lua54/?.so;")
    local r = assert(proc.run { argv = { helper.lua, "-e", prelude .. code }, keep_stdout = true,
      keep_stderr = 4096, timeout = 60 })
    assert.are.equal("exited 0", r.status, r.stderr)
    return r.stdout
  end

  local first_calls = {
    { "decode('')", "print(pcall(require('hotpath.json').decode, ''))", "false\tempty document at byte 0\n" },
    { "safe.decode of a BOM alone", "print(require('hotpath.json').safe.decode('\\239\\187\\191'))",
      "nil\tempty document at byte 3\tparse\n" },
    { "safe.parse('')", "print(require('hotpath.json').safe.parse(''))", "nil\tempty document at byte 0\tparse\n" },
    { "decode of whitespace", "print(pcall(require('hotpath.json').decode, ' '))", "false\tempty document at byte 1\n" },
  }
  for _, c in ipairs(first_calls) do
    it("answers " .. c[1] .. " as the first call of a process", function()
      assert.are.equal(c[3], fresh(c[2]))
    end)
  end

  it("refuses empty input on fresh parsers: hooked decode, private parsers", function()
    local ok, err = pcall(json.decode, "", { yield = function() end })
    assert.is_false(ok)
    assert.are.equal("empty document at byte 0", err)
    local v, msg, code = json.safe.parse("", { parser = json.parser() })
    assert.are.same({ nil, "empty document at byte 0", "parse" }, { v, msg, code })
    v, msg = json.safe.parse("\239\187\191", { parser = json.parser() })
    assert.are.equal("empty document at byte 3", msg)
    v, msg = json.safe.decode("\239\187\191 ", { yield = function() end })
    assert.are.equal("empty document at byte 4", msg)
  end)

  -- parse and decode take the same documents at the same max_depth (parse let an empty
  -- container one level deeper through)
  local depths = {
    { "[[[]]]", 3 }, { "[[[1]]]", 3 }, { '{"a":{"b":{}}}', 3 }, { "[1]", 1 }, { "7", 1 },
    { "[[[[]]]]", 3, "nesting deeper than 3 at byte 3" },
    { "[[[[1]]]]", 3, "nesting deeper than 3 at byte 3" },
    { "[[[1]],[[[]]]]", 3, "nesting deeper than 3 at byte 9" },
    { '{"a":{}}', 1, "nesting deeper than 1 at byte 5" },
    { string.rep("[", 1001) .. string.rep("]", 1001), nil, "nesting deeper than 1000 at byte 1000" },
  }
  for i, c in ipairs(depths) do
    it("applies max_depth alike in decode and parse, case " .. i, function()
      local opts = c[2] and { max_depth = c[2] } or nil
      local v, err, code = json.safe.decode(c[1], opts)
      local doc, perr, pcode = json.safe.parse(c[1], opts)
      if c[3] then
        assert.are.same({ nil, c[3], "limit" }, { v, err, code })
        assert.are.same({ nil, c[3], "limit" }, { doc, perr, pcode })
        local ok, rerr = pcall(json.parse, c[1], opts)
        assert.are.same({ false, c[3] }, { ok, rerr })
      else
        assert.are.equal(canon(v), canon(doc:decode()))
      end
    end)
  end

  it("gives the last value of a key given twice, in decode and in parse", function()
    local s = '{"a":1,"b":{"c":[1],"c":[2,3]},"a":"last"}'
    local t = json.decode(s)
    assert.are.equal("last", t.a)
    assert.are.same({ 2, 3 }, t.b.c)
    local doc = json.parse(s)
    assert.are.equal("last", doc:at("/a"))
    assert.are.equal("last", doc:string("/a"))
    assert.are.equal(3, doc:at("/b/c/1"))
    assert.are.equal(2, doc:len("/b/c"))
    assert.are.same(t, doc:decode())
    assert.are.same({ 2, 3 }, doc:decode("/b/c"))
    assert.are.equal(3, doc:len())   -- the members as written
    local seen = {}
    for k, v in doc:pairs() do seen[#seen + 1] = k .. "=" .. (type(v) == "table" and "node" or tostring(v)) end
    assert.are.same({ "a=1", "b=node", "a=last" }, seen)
  end)

  -- numbers that overflow a double, however long, name their offset
  local numbers = {
    { "1" .. string.rep("0", 400) .. ".0", "number out of the double range at byte 0" },
    { "[1." .. string.rep("0", 70) .. "e309]", "number out of the double range at byte 1" },
    { "[1.7976931348623159" .. string.rep("0", 60) .. "e308]", "number out of the double range at byte 1" },
    { "[-" .. string.rep("9", 400) .. "e-91]", "number out of the double range at byte 1" },
    { "[0." .. string.rep("0", 400) .. "1e401, x]", "unexpected character 'x' at byte 410" },
    { "[1e99999999999999999999999]", "number out of the double range at byte 1" },
    { string.rep("1", 400), "integer out of the 64-bit range at byte 0" },
  }
  for i, c in ipairs(numbers) do
    it("names the offset of long number case " .. i, function()
      assert.are.same({ nil, c[2], "parse" }, { json.safe.decode(c[1]) })
      assert.are.same({ nil, c[2], "parse" }, { json.safe.parse(c[1]) })
    end)
  end

  it("reads long numbers in range to the nearest double", function()
    assert.are.equal(1.7976931348623157e308, json.decode("[1.7976931348623157" .. string.rep("0", 60) .. "e308]")[1])
    assert.are.equal(1, json.decode("0." .. string.rep("0", 400) .. "1e401"))
    assert.are.equal(0, json.decode("1e-99999999999999999999"))
    assert.are.equal(0.1, json.decode("0." .. string.rep("0", 400) .. "1e400"))
  end)

  it("keeps NUL bytes in strings and keys, and refuses raw ones", function()
    assert.are.equal("a\0b", json.decode('"a\\u0000b"'))
    assert.are.equal(1, json.decode('{"a\\u0000b":1}')["a\0b"])
    assert.are.equal(1, json.parse('{"a\\u0000b":1,"a":2}'):at("/a\0b"))
    assert.are.equal('"a\\u0000b"', json.encode("a\0b"))
    assert.are.same({ nil, "unescaped control character in string at byte 2", "parse" }, { json.safe.decode('"a\0b"') })
    assert.are.same({ nil, "trailing content after the document (byte 0x00) at byte 3", "parse" },
      { json.safe.decode("[1]\0") })
  end)

  local texts = {   -- invalid UTF-8 and \u escapes
    { '"\192\128"', "invalid UTF-8 at byte 1" },               -- overlong NUL
    { '"\226\130"', "invalid UTF-8 at byte 1" },               -- cut short by the quote
    { '"\244\144\128\128"', "invalid UTF-8 at byte 1" },       -- beyond U+10FFFF
    { '"\248\136\128\128\128"', "invalid UTF-8 at byte 1" },   -- a 5-byte form
    { '"\128"', "invalid UTF-8 at byte 1" },                   -- a lone continuation byte
    { '"\\udc00\\ud800"', "lone low surrogate in string at byte 1" },
    { '"\\ud800\\u0041"', "lone high surrogate in string at byte 1" },
    { '"\\ud800"', "lone high surrogate in string at byte 1" },
    { '"\\u12"', "invalid \\u escape in string at byte 1" },
    { '"\\u12G4"', "invalid \\u escape in string at byte 1" },
  }
  for i, c in ipairs(texts) do
    it("refuses broken text " .. i .. " with its offset", function()
      assert.are.same({ nil, c[2], "parse" }, { json.safe.decode(c[1]) })
      assert.are.same({ nil, c[2], "parse" }, { json.safe.parse(c[1]) })
    end)
  end

  it("round-trips a 16 MB string and a 1 MB string of escapes", function()
    local big = string.rep("0123456789abcdef", 1024 * 1024)
    assert.are.equal(big, json.decode(json.encode(big)))
    local esc = string.rep("\1\"\\", 350000)
    assert.are.equal(esc, json.decode(json.encode(esc)))
  end)

  it("keeps each parser usable after every kind of error", function()
    local p = json.parser()
    for _, bad in ipairs { "", "[1,", "[[[[]]]]", "\255", "[1e400]", "{\"a\":1,}" } do
      assert.is_nil(json.safe.decode(bad, { max_depth = 3 }))
      assert.is_nil(json.safe.parse(bad, { max_depth = 3, parser = p }))
      assert.are.same({ 1, { 2 } }, json.decode("[1,[2]]"))
      assert.are.equal(2, json.parse("[1,[2]]", { parser = p }):at("/1/0"))
    end
  end)

  it("limits encode depth alike in both runtimes, and names cycles at that limit", function()
    assert.are.equal(2000, json.encode_depth_limit)
    local function objs(n) local t = {} local c = t for _ = 2, n do c.a = {} c = c.a end return t end
    -- the deepest, sorted and indented (the most Lua stack per level under LuaJIT's encoder),
    -- from inside a coroutine a few hundred calls deep
    local function nest(k, f) if k == 0 then return f() end return (nest(k - 1, f)) end
    local s = coroutine.wrap(function()
      return nest(200, function() return json.encode(objs(2000), { max_depth = 2000, sort_keys = true, indent = 1 }) end)
    end)()
    assert.are.equal(2000, select(2, s:gsub("{", "")))
    local ok, err = pcall(json.encode, objs(2001), { max_depth = 2000 })
    assert.is_false(ok)
    assert.truthy(err:find("cannot encode tables nested deeper than 2000 as JSON", 1, true))
    ok, err = pcall(json.encode, {}, { max_depth = 2001 })
    assert.truthy(err:find("max_depth must be between 1 and 2000, got 2001", 1, true))
    local cyc = {} cyc.self = cyc
    ok, err = pcall(json.encode, cyc, { max_depth = 2000 })
    assert.truthy(err:find("cannot encode a table that contains itself (cycle) as JSON", 1, true))
    -- and the encoder works normally afterwards
    assert.are.equal('{"a":[1,2]}', json.encode({ a = { 1, 2 } }))
  end)

  it("round-trips -0.0 with its sign (the writer wrote \"-0\", read back as the integer 0)", function()
    local z = json.decode(json.encode(-0.0))
    assert.are.equal(-math.huge, 1 / z)
    assert.are.equal(-math.huge, 1 / json.decode(json.encode({ -0.0 }))[1])
    assert.are.equal("[-0.0,0]", json.encode({ -0.0, 0.0 }))
  end)

  it("refuses NaN and infinities, as values and as keys, unless allow_nan", function()
    for _, x in ipairs { 0 / 0, math.huge, -math.huge } do
      assert.is_false(pcall(json.encode, { x }))
      assert.are.equal("[null]", json.encode({ x }, { allow_nan = true }))
      local ok, err = pcall(json.encode, { [x == x and x or 1] = 1, a = x == x and 1 or x })
      assert.is_false(ok)
      assert.truthy(err:find("cannot encode", 1, true))
    end
    local ok, err = pcall(json.encode, { [math.huge] = 1 }, { allow_nan = true, sort_keys = true })
    assert.is_false(ok)
    assert.truthy(err:find("cannot encode a NaN or infinite table key as JSON", 1, true))
  end)
end)
