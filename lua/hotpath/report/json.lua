-- JSON report: every run's raw figures plus machine info, written with a small encoder
-- (sorted keys, so files diff well). Lua tables that are sequences become arrays; an empty
-- table becomes {} unless it is report.json.array.
local type, pairs, ipairs, format, concat, sort, tostring = type, pairs, ipairs, string.format, table.concat, table.sort, tostring

local M = {}

M.array_mt = {}
function M.array(t) return setmetatable(t or {}, M.array_mt) end

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function str(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or format("\\u%04x", c:byte())
  end) .. '"'
end

-- The shortest of %.15g, %.16g, %.17g that reads back as the same double.
function M.number(v)
  for digits = 15, 16 do
    local s = format("%." .. digits .. "g", v)
    if tonumber(s) == v then return s end
  end
  return format("%.17g", v)
end

local function encode(v, out, indent, depth)
  local t = type(v)
  if t == "nil" then out[#out + 1] = "null"
  elseif t == "boolean" then out[#out + 1] = tostring(v)
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then out[#out + 1] = "null"
    elseif math.floor(v) == v and v > -2^53 and v < 2^53 then out[#out + 1] = format("%d", v)
    else out[#out + 1] = M.number(v) end
  elseif t == "string" then out[#out + 1] = str(v)
  elseif t == "table" then
    local pad = "\n" .. string.rep(indent, depth + 1)
    if #v > 0 or (next(v) == nil and getmetatable(v) == M.array_mt) then
      out[#out + 1] = "["
      for i, x in ipairs(v) do
        out[#out + 1] = (i > 1 and "," or "") .. pad
        encode(x, out, indent, depth + 1)
      end
      out[#out + 1] = (#v > 0 and "\n" .. string.rep(indent, depth) or "") .. "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = tostring(k) end
      sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        local x = v[k]
        if x == nil then x = v[tonumber(k)] end
        out[#out + 1] = (i > 1 and "," or "") .. pad .. str(k) .. ": "
        encode(x, out, indent, depth + 1)
      end
      out[#out + 1] = (#keys > 0 and "\n" .. string.rep(indent, depth) or "") .. "}"
    end
  else
    out[#out + 1] = str(tostring(v))
  end
end

function M.encode(v)
  local out = {}
  encode(v, out, "  ", 0)
  return concat(out)
end

-- The document of a run (from runner.run) with machine info: what --export-json writes and
-- what a baseline stores. extra: fields added as they are (compare, scans).
function M.document(run, info, options, extra)
  local doc = {
    hotpath = info.hotpath,
    machine = info,
    options = options,
    ok = run.ok,
    errors = M.array(run.errors),
    scenarios = M.array(run.results),
    noise = run.noise,
    summary = M.array(run.summary or {}),
    scans = run.scans and M.array(run.scans) or nil,
    warnings = M.array(run.noise and run.noise.warnings or {}),
  }
  for k, v in pairs(extra or {}) do doc[k] = v end
  return doc
end

-- Writes a document (M.document) to path; returns true or nil, msg.
function M.write_doc(path, doc)
  local f, err = io.open(path, "w")
  if not f then return nil, "cannot write JSON report: " .. err end
  f:write(M.encode(doc), "\n")
  f:close()
  return true
end

-- Writes the run (from runner.run) with machine info to path; returns true or nil, msg.
function M.write(path, run, info, options)
  return M.write_doc(path, M.document(run, info, options))
end

return M
