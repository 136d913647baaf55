-- hotpath: measure how fast a workload runs, how much memory it takes, and how it compares.
--
-- The public API. Modules load on first use (hotpath.proc, hotpath.kernels, ...), so a scenario
-- pays only for what it touches. Runs unchanged on Lua 5.4 (C module hotpath.core) and on
-- LuaJIT/OpenResty (FFI over libhotpath.so).
local util = require "hotpath.util"
local core = util.core

local require, rawget, rawset, format = require, rawget, rawset, string.format
local searchpath, path = package.searchpath, package.path

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

return setmetatable(hp, {
  __index = function(t, k)
    if type(k) ~= "string" or not k:match("^[%a_][%w_]*$") then return nil end
    local name = "hotpath." .. k
    if not searchpath(name, package.path) then return nil end
    local m = require(name)
    rawset(t, k, m)
    return m
  end,
})
