-- LuaJIT: the same table as the Lua 5.4 C module hotpath.core, over FFI. Only marshalling:
-- validation with user-facing messages lives in lua/hotpath/*.lua, shared by both runtimes.
local ffi = require "ffi"
local C = require "hotpath.ffi.lib"

local ffi_new, ffi_string = ffi.new, ffi.string

local core = { backend = "luajit-ffi" }

-- Turns a failed call's status and errmsg into nil, msg, code (freeing the message).
local function fail(rc, errp)
  local msg
  if errp[0] ~= nil then
    msg = ffi_string(errp[0])
    C.hp_free(errp[0])
    errp[0] = nil -- callers may reuse errp: a later failure without a message must not free it twice
  else
    msg = ffi_string(C.hp_status_name(rc))
  end
  return nil, msg, ffi_string(C.hp_status_name(rc))
end
core._fail = fail

function core.version() return ffi_string(C.hp_version()) end
function core.build_info() return ffi_string(C.hp_build_info()) end
function core.clock() return C.hp_clock_monotonic() end
function core.cpu_count() return C.hp_cpu_count() end
function core.wallclock() return C.hp_wallclock_now() end

function core.sleep_until(t)
  if type(t) ~= "number" then error("bad argument #1 to 'sleep_until' (number expected, got " .. type(t) .. ")", 2) end
  local errp = ffi_new("char *[1]")
  local rc = C.hp_wallclock_sleep_until(t, errp)
  if rc ~= 0 then return fail(rc, errp) end
  return true
end

function core.digest(kind, s)
  local hex = ffi_new("char[65]")
  if C.hp_digest_hex(kind, s, #s, hex) ~= 0 then
    error("bad argument #1 to 'digest' (unknown digest kind)", 2)
  end
  return ffi_string(hex)
end

-- Each part of the core adds its functions (one file per C module, as in csrc/lua/).
for _, part in ipairs { "proc", "kernels", "json", "http", "pool" } do
  require("hotpath.ffi." .. part)(core)
end

return core
