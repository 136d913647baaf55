-- Small shared helpers of the Lua layer: argument checks that raise with the argument's
-- position (doc/architecture.md: misuse raises), and the C module hotpath.core.
local type, error, format, floor, next = type, error, string.format, math.floor, next

local util = {}

-- The C module hotpath.core: one binding (csrc/lua/), built once per Lua ABI. Installed, it is
-- on package.cpath; in a source tree it is build/<abi>/hotpath/core.so beside lua/. The first
-- that loads is taken: the other ABI's build (a cpath entry meant for the other runtime) fails
-- to load, naming a lua_ symbol this runtime lacks, and the search goes on.
local function load_core()
  if package.loaded["hotpath.core"] then return package.loaded["hotpath.core"] end
  local abi = rawget(_G, "jit") and "luajit" or "lua54"
  local candidates, why = {}, {}
  candidates[1] = package.searchpath("hotpath.core", package.cpath)
  local here = debug.getinfo(1, "S").source:match("^@(.*)/hotpath/util%.lua$")
  if here then candidates[#candidates + 1] = here .. "/../build/" .. abi .. "/hotpath/core.so" end
  for _, path in ipairs(candidates) do
    local open, err = package.loadlib(path, "luaopen_hotpath_core")
    if open then
      local core = open("hotpath.core")
      package.loaded["hotpath.core"] = core
      return core
    end
    why[#why + 1] = err
  end
  error("hotpath: the C module hotpath.core for " .. abi .. " is not installed (make; or put it on " ..
    "package.cpath)" .. (#why > 0 and ": " .. table.concat(why, "; ") or ""), 3)
end

util.core = load_core()

-- Raises "bad argument #pos to 'fname' (msg)" at the caller of the API function; level
-- counts from the function that calls argerror (default 1: that function is the API function).
function util.argerror(pos, fname, msg, level)
  error(format("bad argument #%d to '%s' (%s)", pos, fname, msg), 2 + (level or 1))
end

local function typename(v)
  local t = type(v)
  if t == "number" and v ~= v then return "nan" end
  return t
end
util.typename = typename

-- Checks that v is an integer in [lo, hi]; returns it as an integer-valued number.
-- level: as for argerror.
function util.checkint(v, pos, fname, lo, hi, what, level)
  if type(v) ~= "number" or v ~= v or floor(v) ~= v then
    error(format("bad argument #%d to '%s' (%s: integer expected, got %s)", pos, fname,
      what or "value", type(v) == "number" and tostring(v) or typename(v)), 2 + (level or 1))
  end
  if (lo and v < lo) or (hi and v > hi) then
    error(format("bad argument #%d to '%s' (%s must be between %s and %s, got %s)", pos, fname,
      what or "value", format("%.17g", lo), format("%.17g", hi), format("%.17g", v)), 2 + (level or 1))
  end
  return v
end

-- "unknown option 'x'" for the first key of t that the set `known` lacks (integer keys 1..n
-- are allowed: a list in the table's own array part), or nil when every key is known.
function util.unknown_option(t, known, n)
  n = n or 0
  for k in next, t do
    if not (known[k] or (type(k) == "number" and k >= 1 and k <= n and k % 1 == 0)) then
      return type(k) == "string" and format("unknown option '%s'", k) or format("unknown option [%s]", tostring(k))
    end
  end
end

-- The last table found clean and the set it was checked against: a hot loop that passes the
-- same options table pays one comparison (and under LuaJIT its trace is not aborted by the
-- key loop below on every call). One slot: a weak cache would grow with every literal
-- options table and cost more than the loop it saves.
local last_t, last_known

-- Raises "bad argument #pos to 'fname' (unknown option 'x')" for a key of the options table
-- t that the set `known` lacks: a misspelt option would otherwise be ignored without a word.
-- (A key added to the very table checked on the previous call goes unnoticed.) level: as for
-- argerror.
function util.checkkeys(t, known, pos, fname, level)
  if t == last_t and known == last_known then return end
  local msg = util.unknown_option(t, known)
  if msg then error(format("bad argument #%d to '%s' (%s)", pos, fname, msg), 2 + (level or 1)) end
  last_t, last_known = t, known
end

-- Checks an optional options table (known: the set of its option names); returns it or an
-- empty one.
function util.checkopts(v, pos, fname, level, known)
  if v == nil then return {} end
  if type(v) ~= "table" then
    error(format("bad argument #%d to '%s' (options table expected, got %s)", pos, fname, typename(v)), 2 + (level or 1))
  end
  if known then util.checkkeys(v, known, pos, fname, (level or 1) + 1) end
  return v
end

return util
