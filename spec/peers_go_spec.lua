-- The Go peers (bench/peers/go/): built offline by build.sh with Debian's go, their outputs are
-- hotpath's. bench/peers/go/check.sh checks every program; this checks two small ones at
-- small sizes, plus their argument errors. Pending (not failed) where `go` is not installed.
local hp = require "hotpath"
local helper = require "helper"

local function has_go()
  local ok = os.execute("command -v go >/dev/null 2>&1")
  return ok == true or ok == 0
end

local OUT = (os.getenv("HOTPATH_BUILD") or (helper.root .. "/build")) .. "/peers/go"

local function run(argv, timeout)
  return assert(hp.proc.run { argv = argv, keep_stdout = true, keep_stderr = true, timeout = timeout or 120 })
end

-- sum of fib(i % 30) for i < n
local function fib_sum(n)
  local fib, a, b = {}, 0, 1
  for i = 0, 29 do fib[i], a, b = a, b, a + b end
  local s = 0
  for i = 0, n - 1 do s = s + fib[i % 30] end
  return string.format("%.0f\n", s)
end

describe("Go peers", function()
  if not has_go() then
    pending("go is not installed (Debian package golang-go): the Go peers cannot be built")
    return
  end

  local built
  setup(function()
    -- GOCACHE is OUT/gocache, so only the first run compiles (the standard library too)
    built = run({ "sh", helper.root .. "/bench/peers/go/build.sh", OUT, "fannkuch_redux", "tasks" }, 600)
  end)

  it("build.sh builds the named programs", function()
    assert.are.equal("", built.stderr)
    assert.is_true(built.ok, built.status)
  end)

  it("build.sh refuses a program that does not exist", function()
    local r = run { "sh", helper.root .. "/bench/peers/go/build.sh", OUT, "no_such_peer" }
    assert.are.equal("exited 2", r.status)
    assert.matches("no Go peer named 'no_such_peer'", r.stderr, 1, true)
  end)

  for _, n in ipairs { 1, 2, 5, 7, 8 } do
    it("fannkuch_redux " .. n .. " prints what the C kernel prints", function()
      local r = run { OUT .. "/bin/fannkuch_redux", n }
      assert.is_true(r.ok, r.status .. " " .. r.stderr)
      assert.are.equal(hp.kernels.fannkuch_redux(n), r.stdout)
    end)
  end

  local TASKS = {
    { 1000, "run", "recursive" }, { 1000, "run", "iterative" },
    { 1000, "hold", "recursive" }, { 2000, "hold", "iterative" }, { 0, "run", "recursive" },
  }
  for _, t in ipairs(TASKS) do
    it("tasks " .. table.concat(t, " ") .. " prints the sum of fib(i % 30)", function()
      local r = run { OUT .. "/bin/tasks", t[1], t[2], t[3] }
      assert.is_true(r.ok, r.status .. " " .. r.stderr)
      assert.are.equal(fib_sum(t[1]), r.stdout)
    end)
  end

  local USAGE = "usage: tasks N run|hold recursive|iterative\n"
  local ERRORS = {
    { { "1000", "run" }, "tasks: expected 3 arguments\n" },
    { { "-1", "run", "recursive" }, "tasks: N must be a non-negative integer, got \"-1\"\n" },
    { { "1000", "walk", "recursive" }, "tasks: MODE must be run or hold, got \"walk\"\n" },
    { { "1000", "hold", "memo" }, "tasks: FIB must be recursive or iterative, got \"memo\"\n" },
  }
  for _, e in ipairs(ERRORS) do
    it("tasks " .. table.concat(e[1], " ") .. " exits 2 with a usage message", function()
      local argv = { OUT .. "/bin/tasks" }
      for i, a in ipairs(e[1]) do argv[i + 1] = a end
      local r = run(argv)
      assert.are.equal("exited 2", r.status)
      assert.are.equal("", r.stdout)
      assert.are.equal(e[2] .. USAGE, r.stderr)
    end)
  end

  it("fannkuch_redux refuses N outside 1..12", function()
    local r = run { OUT .. "/bin/fannkuch_redux", "13" }
    assert.are.equal("exited 2", r.status)
    assert.are.equal("fannkuch_redux: N must be an integer from 1 to 12, got \"13\"\n", r.stderr)
  end)
end)
