-- hotpath.proc: running commands in fresh processes, measured.
local hp = require "hotpath"
local helper = require "helper"
local proc = hp.proc

describe("hotpath.proc.run", function()
  local cases = {
    { name = "exit 0", t = { "sh", "-c", "printf hi" }, ok = true, status = "exited 0", bytes = 2 },
    { name = "exit 3", t = { "sh", "-c", "exit 3" }, ok = false, status = "exited 3", bytes = 0 },
    { name = "signal", t = { "sh", "-c", "kill -KILL $$" }, ok = false, status = "killed by signal 9", bytes = 0 },
    { name = "argv field", t = { argv = { "printf", "abc" } }, ok = true, status = "exited 0", bytes = 3 },
    { name = "numbers in argv", t = { "printf", "%s", 42 }, ok = true, status = "exited 0", bytes = 2 },
  }
  for _, c in ipairs(cases) do
    it("reports " .. c.name, function()
      local r = assert(proc.run(c.t))
      assert.are.equal(c.ok, r.ok)
      assert.are.equal(c.status, r.status)
      assert.are.equal(c.bytes, r.stdout_bytes)
      assert.is_true(r.wall > 0)
      assert.is_true(r.maxrss_kb > 0)
    end)
  end

  it("digests stdout and feeds stdin", function()
    local r = assert(proc.run { "cat", stdin = "hello", digest = "md5", keep_stdout = true })
    assert.are.equal("5d41402abc4b2a76b9719d911017c592", r.digest)
    assert.are.equal("hello", r.stdout)
    r = assert(proc.run { "cat", stdin = "abc", digest = "sha256" })
    assert.are.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", r.digest)
    assert.is_nil(r.stdout)
  end)

  it("keeps the tail of stderr", function()
    local r = assert(proc.run { "sh", "-c", "echo first >&2; echo last >&2; exit 1" })
    assert.are.equal("first\nlast\n", r.stderr)
  end)

  it("passes env and cwd", function()
    local r = assert(proc.run { "sh", "-c", "printf '%s:%s' \"$HP_X\" \"$(pwd)\"", env = { HP_X = "y" }, cwd = "/tmp", keep_stdout = true })
    assert.are.equal("y:/tmp", r.stdout)
  end)

  it("kills a command at its time limit", function()
    local r = assert(proc.run { "sleep", "30", timeout = 0.2 })
    assert.is_true(r.timed_out)
    assert.is_false(r.ok)
    assert.are.equal("timed out after 0.2 s", r.status)
    assert.is_true(r.wall < 10)
  end)

  it("returns nil, message, code for a missing program", function()
    local r, err, code = proc.run { "hotpath-no-such-program" }
    assert.is_nil(r)
    assert.are.equal("cannot run 'hotpath-no-such-program': No such file or directory", err)
    assert.are.equal("system", code)
  end)

  local misuse = {
    { nil, "bad argument #1 to 'run' (table expected, got nil)" },
    { {}, "bad argument #1 to 'run' (argv must be a non-empty list of strings)" },
    { { "ls", {} }, "bad argument #1 to 'run' (argv[2] must be a string, got table)" },
    { { "" }, "bad argument #1 to 'run' (argv[1] must name a program)" },
    { { "ls", timeout = -1 }, "bad argument #1 to 'run' (timeout must be a positive number of seconds)" },
    { { "ls", timeout = "5" }, "bad argument #1 to 'run' (timeout must be a positive number of seconds)" },
    { { "ls", stdin = 5 }, "bad argument #1 to 'run' (stdin must be a string)" },
    { { "ls", env = { 1 } }, "bad argument #1 to 'run' (env must map names to strings)" },
    { { "ls", digest = "crc" }, "bad argument #1 to 'run' (digest must be \"sha256\" or \"md5\")" },
    { { "ls", timout = 5 }, "bad argument #1 to 'run' (unknown option 'timout')" },
    { { "ls", keep_stdout = "all" }, "bad argument #1 to 'run' (keep_stdout must be a boolean or a byte count)" },
    { { "ls", keep_stderr = -1 }, "bad argument #1 to 'run' (keep_stderr must be a boolean or a byte count)" },
    { { "ls", keep_stderr = 0.5 }, "bad argument #1 to 'run' (keep_stderr must be a boolean or a byte count)" },
    { { "ls", report_fd = 1 }, "bad argument #1 to 'run' (report_fd must be a descriptor number from 3 to 255)" },
    { { argv = { "ls" }, "-l" }, "bad argument #1 to 'run' (unknown option [1])" },
    { { "ls", [3] = "x" }, "bad argument #1 to 'run' (unknown option [3])" },
  }
  for i, c in ipairs(misuse) do
    it("raises on misuse " .. i, function()
      local ok, err = pcall(proc.run, c[1])
      assert.is_false(ok)
      assert.are.equal(c[2], err)
    end)
  end

  -- keep_stderr as the header documents it: true (all), false (none), a count (the last bytes)
  local keeps = {
    { true, ("e"):rep(20000) .. "\n" },
    { false, "" },
    { 4, "eee\n" },
  }
  for i, c in ipairs(keeps) do
    it("keeps stderr as asked " .. i, function()
      local r = assert(proc.run { "sh", "-c", "head -c 20000 /dev/zero | tr '\\0' e >&2; echo >&2", keep_stderr = c[1] })
      assert.is_true(r.ok)
      assert.are.equal(c[2], r.stderr or "")
    end)
  end

  it("reads its own RSS", function()
    assert.is_true(proc.rss_kb() > 0)
    assert.is_true(proc.rss_kb(nil, true) > 0)
  end)

  -- Spawned directly, a program inherited this process's peak RSS as the floor of its own
  -- (the kernel records the replaced address space's peak at exec): after holding 300 MB,
  -- every program reported 300 MB. Now each reports its own VmHWM, which it prints. The
  -- Lua programs hold their megabytes in 1 MiB strings, collecting as they go, so that their
  -- peak stays near the size (string.rep copies its buffer: one big string would peak twice).
  describe("after this process held 300 MB", function()
    lazy_setup(function() helper.hold_and_free(300) end)

    local own_peak = {
      { name = "small (sh)", min_mb = 0.3, argv = { "sh", "-c",
        "while read -r k v rest; do case $k in VmHWM:) echo \"$v\";; esac; done < /proc/self/status" } },
    }
    for _, mb in ipairs { 50, 500 } do
      own_peak[#own_peak + 1] = { name = mb .. " MB (lua5.4)", min_mb = mb, argv = { "lua5.4", "-e", string.format(
        "local k, t = ('x'):rep(1024), {} for i = 1, %d do t[i] = k:rep(1024) if i %% 8 == 0 then collectgarbage() end end " ..
        "local f = io.open('/proc/self/status') io.write(f:read('*a'):match('VmHWM:%%s*(%%d+)')) io.flush() os.exit(0)", mb) } }
    end
    for _, c in ipairs(own_peak) do
      it("reports a program's own peak memory: " .. c.name, function()
        assert.is_true(proc.rss_kb(nil, true) >= 300 * 1024, "this process's own peak is above 300 MB")
        local r = assert(proc.run { argv = c.argv, keep_stdout = true, timeout = 60 })
        assert.is_true(r.ok, r.status .. " " .. r.stderr)
        local own = tonumber(r.stdout)
        assert.is_true(own >= c.min_mb * 1024, "it touched what it should: " .. r.stdout)
        assert.is_true(helper.peak_close(own, r.maxrss_kb),
          string.format("own VmHWM %d kB, reported %d kB", own, r.maxrss_kb))
      end)
    end
  end)
end)
