-- reverse-complement in plain Lua, after the Benchmarks Game reference programs. Runs on Lua
-- 5.1-5.4 and LuaJIT; the specs check the C kernel against it.
--   lua5.4 bench/programs/reverse_complement.lua < fasta-output.txt
local COMP = {}
do
  local from, to = "ACGTUMRWSYKVHDBN", "TGCAAKYWSRMBDHVN"
  for i = 1, #from do
    COMP[from:sub(i, i)] = to:sub(i, i)
    COMP[from:sub(i, i):lower()] = to:sub(i, i)
  end
end

local function revcomp(text, out)
  local header, parts
  local function flush()
    if not header then return end
    out(header .. "\n")
    local seq = table.concat(parts):reverse():gsub(".", COMP)
    for i = 1, #seq, 60 do out(seq:sub(i, i + 59) .. "\n") end
  end
  for line in (text .. (text:sub(-1) == "\n" and "" or "\n")):gmatch("([^\n]*)\n") do
    if line:sub(1, 1) == ">" then
      flush()
      header, parts = line, {}
    elseif header then
      parts[#parts + 1] = (line:gsub("\r$", ""))
    end
  end
  flush()
end

if ... == "reverse_complement" then return revcomp end
revcomp(io.read("*a"), io.write)
