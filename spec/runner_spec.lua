-- The pieces behind `hotpath run`: the scenario DSL, statistics, the child's report format,
-- the JSON report encoder.
local hp = require "hotpath"
local helper = require "helper"
local runner = require "hotpath.runner"
local stats = require "hotpath.stats"
local serial = require "hotpath.serial"
local scenario = require "hotpath.scenario"
local json = require "hotpath.report.json"
local terminal = require "hotpath.report.terminal"

describe("scenario DSL", function()
  local misuse = {
    { function() return hp.scenario "x" { run = function() end, bogus = 1 } end, "scenario 'x': unknown field 'bogus'" },
    { function() return hp.scenario "x" { params = 5, run = function() end } end, "scenario 'x': field 'params' must be a table, got number" },
    { function() return hp.scenario "x" {} end, "scenario 'x': exactly one of 'run' (Lua, timed in a child) or 'command' (an external program) is required" },
    { function() return hp.scenario "x" { run = function() end, command = {} } end, "scenario 'x': exactly one of 'run' (Lua, timed in a child) or 'command' (an external program) is required" },
    { function() return hp.scenario "x" { run = function() end, verify = "sha1:abc" } end, "scenario 'x': verify must be \"sha256:<64 hex digits>\", \"md5:<32 hex digits>\" or a function, got \"sha1:abc\"" },
    { function() return hp.scenario "x" { run = function() end, verify = "md5:abc" } end, "scenario 'x': verify must be \"sha256:<64 hex digits>\", \"md5:<32 hex digits>\" or a function, got \"md5:abc\"" },
    { function() return hp.scenario "x" { run = function() end, verify = { slow = "x" } } end, "scenario 'x': a verify table has the keys full and quick" },
    { function() return hp.scenario "x" { run = function() end, reference = { { ms = 1 } } } end, "scenario 'x': reference 1 must be a table with a name" },
    { function() return hp.scenario "x" { run = print, timeout = -1 } end, "scenario 'x': field 'timeout' must be a positive number of seconds, got -1" },
    { function() return hp.scenario "x" { run = print, timeout = 0 } end, "scenario 'x': field 'timeout' must be a positive number of seconds, got 0" },
    { function() return hp.scenario "x" { run = print, timeout = 0 / 0 } end, "scenario 'x': field 'timeout' must be a positive number of seconds, got nan" },
    { function() return hp.scenario "x" { command = { "true" }, timeout = math.huge } end, "scenario 'x': field 'timeout' must be a positive number of seconds, got " .. tostring(math.huge) },
    { function() return hp.scenario "x" { run = print, runs = 0 } end, "scenario 'x': field 'runs' must be a whole number of at least 1, got 0" },
    { function() return hp.scenario "x" { run = print, runs = 2.5 } end, "scenario 'x': field 'runs' must be a whole number of at least 1, got 2.5" },
    { function() return hp.scenario "x" { run = print, warmup = -1 } end, "scenario 'x': field 'warmup' must be a whole number of at least 0, got -1" },
    { function() return hp.scenario(5) end, "bad argument #1 to 'scenario' (name string expected)" },
    { function() return hp.skip() end, "bad argument #1 to 'skip' (reason string expected)" },
    { function() return hp.suite "s" { 1 } end, "suite 's': item 1 is not a scenario (use hp.scenario \"name\" {...})" },
    { function() local a = hp.scenario "a" { run = print } return hp.suite "s" { a, a } end, "suite 's': two scenarios are named 'a'" },
    { function() return hp.suite "s" { hp.scenario "a" { run = print, baseline = "b" } } end, "suite 's': scenario 'a' has baseline 'b', which is not in the suite" },
    { function() return hp.scenario "x" { run = print, headline = { dimension = "CPU" } } end, "scenario 'x': headline needs dimension and workload strings (and optionally a show list)" },
  }
  for i, c in ipairs(misuse) do
    it("rejects misuse " .. i, function()
      local ok, err = pcall(c[1])
      assert.is_false(ok)
      assert.are.equal(c[2], (err:gsub("^[^:]+:%d+: ", "")))
    end)
  end

  it("merges quick params and picks the verifier of the mode", function()
    local s = hp.scenario "x" { params = { n = 5, m = 1 }, quick = { n = 2 }, run = print, verify = { full = "md5:" .. ("0"):rep(32) } }
    assert.are.same({ n = 5, m = 1 }, scenario.params(s, "full"))
    assert.are.same({ n = 2, m = 1 }, scenario.params(s, "quick"))
    assert.are.equal("md5:" .. ("0"):rep(32), scenario.verifier(s, "full"))
    assert.is_nil(scenario.verifier(s, "quick"))
  end)
end)

