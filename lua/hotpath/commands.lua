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
local ipairs, pairs, type, tostring = ipairs, pairs, type, tostring

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

-- Replaces each {key} of s whose key params has with the value (other braces stay).
function M.substitute(s, params)
  return (s:gsub("{([%a_][%w_]*)}", function(k)
    local v = params[k]
    if v ~= nil and type(v) ~= "table" then return tostring(v) end
  end))
end

-- The command of a scenario whose words hold {key} placeholders: a function of the params.
local function templated(argv)
  return function(p)
    local out = {}
    for i, w in ipairs(argv) do out[i] = M.substitute(w, p) end
    return out
  end
end

-- Entries for runner.run from the command lines: returns the list, or nil and a message.
-- shell: run each line with /bin/sh -c. timeout: seconds per run (nil: the runner's default).
-- params: { key = list of values } (--param): each command runs once per value, with {key}
-- in its words (or in the shell line) replaced by the value; a key no command uses is an error.
function M.entries(lines, shell, timeout, params)
  local entries, seen, first = {}, {}, nil
  for k in pairs(params or {}) do
    local used = false
    for _, line in ipairs(lines) do
      if find(line, "{" .. k .. "}", 1, true) then used = true end
    end
    if not used then return nil, format("--param %s: no --command has {%s}", k, k) end
  end
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
    if params and find(line, "{", 1, true) then argv = templated(argv) end
    -- the same command twice (a noise check, as with hyperfine) gets a number
    local name = line
    if seen[name] then
      seen[name] = seen[name] + 1
      name = format("%s (%d)", line, seen[line])
    else
      seen[name] = 1
    end
    local s = scenario.scenario(name) {
      command = argv, baseline = first, timeout = timeout, params = params,
    }
    first = first or name
    entries[i] = {
      file = "(command line)", si = 1, ci = i, suite = "commands", scenario = s, id = "commands/" .. name,
      add_params = params and true or nil,
    }
  end
  return entries
end

return M
