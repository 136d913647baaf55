-- LuaJIT: binding of json/ into the core table, the same functions as csrc/lua/ljson.c.
-- Decode goes through the small C module hotpath.jitcore (csrc/lua/jit/ljit.c: the 5.4
-- binding's tape builder compiled against LuaJIT's headers) when it loads: building tables
-- through the C API measured 1.5x faster than the FFI record builder. Without it (not built,
-- or HOTPATH_NO_C_MODULE set, e.g. in OpenResty where loading a C module may be unwanted),
-- and for what only FFI can do (int64 cdata, the yield hook, nesting beyond ~4000 levels):
-- the shim hands back a flat pre-counted record stream (hp_json_rec, 16 bytes) and Lua builds
-- the tables iteratively with table.new. Encode: a Lua walker over the exported C writer
-- (hp_jw_*), which does the escaping and number text (it beat the C encoder built for
-- LuaJIT, 1 : 0.84). Lazy documents are FFI only.
local ffi = require "ffi"
local C = require "hotpath.ffi.lib"
local tnew = require "table.new"
local KC = require "hotpath.consts"
-- record types (json.h); the containers are the two highest codes
local T_NULL, T_FALSE, T_TRUE, T_INT, T_DOUBLE, T_STRING, T_ARRAY, T_OBJECT = KC.HP_JSON_NULL,
  KC.HP_JSON_FALSE, KC.HP_JSON_TRUE, KC.HP_JSON_INT, KC.HP_JSON_DOUBLE, KC.HP_JSON_STRING,
  KC.HP_JSON_ARRAY, KC.HP_JSON_OBJECT
assert(T_OBJECT == T_ARRAY + 1 and T_ARRAY > KC.HP_JSON_UINT and T_ARRAY > T_STRING)

local ffi_new, ffi_string, ffi_gc, ffi_cast = ffi.new, ffi.string, ffi.gc, ffi.cast
local tonumber, type, error, pairs, next, setmetatable, getmetatable =
  tonumber, type, error, pairs, next, setmetatable, getmetatable
local rawget, pcall, require = rawget, pcall, require
local tostring, sort, format, huge = tostring, table.sort, string.format, math.huge

-- The C module's json table, or nil (not built, not loadable, or HOTPATH_NO_C_MODULE set).
local function jitcore()
  local off = os.getenv("HOTPATH_NO_C_MODULE")
  if off and off ~= "" and off ~= "0" then return nil end
  local ok, m = pcall(require, "hotpath.ffi.jitcore")
  return ok and type(m) == "table" and m.json or nil
end

