-- hotpath.kernels: outputs byte-identical to the reference programs, identical for every
-- thread count, limits named in errors. Cross-checks use the independent plain-Lua programs
-- in bench/programs/ and outputs that follow from the definitions.
local hp = require "hotpath"
local helper = require "helper"
local K = hp.kernels
local unpack = table.unpack or unpack

local function program(name)
  local run = assert(loadfile("bench/programs/" .. name .. ".lua"))(name)
  return function(arg)
    local parts = {}
    run(arg, function(s) parts[#parts + 1] = s end)
    return table.concat(parts)
  end
end
local lua_mandelbrot = program "mandelbrot"
local lua_fannkuch = program "fannkuch_redux"
local lua_fasta = program "fasta"
local lua_knucleotide = program "knucleotide"
local lua_revcomp = program "reverse_complement"
local lua_nbody = program "nbody"
local lua_spectral = program "spectral_norm"

local function fixture(name) return helper.read("spec/fixtures/kernels/" .. name) end

-- every kernel gives one output whatever the thread count
local function same_for_all_threads(fn, arg)
  local one = fn(arg, { threads = 1 })
  for _, t in ipairs { 2, 3, 7 } do
    assert.are.equal(one, fn(arg, { threads = t }))
  end
  assert.are.equal(one, fn(arg))
  return one
end

-- misuse cases: { args, message }
local function raises(fname, cases)
  for i, c in ipairs(cases) do
    it("raises on bad input " .. i .. " (" .. c[2]:match("%((.*)%)") .. ")", function()
      local ok, err = pcall(K[fname], unpack(c[1]))
      assert.is_false(ok)
      assert.are.equal(c[2], err)
    end)
  end
end

describe("hotpath.kernels.mandelbrot", function()
  -- widths that are and are not multiples of 8, and the edges 0 and 1
  for _, n in ipairs { 0, 1, 2, 7, 8, 9, 15, 17, 63, 100, 201 } do
    it("matches the plain-Lua reference program for n = " .. n, function()
      assert.are.equal(lua_mandelbrot(n), K.mandelbrot(n))
    end)
  end

  it("has the header and size of a P4 file", function()
    local out = K.mandelbrot(9)
    assert.are.equal("P4\n9 9\n", out:sub(1, 7))
    assert.are.equal(7 + 2 * 9, #out)
  end)

  it("gives the known digest for n = 200", function()
    assert.are.equal("md5:cc65e64bd553ed18896de1dfe7fae3e5", hp.digest(K.mandelbrot(200), "md5"))
  end)

  it("is identical for every thread count", function()
    same_for_all_threads(K.mandelbrot, 123)
    same_for_all_threads(K.mandelbrot, 1000)
  end)

  raises("mandelbrot", {
    { { -1 }, "bad argument #1 to 'mandelbrot' (n must be between 0 and 32768, got -1)" },
    { { 40000 }, "bad argument #1 to 'mandelbrot' (n must be between 0 and 32768, got 40000)" },
    { { 2.5 }, "bad argument #1 to 'mandelbrot' (n: integer expected, got 2.5)" },
    { { "10" }, "bad argument #1 to 'mandelbrot' (n: integer expected, got string)" },
    { { 10, 5 }, "bad argument #2 to 'mandelbrot' (options table expected, got number)" },
    { { 10, { threads = 0 } }, "bad argument #2 to 'mandelbrot' (threads must be between 1 and 1024, got 0)" },
    { { 10, { threads = 1.5 } }, "bad argument #2 to 'mandelbrot' (threads: integer expected, got 1.5)" },
    { { 10, { thread = 2 } }, "bad argument #2 to 'mandelbrot' (unknown option 'thread')" },
  })
end)

describe("hotpath.kernels.binarytrees", function()
  -- the checks follow from the definition: a perfect tree of depth d has 2^(d+1) - 1 nodes
  local function expected(n)
    local maxd = math.max(6, n)
    local lines = { ("stretch tree of depth %d\t check: %d\n"):format(maxd + 1, 2 ^ (maxd + 2) - 1) }
    for d = 4, maxd, 2 do
      local iters = 2 ^ (maxd - d + 4)
      lines[#lines + 1] = ("%d\t trees of depth %d\t check: %d\n"):format(iters, d, iters * (2 ^ (d + 1) - 1))
    end
    lines[#lines + 1] = ("long lived tree of depth %d\t check: %d\n"):format(maxd, 2 ^ (maxd + 1) - 1)
    return table.concat(lines)
  end

  for _, n in ipairs { 0, 1, 6, 7, 10, 13 } do
    it("prints the reference output for n = " .. n, function()
      assert.are.equal(expected(n), K.binarytrees(n))
    end)
  end

  it("prints the published output for n = 10", function()
    assert.are.equal(fixture("binarytrees-10.txt"), K.binarytrees(10))
  end)

  it("is identical for every thread count", function()
    same_for_all_threads(K.binarytrees, 12)
  end)

  it("raises on a NaN size", function() -- Lua 5.4 prints NaN as "-nan", LuaJIT as "nan"
    local ok, err = pcall(K.binarytrees, 0 / 0)
    assert.is_false(ok)
    assert.truthy(err:match("^bad argument #1 to 'binarytrees' %(n: integer expected, got %-?nan%)$"))
  end)

  raises("binarytrees", {
    { { 40 }, "bad argument #1 to 'binarytrees' (n must be between 0 and 21, got 40)" },
    { { -1 }, "bad argument #1 to 'binarytrees' (n must be between 0 and 21, got -1)" },
    { { 1e300 }, "bad argument #1 to 'binarytrees' (n must be between 0 and 21, got 1.0000000000000001e+300)" },
    { {}, "bad argument #1 to 'binarytrees' (n: integer expected, got nil)" },
  })
end)

describe("hotpath.kernels.fannkuch_redux", function()
  it("prints 228 and Pfannkuchen(7) = 16 for n = 7", function()
    assert.are.equal("228\nPfannkuchen(7) = 16\n", K.fannkuch_redux(7))
  end)

  it("prints the published output for n = 10", function()
    assert.are.equal("73196\nPfannkuchen(10) = 38\n", K.fannkuch_redux(10))
  end)

  for n = 0, 8 do
    it("matches the plain-Lua reference program for n = " .. n, function()
      assert.are.equal(lua_fannkuch(n), K.fannkuch_redux(n))
    end)
  end

  it("is identical for every thread count", function()
    assert.are.equal("8629\nPfannkuchen(9) = 30\n", same_for_all_threads(K.fannkuch_redux, 9))
  end)

  raises("fannkuch_redux", {
    { { 20 }, "bad argument #1 to 'fannkuch_redux' (n must be between 0 and 12, got 20)" },
    { { 13 }, "bad argument #1 to 'fannkuch_redux' (n must be between 0 and 12, got 13)" },
    { { -3 }, "bad argument #1 to 'fannkuch_redux' (n must be between 0 and 12, got -3)" },
    { { 7.5 }, "bad argument #1 to 'fannkuch_redux' (n: integer expected, got 7.5)" },
  })
end)

describe("hotpath.kernels.fasta", function()
  -- lengths that end mid-line and on a line end, and the edges 0 and 1
  for _, n in ipairs { 0, 1, 2, 12, 20, 59, 60, 61, 1000 } do
    it("matches the plain-Lua reference program for n = " .. n, function()
      assert.are.equal(lua_fasta(n), K.fasta(n))
    end)
  end

  it("prints the stored output for n = 1000", function()
    assert.are.equal(fixture("fasta-1000.txt"), K.fasta(1000))
  end)

  it("ignores the thread count", function()
    same_for_all_threads(K.fasta, 777)
  end)

  raises("fasta", {
    { { -1 }, "bad argument #1 to 'fasta' (n must be between 0 and 25000000, got -1)" },
    { { 1e9 }, "bad argument #1 to 'fasta' (n must be between 0 and 25000000, got 1000000000)" },
    { { true }, "bad argument #1 to 'fasta' (n: integer expected, got boolean)" },
  })
end)

describe("hotpath.kernels.knucleotide", function()
  for _, n in ipairs { 1, 4, 100, 1000, 10000 } do
    it("matches the plain-Lua reference program on fasta " .. n, function()
      local text = K.fasta(n)
      assert.are.equal(lua_knucleotide(text), K.knucleotide(text))
    end)
  end

  it("prints the stored output on fasta 1000", function()
    assert.are.equal(fixture("knucleotide-1000.txt"), K.knucleotide(K.fasta(1000)))
  end)

  it("counts k-mers that span line breaks and reads either case", function()
    local text = ">ONE\nTTTT\n>THREE x\nggt\nAtt\nTTAATTTATAGT\n>FOUR\nGGTGGT\n"
    local out = K.knucleotide(text)
    assert.are.equal(lua_knucleotide(text), out)
    assert.truthy(out:find("\n1\tGGTATTTTAATTTATAGT\n", 1, true))
    assert.truthy(out:find("\n1\tGGT\n", 1, true))
  end)

  it("prints no frequency lines for a sequence shorter than the k-mers", function()
    assert.are.equal("\n\n0\tGGT\n0\tGGTA\n0\tGGTATT\n0\tGGTATTTTAATT\n0\tGGTATTTTAATTTATAGT\n",
      K.knucleotide(">THREE\n"))
    assert.are.equal("G 100.000\n\n\n0\tGGT\n0\tGGTA\n0\tGGTATT\n0\tGGTATTTTAATT\n0\tGGTATTTTAATTTATAGT\n",
      K.knucleotide(">THREE\ng"))
  end)

  it("is identical for every thread count", function()
    same_for_all_threads(K.knucleotide, K.fasta(30000))
  end)

  it("returns nil, msg, code on malformed input", function()
    local out, msg, code = K.knucleotide(">ONE\nACGT\n")
    assert.is_nil(out)
    assert.are.equal('knucleotide: no ">THREE" header in the input', msg)
    assert.are.equal("parse", code)
    out, msg, code = K.knucleotide(">THREE\nACGT\nACXT\n")
    assert.is_nil(out)
    assert.are.equal("knucleotide: unexpected byte 0x58 at offset 14", msg)
    assert.are.equal("parse", code)
  end)

  raises("knucleotide", {
    { { 12 }, "bad argument #1 to 'knucleotide' (fasta text (string) expected, got number)" },
    { { ">THREE\n", { threads = -1 } }, "bad argument #2 to 'knucleotide' (threads must be between 1 and 1024, got -1)" },
  })
end)

describe("hotpath.kernels.reverse_complement", function()
  for _, n in ipairs { 0, 1, 7, 20, 1000 } do
    it("matches the plain-Lua reference program on fasta " .. n, function()
      local text = K.fasta(n)
      assert.are.equal(lua_revcomp(text), K.reverse_complement(text))
    end)
  end

  it("prints the stored output on fasta 1000", function()
    assert.are.equal(fixture("revcomp-1000.txt"), K.reverse_complement(K.fasta(1000)))
  end)

  local odd = {
    ">a\nACGTUMRWSYKVHDBN\nacgtumrwsykvhdbn\n",        -- every code, both cases
    ">no trailing newline\nACG",                          -- last line unterminated
    ">empty\n>long line\n" .. ("ACGTTGCA"):rep(40) .. "\n", -- empty record; a 320-letter line
    "junk before\n>x\nAC\r\nGT\r\n",                      -- text before the first header; CRLF
    "", "no header at all\n",
  }
  for i, text in ipairs(odd) do
    it("matches the plain-Lua reference program on odd input " .. i, function()
      assert.are.equal(lua_revcomp(text), K.reverse_complement(text))
    end)
  end

  it("is identical for every thread count", function()
    same_for_all_threads(K.reverse_complement, K.fasta(120000))
  end)
end)

describe("hotpath.kernels.nbody", function()
  it("prints the published output for n = 1000", function()
    assert.are.equal("-0.169075164\n-0.169087605\n", K.nbody(1000))
  end)
  for _, n in ipairs { 0, 1, 2, 10, 3000 } do
    it("matches the plain-Lua reference program for n = " .. n, function()
      assert.are.equal(lua_nbody(n), same_for_all_threads(K.nbody, n))
    end)
  end
  raises("nbody", {
    { { -5 }, "bad argument #1 to 'nbody' (n must be between 0 and 1000000000, got -5)" },
    { { 2 ^ 40 }, "bad argument #1 to 'nbody' (n must be between 0 and 1000000000, got 1099511627776)" },
  })
end)

describe("hotpath.kernels.spectral_norm", function()
  it("prints the published output for n = 100", function()
    assert.are.equal("1.274219991\n", K.spectral_norm(100))
  end)
  it("prints 1 for the 1 x 1 matrix", function()
    assert.are.equal("1.000000000\n", K.spectral_norm(1))
  end)
  for _, n in ipairs { 1, 2, 3, 5, 10, 77 } do
    it("matches the plain-Lua reference program for n = " .. n, function()
      assert.are.equal(lua_spectral(n), K.spectral_norm(n))
    end)
  end
  it("prints not-a-number for n = 0, as the reference program does", function()
    assert.truthy(K.spectral_norm(0):match("^%-?nan\n$"))
  end)
  it("is identical for every thread count", function()
    assert.are.equal(lua_spectral(555), same_for_all_threads(K.spectral_norm, 555))
  end)
  raises("spectral_norm", {
    { { 100000 }, "bad argument #1 to 'spectral_norm' (n must be between 0 and 32768, got 100000)" },
  })
end)

describe("hotpath.kernels.pidigits", function()
  local PI = "31415926535897932384626433832795028841971693993751058209749445923078164062862089986280348253421170679"
  local function expected(n)
    local lines = {}
    for i = 1, n, 10 do
      local d = PI:sub(i, math.min(i + 9, n))
      lines[#lines + 1] = d .. (" "):rep(10 - #d) .. "\t:" .. math.min(i + 9, n) .. "\n"
    end
    return table.concat(lines)
  end
  it("prints the published output for n = 27", function()
    assert.are.equal("3141592653\t:10\n5897932384\t:20\n6264338   \t:27\n", K.pidigits(27))
  end)
  for _, n in ipairs { 0, 1, 9, 10, 11, 100 } do
    it("prints the digits of pi for n = " .. n, function()
      assert.are.equal(expected(n), same_for_all_threads(K.pidigits, n))
    end)
  end
  raises("pidigits", {
    { { 1e6 }, "bad argument #1 to 'pidigits' (n must be between 0 and 100000, got 1000000)" },
  })
end)

-- hotpath-kernel (csrc/kernels/program.c): the same kernels as standalone programs, measured
-- like the Rust and Go peers (bench/cpu.lua). Output byte-identical to the module's.
describe("the hotpath-kernel program", function()
  local path = assert(hp.proc.program("hotpath-kernel"))
  local function prog(args, stdin)
    local argv = { path }
    for _, a in ipairs(args) do argv[#argv + 1] = a end
    return assert(hp.proc.run { argv = argv, stdin = stdin, keep_stdout = true, keep_stderr = 4096, timeout = 60 })
  end
  local fasta = K.fasta(5000)
  local cases = {
    { { "binarytrees", "10" }, K.binarytrees(10) },
    { { "fannkuch_redux", "7", "2" }, K.fannkuch_redux(7) },
    { { "fasta", "5000" }, fasta },
    { { "mandelbrot", "200" }, K.mandelbrot(200) },
    { { "mandelbrot", "200", "1" }, K.mandelbrot(200) },
    { { "nbody", "1000" }, K.nbody(1000) },
    { { "pidigits", "27" }, K.pidigits(27) },
    { { "spectral_norm", "100", "3" }, K.spectral_norm(100) },
    { { "knucleotide" }, K.knucleotide(fasta), fasta },
    { { "reverse_complement", "2" }, K.reverse_complement(fasta), fasta },
  }
  for i, c in ipairs(cases) do
    it("prints the module's output " .. i .. " (" .. table.concat(c[1], " ") .. ")", function()
      local r = prog(c[1], c[3])
      assert.are.equal("", r.stderr)
      assert.are.equal(0, r.exit_code)
      assert.are.equal(c[2], r.stdout)
    end)
  end

  local USAGE = "usage: hotpath-kernel NAME [N [THREADS]]  (NAME: binarytrees fannkuch_redux fasta " ..
    "mandelbrot nbody pidigits spectral_norm knucleotide reverse_complement; knucleotide and " ..
    "reverse_complement read fasta text on stdin)\n"
  local errors = {
    { {}, 2, "hotpath-kernel: a kernel name expected\n" .. USAGE },
    { { "a", "b", "c", "d" }, 2, "hotpath-kernel: too many arguments\n" .. USAGE },
    { { "nope", "1" }, 2, "hotpath-kernel: unknown kernel 'nope'\n" .. USAGE },
    { { "mandelbrot" }, 2, "hotpath-kernel: mandelbrot needs a size N\n" .. USAGE },
    { { "mandelbrot", "-1" }, 2, "hotpath-kernel: N must be a non-negative integer, got '-1'\n" .. USAGE },
    { { "mandelbrot", "12x" }, 2, "hotpath-kernel: N must be a non-negative integer, got '12x'\n" .. USAGE },
    { { "mandelbrot", "10", "0" }, 2, "hotpath-kernel: THREADS must be a positive integer, got '0'\n" .. USAGE },
    { { "knucleotide", "1", "2" }, 2, "hotpath-kernel: knucleotide takes [THREADS] only (its input is stdin)\n" .. USAGE },
    { { "mandelbrot", "99999" }, 1, "hotpath-kernel: mandelbrot: n must be between 0 and 32768, got 99999\n" },
    { { "knucleotide" }, 1, "hotpath-kernel: " .. select(2, K.knucleotide(">ONE x\nAC\n")) .. "\n", ">ONE x\nAC\n" },
  }
  for i, c in ipairs(errors) do
    it("refuses bad use " .. i .. " with exit status " .. c[2], function()
      local r = prog(c[1], c[4])
      assert.are.equal(c[2], r.exit_code)
      assert.are.equal(c[3], r.stderr)
      assert.are.equal("", r.stdout)
    end)
  end

  it("is found by hotpath.proc.program, which names only hotpath's programs", function()
    assert.is_truthy(path:match("/hotpath%-kernel$"))
    assert.are.same({ nil, "'ls' is not one of hotpath's programs (hotpath-launch, hotpath-kernel)", "invalid" },
      { hp.proc.program("ls") })
    assert.are.equal("bad argument #1 to 'program' (string expected, got number)",
      select(2, pcall(hp.proc.program, 3)):match("bad argument.*"))
  end)
end)
