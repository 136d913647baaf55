-- hotpath.json: JSON on simdjson. decode/encode like lua-cjson (decode raises; json.safe
-- returns nil, msg), lazy documents (json.parse + RFC 6901 pointers), one parser per Lua
-- state for decode and one for parse, so a parse never invalidates a decode and vice versa.
local util = require "hotpath.util"
local cj = util.core.json
local K = require "hotpath.consts"

local type, error, setmetatable, tostring, pcall, rawget = type, error, setmetatable, tostring, pcall, rawget
local floor, collectgarbage = math.floor, collectgarbage
local argerror, checkint, typename, checkkeys = util.argerror, util.checkint, util.typename, util.checkkeys
local c_decode, c_start, c_step, c_parse, c_get, c_next, c_mat, c_encode =
  cj.decode, cj.decode_start, cj.decode_step, cj.parse, cj.get, cj.next, cj.materialize, cj.encode
local c_start_on, c_ready, c_finish = cj.decode_start_on, cj.decode_ready, cj.decode_finish
local yielding = require "hotpath.ngx"
local ngx_context, ngx_await = yielding.context, yielding.await

local json = {
  null = cj.null,            -- the NULL light userdata: identical to cjson.null and ngx.null
  array_mt = cj.array_mt,    -- tables with this metatable encode as arrays (even when empty)
  max_depth_limit = K.HP_JSON_MAX_DEPTH,              -- decode / parse max_depth at most this
  encode_depth_limit = K.HP_JSON_ENCODE_MAX_DEPTH,    -- encode max_depth at most this
}

-- LuaJIT: encode, parse and doc:at() take FFI fast paths over the same C
-- (lua/hotpath/ffi/json.lua, which also gives the C binding its int64 cdata).
if rawget(_G, "jit") then
  local fast = require("hotpath.ffi.json").fast(cj)
  c_encode, c_parse, c_get = fast.encode, fast.parse, fast.get
end

local decode_parser = cj.parser()      -- per Lua state (this module is loaded per state)

-- ---- the parsers of documents ----------------------------------------------------------------
-- json.parse without opts.parser gives each document a parser of its own, lent from a
-- per-state pool and returned when the document (every node of it) is collected, so that a
-- document stays valid across yields and other parses (two requests of one nginx worker, each
-- parsing and then yielding). The collector cannot see a parser's C memory (about 12 bytes a
-- byte of the largest document it parsed, plus some 16 kB), so a parser made or grown for a
-- lease is reported to it as that much allocation (collectgarbage "step"): documents nobody
-- holds are collected, and their parsers returned, at the pace their memory asks for. A
-- collection finds all the documents dropped since the last one at once, so the pool keeps up
-- to IDLE_MAX idle parsers of at most IDLE_BYTES together (more are closed when returned):
-- with 4 idle parsers nearly every parse of a loop made a parser (2.4x the time of a parse
-- with a given parser under LuaJIT); with 64 about one in ten (doc/json.md).
local IDLE_MAX, IDLE_BYTES = 64, 4 * 1024 * 1024
local idle, nidle, idle_bytes = {}, 0, 0 -- idle parsers
local lent, nlent, next_slot = {}, 0, 0  -- slot -> parser lent to a live document
local size = {}                          -- parser -> its estimated C memory (bytes)

local function estimate(len) return 16384 + len * 12 end

-- Runs as the finalizer of a document's anchor: the parser goes back (or is closed). Touches
-- only these tables (a finalizer runs at any allocation of the state).
local function give_back(slot)
  local p = lent[slot]
  if not p then return end
  lent[slot] = nil
  nlent = nlent - 1
  local bytes = size[p]
  if nidle < IDLE_MAX and idle_bytes + bytes <= IDLE_BYTES then
    nidle = nidle + 1
    idle[nidle] = p
    idle_bytes = idle_bytes + bytes
  else
    size[p] = nil
    p:close()
  end
end

-- The anchor a document's nodes all hold: collected with the last of them.
local new_anchor
if rawget(_G, "jit") then
  local ffi = require "ffi"
  local ANCHOR, ffi_gc = ffi.typeof("double[1]"), ffi.gc
  local function fin(a) give_back(a[0]) end
  new_anchor = function(slot) return ffi_gc(ANCHOR(slot), fin) end
else
  local ANCHOR_MT = { __gc = function(a) give_back(a[1]) end }
  new_anchor = function(slot) return setmetatable({ slot }, ANCHOR_MT) end
end

