-- hotpath.core, the one C binding (csrc/lua/ and csrc/luart/, compiled once per Lua ABI): what
-- it must do alike under Lua 5.4 and LuaJIT, below the Lua layer's own argument checks.
local util = require "hotpath.util"
local core = util.core

local is_jit = rawget(_G, "jit") ~= nil

-- The message of the error f raises, without the position of the Lua caller that luaL_error
-- prefixes.
local function raised(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  return (err:gsub("^[%w_./-]+:%d+: ", ""))
end

-- "bad argument #n to '<any name>' (msg)": the name a C function gets depends on how it is
-- called, the rest may not.
local function bad_argument(n, msg)
  return function(err)
    local pos, name_free = err:match("^bad argument #(%d+) to '[^']*' %((.*)%)$")
    assert.are.equal(tostring(n), pos, err)
    assert.are.equal(msg, name_free, err)
  end
end

describe("hotpath.core", function()
  it("is the C module built for this runtime, and its backend says which", function()
    assert.are.equal(is_jit and "luajit" or "lua54", core.backend)
    assert.are.equal(core.backend, require("hotpath").backend)
    assert.are.equal(core, package.loaded["hotpath.core"])
  end)

  describe("pool handles are userdata checked by their metatable, never an address as a number", function()
    local code = assert(core.pool.lua_ops.prepare(function(x) return x end))
    local calls = {
      { "pool_threads", function(h) return (core.pool.pool_threads(h)) end },
      { "pool_started", function(h) return (core.pool.pool_started(h)) end },
      { "pool_map", function(h) return (core.pool.pool_map(h, "noop", { 1 })) end },
      { "lua_ops.map", function(h) return (core.pool.lua_ops.map(h, code, { 1 }, 0, 0, 0)) end },
    }
    local not_pools = {
      { "a number (what the FFI side once passed)", 12345, "hotpath.pool expected, got number" },
      { "a string", "0x1234", "hotpath.pool expected, got string" },
      { "a table", {}, "hotpath.pool expected, got table" },
      { "another handle of the binding", core.http_load_start, "hotpath.pool expected, got function" },
    }
    for _, c in ipairs(calls) do
      for _, v in ipairs(not_pools) do
        it(c[1] .. " rejects " .. v[1], function()
          bad_argument(1, v[3])(raised(c[2], v[2]))
        end)
      end
      it(c[1] .. " rejects a closed pool", function()
        local h = assert(core.pool.pool_new(1))
        assert.is_true(core.pool.pool_close(h, 0, -1))
        assert.are.equal("pool is closed", raised(c[2], h))
      end)
    end
  end)

  describe("kernel sizes: the binding's range (C int) and the core's limit, the same in both runtimes", function()
    local max = core.kernels.mandelbrot_max_n
    local cases = {
      { "below -1", -2, "raises", "size out of range" },
      { "beyond a C int", 2 ^ 31, "raises", "size out of range" },
      { "not an integer", 1.5, "raises", "number has no integer representation" },
      { "-1 (the core's own check)", -1, "limit", "mandelbrot: n must be between 0 and " .. max .. ", got -1" },
      { "the limit + 1", max + 1, "limit", ("mandelbrot: n must be between 0 and %d, got %d"):format(max, max + 1) },
      { "the largest C int", 2 ^ 31 - 1, "limit", ("mandelbrot: n must be between 0 and %d, got 2147483647"):format(max) },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        if c[3] == "raises" then
          bad_argument(1, c[4])(raised(core.kernels.mandelbrot, c[2]))
        else
          local out, msg, code = core.kernels.mandelbrot(c[2])
          assert.is_nil(out)
          assert.are.equal(c[4], msg)
          assert.are.equal("limit", code)
        end
      end)
    end
    it("threads: not an integer raises", function()
      bad_argument(2, "number has no integer representation")(raised(core.kernels.mandelbrot, 8, 1.5))
    end)
  end)

  describe("error codes are the core's status names in both runtimes", function()
    local cases = {
      { "unknown task kind", function()
        local h = assert(core.pool.pool_new(1))
        return core.pool.pool_map(h, "no_such_kind", { 1 })
      end, "unknown task kind 'no_such_kind'", "invalid" },
      { "a request with a bad method", function()
        return core.http_request("GE T", "/", "localhost", nil, nil)
      end, nil, "invalid" },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        local v, msg, code = c[2]()
        assert.is_nil(v)
        if c[3] then assert.are.equal(c[3], msg) end
        assert.are.equal(c[4], code)
      end)
    end
  end)
end)
