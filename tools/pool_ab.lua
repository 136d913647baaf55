-- A/B of two builds of hotpath.core (Lua 5.4) in one process: noop range batches of n tasks
-- (results kept, or "none"), alternated A B A B; wall and process-CPU ns a task, and the ratio
-- B/A per pair (median and spread). For changes to the pool's per-batch costs:
--   cp build/lua54/hotpath/core.so /tmp/old-core.so   # before the change; rebuild; then
--   lua5.4 tools/pool_ab.lua /tmp/old-core.so build/lua54/hotpath/core.so [n] [reps] [kept|none]
local function abs(p) return p:sub(1, 1) == "/" and p or os.getenv("PWD") .. "/" .. p end
local A = assert(package.loadlib(abs(arg[1]), "luaopen_hotpath_core"))()
local B = assert(package.loadlib(abs(arg[2]), "luaopen_hotpath_core"))()
local n, reps, keep = tonumber(arg[3]) or 1000000, tonumber(arg[4]) or 15, arg[5] ~= "none"
local function mk(core) return { C = core.pool, h = core.pool.pool_new(0), clock = core.clock } end
local sides = { mk(A), mk(B) }
local function run(s)
  local C = s.C
  local t0, c0 = s.clock(), os.clock()
  local b = C.pool_map(s.h, "noop", nil, 1, n, 1, 0, 0, false, keep)
  C.batch_wait(b, -1)
  C.batch_reduce(b, 0)
  local dt, dc = s.clock() - t0, os.clock() - c0
  C.batch_free(b)
  return dt / n * 1e9, dc / n * 1e9
end
for _ = 1, 2 do run(sides[1]); run(sides[2]) end
local w, c = { {}, {} }, { {}, {} }
for i = 1, reps do
  for k = 1, 2 do w[k][i], c[k][i] = run(sides[k]) end
end
local function med(t) table.sort(t) return t[math.ceil(#t / 2)], t[1], t[#t] end
local ratios, cratios = {}, {}
for i = 1, reps do ratios[i] = w[2][i] / w[1][i]; cratios[i] = c[2][i] / c[1][i] end
print(("n = %d, %d reps, results %s, load %s"):format(n, reps, keep and "kept" or "none", io.open("/proc/loadavg"):read("*l"):match("^%S+")))
print(("  wall ns/task A (before): median %.2f (%.2f-%.2f)"):format(med(w[1])))
print(("  wall ns/task B (after):  median %.2f (%.2f-%.2f)"):format(med(w[2])))
print(("  cpu  ns/task A (before): median %.2f (%.2f-%.2f)"):format(med(c[1])))
print(("  cpu  ns/task B (after):  median %.2f (%.2f-%.2f)"):format(med(c[2])))
print(("  B/A wall, per pair: median %.3f (%.3f-%.3f)"):format(med(ratios)))
print(("  B/A cpu,  per pair: median %.3f (%.3f-%.3f)"):format(med(cratios)))
for _, s in ipairs(sides) do s.C.pool_close(s.h, 0, -1) end
