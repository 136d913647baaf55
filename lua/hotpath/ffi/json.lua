-- LuaJIT: what FFI does measurably better than the C binding (csrc/lua/ljson.c, the same C
-- under both runtimes; figures in doc/json.md): the JIT-compiled encode walk over the C
-- writer, and json.parse and doc:at() calling the core through FFI (a call of a C API
-- function leaves the compiled trace: a visible share of a 2 KB parse). Decode, hooked
-- decode, doc:decode() and doc:pairs() stay in C (no FFI gain).
--
-- They are fast paths with no rule of their own: anything but the common case (sort_keys,
-- indent, NaN and infinities, a key or value of another type, int64 cdata, nesting at
-- max_depth (so cycles too), a busy or closed parser, a failed parse or lookup, an integer
-- beyond +-2^53) goes to the C binding, which writes it or raises or returns its error:
-- limits, messages, codes and cycle detection exist once, in C. What the encode walk decides
-- itself, the JSON text of plain values and tables, spec/json_spec.lua compares with the C
-- encoder's on generated values.
--
-- The module: json.fast(cj) -> { encode = ..., parse = ..., get = ... } with the signatures
-- of cj's functions (cj: core.json of the C module; one per cj); it also gives cj its int64
-- cdata hooks. json.lua calls it under LuaJIT.
local ffi = require "ffi"
local KC = require "hotpath.consts"

local ffi_new, ffi_string, ffi_gc, cast, istype = ffi.new, ffi.string, ffi.gc, ffi.cast, ffi.istype
local type, next, getmetatable, setmetatable, tonumber, tostring, pcall, error = type, next,
  getmetatable, setmetatable, tonumber, tostring, pcall, error
local floor, huge, gsub, getinfo = math.floor, math.huge, string.gsub, debug.getinfo

local T_NULL, T_FALSE, T_TRUE, T_INT, T_DOUBLE, T_STRING, T_ARRAY = KC.HP_JSON_NULL,
  KC.HP_JSON_FALSE, KC.HP_JSON_TRUE, KC.HP_JSON_INT, KC.HP_JSON_DOUBLE, KC.HP_JSON_STRING,
  KC.HP_JSON_ARRAY
local TWO53 = 9007199254740992

local M = {}

-- The C ABI's declarations (generated from the headers), declared once per state, and the
-- functions of the C module's own copy of the core (the one that made the parsers).
local function library(cj)
  if not pcall(ffi.typeof, "hp_jw") then ffi.cdef(require "hotpath.ffi.cdef") end
  if not cj.library then error("hotpath.ffi.json: the C module does not know its path", 3) end
  return ffi.load(cj.library)
end

local instances = setmetatable({}, { __mode = "k" })

