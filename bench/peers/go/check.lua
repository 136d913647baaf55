-- Builds every Go peer and checks its output against hotpath: the sha256 digests in
-- bench/cpu.lua (quick sizes; --full adds the full sizes) and the sums of `tasks`.
--   lua5.4 bench/peers/go/check.lua [--full] [BUILD_DIR]   (from the repository root, after make)
-- Prints one line per check and exits 1 if any failed.
local hp = require "hotpath"
local scenario = require "hotpath.scenario"

local full, outdir = false, "build/peers/go"
for _, a in ipairs(arg) do
  if a == "--full" then full = true else outdir = a end
end

local function fail(msg)
  io.stderr:write("check: ", msg, "\n")
  os.exit(2)
end

-- build (the script's own exit status says whether it worked)
local b = assert(hp.proc.run { argv = { "sh", "bench/peers/go/build.sh", outdir }, keep_stderr = true, timeout = 900 })
if not b.ok then fail("build failed (" .. b.status .. "):\n" .. b.stderr) end

local suites = assert(scenario.load_file("bench/cpu.lua"))
local by_name = {}
for _, s in ipairs(suites[1].scenarios) do by_name[s.name] = s end

-- peer program -> the scenario whose digests it must match; arg: the size parameter passed
-- on the command line; stdin: the size parameter of the fasta text fed on stdin
local PEERS = {
  { "binarytrees", "binarytrees", arg = "n" },
  { "fannkuch_redux", "fannkuch-redux", arg = "n" },
  { "mandelbrot", "mandelbrot", arg = "n" },
  { "mandelbrot_single", "mandelbrot", arg = "n" },
  { "knucleotide", "k-nucleotide", stdin = "fasta_n" },
  { "fasta", "fasta", arg = "n" },
  { "reverse_complement", "reverse-complement", stdin = "fasta_n" },
  { "nbody", "n-body", arg = "n" },
  { "spectral_norm", "spectral-norm", arg = "n" },
  { "pidigits", "pidigits", arg = "n" },
}

local failed, passed = 0, 0
local function report(ok, what, detail)
  if ok then passed = passed + 1 else failed = failed + 1 end
  print((ok and "ok   " or "FAIL ") .. what .. (detail and ("  " .. detail) or ""))
end

local fasta_cache = {}
for _, p in ipairs(PEERS) do
  local prog, sname = p[1], p[2]
  local s = by_name[sname] or fail("bench/cpu.lua has no scenario '" .. sname .. "'")
  for _, size in ipairs(full and { "quick", "full" } or { "quick" }) do
    local params = {}
    for k, v in pairs(s.params) do params[k] = v end
    if size == "quick" then for k, v in pairs(s.quick) do params[k] = v end end
    local argv, stdin = { outdir .. "/bin/" .. prog }, nil
    if p.arg then argv[2] = params[p.arg] end
    if p.stdin then
      local n = params[p.stdin]
      fasta_cache[n] = fasta_cache[n] or hp.kernels.fasta(n)
      stdin = fasta_cache[n]
    end
    local want = s.verify[size]
    local r, err = hp.proc.run { argv = argv, stdin = stdin, digest = "sha256", timeout = 300 }
    local what = string.format("%-18s %-8s %s", prog, argv[2] or ("<fasta " .. params[p.stdin] .. ">"), size)
    if not r then
      report(false, what, err)
    elseif not r.ok then
      report(false, what, r.status .. ": " .. r.stderr)
    else
      local got = "sha256:" .. r.digest
      report(got == want, what, got ~= want and ("got " .. got .. ", want " .. want) or nil)
    end
  end
end

-- tasks: sum of fib(i % 30) for i < N
local function fib(n)
  local a, b = 0, 1
  for _ = 1, n do a, b = b, a + b end
  return a
end
for _, n in ipairs({ 0, 1, 1000, 100000 }) do
  local want = 0
  for i = 0, n - 1 do want = want + fib(i % 30) end
  want = string.format("%.0f\n", want)
  for _, mode in ipairs({ "run", "hold" }) do
    for _, f in ipairs({ "recursive", "iterative" }) do
      local r, err = hp.proc.run { argv = { outdir .. "/bin/tasks", n, mode, f }, keep_stdout = true, timeout = 300 }
      local what = string.format("%-18s %s %s %s", "tasks", n, mode, f)
      if not r then report(false, what, err)
      elseif not r.ok then report(false, what, r.status .. ": " .. r.stderr)
      else report(r.stdout == want, what, r.stdout ~= want and string.format("got %q, want %q", r.stdout, want) or nil) end
    end
  end
end

print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
