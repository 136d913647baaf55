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

-- The measured peer of a headline row in a language: the first result whose headline has the
-- same dimension and workload and `peer = lang`.
local function peer_of(results, h, lang)
  for _, r in ipairs(results) do
    local ph = r.headline
    if ph and ph.peer == lang and ph.dimension == h.dimension and ph.workload == h.workload then return r end
  end
end

-- Whether a key is better when higher (throughput) or lower (time, memory, latency).
local function higher_is_better(k) return k == "rps" end

local KEY_NAMES = { ms = "time", mb = "peak memory", rps = "RPS" }

M.TOLERANCE = 1.25 -- a claim holds when the measured multiplier is within 25 % of the published

-- The verdict on a published multiplier: "holds", "differs", or "cannot hold: why".
function M.verdict(published, measured, why_not)
  if why_not then return "cannot hold: " .. why_not end
  if not (published and measured) then return "cannot hold: a figure is missing" end
  local q = measured / published
  if q <= M.TOLERANCE and q >= 1 / M.TOLERANCE then return "holds" end
  return "differs"
end

-- The figures of a result for the keys shown: { ms = ..., mb = ... } (nil for a result that
-- did not run: failed or skipped).
local function figures(r, show)
  if not r or not r.ok or r.skipped then return nil end
  local t = {}
  for _, k in ipairs(show) do t[k] = ours(r, k) end
  return t
end

local function published_figures(r, lang, h, show)
  local langs = {}
  for _, l in ipairs(h.langs or LANGS) do langs[l] = true end
  if not langs[lang] then return nil end
  for _, x in ipairs(r.reference or {}) do
    if lang_of(x) == lang then
      local t = {}
      for _, k in ipairs(show) do t[k] = type(x[k]) == "number" and x[k] or nil end
      return t, x.name
    end
  end
end

-- The claims of a row: for each shown key that both published Rust and Go figures have, the
-- published multiplier (Go / Rust for time and memory, Rust / Go for throughput: how many
-- times better Rust is), the same multiplier measured here, and the verdict. A headline with
-- claim = false makes none (a row beside another that carries the claim with its peers).
local function claims(row, h)
  local out = {}
  if h.claim == false then return out end
  local pr, pg = row.published.rust, row.published.go
  for _, k in ipairs(row.show) do
    local published = h.claim and h.claim.published
    if not published and pr and pg and pr[k] and pg[k] and pr[k] ~= 0 and pg[k] ~= 0 then
      published = higher_is_better(k) and pr[k] / pg[k] or pg[k] / pr[k]
    end
    if published then
      local mr, mg = row.rust and row.rust[k], row.go and row.go[k]
      local measured
      if mr and mg and mr ~= 0 and mg ~= 0 then measured = higher_is_better(k) and mr / mg or mg / mr end
      local why = h.claim and h.claim.caveat
      if row.mode ~= "full" then why = "quick sizes, the published figures are for the full ones" end
      if not why and not measured then
        why = (not row.rust and not row.go) and "Rust and Go not measured here"
          or not row.rust and "Rust not measured here" or not row.go and "Go not measured here"
          or "no figure " .. k .. " here"
      end
      out[#out + 1] = {
        key = k, text = h.claim and h.claim.text or format("%s: %s", row.workload, KEY_NAMES[k] or k),
        published = published, measured = measured, verdict = M.verdict(published, measured, why),
      }
    end
    if h.claim then break end -- an explicit claim is one
  end
  return out
end

