-- The 2.4 KB document of bench/json.lua, recovered by running its hotpath decode scenario
-- once with a capturing decoder (so the tools measure exactly what the bench decodes).
-- Returns hotpath, the document text, and the scenarios by name.
local hp = require "hotpath"
local scenario, suite = hp.scenario, hp.suite
hp.scenario = function(name) return function(t) t.name = name return t end end
hp.suite = function() return function(l) return l end end
local list = dofile("bench/json.lua")
hp.scenario, hp.suite = scenario, suite
local byname, doc = {}, nil
for _, s in ipairs(list) do byname[s.name] = s end
byname["decode 2.4 KB x N, hotpath"].run({ n = 1 }, { dec = function(x)
  doc = x
  return require("cjson").decode(x)
end })
return hp, doc, byname