-- A parser for a document of s: an idle one, or a new one; what it grows by is reported to
-- the collector. Returns parser, slot.
local function lend(s)
  local p, grew
  local need = estimate(#s)
  if nidle > 0 then
    p = idle[nidle]
    idle[nidle] = nil
    nidle = nidle - 1
    local had = size[p]
    idle_bytes = idle_bytes - had
    if need > had then
      size[p], grew = need, need - had
    end
  else
    p = cj.parser()
    size[p], grew = need, need
  end
  next_slot = next_slot + 1
  lent[next_slot] = p
  nlent = nlent + 1
  if grew then collectgarbage("step", floor(grew / 1024)) end
  return p, next_slot
end

-- parsers() -> lent, idle: parsers lent to live documents, idle parsers kept (for the specs).
function json.parsers() return nlent, nidle end

local DEPTH = 1000
local BIGINT = { cdata = 0, string = 1, float = 2 }

local function depth_of(opts, pos, fname)
  local d = opts.max_depth
  if d == nil then return DEPTH end
  d = checkint(d, pos, fname, 1, K.HP_JSON_MAX_DEPTH, "max_depth", 3)
  return d
end

local CHUNK = 100000

-- yield = true: in a request or a timer of nginx's Lua module, ngx.sleep(0.001), which yields
-- to the worker's other requests with or without OpenResty's delayed-events patch (ngx.sleep(0)
-- needs it: Debian's nginx logs a warning on each call and runs nothing else); elsewhere
-- nothing (the decode runs in steps, without yielding).
local function yield_default()
  local ngx = ngx_context()
  if ngx then ngx.sleep(yielding.FIRST_SLEEP) end
end

-- A yielding decode in nginx of at least this many bytes runs its parse (simdjson's pass over
-- the whole text, which cannot yield: 25-38 ms for 5 MB) on a thread of hotpath.pool.default(),
-- awaited with ngx.sleep; the tables are then built in steps as usual.
json.offload_bytes = 256 * 1024
local DECODE_OPTS = { max_depth = true, array_mt = true, bigint = true, yield = true, chunk = true }
local PARSE_OPTS = { max_depth = true, array_mt = true, parser = true }
local ENCODE_OPTS = { sort_keys = true, indent = true, empty_table = true, max_depth = true, allow_nan = true }

local function decode_opts(opts, fname)
  if type(opts) ~= "table" then argerror(2, fname, "options table expected, got " .. typename(opts), 2) end
  checkkeys(opts, DECODE_OPTS, 2, fname, 2)
  local bi = opts.bigint
  if bi ~= nil and not BIGINT[bi] then
    argerror(2, fname, "bigint must be \"cdata\", \"string\" or \"float\"", 2)
  end
  local y, chunk = opts.yield, nil
  if y == true then y = yield_default end
  if y ~= nil then
    if type(y) ~= "function" then argerror(2, fname, "yield must be a function or true, got " .. typename(y), 2) end
    chunk = opts.chunk == nil and CHUNK or checkint(opts.chunk, 2, fname, 1, 2 ^ 40, "chunk", 2)
  elseif opts.chunk ~= nil then
    argerror(2, fname, "chunk needs a yield function", 2)
  end
  return depth_of(opts, 2, fname), opts.array_mt and true or false, BIGINT[bi or "cdata"], y, chunk
end

-- A decode that calls y() about every `chunk` tape words while it builds the tables: the C
-- binding builds a step at a time and returns, so y may yield the running coroutine under
-- either runtime. The build has a parser of its own (a coroutine suspended here and never
-- resumed holds only that one). Returns value | nil, msg, code.
local function hooked(s, d, mt, bi, y, chunk)
  local b, err, code
  local ngx = #s >= json.offload_bytes and ngx_context()
  if ngx then
    b, err, code = c_start_on(require("hotpath.pool").default()._h, s, d, mt, bi)
    if not b then return nil, err, code end
    ngx_await(ngx, function() return c_ready(b) end, -1)
    local ok, ferr, fcode = c_finish(b)
    if not ok then return nil, ferr, fcode end
  else
    b, err, code = c_start(s, d, mt, bi)
    if not b then return nil, err, code end
  end
  local spill = {}
  while true do
    local done, v, vcode = c_step(b, s, spill, chunk)
    if done then return v end
    if done == nil then return nil, v, vcode end
    y()
  end
end

local function decode_with(s, d, mt, bi, y, chunk)
  if y then return hooked(s, d, mt, bi, y, chunk) end
  return c_decode(decode_parser, s, d, mt, bi)
end

-- decode(s [, opts]) -> value; raises "msg" on malformed input (like cjson.decode).
-- opts: max_depth (default 1000), array_mt (arrays get json.array_mt),
-- bigint ("cdata" | "string" | "float": LuaJIT integers beyond +-2^53),
-- yield (a function called about every `chunk` values, default 100,000, while the tables are
-- built; it may yield the running coroutine; true: ngx.sleep(0.001) in nginx, see
-- yield_default), in nginx with a text of json.offload_bytes or more, the parse on a pool thread.
function json.decode(s, opts)
  if type(s) ~= "string" then argerror(1, "decode", "string expected, got " .. typename(s)) end
  local v, err
  if opts == nil then
    v, err = c_decode(decode_parser, s, DEPTH, false, 0)
  else
    v, err = decode_with(s, decode_opts(opts, "decode"))
  end
  if v == nil then error(err, 0) end
  return v
end

-- ---- encode --------------------------------------------------------------------------------

local EMPTY = { object = false, array = true }

-- encode(value [, opts]) -> string. opts: sort_keys, indent (spaces, 0..16), empty_table
-- ("object" (default) | "array"), max_depth (default 1000), allow_nan (NaN/inf -> null).
-- Raises on cycles, functions, userdata, NaN/inf and too deep nesting.
function json.encode(v, opts)
  if opts == nil then return c_encode(v, false, 0, false, DEPTH, false) end
  if type(opts) ~= "table" then argerror(2, "encode", "options table expected, got " .. typename(opts)) end
  checkkeys(opts, ENCODE_OPTS, 2, "encode")
  local indent = opts.indent
  if indent == nil or indent == false then indent = 0
  elseif indent == true then indent = 2
  else indent = checkint(indent, 2, "encode", 0, 16, "indent") end
  local et = opts.empty_table
  if et ~= nil and EMPTY[et] == nil then argerror(2, "encode", "empty_table must be \"object\" or \"array\"") end
  local d = opts.max_depth == nil and DEPTH or
    checkint(opts.max_depth, 2, "encode", 1, K.HP_JSON_ENCODE_MAX_DEPTH, "max_depth")
  local s = c_encode(v, opts.sort_keys and true or false, indent, EMPTY[et or "object"], d,
    opts.allow_nan and true or false)
  return s
end

-- ---- lazy documents ------------------------------------------------------------------------

local Node = {}
Node.__index = Node
Node.__name = "hotpath.json.document"

local KIND = {
  [K.HP_JSON_NULL] = "null", [K.HP_JSON_FALSE] = "boolean", [K.HP_JSON_TRUE] = "boolean",
  [K.HP_JSON_INT] = "integer", [K.HP_JSON_UINT] = "integer", [K.HP_JSON_DOUBLE] = "number",
  [K.HP_JSON_STRING] = "string", [K.HP_JSON_ARRAY] = "array", [K.HP_JSON_OBJECT] = "object",
}

-- A node (the document root or a container inside it): parser, generation, node, input.
-- Plain fields: the core checks every node index it is given (a forged _n raises "JSON node
-- N is not a value of this document"). Private table keys would make nodes opaque, but cost
-- 2.3x on doc:at() under LuaJIT (no table template, no constant-key field loads).
local function node(parent, n)
  return setmetatable({ _p = parent._p, _g = parent._g, _n = n, _src = parent._src, _mt = parent._mt, _a = parent._a }, Node)
end

-- The value of a kind/value pair: scalars as Lua values, containers as nodes.
local function value(self, kind, v)
  if kind >= 8 then return node(self, v) end
  return v
end

local function checkptr(ptr, fname)
  if ptr == nil then return "" end
  if type(ptr) ~= "string" then argerror(1, fname, "JSON pointer string expected, got " .. typename(ptr), 2) end
  return ptr
end

-- doc:at(ptr) -> the value at the RFC 6901 pointer (a node for arrays/objects), or nil.
function Node:at(ptr)
  local kind, v = c_get(self._p, self._g, self._n, checkptr(ptr, "at"))
  if kind == K.HP_JSON_NONE then return nil end
  if kind >= 8 then return node(self, v) end
  return v
end

-- doc:type(ptr) -> "object" | "array" | "string" | "integer" | "number" | "boolean" | "null" | nil
function Node:type(ptr)
  local kind = c_get(self._p, self._g, self._n, checkptr(ptr, "type"))
  return KIND[kind]
end

local function typed(fname, ok)
  return function(self, ptr)
    local kind, v = c_get(self._p, self._g, self._n, checkptr(ptr, fname))
    if kind == K.HP_JSON_NONE then return nil, "no value at " .. tostring(ptr) end
    if not ok[kind] then return nil, KIND[kind] .. " at " .. tostring(ptr) .. ", " .. fname .. " expected" end
    return v
  end
end
-- Typed getters: the value, or nil, msg when absent or of another type.
Node.string = typed("string", { [K.HP_JSON_STRING] = true })
Node.integer = typed("integer", { [K.HP_JSON_INT] = true, [K.HP_JSON_UINT] = true })
Node.number = typed("number", { [K.HP_JSON_INT] = true, [K.HP_JSON_UINT] = true, [K.HP_JSON_DOUBLE] = true })
Node.boolean = typed("boolean", { [K.HP_JSON_FALSE] = true, [K.HP_JSON_TRUE] = true })

-- doc:len(ptr) -> element / member count of an array or object, nil otherwise.
function Node:len(ptr)
  local kind, _, n = c_get(self._p, self._g, self._n, checkptr(ptr, "len"))
  if kind == K.HP_JSON_ARRAY or kind == K.HP_JSON_OBJECT then return n end
  return nil
end

-- doc:decode(ptr) -> the subtree as Lua tables (materialized), or nil when absent.
function Node:decode(ptr)
  local kind, v = c_get(self._p, self._g, self._n, checkptr(ptr, "decode"))
  if kind == K.HP_JSON_NONE then return nil end
  if kind < 8 then return v end
  return c_mat(self._p, self._g, v, self._mt, 0)
end

-- for k, v in doc:pairs(ptr): keys (objects) or 1-based indices (arrays); containers as nodes.
function Node:pairs(ptr)
  local kind, n = c_get(self._p, self._g, self._n, checkptr(ptr, "pairs"))
  if kind ~= 8 and kind ~= 9 then error("JSON value at " .. tostring(ptr or "") .. " is not an array or object", 2) end
  local cursor, i = 0, 0
  return function()
    local cur, key, k2, v = c_next(self._p, self._g, n, cursor)
    if not cur then return nil end
    cursor, i = cur, i + 1
    return key or i, value(self, k2, v)
  end
end
Node.ipairs = Node.pairs

local function parse(fname, s, opts)
  if type(s) ~= "string" then argerror(1, fname, "string expected, got " .. typename(s), 2) end
  local p, d, mt = nil, DEPTH, false
  if opts ~= nil then
    if type(opts) ~= "table" then argerror(2, fname, "options table expected, got " .. typename(opts), 2) end
    checkkeys(opts, PARSE_OPTS, 2, fname, 2)
    d = depth_of(opts, 2, fname)
    mt = opts.array_mt and true or false
    if opts.parser ~= nil then
      p = opts.parser
      if not cj.is_parser(p) then
        argerror(2, fname, "parser must be a json.parser(), got " .. typename(p), 2)
      end
    end
  end
  local anchor
  if p == nil then
    local slot
    p, slot = lend(s)
    local g, err, code = c_parse(p, s, d)
    if not g then
      give_back(slot)
      return nil, err, code
    end
    anchor = new_anchor(slot)
    return setmetatable({ _p = p, _g = g, _n = 1, _src = s, _mt = mt, _a = anchor }, Node)
  end
  local g, err, code = c_parse(p, s, d)
  if not g then return nil, err, code end
  return setmetatable({ _p = p, _g = g, _n = 1, _src = s, _mt = mt }, Node)
end

-- parse(s [, opts]) -> document (raises on malformed input). The document keeps s alive and
-- a parser of its own (lent, returned when the document is collected): it stays valid across
-- yields and other parses. opts.parser = p parses with p instead (no lending): the document is
-- then valid until the next parse on p, or p:close().
function json.parse(s, opts)
  local doc, err = parse("parse", s, opts)
  if not doc then error(err, 0) end
  return doc
end

-- A new parser (opts.parser of parse). p:close() (also __close and __gc; idempotent) frees its
-- C memory at once; its documents then raise "attempt to use a closed JSON parser".
function json.parser() return cj.parser() end

-- json.safe: the same functions returning nil, msg, code instead of raising on bad input.
json.safe = {
  decode = function(s, opts)
    if type(s) ~= "string" then argerror(1, "decode", "string expected, got " .. typename(s)) end
    if opts == nil then return c_decode(decode_parser, s, DEPTH, false, 0) end
    return decode_with(s, decode_opts(opts, "decode"))
  end,
  parse = function(s, opts) return parse("parse", s, opts) end,
  encode = function(v, opts)
    local ok, s = pcall(json.encode, v, opts)
    if ok then return s end
    return nil, s, "invalid"
  end,
}

return json
