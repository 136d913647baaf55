-- Exports of a load result (hotpath load, http.load): CSV, Markdown and a self-contained HTML
-- page with the latency percentile curve (HdrHistogram style: the percentile on a log scale
-- of 1 / (1 - q), so that 99 %, 99.9 % and 99.99 % are evenly apart) and the server memory
-- timeline. These functions take the result table as http.load returns it (doc/http.md):
--   requests, rps, duration, connections, threads, errors = { total, ... },
--   latency = { p50, p90, p99, p99_9, p99_99, max, mean, ...       (microseconds)
--               histogram = { layout = "hdr", unit = "ns", buckets = { { lo, hi, count }, ... } } },
--   memory = { timeline = { { t =, label =, rss_kb =, pss_kb = }, ... } }   (with --memory PID)
-- A histogram or a timeline at the top of the table (r.histogram, r.timeline = { { t, rss_kb,
-- pss_kb } ... }) is read too. Without a histogram the curve is drawn from the percentiles;
-- without a timeline the memory chart is left out. A merged result (hotpath merge) carries its
-- sources: each export then lists them (file, host, rank, start and end within the window).
local ipairs, type, format, concat, tostring, sort = ipairs, type, string.format, table.concat, tostring, table.sort
local csv = require "hotpath.report.csv"
local md = require "hotpath.report.markdown"

local M = {}

local UNIT = { ns = 1e-6, us = 1e-3, ms = 1 } -- to milliseconds

-- The histogram and the timeline where http.load puts them (latency.histogram,
-- memory.timeline with --memory), or at the top of the table.
local function histogram_of(r) return r.histogram or (type(r.latency) == "table" and r.latency.histogram) or nil end
local function timeline_of(r) return r.timeline or (type(r.memory) == "table" and r.memory.timeline) or nil end

