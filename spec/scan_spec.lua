-- scan.lua: --param parsing, the points of a scan, the power-law and complexity fit on
-- synthetic data, and scans end to end (a scenario file's list parameter, --param on a
-- --command with {n}).
local helper = require "helper"
local scan = require "hotpath.scan"
local cjson = require "cjson"

local FIX = "spec/fixtures/scenarios/"

describe("scan", function()
  local params = {
    { "n=1000,2000,4000", "n", { 1000, 2000, 4000 } },
    { "size=small,large", "size", { "small", "large" } },
    { "n=5", "n", { 5 } },
    { "n=0x10,1e3", "n", { 16, 1000 } },
    { "n", nil, "--param needs NAME=V1,V2,..., got 'n'" },
    { "=1,2", nil, "--param needs NAME=V1,V2,..., got '=1,2'" },
    { "1n=1", nil, "--param needs NAME=V1,V2,..., got '1n=1'" },
    { "n=1,,2", nil, "--param 'n=1,,2': an empty value" },
    { "n=1,", nil, "--param 'n=1,': an empty value" },
  }
  for _, c in ipairs(params) do
    it("parses --param " .. c[1], function()
      local k, v = scan.parse_param(c[1])
      assert.are.equal(c[2], k)
      assert.are.same(c[3], v)
    end)
  end

  local lists = {
    { { 1, 2 }, true }, { { "a" }, true }, { {}, false }, { 5, false }, { { 1, { 2 } }, false },
    { { 1, x = 2 }, false },
  }
  for i, c in ipairs(lists) do
    it("tells a scan from a plain table (" .. i .. ")", function()
      assert.are.equal(c[2], scan.is_list(c[1]))
    end)
  end

  it("makes one point per value, and per combination of two lists", function()
    assert.are.same({ { params = { n = 5, m = "x" } } }, scan.points({ n = 5, m = "x" }))
    assert.are.same({
      { params = { n = 1, m = "x" }, scan = { n = 1 } },
      { params = { n = 2, m = "x" }, scan = { n = 2 } },
    }, scan.points({ n = { 1, 2 }, m = "x" }))
    assert.are.same({
      { params = { a = 1, b = 10 }, scan = { a = 1, b = 10 } },
      { params = { a = 1, b = 20 }, scan = { a = 1, b = 20 } },
      { params = { a = 2, b = 10 }, scan = { a = 2, b = 10 } },
      { params = { a = 2, b = 20 }, scan = { a = 2, b = 20 } },
    }, scan.points({ a = { 1, 2 }, b = { 10, 20 } }))
    assert.are.equal("a=2,b=20", scan.label { a = 2, b = 20 })
  end)

  it("overrides with --param only the parameters a scenario has, unless told to add them", function()
    assert.are.same({ { params = { m = 1 } } }, scan.points({ m = 1 }, { n = { 1, 2 } }))
    assert.are.same(2, #scan.points({ m = 1 }, { n = { 1, 2 } }, true))
    assert.are.same({ { params = { n = 7 }, scan = { n = 7 } } }, scan.points({ n = 3 }, { n = { 7 } }))
  end)

  -- synthetic data: y = c * f(n) exactly, and the class and exponent it should give
  local N = { 1000, 2000, 4000, 8000, 16000, 32000 }
  local fits = {
    { "O(1)", function() return 5 end, 0 },
    { "O(log n)", function(n) return 2 * math.log(n) end, nil },
    { "O(n)", function(n) return 3e-6 * n end, 1 },
    { "O(n log n)", function(n) return 1e-7 * n * math.log(n) end, nil },
    { "O(n^2)", function(n) return 1e-9 * n * n end, 2 },
    { "O(n^3)", function(n) return 1e-12 * n ^ 3 end, 3 },
  }
  for _, c in ipairs(fits) do
    it("fits " .. c[1] .. " on synthetic data", function()
      local ys = {}
      for i, n in ipairs(N) do ys[i] = c[2](n) end
      local f = assert(scan.fit(N, ys))
      assert.are.equal(c[1], f.class)
      assert.is_true(f.rms < 1e-9, f.rms)
      if c[3] then assert.is_true(math.abs(f.exponent - c[3]) < 1e-9, f.exponent) end
    end)
  end

  it("fits n log n between 1 and 2, and noisy linear data as O(n)", function()
    local ys, noisy = {}, {}
    local wobble = { 1.04, 0.97, 1.02, 0.99, 1.03, 0.96 }
    for i, n in ipairs(N) do ys[i] = n * math.log(n); noisy[i] = 2e-6 * n * wobble[i] end
    local f = scan.fit(N, ys)
    assert.is_true(f.exponent > 1.05 and f.exponent < 1.2, f.exponent)
    local g = scan.fit(N, noisy)
    assert.are.equal("O(n)", g.class)
    assert.is_true(math.abs(g.exponent - 1) < 0.05, g.exponent)
  end)

  local bad = {
    { { 1 }, { 1 }, "a fit needs at least 2 points" },
    { { 1, 2 }, { 1 }, "a fit needs at least 2 points" },
    { { 1, 2 }, { 0, 1 }, "a fit needs positive numbers" },
    { { 2, 2 }, { 1, 3 }, "a fit needs at least 2 distinct values" },
  }
  for i, c in ipairs(bad) do
    it("refuses a fit it cannot make (" .. i .. ")", function()
      local f, err = scan.fit(c[1], c[2])
      assert.is_nil(f)
      assert.are.equal(c[3], err)
    end)
  end

  it("runs a list parameter once per value, each child with its value", function()
    local dir = helper.tmpdir()
    local r = helper.cli { "run", FIX .. "sleepy.lua", "--filter", "fill", "--runs", "2", "--json", dir .. "/out.json" }
    assert.are.equal(0, r.exit_code, r.stderr)
    local doc = cjson.decode(helper.read(dir .. "/out.json"))
    local ids, ns, items = {}, {}, {}
    for i, sc in ipairs(doc.scenarios) do
      ids[i], ns[i], items[i] = sc.id, sc.scan.n, sc.summary.metrics.items.median
      assert.are.equal(2, #sc.runs - 1) -- and the warm-up
    end
    assert.are.same({ "sleepy/fill[n=1000]", "sleepy/fill[n=2000]", "sleepy/fill[n=4000]" }, ids)
    assert.are.same({ 1000, 2000, 4000 }, ns)
    assert.are.same({ 50000, 100000, 200000 }, items) -- the child ran with p.n of its point
    assert.are.equal(1, #doc.scans)
    assert.are.equal("sleepy/fill", doc.scans[1].id)
    assert.are.equal("n", doc.scans[1].key)
    assert.are.equal(3, #doc.scans[1].points)
    assert.truthy(doc.scans[1].time_fit.class:match("^O%("))
    assert.truthy(r.stdout:find("\nParameter scans", 1, true))
    assert.truthy(r.stdout:match("\n    time grows as n%^%-?%d+%.%d%d, nearest class O%("))
    -- --param replaces the list
    r = helper.cli { "run", FIX .. "sleepy.lua", "--filter", "fill", "--runs", "1", "--param", "n=10,20", "--json", dir .. "/p.json" }
    assert.are.equal(0, r.exit_code, r.stderr)
    doc = cjson.decode(helper.read(dir .. "/p.json"))
    assert.are.same({ "sleepy/fill[n=10]", "sleepy/fill[n=20]" }, { doc.scenarios[1].id, doc.scenarios[2].id })
    assert.are.equal(1000, doc.scenarios[2].summary.metrics.items.median)
    helper.rmdir(dir)
  end)

  it("scans a --command with {n}, each value its own process and result", function()
    local dir = helper.tmpdir()
    local r = helper.cli { "run", "--command", "printf %s {n}", "--param", "n=7,8,9", "--runs", "1", "--warmup", "0", "--json", dir .. "/c.json" }
    assert.are.equal(0, r.exit_code, r.stderr)
    local doc = cjson.decode(helper.read(dir .. "/c.json"))
    local got = {}
    for i, sc in ipairs(doc.scenarios) do got[i] = { sc.id, sc.output.bytes, sc.params.n } end
    assert.are.same({
      { "commands/printf %s {n}[n=7]", 1, 7 }, { "commands/printf %s {n}[n=8]", 1, 8 }, { "commands/printf %s {n}[n=9]", 1, 9 },
    }, got)
    -- the digests differ: each ran with its own value
    assert.are_not.equal(doc.scenarios[1].output.digest, doc.scenarios[2].output.digest)
    helper.rmdir(dir)
  end)

  local usage = {
    { { "run", "--param", "n" }, "hotpath: --param needs NAME=V1,V2,..., got 'n'\nsee 'hotpath run --help'\n", 2 },
    { { "run", "--param", "n=1", "--param", "n=2" }, "hotpath: --param n given twice\nsee 'hotpath run --help'\n", 2 },
    { { "run", "--command", "true", "--param", "n=1" }, "hotpath: --param n: no --command has {n}\nsee 'hotpath run --help'\n", 2 },
  }
  for _, c in ipairs(usage) do
    it("rejects " .. table.concat(c[1], " "), function()
      local r = helper.cli(c[1])
      assert.are.equal(c[3], r.exit_code)
      assert.are.equal(c[2], r.stderr)
    end)
  end

  it("fails a --param no scenario has", function()
    local r = helper.cli { "run", FIX .. "sleepy.lua", "--filter", "/sleep$", "--runs", "1", "--param", "zz=1,2" }
    assert.are.equal(1, r.exit_code)
    assert.truthy(r.stdout:find("--param zz: no scenario run has a parameter 'zz'", 1, true))
  end)
end)