function M.fast(cj)
  if instances[cj] then return instances[cj] end
  local C = library(cj)
  local c_encode, c_get, c_parse, NULL, array_mt = cj.encode, cj.get, cj.parse, cj.null, cj.array_mt

  -- int64/uint64 cdata: made from the 8 bytes C hands over, written as their digits.
  local i64, u64 = ffi.typeof("int64_t"), ffi.typeof("uint64_t")
  local i64p, u64p = ffi.typeof("const int64_t *"), ffi.typeof("const uint64_t *")
  cj.hooks.int64 = function(bytes, unsigned) return cast(unsigned and u64p or i64p, bytes)[0] end
  cj.hooks.text = function(v)
    if istype(i64, v) or istype(u64, v) then return (gsub(tostring(v), "U?LL$", "")) end
  end

  -- ---- encode ---------------------------------------------------------------------------------
  local w = ffi_gc(ffi_new("hp_jw[1]"), function(x) C.hp_jw_free(x) end)
  C.hp_jw_init(w, nil, 0)
  local wx = w[0]
  local jw_raw, jw_string, jw_number, jw_keynum = C.hp_jw_raw, C.hp_jw_string, C.hp_jw_number, C.hp_jw_keynum
  local o_empty, o_depth

  -- One byte straight into the writer's buffer (no FFI call when there is room).
  local function putc(c, s)
    local n = wx.len
    if n < wx.cap then wx.buf[n] = c; wx.len = n + 1 else jw_raw(w, s, 1) end
  end

  -- Each returns false for what it leaves to C (then nothing it wrote is used).
  local encode_value

  local function encode_object(t, depth)
    putc(123, "{")
    local first = true
    for k, v in next, t do
      if first then first = false else putc(44, ",") end
      local kt = type(k)
      if kt == "string" then jw_string(w, k, #k)
      elseif kt == "number" and k == k and k ~= huge and k ~= -huge then
        putc(34, '"')
        jw_keynum(w, k)
        putc(34, '"')
      else
        return false
      end
      putc(58, ":")
      if not encode_value(v, depth + 1) then return false end
    end
    putc(125, "}")
    return true
  end

  -- An array when the keys are exactly 1..n (n = #t > 0), else an object; an empty table is
  -- [] with the array metatable or empty_table = "array", else {} (the C encoder's text).
  local function encode_table(t, depth)
    if depth >= o_depth then return false end
    local n = #t
    if n == 0 then
      if next(t) == nil then
        if getmetatable(t) == array_mt or o_empty then jw_raw(w, "[]", 2) else jw_raw(w, "{}", 2) end
        return true
      end
      return encode_object(t, depth)
    end
    local count = 0
    for k in next, t do
      count = count + 1
      if type(k) ~= "number" or k < 1 or k > n or floor(k) ~= k then return encode_object(t, depth) end
    end
    if count ~= n then return encode_object(t, depth) end
    putc(91, "[")
    for i = 1, n do
      if i > 1 then putc(44, ",") end
      if not encode_value(t[i], depth + 1) then return false end
    end
    putc(93, "]")
    return true
  end

  encode_value = function(v, depth)
    local t = type(v)
    if t == "string" then jw_string(w, v, #v)
    elseif t == "number" then
      if v ~= v or v == huge or v == -huge then return false end
      jw_number(w, v)
    elseif t == "table" then return encode_table(v, depth)
    elseif t == "boolean" then
      if v then jw_raw(w, "true", 4) else jw_raw(w, "false", 5) end
    elseif v == nil or v == NULL then jw_raw(w, "null", 4)
    else return false end
    return true
  end

  -- The writer is reused across calls; a call made while another runs (a finalizer that
  -- encodes, run by an allocation of the outer walk) goes to C, which has its own. The mark
  -- is set for the walk, but not cleared by what Lua may raise inside it (out of memory, a
  -- finalizer's error): pcall would cost a tenth of an encode (doc/json.md). A call that
  -- finds it set asks instead whether a walk is on the stack: the walk never yields or calls
  -- user code, so a running one is on this coroutine's stack, below the finalizer; when none
  -- is, the mark was left by a raise and is taken over.
  local busy, encode = false, nil
  local function walking()
    local level = 3   -- 1 walking, 2 this encode
    while true do
      local info = getinfo(level, "f")
      if not info then return false end
      if info.func == encode then return true end
      level = level + 1
    end
  end
  encode = function(v, sort, indent, empty_array, max_depth, allow_nan)
    if sort or (indent and indent ~= 0) or (busy and walking()) then
      return c_encode(v, sort, indent, empty_array, max_depth, allow_nan)
    end
    busy = true
    o_empty, o_depth = empty_array, max_depth or 1000
    wx.len, wx.oom = 0, 0
    local done = encode_value(v, 0)
    busy = false
    if done and wx.oom == 0 then
      local s = ffi_string(wx.buf, wx.len)
      if wx.cap > 1048576 then C.hp_jw_free(w) end
      return s
    end
    return c_encode(v, sort, indent, empty_array, max_depth, allow_nan)
  end

  -- ---- doc:at() and the typed getters ---------------------------------------------------------
  local lookup, parse_c = C.hp_json_lookup, C.hp_json_parse
  -- The start of a parser userdata's payload (ljson.c static_asserts this layout).
  if not pcall(ffi.typeof, "struct hp_lua_json_head") then
    ffi.cdef("struct hp_lua_json_head { hp_json_parser *p; int busy; };")
  end
  local head = ffi.typeof("const struct hp_lua_json_head *")
  local parser_mt = getmetatable(cj.default_parser)
  local outp, recp, genp = ffi_new("size_t[1]"), ffi_new("hp_json_rec[1]"), ffi_new("uint64_t[1]")

  -- The head of p when p is a parser's own userdata (nothing else is read as one), else nil.
  local function parser_head(p)
    return getmetatable(p) == parser_mt and type(p) == "userdata" and cast(head, p) or nil
  end

  -- gen | nil, msg, code, as cj.parse: a parser that is open and not busy parses here; a busy
  -- one (refused), a closed one and any failure go to cj.parse, which says why.
  local function parse(p, s, depth)
    local h = parser_head(p)
    if h and h.p ~= nil and h.busy == 0 and type(s) == "string" and
      parse_c(h.p, s, #s, depth or 0, genp, nil) == 0 then
      return tonumber(genp[0])
    end
    return c_parse(p, s, depth)
  end

  -- kind, value, count of the value at ptr under node, as cj.get. A closed parser, any
  -- failure and values FFI would have to convert by a rule of C's go to cj.get.
  local function get(p, g, node, ptr)
    -- integral node and generation, as C takes
    local h = floor(node) == node and floor(g) == g and parser_head(p)
    if h and h.p ~= nil and lookup(h.p, g, node, ptr, #ptr, outp, recp, nil) == 0 then
      local found = outp[0]
      if found == 0 then return 0 end
      local x = recp[0]
      local ty = x.type
      if ty >= T_ARRAY then return ty, tonumber(found), x.n end
      if ty == T_STRING then return ty, ffi_string(x.v.s, x.n), x.n end
      if ty == T_DOUBLE then return ty, x.v.d, x.n end
      if ty == T_INT then
        local i = tonumber(x.v.i)
        if i < TWO53 and i > -TWO53 then return ty, i, x.n end
      elseif ty == T_NULL then return ty, NULL, x.n
      elseif ty == T_TRUE then return ty, true, x.n
      elseif ty == T_FALSE then return ty, false, x.n
      end
    end
    return c_get(p, g, node, ptr)
  end

  -- busy(): whether the walk's mark is set (for the specs)
  instances[cj] = { encode = encode, get = get, parse = parse, busy = function() return busy end }
  return instances[cj]
end

return M
