-- n-body in plain Lua, after the Benchmarks Game reference C program, operation for
-- operation. Runs on Lua 5.1-5.4 and LuaJIT; the specs check the C kernel against it.
--   lua5.4 bench/programs/nbody.lua N
local sqrt = math.sqrt
local PI = 3.141592653589793
local SOLAR_MASS = 4 * PI * PI
local DPY = 365.24

local function bodies()
  local function b(x, y, z, vx, vy, vz, mass)
    return { x = x, y = y, z = z, vx = vx * DPY, vy = vy * DPY, vz = vz * DPY, mass = mass * SOLAR_MASS }
  end
  local sun = { x = 0, y = 0, z = 0, vx = 0, vy = 0, vz = 0, mass = SOLAR_MASS }
  return {
    sun,
    b(4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
      1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05, 9.54791938424326609e-04),
    b(8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
      -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05, 2.85885980666130812e-04),
    b(1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
      2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05, 4.36624404335156298e-05),
    b(1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
      2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05, 5.15138902046611451e-05),
  }
end

local function advance(bs, dt)
  local nb = #bs
  for i = 1, nb do
    local bi = bs[i]
    for j = i + 1, nb do
      local bj = bs[j]
      local dx, dy, dz = bi.x - bj.x, bi.y - bj.y, bi.z - bj.z
      local distance = sqrt(dx * dx + dy * dy + dz * dz)
      local mag = dt / (distance * distance * distance)
      bi.vx = bi.vx - dx * bj.mass * mag
      bi.vy = bi.vy - dy * bj.mass * mag
      bi.vz = bi.vz - dz * bj.mass * mag
      bj.vx = bj.vx + dx * bi.mass * mag
      bj.vy = bj.vy + dy * bi.mass * mag
      bj.vz = bj.vz + dz * bi.mass * mag
    end
  end
  for i = 1, nb do
    local b = bs[i]
    b.x = b.x + dt * b.vx
    b.y = b.y + dt * b.vy
    b.z = b.z + dt * b.vz
  end
end

local function energy(bs)
  local e = 0.0
  for i = 1, #bs do
    local b = bs[i]
    e = e + 0.5 * b.mass * (b.vx * b.vx + b.vy * b.vy + b.vz * b.vz)
    for j = i + 1, #bs do
      local b2 = bs[j]
      local dx, dy, dz = b.x - b2.x, b.y - b2.y, b.z - b2.z
      e = e - (b.mass * b2.mass) / sqrt(dx * dx + dy * dy + dz * dz)
    end
  end
  return e
end

local function nbody(n, out)
  local bs = bodies()
  local px, py, pz = 0.0, 0.0, 0.0
  for i = 1, #bs do
    px = px + bs[i].vx * bs[i].mass
    py = py + bs[i].vy * bs[i].mass
    pz = pz + bs[i].vz * bs[i].mass
  end
  bs[1].vx, bs[1].vy, bs[1].vz = -px / SOLAR_MASS, -py / SOLAR_MASS, -pz / SOLAR_MASS
  out(string.format("%.9f\n", energy(bs)))
  for _ = 1, n do advance(bs, 0.01) end
  out(string.format("%.9f\n", energy(bs)))
end

if ... == "nbody" then return nbody end
nbody(tonumber(arg and arg[1]) or 1000, io.write)
