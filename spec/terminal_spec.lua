-- report/terminal.lua: the comparison and the scans as text, exactly (the scenario table is
-- checked through the CLI in cli_spec).
local fmt = require "hotpath.report.terminal"

describe("terminal", function()
  it("writes a comparison: change, interval, verdict, the scenarios on one side, the warnings", function()
    local cmp = {
      threshold = 0.05, regressions = 1,
      rows = {
        { id = "s/a", measure = "time", unit = "s", old = 0.02, new = 0.04, change_pct = 100, lo_pct = 90, hi_pct = 110, verdict = "slower", regression = true },
        { id = "s/a", measure = "memory", unit = "kB", old = 2048, new = 2048, change_pct = 0, lo_pct = -1, hi_pct = 1, verdict = "unchanged", regression = false },
        { id = "s/b", measure = "rps", unit = "req/s", old = 1000, new = 1100, change_pct = 10, verdict = "too few runs", regression = false },
      },
      added = { "s/new" }, missing = { "s/gone" }, warnings = { "another CPU" },
    }
    assert.are.equal(table.concat({
      "title",
      "  s/a      time      20.0 ms -> 40.0 ms    +100.0% [+90.0%, +110.0%]  slower  <-- REGRESSION",
      "  s/a      memory     2.0 MB -> 2.0 MB       +0.0% [-1.0%, +1.0%]     unchanged",
      "  s/b      rps    1000 req/s -> 1100 req/s  +10.0% [no interval]      too few runs",
      "  s/new: new (not in the baseline)",
      "  s/gone: in the baseline, not in this run",
      "warning: another CPU",
      "1 regression(s) beyond 5.0 % with significance",
    }, "\n"), fmt.compare(cmp, "title"))
  end)

  it("writes the scans with their fits", function()
    local scans = { {
      id = "s/fill", key = "n",
      points = { { x = 1000, time_s = 0.001, peak_kb = 5120 }, { x = 2000, time_s = 0.002, peak_kb = 6144 } },
      time_fit = { exponent = 1.0, class = "O(n)" }, memory_fit = { exponent = 0.25, class = "O(log n)" },
    } }
    assert.are.equal(table.concat({
      "Parameter scans (fit of the median time and peak RSS against the parameter)",
      "  s/fill  n=1000: 1.0 ms, 5.0 MB; n=2000: 2.0 ms, 6.0 MB",
      "    time grows as n^1.00, nearest class O(n)",
      "    memory grows as n^0.25, nearest class O(log n)",
    }, "\n"), fmt.scans(scans))
  end)
end)
