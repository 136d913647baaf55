-- LuaJIT only: the FFI fast paths of lua/hotpath/ffi/json.lua against the C binding's same
-- functions, interleaved in one process (doc/json.md quotes it).
--   luajit tools/json_ffi_vs_c.lua [N [ROUNDS]]     (from the source tree, after make)
local hp, DOC = dofile("tools/json_doc.lua")
assert(rawget(_G, "jit"), "run under LuaJIT")
local cj = require("hotpath.util").core.json
local fast = require("hotpath.ffi.json").fast(cj)
local clock = hp.clock
local N, ROUNDS = tonumber(arg[1]) or 20000, tonumber(arg[2]) or 11
local data = require("cjson").decode(DOC)
local p = cj.parser()
local g = cj.parse(p, DOC, 0)
-- The three fields tools/json_measure.lua reads, from document h of parser q.
local function read3(get, q, h)
  local _, a = get(q, h, 1, "/total")
  local _, b = get(q, h, 1, "/items/3/id")
  local _, c = get(q, h, 1, "/items/19/name")
  assert(a + b + #c > 0)
end
local function at3(get) return function() for _ = 1, N do read3(get, p, g) end end end
local function enc(e) return function() for _ = 1, N do e(data, false, 0, false, 1000, false) end end end
local function parse(f) return function() local q = cj.parser() for _ = 1, N do f(q, DOC, 0) end end end
local function parse3(parse_, get)
  return function()
    local q = cj.parser()
    for _ = 1, N do read3(get, q, parse_(q, DOC, 0)) end
  end
end
assert(fast.encode(data, false, 0, false, 1000, false) == cj.encode(data, false, 0, false, 1000, false))
local pairs_ = {
  { "encode", enc(cj.encode), enc(fast.encode) },
  { "3 x doc:at()", at3(cj.get), at3(fast.get) },
  { "json.parse", parse(cj.parse), parse(fast.parse) },
  { "parse + 3 at()", parse3(cj.parse, cj.get), parse3(fast.parse, fast.get) },
}
local function median(t) local c = {} for i, v in ipairs(t) do c[i] = v end table.sort(c) return c[math.floor((#c + 1) / 2)], c[1], c[#c] end
for _, w in ipairs(pairs_) do
  local tc, tf, rs = {}, {}, {}
  w[2]() w[3]()
  for r = 1, ROUNDS do
    collectgarbage() local t0 = clock() w[2]() tc[r] = (clock() - t0) / N * 1e6
    collectgarbage() t0 = clock() w[3]() tf[r] = (clock() - t0) / N * 1e6
    rs[r] = tc[r] / tf[r]
  end
  local m, lo, hi = median(rs)
  print(string.format("%-14s C API %.3f us, FFI %.3f us: FFI %.2fx (rounds %.2f..%.2f), %d rounds of %d",
    w[1], (median(tc)), (median(tf)), m, lo, hi, ROUNDS, N))
end
