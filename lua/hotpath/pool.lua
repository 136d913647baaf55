-- hotpath.pool: batches of tasks on persistent worker threads. A batch crosses the Lua/C
-- boundary once: pool:map(kind, inputs) hands every input to C in one call and returns a future.
--
--   local pool = hotpath.pool.new { threads = 2 }
--   local f = pool:map("fib_recursive", hotpath.pool.range(0, 99999))   -- or a Lua array
--   local sum = f:sum()                          -- reduced in C, no table built
--   local results, err, index = f:wait(5)        -- the array, or nil, message, task index
--   pool:map(function(x) return x * x end, { 1, 2, 3 }):wait()   -- Lua-function tasks
--
-- Misuse raises "bad argument #N to 'fname' (...)"; a failed task makes wait/sum/min/max return
-- nil, "task N: message", N (N counts from 1; the lowest failing index unless fail_fast).
local util = require "hotpath.util"
local core = util.core
local C = core.pool

local type, error, setmetatable, getmetatable, format, rawget = type, error, setmetatable, getmetatable, string.format, rawget
local checkint, checkopts, argerror, typename = util.checkint, util.checkopts, util.argerror, util.typename
local floor = math.floor
local pairs, clock = pairs, core.clock

local M = { kinds = {} }
for name in C.kinds:gmatch("[^,]+") do M.kinds[#M.kinds + 1] = name end

local K = require "hotpath.consts"
local yielding = require "hotpath.ngx"
local ngx_context, ngx_await = yielding.context, yielding.await
local REDUCE = { sum = K.HP_REDUCE_SUM, min = K.HP_REDUCE_MIN, max = K.HP_REDUCE_MAX }
local MAX_THREADS = K.HP_POOL_MAX_THREADS
local NEW_OPTS, CLOSE_OPTS = { threads = true }, { drain = true, timeout = true }
local MAP_OPTS = { fail_fast = true, chunk = true, threads = true, results = true }
local MAX_COUNT = 2 ^ K.HP_BATCH_MAX_BITS

-- ---- ranges ------------------------------------------------------------------------------------

local Range = {}
Range.__index = Range

-- range(first, last [, step]): the integers first, first + step, ..., up to last inclusive, as
-- inputs of pool:map (no table is built). step defaults to 1 and must not be 0; a range that
-- runs away from last (first > last with a positive step) is an error, not an empty range.
function M.range(first, last, step)
  checkint(first, 1, "range", -2 ^ 53, 2 ^ 53, "first")
  checkint(last, 2, "range", -2 ^ 53, 2 ^ 53, "last")
  if step == nil then step = 1 end
  checkint(step, 3, "range", -2 ^ 53, 2 ^ 53, "step")
  if step == 0 then argerror(3, "range", "step must not be 0") end
  if (step > 0 and first > last + 1) or (step < 0 and first < last - 1) then
    argerror(2, "range", format("reversed range: %.17g to %.17g with step %.17g", first, last, step))
  end
  local count = floor((last - first) / step) + 1
  if count < 0 then count = 0 end
  return setmetatable({ first = first, last = last, step = step, count = count }, Range)
end

function M.is_range(v) return getmetatable(v) == Range end

-- cancel_signal(): the signal number with which cancel (and close) interrupts running Lua
-- tasks (SIGRTMIN+5 unless the environment variable HOTPATH_CANCEL_SIGNAL chose another), or nil
-- when interruption is off (HOTPATH_CANCEL_SIGNAL=0, or the signal already had a handler).
function M.cancel_signal()
  local n = C.lua_ops.cancel_signal()
  if n == 0 then return nil end
  return n
end

-- ---- futures -----------------------------------------------------------------------------------

local Future = {}
Future.__index = Future

local function check_future(f, fname)
  if getmetatable(f) ~= Future then
    argerror(1, fname, "future expected, got " .. typename(f), 2)
  end
  if not f._h then argerror(1, fname, "future is released", 2) end
  return f._h, f._ops
end

-- In nginx, how long a wait after cancel() waits for tasks that do not stop (a native kind that
-- never polls the cancelled flag, a JIT-compiled loop under LuaJIT) before it returns
-- nil, "cancelled" and leaves the batch to its workers (the last one inside it frees it).
M.CANCEL_GRACE = 0.1

-- Waits for the batch of a future: true once done, false on timeout (seconds; -1: none). In a
-- request or a timer of nginx's Lua module the request yields between polls of done() (the
-- worker serves its other requests meanwhile) instead of blocking in C; elsewhere the caller
-- blocks and helps run the batch. In nginx, a cancelled batch is waited for CANCEL_GRACE at
-- most: returns "abandoned" when its tasks still run then.
local function await(f, h, ops, timeout)
  local ngx = ngx_context()
  if not ngx then return ops.wait(h, timeout) end
  if f._cancelled and (timeout < 0 or timeout > M.CANCEL_GRACE) then
    if ngx_await(ngx, function() return ops.done(h) end, M.CANCEL_GRACE) then return true end
    return "abandoned"
  end
  return ngx_await(ngx, function() return ops.done(h) end, timeout)
