-- LuaJIT, interim: adds core.json over FFI (lua/hotpath/ffi/json.lua, with hotpath.jitcore for
-- decode) to the C module's table while the JSON binding (csrc/lua/ljson.c) is left out of the
-- LuaJIT build of hotpath.core (Makefile JIT_SKIP). Everything else is the C module.
local ffi = require "ffi"
local C = require "hotpath.ffi.lib"

local ffi_string = ffi.string

return function(core)
  -- Turns a failed call's status and errmsg into nil, msg, code (freeing the message).
  core._fail = function(rc, errp)
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
  require "hotpath.ffi.json"(core)
  return core
end