describe("stats.summary", function()
  local cases = {
    { {}, { n = 0 } },
    { { 3 }, { n = 1, best = 3, median = 3, min = 3, max = 3, mad = 0, spread_pct = 0 } },
    { { 4, 1, 3, 2 }, { n = 4, best = 1, median = 2.5, min = 1, max = 4, mad = 1, spread_pct = 40 } },
    { { 10, 10, 10, 10.2, 30 }, { n = 5, best = 10, median = 10, min = 10, max = 30, mad = 0, spread_pct = 0, outliers = { 5 } } },
    { { 10, 10, 10, 11, 30 }, { n = 5, median = 10, outliers = { 4, 5 } } }, -- 10 % off a tight cluster counts
    { { 100, 101, 99, 100, 102 }, { n = 5, best = 99, median = 100, min = 99, max = 102, mad = 1, spread_pct = 1, outliers = {} } },
  }
  for i, c in ipairs(cases) do
    it("summarizes case " .. i, function()
      local s = stats.summary(c[1])
      for k, v in pairs(c[2]) do assert.are.same(v, s[k], k) end
    end)
  end

  it("gives the ratio of interleaved samples", function()
    local r, spread = stats.ratio({ 2, 4, 6 }, { 1, 2, 3 })
    assert.are.equal(2, r)
    assert.are.equal(0, spread)
  end)
end)

describe("serial", function()
  it("round-trips plain data exactly", function()
    local v = { a = 1, b = 0.1, c = "x\n\0y", d = { true, false, 1e300, -0.5 }, [3] = "three" }
    assert.are.same(v, serial.decode(serial.encode(v)))
  end)
  it("keeps nan and infinities", function()
    local v = serial.decode(serial.encode({ 1 / 0, -1 / 0 }))
    assert.are.equal(math.huge, v[1])
    assert.are.equal(-math.huge, v[2])
  end)
  it("refuses functions and runs no code from a report", function()
    assert.has_error(function() serial.encode({ print }) end, "serialize: cannot send a function")
    local v, err = serial.decode("return os.exit(3)")
    assert.is_nil(v)
    assert.truthy(err:find("os", 1, true))
  end)
end)

describe("report.json", function()
  local cases = {
    { { b = 1, a = { 1, 2 } }, '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}' },
    { { x = json.array() }, '{\n  "x": []\n}' },
    { {}, "{}" },
    { "q\"\\\n\1", '"q\\"\\\\\\n\\u0001"' },
    { 0.1, "0.1" }, { 1 / 3, "0.3333333333333333" }, { 4.8, "4.8" }, { 2 ^ 53 + 2, "9007199254740994" },
    { 0 / 0, "null" }, { true, "true" },
  }
  for i, c in ipairs(cases) do
    it("encodes case " .. i, function()
      assert.are.equal(c[2], json.encode(c[1]))
    end)
  end
end)

describe("report.terminal", function()
  local cases = { { 0.0000123, "12.3 us" }, { 0.0123, "12.3 ms" }, { 1.234, "1.23 s" }, { 123.4, "123 s" }, { nil, "-" } }
  for _, c in ipairs(cases) do
    it("formats " .. tostring(c[1]) .. " s", function()
      assert.are.equal(c[2], terminal.seconds(c[1]))
    end)
  end
end)

