-- fasta in plain Lua, after the Benchmarks Game reference programs: the same LCG and
-- cumulative-probability choice, one letter at a time. Runs on Lua 5.1-5.4 and LuaJIT; the
-- specs check the C kernel against it, and its output feeds the k-nucleotide checks.
--   lua5.4 bench/programs/fasta.lua N
local IM, IA, IC = 139968, 3877, 29573
local ALU = "GGCCGGGCGCGGTGGCTCACGCCTGTAATCCCAGCACTTTGGGAGGCCGAGGCGGGCGGATCACCTGAGGTCAGGAGTTCGAGA" ..
  "CCAGCCTGGCCAACATGGTGAAACCCCGTCTCTACTAAAAATACAAAAATTAGCCGGGCGTGGTGGCGCGCGCCTGTAATCCCA" ..
  "GCTACTCGGGAGGCTGAGGCAGGAGAATCGCTTGAACCCGGGAGGCGGAGGTTGCAGTGAGCCGAGATCGCGCCACTGCACTCC" ..
  "AGCCTGGGCGACAGAGCGAGACTCCGTCTCAAAAA"
local IUB = { { "a", 0.27 }, { "c", 0.12 }, { "g", 0.12 }, { "t", 0.27 }, { "B", 0.02 },
  { "D", 0.02 }, { "H", 0.02 }, { "K", 0.02 }, { "M", 0.02 }, { "N", 0.02 }, { "R", 0.02 },
  { "S", 0.02 }, { "V", 0.02 }, { "W", 0.02 }, { "Y", 0.02 } }
local HOMO = { { "a", 0.3029549426680 }, { "c", 0.1979883004921 }, { "g", 0.1975473066391 },
  { "t", 0.3015094502008 } }

local function fasta(n, out)
  local last = 42
  local function repeat_(s, count)
    local at, len, line = 1, #s, {}
    while count > 0 do
      local m = count < 60 and count or 60
      for i = 1, m do
        line[i] = s:sub(at, at)
        at = at + 1
        if at > len then at = 1 end
      end
      out(table.concat(line, "", 1, m) .. "\n")
      count = count - m
    end
  end
  local function random_(w, count)
    local cum, cp = {}, 0.0
    for i = 1, #w do cp = cp + w[i][2]; cum[i] = cp end
    local line = {}
    while count > 0 do
      local m = count < 60 and count or 60
      for i = 1, m do
        last = (last * IA + IC) % IM
        local r = 1.0 * last / IM
        local k = 1
        while k < #w and not (r < cum[k]) do k = k + 1 end
        line[i] = w[k][1]
      end
      out(table.concat(line, "", 1, m) .. "\n")
      count = count - m
    end
  end
  out(">ONE Homo sapiens alu\n")
  repeat_(ALU, 2 * n)
  out(">TWO IUB ambiguity codes\n")
  random_(IUB, 3 * n)
  out(">THREE Homo sapiens frequency\n")
  random_(HOMO, 5 * n)
end

if ... == "fasta" then return fasta end
fasta(tonumber(arg and arg[1]) or 1000, io.write)
