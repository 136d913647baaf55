-- Per-task overhead of range batches, interleaved in one process: noop range batches of n tasks
-- (default 1,000,000) with results kept and not kept, REPS times (default 9); medians and
-- spreads of wall ns a task and of process CPU ns a task (all threads; robust to a loaded machine).
--   LUA_PATH="lua/?.lua;lua/?/init.lua;build/lua/?.lua;;" LUA_CPATH="build/lua54/?.so;;" \
--     lua5.4 tools/pool_overhead.lua [n] [reps]        (or luajit)
-- Memory: a kept result is one int64 (8 bytes a task); without results nothing per task
-- (bench/concurrency.lua measures it as resident growth in a fresh process).
local hp = require "hotpath"
local P = hp.pool
local n, reps = tonumber(arg[1]) or 1000000, tonumber(arg[2]) or 9
local pool = P.new()
local function run(keep)
  local t0, c0 = hp.clock(), os.clock()
  local f = pool:map("noop", P.range(1, n), { results = keep })
  f:sum()
  local dt, dc = hp.clock() - t0, os.clock() - c0
  f:release()
  return dt / n * 1e9, dc / n * 1e9
end
run(true); run(false)
local a, b, ca, cb = {}, {}, {}, {}
for i = 1, reps do
  a[i], ca[i] = run(true)
  b[i], cb[i] = run(false)
end
local function med(t) table.sort(t) return t[math.ceil(#t / 2)], t[1], t[#t] end
local f = io.open("/proc/loadavg")
print(string.format("%s, %d threads, n = %d, %d reps, load %s", rawget(_G, "jit") and jit.version or _VERSION, pool:threads(), n, reps, f and f:read("*l"):match("^%S+") or "?"))
print(string.format("  wall ns/task, results kept:     median %.2f (min %.2f, max %.2f)", med(a)))
print(string.format("  wall ns/task, no results:       median %.2f (min %.2f, max %.2f)", med(b)))
print(string.format("  cpu ns/task (all threads), kept: median %.2f (min %.2f, max %.2f)", med(ca)))
print(string.format("  cpu ns/task (all threads), none: median %.2f (min %.2f, max %.2f)", med(cb)))
pool:close()