describe("report.terminal ratios", function()
  -- two decimals, or two significant digits below 0.1 (a 300x gap must not read "0.00x")
  local cases = {
    { 12.3456, "12.35x" }, { 1.46, "1.46x" }, { 0.54, "0.54x" }, { 0.1000794, "0.10x" },
    { 0.05378, "0.054x" }, { 0.003456, "0.0035x" }, { 0.00003456, "0.000035x" }, { 0, "0.00x" },
  }
  for _, c in ipairs(cases) do
    it("formats " .. tostring(c[1]), function()
      assert.are.equal(c[2], terminal.ratio(c[1]))
    end)
  end
end)

describe("report.terminal reference lines", function()
  it("pads short columns and keeps two spaces after one that overflows", function()
    local r = { name = "x", ok = true, mode = "full", verified = true,
      summary = { run_s = { best = 0.5, median = 0.5, spread_pct = 1 }, metrics = { rps = { median = 1000 } } },
      reference = { { name = "Rust tokio::spawn, published (iterative)", ms = 1000, rps = 2000 },
        { name = "a peer", ms = 2000, mb = 10 },
        { name = "actix-web, published", ms = 1000, mb = 3.9, rps = 1245830 },
        { name = "fastest C, this machine kind", ms = 270 } } }   -- exactly fills its column
    local lines = terminal.scenario_lines(r)
    assert.are.same({
      "    vs Rust tokio::spawn, published (iterative)  1.00 s, rps 2000           time 0.50x  rps 0.50x",
      "    vs a peer                       2.00 s, 10.0 MB            time 0.25x",
      "    vs actix-web, published         1.00 s, 3.9 MB, rps 1245830  time 0.50x  rps 0.00080x",
      "    vs fastest C, this machine kind 270.0 ms                   time 1.85x",
    }, { lines[3], lines[4], lines[5], lines[6] })
  end)
end)

