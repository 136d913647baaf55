-- hotpath.kernels: the classic benchmark programs in C. Each returns the program's output as a
-- string, byte-identical to the reference program's, and takes an optional { threads = k }
-- (default: all CPUs; the output never depends on it). Sizes outside a kernel's limit
-- (kernels.limits) raise, naming the limit; malformed fasta text returns nil, msg, code.
local util = require "hotpath.util"
local ck = util.core.kernels
local K = require "hotpath.consts"

local checkint, checkopts, argerror, typename = util.checkint, util.checkopts, util.argerror, util.typename
local type, error = type, error

local kernels = {}

-- Largest accepted size of each sized kernel (the C headers' HP_<KERNEL>_MAX_N).
kernels.limits = {
  binarytrees = ck.binarytrees_max_n,
  fannkuch_redux = ck.fannkuch_redux_max_n,
  fasta = ck.fasta_max_n,
  mandelbrot = ck.mandelbrot_max_n,
  nbody = ck.nbody_max_n,
  pidigits = ck.pidigits_max_n,
  spectral_norm = ck.spectral_norm_max_n,
}

local KERNEL_OPTS = { threads = true }

local function threads_of(opts, pos, fname)
  opts = checkopts(opts, pos, fname, 2, KERNEL_OPTS)
  if opts.threads == nil then return 0 end
  local threads = checkint(opts.threads, pos, fname, 1, K.HP_POOL_MAX_THREADS, "threads", 2)
  return threads -- not a tail call: the error level counts this frame
end

-- kernel(n [, opts]) for the kernels sized by one integer.
local function sized(name)
  local fn, limit = ck[name], kernels.limits[name]
  kernels[name] = function(n, opts)
    checkint(n, 1, name, 0, limit, "n")
    local out, err = fn(n, threads_of(opts, 2, name))
    if not out then error(err, 2) end -- only memory exhaustion gets here: sizes were checked
    return out
  end
end

-- kernel(fasta_text [, opts]) -> output, or nil, msg, code for malformed input.
local function texted(name)
  local fn = ck[name]
  kernels[name] = function(text, opts)
    if type(text) ~= "string" then
      argerror(1, name, "fasta text (string) expected, got " .. typename(text))
    end
    local out, err, code = fn(text, threads_of(opts, 2, name))
    if not out then return nil, err, code end
    return out
  end
end

-- binarytrees(n): allocate, check and free perfect binary trees (max depth max(6, n)).
sized "binarytrees"
-- fannkuch_redux(n): checksum and maximum pancake flips over all permutations of n.
sized "fannkuch_redux"
-- fasta(n): the deterministic DNA generator (2n + 3n + 5n letters in lines of 60).
sized "fasta"
-- mandelbrot(n): the n x n PBM bitmap.
sized "mandelbrot"
-- nbody(n): energy of the Jovian system before and after n steps.
sized "nbody"
-- pidigits(n): the first n digits of pi, ten a line.
sized "pidigits"
-- spectral_norm(n): the spectral norm of the n x n matrix A.
sized "spectral_norm"
-- knucleotide(fasta_text): k-mer frequencies and counts of the ">THREE" sequence.
texted "knucleotide"
-- reverse_complement(fasta_text): each record's reverse complement.
texted "reverse_complement"

return kernels
