-- Per-task and per-batch costs of pool:map as the binding sees them, for A/B runs of two source
-- trees (the tree is chosen by package.path, so run it once per tree, alternating):
--   lua5.4 tools/pool_submit.lua <root> [reps]     (or luajit; <root> holds lua/ and build/)
-- Prints one line per measure: its name and the median over reps (min, max):
--   range_ns    noop range batch of 1,000,000 tasks, no results: wall ns a task
--   array_ns    identity over a Lua array of 100,000 integers, results read back: wall ns a task
--               (the inputs and results cross the binding: the marshalling per element)
--   batch_us    map("noop", { 1 }):wait() and release, 2,000 times: wall us a batch (the fixed
--               cost of one submit through the binding)
--   lua_us      map(function(x) return x end, { 1, 2 }):wait(), 500 times: wall us a batch
local root, reps = arg[1], tonumber(arg[2]) or 7
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. root .. "/build/lua/?.lua;" .. package.path
package.cpath = root .. "/build/" .. (rawget(_G, "jit") and "luajit" or "lua54") .. "/?.so;" .. package.cpath
local hp = require "hotpath"
local P, clock = hp.pool, hp.clock
local pool = P.new { threads = 2 }

local arr = {}
for i = 1, 100000 do arr[i] = i end
local id = function(x) return x end

local measures = {
  { "range_ns", function()
    local t0 = clock()
    local f = pool:map("noop", P.range(1, 1000000), { results = false })
    f:sum()
    local dt = clock() - t0
    f:release()
    return dt / 1000000 * 1e9
  end },
  { "array_ns", function()
    local t0 = clock()
    local f = pool:map("identity", arr)
    local r = f:wait()
    local dt = clock() - t0
    assert(r[100000] == 100000)
    f:release()
    return dt / 100000 * 1e9
  end },
  { "batch_us", function()
    local one = { 1 }
    local t0 = clock()
    for _ = 1, 2000 do
      local f = pool:map("noop", one)
      f:wait()
      f:release()
    end
    return (clock() - t0) / 2000 * 1e6
  end },
  { "lua_us", function()
    local two = { 1, 2 }
    local t0 = clock()
    for _ = 1, 500 do
      local f = pool:map(id, two)
      f:wait()
      f:release()
    end
    return (clock() - t0) / 500 * 1e6
  end },
}

for _, m in ipairs(measures) do m[2]() end -- warm-up
local got = {}
for _ = 1, reps do
  for _, m in ipairs(measures) do
    got[m[1]] = got[m[1]] or {}
    table.insert(got[m[1]], m[2]())
  end
end
for _, m in ipairs(measures) do
  local t = got[m[1]]
  table.sort(t)
  print(string.format("%s %.4f %.4f %.4f", m[1], t[math.ceil(#t / 2)], t[1], t[#t]))
end
pool:close()
