-- gate.lua: the bootstrap interval, the verdicts, baselines on disk, and the gate end to end
-- (hotpath run --save/--baseline, hotpath compare) on a command whose time an env var sets.
local helper = require "helper"
local gate = require "hotpath.gate"
local cjson = require "cjson"

local FIX = "spec/fixtures/scenarios/"

-- A document with one scenario per entry: { id, times, kb = peaks, rps = list }.
local function doc(list, machine)
  local d = { scenarios = {}, machine = machine or { cpu_model = "X", cores = 2, runtime = "Lua 5.4", backend = "lua54", hotpath = "0.1.0" } }
  for _, s in ipairs(list) do
    local runs = { { ok = true, warmup = true, run_s = 99, maxrss_kb = 99 } } -- a warm-up never counts
    for i, t in ipairs(s.times) do
      runs[#runs + 1] = { ok = true, run_s = t, maxrss_kb = s.kb and s.kb[i] or 1000,
        metrics = s.rps and { rps = s.rps[i], p99_ms = s.p99 and s.p99[i] } or nil }
    end
    d.scenarios[#d.scenarios + 1] = { id = s.id, ok = s.ok ~= false, skipped = s.skipped, mode = s.mode or "full", runs = runs }
  end
  return d
end

local function row(cmp, id, measure)
  for _, r in ipairs(cmp.rows) do
    if r.id == id and r.measure == measure then return r end
  end
end

describe("gate", function()
  it("draws the same numbers under both runtimes (Park-Miller, exact in doubles)", function()
    local r = gate.rng(1)
    assert.are.same({ 1, 14, 76, 458651 }, { r(100), r(100), r(100), r(1000000) })
  end)

  it("gives the same interval for the same runs, under both runtimes", function()
    local b = gate.bootstrap({ 10, 11, 12, 10.5, 11.5 }, { 20, 22, 21, 23, 20.5 })
    assert.are.equal(21 / 11, b.ratio)
    assert.are.equal(40 / 23, b.lo)
    assert.are.equal(23 / 10.5, b.hi)
    local again = gate.bootstrap({ 10, 11, 12, 10.5, 11.5 }, { 20, 22, 21, 23, 20.5 })
    assert.are.same(b, again)
  end)

  local bootstraps = {
    { "identical runs", { 1, 1, 1 }, { 1, 1, 1 }, { ratio = 1, lo = 1, hi = 1 } },
    { "too few runs: no interval", { 2, 2 }, { 2, 4, 6 }, { ratio = 2 } },
    { "a zero median: nothing to compare", { 0, 0, 0 }, { 1, 1, 1 }, nil },
  }
  for _, c in ipairs(bootstraps) do
    it("bootstrap: " .. c[1], function()
      assert.are.same(c[4], gate.bootstrap(c[2], c[3]))
    end)
  end

  -- id, old times, new times, expected verdict of time, regression
  local verdicts = {
    { "2x slower", { 10, 10.2, 9.9, 10.1, 10 }, { 20, 20.3, 19.8, 20.1, 20 }, "slower", true },
    { "unchanged", { 10, 10.2, 9.9, 10.1, 10 }, { 10.1, 10, 9.9, 10.2, 10 }, "unchanged", false },
    { "2x faster", { 20, 20.3, 19.8, 20.1, 20 }, { 10, 10.2, 9.9, 10.1, 10 }, "faster", false },
    -- 8 % slower in the median, but the runs overlap: not significant
    { "noisy 8 %", { 10, 14, 8, 12, 9 }, { 10.8, 15, 8.6, 13, 9.7 }, "unchanged", false },
    { "3 % slower, significant but under the threshold", { 10, 10, 10, 10, 10 }, { 10.3, 10.3, 10.3, 10.3, 10.3 }, "unchanged", false },
    { "2 runs a side", { 10, 10 }, { 20, 20 }, "too few runs", false },
  }
  for _, c in ipairs(verdicts) do
    it("verdict: " .. c[1], function()
      local cmp = gate.compare(doc { { id = "s/a", times = c[2] } }, doc { { id = "s/a", times = c[3] } })
      local r = row(cmp, "s/a", "time")
      assert.are.equal(c[4], r.verdict)
      assert.are.equal(c[5], r.regression)
      assert.are.equal(c[5] and 1 or 0, cmp.regressions)
      assert.are.equal(0.05, cmp.threshold)
      assert.are.same({ "time", "memory" }, { cmp.rows[1].measure, cmp.rows[2].measure })
    end)
  end

  it("takes a threshold: 3 % passes at 5 %, fails at 2 %", function()
    local a, b = doc { { id = "s/a", times = { 10, 10, 10 } } }, doc { { id = "s/a", times = { 10.3, 10.3, 10.3 } } }
    assert.are.equal(0, gate.compare(a, b).regressions)
    assert.are.equal(1, gate.compare(a, b, { threshold = 0.02 }).regressions)
  end)

  it("gates memory (larger), rps (lower is slower) and p99", function()
    local old = doc { { id = "h/x", times = { 1, 1, 1 }, kb = { 1000, 1000, 1000 }, rps = { 1000, 1010, 990 }, p99 = { 1, 1, 1 } } }
    local new = doc { { id = "h/x", times = { 1, 1, 1 }, kb = { 2000, 2000, 2000 }, rps = { 500, 505, 495 }, p99 = { 0.5, 0.5, 0.5 } } }
    local cmp = gate.compare(old, new)
    assert.are.equal("unchanged", row(cmp, "h/x", "time").verdict)
    assert.are.equal("larger", row(cmp, "h/x", "memory").verdict)
    assert.are.equal("slower", row(cmp, "h/x", "rps").verdict)
    assert.are.equal("faster", row(cmp, "h/x", "p99").verdict)
    assert.are.equal(2, cmp.regressions)
    assert.are.equal(-50, row(cmp, "h/x", "rps").change_pct)
  end)

  it("lists scenarios on one side only and skips failed or skipped ones", function()
    local old = doc { { id = "s/gone", times = { 1, 1, 1 } }, { id = "s/failed", times = { 1, 1, 1 } }, { id = "s/skip", times = { 1, 1, 1 } } }
    local new = doc { { id = "s/new", times = { 1, 1, 1 } }, { id = "s/failed", times = { 1, 1, 1 }, ok = false }, { id = "s/skip", times = {}, skipped = "no Go" } }
    local cmp = gate.compare(old, new)
    assert.are.same({ "s/gone" }, cmp.missing)
    assert.are.same({ "s/new" }, cmp.added)
    assert.are.same({}, cmp.rows)
  end)

  it("warns about another machine, runtime or mode", function()
    local a = doc({ { id = "s/a", times = { 1, 1, 1 } } }, { cpu_model = "A", cores = 2, runtime = "Lua 5.4" })
    local b = doc({ { id = "s/a", times = { 1, 1, 1 }, mode = "quick" } }, { cpu_model = "B", cores = 2, runtime = "LuaJIT 2.1" })
    assert.are.same({
      "the baseline was measured with another CPU (A, now B): changes may come from that, not from the code",
      "the baseline was measured with another runtime (Lua 5.4, now LuaJIT 2.1): changes may come from that, not from the code",
      "s/a: the baseline ran the full sizes, this run the quick sizes",
    }, gate.compare(a, b).warnings)
  end)

  local thresholds = {
    { "5%", 0.05 }, { "5", 0.05 }, { "12.5 %", 0.125 }, { "0%", 0 },
    { "x", nil, "--fail-if-slower needs a percentage such as 5%, got 'x'" },
    { "-5%", nil, "--fail-if-slower needs a percentage such as 5%, got '-5%'" },
    { "5%%", nil, "--fail-if-slower needs a percentage such as 5%, got '5%%'" },
  }
  for _, c in ipairs(thresholds) do
    it("parses the threshold " .. c[1], function()
      local t, err = gate.parse_threshold(c[1])
      assert.are.equal(c[2], t)
      assert.are.equal(c[3], err)
    end)
  end

  local paths = {
    { "main", ".hotpath/baselines/main.json" }, { "out/main.json", "out/main.json" },
    { "x.json", "x.json" }, { "/tmp/b", "/tmp/b" },
  }
  for _, c in ipairs(paths) do
    it("finds baseline " .. c[1] .. " at " .. c[2], function()
      assert.are.equal(c[2], gate.path(c[1]))
    end)
  end

  it("loads only result documents", function()
    local dir = helper.tmpdir()
    helper.write(dir .. "/bad.json", "{")
    helper.write(dir .. "/other.json", "[1]")
    local d, err = gate.load(dir .. "/none.json")
    assert.is_nil(d)
    assert.are.equal("cannot read " .. dir .. "/none.json: No such file or directory", err)
    d, err = gate.load(dir .. "/bad.json")
    assert.is_nil(d)
    assert.truthy(err:find("^" .. dir .. "/bad.json: not a JSON document: "))
    d, err = gate.load(dir .. "/other.json")
    assert.are.equal(dir .. "/other.json: not a hotpath result (no scenarios)", err)
    helper.rmdir(dir)
  end)

  -- End to end: a command sleeping 0.1 s, saved; the same again (exit 0), then 0.2 s (exit 1).
  -- The threshold is 40 %, and 9 runs a side: a 2x slowdown is far beyond it, and a busy
  -- machine's noise on an unchanged rerun stays well under it (at a load average of 10 on 2
  -- cores, a 0.02 s sleep took 41 ms: wake-up delays are tens of ms, small against 0.1 s).
  it("exits 1 on a scenario made 2x slower and 0 on an unchanged rerun", function()
    local dir = helper.tmpdir()
    local args = { "run", helper.root .. "/" .. FIX .. "sleepy.lua", "--filter", "/sleep$", "--runs", "9", "--warmup", "1" }
    local function run(sleep, extra)
      local a = {}
      for _, x in ipairs(args) do a[#a + 1] = x end
      for _, x in ipairs(extra) do a[#a + 1] = x end
      return helper.cli(a, { env = { HOTPATH_SPEC_SLEEP = sleep }, cwd = dir })
    end
    local r = run("0.1", { "--save", "main" })
    assert.are.equal(0, r.exit_code, r.stderr)
    assert.truthy(r.stdout:find("baseline saved: .hotpath/baselines/main.json\n", 1, true))
    local saved = cjson.decode(helper.read(dir .. "/.hotpath/baselines/main.json"))
    assert.are.equal("sleepy/sleep", saved.scenarios[1].id)

    r = run("0.1", { "--baseline", "main", "--fail-if-slower", "40%", "--export-json", dir .. "/same.json" })
    assert.are.equal(0, r.exit_code, r.stdout .. r.stderr)
    assert.truthy(r.stdout:find("Compared with baseline main", 1, true))
    assert.truthy(r.stdout:find("0 regression(s) beyond 40.0 % with significance", 1, true))
    local same = cjson.decode(helper.read(dir .. "/same.json"))
    assert.are.equal("main", same.baseline.name)
    assert.are.equal(0, same.compare.regressions)

    r = run("0.2", { "--baseline", "main", "--fail-if-slower", "40%", "--export-json", dir .. "/slow.json" })
    assert.are.equal(1, r.exit_code, r.stdout .. r.stderr)
    assert.truthy(r.stdout:find("1 regression(s) beyond 40.0 % with significance", 1, true))
    assert.truthy(r.stdout:match("sleepy/sleep time [^\n]+ slower  <%-%- REGRESSION"))
    local slow = cjson.decode(helper.read(dir .. "/slow.json"))
    local t = slow.compare.rows[1]
    assert.are.equal("time", t.measure)
    assert.is_true(t.regression)
    assert.is_true(t.lo > 1.2 and t.ratio > 1.5, t.lo)

    -- the two exports compared by hotpath compare: the same verdicts, both ways
    r = helper.cli({ "compare", ".hotpath/baselines/main.json", "slow.json", "--fail-if-slower", "40%" }, { cwd = dir })
    assert.are.equal(1, r.exit_code, r.stderr)
    assert.truthy(r.stdout:find("1 regression(s) beyond 40.0 % with significance", 1, true))
    r = helper.cli({ "compare", "main", "same.json", "--fail-if-slower", "40%" }, { cwd = dir })
    assert.are.equal(0, r.exit_code, r.stderr)
    r = helper.cli({ "compare", "slow.json", "main", "--fail-if-slower", "40%" }, { cwd = dir })
    assert.are.equal(0, r.exit_code, r.stderr)
    assert.truthy(r.stdout:match("sleepy/sleep time [^\n]+ faster"))
    helper.rmdir(dir)
  end)

  it("reports an export it cannot write, after the run, with exit 1", function()
    local r = helper.cli { "run", FIX .. "sleepy.lua", "--filter", "/sleep$", "--runs", "1", "--export-csv", "/nonexistent/dir/r.csv" }
    assert.are.equal(1, r.exit_code)
    assert.are.equal("hotpath: cannot write /nonexistent/dir/r.csv: No such file or directory\n", r.stderr)
    local f = io.open("/nonexistent/dir", "r")
    assert.is_nil(f) -- no folder made for an export
  end)

  local usage = {
    { { "compare", "a.json" }, "hotpath: compare needs two results: OLD NEW\nsee 'hotpath compare --help'\n", 2 },
    { { "compare", "a.json", "b.json", "--fail-if-slower", "lots" }, "hotpath: --fail-if-slower needs a percentage such as 5%, got 'lots'\nsee 'hotpath compare --help'\n", 2 },
    { { "compare", "/nonexistent/a.json", "b.json" }, "hotpath: cannot read /nonexistent/a.json: No such file or directory\n", 2 },
    { { "run", "--fail-if-slower", "5%" }, "hotpath: --fail-if-slower applies to --baseline\nsee 'hotpath run --help'\n", 2 },
    { { "run", "--baseline", "/nonexistent/b.json" }, "hotpath: baseline /nonexistent/b.json: cannot read /nonexistent/b.json: No such file or directory\n", 2 },
  }
  for _, c in ipairs(usage) do
    it("rejects " .. table.concat(c[1], " "), function()
      local r = helper.cli(c[1])
      assert.are.equal(c[3], r.exit_code)
      assert.are.equal(c[2], r.stderr)
    end)
  end
end)
