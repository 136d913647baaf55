-- hotpath.pool: results for every input form and thread count, errors with the task index,
-- fail_fast, cancel, wait timeout, close with work in flight, and misuse.
local hp = require "hotpath"
local P = hp.pool
local helper = require "helper"
local unpack = table.unpack or unpack

local function fib(n)
  local a, b = 0, 1
  for _ = 1, n do a, b = b, a + b end
  return a
end

-- Threads of this process (Linux): workers joined or exited show here.
local function threads_now()
  local f = assert(io.open("/proc/self/status"))
  local n = tonumber(f:read("*a"):match("\nThreads:%s*(%d+)"))
  f:close()
  return n
end

-- Polls until the process has at most n threads (a detached worker exits when its task does).
local function wait_threads(n)
  local t = hp.clock() + 20
  while threads_now() > n and hp.clock() < t do
    local t1 = hp.clock() + 0.01
    while hp.clock() < t1 do end
  end
  return threads_now()
end

-- A Lua task that runs 30 s unless interrupted. Under LuaJIT the cancel hook fires only in
-- interpreted code (a JIT-compiled loop, even one calling os.clock, runs on), so the task
-- keeps its own function out of the JIT (jit.off(true): this function only, not the state).
local function busy_lua_task()
  if jit then jit.off(true) end
  local t = os.clock() + 30
  while os.clock() < t do end
  return 1
end

local threads_at_load = threads_now()

-- The thread count a test starts from: pools that earlier tests left to the collector are
-- collected (and their workers joined) first, so none of them exits in the middle of the
-- test and makes the count drop below the base.
local function settled_threads()
  collectgarbage()
  collectgarbage()
  return wait_threads(threads_at_load)
end

local function mod30(n)
  local t = {}
  for i = 1, n do t[i] = (i - 1) % 30 end
  return t
end

