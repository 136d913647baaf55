-- CPU kernels against the published Rust and Go figures (REFERENCE.md), and a plain-Lua peer
-- run as an external command, verified by the same digest.
local hp = require "hotpath"

local MANDELBROT = {
  full = "sha256:00159ae70df29c1dc77a6a9ceef9164154c16cc5c2f7dc714ea3a2314db0cf15",  -- n = 5000
  quick = "sha256:66b74292639771ac7a6d9307c2a1985b0be22b09f28159cc142f0af988532789", -- n = 1000
}

return hp.suite "cpu" {
  hp.scenario "mandelbrot" {
    params = { n = 5000 }, quick = { n = 1000 },
    run = function(p) return hp.kernels.mandelbrot(p.n) end,
    verify = MANDELBROT,
    reference = {
      { name = "Rust, published", ms = 246, mb = 4.8 },
      { name = "Go, published", ms = 2666, mb = 7.7 },
    },
  },
  hp.scenario "mandelbrot, plain Lua on LuaJIT" {
    params = { n = 5000 }, quick = { n = 1000 },
    command = function(p, ctx) return { "luajit", ctx.dir .. "/programs/mandelbrot.lua", p.n } end,
    verify = MANDELBROT,
    baseline = "mandelbrot",
    reference = {
      { name = "Rust, published", ms = 246, mb = 4.8 },
      { name = "Go, published", ms = 2666, mb = 7.7 },
    },
  },
}
