-- Charts as SVG, drawn by gnuplot's SVG terminal (Debian gnuplot-nox): this module writes the
-- gnuplot script (data inline as datablocks), runs gnuplot with it on stdin, and returns the
-- SVG ready to inline in an HTML page: without the XML prolog and the namespace URLs (an
-- inline <svg> needs neither, and the page carries no http(s) URL at all), and with its ids
-- prefixed so that several charts in one page do not share them.
--
-- HOTPATH_GNUPLOT names the program (default "gnuplot"); the HTML report says when it is
-- missing and keeps its tables.
local ipairs, pairs, type, format, concat, tostring = ipairs, pairs, type, string.format, table.concat, tostring
local proc = require "hotpath.proc"

local M = {}

M.PALETTE = { "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f" }
M.WIDTH, M.HEIGHT = 560, 340

local function program() return os.getenv("HOTPATH_GNUPLOT") or "gnuplot" end

local checked
-- Whether gnuplot runs: true, or false and why (checked once per process).
function M.available()
  if checked == nil then
    local ok, r = pcall(proc.run, { argv = { program(), "--version" }, keep_stdout = true, timeout = 10 })
    if ok and r and r.ok and r.stdout:match("^gnuplot") then
      checked, M.version = true, r.stdout:match("^(gnuplot[^\n]*)")
    else
      checked = false
      M.missing = format("gnuplot (%s) did not run: install Debian's gnuplot-nox for the charts", program())
    end
  end
  return checked, M.missing
end

-- A string as a gnuplot data field or string literal: double-quoted, with the quotes and
-- backslashes of names made harmless.
function M.quote(s)
  return '"' .. tostring(s):gsub('[\\"]', "'"):gsub("[%c]", " ") .. '"'
end

