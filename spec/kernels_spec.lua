-- hotpath.kernels: outputs byte-identical to the reference programs.
local hp = require "hotpath"
local K = hp.kernels
local reference_mandelbrot = assert(loadfile("bench/programs/mandelbrot.lua"))("mandelbrot")
local unpack = table.unpack or unpack

local function lua_mandelbrot(n)
  local parts = {}
  reference_mandelbrot(n, function(s) parts[#parts + 1] = s end)
  return table.concat(parts)
end

describe("hotpath.kernels.mandelbrot", function()
  -- widths that are and are not multiples of 8, and the edges 0 and 1
  for _, n in ipairs { 0, 1, 2, 7, 8, 9, 63, 100, 201 } do
    it("matches the plain-Lua reference program for n = " .. n, function()
      assert.are.equal(lua_mandelbrot(n), K.mandelbrot(n))
    end)
  end

  it("has the header and size of a P4 file", function()
    local out = K.mandelbrot(9)
    assert.are.equal("P4\n9 9\n", out:sub(1, 7))
    assert.are.equal(7 + 2 * 9, #out)
  end)

  it("gives the known digest for n = 200", function()
    assert.are.equal("md5:cc65e64bd553ed18896de1dfe7fae3e5", hp.digest(K.mandelbrot(200), "md5"))
  end)

  it("is identical for every thread count", function()
    local one = K.mandelbrot(123, { threads = 1 })
    assert.are.equal(one, K.mandelbrot(123, { threads = 2 }))
    assert.are.equal(one, K.mandelbrot(123, { threads = 3 }))
  end)

  local misuse = {
    { { -1 }, "bad argument #1 to 'mandelbrot' (n must be between 0 and 32768, got -1)" },
    { { 40000 }, "bad argument #1 to 'mandelbrot' (n must be between 0 and 32768, got 40000)" },
    { { 2.5 }, "bad argument #1 to 'mandelbrot' (n: integer expected, got 2.5)" },
    { { "10" }, "bad argument #1 to 'mandelbrot' (n: integer expected, got string)" },
    { { 10, 5 }, "bad argument #2 to 'mandelbrot' (options table expected, got number)" },
    { { 10, { threads = 0 } }, "bad argument #2 to 'mandelbrot' (threads must be between 1 and 1024, got 0)" },
  }
  for i, c in ipairs(misuse) do
    it("raises on bad input " .. i, function()
      local ok, err = pcall(K.mandelbrot, unpack(c[1]))
      assert.is_false(ok)
      assert.are.equal(c[2], err)
    end)
  end
end)
