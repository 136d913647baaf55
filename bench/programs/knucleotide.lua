-- k-nucleotide in plain Lua, after the Benchmarks Game reference programs: count every k-mer
-- of the ">THREE" sequence in a table, for the frequencies (k = 1, 2) and the five queries.
-- Runs on Lua 5.1-5.4 and LuaJIT; the specs check the C kernel against it.
--   lua5.4 bench/programs/knucleotide.lua < fasta-output.txt
local function knucleotide(text, out)
  local start = text:find("\n>THREE", 1, true)
  if text:sub(1, 6) == ">THREE" then start = 0 end
  if not start then return nil end
  local body = text:sub((text:find("\n", start + 1, true) or #text) + 1)
  local stop = body:find(">", 1, true)
  if stop then body = body:sub(1, stop - 1) end
  local seq = body:gsub("[\r\n]", ""):upper()
  local function counts(k)
    local t = {}
    for i = 1, #seq - k + 1 do
      local s = seq:sub(i, i + k - 1)
      t[s] = (t[s] or 0) + 1
    end
    return t
  end
  for k = 1, 2 do
    local t, list, total = counts(k), {}, 0
    for s, c in pairs(t) do list[#list + 1] = { s, c }; total = total + c end
    table.sort(list, function(a, b) if a[2] ~= b[2] then return a[2] > b[2] end return a[1] < b[1] end)
    for _, e in ipairs(list) do out(string.format("%s %.3f\n", e[1], 100.0 * e[2] / total)) end
    out("\n")
  end
  for _, q in ipairs { "GGT", "GGTA", "GGTATT", "GGTATTTTAATT", "GGTATTTTAATTTATAGT" } do
    out(string.format("%d\t%s\n", counts(#q)[q] or 0, q))
  end
  return true
end

if ... == "knucleotide" then return knucleotide end
knucleotide(io.read("*a"), io.write)
