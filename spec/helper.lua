-- Loaded before every spec (see .busted): shared helpers for the specs.
local helper = {}

helper.root = (function()
  local p = io.popen("pwd")
  local d = p:read("*l")
  p:close()
  return d
end)()

-- The interpreter running the specs ("lua5.4" or "luajit").
helper.lua = rawget(_G, "jit") and "luajit" or "lua5.4"

-- Runs the hotpath CLI (bin/hotpath) under the current runtime; returns the proc result with
-- stdout kept.
function helper.cli(args, opts)
  local argv = { helper.lua, helper.root .. "/bin/hotpath" }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  opts = opts or {}
  return assert(require("hotpath").proc.run {
    argv = argv, keep_stdout = true, keep_stderr = 65536, timeout = opts.timeout or 120,
    cwd = opts.cwd, stdin = opts.stdin, env = opts.env,
  })
end

-- A fresh temporary directory, removed by helper.rmdir.
function helper.tmpdir()
  local p = io.popen("mktemp -d")
  local d = p:read("*l")
  p:close()
  return d
end

function helper.rmdir(d)
  assert(d:match("^/tmp/"), "refusing to remove " .. d)
  os.execute("rm -rf '" .. d .. "'")
end

function helper.write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

function helper.read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- Makes this process hold mb MiB (every page touched) and free it again: afterwards its peak
-- RSS (VmHWM) is at least that, and its current RSS is back near where it was. The state of a
-- measuring process that once was large.
function helper.hold_and_free(mb)
  local n = mb * 1024 * 1024
  if rawget(_G, "jit") then
    local big = require("ffi").new("char[?]", n) -- zero-filled
    big = nil
  else
    -- string.rep fills a buffer of the result's size, then copies it into the string: half
    -- the size, held twice
    local big = ("x"):rep(1024):rep(n / 2048)
    big = nil
  end
  collectgarbage()
  collectgarbage()
end

-- The limit of the peak-memory tests: a measured peak within 3 % or 300 kB of the program's
-- own VmHWM, which it read itself; after_kb: what it may add after reading it (its exit).
function helper.peak_close(own_kb, got_kb, after_kb)
  local tol = math.max(300, own_kb * 0.03)
  return got_kb >= own_kb - tol and got_kb <= own_kb + tol + (after_kb or 0)
end

package.loaded["helper"] = helper
return helper
