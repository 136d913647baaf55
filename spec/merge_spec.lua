-- hotpath merge (lua/hotpath/merge.lua, http.merge_histograms): load results merged exactly
-- (checked against percentiles computed here from the union of the samples, by the rule
-- hist.h documents), refusals of what cannot be merged, run results side by side.
local helper = require "helper"
local merge = require "hotpath.merge"
local http = require "hotpath.http"
local rjson = require "hotpath.report.json"
local json = require "hotpath.json"

local floor, ceil, format = math.floor, math.ceil, string.format

-- The bucket of v (ns) by the layout hist.h documents: 0..2047 one each, then every power of
-- two [2^k, 2^(k+1)) split into 1024 buckets of width 2^(k-10). Written here from the
-- documentation, not from the C code.
local function bucket(v)
  if v < 2048 then return v, v end
  local k = floor(math.log(v, 2) + 1e-12)
  while 2 ^ k > v do k = k - 1 end
  while 2 ^ (k + 1) <= v do k = k + 1 end
  local w = 2 ^ (k - 10)
  local lo = floor(v / w) * w
  return lo, lo + w - 1
end

-- A histogram as results carry it, of the samples xs (ns, whole numbers).
local function hist(xs)
  local counts, order = {}, {}
  local mn, mx, sum, sumsq = nil, nil, 0, 0
  for _, v in ipairs(xs) do
    local lo, hi = bucket(v)
    if not counts[lo] then counts[lo] = { lo, hi, 0 }; order[#order + 1] = lo end
    counts[lo][3] = counts[lo][3] + 1
    mn = (not mn or v < mn) and v or mn
    mx = (not mx or v > mx) and v or mx
    sum, sumsq = sum + v, sumsq + (v + 0.0) * v -- doubles, as the core keeps them
  end
  table.sort(order)
  local b = {}
  for i, lo in ipairs(order) do b[i] = counts[lo] end
  return { layout = "hdr", unit = "ns", lowest = 1, highest = 2 ^ 37 - 1, significant_digits = 3,
    count = #xs, min = mn, max = mx, sum = sum, sumsq = sumsq, buckets = b }
end

-- The percentile p of the samples xs by hist.h's rule: the middle of the bucket holding the
-- ceil(p/100 * n)-th smallest value, clamped to [min, max]; 100 is the max. In microseconds.
local function percentile(xs, p)
  local s = {}
  for i, v in ipairs(xs) do s[i] = v end
  table.sort(s)
  if p >= 100 then return s[#s] / 1e3 end
  local rank = math.max(1, ceil(p / 100 * #s))
  local lo, hi = bucket(s[rank])
  local v = lo + (hi - lo) / 2
  v = math.max(s[1], math.min(s[#s], v))
  return v / 1e3
end

-- Deterministic samples: a latency-like spread from 5 us to ~40 ms with a tail.
local function samples(n, seed)
  local s, out = seed, {}
  for i = 1, n do
    s = (s * 16807) % 2147483647
    local u = s / 2147483647
    local v = floor(5000 * math.exp(u * u * 9))
    if i % 97 == 0 then v = v * 50 end
    out[i] = v
  end
  return out
end

-- A load result as hotpath load --export-json writes it, for the samples xs.
local function result(xs, o)
  o = o or {}
  local h = hist(xs)
  local start = o.start or 1796292000
  local lat = { count = #xs, histogram = h }
  local r = {
    url = o.url or "http://127.0.0.1:8080/plaintext", mode = o.mode or "rate", threads = 1, connections = 2,
    pipeline = 1, rate = 1000, requests = #xs, sent = #xs, bytes = 100 * #xs, duration = 10,
    rps = #xs / 10, latency = lat, service = lat, backlog_max = 3, late = 1, connects = 2,
    status = { ["200"] = #xs - 1, ["503"] = 1 },
    errors = { total = 2, lost = 0, refused = 0, reset = 1, closed = 1, timeout = 0, parse = 0, connect = 0, non2xx = 1 },
    cpu = { user = 1, sys = 0.5, total = 1.5, us_per_request = 1.5e6 / #xs },
    start_time = start, end_time = start + 10, wall = 10, hostname = o.host or "a",
    host = o.host or "a", rank = o.rank, count = o.count, launcher = o.rank and "slurm" or nil,
    phases = { { rate = 1000, duration = 10, sent = #xs, requests = #xs, errors = 0, bytes = 100 * #xs,
      rps = #xs / 10, backlog_max = 3, late = 1, latency = lat, service = lat } },
  }
  if o.edit then o.edit(r) end
  return r
end

local dir
local function write(name, doc)
  local path = dir .. "/" .. name
  helper.write(path, rjson.encode(doc))
  return path
end

describe("hotpath merge", function()
  setup(function() dir = helper.tmpdir() end)
  teardown(function() helper.rmdir(dir) end)

  it("merges histograms exactly: the figures of one histogram fed every sample", function()
    local parts = { samples(3000, 7), samples(1000, 11), samples(2000, 13) }
    local all = {}
    for _, p in ipairs(parts) do for _, v in ipairs(p) do all[#all + 1] = v end end
    local hs = {}
    for i, p in ipairs(parts) do hs[i] = hist(p) end
    local m = assert(http.merge_histograms(hs))
    local keys = { { "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p99_9", 99.9 }, { "p99_99", 99.99 }, { "max", 100 } }
    for _, k in ipairs(keys) do assert.equals(percentile(all, k[2]), m[k[1]], k[1]) end
    local sum, mn = 0, all[1]
    for _, v in ipairs(all) do sum, mn = sum + v, math.min(mn, v) end
    assert.equals(#all, m.count)
    assert.equals(#all, m.histogram.count)
    assert.equals(mn / 1e3, m.min)
    assert.equals(sum / #all / 1e3, m.mean)
    -- the merged buckets are the union's buckets
    assert.same(hist(all).buckets, m.histogram.buckets)
    -- and merging in another grouping gives the same figures
    local m2 = assert(http.merge_histograms { hist(all) })
    for _, k in ipairs(keys) do assert.equals(m2[k[1]], m[k[1]]) end
  end)

  -- a JSON integer beyond 2^53 decodes as int64 cdata under LuaJIT: a large sum of squares
  -- written as digits must merge as the same number, not count as unknown
  it("merges histograms whose sum of squares decoded as a 64-bit integer", function()
    local xs = samples(2000, 5)
    local h = hist(xs)
    local doc = require("hotpath.json").decode(string.format('{"sumsq":%d}', 2 ^ 60))
    local want = assert(http.merge_histograms { hist(xs) })
    h.sumsq = h.sumsq * 0 + 2 ^ 60
    local plain = assert(http.merge_histograms { h })
    h.sumsq = doc.sumsq
    if rawget(_G, "jit") then assert.are.equal("cdata", type(h.sumsq)) end
    local m = assert(http.merge_histograms { h })
    assert.are.equal(plain.stdev, m.stdev)
    assert.are.equal(want.p99, m.p99)
    assert.are.equal(want.count, m.count)
  end)

  it("sums the counts, takes RPS over the common window and names every source", function()
    local a, b = samples(3000, 7), samples(1000, 11)
    local fa = write("load.0.json", result(a, { rank = 0, count = 2, host = "n1" }))
    local fb = write("load.1.json", result(b, { rank = 1, count = 2, host = "n2", start = 1796292000.25 }))
    local kind, r = merge.files { fb, fa }
    assert.equals("load", kind)
    assert.same({ 4000, 4000, 400000, 2, 2, 4, 2000 }, { r.requests, r.sent, r.bytes, r.threads, r.late, r.connections, r.rate })
    assert.same({ ["200"] = 3998, ["503"] = 2 }, r.status)
    assert.same({ total = 4, lost = 0, refused = 0, reset = 2, closed = 2, timeout = 0, parse = 0, connect = 0, non2xx = 2 },
      r.errors)
    assert.same({ 1796292000, 1796292010.25, 10.25, 0.25 }, { r.window.start_time, r.window.end_time, r.window.seconds, r.skew })
    assert.equals(9.75, r.window.overlap)
    assert.equals(4000 / 10.25, r.rps)
    assert.same({ "n1", "n2" }, r.hosts)
    assert.same({ { "load.0.json", "n1", 0, 1796292000, 1796292010 }, { "load.1.json", "n2", 1, 1796292000.25, 1796292010.25 } },
      { { r.sources[1].file, r.sources[1].host, r.sources[1].rank, r.sources[1].start_time, r.sources[1].end_time },
        { r.sources[2].file, r.sources[2].host, r.sources[2].rank, r.sources[2].start_time, r.sources[2].end_time } })
    assert.equals(percentile(samples(3000, 7), 99), percentile(a, 99)) -- the generator is deterministic
    local all = {}
    for _, v in ipairs(a) do all[#all + 1] = v end
    for _, v in ipairs(b) do all[#all + 1] = v end
    assert.equals(percentile(all, 99.9), r.latency.p99_9)
    assert.equals(percentile(all, 50), r.phases[1].latency.p50)
    assert.equals(4000, r.phases[1].requests)
    assert.equals(400, r.phases[1].rps) -- 300/s and 100/s side by side
    -- a merged result merges again, its sources kept
    local fm = write("merged.json", r)
    local fc = write("load.2.json", result(samples(500, 17), { rank = 2, count = 3, host = "n3" }))
    local _, r2 = merge.files { fm, fc }
    assert.same({ 0, 1, 2 }, { r2.sources[1].rank, r2.sources[2].rank, r2.sources[3].rank })
    assert.equals(4500, r2.latency.count)
  end)

  it("refuses what cannot be merged, naming the file", function()
    local xs = samples(200, 3)
    local good = write("good.json", result(xs))
    local cases = {
      { result(xs, { url = "http://127.0.0.1:9/" }),
        "mixed URLs: %s measured http://127.0.0.1:8080/plaintext, %s measured http://127.0.0.1:9/" },
      { result(xs, { mode = "closed" }), "mixed modes: %s ran rate, %s ran closed" },
      { result(xs, { edit = function(r) r.phases[2] = r.phases[1] end }), "mixed phase lists: %s has 1 phase, %s has 2" },
      { result(xs, { edit = function(r) r.latency = { count = 200 } end }),
        "%s: the run's has no latency histogram (written by a hotpath without histograms?): it cannot be merged exactly" },
      { result(xs, { edit = function(r)
          local h = {}
          for k, v in pairs(r.latency.histogram) do h[k] = v end
          h.significant_digits = 2
          r.latency = { histogram = h }
        end }),
        "%s: the run's latency histogram: histogram layout hdr ns 1..137438953471, 2 digits, this build merges hdr ns 1..137438953471, 3 digits" },
      { result(xs, { edit = function(r)
          r.latency = { histogram = { layout = "hdr", unit = "ns", lowest = 1, highest = 2 ^ 37 - 1, significant_digits = 3,
            count = 1, min = 2048, max = 2048, buckets = { { 2048, 2048, 1 } } } }
        end }),
        "%s: the run's latency histogram: bucket 1: [2048, 2048] is not a bucket of the layout" },
      { result(xs, { edit = function(r)
          r.latency = { histogram = { layout = "hdr", unit = "ns", lowest = 1, highest = 2 ^ 37 - 1, significant_digits = 3,
            count = 1, min = 5, max = 7, buckets = { { 5, 5, 1 } } } }
        end }),
        "%s: the run's latency histogram: max 7 is outside the highest bucket [5, 5]" },
      { result(xs, { edit = function(r)
          r.latency = { histogram = { layout = "hdr", unit = "ns", lowest = 1, highest = 2 ^ 37 - 1, significant_digits = 3,
            count = 1, min = 5, max = 5, buckets = { { 5, "x", 1 } } } }
        end }),
        "%s: the run's latency histogram: bucket 1 is not [lo, hi, count] (whole numbers >= 0)" },
      { result(xs, { edit = function(r)
          local h = {}
          for k, v in pairs(r.latency.histogram) do h[k] = v end
          h.min = -1
          r.latency = { histogram = h }
        end }),
        "%s: the run's latency histogram: histogram without whole numbers min and max" },
      { { scenarios = {} }, "%s is a load result, %s a run result: merge one kind at a time" },
    }
    for i, c in ipairs(cases) do
      local bad = write("bad" .. i .. ".json", c[1])
      local want = c[2]:find("%%s.*%%s") and format(c[2], good, bad) or format(c[2], bad)
      local kind, err = merge.files { good, bad }
      assert.is_nil(kind, want)
      assert.equals(want, err)
    end
    helper.write(dir .. "/text.json", "not json")
    local _, err = merge.files { good, dir .. "/text.json" }
    assert.truthy(err:find("^" .. dir:gsub("%p", "%%%0") .. "/text.json: not a JSON document"))
    helper.write(dir .. "/other.json", "{\"a\": 1}")
    assert.equals(dir .. "/other.json: neither a load result (hotpath load --export-json) nor a run result (hotpath run --export-json)",
      select(2, merge.files { dir .. "/other.json" }))
    assert.equals("cannot read " .. dir .. "/none.json: No such file or directory", select(2, merge.files { dir .. "/none.json" }))
    -- the command line: exit 1, the reason on stderr
    local r = helper.cli { "merge", good, dir .. "/bad1.json" }
    assert.equals(1, r.exit_code)
    assert.equals(format("hotpath: merge: mixed URLs: %s measured http://127.0.0.1:8080/plaintext, %s/bad1.json measured http://127.0.0.1:9/\n",
      good, dir), r.stderr)
    r = helper.cli { "merge" }
    assert.equals(2, r.exit_code)
    assert.equals("hotpath: merge needs the result files to merge\nsee 'hotpath merge --help'\n", r.stderr)
  end)

  it("exports a merged load result with its sources (JSON, CSV, Markdown, HTML)", function()
    local fa = write("e0.json", result(samples(300, 5), { rank = 0, count = 2, host = "n1" }))
    local fb = write("e1.json", result(samples(100, 9), { rank = 1, count = 2, host = "n2", start = 1796292000.5 }))
    local r = helper.cli { "merge", fa, fb, "--export-json", dir .. "/m.json", "--export-csv", dir .. "/m.csv",
      "--export-markdown", dir .. "/m.md", "--export-html", dir .. "/m.html" }
    assert.equals(0, r.exit_code, r.stderr)
    assert.truthy(r.stdout:find("Merged from 2 copies (hosts: n1, n2); start skew 500.0 ms, common window 10.50s", 1, true))
    local m = json.decode(helper.read(dir .. "/m.json"))
    assert.equals(400, m.latency.histogram.count)
    local c = helper.read(dir .. "/m.csv")
    assert.truthy(c:find("\ncopies,2,\n", 1, true))
    assert.truthy(c:find("\nstart_skew,500,ms\n", 1, true))
    local md = helper.read(dir .. "/m.md")
    assert.truthy(md:find("| e0.json | n1 | 0 | 0.000 | 10.000 | 300 | 30 |", 1, true))
    assert.truthy(md:find("| e1.json | n2 | 1 | 0.500 | 10.500 | 100 | 10 |", 1, true))
    assert.truthy(helper.read(dir .. "/m.html"):find("<td>e1.json</td><td>n2</td>", 1, true))
  end)

  it("joins run results with a section per source, side by side", function()
    local function run_doc(rank, host, median)
      return { hotpath = "0.1.0", machine = { cpu_model = "cpu " .. host, cores = 2, runtime = "Lua 5.4" },
        host = host, node = host, rank = rank, count = 2, launcher = "slurm-array", ok = true, errors = {}, warnings = { "busy" },
        options = { runs = 3 },
        scenarios = { { id = "s/a", suite = "s", name = "a", ok = true, summary = { run_s = { n = 3, median = median, best = median, min = median, max = median, mad = 0, spread_pct = 0 },
          maxrss_kb = { median = 2048, min = 2048, max = 2048 } } } } }
    end
    local f0 = write("suite.0.json", run_doc(0, "n1", 0.002))
    local f1 = write("suite.1.json", run_doc(1, "n2", 0.003))
    local r = helper.cli { "merge", f0, f1, "--export-json", dir .. "/s.json", "--export-csv", dir .. "/s.csv",
      "--export-markdown", dir .. "/s.md", "--export-html", dir .. "/s.html" }
    assert.equals(0, r.exit_code, r.stderr)
    assert.truthy(r.stdout:find("| s/a | 2.000 | 3.000 | 1.50x |", 1, true))
    local m = json.decode(helper.read(dir .. "/s.json"))
    assert.same({ "n1#0", "n2#1" }, { m.sources[1].label, m.sources[2].label })
    assert.same({ "cpu n1", "cpu n2" }, { m.sources[1].machine.cpu_model, m.sources[2].machine.cpu_model })
    assert.same({ "n1#0/s/a", "n2#1/s/a" }, { m.scenarios[1].id, m.scenarios[2].id })
    assert.same({ "n1#0: busy", "n2#1: busy" }, m.warnings)
    -- a merged run result is a run result: hotpath compare reads it
    assert.is_table(require("hotpath.gate").load(dir .. "/s.json"))
    local rows = require("hotpath.report.csv").parse(helper.read(dir .. "/s.csv"))
    assert.same({ "source", "host", "rank", "id" }, { rows[1][1], rows[1][2], rows[1][3], rows[1][4] })
    assert.same({ "n2#1", "n2", "1", "n2#1/s/a" }, { rows[3][1], rows[3][2], rows[3][3], rows[3][4] })
    assert.truthy(helper.read(dir .. "/s.md"):find("## n2#1: cpu n2 (2 cores), Lua 5.4, suite.1.json", 1, true))
    local html = helper.read(dir .. "/s.html")
    assert.truthy(html:find('<section class="source" data-source="n1#0">', 1, true))
    assert.truthy(html:find('<section class="source" data-source="n2#1">', 1, true))
    -- two sources with the same label cannot be told apart
    local _, err = merge.files { f0, f0 }
    assert.equals(format("two sources are both n1#0 (%s and %s): give each copy its own rank", f0, f0), err)
  end)
end)
