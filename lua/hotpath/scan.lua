-- Parameter scans: a scenario parameter given as a list (params = { n = { 1000, 2000, 4000 } },
-- or --param n=1000,2000,4000 on the command line) runs the scenario once per value, and the
-- results are fitted against the parameter:
--   - a power law t = c * n^k by least squares on log t against log n (k: the exponent);
--   - the nearest complexity class, google/benchmark style: for each class f(n) of O(1),
--     O(log n), O(n), O(n log n), O(n^2), O(n^3) the coefficient c minimizing the squared
--     error of c * f(n), and the class whose fit leaves the smallest error (root mean square,
--     relative to the mean of t).
local ipairs, pairs, type, tostring, tonumber, format = ipairs, pairs, type, tostring, tonumber, string.format
local sort, concat, log, sqrt = table.sort, table.concat, math.log, math.sqrt

local M = {}

-- Whether a parameter value is a scan: a non-empty list of numbers or strings.
function M.is_list(v)
  if type(v) ~= "table" or #v == 0 then return false end
  for k, x in pairs(v) do
    if type(k) ~= "number" or (type(x) ~= "number" and type(x) ~= "string") then return false end
  end
  return true
end

-- Parses "--param KEY=V1,V2,...": returns key, values (numbers where they read as numbers),
-- or nil, message.
function M.parse_param(s)
  local key, list = tostring(s):match("^([%a_][%w_]*)=(.+)$")
  if not key then return nil, format("--param needs NAME=V1,V2,..., got '%s'", tostring(s)) end
  local values = {}
  for v in (list .. ","):gmatch("([^,]*),") do
    if v == "" then return nil, format("--param '%s': an empty value", s) end
    values[#values + 1] = tonumber(v) or v
  end
  return key, values
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  sort(keys)
  return keys
end

-- The points of a scan: params (a scenario's parameters for its mode), overrides ({ key =
-- list } from --param; a key the parameters lack is added only when add_missing is true).
-- Returns a list of { params = ..., scan = { key = value } or nil }: one with scan = nil when
-- nothing is a list, else one per combination of the listed values (first key slowest).
function M.points(params, overrides, add_missing)
  local p = {}
  for k, v in pairs(params or {}) do p[k] = v end
  for k, v in pairs(overrides or {}) do
    if p[k] ~= nil or add_missing then p[k] = v end
  end
  local keys = {}
  for _, k in ipairs(sorted_keys(p)) do
    if M.is_list(p[k]) then keys[#keys + 1] = k end
  end
  if #keys == 0 then return { { params = p } } end
  local out = {}
  local function rec(i, cur, scan)
    if i > #keys then
      local q, s = {}, {}
      for k, v in pairs(cur) do q[k] = v end
      for k, v in pairs(scan) do s[k] = v end
      out[#out + 1] = { params = q, scan = s }
      return
    end
    local k = keys[i]
    local list = cur[k]
    for _, v in ipairs(list) do
      cur[k], scan[k] = v, v
      rec(i + 1, cur, scan)
    end
    cur[k], scan[k] = list, nil
  end
  rec(1, p, {})
  return out
end

-- "n=1000" (keys sorted, joined by ",").
function M.label(scan)
  local parts = {}
  for i, k in ipairs(sorted_keys(scan)) do parts[i] = k .. "=" .. tostring(scan[k]) end
  return concat(parts, ",")
end

M.CLASSES = {
  { name = "O(1)", f = function() return 1 end },
  { name = "O(log n)", f = function(n) return log(n) end },
  { name = "O(n)", f = function(n) return n end },
  { name = "O(n log n)", f = function(n) return n * log(n) end },
  { name = "O(n^2)", f = function(n) return n * n end },
  { name = "O(n^3)", f = function(n) return n * n * n end },
}

-- Fits ys against xs (positive numbers, at least 2 distinct xs): returns { exponent,
-- coefficient (of the power law), class, class_coefficient, rms (relative) } or nil, message.
function M.fit(xs, ys)
  local n = #xs
  if n < 2 or #ys ~= n then return nil, "a fit needs at least 2 points" end
  local lx, ly, mx, my, mean = {}, {}, 0, 0, 0
  for i = 1, n do
    if not (type(xs[i]) == "number" and xs[i] > 0 and type(ys[i]) == "number" and ys[i] > 0) then
      return nil, "a fit needs positive numbers"
    end
    lx[i], ly[i] = log(xs[i]), log(ys[i])
    mx, my, mean = mx + lx[i], my + ly[i], mean + ys[i]
  end
  mx, my, mean = mx / n, my / n, mean / n
  -- floats: under Lua 5.4 an integer n^3 squared wraps around
  local fx = {}
  for i = 1, n do fx[i] = xs[i] + 0.0 end
  xs = fx
  local sxy, sxx = 0, 0
  for i = 1, n do
    sxy = sxy + (lx[i] - mx) * (ly[i] - my)
    sxx = sxx + (lx[i] - mx) ^ 2
  end
  if sxx == 0 then return nil, "a fit needs at least 2 distinct values" end
  local k = sxy / sxx
  local res = { exponent = k, coefficient = math.exp(my - k * mx) }
  local best
  for _, c in ipairs(M.CLASSES) do
    local sff, sfy = 0, 0
    for i = 1, n do
      local f = c.f(xs[i])
      sff, sfy = sff + f * f, sfy + f * ys[i]
    end
    if sff > 0 then
      local coef = sfy / sff
      local err = 0
      for i = 1, n do err = err + (ys[i] - coef * c.f(xs[i])) ^ 2 end
      local rms = sqrt(err / n) / mean
      if not best or rms < best.rms then best = { name = c.name, coef = coef, rms = rms } end
    end
  end
  res.class, res.class_coefficient, res.rms = best.name, best.coef, best.rms
  return res
end

-- The scans among results (runner results with a `scan` of one numeric key): one entry per
-- scenario, { id = "suite/name", key, points = { { x, id, time_s, peak_kb, added_kb } ... },
-- time_fit, memory_fit } (fits of the median run time and of the memory the run added,
-- added_kb: median peak RSS less the median RSS before run(); nil when they cannot be made).
function M.collect(results)
  local by, order = {}, {}
  for _, r in ipairs(results) do
    local keys = r.scan and sorted_keys(r.scan) or {}
    if #keys == 1 and type(r.scan[keys[1]]) == "number" and r.ok and not r.skipped then
      local id = r.suite .. "/" .. r.name
      local sc = by[id]
      if not sc then
        sc = { id = id, key = keys[1], points = {} }
        by[id] = sc
        order[#order + 1] = sc
      end
      local s = r.summary or {}
      local peak = s.maxrss_kb and s.maxrss_kb.median
      local before = s.rss_before_kb and s.rss_before_kb.median
      sc.points[#sc.points + 1] = {
        x = r.scan[keys[1]], id = r.id, time_s = s.run_s and s.run_s.median, peak_kb = peak,
        -- what the run added to the process (a Lua scenario: peak over the RSS before run();
        -- a command: its whole peak): the interpreter's own megabytes would flatten the fit
        added_kb = peak and (before and peak - before or peak),
      }
    end
  end
  for _, sc in ipairs(order) do
    sort(sc.points, function(a, b) return a.x < b.x end)
    local xs, ts, ms = {}, {}, {}
    for i, p in ipairs(sc.points) do xs[i], ts[i], ms[i] = p.x, p.time_s, p.added_kb end
    sc.time_fit = M.fit(xs, ts)
    sc.memory_fit = M.fit(xs, ms)
  end
  return order
end

return M
