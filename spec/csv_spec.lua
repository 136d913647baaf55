-- report/csv.lua: quoting, parsing back, and the run and compare exports against the JSON of
-- the same run: the same figures, digit for digit.
local helper = require "helper"
local csv = require "hotpath.report.csv"
local cjson = require "cjson"

local FIX = "spec/fixtures/scenarios/"

-- The rows of CSV text as tables keyed by the header.
local function records(text)
  local rows = csv.parse(text)
  local head, out = rows[1], {}
  for i = 2, #rows do
    local r = {}
    for j, h in ipairs(head) do r[h] = rows[i][j] end
    assert.are.equal(#head, #rows[i])
    out[#out + 1] = r
  end
  return head, out
end

-- A CSV cell against the JSON value: the same number, or both absent.
local function same(cell, v, what)
  if v == nil or v == cjson.null then
    assert.are.equal("", cell, what)
  else
    assert.are.equal(v, tonumber(cell), what)
  end
end

describe("csv", function()
  local fields = {
    { "plain", "plain" }, { "a,b", '"a,b"' }, { 'say "hi"', '"say ""hi"""' }, { "two\nlines", '"two\nlines"' },
    { 3, "3" }, { 0.1, "0.1" }, { 1 / 3, "0.3333333333333333" }, { 1e-05, "1e-05" }, { nil, "" }, { true, "true" },
    { 0 / 0, "" },
  }
  for i, c in ipairs(fields) do
    it("writes field " .. i .. " as " .. c[2], function()
      assert.are.equal(c[2], csv.field(c[1]))
    end)
  end

  it("parses back what it writes", function()
    local text = 'a,b,c\n"x,y","say ""hi""",\n"two\nlines",3,0.1\n'
    assert.are.same({ { "a", "b", "c" }, { "x,y", 'say "hi"', "" }, { "two\nlines", "3", "0.1" } }, csv.parse(text))
  end)

  it("carries the figures of the JSON export of the same run", function()
    local dir = helper.tmpdir()
    local r = helper.cli { "run", FIX .. "sleepy.lua", FIX .. "good.lua", "--runs", "2", "--json", dir .. "/r.json", "--export-csv", dir .. "/r.csv" }
    assert.are.equal(0, r.exit_code, r.stderr)
    assert.truthy(r.stdout:find("csv report: " .. dir .. "/r.csv\n", 1, true))
    local doc = cjson.decode(helper.read(dir .. "/r.json"))
    local head, rows = records(helper.read(dir .. "/r.csv"))
    local want = {}
    for i, h in ipairs(csv.RUN_HEADER) do want[i] = h end
    want[#want + 1] = "metric_items"
    assert.are.same(want, head)
    assert.are.equal(#doc.scenarios, #rows)
    for i, sc in ipairs(doc.scenarios) do
      local row, s = rows[i], sc.summary
      assert.are.equal(sc.id, row.id)
      assert.are.equal(sc.suite, row.suite)
      assert.are.equal(sc.name, row.scenario)
      assert.are.equal("ok", row.status)
      same(row.runs, s.run_s.n, "runs")
      same(row.best_s, s.run_s.best, sc.id .. " best")
      same(row.median_s, s.run_s.median, sc.id .. " median")
      same(row.min_s, s.run_s.min)
      same(row.max_s, s.run_s.max)
      same(row.mad_s, s.run_s.mad)
      same(row.spread_pct, s.run_s.spread_pct)
      same(row.wall_median_s, s.wall.median)
      same(row.cpu_median_s, s.cpu.median)
      same(row.peak_rss_median_kb, s.maxrss_kb.median)
      same(row.peak_rss_min_kb, s.maxrss_kb.min)
      same(row.peak_rss_max_kb, s.maxrss_kb.max)
      same(row.metric_items, s.metrics and s.metrics.items and s.metrics.items.median)
    end
    assert.are.equal("n=1000", rows[2].params)
    assert.are.equal("word=hello", rows[#rows].params)
    helper.rmdir(dir)
  end)

  it("exports a comparison with the figures of its JSON", function()
    local dir = helper.tmpdir()
    local r = helper.cli { "run", FIX .. "sleepy.lua", "--filter", "fill", "--runs", "3", "--json", dir .. "/a.json" }
    assert.are.equal(0, r.exit_code, r.stderr)
    r = helper.cli { "compare", dir .. "/a.json", dir .. "/a.json", "--export-csv", dir .. "/c.csv", "--export-json", dir .. "/c.json" }
    assert.are.equal(0, r.exit_code, r.stderr)
    local cmp = cjson.decode(helper.read(dir .. "/c.json")).compare
    local head, rows = records(helper.read(dir .. "/c.csv"))
    assert.are.same(csv.COMPARE_HEADER, head)
    assert.are.equal(6, #rows) -- 3 points x time and memory
    for i, c in ipairs(cmp.rows) do
      local row = rows[i]
      assert.are.equal(c.id, row.id)
      assert.are.equal(c.measure, row.measure)
      same(row.old_median, c.old)
      same(row.new_median, c.new)
      same(row.ratio, c.ratio)
      same(row.ci_low, c.lo)
      same(row.ci_high, c.hi)
      same(row.change_pct, c.change_pct)
      assert.are.equal("unchanged", row.verdict) -- a file compared with itself
      assert.are.equal("1", row.ratio)
      assert.are.equal("false", row.regression)
    end
    helper.rmdir(dir)
  end)
end)
