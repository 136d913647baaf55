-- CPU kernels (hotpath.kernels) at the published sizes, against the published Rust and Go
-- figures and the fastest C programs measured on this project's machine kind (doc/reference.md).
-- Every output is verified by digest. Digests were cross-checked against independent
-- implementations: the published outputs (fannkuch-redux 11, spectral-norm 5500), the
-- plain-Lua programs in bench/programs/ (mandelbrot, fasta, n-body, reverse-complement), and
-- the published k-nucleotide output over fasta 25,000,000 from the same generator.
local hp = require "hotpath"
local K = hp.kernels
local peers = require "hotpath.peers"

local MANDELBROT = {
  full = "sha256:00159ae70df29c1dc77a6a9ceef9164154c16cc5c2f7dc714ea3a2314db0cf15",  -- n = 5000
  quick = "sha256:66b74292639771ac7a6d9307c2a1985b0be22b09f28159cc142f0af988532789", -- n = 1000
}

local MEMORY_NOTE = "peak RSS is the whole child's (interpreter and input included); the kernel's "
  .. "own memory is peak minus the RSS before run"

-- fasta text for the text kernels, generated untimed in setup
local function fasta_input(p) return K.fasta(p.fasta_n) end

local list = {
  hp.scenario "binarytrees" {
    params = { n = 18 }, quick = { n = 14 },
    run = function(p) return K.binarytrees(p.n) end,
    verify = {
      full = "sha256:a30935fe7dfa41e5b51d1774c123b9a242a0dea7c96291c41f8539d5c3d03b75",
      quick = "sha256:b0af3a8c1c6ccf57c7f99716bffd9c6f7365dac78fc307ef6c1903ba1a1b87a3",
    },
    reference = {
      { name = "Rust, published", ms = 1259, mb = 33.8 },
      { name = "Go, published", ms = 2343, mb = 41.9 },
      { name = "tinygo, published", ms = 1726, mb = 51.9 },
      { name = "fastest C, this machine kind", ms = 850 },
    },
    note = "trees live in per-worker arenas (8-byte nodes, 32-bit links), reset per tree",
  },

  hp.scenario "fannkuch-redux" {
    params = { n = 11 }, quick = { n = 9 },
    run = function(p) return K.fannkuch_redux(p.n) end,
    verify = {
      full = "sha256:496853c07b61c35473bd742f66bbcf51dc054288614ab62f1529fc07703ebdb5",  -- 556355, 51
      quick = "sha256:8240a83dc671a1906b1f4ce51a46866362bec862c62128f4429ec1f3e7bf1bb8", -- 8629, 30
    },
    reference = {
      { name = "Rust, published", ms = 413, mb = 2.1 },
      { name = "Go, published", ms = 724, mb = 5.5 },
      { name = "fastest C, this machine kind", ms = 390 },
    },
  },

  hp.scenario "mandelbrot" {
    params = { n = 5000 }, quick = { n = 1000 },
    run = function(p) return K.mandelbrot(p.n) end,
    verify = MANDELBROT,
    reference = {
      { name = "Rust, published", ms = 246, mb = 4.8 },
      { name = "Go, published", ms = 2666, mb = 7.7 },
      { name = "fastest C, this machine kind", ms = 270 },
    },
  },

  hp.scenario "mandelbrot, plain Lua on LuaJIT" {
    params = { n = 5000 }, quick = { n = 1000 },
    command = function(p, ctx) return { "luajit", ctx.dir .. "/programs/mandelbrot.lua", p.n } end,
    verify = MANDELBROT,
    baseline = "mandelbrot",
    reference = {
      { name = "Rust, published", ms = 246, mb = 4.8 },
      { name = "Go, published", ms = 2666, mb = 7.7 },
    },
  },

  hp.scenario "k-nucleotide" {
    params = { fasta_n = 2500000 }, quick = { fasta_n = 250000 },
    setup = fasta_input,
    run = function(_, text) return K.knucleotide(text) end,
    verify = {
      full = "sha256:6db529a39e08a232e12dd59f3bc3c4edd6a4c3c8f5bb3bc6eb3ab7963709a00c",
      quick = "sha256:33e7b57c6ccc770087d6142cbf8fc396644be22621652a3dcb48af73e64154a5",
    },
    reference = {
      { name = "Rust, published", ms = 219, mb = 28.1 },
      { name = "Go, published", ms = 676, mb = 39.5 },
      { name = "fastest C, this machine kind", ms = 170 },
    },
    note = "input: the fasta 2,500,000 output (25 MB), generated untimed in setup; " .. MEMORY_NOTE,
  },

  hp.scenario "fasta" {
    params = { n = 2500000 }, quick = { n = 250000 },
    run = function(p) return K.fasta(p.n) end,
    verify = {
      full = "sha256:e3600e481ef68b6cd9ac155f93f40ff06a4094128f62895eb37b28ebad7cab72",
      quick = "sha256:c79f4de8054a37bd3f114db149fdd548d25dbeeebe91bdf26049b08b68dbcafe",
    },
    note = "the Benchmarks Game runs 25,000,000; 2,500,000 is the k-nucleotide input size",
  },

  hp.scenario "reverse-complement" {
    params = { fasta_n = 2500000 }, quick = { fasta_n = 250000 },
    setup = fasta_input,
    run = function(_, text) return K.reverse_complement(text) end,
    verify = {
      full = "sha256:20e415fd7728fc8f1bf18fa27513f31b408f937c0e044d50e8bc97e235b9d204",
      quick = "sha256:8722f28c80fa027f2ca82557e4cb56d854f3d7e908be8d6aaa303423de2efc15",
    },
    note = "input: the fasta 2,500,000 output, generated untimed in setup; " .. MEMORY_NOTE,
  },

  hp.scenario "n-body" {
    params = { n = 5000000 }, quick = { n = 500000 },
    run = function(p) return K.nbody(p.n) end,
    verify = {
      full = "sha256:a209785651d3f855b56ffcac6bce1eda49dff67124f34418aedd4ddb91c384c8",  -- -0.169083134
      quick = "sha256:7fee18aa4de449f07aa173bae7a37df103ff0317ed8055566e6f3c9358c09b2c", -- -0.169096567
    },
    note = "sequential (5 bodies); the Benchmarks Game runs 50,000,000 steps",
  },

  hp.scenario "spectral-norm" {
    params = { n = 5500 }, quick = { n = 1000 },
    run = function(p) return K.spectral_norm(p.n) end,
    verify = {
      full = "sha256:f9d5b5e3eb7657cf1bbba4cc856651864df9cd9fd9a6be9b9bc5fcbb67150deb",  -- 1.274224153
      quick = "sha256:ab9143969dccdc1ca1f49d5e60c4fc40b4299e9fd2841f8d358a0cde47f78427", -- 1.274224148
    },
  },

  hp.scenario "pidigits" {
    params = { n = 10000 }, quick = { n = 2000 },
    run = function(p) return K.pidigits(p.n) end,
    verify = {
      full = "sha256:bdfa7b6c756d96492f472f97aee9cc139bee954d271eacedfd7ace5d2875f06c",
      quick = "sha256:160d7e74c158066268731cbb76f78b4ad1eb2214ffaaa0bbb910b29e65b1af47",
    },
    note = "GMP; sequential",
  },
}

