-- The Go peers (bench/peers/go/): built offline by hotpath.peers with Debian's go, their
-- outputs are hotpath's (`hotpath run bench/cpu.lua --filter ', Go$'` checks every program at
-- every size); this checks two small ones at small sizes, plus their argument errors. Pending
-- (not failed) where go is not installed.
local hp = require "hotpath"
local peers = require "hotpath.peers"

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
  local missing = select(2, peers.toolchain("go"))
  if missing then
    pending(missing)
    return
  end

  -- built once (cached by source digest under the build folder, as make bench does)
  local bin = {}
  setup(function()
    for _, name in ipairs { "fannkuch_redux", "tasks" } do
      local b, err = peers.build("go", name, { timeout = 600 })
      bin[name] = b and b.path or error(err)
    end
  end)

  for _, n in ipairs { 1, 2, 5, 7, 8 } do
    it("fannkuch_redux " .. n .. " prints what the C kernel prints", function()
      local r = run { bin.fannkuch_redux, n }
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
      local r = run { bin.tasks, t[1], t[2], t[3] }
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
      local argv = { bin.tasks }
      for i, a in ipairs(e[1]) do argv[i + 1] = a end
      local r = run(argv)
      assert.are.equal("exited 2", r.status)
      assert.are.equal("", r.stdout)
      assert.are.equal(e[2] .. USAGE, r.stderr)
    end)
  end

  it("fannkuch_redux refuses N outside 1..12", function()
    local r = run { bin.fannkuch_redux, "13" }
    assert.are.equal("exited 2", r.status)
    assert.are.equal("fannkuch_redux: N must be an integer from 1 to 12, got \"13\"\n", r.stderr)
  end)
end)
