-- The JSON peers (bench/peers/{rust,go}/json_decode): built by hotpath.peers as bench/json.lua
-- builds them, run on small documents; their checksum line must be what hotpath's own decode of
-- the same document gives (bench/json.lua's verification), in every mode, from a file and from
-- stdin; and their argument and input errors are exact. Pending where a toolchain is missing.
local hp = require "hotpath"
local helper = require "helper"
local peers = require "hotpath.peers"
local format = string.format

local function run(argv, stdin)
  return assert(hp.proc.run { argv = argv, stdin = stdin, keep_stdout = true, keep_stderr = true, timeout = 120 })
end

-- bench/json.lua's checksum: total + every item's id and count of tags
local function checksum(t)
  local s = t.total
  for _, it in ipairs(t.items) do s = s + it.id + #it.tags end
  return format("%d", s)
end

local function item(id, name, tags)
  return format('{"id":%d,"name":%s,"tags":[%s],"metadata":{"created":"2025-01-02","score":%d.5,"active":true}}',
    id, name, tags, id * 3)
end

-- small documents: the bench's shape, escapes and non-ASCII text, no items, whitespace
local DOCS = {
  { "one item", '{"status":"ok","total":256,"items":[' .. item(1, '"item 1"', '"alpha","beta","gamma"') .. ']}' },
  { "three items", '{"status":"ok","total":7,"items":[' .. item(10, '"a"', '"x"') .. "," .. item(20, '"b"', '') ..
    "," .. item(300, '"c"', '"x","y","z","w"') .. ']}' },
  { "escapes and UTF-8", '{"status":"\\"quoted\\" \\\\ \\u00e9","total":1,"items":[' ..
    item(5, '"caf\195\169 \\u263a \\n"', '"\\t","\226\130\172"') .. ']}' },
  { "no items", '{"status":"empty","total":0,"items":[]}' },
  { "whitespace", '{ "status" : "ok" ,\n  "total" : 42 ,\n  "items" : [ ' .. item(2, '"z"', ' "p" , "q" ') .. ' ]\n}\n' },
}

local LANGS = {
  { lang = "rust", name = "Rust", modes = { "struct", "value" }, encoders = { "encode_struct", "encode_value" },
    usage = "usage: json_decode struct|value|encode_struct|encode_value N [FILE]\n",
    bad_mode = "json_decode: MODE must be struct, value, encode_struct or encode_value, got \"jsoniter\"\n",
    truncated = "json_decode: invalid document: EOF while parsing a value at line 1 column 9\n" },
  { lang = "go", name = "Go", modes = { "struct", "map", "jsoniter" },
    encoders = { "encode_struct", "encode_map", "encode_jsoniter" },
    usage = "usage: json_decode struct|map|jsoniter|encode_struct|encode_map|encode_jsoniter N [FILE]\n",
    bad_mode = "json_decode: MODE must be struct, map, jsoniter, encode_struct, encode_map or encode_jsoniter, got \"value\"\n",
    truncated = "json_decode: invalid document: unexpected end of JSON input\n" },
}

local FIGURES = "^allocs_per_doc (%d+%.%d%d) bytes_per_doc (%d+) ns_per_doc (%d+)\n$"

for _, L in ipairs(LANGS) do
  describe(L.name .. " json_decode peer", function()
    local missing = select(2, peers.toolchain(L.lang))
    if missing then
      pending(missing)
      return
    end

    local bin, tmp
    setup(function()
      local b, err = peers.build(L.lang, "json_decode", { timeout = 900 })
      bin = b and b.path or error(err)
      tmp = helper.tmpdir()
    end)
    teardown(function() if tmp then helper.rmdir(tmp) end end)

    for di, d in ipairs(DOCS) do
      local name, doc = d[1], d[2]
      for _, mode in ipairs(L.modes) do
        it(format("%s: %s, 3 decodes from a file, prints hotpath's checksum", mode, name), function()
          local path = format("%s/doc%d.json", tmp, di)
          helper.write(path, doc)
          local r = run { bin, mode, "3", path }
          assert.are.equal("exited 0", r.status, r.stderr)
          local want = checksum(hp.json.decode(doc))
          local line, figures = r.stdout:match("^([^\n]*)\n(.*)$")
          assert.are.equal(want, line)
          local allocs, bytes = figures:match(FIGURES)
          assert.is_truthy(allocs, figures)
          -- every decode allocates (strings, the item list): the counter counts
          assert.is_true(tonumber(allocs) > 0 and tonumber(bytes) > 0, figures)
        end)
      end
      for _, mode in ipairs(L.encoders) do
        it(format("%s: %s on stdin, prints the checksum and length of what it encodes", mode, name), function()
          local r = run({ bin, mode, "2" }, doc)
          assert.are.equal("exited 0", r.status, r.stderr)
          -- compact JSON of the same values: as long as hotpath's encoding of its decode
          local want = checksum(hp.json.decode(doc)) .. " " .. #hp.json.encode(hp.json.decode(doc))
          assert.are.equal(want, r.stdout:match("^([^\n]*)\n"))
          assert.is_truthy(r.stdout:match("\n(.*)$"):match(FIGURES), r.stdout)
        end)
      end
    end

    it("reads stdin when FILE is \"-\"", function()
      local r = run({ bin, "struct", "1", "-" }, DOCS[2][2])
      assert.are.equal(checksum(hp.json.decode(DOCS[2][2])), r.stdout:match("^([^\n]*)\n"))
    end)

    local ERRORS = {
      { { "struct" }, 2, "json_decode: expected 2 or 3 arguments\n" .. L.usage },
      { { "struct", "1", "a", "b" }, 2, "json_decode: expected 2 or 3 arguments\n" .. L.usage },
      { { L.lang == "rust" and "jsoniter" or "value", "1" }, 2, L.bad_mode .. L.usage },
      { { "struct", "0" }, 2, "json_decode: N must be a positive integer, got \"0\"\n" .. L.usage },
      { { "struct", "ten" }, 2, "json_decode: N must be a positive integer, got \"ten\"\n" .. L.usage },
      { { "struct", "1", "/nonexistent/doc.json" }, 1,
        "json_decode: cannot read /nonexistent/doc.json: no such file or directory\n" },
      { { "struct", "1", "/" }, 1, "json_decode: cannot read /: is a directory\n" },
    }
    for _, e in ipairs(ERRORS) do
      it(format("json_decode %s exits %d with an exact message", table.concat(e[1], " "), e[2]), function()
        local argv = { bin }
        for i, a in ipairs(e[1]) do argv[i + 1] = a end
        local r = run(argv, "")
        assert.are.equal("exited " .. e[2], r.status)
        assert.are.equal("", r.stdout)
        assert.are.equal(e[3], r.stderr)
      end)
    end

    it("refuses a truncated document with the parser's message", function()
      local r = run({ bin, "struct", "1" }, '{"total":')
      assert.are.equal("exited 1", r.status)
      assert.are.equal("", r.stdout)
      assert.are.equal(L.truncated, r.stderr)
    end)

    it("refuses a document without the API response's fields", function()
      local r = run({ bin, L.modes[2], "1" }, '{"total":1}')
      assert.are.equal("exited 1", r.status)
      assert.are.equal("json_decode: invalid document: total, items[].id and items[].tags expected\n", r.stderr)
    end)
  end)
end