-- The summary as data: one row per headline (hotpath's own scenarios, not the peers), with
-- hotpath's, the measured Rust and Go figures, the published ones and the claims.
function M.rows(run)
  local rows = {}
  for _, r in ipairs(run.results) do
    local h = r.headline
    if h and not h.peer then
      local show = h.show or { "ms", "mb" }
      local row = {
        dimension = h.dimension or r.suite, workload = h.workload or r.name, show = show,
        mode = r.mode, failed = not r.ok or nil, skipped = r.skipped,
        hotpath = figures(r, show), published = {},
      }
      for _, l in ipairs(LANGS) do
        local key = l:lower()
        local p = peer_of(run.results, h, l)
        row[key] = figures(p, show)
        if p then
          row[key .. "_scenario"] = p.id or p.name
          row[key .. "_status"] = p.skipped and ("skipped: " .. p.skipped) or (not p.ok and "FAILED") or nil
        end
        local pf, pname = published_figures(r, l, h, show)
        row.published[key], row.published[key .. "_name"] = pf, pname
      end
      row.claims = claims(row, h)
      rows[#rows + 1] = row
    end
  end
  return rows
end

local function cell_of(t, show)
  if not t then return "-" end
  return cell(t, show, function(x, k) return x[k] end)
end

-- "(time 0.10x)": hotpath / theirs on the first shown key both have
local function ratio_of(ours_t, theirs, show)
  if not (ours_t and theirs) then return nil end
  for _, k in ipairs(show) do
    local a, b = ours_t[k], theirs[k]
    if a and b and b ~= 0 then return (k == "ms" and "time" or k) .. " " .. ratio_text(a / b) end
  end
end

local function table_lines(head, rows, out)
  local widths = {}
  for i, h in ipairs(head) do widths[i] = #h end
  for _, row in ipairs(rows) do
    for i, c in ipairs(row) do if #c > widths[i] then widths[i] = #c end end
  end
  local function line(cells)
    local t = {}
    for i, c in ipairs(cells) do t[i] = pad(c, widths[i]) end
    out[#out + 1] = (concat(t, "  "):gsub("%s+$", ""))
  end
  line(head)
  for _, row in ipairs(rows) do line(row) end
end

-- The table as a string, or nil when no result has a headline. Columns for the peers measured
-- here appear when a row has one; then the article's multipliers, recomputed.
function M.render(run, info, rows)
  rows = rows or M.rows(run)
  if #rows == 0 then return nil end
  local measured = false
  for _, row in ipairs(rows) do
    if row.rust_scenario or row.go_scenario then measured = true end
  end
  local head = { "dimension", "workload", "hotpath, here" }
  if measured then head[#head + 1] = "Rust, here"; head[#head + 1] = "Go, here" end
  head[#head + 1] = "Rust, published"
  head[#head + 1] = "Go, published"
  local cells = {}
  for _, row in ipairs(rows) do
    local full = row.mode == "full"
    local c = { row.dimension, row.workload }
    c[3] = row.failed and "FAILED" or row.skipped and "skipped" or cell_of(row.hotpath, row.show)
    local function add(t, status, compare)
      local text = status or cell_of(t, row.show)
      local q = compare and not status and ratio_of(row.hotpath, t, row.show)
      c[#c + 1] = q and (text .. " (" .. q .. ")") or text
    end
    if measured then
      add(row.rust, row.rust_status, true)
      add(row.go, row.go_status, true)
    end
    add(row.published.rust, nil, full)
    add(row.published.go, nil, full)
    cells[#cells + 1] = c
  end
  local out = {}
  out[#out + 1] = format("Summary: hotpath on this machine (%s, %d cores, %s)%s next to the published figures",
    info.cpu_model, info.cores, info.runtime, measured and ", Rust and Go measured in the same run," or "")
  out[#out + 1] = "(published: AMD EPYC 7763, 4 cores, rustc 1.90, go 1.26; ratios are ours / theirs)"
  table_lines(head, cells, out)
  if rows[1] and rows[1].mode == "quick" then
    out[#out + 1] = "quick sizes: published figures shown, not compared"
  end
  if measured then
    local crows = {}
    for _, row in ipairs(rows) do
      for _, cl in ipairs(row.claims) do
        crows[#crows + 1] = {
          cl.text, ratio_text(cl.published), cl.measured and ratio_text(cl.measured) or "-", cl.verdict,
        }
      end
    end
    if #crows > 0 then
      out[#out + 1] = ""
      out[#out + 1] = format("The published multipliers, recomputed here (how many times better Rust is than Go; holds: within %d %%)",
        math.floor((M.TOLERANCE - 1) * 100 + 0.5))
      table_lines({ "claim", "published", "here", "verdict" }, crows, out)
    end
  end
  return concat(out, "\n")
end

return M