end

-- The outcome of a done batch: true, or nil, message, task index (nil when cancelled), code.
local function outcome(ops, h)
  return ops.status(h)
end

-- wait([timeout]): helps run the batch, then returns the results array (true for a batch made
-- with results = false, which keeps none); nil, msg, index if a task failed; nil, "cancelled",
-- nil, "canceled" if cancelled; nil, "timed out ...", nil, "timeout" if the timeout (seconds)
-- passed first (the batch keeps running).
function Future:wait(timeout)
  local h, ops = check_future(self, "wait")
  if timeout ~= nil and (type(timeout) ~= "number" or timeout ~= timeout or timeout < 0) then
    argerror(1, "wait", "timeout: non-negative number expected, got " .. (type(timeout) == "number" and tostring(timeout) or typename(timeout)))
  end
  local done = await(self, h, ops, timeout or -1)
  if done == "abandoned" then return nil, "cancelled", nil, "canceled" end
  if not done then
    return nil, format("timed out after %g s", timeout), nil, "timeout"
  end
  local ok, msg, index, code = outcome(ops, h)
  if not ok then return nil, msg, index, code end
  return ops.results(h) or true
end

function Future:done()
  local h, ops = check_future(self, "done")
  return ops.done(h)
end

-- cancel(): tasks not yet started never run; running native tasks see the cancelled flag,
-- running Lua tasks are interrupted. wait() then returns nil, "cancelled".
function Future:cancel()
  local h, ops = check_future(self, "cancel")
  self._cancelled = true
  ops.cancel(h)
  return self
end

local function reducer(name)
  local op = REDUCE[name]
  return function(self)
    local h, ops = check_future(self, name)
    if await(self, h, ops, -1) == "abandoned" then return nil, "cancelled", nil, "canceled" end
    local ok, msg, index, code = outcome(ops, h)
    if not ok then return nil, msg, index, code end
    return ops.reduce(h, op)
  end
end
-- sum(), min(), max(): computed in C over the results (waits first); min/max of none: nil.
Future.sum = reducer "sum"
Future.min = reducer "min"
Future.max = reducer "max"

-- release(): cancels if running and frees the batch now (the collector does it otherwise).
function Future:release()
  if self._h then
    local h = self._h
    self._h = nil
    self._ops.free(h)
  end
end
Future.__close = Future.release

-- ---- pools -------------------------------------------------------------------------------------

local Pool = {}
Pool.__index = Pool

local function check_pool(p, fname)
  if getmetatable(p) ~= Pool then
    argerror(1, fname, "pool expected, got " .. typename(p), 2)
  end
  if not p._h then argerror(1, fname, "pool is closed", 2) end
  return p._h
end

-- new{ threads = N }: N workers (default: one per online CPU), started on the first batch.
function M.new(opts)
  opts = checkopts(opts, 1, "new", 1, NEW_OPTS)
  local threads = 0
  if opts.threads ~= nil then threads = checkint(opts.threads, 1, "new", 1, MAX_THREADS, "threads") end
  local h, msg, code = C.pool_new(threads)
  if not h then return nil, msg, code end
  -- _futures: the live futures of this pool (weak), so that close can drain or interrupt them
  return setmetatable({ _h = h, _futures = setmetatable({}, { __mode = "k" }) }, Pool)
end

local default_pool
-- default(): the shared pool of the process (one worker per online CPU), created on first use.
function M.default()
  if not default_pool or not default_pool._h then default_pool = M.new() end
  return default_pool
end

function Pool:threads() return C.pool_threads(check_pool(self, "threads")) end
function Pool:started() return C.pool_started(check_pool(self, "started")) end
function Pool:closed() return self._h == nil end

-- close([opts]): stops the pool and joins its workers. Futures of this pool stay usable (their
-- wait returns nil, "cancelled" if their batch did not finish).
--   opts.drain: true (or a number of seconds) lets the batches in flight finish (for at most
--               that long), then cancels the rest; default false: cancel at once;
--   opts.timeout: seconds to wait, after the cancel, for tasks still running to return
--               (default: no limit). A cancel stops the tasks not started; running native
--               tasks see the cancelled flag, running Lua tasks are interrupted by a hook.
-- Returns true, or nil, msg, "timeout" when some worker was still inside a task at the deadline
-- (a native task that does not poll the cancelled flag): that worker is detached and keeps
-- the memory and code it uses; the last such worker frees the pool when its task returns.
-- Idempotent (closing a closed pool returns true). __gc and __close: close{ timeout = 2 }.
local function checksecs(v, what, fname)
  if type(v) ~= "number" or v ~= v or v < 0 then
    argerror(1, fname, what .. ": non-negative number expected, got " .. (type(v) == "number" and tostring(v) or typename(v)), 2)
  end
  return v
