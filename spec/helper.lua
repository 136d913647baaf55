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

package.loaded["helper"] = helper
return helper
