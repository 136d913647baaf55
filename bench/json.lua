-- JSON scenarios: the published workload (a 2.4 KB API response decoded 100,000 times), a
-- >= 10 MB document built in setup, and encode of the same data; lua-cjson and dkjson as
-- peers in the same run; the Rust (serde_json) and Go (encoding/json, jsoniter) peers of
-- bench/peers/*/json_decode in the same run too, with the published figures as references.
local hp = require "hotpath"
local peers = require "hotpath.peers"
local format = string.format

-- The 2.4 KB document: "status", "total" = 256, "items" with id, name, tags, metadata.
local function api_doc(nitems)
  local items = {}
  for i = 1, nitems do
    items[i] = string.format('{"id":%d,"name":"item %d","tags":["alpha","beta","gamma"],' ..
      '"metadata":{"created":"2025-01-%02d","score":%d.5,"active":%s}}',
      i, i, i % 28 + 1, i * 7, i % 2 == 0 and "true" or "false")
  end
  return '{"status":"ok","total":256,"items":[' .. table.concat(items, ",") .. ']}'
end
local DOC = api_doc(20)   -- 2,4xx bytes

local PUBLISHED = {
  { name = "serde_json, published", ms = 283, mb = 12.4, lang = "Rust" },
  { name = "Go encoding/json, published", ms = 1847, mb = 89.3 },
  { name = "Go jsoniter, published", ms = 1126 },
  { name = "Go sonic, published", ms = 623, mb = 41.7 },
}

local function decoders()
  return {
    hotpath = hp.json.decode,
    cjson = require("cjson").decode,
    dkjson = require("dkjson").decode,
  }
end

-- Output verified: the total plus every item's id and count of tags, identical for every
-- decoder (the peers print the same number, computed from each of their decodes).
local function checksum(t)
  local s = t.total
  for _, it in ipairs(t.items) do s = s + it.id + #it.tags end
  return string.format("%d", s)
end

-- Bytes the Lua allocator hands out per call of f(arg), the collector stopped (after one call
-- that warms caches and interns the strings): untimed, in setup. Memory the C side keeps
-- (the parser's buffers, reused) is not in it.
local function lua_bytes_per_call(f, arg)
  local n = 100
  f(arg)
  collectgarbage("collect")
  collectgarbage("stop")
  local k0 = collectgarbage("count")
  for _ = 1, n do f(arg) end
  local kb = collectgarbage("count") - k0
  collectgarbage("restart")
  return kb * 1024 / n
end

local NOT_PACKAGED = "Go's sonic and go-json and Rust's simd-json and sonic-rs are not packaged in " ..
  "Debian 12 (the peers are built offline from Debian packages only): not measured here; the " ..
  "published sonic figure is shown as a reference."

-- dkjson (pure Lua) is about 12x slower than lua-cjson: it decodes and encodes a tenth as
-- many documents, so `make bench` stays minutes long; compare it per document (us_per_doc).
local function count_for(name, n) return name == "dkjson" and math.floor(n / 10) or n end

local function decode_scenario(name, p)
  return hp.scenario("decode 2.4 KB x N, " .. name) {
    params = { n = count_for(name, 100000) }, quick = { n = count_for(name, 2000) },
    setup = function()
      local dec = decoders()[name]
      return { dec = dec, bytes = lua_bytes_per_call(dec, DOC) }
    end,
    run = function(prm, st)
      local t, dec = nil, st.dec
      local t0 = hp.clock()
      for _ = 1, prm.n do t = dec(DOC) end
      return checksum(t), { us_per_doc = (hp.clock() - t0) / prm.n * 1e6, bytes_per_doc = st.bytes }
    end,
    verify = function(out) return out == "526", "checksum " .. out end,
    reference = p and PUBLISHED or nil,
    note = p and ("The published figures come from another machine. bytes_per_doc: what the Lua " ..
      "allocator hands out per decode. " .. NOT_PACKAGED) or nil,
    baseline = name == "hotpath" and "decode 2.4 KB x N, cjson" or nil,
    headline = p and { dimension = "JSON", workload = "decode a 2.4 KB API response 100,000 times" } or nil,
  }
end

local function big_doc()
  local parts = {}
  for i = 1, 4500 do parts[i] = DOC end
  return "[" .. table.concat(parts, ",") .. "]"   -- ~11 MB
end

local function big_scenario(name)
  return hp.scenario("decode >= 10 MB document, " .. name) {
    params = { n = 3 }, quick = { n = 1 },
    setup = function() return { doc = big_doc(), dec = decoders()[name] } end,
    run = function(prm, st)
      local t
      for _ = 1, prm.n do t = st.dec(st.doc) end
      return tostring(#t) .. ":" .. tostring(#st.doc >= 10 * 1024 * 1024)
    end,
    verify = function(out) return out == "4500:true", out end,
    baseline = name ~= "cjson" and "decode >= 10 MB document, cjson" or nil,
  }
end

local function encode_scenario(name)
  return hp.scenario("encode 2.4 KB x N, " .. name) {
    params = { n = count_for(name, 100000) }, quick = { n = count_for(name, 2000) },
    setup = function()
      local enc = name == "hotpath" and hp.json.encode or name == "cjson" and require("cjson").encode
        or require("dkjson").encode
      local data = require("cjson").decode(DOC)
      return { enc = enc, data = data, bytes = lua_bytes_per_call(enc, data) }
    end,
    run = function(prm, st)
      local s
      local t0 = hp.clock()
      for _ = 1, prm.n do s = st.enc(st.data) end
      local us = (hp.clock() - t0) / prm.n * 1e6
      return tostring(#hp.json.encode(hp.json.decode(s))), { us_per_doc = us, bytes_per_doc = st.bytes }
    end,
    verify = function(out) return out == tostring(#hp.json.encode(hp.json.decode(DOC))), out end,
    baseline = name == "hotpath" and "encode 2.4 KB x N, cjson" or nil,
  }
end

local list = {}
for _, name in ipairs { "hotpath", "cjson", "dkjson" } do list[#list + 1] = decode_scenario(name, name == "hotpath") end
for _, name in ipairs { "hotpath", "cjson" } do list[#list + 1] = big_scenario(name) end
for _, name in ipairs { "hotpath", "cjson", "dkjson" } do list[#list + 1] = encode_scenario(name) end
-- The handler's view: three fields of the document through the lazy parse (no tables built).
-- The target: less time per document than serde_json decoding it into structs (its baseline).
local function three_fields(doc)
  return doc:at("/total") + doc:at("/items/3/id") + #doc:at("/items/19/name")
end

list[#list + 1] = hp.scenario "3 fields through parse x N, hotpath" {
  params = { n = 100000 }, quick = { n = 2000 },
  setup = function()
    local parse = hp.json.parse
    return { bytes = lua_bytes_per_call(function(d) return three_fields(parse(d)) end, DOC) }
  end,
  run = function(prm, st)
    local parse, sum = hp.json.parse, 0
    local t0 = hp.clock()
    for _ = 1, prm.n do
      sum = sum + three_fields(parse(DOC))
    end
    return tostring(sum), { us_per_doc = (hp.clock() - t0) / prm.n * 1e6, bytes_per_doc = st.bytes }
  end,
  verify = function(out, prm) return out == tostring(prm.n * (256 + 4 + 7)), out end,
  baseline = "decode 2.4 KB x N, Rust serde_json structs",
  note = "Target: less time per document than serde_json decoding the whole document into structs " ..
    "(the ratio to it is this scenario's baseline; us_per_doc beside the peer's ns_per_doc in " ..
    "\"per-document figures, Rust serde_json\").",
}

-- ---- Rust and Go: bench/peers/{rust,go}/json_decode, the document on stdin -----------------

local WANT = checksum(require("cjson").decode(DOC))        -- "526"
local function first_line(out) return (out:match("^([^\n]*)")) end
local function verify_decode(out)
  local l = first_line(out)
  return l == WANT, format("checksum %s, expected %s", l, WANT)
end
local function verify_encode(out)
  local l, want = first_line(out), WANT .. " " .. #DOC
  return l == want, format("checksum and length %s, expected %s", l, want)
end

-- { lang, mode, scenario name's tail, headline?, note? }
local PEERS = {
  { "rust", "struct", "Rust serde_json structs", true, "the article's ApiResponse/Item shape, #[derive(Deserialize)]" },
  { "rust", "value", "Rust serde_json Value" },
  { "go", "struct", "Go encoding/json structs", true },
  { "go", "map", "Go encoding/json map[string]any" },
  { "go", "jsoniter", "Go jsoniter structs", nil, "json-iterator's ConfigFastest (Debian's golang-github-json-iterator-go-dev)" },
}
local ENCODERS = {
  { "rust", "encode_struct", "Rust serde_json structs" },
  { "rust", "encode_value", "Rust serde_json Value" },
  { "go", "encode_struct", "Go encoding/json structs" },
  { "go", "encode_map", "Go encoding/json map[string]any" },
  { "go", "encode_jsoniter", "Go jsoniter structs" },
}

local function peer(lang, mode, n, verify, def)
  def.params, def.quick, def.timeout = { n = n }, { n = 2000 }, 300
  def.args = function(p) return { mode, tostring(p.n) } end
  def.stdin = function() return DOC end
  def.verify = verify
  return peers.scenario(lang, "json_decode", def)
end

for _, d in ipairs(PEERS) do
  list[#list + 1] = hp.scenario("decode 2.4 KB x N, " .. d[3]) (peer(d[1], d[2], 100000, verify_decode, {
    baseline = "decode 2.4 KB x N, hotpath",
    headline = d[4] and { dimension = "JSON", workload = "decode a 2.4 KB API response 100,000 times", peer = true } or nil,
    reference = d[4] and PUBLISHED or nil,
    note = d[4] and ((d[5] and d[5] .. ". " or "") .. NOT_PACKAGED) or d[5],
  }))
end
for _, d in ipairs(ENCODERS) do
  list[#list + 1] = hp.scenario("encode 2.4 KB x N, " .. d[3]) (peer(d[1], d[2], 100000, verify_encode, {
    baseline = "encode 2.4 KB x N, hotpath",
  }))
end

-- Per-document figures from inside each peer (its own clock around the loop, its allocations):
-- every mode of a language once, at a tenth of the count; peak_mb is the peer process's.
local function figures(lang, modes)
  return {
    params = { n = 10000 }, quick = { n = 500 }, timeout = 300,
    setup = function()
      local b, skip = peers.need(lang, "json_decode")
      return b and b.path or skip
    end,
    run = function(p, path)
      local lines, m = {}, {}
      for i, mode in ipairs(modes) do
        local r = assert(hp.proc.run { path, mode, tostring(p.n), stdin = DOC, keep_stdout = true, keep_stderr = 4096, timeout = 120 })
        assert(r.ok, format("json_decode %s %d: %s %s", mode, p.n, r.status, r.stderr))
        local a, b, t = r.stdout:match("\nallocs_per_doc (%S+) bytes_per_doc (%S+) ns_per_doc (%S+)\n$")
        assert(a, "json_decode " .. mode .. ": unexpected output " .. format("%q", r.stdout))
        lines[i] = mode .. " " .. first_line(r.stdout)
        m[mode .. "_allocs"], m[mode .. "_bytes"] = tonumber(a), tonumber(b)
        m[mode .. "_us"], m[mode .. "_peak_mb"] = tonumber(t) / 1000, r.maxrss_kb / 1024
      end
      return table.concat(lines, ", "), m
    end,
    verify = function(out)
      local want = {}
      for i, mode in ipairs(modes) do
        want[i] = mode .. " " .. (mode:match("^encode_") and WANT .. " " .. #DOC or WANT)
      end
      want = table.concat(want, ", ")
      return out == want, format("%s, expected %s", out, want)
    end,
    note = "MODE_allocs and MODE_bytes: allocations and bytes asked for per document (Rust: a " ..
      "counting global allocator; Go: runtime.MemStats Mallocs and TotalAlloc); MODE_us: the " ..
      "peer's own clock per document; MODE_peak_mb: the peer's peak RSS at this count. This " ..
      "scenario's own peak RSS is not the peers': it includes the toolchain probe of its setup.",
  }
end
list[#list + 1] = hp.scenario "per-document figures, Rust serde_json" (
  figures("rust", { "struct", "value", "encode_struct", "encode_value" }))
list[#list + 1] = hp.scenario "per-document figures, Go encoding/json and jsoniter" (
  figures("go", { "struct", "map", "jsoniter", "encode_struct", "encode_map", "encode_jsoniter" }))

return hp.suite "json" (list)
