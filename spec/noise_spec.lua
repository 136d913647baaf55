-- Noise warnings: figures from /proc snapshots, and which of them draw a warning.
local noise = require "hotpath.noise"
local helper = require "spec.helper"

-- a snapshot at time t with busy/steal jiffies, our own jiffies and swapped pages
local function snap(t, busy, steal, self, swap)
  return { t = t, busy = busy, steal = steal, self = self, swap = swap or 0, loadavg = 0.5 }
end

describe("hotpath.noise", function()
  it("reads /proc/stat's cpu line: busy is user, nice, system, irq, softirq", function()
    local busy, steal = noise.parse_stat("cpu  100 5 20 900 7 3 2 11 0 0\ncpu0 1 2 3 4\n")
    assert.are.equal(130, busy)
    assert.are.equal(11, steal)
    assert.is_nil(noise.parse_stat("intr 5\n"))
  end)

  it("reads our own CPU jiffies even when the command name has spaces and parentheses", function()
    local line = "4242 (a (b) c) R 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 1 0 100 200 300"
    assert.are.equal(175, noise.parse_self_stat(line))
  end)

  it("takes a snapshot of this machine", function()
    local s = noise.snapshot(1.5)
    assert.are.equal(1.5, s.t)
    assert.is_true(s.busy > 0)
    assert.is_true(s.self >= 0)
  end)

  -- window(a, b, children_cpu) -> other_cores, steal_pct
  local windows = {
    -- 2 s; 400 jiffies busy (4 s of CPU); we used 0.5 s, our children 1.5 s: others 2 s = 1 core
    { snap(0, 1000, 0, 10), snap(2, 1400, 0, 60), 1.5, 1.0, 0 },
    -- all the busy time is ours: no other work
    { snap(0, 1000, 0, 10), snap(1, 1100, 0, 20), 0.9, 0, 0 },
    -- our share rounds above the total (coarse jiffies): never negative
    { snap(0, 1000, 0, 10), snap(1, 1050, 0, 20), 0.6, 0, 0 },
    -- 25 jiffies stolen of 125: 20 %
    { snap(0, 0, 100, 0), snap(1, 100, 125, 0), 1.0, 0, 20 },
  }
  for i, c in ipairs(windows) do
    it("measures other processes' cores and steal " .. i, function()
      local w = noise.window(c[1], c[2], c[3])
      assert.is_true(math.abs(w.other_cores - c[4]) < 1e-9, tostring(w.other_cores))
      assert.is_true(math.abs(w.steal_pct - c[5]) < 1e-9, tostring(w.steal_pct))
    end)
  end

  local function kinds(list)
    local k = {}
    for i, w in ipairs(list) do k[i] = w.kind end
    return k
  end
  local quiet = { seconds = 0.2, other_cores = 0.02 }
  local calm = { seconds = 3, other_cores = 0.05, steal_pct = 0, swapped_pages = 0 }
  local function res(spread, n, outliers)
    return { id = "s/x", ok = true, summary = { run_s = { n = n, spread_pct = spread, outliers = outliers or {} } } }
  end
  local cases = {
    { quiet, calm, nil, {}, {} },
    -- two CPU hogs on 2 cores: busy before and during
    { { seconds = 0.2, other_cores = 1.9 }, { seconds = 3, other_cores = 1.6, steal_pct = 0, swapped_pages = 0 }, nil, {},
      { "busy_before", "busy_during" } },
    { quiet, { seconds = 3, other_cores = 0, steal_pct = 12, swapped_pages = 0 }, nil, {}, { "steal" } },
    { quiet, { seconds = 3, other_cores = 0, steal_pct = 0, swapped_pages = 40 }, nil, {}, { "swap" } },
    { quiet, calm, "powersave", {}, { "governor" } },
    { quiet, calm, "performance", {}, {} },
    { quiet, calm, nil, { res(7.5, 5), res(1, 5, { 3 }), res(9, 2) }, { "spread", "outliers" } },
    -- a window too short to tell (jiffies of 10 ms) draws no CPU warning
    { quiet, { seconds = 0.1, other_cores = 1.5, steal_pct = 50, swapped_pages = 0 }, nil, {}, {} },
  }
  for i, c in ipairs(cases) do
    it("warns when it should " .. i, function()
      assert.are.same(c[5], kinds(noise.assess(c[1], c[2], 2, c[3], c[4])))
    end)
  end

  it("words a warning with its figure and what to do", function()
    local w = noise.assess(quiet, { seconds = 3.04, other_cores = 1.62, steal_pct = 0, swapped_pages = 0 }, 2, nil, {})
    assert.are.equal("other processes used 1.62 of 2 cores on average while the runs ran (3.0 s): the figures are slower and noisier than on a quiet machine; close them and rerun", w[1].message)
    assert.are.equal(1.62, w[1].value)
    w = noise.assess(quiet, calm, 2, nil, { res(7.46, 5) })
    assert.are.equal("s/x: spread +- 7.5% is above 5%: the runs disagree; rerun with more --runs on a quieter machine", w[1].message)
  end)

  -- two busy loops, started here and stopped by PID, while hotpath measures a short command
  it("warns when two CPU hogs run beside the measured runs", function()
    local proc = require "hotpath.proc"
    local d = helper.tmpdir()
    local pids = {}
    for i = 1, 2 do
      local r = assert(proc.run { "sh", "-c", "sh -c 'i=0; while [ $i -lt 100000000 ]; do i=$((i+1)); done' > /dev/null 2>&1 & echo $!", keep_stdout = true })
      pids[i] = assert(tonumber(r.stdout:match("%d+")))
    end
    local ok, r = pcall(helper.cli, { "run", "--command", "sleep 0.1", "--runs", "8", "--warmup", "0", "--export-json", d .. "/out.json" })
    for _, pid in ipairs(pids) do proc.run { "kill", tostring(pid) } end
    assert.is_true(ok, tostring(r))
    assert.are.equal(0, r.exit_code, r.stderr)
    assert.truthy(r.stdout:find("\nwarning: other processes used %d%.%d%d of %d+ cores on average while the runs ran"), r.stdout)
    local doc = helper.read(d .. "/out.json")
    assert.truthy(doc:find('"kind": "busy_during"', 1, true))
    helper.rmdir(d)
  end)
end)
