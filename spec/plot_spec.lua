-- report/plot.lua: the gnuplot scripts' data, the SVG made fit to inline, and a chart drawn
-- by gnuplot when it is installed.
local plot = require "hotpath.report.plot"
local proc = require "hotpath.proc"

local function have_gnuplot()
  local ok, r = pcall(proc.run, { argv = { "gnuplot", "--version" }, keep_stdout = true })
  return ok and r and r.ok
end

describe("plot", function()
  local quotes = {
    { "plain", '"plain"' }, { 'a "b"', "\"a 'b'\"" }, { "back\\slash", "\"back'slash\"" }, { "tab\there", '"tab here"' },
    { 12, '"12"' },
  }
  for _, c in ipairs(quotes) do
    it("quotes " .. tostring(c[1]), function()
      assert.are.equal(c[2], plot.quote(c[1]))
    end)
  end

  it("writes datablocks, NaN for a missing value", function()
    assert.are.equal('$d << EOD\n"a b" 1.5 0.001\n"c" NaN 3\nEOD', plot.datablock("$d", { { "a b", 1.5, 0.001 }, { "c", 0 / 0, 3 } }))
  end)

  it("makes an SVG fit to inline: no prolog, no namespace URL, ids prefixed, its title", function()
    local svg = [[<?xml version="1.0" encoding="utf-8"  standalone="no"?>
<svg 
 width="600" height="300"
 viewBox="0 0 600 300"
 xmlns="http://www.w3.org/2000/svg"
 xmlns:xlink="http://www.w3.org/1999/xlink"
>
<title>Gnuplot</title>
<desc>Produced by GNUPLOT 5.4 patchlevel 4 </desc>
<g id="gnuplot_canvas"><defs><circle id='gpDot' r='0.5'/></defs><use xlink:href='#gpDot' x='1'/><rect fill="url(#grad)"/></g></svg>]]
    local out = plot.inline(svg, "c3", "time & <memory> 5%")
    assert.are.equal([[<svg class="chart" width="600" height="300" role="img"
 viewBox="0 0 600 300"
>
<title>time &amp; &lt;memory&gt; 5%</title>

<g id="c3_gnuplot_canvas"><defs><circle id='c3_gpDot' r='0.5'/></defs><use xlink:href='#c3_gpDot' x='1'/><rect fill="url(#c3_grad)"/></g></svg>]], out)
  end)

  it("writes a bar chart script with the values as labels", function()
    local s = plot.bars({ { label = "a", value = 2, lo = 1, hi = 3, text = "2 ms" } }, { title = "t", ylabel = "ms" })
    assert.truthy(s:find('$d << EOD\n"a" 2 1 3 "2 ms"\nEOD', 1, true))
    assert.truthy(s:find("set terminal svg size 560,340", 1, true))
    assert.truthy(s:find("set yrange [0:*]", 1, true))
    assert.truthy(plot.bars({}, { logscale = true }):find("set logscale y", 1, true))
  end)

  it("leaves out of grouped bars a series without a value (gnuplot refuses an empty column)", function()
    local s = plot.grouped({ "a", "b" }, { { name = "ours", values = { 1, 2 } }, { name = "Go", values = {} },
      { name = "Rust", values = { nil, 3 } } }, { title = "t" })
    assert.truthy(s:find('$d << EOD\n"a" 1 NaN\n"b" 2 3\nEOD', 1, true), s)
    assert.truthy(s:find('plot $d using 2:xtic(1) title "ours" lt 1, $d using 3 title "Rust" lt 2', 1, true), s)
    if have_gnuplot() then assert.truthy(plot.render(s)) end
  end)

  it("draws a chart with gnuplot", function()
    if not have_gnuplot() then
      pending("gnuplot is not installed (Debian gnuplot-nox): no chart drawn")
      return
    end
    assert.is_true(plot.available())
    assert.truthy(plot.version:match("^gnuplot %d"))
    local svg = assert(plot.render(plot.bars({
      { label = "first", value = 12.5, lo = 11, hi = 14, text = "12.5 ms" },
      { label = "second", value = 3, lo = 2.5, hi = 3.5, text = "3.0 ms" },
    }, { title = "a title", ylabel = "ms" })))
    local out = plot.inline(svg, "c1", "caption")
    assert.truthy(out:match("^<svg class=\"chart\""))
    for _, t in ipairs { "12.5 ms", "3.0 ms", "first", "second", "a title" } do
      assert.truthy(out:find("<text>" .. t .. "</text>", 1, true), t)
    end
    assert.is_nil(out:find("http", 1, true))
    assert.is_nil(out:find(" id=['\"]gp"))
  end)

  it("says why when gnuplot fails on a script", function()
    if not have_gnuplot() then
      pending("gnuplot is not installed (Debian gnuplot-nox)")
      return
    end
    local svg, err = plot.render("set terminal svg\nplot $nothing using 1:2")
    assert.is_nil(svg)
    assert.truthy(err:match("^gnuplot failed: exited 1 "), err)
  end)
end)
