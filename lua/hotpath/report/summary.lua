-- The summary: one table of every dimension (CPU, JSON, HTTP, concurrency, memory) next to
-- the published Rust and Go figures, from the scenarios that carry a `headline`:
--
--   headline = { dimension = "CPU", workload = "binarytrees, depth 18", show = { "ms", "mb" } }
--
-- show lists what to put side by side: "ms" (our best run time), "mb" (our peak RSS), or any
-- metric the scenario's run returns (rps, p99_ms, server_mb, ...). The published side is the
-- scenario's first reference whose `lang` (or, without one, name) starts with Rust or Go;
-- `langs = { "Go" }` limits a row to the published figures that measure the same workload.
local format, concat, ipairs, type = string.format, table.concat, ipairs, type
local ratio_text = require("hotpath.report.terminal").ratio

local M = {}

local LANGS = { "Rust", "Go" }

local function lang_of(ref)
  if ref.lang then return ref.lang end
  for _, l in ipairs(LANGS) do
    if ref.name:sub(1, #l + 1) == l .. " " or ref.name:sub(1, #l + 1) == l .. "," or ref.name == l then return l end
  end
end

-- Our value for a key, or nil.
local function ours(r, key)
  local s = r.summary or {}
  if key == "ms" then return s.run_s and s.run_s.best and s.run_s.best * 1e3 end
  if key == "mb" then return s.maxrss_kb and s.maxrss_kb.median and s.maxrss_kb.median / 1024 end
  local m = s.metrics and s.metrics[key]
  return m and m.median
end

local function thousands(n)
  local s = format("%d", math.floor(n + 0.5))
  local out = s:reverse():gsub("(%d%d%d)", "%1,"):reverse()
  return (out:gsub("^,", ""))
end

function M.value(key, v)
  if v == nil then return "-" end
  if key == "ms" then return v >= 100 and thousands(v) .. " ms" or format("%.3g ms", v) end
  if key == "rps" then return v >= 1e4 and format("%sk RPS", thousands(v / 1e3)) or format("%.0f RPS", v) end
  if key:match("_ms$") then return format("%s %.3g ms", key:gsub("_ms$", ""), v) end
  if key == "mb" or key:match("_mb$") then return format("%.1f MB", v) end
  return format("%s %.4g", key, v)
end

local function all_mb(show)
  for _, k in ipairs(show) do
    if not k:match("_mb$") then return false end
  end
  return #show > 1
end

local function cell(r_or_ref, show, get)
  if all_mb(show) then -- several memory figures: "4.2 / 4.3 / 4.4 / 0.1 MB"
    local parts = {}
    for i, k in ipairs(show) do
      local v = get(r_or_ref, k)
      parts[i] = v and format("%.1f", v) or "-"
    end
    return concat(parts, " / ") .. " MB"
  end
  local parts = {}
  for _, k in ipairs(show) do
    local v = get(r_or_ref, k)
    if v ~= nil then parts[#parts + 1] = M.value(k, v) end
  end
  return #parts > 0 and concat(parts, ", ") or "-"
end

-- ours / theirs on the first shown key both sides have ("time 0.11x", "rps 1.40x").
local function ratio(r, ref, show)
  for _, k in ipairs(show) do
    local a, b = ours(r, k), ref[k]
    if a and type(b) == "number" and b ~= 0 then
      return (k == "ms" and "time" or k) .. " " .. ratio_text(a / b)
    end
  end
end

local function pad(s, w) return s .. string.rep(" ", w - #s) end

-- The table as a string, or nil when no result has a headline.
function M.render(run, info)
  local rows = {}
  for _, r in ipairs(run.results) do
    local h = r.headline
    if h then
      local show = h.show or { "ms", "mb" }
      local row = { h.dimension or r.suite, h.workload or r.name }
      if not r.ok then
        row[3] = "FAILED"
      else
        row[3] = cell(r, show, ours)
      end
      local langs = {}
      for _, l in ipairs(h.langs or LANGS) do langs[l] = true end
      for _, l in ipairs(LANGS) do
        local ref
        for _, x in ipairs(langs[l] and r.reference or {}) do
          if not ref and lang_of(x) == l then ref = x end
        end
        local text = "-"
        if ref then
          text = cell(ref, show, function(x, k) return type(x[k]) == "number" and x[k] or nil end)
          local q = r.ok and r.mode == "full" and ratio(r, ref, show)
          if q then text = text .. " (" .. q .. ")" end
        end
        row[#row + 1] = text
      end
      rows[#rows + 1] = row
    end
  end
  if #rows == 0 then return nil end
  local head = { "dimension", "workload", "hotpath, here", "Rust, published", "Go, published" }
  local widths = {}
  for i, h in ipairs(head) do widths[i] = #h end
  for _, row in ipairs(rows) do
    for i, c in ipairs(row) do if #c > widths[i] then widths[i] = #c end end
  end
  local out = {}
  local function line(cells)
    local t = {}
    for i, c in ipairs(cells) do t[i] = pad(c, widths[i]) end
    out[#out + 1] = (concat(t, "  "):gsub("%s+$", ""))
  end
  out[#out + 1] = format("Summary: hotpath on this machine (%s, %d cores, %s) next to the published figures",
    info.cpu_model, info.cores, info.runtime)
  out[#out + 1] = "(published: AMD EPYC 7763, 4 cores, rustc 1.90, go 1.26; ratios are ours / theirs)"
  line(head)
  for _, row in ipairs(rows) do line(row) end
  if run.results[1] and run.results[1].mode == "quick" then
    out[#out + 1] = "quick sizes: published figures shown, not compared"
  end
  return concat(out, "\n")
end

return M
