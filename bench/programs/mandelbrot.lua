-- mandelbrot in plain Lua, after the Benchmarks Game reference programs: N x N PBM on stdout.
-- Runs on Lua 5.1-5.4 and LuaJIT; an external-command peer in bench/cpu.lua, and the
-- independent implementation the specs check the C kernel against.
--   lua5.4 bench/programs/mandelbrot.lua N
local N = tonumber(arg and arg[1]) or 200
local write, char, floor = io.write, string.char, math.floor
local iter = 50

local function render(n, out)
  out("P4\n" .. n .. " " .. n .. "\n")
  local row = {}
  for y = 0, n - 1 do
    local ci = 2.0 * y / n - 1.0
    local nb = 0
    for b = 0, floor((n + 7) / 8) - 1 do
      local bits = 0
      for k = 0, 7 do
        local x = b * 8 + k
        local inside = 0
        if x < n then
          local cr = 2.0 * x / n - 1.5
          local zr, zi, tr, ti = 0.0, 0.0, 0.0, 0.0
          local i = 0
          while i < iter do
            zi = 2.0 * zr * zi + ci
            zr = tr - ti + cr
            tr = zr * zr
            ti = zi * zi
            if tr + ti > 4.0 then break end
            i = i + 1
          end
          if i == iter then inside = 1 end
        end
        bits = bits * 2 + inside
      end
      nb = nb + 1
      row[nb] = char(bits)
    end
    out(table.concat(row, "", 1, nb))
  end
end

if ... == "mandelbrot" then  -- required as a module (by the specs)
  return render
end
render(N, write)
