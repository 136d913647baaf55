-- Interleaved A/B timing of bench/json.lua workloads (hotpath vs lua-cjson, one process).
-- Usage (from the source tree): lua5.4 tools/json_measure.lua [N [ROUNDS]]; luajit likewise.
local hp, DOC = dofile("tools/json_doc.lua")
local cjson = require "cjson"
local clock = hp.clock
local N, ROUNDS = tonumber(arg[1]) or 20000, tonumber(arg[2]) or 7
local data = cjson.decode(DOC)
local jd, je, jp = hp.json.decode, hp.json.encode, hp.json.parse
local cd, ce = cjson.decode, cjson.encode
local work = {
  { "decode hotpath", function() for _ = 1, N do jd(DOC) end end },
  { "decode cjson", function() for _ = 1, N do cd(DOC) end end },
  { "parse+3 fields hotpath", function() for _ = 1, N do local d = jp(DOC) local _ = d:at("/total") + d:at("/items/3/id") + #d:at("/items/19/name") end end },
  { "encode hotpath", function() for _ = 1, N do je(data) end end },
  { "encode cjson", function() for _ = 1, N do ce(data) end end },
}
local times = {}
for _, w in ipairs(work) do times[w[1]] = {} w[2]() end -- warm-up
for r = 1, ROUNDS do
  for _, w in ipairs(work) do
    collectgarbage()
    local t0 = clock(); w[2](); local t = clock() - t0
    table.insert(times[w[1]], t / N * 1e6)
  end
end

local function median(t) local c = {} for i, v in ipairs(t) do c[i] = v end table.sort(c) return c[math.floor((#c + 1) / 2)], c[1], c[#c] end
print(string.format("%s, %d bytes, N=%d per round, %d rounds (interleaved)", rawget(_G, "jit") and jit.version or _VERSION, #DOC, N, ROUNDS))
for _, w in ipairs(work) do
  local m, lo, hi = median(times[w[1]])
  print(string.format("  %-24s median %7.2f us  (min %.2f, max %.2f)", w[1], m, lo, hi))
end
-- per-round ratios, then their median and range
local function ratio(a, b)
  local rs = {}
  for i = 1, ROUNDS do rs[i] = times[b][i] / times[a][i] end
  local m, lo, hi = median(rs)
  return string.format("%.2fx (rounds %.2f..%.2f)", m, lo, hi)
end
print("  decode: hotpath vs cjson        " .. ratio("decode hotpath", "decode cjson"))
print("  3 fields parse vs cjson decode  " .. ratio("parse+3 fields hotpath", "decode cjson"))
print("  encode: hotpath vs cjson        " .. ratio("encode hotpath", "encode cjson"))
