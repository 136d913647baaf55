-- Plain-data serialization between the runner and its children: nil, booleans, numbers
-- (exact, %.17g), strings and tables of those, as a Lua table constructor read back with no
-- environment (so a child cannot make the parent run code).
local type, pairs, format, concat, tostring = type, pairs, string.format, table.concat, tostring

local serial = {}

local function put(v, out, depth)
  local t = type(v)
  if t == "number" then
    if v ~= v then out[#out + 1] = "0/0"
    elseif v == math.huge then out[#out + 1] = "1/0"
    elseif v == -math.huge then out[#out + 1] = "-1/0"
    elseif math.type and math.type(v) == "integer" then out[#out + 1] = format("%d", v)
    else out[#out + 1] = format("%.17g", v) end
  elseif t == "string" then
    out[#out + 1] = format("%q", v)
  elseif t == "boolean" or t == "nil" then
    out[#out + 1] = tostring(v)
  elseif t == "table" then
    if depth > 50 then error("serialize: nesting deeper than 50", 0) end
    out[#out + 1] = "{"
    for k, x in pairs(v) do
      out[#out + 1] = "["
      put(k, out, depth + 1)
      out[#out + 1] = "]="
      put(x, out, depth + 1)
      out[#out + 1] = ","
    end
    out[#out + 1] = "}"
  else
    error("serialize: cannot send a " .. t, 0)
  end
end

function serial.encode(v)
  local out = { "return " }
  put(v, out, 0)
  return concat(out)
end

-- Returns the value, or nil and a message.
function serial.decode(s)
  local chunk, err
  if setfenv then
    chunk, err = loadstring(s, "=report")
    if chunk then setfenv(chunk, {}) end
  else
    chunk, err = load(s, "=report", "t", {})
  end
  if not chunk then return nil, err end
  local ok, v = pcall(chunk)
  if not ok then return nil, v end
  return v
end

return serial
