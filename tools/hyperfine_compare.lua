-- hotpath run --command against hyperfine on the same command, interleaved rounds (A B A B):
--   lua5.4 tools/hyperfine_compare.lua [ROUNDS] [RUNS] [CMD ...]
-- Each round runs `hyperfine -N` (no shell, like hotpath) and `hotpath run --command` with
-- RUNS counted runs after 1 warm-up, and reads both medians from their JSON exports. Prints
-- every round and, per command, the median of the per-round ratios hotpath / hyperfine with
-- their range. Defaults: 5 rounds, 20 runs, a sleep (wall-bound) and a CPU-bound command that
-- writes 0.6 MB to its stdout.
package.path = "lua/?.lua;lua/?/init.lua;build/lua/?.lua;" .. package.path
package.cpath = "build/lua54/?.so;" .. package.cpath
local cjson = require "cjson"
local proc = require("hotpath").proc
local stats = require "hotpath.stats"

local rounds = tonumber(arg[1]) or 5
local runs = tonumber(arg[2]) or 20
local cmds = {}
for i = 3, #arg do cmds[#cmds + 1] = arg[i] end
if #cmds == 0 then cmds = { "sleep 0.05", "gzip -9 -c /usr/bin/hyperfine" } end

local lua = arg[-1] or "lua5.4"
local tmp = os.tmpname()

local function read(path)
  local f = assert(io.open(path))
  local s = f:read("*a")
  f:close()
  return s
end

local function run(argv)
  local r = assert(proc.run { argv = argv, keep_stderr = 4096, timeout = 600 })
  if not r.ok then error(table.concat(argv, " ") .. ": " .. r.status .. " " .. (r.stderr or "")) end
end

-- hyperfine's default sends the output to /dev/null; hotpath reads it through a pipe to digest
-- it, so --output=pipe is the like-for-like setting (HYPERFINE_OUTPUT=null for the default).
local output = os.getenv("HYPERFINE_OUTPUT") or "pipe"

local function hyperfine(cmd)
  run { "hyperfine", "-N", "--style", "none", "--output", output, "--warmup", "1", "--runs", tostring(runs), "--export-json", tmp, cmd }
  return cjson.decode(read(tmp)).results[1].median
end

local function hotpath(cmd)
  run { lua, "bin/hotpath", "run", "--command", cmd, "--warmup", "1", "--runs", tostring(runs), "--export-json", tmp }
  return cjson.decode(read(tmp)).scenarios[1].summary.run_s.median
end

for _, cmd in ipairs(cmds) do
  local ratios = {}
  for r = 1, rounds do
    local a, b
    if r % 2 == 1 then a = hotpath(cmd); b = hyperfine(cmd) else b = hyperfine(cmd); a = hotpath(cmd) end
    ratios[r] = a / b
    print(string.format("%-40s round %d: hotpath %.2f ms, hyperfine %.2f ms, ratio %.3f", cmd, r, a * 1e3, b * 1e3, a / b))
  end
  local s = stats.summary(ratios)
  print(string.format("%-40s median ratio hotpath / hyperfine %.3f (rounds %.3f..%.3f)", cmd, s.median, s.min, s.max))
end
os.remove(tmp)
