-- report/html.lua: the self-contained page (no URL, a CSP of default-src 'none'), its tables
-- and charts against the JSON of the same run, the page without gnuplot, and the page opened
-- in headless Chromium: values read back from the rendered DOM, a screenshot, and no network
-- request made while it renders (Chromium's own net log says so; the browser runs in an empty
-- network namespace where it can, else through a proxy on a closed local port).
local helper = require "helper"
local html = require "hotpath.report.html"
local fmt = require "hotpath.report.terminal"
local proc = require "hotpath.proc"
local cjson = require "cjson"

local FIX = helper.root .. "/spec/fixtures/scenarios/"

local function plain(s) return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")) end

-- The HTML of the element that starts at the first match of `start` (plain) and ends at the
-- first `close` after it.
local function element(page, start, close)
  local i = page:find(start, 1, true)
  if not i then return nil end
  local j = page:find(close, i, true)
  return page:sub(i, j and (j + #close - 1) or #page)
end

-- A run with a saved baseline and a second run compared with it, exported as HTML and JSON:
-- returns dir, the page, the JSON document.
local function report(env)
  local dir = helper.tmpdir()
  local args = { "run", FIX .. "sleepy.lua", FIX .. "summary.lua", "--runs", "3" }
  local function with(extra)
    local a = {}
    for _, x in ipairs(args) do a[#a + 1] = x end
    for _, x in ipairs(extra) do a[#a + 1] = x end
    return a
  end
  local r = helper.cli(with { "--save", dir .. "/base.json" })
  assert.are.equal(0, r.exit_code, r.stderr)
  r = helper.cli(with { "--baseline", dir .. "/base.json", "--fail-if-slower", "500%", "--export-html", dir .. "/r.html",
    "--export-json", dir .. "/r.json" }, { env = env })
  -- the page is checked against the comparison it shows, whatever a busy machine made of the
  -- times (the gate itself is gate_spec's)
  local doc = cjson.decode(helper.read(dir .. "/r.json"))
  assert.are.equal(doc.compare.regressions > 0 and 1 or 0, r.exit_code, r.stdout .. r.stderr)
  assert.truthy(r.stdout:find("html report: " .. dir .. "/r.html\n", 1, true))
  return dir, helper.read(dir .. "/r.html"), doc
end

-- Checks the scenario tables against the JSON: each row's median and peak, as data-value
-- (the JSON's number) and as text.
local function check_tables(page, doc)
  for _, sc in ipairs(doc.scenarios) do
    local row = element(page, '<tr data-id="' .. sc.id .. '">', "</tr>")
    assert.truthy(row, sc.id)
    local s = sc.summary
    if sc.skipped then -- no figures: the reason instead (Chromium writes ' back unescaped)
      assert.truthy(row:find('<td class="warn">skipped: ', 1, true), row)
      assert.truthy(row:find('<td class="num" data-key="median_s">-</td>', 1, true), row)
    else
      local v, text = row:match('data%-key="median_s" data%-value="([^"]+)">([^<]*)<')
      assert.are.equal(s.run_s.median, tonumber(v), sc.id)
      assert.are.equal(fmt.seconds(s.run_s.median), text)
      v, text = row:match('data%-key="peak_rss_median_kb" data%-value="([^"]+)">([^<]*)<')
      assert.are.equal(s.maxrss_kb.median, tonumber(v), sc.id)
      assert.are.equal(fmt.mb(s.maxrss_kb.median), text)
    end
  end
end

-- Checks that the suite's charts label each bar with the scenario's median time and peak.
local function check_charts(page, doc)
  for _, suite in ipairs { "sleepy", "summary" } do
    local t = element(page, '<figure data-chart="time-' .. suite .. '"', "</figure>")
    local m = element(page, '<figure data-chart="memory-' .. suite .. '"', "</figure>")
    assert.truthy(t and t:find("<svg", 1, true), suite)
    assert.truthy(m and m:find("<svg", 1, true), suite)
    for _, sc in ipairs(doc.scenarios) do
      if sc.suite == suite and not sc.skipped then
        assert.truthy(t:find("<text>%s*" .. plain(fmt.seconds(sc.summary.run_s.median)) .. "%s*</text>"), sc.id)
        assert.truthy(m:find("<text>%s*" .. plain(fmt.mb(sc.summary.maxrss_kb.median)) .. "%s*</text>"), sc.id)
      end
    end
  end
  for _, id in ipairs { "summary-ms", "summary-mb", "compare-time", "scan-time-1", "scan-memory-1" } do
    local f = element(page, '<figure data-chart="' .. id .. '"', "</figure>")
    assert.truthy(f and f:find("<svg", 1, true), id)
  end
end

local function have(argv)
  local ok, r = pcall(proc.run, { argv = argv, keep_stdout = true, keep_stderr = 4096, timeout = 60 })
  return ok and r and r.ok
end

describe("html", function()
  local escapes = {
    { "a<b>&\"c'", "a&lt;b&gt;&amp;&quot;c&#39;" }, { 12, "12" }, { "plain", "plain" },
  }
  for _, c in ipairs(escapes) do
    it("escapes " .. tostring(c[1]), function()
      assert.are.equal(c[2], html.esc(c[1]))
    end)
  end

  it("writes tables with the exact figure in data-value", function()
    assert.are.equal('<table class="t"><thead><tr><th>a</th><th class="num">b</th></tr></thead><tbody>' ..
      '<tr data-id="x"><td>&lt;x&gt;</td><td class="num" data-key="k" data-value="0.1">100 ms</td></tr>' ..
      '<tr><td>-</td><td class="num bad">y</td></tr></tbody></table>',
      html.table({ "a", { "b", num = true } }, { { attrs = 'data-id="x"', "<x>", { "100 ms", value = 0.1, key = "k" } }, { nil, { "y", class = "bad" } } }, 'class="t"'))
  end)

  it("writes a self-contained page whose tables and charts carry the JSON's figures", function()
    if not have { "gnuplot", "--version" } then
      pending("gnuplot is not installed (Debian gnuplot-nox): the charts are not drawn")
      return
    end
    local dir, page, doc = report()
    assert.truthy(page:match("^<!DOCTYPE html>\n"))
    assert.truthy(page:find('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">', 1, true))
    for _, bad in ipairs { "http:", "https:", "<script", "<link", " src=", "@import", "url(http", "//" } do
      assert.is_nil(page:find(bad, 1, true), bad)
    end
    check_tables(page, doc)
    check_charts(page, doc)
    assert.is_nil(page:find('id="charts-missing"', 1, true))
    local fit = page:match('data%-key="time_fit">([^<]*)<')
    assert.are.equal(string.format("n^%.2f, nearest %s", doc.scans[1].time_fit.exponent, doc.scans[1].time_fit.class), fit)
    local n = doc.compare.regressions
    assert.truthy(page:find(string.format('<p class="%s" id="verdict">%d regression(s) beyond 500.0 %% with significance</p>', n > 0 and "bad" or "good", n), 1, true))
    helper.rmdir(dir)
  end)

  it("draws the latency of load scenarios by percentile", function()
    if not have { "gnuplot", "--version" } then
      pending("gnuplot is not installed (Debian gnuplot-nox): the charts are not drawn")
      return
    end
    local function sc(name, p50, p99, max)
      return { id = "http/" .. name, suite = "http", name = name, ok = true, summary = {
        run_s = { n = 3, best = 1, median = 1, min = 1, max = 1, spread_pct = 0 }, maxrss_kb = { median = 1024, min = 1024, max = 1024 },
        metrics = { p50_ms = { median = p50 }, p99_ms = { median = p99 }, max_ms = { median = max }, rps = { median = 1000 } } } }
    end
    local page = html.run { machine = { cpu_model = "X", cores = 2 }, scenarios = { sc("plaintext", 0.1, 0.5, 2), sc("json", 0.2, 0.9, 3) } }
    local f = element(page, '<figure data-chart="latency-http"', "</figure>")
    assert.truthy(f and f:find("<svg", 1, true))
    for _, t in ipairs { "plaintext", "json", "50%", "90%", "99%", "max", "http: latency" } do
      assert.truthy(f:find("<text>" .. t .. "</text>", 1, true), t)
    end
    -- a suite without latency metrics has no latency chart
    local plain_page = html.run { machine = {}, scenarios = { { id = "s/a", suite = "s", name = "a", ok = true, summary = {
      run_s = { n = 1, best = 1, median = 1, min = 1, max = 1, spread_pct = 0 } } } } }
    assert.is_nil(plain_page:find('data-chart="latency-', 1, true))
    assert.truthy(plain_page:find('<figure data-chart="time-s"', 1, true))
  end)

  it("draws the memory timeline a scenario's runs keep (the memory test's data)", function()
    if not have { "gnuplot", "--version" } then
      pending("gnuplot is not installed (Debian gnuplot-nox): the charts are not drawn")
      return
    end
    local tl = { { t = 0, label = "startup", rss_kb = 4096, pss_kb = 3000 }, { t = 1, label = "steady", rss_kb = 8192, pss_kb = 6000 },
      { t = 2, label = "steady", rss_kb = 8000, pss_kb = 5900 } }
    local page = html.run { machine = {}, scenarios = { { id = "memory/web", suite = "memory", name = "web", ok = true,
      runs = { { ok = true, warmup = true, data = { timeline = { { t = 0, rss_kb = 1 }, { t = 1, rss_kb = 2 } } } },
        { ok = true, data = { timeline = tl } }, { ok = true } },
      summary = { run_s = { n = 2, best = 1, median = 1, min = 1, max = 1, spread_pct = 0 } } } } }
    local f = element(page, '<figure data-chart="timeline-memory/web"', "</figure>")
    assert.truthy(f and f:find("<svg", 1, true))
    for _, t in ipairs { "startup", "steady", "RSS", "PSS", "web: server memory" } do
      assert.truthy(f:find("<text>" .. t .. "</text>", 1, true), t)
    end
    assert.truthy(f:find("<figcaption>web: the server&#39;s memory over counted run 1 of 2</figcaption>", 1, true), f:sub(-300))
  end)

  it("without gnuplot keeps every table and says what is missing", function()
    local dir, page, doc = report { HOTPATH_GNUPLOT = "/nonexistent/gnuplot" }
    assert.is_nil(page:find("<svg", 1, true))
    local note = page:match('<p class="missing" id="charts%-missing">([^<]*)</p>')
    assert.truthy(note:match("^%d+ of %d+ charts are missing: gnuplot %(/nonexistent/gnuplot%) did not run: install Debian&#39;s gnuplot%-nox for the charts%. The tables below have every figure%.$"), note)
    assert.truthy(page:find('<figure data-chart="time-sleepy" data-missing="true">', 1, true))
    check_tables(page, doc)
    helper.rmdir(dir)
  end)

  it("writes the page of hotpath compare: the change, the verdict, both machines", function()
    local dir = helper.tmpdir()
    local args = { "run", FIX .. "sleepy.lua", "--filter", "/sleep$", "--runs", "5", "--json" }
    local r = helper.cli({ args[1], args[2], args[3], args[4], args[5], args[6], args[7], dir .. "/old.json" })
    assert.are.equal(0, r.exit_code, r.stderr)
    r = helper.cli({ args[1], args[2], args[3], args[4], args[5], args[6], args[7], dir .. "/new.json" }, { env = { HOTPATH_SPEC_SLEEP = "0.06" } })
    assert.are.equal(0, r.exit_code, r.stderr)
    r = helper.cli { "compare", dir .. "/old.json", dir .. "/new.json", "--fail-if-slower", "20%", "--export-html", dir .. "/c.html", "--export-json", dir .. "/c.json" }
    local page = helper.read(dir .. "/c.html")
    local cmp = cjson.decode(helper.read(dir .. "/c.json")).compare
    -- the page shows the comparison as the JSON has it, whatever a busy machine made of the
    -- times (gate_spec tests the verdicts)
    local n = cmp.regressions
    assert.are.equal(n > 0 and 1 or 0, r.exit_code, r.stdout .. r.stderr)
    local row = element(page, '<tr data-id="sleepy/sleep" data-measure="time">', "</tr>")
    local t = cmp.rows[1]
    local old, old_text, new, new_text = row:match('<td class="num" data%-value="([^"]+)">([^<]*)</td><td class="num" data%-value="([^"]+)">([^<]*)</td>')
    assert.are.same({ t.old, fmt.seconds(t.old), t.new, fmt.seconds(t.new) }, { tonumber(old), old_text, tonumber(new), new_text })
    local change, change_text = row:match('data%-key="change_pct" data%-value="([^"]+)">([^<]*)</td>')
    assert.are.same({ t.change_pct, string.format("%+.1f%%", t.change_pct) }, { tonumber(change), change_text })
    local cls = t.regression and ' class="bad"' or (t.verdict == "faster" and ' class="good"' or "")
    assert.truthy(row:find("<td" .. cls .. ' data-key="verdict">' .. t.verdict .. "</td>", 1, true), row)
    assert.truthy(page:find(string.format('<p class="%s" id="verdict">%d regression(s) beyond 20.0 %% with significance</p>', n > 0 and "bad" or "good", n), 1, true))
    assert.truthy(page:find("<h3>old</h3>", 1, true) and page:find("<h3>new</h3>", 1, true))
    assert.is_nil(page:find("http:", 1, true) or page:find("https:", 1, true))
    helper.rmdir(dir)
  end)

  describe("in headless Chromium", function()
    local chromium
    local prefix = {}

    -- Runs chromium on a file with a net log; returns the proc result and the URLs the page
    -- itself asked for (requests whose network isolation key is the page's file:// site;
    -- Chromium's own background requests have none, and the namespace or the proxy stops them).
    local function open(dir, file, extra)
      local argv = {}
      for _, x in ipairs(prefix) do argv[#argv + 1] = x end
      for _, x in ipairs {
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
        "--disable-background-networking", "--disable-component-update", "--disable-default-apps", "--disable-extensions",
        -- every connection to a closed local port, every name unresolvable: nothing leaves
        "--proxy-server=socks5://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
        "--user-data-dir=" .. dir .. "/profile", "--log-net-log=" .. dir .. "/net.json", "--hide-scrollbars",
      } do argv[#argv + 1] = x end
      for _, x in ipairs(extra) do argv[#argv + 1] = x end
      argv[#argv + 1] = "file://" .. file
      local r = assert(proc.run { argv = argv, keep_stdout = true, keep_stderr = 65536, timeout = 90 })
      assert.is_true(r.ok, r.status .. " " .. (r.stderr or ""))
      local log = cjson.decode(helper.read(dir .. "/net.json"))
      local names = {}
      for k, v in pairs(log.constants.logEventTypes) do names[v] = k end
      local urls = {}
      for _, e in ipairs(log.events) do
        local p = e.params
        if names[e.type] == "URL_REQUEST_START_JOB" and type(p) == "table" and type(p.network_isolation_key) == "string"
          and p.network_isolation_key:find("file://", 1, true) then
          urls[#urls + 1] = p.url
        end
      end
      os.remove(dir .. "/net.json")
      return r, urls
    end

    setup(function()
      for _, name in ipairs { "chromium", "chromium-browser" } do
        if have { name, "--version" } then chromium = name break end
      end
      if have { "unshare", "-n", "true" } then prefix = { "unshare", "-n" } end
    end)

    it("sees a request a page makes, and the report's policy stops one", function()
      if not chromium then pending("chromium is not installed (Debian chromium): the browser test did not run") return end
      local dir = helper.tmpdir()
      local img = '<img src="http://127.0.0.1:9/probe.png" alt="">'
      helper.write(dir .. "/open.html", "<!DOCTYPE html><html><head><title>t</title></head><body>" .. img .. "</body></html>")
      helper.write(dir .. "/csp.html", '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="' ..
        html.CSP .. '"><title>t</title></head><body>' .. img .. "</body></html>")
      local _, urls = open(dir, dir .. "/open.html", { "--dump-dom" })
      assert.are.same({ "http://127.0.0.1:9/probe.png" }, urls)
      _, urls = open(dir, dir .. "/csp.html", { "--dump-dom" })
      assert.are.same({}, urls)
      helper.rmdir(dir)
    end)

    it("renders the report with the JSON's values, makes no request, and takes a screenshot", function()
      if not chromium then pending("chromium is not installed (Debian chromium): the browser test did not run") return end
      if not have { "gnuplot", "--version" } then pending("gnuplot is not installed (Debian gnuplot-nox)") return end
      local dir, _, doc = report()
      local r, urls = open(dir, dir .. "/r.html", { "--dump-dom" })
      assert.are.same({}, urls)
      local dom = r.stdout
      assert.truthy(dom:find("<svg", 1, true))
      check_tables(dom, doc)
      check_charts(dom, doc)
      assert.truthy(dom:find(string.format('id="verdict">%d regression(s) beyond 500.0 %% with significance</p>', doc.compare.regressions), 1, true))
      r, urls = open(dir, dir .. "/r.html", { "--window-size=1280,2400", "--screenshot=" .. dir .. "/shot.png" })
      assert.are.same({}, urls)
      local png = helper.read(dir .. "/shot.png")
      assert.are.equal("\137PNG\r\n\26\n", png:sub(1, 8))
      local function u32(i) local a, b, c, d = png:byte(i, i + 3) return ((a * 256 + b) * 256 + c) * 256 + d end
      assert.are.equal("IHDR", png:sub(13, 16))
      assert.are.same({ 1280, 2400 }, { u32(17), u32(21) })
      assert.is_true(#png > 50000, #png) -- a page of charts, not a blank one
      local keep = os.getenv("HOTPATH_SPEC_SCREENSHOT")
      if keep then helper.write(keep, png) end
      helper.rmdir(dir)
    end)
  end)
end)