-- hotpath's C kernels as standalone programs (hotpath-kernel, csrc/kernels/program.c), measured
-- as the peers are: one process with no interpreter in it, so that time and peak memory compare
-- like with like. They carry the summary's headline; the scenarios above are the same kernels
-- called from Lua, whose peak includes the interpreter and the output string.
-- The Rust and Go peers (bench/peers/, built offline in setup, untimed: lua/hotpath/peers.lua),
-- each verified with the same digests as the kernel it answers and compared with the C program
-- (baseline).
-- prog: the program (the peers' and hotpath-kernel's name); of: the kernel's scenario; arg: the
-- parameter passed as argument; stdin: the parameter of the fasta text fed on stdin; threads:
-- the C program's thread count (default all CPUs); workload: the summary row it heads.
local PEERS = {
  { "binarytrees", of = "binarytrees", arg = "n", workload = "binarytrees, depth 18" },
  { "fannkuch_redux", of = "fannkuch-redux", arg = "n", workload = "fannkuch-redux, n = 11" },
  { "mandelbrot", of = "mandelbrot", arg = "n", workload = "mandelbrot, 5000 x 5000" },
  { "mandelbrot_single", kernel = "mandelbrot", threads = 1, of = "mandelbrot", arg = "n",
    label = "mandelbrot single-threaded",
    note = "the single-threaded program in the simple style the article shows" },
  { "knucleotide", of = "k-nucleotide", stdin = "fasta_n", workload = "k-nucleotide, fasta 2,500,000 input",
    note = "input: the fasta 2,500,000 output fed on stdin" },
  { "fasta", of = "fasta", arg = "n" },
  { "reverse_complement", of = "reverse-complement", stdin = "fasta_n",
    note = "input: the fasta 2,500,000 output fed on stdin" },
  { "nbody", of = "n-body", arg = "n" },
  { "spectral_norm", of = "spectral-norm", arg = "n" },
  { "pidigits", of = "pidigits", arg = "n" },
}

local function argv_of(pe, p)
  return pe.arg and { tostring(p[pe.arg]) } or {}
end

local function stdin_of(pe, p)
  return pe.stdin and K.fasta(p[pe.stdin]) or nil
end

local by_name = {}
for _, s in ipairs(list) do by_name[s.name] = s end
local programs = {}
for _, pe in ipairs(PEERS) do
  local base = assert(by_name[pe.of], pe.of)
  local name = (pe.label or pe.of) .. ", C program"
  programs[pe[1]] = name
  list[#list + 1] = hp.scenario(name) {
    params = base.params, quick = base.quick, verify = base.verify, baseline = base.name,
    reference = base.reference, note = pe.note,
    headline = pe.workload and { dimension = "CPU", workload = pe.workload } or nil,
    setup = function(p)
      local path, err = hp.proc.program("hotpath-kernel")
      if not path then error(err, 0) end
      return { path = path, input = stdin_of(pe, p) }
    end,
    command = function(p, _, st)
      local argv = { st.path, pe.kernel or pe[1] }
      for _, a in ipairs(argv_of(pe, p)) do argv[#argv + 1] = a end
      if pe.threads then argv[#argv + 1] = tostring(pe.threads) end
      return argv, st.input
    end,
  }
end
for _, lang in ipairs { { "rust", "Rust" }, { "go", "Go" } } do
  for _, pe in ipairs(PEERS) do
    local base = by_name[pe.of]
    list[#list + 1] = hp.scenario((pe.label or pe.of) .. ", " .. lang[2]) (peers.scenario(lang[1], pe[1], {
      params = base.params, quick = base.quick, verify = base.verify, baseline = programs[pe[1]], note = pe.note,
      headline = pe.workload and { dimension = "CPU", workload = pe.workload, peer = true } or nil,
      args = pe.arg and function(p) return argv_of(pe, p) end or nil,
      stdin = pe.stdin and function(p) return stdin_of(pe, p) end or nil,
    }))
  end
end

return hp.suite "cpu" (list)
