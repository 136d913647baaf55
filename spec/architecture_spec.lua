-- doc/architecture.md maps every feature to its files: it names every folder under csrc/ and
-- every Lua module under lua/hotpath/, and README's layout section names every csrc/ folder,
-- so that a newcomer finds each part (and a new folder or module without a line fails here).
local helper = require "helper"

local function listing(cmd)
  local p = assert(io.popen(cmd))
  local out = {}
  for line in p:read("*a"):gmatch("[^\n]+") do out[#out + 1] = line end
  p:close()
  return out
end

local doc = helper.read(helper.root .. "/doc/architecture.md")
local readme = helper.read(helper.root .. "/README.md")
local layout = readme:match("\n## Layout\n(.-)\n## ")

describe("doc/architecture.md", function()
  it("has README's layout section to check", function()
    assert.is_truthy(layout)
  end)

  for _, dir in ipairs(listing("cd '" .. helper.root .. "/csrc' && find . -mindepth 1 -maxdepth 1 -type d | sort")) do
    local name = dir:gsub("^%./", "")
    it("names csrc/" .. name .. "/ in the page and in README's layout", function()
      assert.is_truthy(doc:find("`" .. name .. "/`", 1, true) or doc:find("`csrc/" .. name .. "/`", 1, true),
        "doc/architecture.md does not name csrc/" .. name .. "/")
      assert.is_truthy(layout:find("csrc/" .. name .. "/", 1, true), "README's layout does not name csrc/" .. name .. "/")
    end)
  end

  for _, file in ipairs(listing("cd '" .. helper.root .. "/lua/hotpath' && find . -name '*.lua' | sort")) do
    local rel = file:gsub("^%./", "")
    local base = rel:match("([^/]+)%.lua$")
    it("names the module " .. rel, function()
      assert.is_truthy(doc:find("`" .. base .. "`", 1, true) or doc:find(rel, 1, true),
        "doc/architecture.md does not name lua/hotpath/" .. rel)
    end)
  end
end)
