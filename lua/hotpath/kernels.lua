-- hotpath.kernels: the classic benchmark programs in C. Each returns the program's output as a
-- string, byte-identical to the reference program's, and takes an optional { threads = k }.
local util = require "hotpath.util"
local ck = util.core.kernels

local checkint, checkopts = util.checkint, util.checkopts
local error = error

local kernels = {}

local function threads_of(opts, pos, fname)
  opts = checkopts(opts, pos, fname, 2)
  if opts.threads == nil then return 0 end
  local threads = checkint(opts.threads, pos, fname, 1, 1024, "threads", 2)
  return threads -- not a tail call: the error level counts this frame
end

-- mandelbrot(n [, opts]): the N x N PBM bitmap (REFERENCE.md).
function kernels.mandelbrot(n, opts)
  checkint(n, 1, "mandelbrot", 0, ck.mandelbrot_max_n, "n")
  local out, err = ck.mandelbrot(n, threads_of(opts, 2, "mandelbrot"))
  if not out then error(err, 2) end
  return out
end

return kernels
