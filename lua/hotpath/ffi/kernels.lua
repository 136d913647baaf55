-- LuaJIT: binding of kernels/ into the core table. Only marshalling.
local ffi = require "ffi"
local C = require "hotpath.ffi.lib"

local ffi_new, ffi_string = ffi.new, ffi.string

return function(core)
  local fail = core._fail
  local K = core.kernels or {}
  core.kernels = K

  -- Result of a kernel entry f(args..., char **out, size_t *len, char **errmsg): its output.
  local function kernel_output(rc, outp, lenp, errp)
    if rc ~= 0 then return fail(rc, errp) end
    local s = ffi_string(outp[0], lenp[0])
    C.hp_free(outp[0])
    return s
  end
  core._kernel_output = kernel_output

  -- kernel(n [, threads]) over hp_<name>(int n, int threads, ...)
  local function size_kernel(name, limit)
    local fn = C["hp_" .. name]
    K[name] = function(n, threads)
      local outp, lenp, errp = ffi_new("char *[1]"), ffi_new("size_t[1]"), ffi_new("char *[1]")
      return kernel_output(fn(n, threads or 0, outp, lenp, errp), outp, lenp, errp)
    end
    K[name .. "_max_n"] = limit
  end

  -- kernel(text [, threads]) over hp_<name>(const char *, size_t, int threads, ...)
  local function text_kernel(name)
    local fn = C["hp_" .. name]
    K[name] = function(text, threads)
      local outp, lenp, errp = ffi_new("char *[1]"), ffi_new("size_t[1]"), ffi_new("char *[1]")
      return kernel_output(fn(text, #text, threads or 0, outp, lenp, errp), outp, lenp, errp)
    end
  end

  size_kernel("binarytrees", C.HP_BINARYTREES_MAX_N)
  size_kernel("fannkuch_redux", C.HP_FANNKUCH_REDUX_MAX_N)
  size_kernel("fasta", C.HP_FASTA_MAX_N)
  size_kernel("mandelbrot", C.HP_MANDELBROT_MAX_N)
  size_kernel("nbody", C.HP_NBODY_MAX_N)
  size_kernel("pidigits", C.HP_PIDIGITS_MAX_N)
  size_kernel("spectral_norm", C.HP_SPECTRAL_NORM_MAX_N)
  text_kernel("knucleotide")
  text_kernel("reverse_complement")
end
