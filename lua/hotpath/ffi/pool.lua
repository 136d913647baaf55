-- LuaJIT: binding of pool/ into the core table, the same functions as csrc/lua/lpool.c. Only
-- marshalling: handles are ffi.gc cdata; inputs are written straight into the batch's arrays.
local ffi = require "ffi"
local C = require "hotpath.ffi.lib"

local ffi_new, ffi_string, ffi_gc = ffi.new, ffi.string, ffi.gc
local tonumber, type, floor, format = tonumber, type, math.floor, string.format

local HP_OK, HP_ECANCELED = C.HP_OK, C.HP_ECANCELED
local VAL_INT, VAL_FLOAT, VAL_STRING = C.HP_VAL_INT, C.HP_VAL_FLOAT, C.HP_VAL_STRING

return function(core)
  local fail = core._fail
  local P = { kinds = ffi_string(C.hp_task_kinds()) }
  core.pool = P

  function P.pool_new(threads)
    local out, errp = ffi_new("hp_pool *[1]"), ffi_new("char *[1]")
    local rc = C.hp_task_pool_new(out, threads or 0, errp)
    if rc ~= HP_OK then return fail(rc, errp) end
    return ffi_gc(out[0], C.hp_pool_free)
  end

  -- close(h, drain, timeout): true, or nil, msg, "timeout" (see hp_pool_shutdown).
  function P.pool_close(h, drain, timeout)
    ffi_gc(h, nil)
    local errp = ffi_new("char *[1]")
    local rc = C.hp_pool_shutdown(h, drain or 0, timeout or -1, errp)
    C.hp_pool_free(h)
    if rc ~= HP_OK then return fail(rc, errp) end
    return true
  end
  function P.pool_threads(h) return C.hp_pool_threads(h) end
  function P.pool_started(h) return C.hp_pool_started(h) end

  -- The element type of inputs[1..n], or nil and a message about the first bad element.
  local function inputs_type(t, n)
    local ty, bytes = VAL_INT, 0
    for k = 1, n do
      local v = t[k]
      local tv = type(v)
      if tv == "number" then
        if ty == VAL_STRING and k > 1 then
          return nil, format("inputs[%d]: string expected, got number", k)
        end
        if ty == VAL_INT and (v ~= floor(v) or v ~= v or v >= 2 ^ 63 or v < -2 ^ 63) then ty = VAL_FLOAT end
      elseif tv == "string" then
        if k > 1 and ty ~= VAL_STRING then
          return nil, format("inputs[%d]: number expected, got string", k)
        end
        ty = VAL_STRING
        bytes = bytes + #v
      else
        return nil, format("inputs[%d]: %s expected, got %s", k,
          (k == 1 or ty ~= VAL_STRING) and "number or string" or "string", tv)
      end
    end
    return ty, bytes
  end

  function P.pool_map(h, kind, inputs, first, count, step, chunk, threads, fail_fast, keep)
    local sp = ffi_new("hp_batch_spec")
    sp.kind = kind
    local n
    if inputs then
      n = #inputs
      local ty, bytes = inputs_type(inputs, n)
      if not ty then return false, bytes end
      sp.input_type, sp.string_bytes, sp.count = ty, bytes, n
    else
      sp.is_range, sp.input_type = 1, VAL_INT
      sp.first, sp.count, sp.step = first, count, step
    end
    sp.chunk, sp.threads = chunk or 0, threads or 0
    sp.fail_fast = fail_fast and 1 or 0
    sp.keep_results = keep == false and 0 or 1
    local out, errp = ffi_new("hp_batch *[1]"), ffi_new("char *[1]")
    local rc = C.hp_batch_new(h, sp, out, errp)
    if rc ~= HP_OK then return fail(rc, errp) end
    local b = ffi_gc(out[0], C.hp_batch_free)
    if inputs then
      local ty = sp.input_type
      if ty == VAL_INT then
        local a = C.hp_batch_ints(b)
        for k = 1, n do a[k - 1] = inputs[k] end
      elseif ty == VAL_FLOAT then
        local a = C.hp_batch_floats(b)
        for k = 1, n do a[k - 1] = inputs[k] end
      else
        for k = 1, n do
          local s = inputs[k]
          C.hp_batch_set_string(b, k - 1, s, #s)
        end
      end
    end
    rc = C.hp_batch_start(b, errp)
    if rc ~= HP_OK then return fail(rc, errp) end
    return b
  end

  function P.batch_wait(b, timeout) return C.hp_batch_wait(b, timeout or -1) == HP_OK end
  function P.batch_done(b) return C.hp_batch_done(b) ~= 0 end
  function P.batch_cancel(b) C.hp_batch_cancel(b) end

  local indexp, msgp = ffi_new("int64_t[1]"), ffi_new("const char *[1]")
  function P.batch_status(b)
    local rc = C.hp_batch_status(b, indexp, msgp)
    if rc == HP_OK then return true end
    local code = ffi_string(C.hp_status_name(rc))
    local msg = msgp[0] ~= nil and ffi_string(msgp[0]) or (rc == HP_ECANCELED and "cancelled" or code)
    if rc == HP_ECANCELED then return nil, msg, nil, code end
    return nil, msg, tonumber(indexp[0]) + 1, code
  end

  function P.batch_results(b)
    local n = tonumber(C.hp_batch_count(b))
    local ir, dr = C.hp_batch_int_results(b), C.hp_batch_float_results(b)
    local t = {}
    if ir ~= nil then
      for k = 1, n do t[k] = tonumber(ir[k - 1]) end
    elseif dr ~= nil then
      for k = 1, n do t[k] = dr[k - 1] end
    else
      return nil
    end
    return t
  end

  local outv = ffi_new("hp_task_out")
  function P.batch_reduce(b, op)
    if C.hp_batch_reduce(b, op, outv) == 0 then return nil end
    if C.hp_batch_result_type(b) == VAL_INT then return tonumber(outv.i) end
    return outv.d
  end

  function P.batch_free(b)
    ffi_gc(b, nil)
    C.hp_batch_free(b)
  end

  -- Lua-function tasks under LuaJIT need worker Lua states: the small C module jitcore built
  -- against LuaJIT's headers (csrc/lua/ltasks.c, shared with the 5.4 binding) provides them.
  local ok, jc = pcall(require, "hotpath.ffi.jitcore")
  local lt = ok and type(jc) == "table" and jc.tasks
  if lt then
    local uintptr = ffi.typeof("uintptr_t")
    local lmap = lt.map
    local ops = {}
    for k, v in pairs(lt) do ops[k] = v end
    -- the C module takes the pool as its address (it cannot read FFI cdata)
    function ops.map(h, ...) return lmap(tonumber(ffi.cast(uintptr, h)), ...) end
    P.lua_ops = ops
  end
end
