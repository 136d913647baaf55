-- bin/hotpath: commands, flags, the table, the JSON file, and the failures it must report.
local helper = require "helper"
local cjson = require "cjson"

local FIX = "spec/fixtures/scenarios/"

local function lines_of(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

local function has_line(out, pattern)
  for _, l in ipairs(lines_of(out)) do
    if l:find(pattern) then return true end
  end
  return false
end

describe("hotpath CLI", function()
  local usage_errors = {
    { { "run", "--bogus" }, "hotpath: unknown option '--bogus'\nsee 'hotpath run --help'\n" },
    { { "run", "--runs" }, "hotpath: option '--runs' needs a value\nsee 'hotpath run --help'\n" },
    { { "run", "--runs", "x" }, "hotpath: option '--runs' needs a whole number, got 'x'\nsee 'hotpath run --help'\n" },
    { { "run", "--runs", "0" }, "hotpath: option '--runs' must be at least 1\nsee 'hotpath run --help'\n" },
    { { "run", "--quick=yes" }, "hotpath: option '--quick' takes no value\nsee 'hotpath run --help'\n" },
    { { "run", "--filter", "[" }, "hotpath: bad --filter pattern '[': malformed pattern (missing ']')\nsee 'hotpath run --help'\n" },
    { { "run", "--command", "echo 'x" }, "hotpath: --command 'echo 'x': unterminated single quote at byte 6\nsee 'hotpath run --help'\n" },
    { { "run", "--command", "true", FIX .. "good.lua" }, "hotpath: give either --command or scenario files, not both\nsee 'hotpath run --help'\n" },
    { { "run", "--command", "true", "--filter", "x" }, "hotpath: --filter selects scenarios of files; it does not apply to --command\nsee 'hotpath run --help'\n" },
    { { "run", "--shell" }, "hotpath: --shell applies to --command\nsee 'hotpath run --help'\n" },
    { { "run", "--command", " " }, "hotpath: --command 1 is empty\nsee 'hotpath run --help'\n" },
    { { "run", "--export-json" }, "hotpath: option '--export-json' needs a value\nsee 'hotpath run --help'\n" },
    { { "frobnicate" }, "hotpath: unknown command 'frobnicate'\nsee 'hotpath --help'\n" },
    { { "--frob" }, "hotpath: unknown option '--frob'\nsee 'hotpath --help'\n" },
    { { "list", "--x" }, "hotpath: unknown option '--x'\nsee 'hotpath list --help'\n" },
  }
  for _, c in ipairs(usage_errors) do
    it("rejects " .. table.concat(c[1], " ") .. " with status 2", function()
      local r = helper.cli(c[1])
      assert.are.equal(2, r.exit_code)
      assert.are.equal(c[2], r.stderr)
      assert.are.equal("", r.stdout)
    end)
  end

  it("prints help and version", function()
    local r = helper.cli { "--help" }
    assert.are.equal(0, r.exit_code)
    assert.truthy(r.stdout:find("usage: hotpath <command> [options]", 1, true))
    r = helper.cli { "run", "--help" }
    assert.are.equal(0, r.exit_code)
    assert.truthy(r.stdout:find("--filter PATTERN", 1, true))
    r = helper.cli { "compare", "--help" }
    assert.are.equal(0, r.exit_code)
    assert.truthy(r.stdout:find("usage: hotpath compare OLD NEW [options]", 1, true))
    r = helper.cli { "run", "--help" }
    for _, o in ipairs { "--save NAME", "--baseline NAME", "--fail-if-slower P", "--param K=V1,V2,..", "--export-csv FILE", "--export-markdown FILE", "--export-html FILE" } do
      assert.truthy(r.stdout:find(o, 1, true), o)
    end
    r = helper.cli { "--version" }
    assert.are.equal(0, r.exit_code)
    local runtime = rawget(_G, "jit") and "LuaJIT" or "Lua 5.4"
    assert.truthy(r.stdout:match("^hotpath %d+%.%d+%.%d+ %(" .. runtime:gsub("%.", "%%.")))
    assert.truthy(r.stdout:find("\nbuild: ", 1, true))
  end)

  it("with no command prints usage and fails", function()
    local r = helper.cli {}
    assert.are.equal(2, r.exit_code)
    assert.truthy(r.stdout:find("usage: hotpath", 1, true))
  end)

  it("lists scenarios", function()
    local r = helper.cli { "list", FIX .. "good.lua" }
    assert.are.equal(0, r.exit_code)
    assert.are.same({
      "good/repeat                              lua",
      "good/checked                             lua",
      "good/echo                                command",
    }, lines_of(r.stdout))
  end)

  it("runs passing scenarios and writes valid JSON with machine info", function()
    local dir = helper.tmpdir()
    local r = helper.cli { "run", FIX .. "good.lua", "--runs", "2", "--warmup", "1", "--json", dir .. "/out.json" }
    assert.are.equal(0, r.exit_code, r.stderr)
    assert.truthy(has_line(r.stdout, "^repeat %(n=1000%) +%d"))
    assert.truthy(has_line(r.stdout, "^    items 1000$"))
    assert.truthy(has_line(r.stdout, "^    vs a peer +1%.00 s, 100%.0 MB, items 500 +time %d+%.%d+x  memory %d+%.%d+x  items 2%.00x$"))
    assert.truthy(has_line(r.stdout, "^    note: a note for the reader$"))
    assert.truthy(has_line(r.stdout, "^    vs repeat: %d+%.%d+x %+%- %d+%.%d%% %(median ratio of interleaved pairs of runs%)$"))
    assert.truthy(has_line(r.stdout, "^3 scenario%(s%), 0 failed$"))
    local doc = cjson.decode(helper.read(dir .. "/out.json"))
    helper.rmdir(dir)
    assert.is_true(doc.ok)
    for _, k in ipairs { "cpu_model", "cores", "kernel", "runtime", "build", "governor" } do
      assert.is_not_nil(doc.machine[k], k)
    end
    assert.are.equal(3, #doc.scenarios)
    local rep = doc.scenarios[1]
    assert.are.equal("good/repeat", rep.id)
    assert.are.equal(3, #rep.runs)           -- 1 warm-up + 2 counted
    assert.is_true(rep.runs[1].warmup)
    assert.are.equal(2, rep.summary.run_s.n)
    -- run's third value, plain data, is kept with each run
    assert.are.same({ sizes = { 1000, 2000 }, label = "kept" }, rep.runs[2].data)
    for _, run in ipairs(rep.runs) do
      assert.is_true(run.ok)
      assert.are.equal(2000, run.out_bytes)
      assert.is_true(run.wall > 0 and run.maxrss_kb > 0 and run.rss_before_kb > 0 and run.run_s > 0)
    end
    assert.are.equal("command", doc.scenarios[3].kind)
    -- interleaved: all warm-ups, then round 1 of each scenario, then round 2 of each
    local order = {}
    for si, sc in ipairs(doc.scenarios) do
      for ri, run in ipairs(sc.runs) do order[#order + 1] = { run.started, si .. "." .. ri } end
    end
    table.sort(order, function(a, b) return a[1] < b[1] end)
    local seq = {}
    for i, o in ipairs(order) do seq[i] = o[2] end
    assert.are.same({ "1.1", "2.1", "3.1", "1.2", "2.2", "3.2", "1.3", "2.3", "3.3" }, seq)
    assert.are.equal(5, doc.scenarios[3].runs[1].out_bytes)
  end)

  it("uses the quick sizes and digests with --quick", function()
    local r = helper.cli { "run", FIX .. "good.lua", "--quick", "--runs", "1", "--warmup", "0", "--filter", "repeat" }
    assert.are.equal(0, r.exit_code, r.stderr)
    assert.truthy(has_line(r.stdout, "^repeat %(n=10%) +%d"))
    assert.is_false(has_line(r.stdout, "vs a peer"))
    assert.truthy(has_line(r.stdout, "^1 scenario%(s%), 0 failed$"))
  end)

  it("reports every kind of failure, runs the rest, and exits 1", function()
    local r = helper.cli { "run", FIX .. "bad.lua", "--runs", "1", "--warmup", "0" }
    assert.are.equal(1, r.exit_code)
    local out = r.stdout
    local expected = {
      "^raises +FAILED$", "^    run raised: spec/fixtures/scenarios/bad%.lua:4: boom$",
      "^mismatch +FAILED$",
      "^    digest mismatch: expected sha256:0+, got sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad %(3 bytes of output%)$",
      "^fine +%d",
      "^refused +FAILED$", "^    verification failed: x is wrong$",
      "^slow command +FAILED$", "^    timed out after 0%.3 s$",
      "^no such command +FAILED$", "^    cannot run 'hotpath%-no%-such%-command': No such file or directory$",
      "^exits 3 +FAILED$", "^    exited 3: bad thing$",
      "^7 scenario%(s%), 6 failed$",
    }
    for _, p in ipairs(expected) do assert.truthy(has_line(out, p), p .. "\n" .. out) end
  end)

  it("reports files that do not load and still runs the others", function()
    local r = helper.cli { "run", FIX .. "syntax.lua", FIX .. "nosuite.lua", FIX .. "good.lua", "--runs", "1", "--warmup", "0", "--filter", "checked" }
    assert.are.equal(1, r.exit_code)
    local out = r.stdout
    assert.truthy(has_line(out, "^FAILED to load spec/fixtures/scenarios/syntax%.lua:$"))
    -- the interpreter's own message: Lua 5.4 says near <eof>, LuaJIT near '<eof>'
    assert.truthy(has_line(out, "^    spec/fixtures/scenarios/syntax%.lua:5: '}' expected %(to close '{' at line 2%) near '?<eof>'?$"))
    assert.truthy(has_line(out, "^    spec/fixtures/scenarios/nosuite%.lua: must return a suite"))
    assert.truthy(has_line(out, "^checked +%d"))
    assert.truthy(has_line(out, "^1 scenario%(s%), 2 failed$"))
  end)

  it("reports a scenario with a bad timeout as a load error and runs the other files", function()
    local r = helper.cli { "run", FIX .. "badnumbers.lua", FIX .. "good.lua", "--runs", "1", "--warmup", "0", "--filter", "checked" }
    assert.are.equal(1, r.exit_code)
    assert.are.equal("", r.stderr)
    assert.truthy(has_line(r.stdout, "^FAILED to load spec/fixtures/scenarios/badnumbers%.lua:$"), r.stdout)
    assert.truthy(has_line(r.stdout, "^    spec/fixtures/scenarios/badnumbers%.lua: error while loading: spec/fixtures/scenarios/badnumbers%.lua:4: scenario 'negative timeout': field 'timeout' must be a positive number of seconds, got %-1$"), r.stdout)
    assert.truthy(has_line(r.stdout, "^checked +%d"))
  end)

  it("measures ad-hoc commands, interleaved, with digests and ratios to the first", function()
    local d = helper.tmpdir()
    local r = helper.cli { "run", "--command", "printf abc", "--command", "sh -c 'printf \"a b\"'",
      "--command", "printf abc | cat", "--shell", "--runs", "3", "--warmup", "0", "--export-json", d .. "/o.json" }
    assert.are.equal(0, r.exit_code, r.stderr)
    local out = r.stdout
    assert.truthy(has_line(out, "^%[commands%]$"), out)
    assert.truthy(has_line(out, "^printf abc +%d"), out)
    assert.truthy(has_line(out, "^    output sha256:ba7816bf8f01cfea %(3 bytes%) not verified"), out)
    assert.truthy(has_line(out, "^sh %-c 'printf \"a b\"' +%d"), out)
    assert.truthy(has_line(out, "^    output sha256:c8687a08aa5d6ed2 %(3 bytes%) not verified"), out)
    assert.truthy(has_line(out, "^printf abc | cat +%d"), out)
    assert.truthy(has_line(out, "^    vs printf abc: %d+%.%d+x %+%- %d+%.%d%% %(median ratio of interleaved pairs of runs%)$"), out)
    assert.truthy(has_line(out, "^3 scenario%(s%), 0 failed$"), out)
    local doc = cjson.decode(helper.read(d .. "/o.json"))
    assert.are.same({ "printf abc", "sh -c 'printf \"a b\"'", "printf abc | cat" }, doc.options.commands)
    assert.is_true(doc.options.shell)
    assert.are.equal(3, #doc.scenarios)
    assert.are.equal("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", doc.scenarios[3].output.digest)
    assert.are.equal(3, #doc.scenarios[1].runs)
    assert.are.equal("table", type(doc.warnings))
    assert.are.equal("number", type(doc.noise.during.seconds))
    helper.rmdir(d)
  end)

  it("splits --command without a shell: a pipe is an argument", function()
    local r = helper.cli { "run", "--command", "printf %s| x", "--runs", "1", "--warmup", "0" }
    assert.are.equal(0, r.exit_code, r.stderr)
    -- printf %s "|" "x" prints "|x"
    assert.truthy(has_line(r.stdout, "^    output sha256:[0-9a-f]+ %(2 bytes%) not verified"), r.stdout)
  end)

  it("fails a command that exits non-zero", function()
    local r = helper.cli { "run", "--command", "sh -c 'exit 4'", "--runs", "1", "--warmup", "0" }
    assert.are.equal(1, r.exit_code)
    assert.truthy(has_line(r.stdout, "^    exited 4$"), r.stdout)
  end)

  it("runs any scenario that one of several --filter patterns matches, and --json is --export-json", function()
    local d = helper.tmpdir()
    local r = helper.cli { "run", FIX .. "good.lua", "--runs", "1", "--warmup", "0", "--filter", "checked", "--filter", "^good/echo$", "--json", d .. "/o.json" }
    assert.are.equal(0, r.exit_code, r.stderr)
    assert.truthy(has_line(r.stdout, "^checked +%d"))
    assert.truthy(has_line(r.stdout, "^echo %(word=hello%) +%d"))
    assert.is_false(has_line(r.stdout, "^repeat"))
    local doc = cjson.decode(helper.read(d .. "/o.json"))
    assert.are.same({ "checked", "^good/echo$" }, doc.options.filter)
    assert.are.equal(2, #doc.scenarios)
    helper.rmdir(d)
  end)

  it("reports scenarios whose setup returns hp.skip as skipped, not failed", function()
    local d = helper.tmpdir()
    local r = helper.cli { "run", FIX .. "skip.lua", "--runs", "1", "--warmup", "0", "--export-json", d .. "/o.json" }
    assert.are.equal(0, r.exit_code, r.stdout .. r.stderr)
    local out = r.stdout
    for _, p in ipairs { "^no toolchain +skipped$", "^    Rust peers skipped: install Debian's cargo and rustc$",
        "^no server +skipped$", "^    no nginx here$", "^runs +%d", "^3 scenario%(s%), 0 failed, 2 skipped$" } do
      assert.truthy(has_line(out, p), p .. "\n" .. out)
    end
    local doc = cjson.decode(helper.read(d .. "/o.json"))
    assert.are.equal("no nginx here", doc.scenarios[2].skipped)
    assert.are.equal(0, #doc.scenarios[2].runs)
    helper.rmdir(d)
  end)

  it("writes the summary rows, measured peers and verdicts included, to the JSON", function()
    local d = helper.tmpdir()
    local r = helper.cli { "run", FIX .. "summary.lua", "--runs", "1", "--warmup", "0", "--export-json", d .. "/o.json" }
    assert.are.equal(0, r.exit_code, r.stdout .. r.stderr)
    assert.truthy(has_line(r.stdout, "^dimension  workload  hotpath, here +Rust, here +Go, here +Rust, published +Go, published$"), r.stdout)
    assert.truthy(has_line(r.stdout, "^w: time +2%.00x +%- +cannot hold: Go not measured here$"), r.stdout)
    local doc = cjson.decode(helper.read(d .. "/o.json"))
    local row = doc.summary[1]
    assert.are.equal(1, #doc.summary)
    assert.are.equal("CPU", row.dimension)
    assert.are.equal("number", type(row.hotpath.ms))
    assert.are.equal("number", type(row.rust.ms))
    assert.are.equal("summary/Rust peer", row.rust_scenario)
    assert.are.equal("skipped: Go peers skipped: install Debian's golang-go", row.go_status)
    assert.are.same({ ms = 200, mb = 20 }, row.published.go)
    assert.are.equal("table", type(doc.machine.toolchains)) -- cargo, rustc, go versions where installed
    assert.are.equal(2, row.claims[1].published)
    assert.are.equal("cannot hold: Go not measured here", row.claims[1].verdict)
    helper.rmdir(d)
  end)

  it("fails on a missing path and on a filter that matches nothing", function()
    local r = helper.cli { "run", "no/such/dir" }
    assert.are.equal(1, r.exit_code)
    assert.truthy(has_line(r.stdout, "^    no/such/dir: no such file or directory$"))
    r = helper.cli { "run", FIX .. "good.lua", "--filter", "nothing-matches-this" }
    assert.are.equal(1, r.exit_code)
    assert.are.equal("hotpath: no scenario matched\n", r.stderr)
  end)

  it("lists and runs its own suites (bench/) with no path, and tells its version, from any folder", function()
    local d = helper.tmpdir()
    finally(function() helper.rmdir(d) end)
    local r = helper.cli({ "list" }, { cwd = d })
    assert.are.equal(0, r.exit_code, r.stderr)
    local lines = lines_of(r.stdout)
    assert.are.equal("suites: " .. helper.root .. "/bench (source)", table.remove(lines, 1))
    assert.truthy(has_line(r.stdout, "^cpu/mandelbrot +lua$"), r.stdout)
    -- given a path: the same scenarios, without the header
    local given = helper.cli({ "list", helper.root .. "/bench" }, { cwd = d })
    assert.are.same(lines, lines_of(given.stdout))
    r = helper.cli({ "--version" }, { cwd = d })
    assert.are.equal(0, r.exit_code, r.stderr)
    assert.truthy(r.stdout:match("^hotpath %d+%.%d+%.%d+ %("), r.stdout)
    r = helper.cli({ "run", "--quick", "--runs", "1", "--warmup", "0", "--filter", "^cpu/mandelbrot$" }, { cwd = d })
    assert.are.equal(0, r.exit_code, r.stdout .. r.stderr)
    assert.truthy(has_line(r.stdout, "^mandelbrot %(n=1000%) +%d"), r.stdout)
    assert.truthy(has_line(r.stdout, "^1 scenario%(s%), 0 failed$"), r.stdout)
  end)

  it("runs through a symbolic link to bin/hotpath, and says when its modules are nowhere", function()
    local d = helper.tmpdir()
    finally(function() helper.rmdir(d) end)
    assert.is_true(os.execute("ln -s '" .. helper.root .. "/bin/hotpath' '" .. d .. "/hp' && cp '" .. helper.root ..
      "/bin/hotpath' '" .. d .. "/lone'") ~= false)
    local run = function(script, env)
      return assert(require("hotpath").proc.run { helper.lua, d .. "/" .. script, "--version", cwd = "/", env = env,
        keep_stdout = true, keep_stderr = 65536, timeout = 60 })
    end
    local r = run("hp")
    assert.are.equal(0, r.exit_code, r.stderr)
    assert.truthy(r.stdout:match("^hotpath %d+%.%d+%.%d+ %("), r.stdout)
    -- a copy outside any tree, with no hotpath on the interpreter's path
    local nowhere = "/nonexistent/?.lua"
    r = run("lone", { LUA_PATH = nowhere, LUA_PATH_5_4 = nowhere })
    local jit = rawget(_G, "jit")
    assert.are.equal(1, r.exit_code)
    assert.are.equal("", r.stdout)
    assert.are.equal("hotpath: its Lua modules are not installed for " .. (jit and jit.version or _VERSION) ..
      " (no hotpath.cli on package.path): install the rock (doc/install.md), or run bin/hotpath of a source tree\n", r.stderr)
  end)

  -- A source tree before `make`: bin/hotpath says what to do instead of a traceback; each case
  -- adds one more of the generated files, and the message names the next one missing.
  it("in a source tree that is not built says to run make first", function()
    local d = helper.tmpdir()
    finally(function() helper.rmdir(d) end)
    assert.is_true(os.execute("mkdir -p '" .. d .. "/bin' && cp '" .. helper.root .. "/bin/hotpath' '" .. d ..
      "/bin/' && cp -r '" .. helper.root .. "/lua' '" .. d .. "/'") ~= false)
    local need = { "build/lua/hotpath/consts.lua",
      "build/" .. (rawget(_G, "jit") and "luajit" or "lua54") .. "/hotpath/core.so" }
    for i, f in ipairs(need) do
      for _, argv in ipairs { { "--version" }, { "list" }, { "run" } } do
        local r = assert(require("hotpath").proc.run { helper.lua, d .. "/bin/hotpath", argv[1], cwd = "/",
          keep_stdout = true, keep_stderr = 65536, timeout = 60 })
        assert.are.equal(1, r.exit_code)
        assert.are.equal("", r.stdout)
        assert.are.equal("hotpath: this source tree is not built yet (" .. f .. " is missing): run `make` in " .. d ..
          " first (`make deps` installs the Debian packages it needs)\n", r.stderr, "case " .. i)
      end
      assert.is_true(os.execute("mkdir -p \"$(dirname '" .. d .. "/" .. f .. "')\" && touch '" .. d .. "/" .. f .. "'") ~= false)
    end
  end)
end)
