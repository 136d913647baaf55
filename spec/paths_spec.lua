-- hotpath.paths: the default suites and the build cache, from the source checkout and from an
-- installed layout (<Lua dir>/hotpath/), each answer taken in a fresh process whose environment
-- the case sets (env -u unsets, NAME=value sets).
local helper = require "helper"
local proc = require("hotpath").proc

-- Runs lua_dir's hotpath.paths in a fresh interpreter (the specs' runtime) from cwd, with env
-- (a list for env(1)); returns its output: "suites|kind|build_root|root".
local function answer(lua_dir, cwd, env)
  local code = "package.path = " .. string.format("%q", lua_dir .. "/?.lua") .. " " ..
    "local p = require 'hotpath.paths' " ..
    "local s, kind = p.suites() local b, berr = p.build_root() " ..
    "io.write(tostring(s), '|', tostring(kind), '|', tostring(b or berr), '|', tostring(p.root()))"
  local argv = { "env" }
  for _, e in ipairs(env) do argv[#argv + 1] = e end
  argv[#argv + 1] = helper.lua
  argv[#argv + 1] = "-e"
  argv[#argv + 1] = code
  local r = assert(proc.run { argv = argv, cwd = cwd, keep_stdout = true, keep_stderr = 65536, timeout = 60 })
  assert.are.equal("exited 0", r.status, r.stderr)
  return r.stdout
end

describe("paths", function()
  local tmp
  before_each(function() tmp = helper.tmpdir() end)
  after_each(function() helper.rmdir(tmp) end)

  it("in the source checkout: its bench/ and build/, from any folder", function()
    local root = helper.root
    local cases = {
      { { "-u", "HOTPATH_BUILD" }, root .. "/bench|source|" .. root .. "/build|" .. root },
      { { "HOTPATH_BUILD=/x/b" }, root .. "/bench|source|/x/b|" .. root },
      -- a relative HOTPATH_BUILD is taken from the current folder
      { { "HOTPATH_BUILD=rel" }, root .. "/bench|source|" .. tmp .. "/rel|" .. root },
    }
    for _, c in ipairs(cases) do
      assert.are.equal(c[2], answer(root .. "/lua", tmp, c[1]), table.concat(c[1], " "))
    end
    -- a relative Lua path, as .busted gives (lua/?.lua from the checkout), and one through
    -- bin/.. (a script beside the tree's bin/): the same folders, spelled without . and ..
    assert.are.equal(root .. "/bench|source|" .. root .. "/build|" .. root,
      answer("lua", root, { "-u", "HOTPATH_BUILD" }))
    assert.are.equal(root .. "/bench|source|" .. root .. "/build|" .. root,
      answer(root .. "/bin/../lua", tmp, { "-u", "HOTPATH_BUILD" }))
    assert.are.equal(root .. "/bench|source|" .. tmp .. "/x/b|" .. root,
      answer("./../" .. root:match("[^/]+$") .. "/./lua", root, { "HOTPATH_BUILD=" .. tmp .. "/x/y/../b/." }))
  end)

  it("installed: <Lua dir>/hotpath/bench, and a user cache for builds", function()
    local lua_dir = tmp .. "/share/lua/5.4"
    assert.is_true(os.execute("mkdir -p '" .. lua_dir .. "/hotpath' && cp '" .. helper.root ..
      "/lua/hotpath/paths.lua' '" .. lua_dir .. "/hotpath/'") ~= false)
    local missing = "nil|no default suites: " .. lua_dir .. "/hotpath/bench is missing (reinstall hotpath, or give the suites' path)|"
    local unset = { "-u", "HOTPATH_BUILD", "-u", "XDG_CACHE_HOME" }
    local cases = {
      -- no suites installed: why, and where they were looked for
      { unset, { "HOME=/home/u" }, missing .. "/home/u/.cache/hotpath|nil" },
      { unset, { "HOME=" }, missing .. "no folder to cache builds in: set HOTPATH_BUILD (or HOME)|nil" },
    }
    for _, c in ipairs(cases) do
      local env = {}
      for _, e in ipairs(c[1]) do env[#env + 1] = e end
      for _, e in ipairs(c[2]) do env[#env + 1] = e end
      assert.are.equal(c[3], answer(lua_dir, "/", env), table.concat(env, " "))
    end
    assert.is_true(os.execute("mkdir -p '" .. lua_dir .. "/hotpath/bench'") ~= false)
    local found = lua_dir .. "/hotpath/bench|installed|"
    cases = {
      { { "-u", "HOTPATH_BUILD", "XDG_CACHE_HOME=/c", "HOME=/home/u" }, found .. "/c/hotpath|nil" },
      { { "-u", "HOTPATH_BUILD", "-u", "XDG_CACHE_HOME", "HOME=/home/u" }, found .. "/home/u/.cache/hotpath|nil" },
      { { "HOTPATH_BUILD=/b", "XDG_CACHE_HOME=/c", "HOME=/home/u" }, found .. "/b|nil" },
    }
    for _, c in ipairs(cases) do
      assert.are.equal(c[2], answer(lua_dir, "/", c[1]), table.concat(c[1], " "))
    end
  end)
end)
