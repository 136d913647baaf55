-- report/load.lua: the exports of a load result (CSV, Markdown, HTML with the latency
-- percentile curve and the server memory timeline), on synthetic results shaped as
-- http.load returns them (with the histogram and the timeline, and without).
local load = require "hotpath.report.load"
local csv = require "hotpath.report.csv"
local md = require "hotpath.report.markdown"
local proc = require "hotpath.proc"

local function result(with)
  local r = {
    url = "http://127.0.0.1:8080/", requests = 100, duration = 2, rps = 50, connections = 4, threads = 1,
    errors = { total = 0 },
    latency = { min = 100, mean = 1500.5, p50 = 1000, p90 = 2000, p99 = 4000, p99_9 = 900000, p99_99 = 1000000, max = 1000000 },
  }
  if with then
    r.histogram = { layout = "hdr", unit = "ns", count = 100,
      buckets = { { 2000000, 4000000, 9 }, { 0, 1000000, 50 }, { 1000000, 2000000, 40 }, { 4000000, 1000000000, 1 }, { 5, 6, 0 } } }
    r.timeline = { { 0, 1000, 800 }, { 0.5, 2048, 900 }, { 1, 1500, 850 } }
  end
  return r
end

-- The same result in http.load's own places: latency.histogram, memory.timeline (keyed
-- samples with phase labels).
local function nested()
  local r = result(true)
  r.latency.histogram, r.histogram = r.histogram, nil
  local tl = {}
  for i, s in ipairs(r.timeline) do tl[i] = { t = s[1], label = i == 1 and "before" or "phase 1", rss_kb = s[2], pss_kb = s[3] } end
  r.memory, r.timeline = { timeline = tl }, nil
  return r
end

describe("load report", function()
  it("reads the histogram and the timeline where http.load puts them", function()
    assert.are.same(load.curve(result(true)), load.curve(nested()))
    assert.are.same(load.figures(result(true)), load.figures(nested()))
    assert.are.equal(load.csv(result(true)), load.csv(nested()))
  end)

  it("draws the percentile curve from the histogram's buckets", function()
    assert.are.same({ { 0.5, 1 }, { 0.9, 2 }, { 0.99, 4 }, { 1, 1000 } }, load.curve(result(true)))
  end)

  it("draws the curve from the percentiles without a histogram", function()
    assert.are.same({ { 0.5, 1 }, { 0.9, 2 }, { 0.99, 4 }, { 0.999, 900 }, { 0.9999, 1000 }, { 1, 1000 } }, load.curve(result(false)))
  end)

  it("exports the figures as CSV, the server's peaks from the timeline", function()
    local rows = csv.parse(load.csv(result(true)))
    assert.are.same({ "metric", "value", "unit" }, rows[1])
    local got = {}
    for i = 2, #rows do got[rows[i][1]] = { tonumber(rows[i][2]), rows[i][3] } end
    assert.are.same({ 100, "" }, got.requests)
    assert.are.same({ 50, "req/s" }, got.rps)
    assert.are.same({ 1500.5, "us" }, got.latency_mean)
    assert.are.same({ 4000, "us" }, got.latency_p99)
    assert.are.same({ 2048, "kB" }, got.server_peak_rss)
    assert.are.same({ 900, "kB" }, got.server_peak_pss)
    assert.are.equal(17, #rows) -- the header and 16 figures
    assert.is_nil(csv.parse(load.csv(result(false)))[16]) -- no timeline: no server peaks
  end)

  it("exports the figures as a Markdown table", function()
    local head, rows = md.parse(load.markdown(result(true)))
    assert.are.same({ "figure", "value" }, head)
    local got = {}
    for _, r in ipairs(rows) do got[r[1]] = r[2] end
    assert.are.equal("50", got.rps)
    assert.are.equal("4.000 ms", got.latency_p99)
    assert.are.equal("2.00 MB", got.server_peak_rss)
    assert.are.equal("2.00 s", got.duration)
  end)

  it("writes a self-contained page with both charts", function()
    local page = load.html(result(true))
    assert.truthy(page:find('<tr data-key="latency_p99"><td>latency_p99</td><td class="num" data-value="4000">4.000 ms</td></tr>', 1, true))
    local ok, r = pcall(proc.run, { argv = { "gnuplot", "--version" }, keep_stdout = true })
    if not (ok and r and r.ok) then
      assert.truthy(page:find('<figure data-chart="latency" data-missing="true">', 1, true))
      pending("gnuplot is not installed (Debian gnuplot-nox): the charts are not drawn")
      return
    end
    for _, id in ipairs { "latency", "memory-timeline" } do
      local i = page:find('<figure data-chart="' .. id .. '"', 1, true)
      assert.truthy(i, id)
      assert.truthy(page:find("<svg", i, true))
    end
    for _, t in ipairs { "50%", "90%", "99%", "max", "RSS", "PSS", "server memory", "latency (histogram)" } do
      assert.truthy(page:find("<text>" .. t .. "</text>", 1, true), t)
    end
    -- the page names the URL loaded, but has no link: the only "http" is that text
    local n = select(2, page:gsub("http://", ""))
    assert.are.equal(1, n)
    assert.truthy(page:find("<p>load of http://127.0.0.1:8080/</p>", 1, true))
    assert.is_nil(load.html(result(false)):find('data-chart="memory-timeline"', 1, true))
    -- the phases of a keyed timeline are marked on the chart
    local np = load.html(nested())
    local i = np:find('<figure data-chart="memory-timeline"', 1, true)
    assert.truthy(i and np:find("<text>phase 1</text>", i, true) and np:find("<text>before</text>", i, true))
  end)
end)