describe("hotpath.pool", function()
  for _, threads in ipairs { 1, 2, 3 } do
    describe("with " .. threads .. " thread(s)", function()
      local pool
      before_each(function() pool = P.new { threads = threads } end)
      after_each(function() pool:close() end)

      it("computes fib_recursive and fib_iterative over an array", function()
        local inputs = mod30(3000)
        local r = pool:map("fib_recursive", inputs):wait()
        local it = pool:map("fib_iterative", inputs):wait()
        assert.are.equal(3000, #r)
        for i = 1, 3000 do
          assert.are.equal(fib((i - 1) % 30), r[i])
          assert.are.equal(r[i], it[i])
        end
      end)

      it("sums 100,000 fib_iterative(i % 30) in C", function()
        local f = pool:map("fib_iterative", mod30(100000), { results = false })
        assert.are.equal(4487111332, f:sum())
        assert.are.equal(0, f:min())
        assert.are.equal(514229, f:max())
        assert.is_true(f:wait()) -- results not kept: true, not nothing (which reads as failure)
      end)

      it("takes ranges, with steps, and every chunk size", function()
        for _, chunk in ipairs { 1, 7, 1000 } do
          local r = pool:map("identity", P.range(5, 1005, 10), { chunk = chunk }):wait()
          assert.are.equal(101, #r)
          assert.are.equal(5, r[1])
          assert.are.equal(1005, r[101])
        end
        assert.are.same({ 3, 2, 1 }, pool:map("identity", P.range(3, 1, -1)):wait())
        assert.are.same({}, pool:map("identity", P.range(1, 0)):wait())
        assert.are.equal(50005000, pool:map("identity", P.range(1, 10000)):sum())
      end)

      it("takes floats and strings", function()
        assert.are.same({ 2.25, 4, 0.25 }, pool:map("square", { 1.5, 2, -0.5 }):wait())
        assert.are.equal(6.5, pool:map("square", { 1.5, 2, -0.5 }):sum())
        -- integers read before the first float become floats (the binding's one-pass scan)
        assert.are.same({ 4, 9, 0.25, 1e6 }, pool:map("square", { 2, 3, 0.5, 1000 }):wait())
        assert.are.same({ 0, 3, 5 }, pool:map("len", { "", "abc", "hello" }):wait())
        assert.are.same({}, pool:map("len", {}):wait())
        assert.is_nil(pool:map("len", {}):max())
        assert.are.equal(0, pool:map("len", {}):sum())
      end)

      it("reports the lowest failing task with its index", function()
        local inputs = mod30(1000)
        inputs[700], inputs[300] = 41, -1
        local r, msg, index = pool:map("fib_recursive", inputs):wait()
        assert.is_nil(r)
        assert.are.equal("task 300: fib_recursive: n must be between 0 and 40, got -1", msg)
        assert.are.equal(300, index)
        local s, msg2, index2 = pool:map("fib_recursive", inputs):sum()
        assert.is_nil(s)
        assert.are.equal(msg, msg2)
        assert.are.equal(300, index2)
        local _, msg3, index3 = pool:map("identity", { 1, 2.5 }):wait()
        assert.are.equal("task 2: identity: integer expected, got 2.5", msg3)
        assert.are.equal(2, index3)
      end)

      it("fail_fast stops the tasks after the first failure", function()
        local inputs = {}
        for i = 1, 200 do inputs[i] = 5 end
        inputs[1] = -1
        local r, msg, index = pool:map("sleep", inputs, { fail_fast = true, chunk = 1 }):wait()
        assert.is_nil(r)
        assert.are.equal("task 1: sleep: n must be between 0 and 60000, got -1", msg)
        assert.are.equal(1, index)
      end)

      it("cancel stops a batch; wait then says cancelled", function()
        local f = pool:map("sleep", { 5000, 5000, 5000, 5000 }, { chunk = 1 })
        assert.is_false(f:done())
        f:cancel()
        local r, msg, index, code = f:wait()
        assert.is_nil(r)
        assert.are.equal("cancelled", msg)
        assert.is_nil(index)
        assert.are.equal("canceled", code)
        assert.is_true(f:done())
      end)

      it("wait with a timeout returns and the batch keeps running", function()
        local f = pool:map("sleep", { 300, 300, 300, 300, 300, 300 }, { chunk = 1 })
        local r, msg, _, code = f:wait(0.02)
        assert.is_nil(r)
        assert.are.equal("timeout", code)
        assert.truthy(msg:match("^timed out after 0%.02"))
        assert.are.same({ 300, 300, 300, 300, 300, 300 }, f:wait())
      end)

      it("closing with work in flight cancels it and keeps the future usable", function()
        local f = pool:map("sleep", { 5000, 5000, 5000 }, { chunk = 1 })
        pool:close()
        assert.are.equal("cancelled", select(2, f:wait()))
        assert.is_true(pool:closed())
        pool:close() -- idempotent
      end)
    end)
  end

  describe("shutdown", function()
    it("close cancels running native tasks that poll the flag and joins within the timeout", function()
      local base = settled_threads()
      local pool = P.new { threads = 2 }
      local f = pool:map("sleep", { 30000, 30000, 30000 }, { chunk = 1 })
      assert.are.equal(base + 2, threads_now())
      assert.is_true(pool:close { timeout = 10 })
      assert.are.equal(base, wait_threads(base)) -- joined
      assert.are.same({ nil, "cancelled", nil, "canceled" }, { f:wait() })
    end)

    it("close interrupts running Lua tasks through the cancel hook", function()
      local base = settled_threads()
      local pool = P.new { threads = 2 }
      local f = pool:map(busy_lua_task, { 1, 2, 3, 4 }, { chunk = 1 })
      local t = hp.clock() + 5
      while hp.clock() < t and pool:started() < 2 do end
      assert.is_true(pool:close { timeout = 10 })
      assert.are.equal(base, wait_threads(base))
      assert.are.equal("cancelled", select(2, f:wait()))
    end)

    it("close with drain lets the batches in flight finish", function()
      local pool = P.new { threads = 2 }
      local f = pool:map("sleep", { 20, 20, 20, 20, 20, 20 }, { chunk = 1 })
      local g = pool:map(function(x) return x * 2 end, P.range(1, 100))
      assert.is_true(pool:close { drain = true })
      assert.are.same({ 20, 20, 20, 20, 20, 20 }, f:wait())
      assert.are.equal(10100, g:sum())
      local p2 = P.new { threads = 1 }
      local h = p2:map("sleep", { 30000, 30000 }, { chunk = 1 })
      assert.is_true(p2:close { drain = 0.01, timeout = 10 }) -- drained for 10 ms, then cancelled
      assert.are.equal("cancelled", select(2, h:wait()))
    end)

    it("returns nil, msg, 'timeout' when a task does not stop, and detaches the worker", function()
      local base = settled_threads()
      local pool, f, ok, msg, code
      -- the worker must be inside the task when close cancels it; on a loaded machine it may
      -- not have been scheduled yet (then close finds nothing running and succeeds): try again,
      -- letting it longer each time
      for _, settle in ipairs { 0.1, 0.3, 1, 2 } do
        pool = P.new { threads = 1 }
        f = pool:map("spin", { 600 + 1000 * settle })
        local t = hp.clock() + settle
        while hp.clock() < t do end -- let the worker enter the task
        ok, msg, code = pool:close { timeout = 0.01 }
        if ok == nil then break end
        f:release()
      end
      assert.is_nil(ok)
      assert.are.equal("pool: 1 worker(s) still running a task 0.01 s after the cancel; detached: they free the pool when their task returns", msg)
      assert.are.equal("timeout", code)
      assert.is_true(pool:closed())
      assert.is_true(pool:close()) -- idempotent
      f:release()                  -- the worker frees the batch when its task returns
      assert.are.equal(base, wait_threads(base))
    end)

    it("raises clear errors on a closed pool and on bad close options", function()
      local pool = P.new { threads = 1 }
      assert.is_true(pool:close())
      assert.is_true(pool:close())
      for _, c in ipairs {
        { "map", { "noop", { 1 } } }, { "threads", {} }, { "started", {} },
      } do
        local ok, err = pcall(pool[c[1]], pool, unpack(c[2]))
        assert.is_false(ok)
        assert.are.equal("bad argument #1 to '" .. c[1] .. "' (pool is closed)", err)
      end
      local p2 = P.new { threads = 1 }
      local ok, err = pcall(p2.close, p2, { timeout = -1 })
      assert.are.equal("bad argument #1 to 'close' (timeout: non-negative number expected, got -1)", err)
      ok, err = pcall(p2.close, p2, { drain = "yes" })
      assert.are.equal("bad argument #1 to 'close' (drain: non-negative number expected, got string)", err)
      ok, err = pcall(p2.close, p2, 3)
      assert.are.equal("bad argument #1 to 'close' (options table expected, got number)", err)
      assert.is_false(ok)
      p2:close()
    end)

    it("collecting an unclosed pool with work in flight cancels and joins its workers", function()
      local base = settled_threads()
      do
        local pool = P.new { threads = 2 }
        pool:map("sleep", { 30000, 30000, 30000 }, { chunk = 1 })
        pool:map(busy_lua_task, { 1, 2, 3 }, { chunk = 1 })
        assert.are.equal(base + 2, threads_now())
      end
      collectgarbage()
      collectgarbage()
      assert.are.equal(base, wait_threads(base))
    end)
  end)

  describe("Lua-function tasks", function()
    local pool
    before_each(function() pool = P.new { threads = 2 } end)
    after_each(function() pool:close { timeout = 10 } end) -- a stuck task fails, not hangs

    it("run in worker states with copied values", function()
      local r = pool:map(function(n)
        local a, b = 0, 1
        for _ = 1, n do a, b = b, a + b end
        return a
      end, mod30(3000)):wait()
      for i = 1, 3000 do assert.are.equal(fib((i - 1) % 30), r[i]) end
      local t = pool:map(function(x)
        return { x.a * 2, s = x.s:upper(), ok = not x.flag, nested = { x.a } }
      end, { { a = 1, s = "x", flag = true }, { a = 2, s = "y" } }):wait()
      assert.are.same({ { 2, s = "X", ok = false, nested = { 1 } }, { 4, s = "Y", ok = true, nested = { 2 } } }, t)
      assert.are.equal(333833500, pool:map(function(x) return x * x end, P.range(1, 1000)):sum())
      assert.are.equal(1, pool:map(function(x) return x * x end, P.range(1, 1000)):min())
      assert.are.same({ true, false, 1.5, "s" }, pool:map(function(x) return x end, { true, false, 1.5, "s" }):wait())
      assert.are.same({ "nil", "nil" }, pool:map(function(x) local v = x.v return type(v) end, { {}, {} }):wait())
    end)

    it("reuse each worker's Lua state across batches with fresh globals per batch", function()
      local p1 = P.new { threads = 1 }
      -- the state persists: package.loaded is shared within a worker across batches
      local count = function()
        package.loaded.hp_probe = (package.loaded.hp_probe or 0) + 1
        return package.loaded.hp_probe
      end
      assert.are.same({ 1 }, p1:map(count, { 0 }):wait())
      assert.are.same({ 2 }, p1:map(count, { 0 }):wait())
      -- globals, library fields and _G set by one batch are not seen by the next
      assert.are.same({ true }, p1:map(function()
        leak = 1; string.leak = 2; _G.leak2 = 3; math.pi = 4; print = nil
        return leak == 1 and string.leak == 2 and leak2 == 3 and math.pi == 4
      end, { 0 }):wait())
      local r = p1:map(function() return { type(leak), type(string.leak), type(leak2), type(print), math.pi } end, { 0 }):wait()[1]
      assert.are.same({ "nil", "nil", "nil", "function", math.pi }, r)
      assert.are.equal(math.pi, r[5])
      assert.is_true(p1:map(function() return _G == _ENV or _G == getfenv(1) end, { 0 }):wait()[1])
      p1:close()
    end)

    -- The function of a batch is loaded once per bytecode and worker state (loading it for
    -- every batch grew LuaJIT's memory with the batches): the same function object runs
    -- batch after batch, still with fresh globals each time; other bytecode is another one.
    it("load a function once per bytecode and worker state, with fresh globals each batch", function()
      local p1 = P.new { threads = 1 }
      finally(function() p1:close() end)
      local seen = function(tag)
        local me = debug.getinfo(1, "f").func
        local t = package.loaded.hp_seen or {}
        package.loaded.hp_seen = t
        t[me] = (t[me] or 0) + 1
        local fresh = g == nil
        g = 1
        return tag .. " " .. t[me] .. " " .. tostring(fresh)
      end
      local other = function(tag)
        local me = debug.getinfo(1, "f").func
        local t = package.loaded.hp_seen
        t[me] = (t[me] or 0) + 1
        return tag .. " " .. t[me]
      end
      local got = {}
      for _, c in ipairs { { seen, "a" }, { seen, "a" }, { other, "b" }, { seen, "a" }, { other, "b" } } do
        got[#got + 1] = p1:map(c[1], { c[2] }):wait()[1]
      end
      assert.are.same({ "a 1 true", "a 2 true", "b 1", "a 3 true", "b 2" }, got)
      -- more distinct functions than the state keeps (8): the least recently used is dropped
      for i = 1, 9 do
        local fn = load("return function() local me = debug.getinfo(1, 'f').func " ..
          "local t = package.loaded.hp_seen t[me] = (t[me] or 0) + 1 return t[me] + " .. i .. " * 0 end")()
        assert.are.same({ 1 }, p1:map(fn, { 0 }):wait())
      end
      assert.are.same({ "a 1 true" }, p1:map(seen, { "a" }):wait())
    end)

    -- A standalone check of the same: a process's RSS over 40,000 batches of a Lua function
    -- after a warm-up stays within 2 MB (LuaJIT grew 4.5 MB when it was loaded per batch).
    it("keep a process's memory flat over many batches of one function", function()
      local r = assert(require("hotpath").proc.run { helper.lua, helper.root .. "/spec/fixtures/pool_task_rss.lua", "40000",
        keep_stdout = true, keep_stderr = 65536, timeout = 120,
        env = { LUA_PATH = helper.root .. "/lua/?.lua;" .. helper.root .. "/lua/?/init.lua;" .. helper.root .. "/build/lua/?.lua;;",
          LUA_CPATH = helper.root .. (rawget(_G, "jit") and "/build/luajit/?.so;;" or "/build/lua54/?.so;;") } })
      assert.is_true(r.ok, r.stderr)
      local before, after = r.stdout:match("^(%d+) (%d+)\n$")
      assert.truthy(before, r.stdout)
      assert.is_true(tonumber(after) - tonumber(before) <= 2048, r.stdout)
    end)

    it("report the lowest failing task with its index", function()
      local r, msg, index = pool:map(function(x)
        if x % 4 == 3 then error("bad " .. x, 0) end
        return x
      end, P.range(1, 100)):wait()
      assert.is_nil(r)
      assert.are.equal("task 3: bad 3", msg)
      assert.are.equal(3, index)
      local _, msg2, index2 = pool:map(function() return print end, { 1 }):wait()
      assert.are.equal("task 1: result: cannot copy function", msg2)
      assert.are.equal(1, index2)
    end)

    -- The tasks never end on their own, so "cancelled" from wait() proves they were
    -- interrupted (a task that ended by itself would leave wait() timing out instead).
    local function forever()
      if jit then jit.off(true) end -- compiled traces do not call hooks (see busy_lua_task)
      while true do end
    end

    -- Starts never-ending tasks on both workers and checks they are running.
    local function start_forever(p)
      local f = p:map(forever, { 1, 2, 3, 4, 5, 6, 7, 8 }, { chunk = 1 })
      assert.are.same({ nil, "timed out after 0.25 s", nil, "timeout" }, { f:wait(0.25) })
      assert.are.equal(2, p:started())
      return f
    end

    it("can be cancelled while running", function()
      local f = start_forever(pool)
      f:cancel()
      assert.are.same({ nil, "cancelled", nil, "canceled" }, { f:wait(10) })
      -- the workers' states run the next batch (the cancel hook does not stay behind)
      for _ = 1, 3 do
        assert.are.equal(5050, pool:map(function(x) for _ = 1, 1000 do end return x end, P.range(1, 100), { chunk = 1 }):sum())
      end
    end)

    it("are interrupted by pool:close()", function()
      local f = start_forever(pool)
      assert.is_true(pool:close { timeout = 10 })
      assert.are.same({ nil, "cancelled", nil, "canceled" }, { f:wait(10) })
    end)

    -- Collection (Pool.__gc, LuaJIT's finalizer hp_pool_free, C's hp_pool_shutdown) cancels
    -- in the core, without the Lua layer's list of futures, so the core itself must interrupt.
    -- Driven through the core so that the batch outlives its pool (a future keeps its pool).
    it("are interrupted when their pool is collected", function()
      local C = require("hotpath.util").core.pool
      local ops = C.lua_ops
      local base = settled_threads()
      local h = C.pool_new(2)
      local b = ops.map(h, assert(ops.prepare(forever)), { 1, 2, 3, 4 }, 0, 0, 0, 1, 0, false)
      assert.is_false(ops.wait(b, 0.25))
      assert.are.equal(2, C.pool_started(h))
      h = nil
      collectgarbage()
      collectgarbage()
      -- the collector returned: the batch is done, its tasks interrupted (not left running
      -- on detached workers)
      local done = ops.done(b)
      if not done then ops.cancel(b) end -- so that a failure leaves no loop running
      assert.is_true(done)
      assert.are.same({ nil, "cancelled", nil, "canceled" }, { ops.status(b) })
      ops.free(b)
      assert.are.equal(base, wait_threads(base))
    end)

    it("are interrupted even inside a pcall of their own", function()
      local f = pool:map(function()
        if jit then jit.off(true, true) end -- this function and the one nested in it
        while true do pcall(function() while true do end end) end
      end, { 1, 2 }, { chunk = 1 })
      assert.are.same({ nil, "timed out after 0.25 s", nil, "timeout" }, { f:wait(0.25) })
      f:cancel()
      assert.are.same({ nil, "cancelled", nil, "canceled" }, { f:wait(10) })
    end)

    it("are interrupted through a signal only when their batch is stopped", function()
      local sig = P.cancel_signal()
      assert.is_number(sig) -- SIGRTMIN+5 by default
      local f = io.open("/proc/self/stat")
      local pid = f:read("*n")
      f:close()
      -- stray cancel signals (as a late one from a cancel of an earlier batch) land on workers
      -- running tasks of a batch that is not stopped: they must not interrupt them
      local b = pool:map(function(x)
        if jit then jit.off(true) end
        local t = os.clock() + 0.2
        while os.clock() < t do end
        return x
      end, { 1, 2, 3, 4 }, { chunk = 1 })
      for _ = 1, 5 do os.execute(("kill -%d %d"):format(sig, pid)) end
      assert.are.same({ 1, 2, 3, 4 }, b:wait(10))
    end)

    it("keep running when HOTPATH_CANCEL_SIGNAL=0 turns interruption off", function()
      local dir = helper.tmpdir()
      local script = [[
        local P = require("hotpath").pool
        assert(P.cancel_signal() == nil, "interruption should be off")
        local pool = P.new { threads = 1 }
        local f = pool:map(function(path)
          if jit then jit.off(true) end
          local t = os.clock() + 0.3
          while os.clock() < t do end
          local out = io.open(path, "w") out:write("finished") out:close()
        end, { DIR .. "/out" })
        assert(f:wait(0.1) == nil)
        f:cancel()
        assert(select(2, f:wait()) == "cancelled")
        io.write(io.open(DIR .. "/out"):read("*a"))
        pool:close()
      ]]
      local r = require("hotpath").proc.run {
        argv = { helper.lua, "-e", ("package.path=%q package.cpath=%q DIR=%q"):format(package.path, package.cpath, dir),
                 "-e", script },
        env = { HOTPATH_CANCEL_SIGNAL = "0" }, keep_stdout = true, keep_stderr = 65536, timeout = 30,
      }
      helper.rmdir(dir)
      assert.are.equal("", r.stderr or "")
      assert.are.equal("finished", r.stdout)
    end)

    it("fail the task, not the process, when a worker runs out of memory decoding an argument", function()
      -- in a child whose address space is then limited (prlimit): the input is one table
      -- holding the same empty table 4 million times, small in the caller (an array of
      -- references, ~64 MB encoded), ~250 MB in the worker (4 million distinct tables)
      local script = [[
        local P = require("hotpath").pool
        local pool = P.new { threads = 1 }
        assert(pool:map(function(x) return x end, { "warm" }):wait()) -- the worker's state exists
        local e, t = {}, {}
        for i = 1, 4000000 do t[i] = e end
        local f = io.open("/proc/self/status")
        local vm = tonumber(f:read("*a"):match("VmSize:%s*(%d+)"))
        f:close()
        f = io.open("/proc/self/stat")
        local pid = f:read("*n")
        f:close()
        assert(os.execute(("prlimit --pid %d --as=%d"):format(pid, (vm + 100 * 1024) * 1024)))
        local r, msg, index = pool:map(function(x) return #x end, { t }):wait()
        io.write(tostring(r), ", ", tostring(msg), ", ", tostring(index))
        pool:close()
      ]]
      local r = require("hotpath").proc.run {
        argv = { helper.lua, "-e", ("package.path=%q package.cpath=%q"):format(package.path, package.cpath), "-e", script },
        keep_stdout = true, keep_stderr = 65536, timeout = 60,
      }
      assert.are.equal("", r.stderr or "")
      assert.are.equal("nil, task 1: out of memory, 1", r.stdout)
    end)

    it("copy tables nested 63 deep both ways and reject deeper ones clearly", function()
      local function nest(n) local t = {} for _ = 1, n do t = { t } end return t end
      local function depth(t) local d = 0 while t[1] do t, d = t[1], d + 1 end return d end
      -- as a result: built in the worker, encoded from its state
      local r = pool:map(function(n) local t = {} for _ = 1, n do t = { t } end return t end, { 25, 63 }):wait()
      assert.are.same({ 25, 63 }, { depth(r[1]), depth(r[2]) })
      local _, msg, index = pool:map(function(n) local t = {} for _ = 1, n do t = { t } end return t end, { 1, 64 }):wait()
      assert.are.equal("task 2: result: cannot copy a table nested too deeply (or a cycle)", msg)
      assert.are.equal(2, index)
      -- as an input: encoded from the caller's state, decoded in the worker's
      local function walk(t) local d = 0 while t[1] do t, d = t[1], d + 1 end return d end
      assert.are.same({ 30, 63 }, pool:map(walk, { nest(30), nest(63) }):wait())
      local ok, err = pcall(pool.map, pool, walk, { nest(64) })
      assert.is_false(ok)
      assert.are.equal("bad argument #2 to 'map' (inputs[1]: cannot copy a table nested too deeply (or a cycle))", err)
    end)

    it("reject upvalues other than _ENV, naming them, and uncopyable inputs", function()
      local up = 1
      local ok, err = pcall(pool.map, pool, function() return up end, { 1 })
      assert.is_false(ok)
      assert.are.equal("bad argument #1 to 'map' (function has upvalue 'up' (only _ENV; pass values as inputs))", err)
      ok, err = pcall(pool.map, pool, print, { 1 })
      assert.are.equal("bad argument #1 to 'map' (a Lua function expected)", err)
      ok, err = pcall(pool.map, pool, function(x) return x end, { 1, print })
      assert.are.equal("bad argument #2 to 'map' (inputs[2]: cannot copy function)", err)
      ok, err = pcall(pool.map, pool, function(x) return x end, { setmetatable({}, {}) })
      assert.are.equal("bad argument #2 to 'map' (inputs[1]: cannot copy a table with a metatable)", err)
    end)
  end)

  it("starts workers lazily and has a default pool", function()
    local p = P.new { threads = 3 }
    assert.are.equal(3, p:threads())
    assert.are.equal(0, p:started())
    p:map("noop", P.range(1, 10)):wait()
    assert.are.equal(3, p:started())
    p:close()
    assert.are.equal(P.default(), P.default())
    assert.are.equal(require("hotpath.util").core.cpu_count(), P.default():threads())
  end)

  it("runs the kernels' work units as kinds", function()
    local pool = P.new { threads = 2 }
    local want = 0
    for d = 0, 12 do want = want + 2 ^ (d + 1) - 1 end
    assert.are.equal(want, pool:map("binarytrees_check", P.range(0, 12)):sum())
    assert.are.same({ 1, 3, 7 }, pool:map("binarytrees_check", { 0, 1, 2 }):wait())
    -- the kernels' numbers at full precision (not read back from their printed 9 decimals)
    local f9 = function(t) local s = {} for i, v in ipairs(t) do s[i] = string.format("%.9f", v) end return s end
    local energies = pool:map("nbody_energy", { 0, 1000 }):wait()
    assert.are.same({ "-0.169075164", "-0.169087605" }, f9(energies))
    assert.are.equal(-0.16908760523460614, energies[2])
    local norms = pool:map("spectral_norm", { 100, 100 }):wait()
    assert.are.same({ "1.274219991", "1.274219991" }, f9(norms))
    assert.are.equal(1.2742199912349301, pool:map("spectral_norm", { 100 }):wait()[1])
    assert.are.same({ 228, 1616 }, pool:map("fannkuch_checksum", { 7, 8 }):wait())
    local r, msg, index = pool:map("binarytrees_check", { 3, 23 }):wait()
    assert.is_nil(r)
    assert.are.equal("task 2: binarytrees_check: n must be between 0 and 22, got 23", msg)
    assert.are.equal(2, index)
    assert.are.equal("task 1: spectral_norm: n must be between 1 and 32768, got 0", select(2, pool:map("spectral_norm", { 0 }):wait()))
    pool:close()
  end)

  -- (LuaJIT's FFI fast path for arrays makes two: batch_prepare and batch_start; the inputs go
  -- by FFI, no call an element)
  it("submits a batch of 100,000 tasks in one Lua-to-C call (the one binding, both runtimes)", function()
    local core = require("hotpath.util").core.pool
    local fns = {}
    for _, v in pairs(core) do if type(v) == "function" then fns[v] = true end end
    local pool = P.new { threads = 2 }
    local inputs = mod30(100000)
    for _, args in ipairs { { "fib_iterative", inputs }, { "noop", P.range(1, 100000) } } do
      local calls = 0
      debug.sethook(function()
        if fns[debug.getinfo(2, "f").func] then calls = calls + 1 end
      end, "c")
      local f = pool:map(args[1], args[2], { results = false })
      debug.sethook()
      assert.are.equal((rawget(_G, "jit") and args[1] == "fib_iterative") and 2 or 1, calls)
      f:wait()
    end
    pool:close()
  end)

  it("lists the built-in kinds", function()
    local set = {}
    for _, k in ipairs(P.kinds) do set[k] = true end
    assert.is_true(set.noop and set.identity and set.fib_recursive and set.fib_iterative)
    assert.is_true(set.binarytrees_check and set.nbody_energy and set.spectral_norm and set.fannkuch_checksum)
  end)

  local pool = P.new { threads = 2 }
  local closed = P.new { threads = 1 }
  closed:close()
  -- the pool above lives for the misuse tests below; closed with the suite, after which no
  -- worker thread of this file is left
  teardown(function()
    pool:close()
    assert.are.equal(threads_at_load, wait_threads(threads_at_load))
  end)
  local misuse = {
    { pool.map, { pool, "nope", { 1 } }, "bad argument #1 to 'map' (unknown task kind 'nope')" },
    { pool.map, { pool, 42, { 1 } }, "bad argument #1 to 'map' (kind name or function expected, got number)" },
    { pool.map, { pool, "noop", 7 }, "bad argument #2 to 'map' (array or hotpath.pool.range expected, got number)" },
    { pool.map, { pool, "noop", { 1, {} } }, "bad argument #2 to 'map' (inputs[2]: number or string expected, got table)" },
    { pool.map, { pool, "noop", { 1, "x" } }, "bad argument #2 to 'map' (inputs[2]: number expected, got string)" },
    { pool.map, { pool, "noop", { "x", 1 } }, "bad argument #2 to 'map' (inputs[2]: string expected, got number)" },
    { pool.map, { pool, "noop", { 1 }, 5 }, "bad argument #3 to 'map' (options table expected, got number)" },
    { pool.map, { pool, "noop", { 1 }, { chunk = 0 } }, "bad argument #3 to 'map' (chunk must be between 1 and 1099511627776, got 0)" },
    { pool.map, { closed, "noop", { 1 } }, "bad argument #1 to 'map' (pool is closed)" },
    { pool.map, { {}, "noop", { 1 } }, "bad argument #1 to 'map' (pool expected, got table)" },
    { P.range, { 10, 1 }, "bad argument #2 to 'range' (reversed range: 10 to 1 with step 1)" },
    { P.range, { 1, 10, -1 }, "bad argument #2 to 'range' (reversed range: 1 to 10 with step -1)" },
    { P.range, { 1, 10, 0 }, "bad argument #3 to 'range' (step must not be 0)" },
    { P.range, { 1.5, 10 }, "bad argument #1 to 'range' (first: integer expected, got 1.5)" },
    { P.new, { { threads = 0 } }, "bad argument #1 to 'new' (threads must be between 1 and 1024, got 0)" },
    { P.new, { 3 }, "bad argument #1 to 'new' (options table expected, got number)" },
    { P.new, { { thread = 2 } }, "bad argument #1 to 'new' (unknown option 'thread')" },
    { pool.map, { pool, "noop", { 1 }, { failfast = true } }, "bad argument #3 to 'map' (unknown option 'failfast')" },
    { pool.map, { pool, "noop", { 1 }, { true } }, "bad argument #3 to 'map' (unknown option [1])" },
    { pool.close, { pool, { drian = 1 } }, "bad argument #1 to 'close' (unknown option 'drian')" },
  }
  for i, c in ipairs(misuse) do
    it("raises on misuse " .. i .. ": " .. c[3], function()
      local ok, err = pcall(c[1], unpack(c[2]))
      assert.is_false(ok)
      assert.are.equal(c[3], err)
    end)
  end

  it("raises on a bad wait timeout and a released future", function()
    local f = pool:map("noop", { 1 })
    local ok, err = pcall(f.wait, f, -1)
    assert.is_false(ok)
    assert.are.equal("bad argument #1 to 'wait' (timeout: non-negative number expected, got -1)", err)
    f:release()
    ok, err = pcall(f.wait, f)
    assert.is_false(ok)
    assert.are.equal("bad argument #1 to 'wait' (future is released)", err)
  end)
end)

-- The steps of an array batch that LuaJIT's FFI fast path (lua/hotpath/ffi/pool.lua) takes
-- from the C binding: batch_prepare makes an unstarted batch, batch_start submits it. Both
-- runtimes have them; the core checks what they are given.
describe("hotpath.pool's batch_prepare and batch_start", function()
  local C = require("hotpath.util").core.pool
  local K = require "hotpath.consts"
  local pool = P.new { threads = 1 }
  teardown(function() pool:close() end)

  it("refuses what map refuses, with the same message and code", function()
    assert.are.same({ C.pool_map(pool._h, "nope", { 1 }, 0, 0, 0) },
      { C.batch_prepare(pool._h, "nope", K.HP_VAL_INT, 1, 0) })
    assert.are.same({ nil, "pool: bad input type 9", "invalid" }, { C.batch_prepare(pool._h, "noop", 9, 1, 0) })
    assert.are.same({ nil, "pool: bad input type 0", "invalid" }, { C.batch_prepare(pool._h, "noop", 0, 1, 0) })
    local ok, err = pcall(C.batch_prepare, pool._h, "len", K.HP_VAL_STRING, 1, -1)
    assert.is_false(ok)
    assert.matches("bad argument #5 to '[%w_?]+' %(negative string_bytes%)", err)
    local closed = P.new { threads = 1 }
    local h = closed._h
    closed:close()
    ok, err = pcall(C.batch_prepare, h, "noop", K.HP_VAL_INT, 1, 0)
    assert.is_false(ok)
    assert.are.equal("pool is closed", err)
  end)

  it("waits, polls, cancels and reads both kinds of batch through their jobs", function()
    for _, c in ipairs {
      { C, assert(C.pool_map(pool._h, "sleep", { 20000 }, 0, 0, 0)) },
      { C.lua_ops, assert(C.lua_ops.map(pool._h, assert(C.lua_ops.prepare(busy_lua_task)), { 1 }, 0, 0, 0, 0, 0, false)) },
    } do
      local b = c[2]
      assert.is_false(C.batch_wait(b, 0.01))
      assert.is_false(C.lua_ops.done(b))
      C.lua_ops.cancel(b)
      assert.is_true(C.lua_ops.wait(b, 20))
      assert.is_true(C.batch_done(b))
      local ok, msg, index, code = C.batch_status(b)
      assert.are.same({ nil, "cancelled", nil, "canceled" }, { ok, msg, index, code })
      assert.are.same({ ok, msg, index, code }, { C.lua_ops.status(b) })
      c[1][c[1] == C and "batch_free" or "free"](b)
      local ok2, err = pcall(C.batch_wait, b)
      assert.are.same({ false, "future is released" }, { ok2, err })
    end
  end)

  it("starts a prepared batch once", function()
    local b = assert(C.batch_prepare(pool._h, "len", K.HP_VAL_STRING, 2, 0))
    for _, fn in ipairs { C.batch_wait, C.batch_done, C.batch_cancel, C.batch_status } do
      local ok, err = pcall(fn, b)
      assert.is_false(ok)
      assert.matches("^bad argument #1 to '[%w_?]+' %(batch not started%)$", err)
    end
    assert.are.equal(b, C.batch_start(b))
    assert.is_true(C.batch_wait(b, -1))
    assert.is_true(C.batch_status(b))
    assert.are.same({ 0, 0 }, C.batch_results(b))    -- no string was written: both empty
    assert.are.same({ nil, "pool: batch already started", "invalid" }, { C.batch_start(b) })
    local done = assert(C.pool_map(pool._h, "noop", { 1 }, 0, 0, 0))
    assert.are.same({ nil, "pool: batch already started", "invalid" }, { C.batch_start(done) })
    C.batch_free(b)
    local ok, err = pcall(C.batch_start, b)
    assert.is_false(ok)
    assert.are.equal("future is released", err)
  end)
end)

-- LuaJIT: the FFI fast path copies the inputs and results of array batches and leaves every
-- rule to the C binding; whatever it takes must give exactly what C gives (results, task
-- errors, messages), and what it declines must go to C. Compared on generated arrays.
describe("hotpath.pool under LuaJIT: the FFI fast path against the C binding", function()
  if not rawget(_G, "jit") then return end
  local util = require "hotpath.util"
  local C = util.core.pool
  -- a fast path over a C binding that counts which way each batch went
  local taken, declined = 0, 0
  local cp = setmetatable({
    pool_map = function(...) declined = declined + 1; return C.pool_map(...) end,
    batch_prepare = function(...) taken = taken + 1; return C.batch_prepare(...) end,
  }, { __index = C })
  local fast = require("hotpath.ffi.pool").fast(cp, util.core.json.library)
  local pool = P.new { threads = 2 }
  teardown(function() pool:close() end)

  local seed = 4242
  local function rnd(n) seed = seed * 16807 % 2147483647 return seed % n end
  local function pick(t) return t[rnd(#t) + 1] end
  local ints = { 0, -0.0, 1, -1, 7, 30, 2 ^ 31, -2 ^ 40, 2 ^ 53 - 1, -(2 ^ 53 - 1) }
  local floats = { 0.5, -2.25, 1 / 3, 1e300, 5e-324, 0 / 0, -0.0, 3 }
  local odd = { 2 ^ 53, -2 ^ 53, 2 ^ 60, 2 ^ 63, math.huge, -math.huge, "s", true, {}, print }
  local strs = { "", "a", "caf\195\169", "\0\1", ("x"):rep(300) }
  local function gen()
    local mode, t = rnd(5), {}
    for i = 1, rnd(80) do   -- arrays shorter than 16 go to C
      if mode == 0 then t[i] = pick(ints)
      elseif mode == 1 then t[i] = rnd(2) == 0 and pick(ints) or pick(floats)
      elseif mode == 2 then t[i] = pick(strs)
      elseif mode == 3 then t[i] = rnd(8) == 0 and pick(odd) or pick(ints)
      else t[i] = rnd(8) == 0 and pick(odd) or pick(strs) end
    end
    return t
  end

  -- Every outcome of one batch as text (NaN and the sign of zero included).
  local function show(v)
    if type(v) == "number" then return string.format("%.17g", v) .. (v == 0 and 1 / v < 0 and "-" or "") end
    return tostring(v)
  end
  local function outcome(map, results, kind, inputs, keep)
    local b, msg, code = map(pool._h, kind, inputs, 0, 0, 0, 0, 0, false, keep)
    if not b then return { tostring(b), msg, code } end
    C.batch_wait(b, -1)
    local out = { C.batch_status(b) }
    local ok, r = pcall(results, b)
    out[#out + 1] = tostring(ok)
    if type(r) == "table" then
      for i = 1, #r do out[#out + 1] = show(r[i]) end
      out[#out + 1] = "n=" .. #r
    else
      out[#out + 1] = tostring(r)
    end
    C.batch_free(b)
    return out
  end

  it("gives the C binding's results and errors on generated arrays", function()
    for _ = 1, 1500 do
      local inputs = gen()
      local kind = pick { "identity", "square", "len", "noop", "fib_iterative" }
      local keep = rnd(6) ~= 0
      local c = outcome(C.pool_map, C.batch_results, kind, inputs, keep)
      local f = outcome(fast.map, fast.results, kind, inputs, keep)
      assert.are.same(c, f)
    end
    -- both ways were taken often (the test tested)
    assert.is_true(taken > 500 and declined > 200, taken .. " taken, " .. declined .. " declined")
  end)

  -- the elements given, then as many 1 (or "s") as make 20 (16 and more take the fast path)
  local function long(t, fill)
    for i = #t + 1, 20 do t[i] = fill or 1 end
    return t
  end
  local cases = {   -- inputs, and whether the fast path takes them
    { {}, false }, { { 1, 2, 3 }, false }, { { "a" }, false },   -- short: C
    { long {}, true }, { long { -0.0, 2 ^ 53 - 1 }, true }, { long { 0.5, 1, -0.0 }, true },
    { long { 0 / 0 }, true }, { long({ "a", "", "b" }, "s"), true },
    { long { 1, "a" }, false }, { long({ "a", 1 }, "s"), false }, { long { 1, {} }, false },
    { long { true }, false }, { long { 2 ^ 53 }, false }, { long { -2 ^ 53 }, false },
    { long { math.huge }, false }, { long { 0.5, -math.huge }, false },
    { setmetatable(long {}, {}), false }, { long { 1, nil, 3 }, nil },
  }
  for i, c in ipairs(cases) do
    it("takes or declines array " .. i, function()
      local t0, d0 = taken, declined
      local f = outcome(fast.map, fast.results, "noop", c[1], true)
      assert.are.same(outcome(C.pool_map, C.batch_results, "noop", c[1], true), f)
      if c[2] ~= nil then
        assert.are.same({ c[2] and 1 or 0, c[2] and 0 or 1 }, { taken - t0, declined - d0 })
      end
    end)
  end

  it("leaves a range, a batch without results and a released future to C", function()
    local t0, d0 = taken, declined
    local b = assert(fast.map(pool._h, "identity", nil, 5, 3, 2, 0, 0, false, true))
    assert.are.same({ 1, 0 }, { declined - d0, taken - t0 })
    C.batch_wait(b, -1)
    assert.are.same({ 5, 7, 9 }, fast.results(b))
    b = assert(fast.map(pool._h, "identity", long {}, 0, 0, 0, 0, 0, false, false))
    assert.are.same({ 1, 1 }, { declined - d0, taken - t0 })
    C.batch_wait(b, -1)
    assert.is_nil(fast.results(b))
    C.batch_free(b)
    local ok, err = pcall(fast.results, b)
    assert.are.same({ false, "future is released" }, { ok, err })
  end)

  it("is what pool:map uses under LuaJIT", function()
    local t0 = taken
    local real = require("hotpath.ffi.pool").fast(C, util.core.json.library)
    assert.are.equal(real, require("hotpath.ffi.pool").fast(C))   -- one per C binding
    assert.are.same(long { 1, 4, 9 }, pool:map("identity", long { 1, 4, 9 }):wait())
    assert.are.equal(t0, taken)   -- the counting copy above is not the one pool.lua made
  end)
end)