describe("report.summary", function()
  local summary = require "hotpath.report.summary"
  local info = { cpu_model = "CPU X", cores = 2, runtime = "Lua 5.4" }
  local function result(t)
    t.ok = t.ok ~= false
    t.mode = t.mode or "full"
    return t
  end

  it("renders one row per headline next to the Rust and Go figures", function()
    local run = { results = {
      result { suite = "cpu", name = "bt", headline = { dimension = "CPU", workload = "binarytrees 18" },
        summary = { run_s = { best = 0.126 }, maxrss_kb = { median = 14336 } },
        reference = { { name = "Rust, published", ms = 1259, mb = 33.8 }, { name = "Go, published", ms = 2343, mb = 41.9 } } },
      result { suite = "http", name = "pt", headline = { dimension = "HTTP", workload = "plaintext", show = { "rps", "p99_ms" } },
        summary = { metrics = { rps = { median = 1234567 }, p99_ms = { median = 0.25 } } },
        reference = { { name = "actix", lang = "Rust", rps = 1245830, p99_ms = 0.12 }, { name = "Go net/http", rps = 424000 } } },
      result { suite = "mem", name = "m", headline = { dimension = "memory", workload = "w", show = { "a_mb", "b_mb" } },
        summary = { metrics = { a_mb = { median = 4.26 }, b_mb = { median = 5 } } }, -- no .x5 tie: LuaJIT and 5.4 round ties apart
        reference = { { name = "Rust (actix-web)", a_mb = 3.2, b_mb = 8.1 } } },
      result { suite = "x", name = "failing", ok = false, headline = { dimension = "X", workload = "y", langs = { "Go" } },
        reference = { { name = "Rust, published", ms = 1 } } },
      result { suite = "x", name = "no headline" },
    } }
    assert.are.equal(table.concat({
      "Summary: hotpath on this machine (CPU X, 2 cores, Lua 5.4) next to the published figures",
      "(published: AMD EPYC 7763, 4 cores, rustc 1.90, go 1.26; ratios are ours / theirs)",
      "dimension  workload        hotpath, here            Rust, published                      Go, published",
      "CPU        binarytrees 18  126 ms, 14.0 MB          1,259 ms, 33.8 MB (time 0.10x)       2,343 ms, 41.9 MB (time 0.054x)",
      "HTTP       plaintext       1,235k RPS, p99 0.25 ms  1,246k RPS, p99 0.12 ms (rps 0.99x)  424k RPS (rps 2.91x)",
      "memory     w               4.3 / 5.0 MB             3.2 / 8.1 MB (a_mb 1.33x)            -",
      "X          y               FAILED                   -                                    -",
    }, "\n"), summary.render(run, info))
  end)

  it("puts the peers measured here beside ours and recomputes the published multipliers", function()
    local pub = { { name = "Rust, published", ms = 1259, mb = 33.8 }, { name = "Go, published", ms = 2343, mb = 41.9 } }
    local H = { dimension = "CPU", workload = "bt 18" }
    local function peer(lang, ms, mb, extra)
      local r = result { suite = "cpu", name = "bt " .. lang, headline = { dimension = "CPU", workload = "bt 18", peer = lang },
        summary = { run_s = { best = ms / 1000 }, maxrss_kb = { median = mb * 1024 } } }
      for k, v in pairs(extra or {}) do r[k] = v end
      return r
    end
    local run = { results = {
      result { suite = "cpu", name = "bt", headline = H, reference = pub,
        summary = { run_s = { best = 0.100 }, maxrss_kb = { median = 10 * 1024 } } },
      peer("Rust", 1000, 20), peer("Go", 1500, 40),
      result { suite = "cpu", name = "mb", headline = { dimension = "CPU", workload = "mb" },
        reference = { { name = "Rust, published", ms = 246 }, { name = "Go, published", ms = 2666 } },
        summary = { run_s = { best = 0.05 } } },
      result { suite = "cpu", name = "mb Go", headline = { dimension = "CPU", workload = "mb", peer = "Go" }, skipped = "install golang-go" },
      -- a row whose claim another row carries: shown, no multipliers
      result { suite = "cpu", name = "mb2", headline = { dimension = "CPU", workload = "mb2", claim = false },
        reference = { { name = "Rust, published", ms = 246 }, { name = "Go, published", ms = 2666 } },
        summary = { run_s = { best = 0.05 } } },
    } }
    assert.are.equal(table.concat({
      "Summary: hotpath on this machine (CPU X, 2 cores, Lua 5.4), Rust and Go measured in the same run, next to the published figures",
      "(published: AMD EPYC 7763, 4 cores, rustc 1.90, go 1.26; ratios are ours / theirs)",
      "dimension  workload  hotpath, here    Rust, here                      Go, here                         Rust, published                  Go, published",
      "CPU        bt 18     100 ms, 10.0 MB  1,000 ms, 20.0 MB (time 0.10x)  1,500 ms, 40.0 MB (time 0.067x)  1,259 ms, 33.8 MB (time 0.079x)  2,343 ms, 41.9 MB (time 0.043x)",
      "CPU        mb        50 ms            -                               skipped: install golang-go       246 ms (time 0.20x)              2,666 ms (time 0.019x)",
      "CPU        mb2       50 ms            -                               -                                246 ms (time 0.20x)              2,666 ms (time 0.019x)",
      "",
      "The published multipliers, recomputed here (how many times better Rust is than Go; holds: within 25 %)",
      "claim               published  here   verdict",
      "bt 18: time         1.86x      1.50x  holds",
      "bt 18: peak memory  1.24x      2.00x  differs",
      "mb: time            10.84x     -      cannot hold: Rust and Go not measured here",
    }, "\n"), summary.render(run, info))
    local rows = summary.rows(run)
    assert.are.equal(3, #rows)
    assert.are.same({}, rows[3].claims)
    assert.are.same({ ms = 1000, mb = 20 }, rows[1].rust)
    assert.are.same({ ms = 2343, mb = 41.9 }, rows[1].published.go)
    assert.are.equal("holds", rows[1].claims[1].verdict)
    assert.are.equal("skipped: install golang-go", rows[2].go_status)
  end)

  local verdicts = {
    { 1.86, 1.86, nil, "holds" }, { 1.86, 1.5, nil, "holds" }, { 1.86, 2.3, nil, "holds" },
    { 1.86, 1.4, nil, "differs" }, { 1.86, 2.4, nil, "differs" }, { 4, nil, nil, "cannot hold: a figure is missing" },
    { 2.15, 1.0, "different work", "cannot hold: different work" },
  }
  for i, c in ipairs(verdicts) do
    it("gives a verdict on a multiplier " .. i, function()
      assert.are.equal(c[4], summary.verdict(c[1], c[2], c[3]))
    end)
  end

  it("shows no table without headlines, and no ratios for quick sizes", function()
    assert.is_nil(summary.render({ results = { result { suite = "s", name = "n" } } }, info))
    local out = summary.render({ results = { result { suite = "s", name = "n", mode = "quick",
      headline = { dimension = "D", workload = "W" }, summary = { run_s = { best = 1 } },
      reference = { { name = "Go, published", ms = 10 } } } } }, info)
    local tail = "\nD          W         1,000 ms       -                10 ms\nquick sizes: published figures shown, not compared"
    assert.are.equal(tail, out:sub(-#tail))
  end)
end)

-- A Lua run's peak RSS is read by the parent from wait4; the child resets its own peak after
-- setup (clear_refs), but the floor the kernel recorded at exec stayed: the parent's peak,
-- which the re-executed interpreter inherited when it was spawned directly. Now the run's
-- peak is the child's own VmHWM since the reset: hwm_kb, which it reads right after run, plus
-- what sending its report and exiting add (0.2 to 0.5 MB under Lua 5.4: code pages of the
-- exit path count as resident too), so up to 1 MB more is allowed.
describe("peak memory of a Lua run", function()
  lazy_setup(function() helper.hold_and_free(300) end)

  for _, c in ipairs { { "idle", 0 }, { "holds 50 MB", 50 } } do
    it("is the child's own after the parent held 300 MB: " .. c[1], function()
      assert.is_true(hp.proc.rss_kb(nil, true) >= 300 * 1024, "this process's own peak is above 300 MB")
      local out = runner.run { paths = { "spec/fixtures/scenarios/peak.lua" }, filter = "^peak/" .. c[1] .. "$", runs = 1, warmup = 0 }
      local rec = out.results[1].runs[1]
      assert.is_true(rec.ok, rec.error)
      assert.are.equal(c[2], rec.metrics.held_mb)
      assert.is_true(rec.hwm_kb >= c[2] * 1024)
      assert.is_true(helper.peak_close(rec.hwm_kb, rec.maxrss_kb, 1024),
        string.format("child's own VmHWM %d kB, reported %d kB", rec.hwm_kb, rec.maxrss_kb))
    end)
  end
end)

describe("the hotpath table", function()
  it("loads its public modules on first use, and nothing else", function()
    assert.are.same({ "commands", "http", "json", "kernels", "machine", "noise", "peers", "pool", "proc",
      "runner", "stats" }, hp.modules)
    for _, name in ipairs(hp.modules) do assert.are.equal(require("hotpath." .. name), hp[name], name) end
    -- hotpath.child is the runner's child program (it ends the process); internals are not API
    for _, name in ipairs { "child", "cli", "util", "serial", "ffi", "report", "nosuch", 1 } do
      assert.is_nil(hp[name], tostring(name))
    end
  end)
end)
