-- LuaJIT: binding of kernels/ into the core table. Only marshalling.
local ffi = require "ffi"
local C = require "hotpath.ffi.lib"

local ffi_new, ffi_string = ffi.new, ffi.string

return function(core)
  local fail = core._fail
  core.kernels = core.kernels or {}

  -- Result of a kernel entry f(args..., char **out, size_t *len, char **errmsg): its output.
  local function kernel_output(rc, outp, lenp, errp)
    if rc ~= 0 then return fail(rc, errp) end
    local s = ffi_string(outp[0], lenp[0])
    C.hp_free(outp[0])
    return s
  end
  core._kernel_output = kernel_output

  function core.kernels.mandelbrot(n, threads)
    local outp, lenp, errp = ffi_new("char *[1]"), ffi_new("size_t[1]"), ffi_new("char *[1]")
    return kernel_output(C.hp_mandelbrot(n, threads or 0, outp, lenp, errp), outp, lenp, errp)
  end
  core.kernels.mandelbrot_max_n = C.HP_MANDELBROT_MAX_N
end
