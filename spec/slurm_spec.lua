-- hotpath under a real Slurm (Debian's slurm-wlm): a throwaway two-node cluster on this host,
-- everything under a temporary folder (mode 755, as munged wants its socket's folder): munged
-- with a fresh key, slurmctld -D and two slurmd -D -N n1 / -N n2 on free ports, stopped by
-- PID in teardown (and when the start fails half-way). Then `srun -N2 -n2 hotpath load`
-- against a local hotpath server, `hotpath merge` of the two copies, and a two-task `sbatch
-- --array` of a small suite, merged. Traffic only to 127.0.0.1.
local hp = require "hotpath"
local helper = require "helper"
local http = require "hotpath.http"
local json = require "hotpath.json"
local core = require("hotpath.util").core

local DIRS = { "/usr/sbin", "/usr/bin", "/sbin", "/bin" }
local function find(prog)
  for _, d in ipairs(DIRS) do
    local f = io.open(d .. "/" .. prog, "rb")
    if f then f:close() return d .. "/" .. prog end
  end
  return nil
end

local PROGS = { "munged", "slurmctld", "slurmd", "srun", "sbatch", "scontrol", "sinfo" }
local bin, missing = {}, {}
for _, p in ipairs(PROGS) do
  bin[p] = find(p)
  if not bin[p] then missing[#missing + 1] = p end
end

local function run(argv, env, timeout)
  return assert(hp.proc.run { argv = argv, env = env, keep_stdout = true, keep_stderr = true, timeout = timeout or 60 })
end

-- Free ports, all different.
local function ports(n)
  local out, seen = {}, {}
  while #out < n do
    local p = core.http_free_port()
    if not seen[p] then seen[p] = true; out[#out + 1] = p end
  end
  return out
end

local CONF = [[
ClusterName=hptest
SlurmctldHost=%s(127.0.0.1)
SlurmctldPort=%d
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=%s/munge.sock
CredType=cred/munge
StateSaveLocation=%s/state
SlurmdSpoolDir=%s/spool/%%n
SlurmctldPidFile=%s/slurmctld.pid
SlurmdPidFile=%s/slurmd.%%n.pid
SlurmctldLogFile=%s/slurmctld.log
SlurmdLogFile=%s/slurmd.%%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0
SelectType=select/linear
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SlurmdParameters=config_overrides
NodeName=n1 NodeHostname=%s NodeAddr=127.0.0.1 Port=%d CPUs=1 State=UNKNOWN
NodeName=n2 NodeHostname=%s NodeAddr=127.0.0.1 Port=%d CPUs=1 State=UNKNOWN
PartitionName=test Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP
]]

-- The cluster: { dir, env, pids, stop() }. Raises when a daemon does not come up, after
-- stopping the ones that did.
local function start_cluster()
  local c = { pids = {} }
  function c.stop()
    for i = #c.pids, 1, -1 do core.proc_stop(c.pids[i], 3) end
    c.pids = {}
    if c.dir then helper.rmdir(c.dir) end
    c.dir = nil
  end
  local ok, err = pcall(function()
    local d = helper.tmpdir()
    c.dir = d
    assert(run { "chmod", "755", d }.ok)
    for _, sub in ipairs { "state", "spool", "spool/n1", "spool/n2", "out" } do assert(run { "mkdir", "-p", d .. "/" .. sub }.ok) end
    assert(run { "dd", "if=/dev/urandom", "of=" .. d .. "/munge.key", "bs=1024", "count=1" }.ok)
    assert(run { "chmod", "400", d .. "/munge.key" }.ok)
    c.pids[#c.pids + 1] = assert(core.proc_start({ bin.munged, "-F", "--force", "--key-file=" .. d .. "/munge.key",
      "--socket=" .. d .. "/munge.sock", "--pid-file=" .. d .. "/munged.pid", "--log-file=" .. d .. "/munged.log",
      "--seed-file=" .. d .. "/munged.seed" }, false))
    local host = require("hotpath.machine").hostname():match("^[^.]+")
    local p = ports(3)
    helper.write(d .. "/slurm.conf", CONF:format(host, p[1], d, d, d, d, d, d, d, host, p[2], host, p[3]))
    c.env = { SLURM_CONF = d .. "/slurm.conf" }
    for _ = 1, 200 do
      if run({ "test", "-S", d .. "/munge.sock" }).ok then break end
      run({ "sleep", "0.02" })
    end
    local conf = d .. "/slurm.conf"
    c.pids[#c.pids + 1] = assert(core.proc_start({ bin.slurmctld, "-D", "-i", "-f", conf }, false))
    assert(core.http_child_wait_port(c.pids[#c.pids], p[1], 10))
    c.pids[#c.pids + 1] = assert(core.proc_start({ bin.slurmd, "-D", "-N", "n1", "-f", conf }, false))
    c.pids[#c.pids + 1] = assert(core.proc_start({ bin.slurmd, "-D", "-N", "n2", "-f", conf }, false))
    local states
    for _ = 1, 100 do
      local r = run({ bin.sinfo, "-h", "-N", "-o", "%N %T" }, c.env, 10)
      states = r.stdout
      if r.ok and states:match("n1 idle") and states:match("n2 idle") then return end
      run({ "sleep", "0.1" })
    end
    error("the cluster did not come up: sinfo says " .. tostring(states) .. "\n" .. helper.read(d .. "/slurmctld.log"))
  end)
  if not ok then
    c.stop()
    error(err, 0)
  end
  return c
end

describe("hotpath under Slurm", function()
  if #missing > 0 then
    pending("Slurm is not installed (missing " .. table.concat(missing, ", ") ..
      "; make deps installs munge slurmctld slurmd slurm-client)")
    return
  end

  local cluster, server
  setup(function()
    cluster = start_cluster()
    local err
    server, err = http.start { test = "plaintext", duration = 60 }
    if not server then
      cluster.stop() -- whether or not busted runs teardown after a failed setup
      error(err, 0)
    end
  end)
  teardown(function()
    if server then server:stop() end
    if cluster then cluster.stop() end
  end)

  local hotpath = { helper.lua, helper.root .. "/bin/hotpath" }
  local function cmd(...)
    local argv = {}
    for _, a in ipairs(hotpath) do argv[#argv + 1] = a end
    for _, a in ipairs { ... } do argv[#argv + 1] = a end
    return argv
  end

  it("srun -N2 -n2 hotpath load: each copy its share, started together; hotpath merge joins them", function()
    local out = cluster.dir .. "/out"
    local argv = { bin.srun, "-N2", "-n2" }
    for _, a in ipairs(cmd("load", server.url .. "plaintext", "-c", "4", "-R", "2000", "-d", "1",
      "--export-json", out .. "/load.{rank}.json")) do argv[#argv + 1] = a end
    local r = run(argv, cluster.env)
    assert.is_true(r.ok, r.status .. "\n" .. r.stdout .. r.stderr)
    local docs = {}
    for rank = 0, 1 do
      local d = json.decode(helper.read(out .. "/load." .. rank .. ".json"))
      docs[rank + 1] = d
      assert.same({ "slurm", rank, 2, true, 2, 1000 }, { d.launcher, d.rank, d.count, d.split, d.connections, d.rate })
      assert.same({ connections = 4, rate = 2000 }, d.totals)
      assert.equals("n" .. (rank + 1), d.node)
      assert.is_true(d.start_late >= 0)
    end
    -- both read the step's start from Slurm: the same agreed time to the bit
    assert.equals(docs[1].start_at, docs[2].start_at)

    local m = run(cmd("merge", out .. "/load.0.json", out .. "/load.1.json", "--export-json", out .. "/merged.json",
      "--export-html", out .. "/merged.html"))
    assert.is_true(m.ok, m.stderr)
    assert.truthy(m.stdout:find("Merged 2 load results @ " .. server.url .. "plaintext", 1, true))
    local mg = json.decode(helper.read(out .. "/merged.json"))
    assert.equals(docs[1].requests + docs[2].requests, mg.requests)
    assert.equals(mg.requests, mg.latency.count)
    assert.equals(docs[1].latency.count + docs[2].latency.count, mg.latency.histogram.count)
    assert.same({ "n1", "n2" }, mg.hosts)
    assert.same({ 0, 1 }, { mg.sources[1].rank, mg.sources[2].rank })
    assert.same({ "load.0.json", "load.1.json" }, { mg.sources[1].file, mg.sources[2].file })
    assert.equals(4, mg.connections)
    assert.equals(2000, mg.rate)
    local s1, s2 = mg.sources[1].start_time, mg.sources[2].start_time
    assert.equals(math.max(s1, s2) - math.min(s1, s2), mg.skew)
    assert.equals(mg.requests / mg.window.seconds, mg.rps)
    assert.truthy(helper.read(out .. "/merged.html"):find('<section id="sources">', 1, true))
  end)

  it("sbatch --array of a small suite, one result per task, merged side by side", function()
    local out = cluster.dir .. "/out"
    local words = {}
    for _, a in ipairs(cmd("run", helper.root .. "/spec/fixtures/scenarios/good.lua", "--runs", "2", "--warmup", "0",
      "--export-json", out .. "/suite.{rank}.json")) do words[#words + 1] = "'" .. a .. "'" end
    local r = run({ bin.sbatch, "--wait", "--array=0-1", "--chdir=" .. out, "-o", out .. "/suite.%a.log",
      "--wrap", table.concat(words, " ") }, cluster.env)
    assert.is_true(r.ok, r.status .. "\n" .. r.stdout .. r.stderr)
    local m = run(cmd("merge", out .. "/suite.0.json", out .. "/suite.1.json", "--export-json", out .. "/suite.json",
      "--export-markdown", out .. "/suite.md"))
    assert.is_true(m.ok, m.stderr)
    local mg = json.decode(helper.read(out .. "/suite.json"))
    assert.equals("run", mg.merged)
    assert.same({ "n1#0", "n2#1" }, { mg.sources[1].label, mg.sources[2].label })
    for i, s in ipairs(mg.sources) do
      assert.same({ "slurm-array", i - 1, 2 }, { s.launcher, s.rank, s.count })
      assert.is_string(s.machine.cpu_model)
    end
    local ids = {}
    for _, sc in ipairs(mg.scenarios) do ids[#ids + 1] = sc.id end
    assert.same({ "n1#0/good/repeat", "n1#0/good/checked", "n1#0/good/echo",
      "n2#1/good/repeat", "n2#1/good/checked", "n2#1/good/echo" }, ids)
    local md = helper.read(out .. "/suite.md")
    assert.truthy(md:find("| scenario | n1#0 median (ms) | n2#1 median (ms) | n2#1 / n1#0 |", 1, true))
  end)
end)
