-- The machine, runtime and build that every result carries.
local core = require("hotpath.util").core

local open, match = io.open, string.match

local machine = {}

-- The whole text of a file (a /proc or /sys file), or nil when it cannot be read.
local function read(path)
  local f = open(path, "r")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end
machine.read = read

-- true when path can be opened for reading (a file, or a folder).
function machine.exists(path)
  local f = open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function first_line(path)
  local s = read(path)
  return s and s:match("^([^\n]*)") or nil
end

function machine.runtime()
  local jit = rawget(_G, "jit")
  if jit then return jit.version, "luajit" end
  return _VERSION, "lua"
end

function machine.cores() return core.cpu_count() end

-- The CPU frequency governor of cpu0, or nil where the kernel does not say (many VMs).
function machine.governor()
  return first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
end

-- The host's name (as uname -n gives it), or "unknown".
function machine.hostname()
  return first_line("/proc/sys/kernel/hostname") or "unknown"
end

-- A table with cpu_model, cores, kernel, governor, memory_kb, runtime, runtime_kind, backend,
-- hotpath, build (compiler and flags of the core).
function machine.info()
  local cpuinfo = read("/proc/cpuinfo") or ""
  local meminfo = read("/proc/meminfo") or ""
  local runtime, kind = machine.runtime()
  return {
    cpu_model = match(cpuinfo, "model name%s*:%s*([^\n]+)") or match(cpuinfo, "Model%s*:%s*([^\n]+)") or "unknown",
    cores = core.cpu_count(),
    kernel = first_line("/proc/sys/kernel/osrelease") or "unknown",
    governor = machine.governor() or "n/a",
    memory_kb = tonumber(match(meminfo, "MemTotal:%s*(%d+)")),
    runtime = runtime,
    runtime_kind = kind,
    backend = core.backend,
    hotpath = core.version(),
    build = core.build_info(),
  }
end

return machine
