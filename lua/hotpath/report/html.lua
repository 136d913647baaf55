-- The HTML report: one self-contained page (no script, no stylesheet or image from anywhere:
-- a Content-Security-Policy of default-src 'none' says so to the browser) with the machine,
-- the warnings, the summary against Rust and Go, per suite the time and peak memory of each
-- scenario with their spread, the comparison with a baseline, and the scaling curves of the
-- parameter scans. Charts are SVG drawn by gnuplot (report/plot.lua) and inlined; without
-- gnuplot the page keeps every table and says which charts are missing and why.
--
-- Every figure of a table is also in a data-value attribute, exactly as the JSON export
-- writes it, so that a test (or a script) can read the page back.
local ipairs, pairs, type, format, concat, tostring = ipairs, pairs, type, string.format, table.concat, tostring
local plot = require "hotpath.report.plot"
local fmt = require "hotpath.report.terminal"
local json = require "hotpath.report.json"

local M = {}

local ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }
function M.esc(s) return (tostring(s):gsub("[&<>\"']", ESC)) end
local esc = M.esc

M.CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

local CSS = [[
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--accent:#4e79a7;--bad:#c62828;--good:#2e7d32}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 "DejaVu Sans",system-ui,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#24292f;color:#fff;padding:22px 32px}
header h1{margin:0;font-size:24px;font-weight:600}
header p{margin:4px 0 0;color:#c9d1d9}
main{max-width:1180px;margin:0 auto;padding:16px 24px 48px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:18px 0}
h2{font-size:19px;margin:0 0 10px}
h3{font-size:16px;margin:14px 0 6px}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:14px}
th,td{padding:5px 9px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(500px,1fr));gap:12px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:6px;background:#fff}
figure.wide{grid-column:1/-1}
figcaption{font-size:13px;color:var(--muted);padding:2px 6px}
svg.chart{width:100%;height:auto;display:block}
.missing{background:#fff8e1;border:1px solid #f0c36d;border-radius:6px;padding:8px 12px}
.warn{color:#8a5300}
.bad{color:var(--bad);font-weight:600}
.good{color:var(--good)}
.machine{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}
.machine dt{color:var(--muted)}
.machine dd{margin:0}
footer{color:var(--muted);font-size:13px;text-align:center;padding:12px}
]]

-- A page under construction: sections of HTML, and a chart counter for unique SVG ids.
local Page = {}
Page.__index = Page

function M.page(title, subtitle)
  return setmetatable({ title = title, subtitle = subtitle, parts = {}, charts = 0, missing = 0 }, Page)
end

function Page:add(html) self.parts[#self.parts + 1] = html end

-- A chart: a <figure> with the inlined SVG, or, when gnuplot is missing or fails, a note.
-- id: the figure's data-chart; script: from plot.*.
function Page:chart(id, caption, script)
  self.charts = self.charts + 1
  local svg, err = plot.render(script)
  if not svg then
    self.missing = self.missing + 1
    self.why = err
    return format('<figure data-chart="%s" data-missing="true"><figcaption>%s</figcaption><p class="missing">chart not drawn: %s</p></figure>',
      esc(id), esc(caption), esc(err))
  end
  -- a chart drawn wider than a column of the grid takes the whole row
  local w = tonumber(script:match("set terminal svg size (%d+)"))
  return format('<figure data-chart="%s"%s>%s<figcaption>%s</figcaption></figure>', esc(id),
    w and w > 700 and ' class="wide"' or "", plot.inline(svg, "c" .. self.charts, caption), esc(caption))
end

function Page:render()
  local out = {
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    format('<meta http-equiv="Content-Security-Policy" content="%s">', M.CSP),
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<title>" .. esc(self.title) .. "</title>",
    "<style>" .. CSS .. "</style></head><body>",
    "<header><h1>" .. esc(self.title) .. "</h1>" .. (self.subtitle and ("<p>" .. esc(self.subtitle) .. "</p>") or "") .. "</header>",
    "<main>",
  }
  if self.missing > 0 then
    out[#out + 1] = format('<p class="missing" id="charts-missing">%d of %d charts are missing: %s. The tables below have every figure.</p>',
      self.missing, self.charts, esc(self.why or "gnuplot failed"))
  end
  for _, p in ipairs(self.parts) do out[#out + 1] = p end
  out[#out + 1] = "</main><footer>made by hotpath" .. (plot.version and (", charts by " .. esc(plot.version)) or "") .. "</footer></body></html>\n"
  return concat(out, "\n")
end

-- A table: head = { { text, num = bool } ... }, rows = { { cell ... } } where a cell is a
-- string or { text, value = number (data-value), num = bool, class }. attrs: of the <table>.
function M.table(head, rows, attrs)
  local out = { "<table" .. (attrs and (" " .. attrs) or "") .. "><thead><tr>" }
  for _, h in ipairs(head) do
    if type(h) == "string" then h = { h } end
    out[#out + 1] = format("<th%s>%s</th>", h.num and ' class="num"' or "", esc(h[1]))
  end
  out[#out + 1] = "</tr></thead><tbody>"
  for _, r in ipairs(rows) do
    local cells = {}
    for i = 1, #head do -- a row may hold nil cells (a figure that is missing): shown as "-"
      local c = r[i]
      if type(c) ~= "table" then c = { c } end
      local num = c.num or (type(head[i]) == "table" and head[i].num)
      local cls = (num and "num" or "") .. (c.class and (" " .. c.class) or "")
      local attrs2 = (cls ~= "" and format(' class="%s"', cls:gsub("^ ", "")) or "")
        .. (c.key and format(' data-key="%s"', esc(c.key)) or "")
        .. (type(c.value) == "number" and format(' data-value="%s"', json.encode(c.value)) or "")
      cells[i] = format("<td%s>%s</td>", attrs2, esc(c[1] == nil and "-" or c[1]))
    end
    out[#out + 1] = (r.attrs and ("<tr " .. r.attrs .. ">") or "<tr>") .. concat(cells) .. "</tr>"
  end
  out[#out + 1] = "</tbody></table>"
  return concat(out)
end

function M.machine(m)
  m = m or {}
  local items = {
    { "CPU", m.cpu_model }, { "cores", m.cores }, { "memory", m.memory_kb and format("%.1f GB", m.memory_kb / 1048576) },
    { "kernel", m.kernel }, { "governor", m.governor }, { "runtime", m.runtime }, { "backend", m.backend },
    { "hotpath", m.hotpath }, { "build", m.build },
  }
  local out = { '<dl class="machine">' }
  for _, it in ipairs(items) do
    if it[2] ~= nil then out[#out + 1] = format("<dt>%s</dt><dd>%s</dd>", esc(it[1]), esc(it[2])) end
  end
  out[#out + 1] = "</dl>"
  return concat(out)
end

local function suites_of(scenarios)
  local order, by = {}, {}
  for _, sc in ipairs(scenarios or {}) do
    if not by[sc.suite] then by[sc.suite] = {}; order[#order + 1] = sc.suite end
    local l = by[sc.suite]
    l[#l + 1] = sc
  end
  return order, by
end

-- A name short enough for an axis label: its start and its end (the end often tells two
-- apart: "..., recursive" and "..., iterative").
local function short(w)
  return #w > 28 and (w:sub(1, 13):gsub("%s+$", "") .. "..." .. w:sub(-12):gsub("^%s+", "")) or w
end

local function label_of(sc)
  return sc.id and sc.id:gsub("^[^/]*/", "") or sc.name
end

-- The ratio of the largest to the smallest positive value: a log axis above 50.
local function wide(values)
  local lo, hi
  for _, v in ipairs(values) do
    if v and v > 0 then
      lo = (not lo or v < lo) and v or lo
      hi = (not hi or v > hi) and v or hi
    end
  end
  return lo and hi / lo > 50
end

-- The latency metrics a load scenario returns, and their percentile.
local LATENCY_KEYS = { { "p50_ms", 0.5 }, { "p90_ms", 0.9 }, { "p99_ms", 0.99 }, { "p99_9_ms", 0.999 }, { "p99_99_ms", 0.9999 }, { "max_ms", 1 } }

-- The section of one suite: time and memory charts (and latency for load scenarios), and the
-- table.
local function suite_section(pg, suite, list)
  local trows, mrows, rows = {}, {}, {}
  local tv, mv = {}, {}
  for _, sc in ipairs(list) do
    local s = sc.summary or {}
    local t, m = s.run_s or {}, s.maxrss_kb or {}
    local ok = sc.ok and not sc.skipped and t.median
    if ok then
      trows[#trows + 1] = { label = short(label_of(sc)), value = t.median * 1e3, lo = t.min * 1e3, hi = t.max * 1e3, text = fmt.seconds(t.median) }
      tv[#tv + 1] = t.median
    end
    if ok and m.median then
      mrows[#mrows + 1] = { label = short(label_of(sc)), value = m.median / 1024, lo = m.min / 1024, hi = m.max / 1024, text = fmt.mb(m.median) }
      mv[#mv + 1] = m.median
    end
    local status = sc.skipped and ("skipped: " .. sc.skipped) or (sc.ok and "ok" or ("FAILED: " .. tostring(sc.error)))
    rows[#rows + 1] = {
      attrs = format('data-id="%s"', esc(sc.id or sc.name)),
      label_of(sc),
      { status, class = (sc.skipped and "warn") or (not sc.ok and "bad") or nil },
      { t.n or 0, value = t.n },
      { fmt.seconds(t.best), value = t.best, key = "best_s" },
      { t.median and fmt.seconds(t.median) or "-", value = t.median, key = "median_s" },
      { t.spread_pct and format("%.1f%%", t.spread_pct) or "-", value = t.spread_pct, key = "spread_pct" },
      { t.min and (fmt.seconds(t.min) .. " .. " .. fmt.seconds(t.max)) or "-", key = "range_s" },
      { fmt.mb(m.median), value = m.median, key = "peak_rss_median_kb" },
    }
  end
  local charts = {}
  -- load scenarios (metrics p50_ms, p99_ms, ...): their latency by percentile, one line each
  local lat = {}
  for _, sc in ipairs(list) do
    local m = sc.ok and not sc.skipped and sc.summary and sc.summary.metrics
    if m and m.p50_ms and m.p99_ms then
      local pts = {}
      for _, k in ipairs(LATENCY_KEYS) do
        local v = m[k[1]] and m[k[1]].median
        if v and v > 0 then pts[#pts + 1] = { k[2], v } end
      end
      lat[#lat + 1] = { name = short(label_of(sc)), points = pts }
    end
  end
  if #lat > 0 then
    charts[#charts + 1] = pg:chart("latency-" .. suite, format("%s: latency by percentile (medians of the runs; HdrHistogram's axis)", suite),
      plot.percentiles(lat, { title = suite .. ": latency", key = "outside bottom center horizontal", height = 300 + 20 * #lat }))
  end
  -- a scenario whose runs keep a memory timeline (run() returned { timeline = ... } as data,
  -- as the memory test does): the last counted run's
  for _, sc in ipairs(list) do
    local tl, nth, n = nil, 0, 0
    for _, r in ipairs(sc.runs or {}) do
      if r.ok and not r.warmup then
        n = n + 1
        if type(r.data) == "table" and type(r.data.timeline) == "table" then tl, nth = r.data.timeline, n end
      end
    end
    if tl then
      charts[#charts + 1] = M.timeline_chart(pg, "timeline-" .. (sc.id or sc.name),
        format("%s: the server's memory over counted run %d of %d", label_of(sc), nth, n), tl, short(label_of(sc)) .. ": server memory")
    end
  end
  if #trows > 0 then
    charts[#charts + 1] = pg:chart("time-" .. suite, format("%s: median run time per scenario (bars: min .. max of the runs)", suite),
      plot.bars(trows, { title = suite .. ": run time", ylabel = "ms", logscale = wide(tv), color = 1, width = #trows > 5 and 900 or nil }))
  end
  if #mrows > 0 then
    charts[#charts + 1] = pg:chart("memory-" .. suite, format("%s: median peak RSS per scenario (bars: min .. max)", suite),
      plot.bars(mrows, { title = suite .. ": peak memory", ylabel = "MB", logscale = wide(mv), color = 2, width = #mrows > 5 and 900 or nil }))
  end
  pg:add(format('<section data-suite="%s"><h2>Suite %s</h2><div class="charts">%s</div>%s</section>', esc(suite), esc(suite),
    concat(charts),
    M.table({ "scenario", "status", { "runs", num = true }, { "best", num = true }, { "median", num = true },
      { "spread (MAD)", num = true }, { "min .. max", num = true }, { "peak RSS", num = true } }, rows,
      format('class="scenarios" data-suite="%s"', esc(suite)))))
end

local TITLES = { ms = "run time", mb = "peak memory", rps = "throughput", p99_ms = "p99 latency", server_mb = "server memory" }

local LANG_SERIES = { { "hotpath", "hotpath" }, { "rust", "Rust" }, { "go", "Go" } }

-- The summary against Rust and Go: a grouped bar chart per shown key, and the table.
local function summary_section(pg, rows)
  if not rows or #rows == 0 then return end
  local keys, seen = {}, {}
  for _, r in ipairs(rows) do
    for _, k in ipairs(r.show or {}) do
      if not seen[k] then seen[k] = true; keys[#keys + 1] = k end
    end
  end
  local charts = {}
  local summary = require "hotpath.report.summary"
  -- one chart per figure across the rows; a row of several memory figures (start-up, steady,
  -- peak, swing) gets its own chart with one group per figure. Published figures are for the
  -- full sizes: a quick run's chart shows only what was measured here.
  local function series_of()
    local series = {}
    for i, sp in ipairs(LANG_SERIES) do series[i] = { name = sp[2], values = {}, measured = 0, published = 0 } end
    return series
  end
  local function put(series, g, r, k)
    local all = {}
    for i, sp in ipairs(LANG_SERIES) do
      local t, v = r[sp[1]], nil
      if t then
        v = t[k]
        if v and i > 1 then series[i].measured = series[i].measured + 1 end
      elseif i > 1 and r.mode ~= "quick" and r.published and r.published[sp[1]] then
        v = r.published[sp[1]][k]
        if v then series[i].published = series[i].published + 1 end
      end
      series[i].values[g] = v
      all[#all + 1] = v
    end
    return all
  end
  local function named(series)
    for _, se in ipairs(series) do
      if se.published > 0 then se.name = se.name .. (se.measured > 0 and " (here or published)" or " (published)") end
    end
    return series
  end
  local function memory_row(r)
    local n = 0
    for _, k in ipairs(r.show or {}) do
      if not k:match("_mb$") then return false end
      n = n + 1
    end
    return n > 1
  end
  local quick = false
  for _, k in ipairs(keys) do
    local groups, series, all = {}, series_of(), {}
    for _, r in ipairs(rows) do
      quick = quick or r.mode == "quick"
      local has = false
      for _, sk in ipairs(r.show or {}) do if sk == k then has = true end end
      if has and not memory_row(r) then
        groups[#groups + 1] = short(r.workload)
        for _, v in ipairs(put(series, #groups, r, k)) do all[#all + 1] = v end
      end
    end
    local any = false
    for _, v in pairs(all) do if v then any = true end end
    if #groups > 0 and any then
      local what = (k == "ms" or k:match("_ms$")) and "ms" or (k == "mb" or k:match("_mb$")) and "MB" or k == "rps" and "requests/s" or k
      charts[#charts + 1] = pg:chart("summary-" .. k, format("%s: hotpath, Rust and Go (%s)", k == "ms" and "time" or k, what),
        plot.grouped(groups, named(series), { title = TITLES[k] or k, ylabel = k == "ms" and "ms" or what,
          logscale = wide(all), width = #groups > 3 and 900 or nil, height = #groups > 3 and 380 or nil }))
    end
  end
  for i, r in ipairs(rows) do
    if memory_row(r) then
      local groups, series = {}, series_of()
      for g, k in ipairs(r.show) do
        groups[g] = k:gsub("_mb$", "")
        put(series, g, r, k)
      end
      charts[#charts + 1] = pg:chart("summary-memory-" .. i, format("%s: hotpath, Rust and Go (MB)", r.workload),
        plot.grouped(groups, named(series), { title = short(r.workload), ylabel = "MB" }))
    end
  end
  local trows = {}
  for _, r in ipairs(rows) do
    local function cell(t)
      if not t then return "-" end
      local parts = {}
      for _, k in ipairs(r.show) do if t[k] then parts[#parts + 1] = summary.value(k, t[k]) end end
      return #parts > 0 and concat(parts, ", ") or "-"
    end
    trows[#trows + 1] = {
      r.dimension, r.workload, r.failed and "FAILED" or r.skipped and "skipped" or cell(r.hotpath), cell(r.rust), cell(r.go),
      cell(r.published and r.published.rust), cell(r.published and r.published.go),
    }
  end
  local crows = {}
  for _, r in ipairs(rows) do
    for _, c in ipairs(r.claims or {}) do
      crows[#crows + 1] = { c.text, { fmt.ratio(c.published), value = c.published, num = true },
        { c.measured and fmt.ratio(c.measured) or "-", value = c.measured, num = true },
        { c.verdict, class = c.verdict == "holds" and "good" or (c.verdict == "differs" and "bad" or "warn") } }
    end
  end
  pg:add(format('<section id="summary"><h2>Summary: hotpath next to Rust and Go</h2>%s<div class="charts">%s</div>%s%s</section>',
    quick and "<p>Quick sizes: the charts show what was measured here; the published figures (for the full sizes) are in the table only.</p>" or "",
    concat(charts),
    M.table({ "dimension", "workload", "hotpath, here", "Rust, here", "Go, here", "Rust, published", "Go, published" }, trows, 'class="summary"'),
    #crows > 0 and ("<h3>The published multipliers, recomputed</h3>" ..
      M.table({ "claim", { "published", num = true }, { "here", num = true }, "verdict" }, crows, 'class="claims"')) or ""))
end

-- A memory timeline as a chart: samples { t, rss_kb, pss_kb } or { t =, label =, rss_kb =,
-- pss_kb = } (http/memory.lua's watch), seconds and kB; where the label changes (a phase of
-- the load) a dotted line and the label. Returns the figure, or "" with fewer than 2 samples.
function M.timeline_chart(pg, id, caption, timeline, title)
  local rss, pss, marks, last = {}, {}, {}, nil
  for _, x in ipairs(timeline or {}) do
    local t, r, p = x.t or x[1], x.rss_kb or x[2], x.pss_kb or x[3]
    if type(t) == "number" then
      if type(r) == "number" then rss[#rss + 1] = { t, r / 1024 } end
      if type(p) == "number" then pss[#pss + 1] = { t, p / 1024 } end
      if x.label and x.label ~= last then
        marks[#marks + 1] = format("set arrow from first %.6g, graph 0 to first %.6g, graph 1 nohead dt 3 lc rgb '#999999'\n" ..
          "set label %s at first %.6g, graph 0.97 offset 0.3,0 font ',9' textcolor rgb '#666666'", t, t, plot.quote(x.label), t)
        last = x.label
      end
    end
  end
  if #rss < 2 then return "" end
  local series = { { name = "RSS", points = rss, style = "lines", lt = 2 } }
  if #pss > 1 then series[2] = { name = "PSS", points = pss, style = "lines", lt = 3 } end
  return pg:chart(id, caption, plot.lines(series, { title = title or "memory", xlabel = "s", ylabel = "MB",
    yrange = "set yrange [0:*]\n" .. concat(marks, "\n"), width = 900, key = "outside bottom center horizontal" }))
end

local function pct(p) return p and format("%+.1f%%", p) or "-" end

local function measure_text(unit, v)
  if v == nil then return "-" end
  if unit == "s" then return fmt.seconds(v) end
  if unit == "kB" then return fmt.mb(v) end
  if unit == "req/s" then return format("%.0f req/s", v) end
  return format("%.3g ms", v)
end

-- The comparison with a baseline: the change of each measure with its interval.
function M.compare_section(pg, cmp, title)
  if not cmp then return end
  local rows, bars = {}, {}
  for _, r in ipairs(cmp.rows or {}) do
    rows[#rows + 1] = {
      attrs = format('data-id="%s" data-measure="%s"', esc(r.id), esc(r.measure)),
      r.id, r.measure,
      { measure_text(r.unit, r.old), value = r.old, num = true },
      { measure_text(r.unit, r.new), value = r.new, num = true },
      { pct(r.change_pct), value = r.change_pct, num = true, key = "change_pct" },
      { r.lo_pct and (pct(r.lo_pct) .. " .. " .. pct(r.hi_pct)) or "-", num = true, key = "ci" },
      { r.verdict, class = r.regression and "bad" or (r.verdict == "faster" or r.verdict == "smaller") and "good" or nil, key = "verdict" },
    }
    if r.measure == "time" then
      bars[#bars + 1] = { label = r.id:gsub("^[^/]*/", ""), value = r.change_pct, lo = r.lo_pct or r.change_pct, hi = r.hi_pct or r.change_pct, text = pct(r.change_pct) }
    end
  end
  local chart = ""
  if #bars > 0 then
    local script = plot.bars(bars, { title = "change of the median run time", ylabel = "%", color = 1, width = 900 })
      :gsub("set yrange %[0:%*%]", format("set arrow from graph 0, first %g to graph 1, first %g nohead dt 2 lc rgb '#c62828'\nset arrow from graph 0, first 0 to graph 1, first 0 nohead lc rgb '#888888'",
        cmp.threshold * 100, cmp.threshold * 100))
    chart = '<div class="charts">' .. pg:chart("compare-time", format("change of the median run time with its 95 %% interval; dashed: the threshold, +%.1f %%", cmp.threshold * 100), script) .. "</div>"
  end
  local notes = {}
  for _, w in ipairs(cmp.warnings or {}) do notes[#notes + 1] = '<p class="warn">warning: ' .. esc(w) .. "</p>" end
  for _, id in ipairs(cmp.added or {}) do notes[#notes + 1] = "<p>" .. esc(id) .. ": new, not in the baseline</p>" end
  for _, id in ipairs(cmp.missing or {}) do notes[#notes + 1] = "<p>" .. esc(id) .. ": in the baseline, not in this run</p>" end
  pg:add(format('<section id="compare"><h2>%s</h2>%s%s<p class="%s" id="verdict">%d regression(s) beyond %.1f %% with significance</p>%s</section>',
    esc(title or "Compared with the baseline"), chart,
    M.table({ "scenario", "measure", { "old", num = true }, { "new", num = true }, { "change", num = true }, { "95% interval", num = true }, "verdict" },
      rows, 'class="compare"'),
    (cmp.regressions or 0) > 0 and "bad" or "good", cmp.regressions or 0, cmp.threshold * 100, concat(notes)))
end

-- The parameter scans: time and memory against the parameter (log-log), with the fitted
-- power law, and a table of the points and the fits.
local function scans_section(pg, scans)
  if not scans or #scans == 0 then return end
  local parts = {}
  for i, sc in ipairs(scans) do
    local tp, mp, tf, mf = {}, {}, {}, {}
    for _, p in ipairs(sc.points) do
      if p.time_s then tp[#tp + 1] = { p.x, p.time_s * 1e3 } end
      if p.added_kb and p.added_kb > 0 then mp[#mp + 1] = { p.x, p.added_kb / 1024 } end
    end
    local function fitted(f, scale)
      local pts = {}
      if not f then return pts end
      local x0, x1 = sc.points[1].x, sc.points[#sc.points].x
      for k = 0, 20 do
        local x = x0 * (x1 / x0) ^ (k / 20)
        pts[#pts + 1] = { x, f.coefficient * x ^ f.exponent * scale }
      end
      return pts
    end
    tf, mf = fitted(sc.time_fit, 1e3), fitted(sc.memory_fit, 1 / 1024)
    local tics = {}
    for k, p in ipairs(sc.points) do tics[k] = format('"%s" %.10g', tostring(p.x), p.x) end
    local xtics = "set xtics (" .. concat(tics, ", ") .. ")"
    local series = { { name = "median run time", points = tp, style = "linespoints", lt = 1 } }
    if #tf > 0 then series[2] = { name = format("fit: %s^%.2f (%s)", sc.key, sc.time_fit.exponent, sc.time_fit.class), points = tf, style = "lines", lt = 1, dash = true } end
    local charts = { pg:chart("scan-time-" .. i, sc.id .. ": run time against " .. sc.key,
      plot.lines(series, { title = sc.id .. ": time", xlabel = sc.key, ylabel = "ms", logx = true, logy = true, xtics = xtics })) }
    if #mp > 1 then
      local ms = { { name = "memory added by the run", points = mp, style = "linespoints", lt = 2 } }
      if #mf > 0 then ms[2] = { name = format("fit: %s^%.2f (%s)", sc.key, sc.memory_fit.exponent, sc.memory_fit.class), points = mf, style = "lines", lt = 2, dash = true } end
      charts[2] = pg:chart("scan-memory-" .. i, sc.id .. ": memory against " .. sc.key,
        plot.lines(ms, { title = sc.id .. ": memory", xlabel = sc.key, ylabel = "MB", logx = true, logy = true, xtics = xtics }))
    end
    local rows = {}
    for _, p in ipairs(sc.points) do
      rows[#rows + 1] = { { tostring(p.x), value = p.x, num = true }, { fmt.seconds(p.time_s), value = p.time_s, num = true, key = "median_s" },
        { fmt.mb(p.peak_kb), value = p.peak_kb, num = true }, { fmt.mb(p.added_kb), value = p.added_kb, num = true } }
    end
    local function fit_text(f) return f and format("%s^%.2f, nearest %s", sc.key, f.exponent, f.class) or "no fit" end
    parts[#parts + 1] = format('<div data-scan="%s"><h3>%s</h3><p>time grows as <b data-key="time_fit">%s</b>; the memory the run adds as <b data-key="memory_fit">%s</b></p><div class="charts">%s</div>%s</div>',
      esc(sc.id), esc(sc.id), esc(fit_text(sc.time_fit)), esc(fit_text(sc.memory_fit)), concat(charts),
      M.table({ { sc.key, num = true }, { "median time", num = true }, { "peak RSS", num = true }, { "added by the run", num = true } }, rows, 'class="scan"'))
  end
  pg:add('<section id="scans"><h2>Parameter scans</h2>' .. concat(parts) .. "</section>")
end

-- The whole report of a run document (report/json.lua's M.document; with .compare when the
-- run was compared with a baseline). Returns the page as a string.
function M.run(doc)
  local m = doc.machine or {}
  local pg = M.page("hotpath report", format("%s, %s cores, %s", tostring(m.cpu_model), tostring(m.cores), tostring(m.runtime)))
  pg:add("<section id=\"machine\"><h2>Machine</h2>" .. M.machine(m) .. "</section>")
  local ws = doc.warnings or {}
  if #ws > 0 then
    local items = {}
    for _, w in ipairs(ws) do items[#items + 1] = "<li>" .. esc(w.message or w) .. "</li>" end
    pg:add('<section id="warnings"><h2>Warnings</h2><ul class="warn">' .. concat(items) .. "</ul></section>")
  end
  summary_section(pg, doc.summary)
  M.compare_section(pg, doc.compare, doc.baseline and ("Compared with baseline " .. tostring(doc.baseline.name)) or nil)
  local order, by = suites_of(doc.scenarios)
  for _, suite in ipairs(order) do suite_section(pg, suite, by[suite]) end
  scans_section(pg, doc.scans)
  return pg:render()
end

-- A run's suites and the section of one (for report/merged.lua: a section per source).
M.suites_of, M.suite_section = suites_of, suite_section

-- The report of `hotpath compare`: the comparison, and both machines.
function M.compare(cmp, old, new, names)
  local pg = M.page("hotpath comparison", format("%s -> %s", names[1], names[2]))
  M.compare_section(pg, cmp, format("%s -> %s", names[1], names[2]))
  pg:add('<section id="machines"><h2>Machines</h2><div class="charts"><div><h3>old</h3>' .. M.machine(old.machine) ..
    '</div><div><h3>new</h3>' .. M.machine(new.machine) .. "</div></div></section>")
  return pg:render()
end

return M
