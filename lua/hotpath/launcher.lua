-- Copies started by a cluster launcher (Slurm's srun and sbatch --array, Kubernetes indexed jobs,
-- Open MPI's mpirun): which copy this is, how many there are, where it runs; placeholders in
-- export paths; the share of a load run's totals that falls to this copy; the wall-clock time
-- the copies of one step agree to start at (doc/scale-out.md).
--
--   local info = launcher.info()  -- { launcher, rank, count, index, host, node, job, job_id, step }
--   launcher.expand("out/load.{rank}.json", info) --> "out/load.3.json"
--   launcher.split({ connections = 64, rate = 2e5 }, info) --> this copy's share
--   launcher.start_at(info) --> the step's start + START_MARGIN under srun, else nil
local type, tonumber, tostring, ipairs, pairs, format, floor = type, tonumber, tostring, ipairs, pairs, string.format, math.floor
local getenv = os.getenv

local M = {}

-- Seconds after the Slurm step's start (whole seconds, as Slurm keeps it) at which its copies
-- start by default: long enough for every copy to be up and waiting, short enough not to be
-- noticed. A copy that comes up later starts at once and its start_late says so.
M.START_MARGIN = 2

-- The rank variables, in order of precedence: the first one set names the launcher.
M.RANK_VARS = {
  { "SLURM_ARRAY_TASK_ID", "slurm-array", "SLURM_ARRAY_TASK_COUNT" },
  { "SLURM_PROCID", "slurm", "SLURM_NTASKS" },
  { "JOB_COMPLETION_INDEX", "kubernetes", nil },
  { "OMPI_COMM_WORLD_RANK", "mpi", "OMPI_COMM_WORLD_SIZE" },
}

local function whole(v) return type(v) == "number" and v == v and v >= 0 and v < 2 ^ 31 and floor(v) == v end

-- info(env) -> { launcher, rank, count, index, host, node, job, step } | nil, message
-- env(name) reads a variable (default os.getenv). launcher is nil outside a launcher (rank 0,
-- count 1). count comes from the launcher's variable, else HOTPATH_COUNT (Kubernetes gives none);
-- nil when unknown. index is the copy's position from 0 (the array task id less
-- SLURM_ARRAY_TASK_MIN), which the split uses. host is this machine's host name, node the
-- launcher's name for it (SLURMD_NODENAME), job Slurm's job id (the array's for a task),
-- job_id and step the ids of this job and step.
function M.info(env)
  env = env or getenv
  local host = require("hotpath.machine").hostname()
  local info = { rank = 0, count = 1, index = 0, host = host }
  for _, v in ipairs(M.RANK_VARS) do
    local text = env(v[1])
    if text and text ~= "" then
      local rank = tonumber(text)
      if not whole(rank) then return nil, format("%s is '%s', not a copy's index", v[1], text) end
      info.launcher, info.rank = v[2], rank
      local ctext = (v[3] and env(v[3])) or env("HOTPATH_COUNT")
      local count = ctext and tonumber(ctext)
      if ctext and not (whole(count) and count >= 1) then
        return nil, format("%s is '%s', not a count of copies", v[3] and env(v[3]) and v[3] or "HOTPATH_COUNT", ctext)
      end
      info.count = count
      info.index = rank
      if v[1] == "SLURM_ARRAY_TASK_ID" then
        local min = tonumber(env("SLURM_ARRAY_TASK_MIN") or "")
        if whole(min) and min <= rank then info.index = rank - min end
      end
      if count and info.index >= count then
        return nil, format("%s is %d, but there are %d copies", v[1], rank, count)
      end
      break
    end
  end
  if info.launcher and info.launcher:match("^slurm") then
    info.node = env("SLURMD_NODENAME")
    info.job = env("SLURM_ARRAY_JOB_ID") or env("SLURM_JOB_ID")
    info.step = env("SLURM_STEP_ID") or env("SLURM_STEPID")
    info.job_id = env("SLURM_JOB_ID")
  end
  return info
end

-- expand(path, info) -> path with {rank} and {host} replaced (other braces are left alone).
function M.expand(path, info)
  return (path:gsub("{(%a+)}", function(k)
    if k == "rank" then return tostring(info.rank) end
    if k == "host" then return info.host end
  end))
end

-- The share of an integer total n that falls to copy i (0-based) of count: n // count, plus
-- one for the first n % count copies, so that the shares add up to n.
function M.share(n, i, count)
  local q = floor(n / count)
  return q + ((i < n - q * count) and 1 or 0)
end

-- split(o, info) -> the options of this copy | nil, message
-- o: load options as hotpath load passes them to http.load (connections, rate, requests,
-- phases = { { rate, seconds } ... }); the ones given are totals over all copies: connections
-- and requests are shared out as whole numbers (the first copies get one more), rates divided
-- evenly; durations, threads and the rest are each copy's. A copy that would get no connection or
-- no request is an error; a copy never runs more threads than it has connections.
function M.split(o, info)
  local count, i = info.count, info.index
  if not count then
    return nil, format("cannot split the load: the number of copies is unknown (%s launches give none: set HOTPATH_COUNT)",
      tostring(info.launcher))
  end
  local out = {}
  for k, v in pairs(o) do out[k] = v end
  if count == 1 then return out end
  for _, k in ipairs { "connections", "requests" } do
    if o[k] then
      if o[k] < count then
        return nil, format("--%s %d cannot be split between %d copies (each needs at least one)", k, o[k], count)
      end
      out[k] = M.share(o[k], i, count)
    end
  end
  if out.connections and out.threads and out.threads > out.connections then out.threads = out.connections end
  if o.rate then out.rate = o.rate / count end
  if o.phases then
    out.phases = {}
    for j, p in ipairs(o.phases) do out.phases[j] = { rate = p.rate / count, seconds = p.seconds } end
  end
  return out
end

-- Days from 1970-01-01 to year-month-day (proleptic Gregorian; Howard Hinnant's algorithm).
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

-- parse_utc("2026-12-03T10:00:00[.5][Z]") -> seconds since the epoch (the time read as UTC) | nil
function M.parse_utc(text)
  local y, mo, d, h, mi, s, frac = tostring(text):match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[T ](%d%d):(%d%d):(%d%d)(%.?%d*)Z?$")
  if not y then return nil end
  y, mo, d, h, mi, s = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(s)
  if mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or s > 60 then return nil end
  local f = (frac ~= "" and frac ~= ".") and tonumber("0" .. frac) or 0
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s + f
end

-- parse_start_at(text, now) -> seconds since the epoch | nil, message
-- text: seconds since the epoch ("1796290000.25"), a UTC time ("2026-12-03T10:00:00Z", a
-- fraction allowed), or "+T", T from now in the units of -d ("+5s", "+500ms").
function M.parse_start_at(text, now)
  local bad = format("--start-at must be seconds since the epoch, a UTC time like 2026-12-03T10:00:00Z or +T from now (+5s), got '%s'", tostring(text))
  if type(text) ~= "string" then return nil, bad end
  local rel = text:match("^%+(.+)$")
  if rel then
    local secs = require("hotpath.http").seconds(rel)
    if not secs or not (secs >= 0) then return nil, bad end
    return now + secs
  end
  local n = text:match("^%d+%.?%d*$") and tonumber(text)
  if n then return n end
  local t = M.parse_utc(text)
  if t then return t end
  return nil, bad
end

-- start_at(info, run) -> the default start time of this copy's load, or nil, reason
-- Under srun with more than one copy, the copies of one step read its start time from Slurm
-- (`scontrol show step`, whole seconds: the same for all of them) and add START_MARGIN, so they
-- begin within the machines' clock offset of each other without talking to each other. Array
-- tasks are jobs of their own, started whenever a node is free: no common start. run(argv, env)
-- runs a command and returns its stdout or nil (default: hotpath.proc).
function M.start_at(info, run)
  if info.launcher ~= "slurm" or not info.count or info.count < 2 or not info.job_id or not info.step then
    return nil, "not a Slurm step of several copies"
  end
  run = run or function(argv, env)
    local r = require("hotpath.proc").run { argv = argv, env = env, keep_stdout = true, timeout = 10 }
    return r and r.ok and r.stdout or nil
  end
  local id = info.job_id .. "." .. info.step
  local out = run({ "scontrol", "-o", "show", "step", id }, { TZ = "UTC0" })
  local t = out and M.parse_utc(out:match("StartTime=(%S+)") or "")
  if not t then return nil, "cannot read the start time of step " .. id .. " from scontrol" end
  return t + M.START_MARGIN
end

return M