-- A datablock: name ("$d"), rows (lists of numbers and strings).
function M.datablock(name, rows)
  local out = { name .. " << EOD" }
  for _, r in ipairs(rows) do
    local cells = {}
    for i, v in ipairs(r) do
      if type(v) == "number" then cells[i] = v ~= v and "NaN" or format("%.10g", v)
      else cells[i] = M.quote(v) end
    end
    out[#out + 1] = concat(cells, " ")
  end
  out[#out + 1] = "EOD"
  return concat(out, "\n")
end

-- The common head of every script: the SVG terminal, plain text (no enhanced markup: names
-- carry _ and ^), the palette, a light grid.
function M.head(width, height)
  local lines = {
    format('set terminal svg size %d,%d font "DejaVu Sans,12" background "#ffffff"', width or M.WIDTH, height or M.HEIGHT),
    "set termoption noenhanced",
    "set encoding utf8",
    "set border 3 lc rgb '#888888'",
    "set tics nomirror textcolor rgb '#333333'",
    "set grid ytics lc rgb '#e6e6e6' lt 1",
    "set key top left noopaque textcolor rgb '#333333'",
  }
  for i, c in ipairs(M.PALETTE) do lines[#lines + 1] = format("set linetype %d lc rgb '%s' lw 2 pt 7 ps 0.8", i, c) end
  return concat(lines, "\n")
end

-- Makes gnuplot's SVG fit inline: drops the prolog, the namespace URLs, gnuplot's own title
-- and description; prefixes ids and references with prefix; puts title in <title>.
function M.inline(svg, prefix, title)
  svg = svg:gsub("^%s*<%?xml[^>]*>%s*", "")
  svg = svg:gsub('%s*xmlns:?%w*="[^"]*"', "")
  local t = "<title>" .. (title or ""):gsub("[<>&]", { ["<"] = "&lt;", [">"] = "&gt;", ["&"] = "&amp;" }) .. "</title>"
  svg = svg:gsub("<title>[^<]*</title>", function() return t end, 1)
  svg = svg:gsub("<desc>[^<]*</desc>", "", 1)
  prefix = prefix:gsub("[^%w_-]", "")
  svg = svg:gsub("(%sid=)(['\"])", "%1%2" .. prefix .. "_")
  svg = svg:gsub("(href=)(['\"])#", "%1%2#" .. prefix .. "_")
  svg = svg:gsub("url%(#", "url(#" .. prefix .. "_")
  svg = svg:gsub('<svg%s+width="(%d+)"%s+height="(%d+)"', '<svg class="chart" width="%1" height="%2" role="img"', 1)
  return svg
end

-- Runs gnuplot on script; returns the SVG text (not yet inlined) or nil, message.
function M.render(script)
  local ok, why = M.available()
  if not ok then return nil, why end
  local r, err = proc.run { argv = { program() }, stdin = script, keep_stdout = true, keep_stderr = 4096, timeout = 30 }
  if not r then return nil, err end
  if not r.ok or not r.stdout:find("<svg", 1, true) then
    return nil, "gnuplot failed: " .. r.status .. " " .. (r.stderr or ""):gsub("%s+$", "")
  end
  return r.stdout
end

-- Bar chart with spread: rows { label, value, lo, hi, text } (text: the label above the bar).
-- opts: title, ylabel, logscale, color (1..8). Returns a gnuplot script.
function M.bars(rows, opts)
  local data = {}
  for i, r in ipairs(rows) do data[i] = { r.label, r.value, r.lo or r.value, r.hi or r.value, r.text or "" } end
  local color = opts.color or 1
  return concat({
    M.head(opts.width, opts.height),
    M.datablock("$d", data),
    "set style fill solid 0.85 border -1",
    "set boxwidth 0.6",
    "unset key",
    format("set ylabel %s", M.quote(opts.ylabel or "")),
    opts.logscale and "set logscale y" or "set yrange [0:*]",
    "set offsets 0.5, 0.5, 0, 0",
    "set xtics rotate by -20 left",
    format("set title %s", M.quote(opts.title or "")),
    format("plot $d using 0:2:xtic(1) with boxes lt %d, '' using 0:3:(0):($4-$3) with vectors heads size 0.08,90 lc rgb '#333333' lw 1, " ..
      "'' using 0:4:5 with labels offset 0,0.9 font ',10' textcolor rgb '#222222'", color),
  }, "\n")
end

-- Grouped bars: groups = labels, series = { { name, values = { per group or nil } } }.
function M.grouped(groups, series, opts)
  -- a series without a single value (Go not measured here) is left out: gnuplot refuses a
  -- histogram column with no valid point
  local kept = {}
  for _, se in ipairs(series) do
    for g = 1, #groups do
      if se.values[g] then kept[#kept + 1] = se break end
    end
  end
  series = kept
  local data = {}
  for g, label in ipairs(groups) do
    local row = { label }
    for s, se in ipairs(series) do row[s + 1] = se.values[g] or 0 / 0 end
    data[g] = row
  end
  local plots = {}
  for s, se in ipairs(series) do
    plots[s] = format("$d using %d%s title %s lt %d", s + 1, s == 1 and ":xtic(1)" or "", M.quote(se.name), s)
  end
  return concat({
    M.head(opts.width, opts.height),
    M.datablock("$d", data),
    "set style data histograms",
    "set style histogram clustered gap 1",
    "set style fill solid 0.85 border -1",
    format("set ylabel %s", M.quote(opts.ylabel or "")),
    opts.logscale and "set logscale y" or "set yrange [0:*]",
    "set key outside bottom center horizontal",
    "set xtics rotate by -15 left",
    format("set title %s", M.quote(opts.title or "")),
    "plot " .. concat(plots, ", "),
  }, "\n")
end

-- Lines: series = { { name, points = { {x, y}, ... }, style = "linespoints"|"lines"|"points" } }.
-- opts: title, xlabel, ylabel, logx, logy, xtics (a gnuplot tics spec).
function M.lines(series, opts)
  local blocks, plots = {}, {}
  for s, se in ipairs(series) do
    blocks[s] = M.datablock("$s" .. s, se.points)
    plots[s] = format("$s%d using 1:2 with %s title %s lt %d%s", s, se.style or "linespoints", M.quote(se.name),
      se.lt or s, se.dash and " dt 2" or "")
  end
  return concat({
    M.head(opts.width, opts.height),
    concat(blocks, "\n"),
    format("set xlabel %s", M.quote(opts.xlabel or "")),
    format("set ylabel %s", M.quote(opts.ylabel or "")),
    opts.logx and "set logscale x\nset autoscale xfix\nset offsets graph 0.06, graph 0.06, 0, 0" or "",
    opts.logy and "set logscale y" or "",
    opts.xtics or "",
    opts.yrange or "",
    opts.key and ("set key " .. opts.key) or "",
    format("set title %s", M.quote(opts.title or "")),
    "plot " .. concat(plots, ", "),
  }, "\n")
end

-- Latency by percentile, as HdrHistogram plots it: the x axis is 1 / (1 - q) on a log scale,
-- so that 90 %, 99 %, 99.9 % are evenly apart; q = 1 (the slowest request) is put one decade
-- past the last other point and labelled "max". series = { { name, points = { { q, ms } } } }.
function M.percentiles(series, opts)
  local last = 10
  for _, se in ipairs(series) do
    for _, p in ipairs(se.points) do
      if p[1] < 1 and 1 / (1 - p[1]) > last then last = 1 / (1 - p[1]) end
    end
  end
  local lines = {}
  for s, se in ipairs(series) do
    local pts = {}
    for i, p in ipairs(se.points) do pts[i] = { p[1] < 1 and 1 / (1 - p[1]) or last * 10, p[2] } end
    lines[s] = { name = se.name, points = pts, style = "linespoints", lt = se.lt or s }
  end
  local tics = {}
  for _, t in ipairs { { "0%", 1 }, { "50%", 2 }, { "90%", 10 }, { "99%", 100 }, { "99.9%", 1000 }, { "99.99%", 1e4 }, { "99.999%", 1e5 }, { "99.9999%", 1e6 } } do
    -- a tic label is a format string to gnuplot: % doubled
    if t[2] < last * 10 / 3 then tics[#tics + 1] = format('"%s" %g', (t[1]:gsub("%%", "%%%%")), t[2]) end
  end
  tics[#tics + 1] = format('"max" %g', last * 10)
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.xlabel, o.ylabel, o.logx, o.logy = o.xlabel or "percentile", o.ylabel or "ms", true, true
  o.xtics = "set xtics (" .. concat(tics, ", ") .. ")"
  return M.lines(lines, o)
end

return M
