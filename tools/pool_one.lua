-- One workload of pool:map for instruction counts (tools/pool_instr.sh), on the tree <root>:
--   lua5.4 tools/pool_one.lua <root> <what> <n>     (or luajit)
--   ints     n batches of identity over a Lua array of 100,000 integers, results read back
--   strings  n batches of len over a Lua array of 100,000 short strings, results read back
--   one      n batches of one noop task ({ 1 }), waited and released
--   lua      n batches of two Lua-function tasks ({ 1, 2 }), waited and released
--   <size>   n batches of identity over a Lua array of <size> integers, results read back
-- A 2-thread pool; the inputs are built once, before the batches.
local root, what, n = arg[1], arg[2], tonumber(arg[3])
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. root .. "/build/lua/?.lua;" .. package.path
package.cpath = root .. "/build/" .. (rawget(_G, "jit") and "luajit" or "lua54") .. "/?.so;" .. package.cpath
local hp = require "hotpath"
local pool = hp.pool.new { threads = 2 }

local kind, inputs = "noop", { 1 }
if what == "ints" or what == "strings" then
  kind, inputs = what == "ints" and "identity" or "len", {}
  for i = 1, 100000 do inputs[i] = what == "ints" and i or "s" .. i % 1000 end
elseif tonumber(what) then
  kind, inputs = "identity", {}
  for i = 1, tonumber(what) do inputs[i] = i end
elseif what == "lua" then
  kind, inputs = function(x) return x end, { 1, 2 }
elseif what ~= "one" then
  error("what: ints, strings, one, lua or a size")
end
for _ = 1, n do
  local f = pool:map(kind, inputs)
  assert(f:wait())
  f:release()
end
pool:close()
