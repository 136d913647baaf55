-- LuaJIT: what FFI does measurably better than the C binding (csrc/lua/lpool.c; figures in
-- doc/pool.md): moving an array batch's inputs into the batch and its results back out. The C
-- binding reads and writes each element through the C API (lua_rawgeti, lua_rawseti), which a
-- JIT-compiled trace cannot inline; here the loops are compiled and write the batch's C arrays.
--
-- A fast path with no rule of its own. The batch is made and started by the C binding
-- (batch_prepare, batch_start: the core checks the kind, the spec and the pool); this module
-- only copies values. It takes an array of 16 elements or more (see SMALL) of strings, or of numbers that are all integers
-- within +-2^53 (an int64 batch) or include a non-integral number (a float batch, as the C
-- binding decides: one float makes every input a float); anything else (a table with a
-- metatable, another type, a mix, an integral number beyond 2^53, infinities without a
-- fraction beside them) goes to the C binding's map, which keeps the one copy of the input
-- rules and messages. Results: int64 or double arrays read back; anything else (no results
-- kept, a released future) goes to the C binding. spec/pool_spec.lua compares both paths on
-- generated inputs.
--
-- The module: pool.fast(cp, path) -> { map = ..., results = ... } with the signatures of
-- cp.pool_map and cp.batch_results (cp: core.pool of the C module, path: that module's file,
-- core.json.library; one per cp). pool.lua calls it under LuaJIT.
local ffi = require "ffi"
local K = require "hotpath.consts"

local cast, tonumber, type, getmetatable, setmetatable, floor, pcall, error =
  ffi.cast, tonumber, type, getmetatable, setmetatable, math.floor, pcall, error

-- LuaJIT 2.1's preallocating constructor (the C binding's lua_createtable), if present
local ok_new, new_table = pcall(require, "table.new")
if not ok_new then new_table = function() return {} end end

local VAL_INT, VAL_FLOAT, VAL_STRING = K.HP_VAL_INT, K.HP_VAL_FLOAT, K.HP_VAL_STRING
local TWO53 = 9007199254740992
-- Shorter arrays (inputs and results) go to C: the fast path's fixed cost a batch (two calls
-- into the C binding, FFI calls from code that may run interpreted) outweighs what it saves on
-- a few elements (doc/pool.md).
local SMALL = 16

local M = {}

-- The C ABI's declarations, declared once per state (ffi/json.lua may have done it), and the
-- functions of the C module's own copy of the core (the one that made the batches).
local function library(path)
  if not pcall(ffi.typeof, "hp_batch_spec") then ffi.cdef(require "hotpath.ffi.cdef") end
  if not path then error("hotpath.ffi.pool: the C module does not know its path", 3) end
  return ffi.load(path)
end

local instances = setmetatable({}, { __mode = "k" })

function M.fast(cp, path)
  if instances[cp] then return instances[cp] end
  local C = library(path)
  local c_map, c_prepare, c_start, c_results = cp.pool_map, cp.batch_prepare, cp.batch_start, cp.batch_results
  local batch_ints, batch_floats, set_string = C.hp_batch_ints, C.hp_batch_floats, C.hp_batch_set_string
  local int_results, float_results, batch_count = C.hp_batch_int_results, C.hp_batch_float_results, C.hp_batch_count

  -- The start of a batch userdata's payload (lpool.c static_asserts this layout).
  if not pcall(ffi.typeof, "struct hp_lua_batch_head") then
    ffi.cdef("struct hp_lua_batch_head { hp_batch *b; };")
  end
  local head = ffi.typeof("const struct hp_lua_batch_head *")
  local batch_mt   -- the metatable of the batches batch_prepare makes (known after the first)

  -- The input type of t[1..n] and the strings' total length, or nil to leave t to C.
  local function scan(t, n)
    if type(t[1]) == "string" then
      local bytes = 0
      for k = 1, n do
        local s = t[k]
        if type(s) ~= "string" then return nil end
        bytes = bytes + #s
      end
      return VAL_STRING, bytes
    end
    local ty = VAL_INT
    for k = 1, n do
      local x = t[k]
      if type(x) ~= "number" then return nil end
      if x ~= floor(x) then ty = VAL_FLOAT                      -- a fraction, or NaN
      elseif x >= TWO53 or x <= -TWO53 then return nil end      -- C decides these
    end
    return ty, 0
  end

  -- map(h, kind, inputs, first, count, step, chunk, threads, fail_fast, keep): as cp.pool_map.
  local function map(h, kind, inputs, first, count, step, chunk, threads, fail_fast, keep)
    if inputs == nil or getmetatable(inputs) ~= nil then
      return c_map(h, kind, inputs, first, count, step, chunk, threads, fail_fast, keep)
    end
    local n = #inputs
    if n < SMALL then return c_map(h, kind, inputs, first, count, step, chunk, threads, fail_fast, keep) end
    local ty, bytes = scan(inputs, n)
    if not ty then return c_map(h, kind, inputs, first, count, step, chunk, threads, fail_fast, keep) end
    local ud, msg, code = c_prepare(h, kind, ty, n, bytes, chunk, threads, fail_fast, keep)
    if not ud then return ud, msg, code end
    batch_mt = getmetatable(ud)
    local b = cast(head, ud).b
    if ty == VAL_INT then
      local a = batch_ints(b)
      for k = 1, n do a[k - 1] = inputs[k] end
    elseif ty == VAL_FLOAT then
      -- + 0: an integral -0 becomes 0, as C converts the integers of a float batch
      local a = batch_floats(b)
      for k = 1, n do a[k - 1] = inputs[k] + 0 end
    else
      for k = 1, n do
        local s = inputs[k]
        set_string(b, k - 1, s, #s)
      end
    end
    return c_start(ud)
  end

  -- results(ud): as cp.batch_results (the array of a done, successful batch, or nil).
  local function results(ud)
    local b = getmetatable(ud) == batch_mt and cast(head, ud).b
    if b and b ~= nil then
      local n = tonumber(batch_count(b))
      local ir = n >= SMALL and int_results(b)
      if ir and ir ~= nil then
        local t = new_table(n, 0)
        for k = 1, n do t[k] = tonumber(ir[k - 1]) end
        return t
      end
      local dr = n >= SMALL and float_results(b)
      if dr and dr ~= nil then
        local t = new_table(n, 0)
        for k = 1, n do t[k] = dr[k - 1] end
        return t
      end
    end
    return c_results(ud)
  end

  instances[cp] = { map = map, results = results }
  return instances[cp]
end

return M