return function(core)
  local fail = core._fail
  local J = {}
  core.json = J
  local JC = jitcore()
  J.backend = JC and "luajit C module (hotpath.jitcore)" or "luajit FFI"
  J.null = ffi_cast("void *", nil)   -- compares equal to cjson.null / ngx.null (NULL lightuserdata)
  do
    -- A true NULL light userdata cannot be made through FFI: take ngx.null (OpenResty) or
    -- cjson.null (the same value); without either, a NULL cdata (== nil, but not identical).
    local ngx_null = rawget(_G, "ngx") and ngx.null
    if ngx_null then J.null = ngx_null
    else
      local ok, cjson = pcall(require, "cjson")
      if ok and type(cjson) == "table" and cjson.null then J.null = cjson.null end
    end
  end
  if JC then J.null = JC.null end     -- the C API makes the true NULL light userdata
  local NULL = J.null
  local array_mt = { __jsontype = "array" }
  J.array_mt = array_mt
  J.max_depth_limit = C.HP_JSON_MAX_DEPTH
  J.encode_depth_limit = C.HP_JSON_ENCODE_MAX_DEPTH

  local function new_parser()
    local p = C.hp_json_parser_new()
    if p == nil then error("out of memory creating a JSON parser", 2) end
    return ffi_gc(p, C.hp_json_parser_free)
  end
  J.parser = new_parser
  local parser_ct = ffi.typeof("hp_json_parser *")
  function J.is_parser(v) return ffi.istype(parser_ct, v) end
  J.default_parser = new_parser()

  local recsp, np, errp, genp = ffi_new("const hp_json_rec *[1]"), ffi_new("size_t[1]"),
    ffi_new("char *[1]"), ffi_new("uint64_t[1]")
  local recp = ffi_new("hp_json_rec[1]")
  local outp, curp, keyp, childp = ffi_new("size_t[1]"), ffi_new("size_t[1]"),
    ffi_new("size_t[1]"), ffi_new("size_t[1]")

  local TWO53 = 9007199254740992
  local function bigint(x, mode, unsigned)
    if mode == 2 then return unsigned and tonumber(x.v.u) or tonumber(x.v.i) end
    if mode == 1 then
      local s = tostring(unsigned and x.v.u or x.v.i)
      return (s:gsub("U?LL$", ""))
    end
    return unsigned and ffi_new("uint64_t", x.v.u) or ffi_new("int64_t", x.v.i)
  end

  -- Builds the value of n records at r. Iterative: open containers in explicit stacks.
  -- yield/chunk: call yield() every chunk records (the records must then belong to a parser
  -- no one else uses meanwhile: the caller passes a private one).
  local function build(r, n, mt, mode, yield, chunk)
    local T, L, O, I, K = {}, {}, {}, {}, {}
    local depth, i, nextyield = 0, 0, chunk or huge
    while true do
      if i >= nextyield then yield(); nextyield = i + chunk end
      local x = r[i]
      i = i + 1
      local ty, v = x.type, nil
      if ty >= T_ARRAY then
        local cnt = x.n
        if ty == T_ARRAY then
          v = tnew(cnt, 0)
          if mt then setmetatable(v, array_mt) end
        else
          v = tnew(0, cnt)
        end
        if cnt > 0 then
          depth = depth + 1
          T[depth], L[depth], I[depth] = v, cnt, 1
          if ty == T_OBJECT then
            O[depth] = true
            local k = r[i]
            K[depth] = ffi_string(k.v.s, k.n)
            i = i + 1
          else
            O[depth] = false
          end
          goto continue
        end
      elseif ty == T_STRING then v = ffi_string(x.v.s, x.n)
      elseif ty == T_INT then
        v = tonumber(x.v.i)
        if v >= TWO53 or v <= -TWO53 then v = bigint(x, mode, false) end
      elseif ty == T_DOUBLE then v = x.v.d
      elseif ty == T_NULL then v = NULL
      elseif ty == T_TRUE then v = true
      elseif ty == T_FALSE then v = false
      else v = bigint(x, mode, true)
      end
      while true do
        if depth == 0 then return v end
        local t = T[depth]
        if O[depth] then t[K[depth]] = v
        else
          local ix = I[depth]
          t[ix] = v
          I[depth] = ix + 1
        end
        local left = L[depth] - 1
        if left > 0 then
          L[depth] = left
          if O[depth] then
            local k = r[i]
            K[depth] = ffi_string(k.v.s, k.n)
            i = i + 1
          end
          break
        end
        T[depth] = nil
        v = t
        depth = depth - 1
      end
      ::continue::
    end
  end

  -- Parsers whose records a build is reading: an allocation of the build can run a finalizer,
  -- which must not parse or decode with that parser (the records and the strings they point
  -- to would be rewritten or freed under the build). pcall clears the mark when build raises.
  local busy = setmetatable({}, { __mode = "k" })
  local function guarded_build(p, r, n, mt, mode, yield, chunk)
    busy[p] = true
    local ok, v = pcall(build, r, n, mt, mode, yield, chunk)
    busy[p] = nil
    if not ok then error(v, 0) end
    return v
  end

  local jc_decode = JC and JC.decode
  function J.decode(p, s, depth, mt, mode, yield, chunk)
    if jc_decode and not yield then
      local v, err, code = jc_decode(s, depth or 0, mt, mode or 0, array_mt)
      if v ~= false then return v, err, code end
      -- false: an integer beyond +-2^53 that must become int64 cdata, or nesting deeper than
      -- the C API's stack allows: the FFI builder does those
    end
    -- a build from p's records runs (a finalizer decoding): a private parser
    local private = yield or busy[p]
    if private then p = new_parser() end
    local rc = C.hp_json_decode(p, s, #s, depth or 0, recsp, np, errp)
    if rc ~= 0 then return fail(rc, errp) end
    local v = guarded_build(p, recsp[0], tonumber(np[0]), mt, mode or 0, yield, chunk)
    if private then C.hp_json_parser_free(ffi_gc(p, nil)) end
    return v
  end

  function J.parse(p, s, depth)
    if busy[p] then
      return nil, "JSON parser in use: a document of this parser is being decoded (a finalizer " ..
        "parsed during doc:decode()); use another json.parser()", "EINVAL"
    end
    local rc = C.hp_json_parse(p, s, #s, depth or 0, genp, errp)
    if rc ~= 0 then return fail(rc, errp) end
    return genp[0]   -- uint64 cdata: compared by value in the C calls
  end

  local function raise(rc)
    local _, msg = fail(rc, errp)
    error(msg, 3)
  end

  -- The kind, value, count of a record (containers: value is the node).
  local function push_rec(x, node)
    local ty = x.type
    if ty >= T_ARRAY then return ty, node, x.n end
    if ty == T_STRING then return ty, ffi_string(x.v.s, x.n), x.n end
    if ty == T_INT then
      local v = tonumber(x.v.i)
      if v >= TWO53 or v <= -TWO53 then v = bigint(x, 0, false) end
      return ty, v, 0
    end
    if ty == T_DOUBLE then return ty, x.v.d, 0 end
    if ty == T_NULL then return ty, NULL, 0 end
    if ty == T_FALSE then return ty, false, 0 end
    if ty == T_TRUE then return ty, true, 0 end
    return ty, bigint(x, 0, true), 0
  end

  -- kind, value, count of a node (containers: value is the node).
  local function push_node(p, g, node)
    local rc = C.hp_json_node(p, g, node, recp, errp)
    if rc ~= 0 then raise(rc) end
    return push_rec(recp[0], node)
  end

  -- Node indices come from Lua: the core checks them (HP_EINVAL, raised).
  function J.get(p, g, node, ptr)
    local rc = C.hp_json_lookup(p, g, node, ptr, ptr and #ptr or 0, outp, recp, errp)
    if rc ~= 0 then raise(rc) end
    local found = outp[0]
    if found == 0 then return 0 end
    return push_rec(recp[0], tonumber(found))
  end

  function J.next(p, g, node, cursor)
    curp[0] = cursor or 0
    local r = C.hp_json_next(p, g, node, curp, keyp, childp)
    if r < 0 then
      local rc = C.hp_json_lookup(p, g, node, nil, 0, outp, recp, errp)
      if rc ~= 0 then raise(rc) end
      if recp[0].type >= 8 then
        error(format("JSON iteration cursor %d is not a child of node %d", tonumber(cursor or 0), tonumber(node)), 2)
      end
      error("JSON value is not an array or object", 2)
    end
    if r == 0 then return nil end
    local key = false
    if keyp[0] ~= 0 then
      if C.hp_json_node(p, g, keyp[0], recp, nil) ~= 0 or recp[0].type ~= 7 then
        error(format("JSON object key at node %d is not a string", tonumber(keyp[0])), 2)
      end
      key = ffi_string(recp[0].v.s, recp[0].n)
    end
    return tonumber(curp[0]), key, push_node(p, g, tonumber(childp[0]))
  end

  function J.materialize(p, g, node, mt, mode)
    if busy[p] then
      -- a finalizer materializing from the parser whose records a build reads: flattening
      -- would rewrite those records under it
      error("JSON parser in use: a document of this parser is being decoded (a finalizer " ..
        "called doc:decode() during doc:decode())", 2)
    end
    local rc = C.hp_json_flatten(p, g, node, recsp, np, errp)
    if rc ~= 0 then raise(rc) end
    return guarded_build(p, recsp[0], tonumber(np[0]), mt, mode or 0)
  end

  -- ---- encoder ------------------------------------------------------------------------------
  -- An encoder: its own writer, cycle path and options (upvalues of its walker closures).
  -- Returns the encode function. One per Lua state is reused (J.encode); a reentrant call
  -- gets a new one.
  local function new_encoder(on_error)
    -- every error of this encoder: on_error() first (the shared one clears its busy mark)
    local function fail(msg) on_error() error(msg, 0) end
    local w = ffi_gc(ffi_new("hp_jw[1]"), function(x) C.hp_jw_free(x) end)
    C.hp_jw_init(w, nil, 0)
    local jw_raw, jw_string, jw_number, jw_integer = C.hp_jw_raw, C.hp_jw_string, C.hp_jw_number, C.hp_jw_integer
    local jw_keynum = C.hp_jw_keynum
    local floor = math.floor
    local path = {}
    local o_sort, o_indent, o_empty, o_depth, o_nan

    local encode_value
    local wx = w[0]

    -- One byte straight into the writer's buffer (no FFI call when there is room).
    local function putc(c, s)
      local n = wx.len
      if n < wx.cap then wx.buf[n] = c; wx.len = n + 1 else jw_raw(w, s, 1) end
    end

    local function newline(depth)
      if o_indent > 0 then
        local s = "\n" .. string.rep(" ", depth * o_indent)
        jw_raw(w, s, #s)
      end
    end

    local function number(v)
      if v ~= v or v == huge or v == -huge then
        if not o_nan then
          fail(format("cannot encode %s as JSON (allow_nan = true writes null)",
            v ~= v and "NaN" or v > 0 and "inf" or "-inf"))
        end
        jw_raw(w, "null", 4)
      elseif floor(v) == v and v >= -TWO53 and v <= TWO53 and (v ~= 0 or 1 / v > 0) then
        jw_integer(w, v)
      else
        jw_number(w, v)
      end
    end

    -- The text of a number key (for sorting), through a scratch writer.
    local kw = ffi_gc(ffi_new("hp_jw[1]"), function(x) C.hp_jw_free(x) end)
    C.hp_jw_init(kw, nil, 0)
    local function keytext(k)
      if k ~= k or k == huge or k == -huge then fail("cannot encode a NaN or infinite table key as JSON") end
      kw[0].len = 0
      jw_keynum(kw, k)
      return ffi_string(kw[0].buf, kw[0].len)
    end

    local function key(k)
      local kt = type(k)
      if kt == "string" then jw_string(w, k, #k)
      elseif kt == "number" then
        -- the C routine the 5.4 encoder uses too: the same key text under both runtimes
        if k ~= k or k == huge or k == -huge then fail("cannot encode a NaN or infinite table key as JSON") end
        putc(34, '"')
        jw_keynum(w, k)
        putc(34, '"')
      else
        fail("cannot encode a table key of type " .. kt .. " as JSON")
      end
      if o_indent > 0 then jw_raw(w, ": ", 2) else putc(58, ":") end
    end

    local function encode_table(t, depth)
      if depth >= o_depth then fail(format("cannot encode tables nested deeper than %d as JSON", o_depth)) end
      for i = 1, depth do
        if path[i] == t then fail("cannot encode a table that contains itself (cycle) as JSON") end
      end
      path[depth + 1] = t
      -- Array when the keys are exactly 1..n. A table whose border is 0 has no [1]: an object
      -- (or empty), written without a counting pass.
      local n, count, array = #t, 0, true
      if n == 0 then
        if next(t) == nil then array = getmetatable(t) == array_mt or o_empty
        else array = false end
      else
        for k in next, t do
          count = count + 1
          if array and (type(k) ~= "number" or k < 1 or k > n or floor(k) ~= k) then array = false end
        end
        if count ~= n then array = false end
      end
      if array then
        putc(91, "[")
        for i = 1, n do
          if i > 1 then putc(44, ",") end
          if o_indent > 0 then newline(depth + 1) end
          encode_value(t[i], depth + 1)
        end
        if n > 0 and o_indent > 0 then newline(depth) end
        putc(93, "]")
      else
        putc(123, "{")
        local first = true
        if o_sort then
          local keys = {}
          for k in next, t do
            local kt = type(k)
            if kt ~= "string" and kt ~= "number" then fail("cannot encode a table key of type " .. kt .. " as JSON") end
            keys[#keys + 1] = k
          end
          -- by the text written (number keys: hp_jw_keynum's); a string key first on a tie
          local text = {}
          for j = 1, #keys do
            local k = keys[j]
            if type(k) == "number" then text[k] = keytext(k) end
          end
          sort(keys, function(a, b)
            local ta, tb = text[a] or a, text[b] or b
            if ta ~= tb then return ta < tb end
            return type(a) == "string" and type(b) ~= "string"
          end)
          for j = 1, #keys do
            if not first then putc(44, ",") end
            first = false
            if o_indent > 0 then newline(depth + 1) end
            local k = keys[j]
            key(k)
            encode_value(t[k], depth + 1)
          end
        else
          for k, v in next, t do
            if not first then putc(44, ",") end
            first = false
            if o_indent > 0 then newline(depth + 1) end
            key(k)
            encode_value(v, depth + 1)
          end
        end
        if not first and o_indent > 0 then newline(depth) end
        putc(125, "}")
      end
      path[depth + 1] = nil
    end

    encode_value = function(v, depth)
      local t = type(v)
      if t == "string" then jw_string(w, v, #v)
      elseif t == "number" then number(v)
      elseif t == "table" then encode_table(v, depth)
      elseif t == "boolean" then
        if v then jw_raw(w, "true", 4) else jw_raw(w, "false", 5) end
      elseif v == nil or v == NULL then jw_raw(w, "null", 4)
      elseif t == "cdata" and ffi.istype("int64_t", v) then
        jw_integer(w, v)
      else
        fail("cannot encode a " .. (t == "userdata" and "userdata" or t) .. " as JSON")
      end
    end

    return function(v, sorted, indent, empty_array, max_depth, allow_nan)
      o_sort, o_indent, o_empty, o_depth, o_nan = sorted, indent or 0, empty_array, max_depth or 1000, allow_nan
      local x = w[0]
      x.len, x.oom = 0, 0
      for i = #path, 1, -1 do path[i] = nil end
      encode_value(v, 0)
      if x.oom ~= 0 then C.hp_jw_free(w); fail("out of memory encoding JSON") end
      local s = x.buf ~= nil and ffi_string(x.buf, x.len) or ""
      if x.cap > 1048576 then C.hp_jw_free(w) end
      return s
    end
  end

  -- The shared encoder's writer and path are reused across calls; a call made while another
  -- runs (a finalizer that encodes, run by an allocation of the outer encode) must not reset
  -- them under it: it encodes with a new encoder. The shared encoder's own errors clear the
  -- mark (not pcall: it cost ~10% of encode); an error raised by Lua itself (out of memory,
  -- Lua stack overflow) leaves it set, and later calls are then right but use new encoders.
  local busy = false
  local function nothing() end
  local main_encode = new_encoder(function() busy = false end)
  function J.encode(v, sorted, indent, empty_array, max_depth, allow_nan)
    if busy then return new_encoder(nothing)(v, sorted, indent, empty_array, max_depth, allow_nan) end
    busy = true
    local s = main_encode(v, sorted, indent, empty_array, max_depth, allow_nan)
    busy = false
    return s
  end
end
