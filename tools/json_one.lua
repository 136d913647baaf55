-- Decodes or encodes the bench document N times with one library, nothing else: the
-- program tools/json_instr.sh counts instructions of under callgrind.
--   lua5.4 tools/json_one.lua hotpath|cjson decode|encode|parse3 N   (luajit likewise)
-- parse3 (hotpath only): json.parse and three fields read, as tools/json_measure.lua does.
local hp, doc = dofile("tools/json_doc.lua")
local lib, op, n = arg[1], arg[2], tonumber(arg[3])
local m = lib == "cjson" and require("cjson") or hp.json
local data = require("cjson").decode(doc)
local f, x = m.decode, doc
if op == "encode" then f, x = m.encode, data end
if op == "parse3" then
  local parse = m.parse
  f = function(s) local d = parse(s) return d:at("/total") + d:at("/items/3/id") + #d:at("/items/19/name") end
end
for _ = 1, n do f(x) end
