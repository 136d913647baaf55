-- report/markdown.lua: tables that parse, escaped cells, and the run and compare exports
-- against the JSON of the same run (the same figures, rounded as the columns say).
local helper = require "helper"
local md = require "hotpath.report.markdown"
local cjson = require "cjson"

local FIX = "spec/fixtures/scenarios/"

describe("markdown", function()
  it("writes a table that parses back, pipes escaped", function()
    local t = md.table({ "a", "b" }, { { "x|y", 1 }, { "two\nlines", nil } }, { nil, "r" })
    assert.are.equal("| a | b |\n| --- | ---: |\n| x\\|y | 1 |\n| two lines | - |", t)
    local head, rows = md.parse("intro\n\n" .. t .. "\n\nafter\n")
    assert.are.same({ "a", "b" }, head)
    assert.are.same({ { "x|y", "1" }, { "two lines", "-" } }, rows)
  end)

  local numbers = {
    { md.ms, 0.0123456, "12.346" }, { md.ms, nil, "-" }, { md.mb, 1536, "1.50" }, { md.pct, 4.96, "+5.0%" },
    { md.pct, -12.34, "-12.3%" },
  }
  for i, c in ipairs(numbers) do
    it("formats figure " .. i .. " as " .. c[3], function()
      assert.are.equal(c[3], c[1](c[2]))
    end)
  end

  it("carries the figures of the JSON export of the same run", function()
    local dir = helper.tmpdir()
    local r = helper.cli { "run", FIX .. "sleepy.lua", "--runs", "2", "--json", dir .. "/r.json", "--export-markdown", dir .. "/r.md" }
    assert.are.equal(0, r.exit_code, r.stderr)
    local doc = cjson.decode(helper.read(dir .. "/r.json"))
    local text = helper.read(dir .. "/r.md")
    local head, rows = md.parse(text)
    assert.are.same({ "suite", "scenario", "params", "status", "runs", "best (ms)", "median (ms)", "spread", "peak RSS (MB)" }, head)
    assert.are.equal(#doc.scenarios, #rows)
    for i, sc in ipairs(doc.scenarios) do
      local s = sc.summary
      assert.are.same({
        sc.suite, sc.name, sc.scan and string.format("n=%d", sc.scan.n) or "", "ok", string.format("%d", s.run_s.n),
        string.format("%.3f", s.run_s.best * 1e3), string.format("%.3f", s.run_s.median * 1e3),
        string.format("%.1f%%", s.run_s.spread_pct), string.format("%.2f", s.maxrss_kb.median / 1024),
      }, rows[i])
    end
    -- and the scan's fit, after the scenarios
    local scans = text:match("\n(| scan |.*)$")
    local shead, srows = md.parse(scans)
    assert.are.same({ "scan", "values", "time exponent", "time class", "memory exponent", "memory class" }, shead)
    local f = doc.scans[1]
    assert.are.same({ "sleepy/fill", "n = 1000, 2000, 4000", string.format("%.2f", f.time_fit.exponent), f.time_fit.class,
      string.format("%.2f", f.memory_fit.exponent), f.memory_fit.class }, srows[1])
    helper.rmdir(dir)
  end)

  it("exports a comparison with the figures of its JSON", function()
    local dir = helper.tmpdir()
    local r = helper.cli { "run", FIX .. "sleepy.lua", "--filter", "/sleep$", "--runs", "3", "--json", dir .. "/a.json" }
    assert.are.equal(0, r.exit_code, r.stderr)
    r = helper.cli { "compare", dir .. "/a.json", dir .. "/a.json", "--export-markdown", dir .. "/c.md", "--export-json", dir .. "/c.json" }
    assert.are.equal(0, r.exit_code, r.stderr)
    local cmp = cjson.decode(helper.read(dir .. "/c.json")).compare
    local text = helper.read(dir .. "/c.md")
    local head, rows = md.parse(text)
    assert.are.same({ "scenario", "measure", "old", "new", "change", "95% CI", "verdict" }, head)
    local t = cmp.rows[1]
    assert.are.same({ "sleepy/sleep", "time", md.ms(t.old) .. " ms", md.ms(t.new) .. " ms", "+0.0%", md.pct(t.lo_pct) .. " .. " .. md.pct(t.hi_pct), "unchanged" }, rows[1])
    local m = cmp.rows[2]
    assert.are.same({ "sleepy/sleep", "memory", md.mb(m.old) .. " MB", md.mb(m.new) .. " MB", "+0.0%", md.pct(m.lo_pct) .. " .. " .. md.pct(m.hi_pct), "unchanged" }, rows[2])
    assert.truthy(text:find("\nthreshold 5.0%; 0 regression(s)\n", 1, true))
    helper.rmdir(dir)
  end)
end)