end

function Pool:close(opts)
  if getmetatable(self) ~= Pool then argerror(1, "close", "pool expected, got " .. typename(self)) end
  opts = checkopts(opts, 1, "close", 1, CLOSE_OPTS)
  local timeout, drain = -1, opts.drain
  if opts.timeout ~= nil then timeout = checksecs(opts.timeout, "timeout", "close") end
  if drain ~= nil and drain ~= false and drain ~= true then drain = checksecs(drain, "drain", "close") end
  local h = self._h
  if not h then return true end
  if drain then
    local deadline = drain ~= true and clock() + drain
    for f in pairs(self._futures) do
      if f._h then
        local left = deadline and deadline - clock() or -1
        f._ops.wait(f._h, deadline and (left > 0 and left or 0) or -1)
      end
    end
  end
  for f in pairs(self._futures) do
    if f._h then f._ops.cancel(f._h) end
  end
  self._h = nil
  return C.pool_close(h, 0, timeout)
end
Pool.__close = function(self) self:close() end
-- __gc: close{ timeout = 2 } without the futures list (the core's cancel signals running Lua
-- tasks itself: see hp_job_on_cancel); LuaJIT has no table __gc: the handle's own __gc
-- (csrc/lua/lpool.c, hp_pool_free) does the same.
Pool.__gc = function(self)
  local h = self._h
  if h then
    self._h = nil
    C.pool_close(h, 0, 2)
  end
end

local native_ops = {
  wait = C.batch_wait, done = C.batch_done, cancel = C.batch_cancel, status = C.batch_status,
  results = C.batch_results, reduce = C.batch_reduce, free = C.batch_free,
}
local c_map = C.pool_map

-- LuaJIT: an array batch's inputs and results cross by FFI (lua/hotpath/ffi/pool.lua), over
-- the same C binding, which makes and starts the batch and takes every case the fast path
-- declines.
if rawget(_G, "jit") then
  local fast = require("hotpath.ffi.pool").fast(C, core.json.library)
  c_map, native_ops.results = fast.map, fast.results
end

-- map(kind, inputs [, opts]): starts the tasks and returns a future at once.
--   kind: a native kind's name (hotpath.pool.kinds) or a Lua function without upvalues
--         (other than _ENV), run in the workers' own Lua states with copied arguments/results;
--   inputs: a Lua array of numbers or of strings (of any values a Lua function takes), or
--         hotpath.pool.range(first, last [, step]);
--   opts: fail_fast (false: every task runs and the lowest failing index is reported),
--         chunk (tasks claimed at a time; default automatic), threads (at most this many workers),
--         results (false: keep only the C reductions, no per-task memory; native kinds only).
function Pool:map(kind, inputs, opts)
  local h = check_pool(self, "map")
  local tk = type(kind)
  if tk ~= "string" and tk ~= "function" then
    argerror(1, "map", "kind name or function expected, got " .. typename(kind))
  end
  local range = getmetatable(inputs) == Range
  if not range and type(inputs) ~= "table" then
    argerror(2, "map", "array or hotpath.pool.range expected, got " .. typename(inputs))
  end
  if range and inputs.count > MAX_COUNT then argerror(2, "map", "range too long") end
  opts = checkopts(opts, 3, "map", 1, MAP_OPTS)
  local chunk, threads = 0, 0
  if opts.chunk ~= nil then chunk = checkint(opts.chunk, 3, "map", 1, MAX_COUNT, "chunk") end
  if opts.threads ~= nil then threads = checkint(opts.threads, 3, "map", 1, MAX_THREADS, "threads") end
  local fail_fast = opts.fail_fast and true or false
  local keep = opts.results ~= false

  local b, msg, code
  local ops = native_ops
  if tk == "function" then
    ops = C.lua_ops
    local dump
    dump, msg = ops.prepare(kind)
    if not dump then argerror(1, "map", msg) end
    if range then
      b, msg, code = ops.map(h, dump, nil, inputs.first, inputs.count, inputs.step, chunk, threads, fail_fast)
    else
      b, msg, code = ops.map(h, dump, inputs, 0, 0, 0, chunk, threads, fail_fast)
    end
  elseif range then
    b, msg, code = C.pool_map(h, kind, nil, inputs.first, inputs.count, inputs.step, chunk, threads, fail_fast, keep)
  else
    b, msg, code = c_map(h, kind, inputs, 0, 0, 0, chunk, threads, fail_fast, keep)
  end
  if b == false then argerror(2, "map", msg) end
  if not b then
    if code == "invalid" then argerror(1, "map", msg) end
    return nil, msg, nil, code
  end
  local f = setmetatable({ _h = b, _ops = ops, _pool = self }, Future)
  self._futures[f] = true
  return f
end

return M
