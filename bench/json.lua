-- JSON scenarios: the published workload (a 2.4 KB API response decoded 100,000 times), a
-- >= 10 MB document built in setup, and encode of the same data; lua-cjson and dkjson as
-- peers in the same run; serde_json and Go figures (doc/reference.md) as references.
local hp = require "hotpath"

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

local function decoders()
  return {
    hotpath = hp.json.decode,
    cjson = require("cjson").decode,
    dkjson = require("dkjson").decode,
  }
end

-- Output verified: the sum of ids and the total, identical for every decoder.
local function checksum(t)
  local s = t.total
  for _, it in ipairs(t.items) do s = s + it.id + #it.tags end
  return string.format("%d", s)
end

-- dkjson (pure Lua) is about 12x slower than lua-cjson: it decodes and encodes a tenth as
-- many documents, so `make bench` stays minutes long; compare it per document (us_per_doc).
local function count_for(name, n) return name == "dkjson" and math.floor(n / 10) or n end

local function decode_scenario(name, p)
  return hp.scenario("decode 2.4 KB x N, " .. name) {
    params = { n = count_for(name, 100000) }, quick = { n = count_for(name, 2000) },
    setup = function() return decoders()[name] end,
    run = function(prm, dec)
      local t
      local t0 = hp.clock()
      for _ = 1, prm.n do t = dec(DOC) end
      return checksum(t), { us_per_doc = (hp.clock() - t0) / prm.n * 1e6 }
    end,
    verify = function(out) return out == "526", "checksum " .. out end,
    reference = p and {
      { name = "serde_json, published", ms = 283, mb = 12.4, lang = "Rust" },
      { name = "Go encoding/json, published", ms = 1847, mb = 89.3 },
      { name = "Go sonic, published", ms = 623, mb = 41.7 },
    } or nil,
    note = p and "the published figures come from another machine (doc/reference.md)" or nil,
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
      return { enc = enc, data = require("cjson").decode(DOC) }
    end,
    run = function(prm, st)
      local s
      local t0 = hp.clock()
      for _ = 1, prm.n do s = st.enc(st.data) end
      local us = (hp.clock() - t0) / prm.n * 1e6
      return tostring(#hp.json.encode(hp.json.decode(s))), { us_per_doc = us }
    end,
    verify = function(out) return out == tostring(#hp.json.encode(hp.json.decode(DOC))), out end,
    baseline = name == "hotpath" and "encode 2.4 KB x N, cjson" or nil,
  }
end

local list = {}
for _, name in ipairs { "hotpath", "cjson", "dkjson" } do list[#list + 1] = decode_scenario(name, name == "hotpath") end
for _, name in ipairs { "hotpath", "cjson" } do list[#list + 1] = big_scenario(name) end
for _, name in ipairs { "hotpath", "cjson", "dkjson" } do list[#list + 1] = encode_scenario(name) end
list[#list + 1] = hp.scenario "3 fields through parse x N, hotpath" {
  params = { n = 100000 }, quick = { n = 2000 },
  run = function(prm)
    local parse, sum = hp.json.parse, 0
    for _ = 1, prm.n do
      local doc = parse(DOC)
      sum = sum + doc:at("/total") + doc:at("/items/3/id") + #doc:at("/items/19/name")
    end
    return tostring(sum)
  end,
  verify = function(out, prm) return out == tostring(prm.n * (256 + 4 + 7)), out end,
  baseline = "decode 2.4 KB x N, cjson",
}
return hp.suite "json" (list)
