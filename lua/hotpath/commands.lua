-- Ad-hoc commands (`hotpath run --command 'CMD' ...`): each command becomes a command scenario
-- of one suite, "commands", measured like any other (interleaved, fresh processes, digests),
-- with the first command as the baseline of the others' ratios.
--
-- Words are split as a POSIX shell splits them, without running one: blanks separate words;
-- 'single quotes' keep everything; "double quotes" keep everything but \" \\ \$ \` and
-- backslash-newline; a backslash outside quotes keeps the next character. Nothing else is
-- interpreted ($VAR, globs, pipes and redirections are plain characters): --shell runs the
-- command through /bin/sh -c instead.
local scenario = require "hotpath.scenario"

local format, sub, find = string.format, string.sub, string.find

local M = {}

local DQ_ESCAPES = { ['"'] = true, ["\\"] = true, ["$"] = true, ["`"] = true, ["\n"] = true }

-- Splits a command line into words; returns the list, or nil and a message naming the problem
-- and its position (1-based byte offset).
function M.split(line)
  local words, cur, have = {}, {}, false
  local i, n = 1, #line
  while i <= n do
    local c = sub(line, i, i)
    if c == " " or c == "\t" or c == "\n" then
      if have then words[#words + 1] = table.concat(cur); cur, have = {}, false end
    elseif c == "'" then
      local j = find(line, "'", i + 1, true)
      if not j then return nil, format("unterminated single quote at byte %d", i) end
      cur[#cur + 1] = sub(line, i + 1, j - 1)
      have, i = true, j
    elseif c == '"' then
      local j = i + 1
      while true do
        local d = sub(line, j, j)
        if d == "" then return nil, format("unterminated double quote at byte %d", i) end
        if d == '"' then break end
        if d == "\\" and DQ_ESCAPES[sub(line, j + 1, j + 1)] then
          if sub(line, j + 1, j + 1) ~= "\n" then cur[#cur + 1] = sub(line, j + 1, j + 1) end
          j = j + 2
        else
          cur[#cur + 1] = d
          j = j + 1
        end
      end
      have, i = true, j
    elseif c == "\\" then
      if i == n then return nil, format("backslash at the end of the command (byte %d)", i) end
      local d = sub(line, i + 1, i + 1)
      if d ~= "\n" then cur[#cur + 1] = d; have = true end
      i = i + 1
    else
      cur[#cur + 1] = c
      have = true
    end
    i = i + 1
  end
  if have then words[#words + 1] = table.concat(cur) end
  return words
end

-- Entries for runner.run from the command lines: returns the list, or nil and a message.
-- shell: run each line with /bin/sh -c. timeout: seconds per run (nil: the runner's default).
function M.entries(lines, shell, timeout)
  local entries, seen, first = {}, {}, nil
  for i, line in ipairs(lines) do
    local argv
    if shell then
      argv = { "/bin/sh", "-c", line }
    else
      local err
      argv, err = M.split(line)
      if not argv then return nil, format("--command '%s': %s", line, err) end
      if #argv == 0 then return nil, format("--command %d is empty", i) end
    end
    -- the same command twice (a noise check, as with hyperfine) gets a number
    local name = line
    if seen[name] then
      seen[name] = seen[name] + 1
      name = format("%s (%d)", line, seen[line])
    else
      seen[name] = 1
    end
    local s = scenario.scenario(name) {
      command = argv, baseline = first, timeout = timeout,
    }
    first = first or name
    entries[i] = { file = "(command line)", si = 1, ci = i, suite = "commands", scenario = s, id = "commands/" .. name }
  end
  return entries
end

return M
