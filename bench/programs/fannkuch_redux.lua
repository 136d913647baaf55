-- fannkuch-redux in plain Lua, after the Benchmarks Game reference programs (the C #1
-- program's permutation order). Runs on Lua 5.1-5.4 and LuaJIT; the specs check the C kernel
-- against it.   lua5.4 bench/programs/fannkuch_redux.lua N
local function fannkuch(n, out)
  local perm, perm1, count = {}, {}, {}
  local maxflips, checksum, permcount = 0, 0, 0
  for i = 0, n - 1 do perm1[i] = i end
  local r = n
  while true do
    while r > 1 do count[r - 1] = r; r = r - 1 end
    for i = 0, n - 1 do perm[i] = perm1[i] end
    local flips = 0
    local k = perm[0]
    while k and k ~= 0 do
      local i, j = 0, k
      while i < j do perm[i], perm[j] = perm[j], perm[i]; i = i + 1; j = j - 1 end
      flips = flips + 1
      k = perm[0]
    end
    if flips > maxflips then maxflips = flips end
    if permcount % 2 == 0 then checksum = checksum + flips else checksum = checksum - flips end
    while true do
      if r >= n then
        out(string.format("%d\nPfannkuchen(%d) = %d\n", checksum, n, maxflips))
        return
      end
      local perm0 = perm1[0]
      for i = 0, r - 1 do perm1[i] = perm1[i + 1] end
      perm1[r] = perm0
      count[r] = count[r] - 1
      if count[r] > 0 then break end
      r = r + 1
    end
    permcount = permcount + 1
  end
end

if ... == "fannkuch_redux" then return fannkuch end
fannkuch(tonumber(arg and arg[1]) or 7, io.write)