-- The figures of a result as rows { name, value, unit }: the ones both exports carry.
function M.figures(r)
  local rows = {}
  local function add(name, v, unit) if type(v) == "number" then rows[#rows + 1] = { name, v, unit } end end
  add("requests", r.requests, "")
  add("duration", r.duration, "s")
  add("rps", r.rps, "req/s")
  add("connections", r.connections, "")
  add("threads", r.threads, "")
  add("errors", r.errors and r.errors.total, "")
  if type(r.sources) == "table" then
    add("copies", #r.sources, "")
    add("start_skew", r.skew and r.skew * 1e3, "ms")
    add("window_overlap", r.window and r.window.overlap, "s")
  end
  local l = r.latency or {}
  for _, k in ipairs { "min", "mean", "p50", "p90", "p99", "p99_9", "p99_99", "max" } do add("latency_" .. k, l[k], "us") end
  local peak_rss, peak_pss
  for _, s in ipairs(timeline_of(r) or {}) do
    local rss, pss = s.rss_kb or s[2], s.pss_kb or s[3]
    if rss and (not peak_rss or rss > peak_rss) then peak_rss = rss end
    if pss and (not peak_pss or pss > peak_pss) then peak_pss = pss end
  end
  add("server_peak_rss", peak_rss, "kB")
  add("server_peak_pss", peak_pss, "kB")
  return rows
end

-- The percentile curve: { { q (0..1), latency in ms } ... } from the histogram's buckets (the
-- upper edge of each bucket at the share of requests up to it), or from the percentiles.
function M.curve(r)
  local h = histogram_of(r)
  local pts = {}
  if h and type(h.buckets) == "table" and #h.buckets > 0 then
    local scale = UNIT[h.unit or "ns"] or 1e-6
    local b = {}
    for i, x in ipairs(h.buckets) do b[i] = x end
    sort(b, function(x, y) return x[1] < y[1] end)
    local total = 0
    for _, x in ipairs(b) do total = total + x[3] end
    local cum = 0
    for _, x in ipairs(b) do
      if x[3] > 0 then
        cum = cum + x[3]
        pts[#pts + 1] = { cum / total, x[2] * scale }
      end
    end
    return pts
  end
  local l = r.latency or {}
  for _, p in ipairs { { "p50", 0.5 }, { "p90", 0.9 }, { "p99", 0.99 }, { "p99_9", 0.999 }, { "p99_99", 0.9999 }, { "max", 1 } } do
    if type(l[p[1]]) == "number" then pts[#pts + 1] = { p[2], l[p[1]] / 1e3 } end
  end
  return pts
end

-- The sources of a merged result as rows { file, host, rank, start, end, requests, rps }:
-- start and end in seconds from the start of the common window.
function M.sources(r)
  local rows = {}
  local t0 = r.window and r.window.start_time or 0
  for _, s in ipairs(type(r.sources) == "table" and r.sources or {}) do
    rows[#rows + 1] = { s.file or "-", s.node or s.host or "-", s.rank ~= nil and tostring(s.rank) or "-",
      s.start_time and format("%.3f", s.start_time - t0) or "-", s.end_time and format("%.3f", s.end_time - t0) or "-",
      s.requests and format("%d", s.requests) or "-", s.rps and format("%.0f", s.rps) or "-" }
  end
  return rows
end
local SOURCE_HEAD = { "file", "host", "rank", "start (s)", "end (s)", "requests", "rps" }

function M.csv(r)
  local out = { "metric,value,unit" }
  for _, f in ipairs(M.figures(r)) do out[#out + 1] = csv.field(f[1]) .. "," .. csv.field(f[2]) .. "," .. csv.field(f[3]) end
  return concat(out, "\n") .. "\n"
end

local function value_text(v, unit)
  if unit == "us" then return format("%.3f ms", v / 1e3) end
  if unit == "kB" then return format("%.2f MB", v / 1024) end
  if unit == "req/s" then return format("%.0f", v) end
  if unit == "s" then return format("%.2f s", v) end
  if unit == "ms" then return format("%.1f ms", v) end
  return format("%.0f", v)
end

function M.markdown(r)
  local rows = {}
  for _, f in ipairs(M.figures(r)) do rows[#rows + 1] = { f[1], value_text(f[2], f[3]) } end
  local text = (r.url and ("hotpath load " .. r.url .. "\n\n") or "") .. md.table({ "figure", "value" }, rows, { nil, "r" }) .. "\n"
  local src = M.sources(r)
  if #src > 0 then
    text = text .. "\nsources\n\n" .. md.table(SOURCE_HEAD, src, { nil, nil, "r", "r", "r", "r", "r" }) .. "\n"
  end
  return text
end

-- The HTML page of a load result.
function M.html(r)
  local html = require "hotpath.report.html"
  local plot = require "hotpath.report.plot"
  local pg = html.page("hotpath load", r.url and ("load of " .. r.url) or nil)
  local charts = {}
  local curve = M.curve(r)
  if #curve > 0 then
    charts[#charts + 1] = pg:chart("latency", "latency by percentile (log scale of 1 / (1 - percentile), as HdrHistogram plots it)",
      plot.percentiles({ { name = histogram_of(r) and "latency (histogram)" or "latency (percentiles)", points = curve } },
        { title = "latency by percentile", width = 900 }))
  end
  charts[#charts + 1] = html.timeline_chart(pg, "memory-timeline", "the server's memory during the run", timeline_of(r), "server memory")
  local rows = {}
  for _, f in ipairs(M.figures(r)) do
    rows[#rows + 1] = { attrs = format('data-key="%s"', html.esc(f[1])), f[1], { value_text(f[2], f[3]), value = f[2], num = true } }
  end
  pg:add('<section id="load"><h2>Load</h2><div class="charts">' .. concat(charts) .. "</div>" ..
    html.table({ "figure", { "value", num = true } }, rows, 'class="load"') .. "</section>")
  local src = M.sources(r)
  if #src > 0 then
    local head = {}
    for i, h in ipairs(SOURCE_HEAD) do head[i] = i > 2 and { h, num = true } or h end
    pg:add('<section id="sources"><h2>Sources</h2>' .. html.table(head, src, 'class="sources"') .. "</section>")
  end
  return pg:render()
end

return M
