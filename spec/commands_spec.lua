-- Ad-hoc commands: words split as a shell splits them, and the entries they become.
local commands = require "hotpath.commands"

describe("hotpath.commands", function()
  local splits = {
    { "sleep 0.1", { "sleep", "0.1" } },
    { "  a\tb \n c  ", { "a", "b", "c" } },
    { "echo 'a b'  \"c d\"", { "echo", "a b", "c d" } },
    { "echo 'it''s'", { "echo", "its" } },
    { [[echo "a\"b" "\$x" "\n"]], { "echo", 'a"b', "$x", "\\n" } },
    { [[echo a\ b \'q]], { "echo", "a b", "'q" } },
    { "echo ''", { "echo", "" } },
    { "echo $HOME *.lua | wc", { "echo", "$HOME", "*.lua", "|", "wc" } },
    { "x=1'2'\"3\"", { "x=123" } },
    { "", {} },
  }
  for i, c in ipairs(splits) do
    it("splits words " .. i, function()
      assert.are.same(c[2], (commands.split(c[1])))
    end)
  end

  local bad = {
    { "echo 'abc", "unterminated single quote at byte 6" },
    { [[echo "ab\"]], "unterminated double quote at byte 6" },
    { "echo \\", "backslash at the end of the command (byte 6)" },
  }
  for i, c in ipairs(bad) do
    it("refuses a malformed command " .. i, function()
      local w, err = commands.split(c[1])
      assert.is_nil(w)
      assert.are.equal(c[2], err)
    end)
  end

  it("makes one entry per command, the first the baseline of the others", function()
    local e = assert(commands.entries { "true", "sleep 0", "true" })
    assert.are.equal(3, #e)
    assert.are.same({ "true" }, e[1].scenario.command)
    assert.are.same({ "sleep", "0" }, e[2].scenario.command)
    assert.are.equal("commands/true", e[1].id)
    assert.are.equal("commands/true (2)", e[3].id)
    assert.is_nil(e[1].scenario.baseline)
    assert.are.equal("true", e[2].scenario.baseline)
    assert.are.equal("true", e[3].scenario.baseline)
  end)

  it("runs through sh -c with shell", function()
    local e = assert(commands.entries({ "echo $HOME | wc -c" }, true))
    assert.are.same({ "/bin/sh", "-c", "echo $HOME | wc -c" }, e[1].scenario.command)
  end)

  it("names the command that does not split", function()
    local e, err = commands.entries { "true", "echo 'x" }
    assert.is_nil(e)
    assert.are.equal("--command 'echo 'x': unterminated single quote at byte 6", err)
    e, err = commands.entries { "  " }
    assert.is_nil(e)
    assert.are.equal("--command 1 is empty", err)
  end)
end)
