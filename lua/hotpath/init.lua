-- hotpath: measure how fast a workload runs, how much memory it takes, and how it compares.
--
-- The public API. Modules load on first use (hotpath.proc, hotpath.kernels, ...), so a scenario
-- pays only for what it touches. Runs unchanged on Lua 5.4 and on LuaJIT/OpenResty (the C module
-- hotpath.core, built once per Lua ABI).
local util = require "hotpath.util"
local core = util.core

local require, rawget, rawset, format = require, rawget, rawset, string.format

local hp = {
  _VERSION = core.version(),
  backend = core.backend,
}

-- Monotonic clock in seconds.
hp.clock = core.clock

-- digest(data [, "sha256"|"md5"]) -> "sha256:<hex>" (the form `verify` takes).
function hp.digest(data, kind)
  kind = kind or "sha256"
  local k = require("hotpath.proc").DIGESTS[kind]
  if type(data) ~= "string" then util.argerror(1, "digest", "string expected, got " .. util.typename(data)) end
  if not k then util.argerror(2, "digest", "\"sha256\" or \"md5\" expected") end
  return kind .. ":" .. core.digest(k, data)
end

-- The scenario DSL (see lua/hotpath/scenario.lua): hp.suite "name" { hp.scenario "x" {...} }.
local scenario = require "hotpath.scenario"
hp.suite, hp.scenario, hp.skip = scenario.suite, scenario.scenario, scenario.skip

-- The machine, runtime and build, as every result carries them.
function hp.info()
  return require("hotpath.machine").info()
end

-- The public modules, loaded on first use as hp.<name>. An explicit list: hotpath.child is a
-- program the runner starts (it ends in os.exit), and the internals are not API.
local MODULES = {
  json = true, kernels = true, pool = true, http = true, proc = true, peers = true,
  stats = true, machine = true, runner = true, commands = true, noise = true,
}
hp.modules = {}
for k in pairs(MODULES) do hp.modules[#hp.modules + 1] = k end
table.sort(hp.modules)

return setmetatable(hp, {
  __index = function(t, k)
    if not MODULES[k] then return nil end
    local m = require("hotpath." .. k)
    rawset(t, k, m)
    return m
  end,
})
