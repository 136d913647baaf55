-- Peak memory as hotpath reports it (proc.run's maxrss_kb) next to the program's own VmHWM
-- (which the program prints) and GNU time's figure (/usr/bin/time, Debian package `time`),
-- for programs from nothing to 1 GB, first from a fresh parent, then after the parent held
-- and freed 300 MB. The table of doc/measurement.md.
--   LUA_PATH="lua/?.lua;lua/?/init.lua;build/lua/?.lua;;" LUA_CPATH="build/lua54/?.so;;" \
--     lua5.4 tools/peak_table.lua [max_mb]        (or luajit; max_mb default 1000)
-- Point LUA_CPATH at another build to measure that one. Memory: up to max_mb in one child.
local hp = require "hotpath"
local proc = hp.proc
local format = string.format
local max_mb = tonumber(arg[1]) or 1000

-- A program that only exits (no libc): its own peak is a few pages, so what is reported for
-- it is the measurement's floor.
local dir = os.tmpname()
os.remove(dir)
assert(proc.run { "mkdir", dir }.ok)
local tiny = dir .. "/exit"
local f = assert(io.open(tiny .. ".c", "w"))
f:write('void _start(void) { __asm__ volatile("mov $60, %eax\\n xor %edi, %edi\\n syscall"); }\n')
f:close()
assert(proc.run { "cc", "-O2", "-nostdlib", "-static", "-o", tiny, tiny .. ".c" }.ok, "cc failed")

local STATUS_LOOP = "while read -r k v rest; do case $k in VmHWM:) echo \"$v\";; esac; done < /proc/self/status"
local function lua_holding(mb)
  return { "lua5.4", "-e", format(
    "local k, t = ('x'):rep(1024), {} for i = 1, %d do t[i] = k:rep(1024) if i %% 8 == 0 then collectgarbage() end end " ..
    "local f = io.open('/proc/self/status') io.write(f:read('*a'):match('VmHWM:%%s*(%%d+)')) io.flush() os.exit(0)", mb) }
end

local programs = {
  { "exit only (static, no libc)", { tiny } },
  { "/bin/true", { "true" } },
  { "sh reading its status", { "sh", "-c", STATUS_LOOP } },
  { "lua5.4 holding 50 MB", lua_holding(50) },
  { "lua5.4 holding 500 MB", lua_holding(500) },
}
if max_mb >= 1000 then programs[#programs + 1] = { "lua5.4 holding 1000 MB", lua_holding(1000) } end

local function measure(argv)
  local r = assert(proc.run { argv = argv, keep_stdout = true, timeout = 120 })
  local t = { "/usr/bin/time", "-f", "%M" }
  for _, a in ipairs(argv) do t[#t + 1] = a end
  local g = assert(proc.run { argv = t, keep_stdout = true, keep_stderr = 4096, timeout = 120 })
  return tonumber(r.stdout:match("^%d+")), r.maxrss_kb, tonumber(g.stderr:match("(%d+)%s*$"))
end

local function kb(v) return v and format("%d", v) or "-" end

local function table_for(label)
  print(format("\n%s (this process's own peak: %d kB)\n", label, proc.rss_kb(nil, true)))
  print("| program | own VmHWM kB | hotpath kB | GNU time kB |")
  print("|---|---:|---:|---:|")
  for _, p in ipairs(programs) do
    local own, got, gnu = measure(p[2])
    print(format("| %s | %s | %s | %s |", p[1], kb(own), kb(got), kb(gnu)))
  end
end

print(format("%s, %s", hp.backend, jit and jit.version or _VERSION))
table_for("fresh parent")
do
  if rawget(_G, "jit") then
    local big = require("ffi").new("char[?]", 300 * 1024 * 1024)
    big = nil
  else
    local big = ("x"):rep(1024):rep(150 * 1024) -- buffer and copy: 300 MB held
    big = nil
  end
  collectgarbage()
  collectgarbage()
end
table_for("after the parent held and freed 300 MB")
proc.run { "rm", "-rf", dir }
