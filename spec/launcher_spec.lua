-- hotpath.launcher: the copy's rank, count and host from each launcher's variables, {rank} and
-- {host} in export paths, the split of a load's totals, the agreed start time; and hotpath load
-- under a (simulated) launcher.
local helper = require "helper"
local launcher = require "hotpath.launcher"
local http = require "hotpath.http"
local json = require "hotpath.json"

local host = require("hotpath.machine").hostname()

local function env(t) return function(k) return t[k] end end

describe("hotpath.launcher", function()
  it("reads the copy's rank and count from each launcher's variables", function()
    local cases = {
      { {}, { rank = 0, count = 1, index = 0 } },
      { { SLURM_ARRAY_TASK_ID = "3", SLURM_ARRAY_TASK_COUNT = "4", SLURM_ARRAY_TASK_MIN = "1", SLURM_PROCID = "0",
          SLURM_NTASKS = "1", SLURMD_NODENAME = "n3", SLURM_ARRAY_JOB_ID = "41", SLURM_JOB_ID = "44" },
        { launcher = "slurm-array", rank = 3, count = 4, index = 2, node = "n3", job = "41", job_id = "44" } },
      { { SLURM_PROCID = "1", SLURM_NTASKS = "2", SLURMD_NODENAME = "n2", SLURM_JOB_ID = "7", SLURM_STEP_ID = "0" },
        { launcher = "slurm", rank = 1, count = 2, index = 1, node = "n2", job = "7", job_id = "7", step = "0" } },
      { { JOB_COMPLETION_INDEX = "5", OMPI_COMM_WORLD_RANK = "1" }, { launcher = "kubernetes", rank = 5, index = 5 } },
      { { JOB_COMPLETION_INDEX = "5", HOTPATH_COUNT = "8" }, { launcher = "kubernetes", rank = 5, count = 8, index = 5 } },
      { { OMPI_COMM_WORLD_RANK = "2", OMPI_COMM_WORLD_SIZE = "3" }, { launcher = "mpi", rank = 2, count = 3, index = 2 } },
    }
    for _, c in ipairs(cases) do
      local want = c[2]
      want.host = host
      assert.same(want, launcher.info(env(c[1])))
    end
  end)

  it("refuses variables that are not indexes or counts", function()
    local cases = {
      { { SLURM_PROCID = "x" }, "SLURM_PROCID is 'x', not a copy's index" },
      { { SLURM_PROCID = "-1" }, "SLURM_PROCID is '-1', not a copy's index" },
      { { OMPI_COMM_WORLD_RANK = "1.5" }, "OMPI_COMM_WORLD_RANK is '1.5', not a copy's index" },
      { { SLURM_PROCID = "0", SLURM_NTASKS = "0" }, "SLURM_NTASKS is '0', not a count of copies" },
      { { JOB_COMPLETION_INDEX = "0", HOTPATH_COUNT = "many" }, "HOTPATH_COUNT is 'many', not a count of copies" },
      { { SLURM_PROCID = "4", SLURM_NTASKS = "4" }, "SLURM_PROCID is 4, but there are 4 copies" },
    }
    for _, c in ipairs(cases) do
      local info, err = launcher.info(env(c[1]))
      assert.is_nil(info)
      assert.equals(c[2], err)
    end
  end)

  it("expands {rank} and {host} in paths and leaves other braces alone", function()
    local info = { rank = 12, host = "n7" }
    assert.equals("out/load.12.json", launcher.expand("out/load.{rank}.json", info))
    assert.equals("n7/12-{x}.json", launcher.expand("{host}/{rank}-{x}.json", info))
    assert.equals("plain.json", launcher.expand("plain.json", info))
    -- from each launcher's own variables
    local cases = {
      { { SLURM_ARRAY_TASK_ID = "6", SLURM_ARRAY_TASK_COUNT = "8" }, "out/suite.6.json" },
      { { SLURM_PROCID = "3", SLURM_NTASKS = "4" }, "out/suite.3.json" },
      { { JOB_COMPLETION_INDEX = "9" }, "out/suite.9.json" },
      { { OMPI_COMM_WORLD_RANK = "2", OMPI_COMM_WORLD_SIZE = "4" }, "out/suite.2.json" },
      { {}, "out/suite.0.json" },
    }
    for _, c in ipairs(cases) do
      assert.equals(c[2], launcher.expand("out/suite.{rank}.json", assert(launcher.info(env(c[1])))))
      assert.equals("out/" .. host .. ".json", launcher.expand("out/{host}.json", assert(launcher.info(env(c[1])))))
    end
  end)

  it("splits the totals so that the shares add up", function()
    local totals = { connections = 10, requests = 7, rate = 3000, threads = 4, duration = 5 }
    local sum = { connections = 0, requests = 0, rate = 0 }
    local got = {}
    for i = 0, 3 do
      local o = assert(launcher.split(totals, { count = 4, index = i }))
      got[#got + 1] = { o.connections, o.requests, o.rate, o.threads, o.duration }
      for k in pairs(sum) do sum[k] = sum[k] + o[k] end
    end
    assert.same({ { 3, 2, 750, 3, 5 }, { 3, 2, 750, 3, 5 }, { 2, 2, 750, 2, 5 }, { 2, 1, 750, 2, 5 } }, got)
    assert.same({ connections = 10, requests = 7, rate = 3000 }, sum)
    local p = assert(launcher.split({ phases = { { rate = 1000, seconds = 10 }, { rate = 0, seconds = 5 } } }, { count = 4, index = 1 }))
    assert.same({ { rate = 250, seconds = 10 }, { rate = 0, seconds = 5 } }, p.phases)
    assert.same({ connections = 5 }, launcher.split({ connections = 5 }, { count = 1, index = 0 }))
    local cases = {
      { { connections = 3 }, { count = 4, index = 0 }, "--connections 3 cannot be split between 4 copies (each needs at least one)" },
      { { requests = 1 }, { count = 2, index = 0 }, "--requests 1 cannot be split between 2 copies (each needs at least one)" },
      { { connections = 3 }, { launcher = "kubernetes", index = 0 },
        "cannot split the load: the number of copies is unknown (kubernetes launches give none: set HOTPATH_COUNT)" },
    }
    for _, c in ipairs(cases) do
      local o, err = launcher.split(c[1], c[2])
      assert.is_nil(o)
      assert.equals(c[3], err)
    end
  end)

  it("reads start times: epoch seconds, UTC, +T from now", function()
    local now = 1796290000.5
    local cases = {
      { "1796292000", 1796292000 }, { "1796292000.25", 1796292000.25 },
      { "2026-12-03T10:00:00Z", 1796292000 }, { "2026-12-03T10:00:00.5Z", 1796292000.5 },
      { "2000-02-29T23:59:59", 951868799 }, { "1970-01-01T00:00:00Z", 0 },
      { "+5s", now + 5 }, { "+250ms", now + 0.25 }, { "+0", now },
    }
    for _, c in ipairs(cases) do assert.equals(c[2], launcher.parse_start_at(c[1], now), c[1]) end
    for _, bad in ipairs { "soon", "2026-13-03T10:00:00Z", "+", "+-5s", "-5", "" } do
      local t, err = launcher.parse_start_at(bad, now)
      assert.is_nil(t)
      assert.equals("--start-at must be seconds since the epoch, a UTC time like 2026-12-03T10:00:00Z or +T from now (+5s), got '" ..
        bad .. "'", err)
    end
  end)

  it("agrees on a start from the Slurm step's start time", function()
    local seen
    local function scontrol(out)
      return function(argv, e) seen = { argv, e } return out end
    end
    local info = { launcher = "slurm", count = 2, job_id = "7", step = "0" }
    assert.equals(1796292000 + launcher.START_MARGIN,
      launcher.start_at(info, scontrol("StepId=7.0 UserId=0 StartTime=2026-12-03T10:00:00 TimeLimit=UNLIMITED\n")))
    assert.same({ { "scontrol", "-o", "show", "step", "7.0" }, { TZ = "UTC0" } }, seen)
    assert.same({ nil, "cannot read the start time of step 7.0 from scontrol" }, { launcher.start_at(info, scontrol(nil)) })
    for _, other in ipairs {
      { launcher = "slurm-array", count = 2, job_id = "7", step = "0" },
      { launcher = "slurm", count = 1, job_id = "7", step = "0" },
      { launcher = "slurm", count = 2, job_id = "7" },
      { rank = 0, count = 1 },
    } do
      assert.same({ nil, "not a Slurm step of several copies" }, { launcher.start_at(other, scontrol("StartTime=2026-12-03T10:00:00")) })
    end
  end)
end)

describe("hotpath load under a launcher", function()
  local server, dir
  setup(function()
    server = assert(http.start { test = "plaintext", duration = 30 })
    dir = helper.tmpdir()
  end)
  teardown(function()
    server:stop()
    helper.rmdir(dir)
  end)

  it("runs its share, writes to its own file and says which copy it was", function()
    local start = string.format("%.3f", require("hotpath.util").core.wallclock() + 0.2)
    local r = helper.cli({ "load", server.url, "-c", "5", "-R", "300", "-d", "0.3", "--start-at", start,
      "--export-json", dir .. "/load.{rank}.{host}.json" },
      { env = { OMPI_COMM_WORLD_RANK = "1", OMPI_COMM_WORLD_SIZE = "2" } })
    assert.equals(0, r.exit_code, r.stderr)
    assert.truthy(r.stdout:find("  Copy 1 of 2 on " .. host .. " (mpi), its share of the totals\n", 1, true))
    local d = json.decode(helper.read(dir .. "/load.1." .. host .. ".json"))
    assert.same({ "mpi", 1, 2, host, true, 2, 150 }, { d.launcher, d.rank, d.count, d.host, d.split, d.connections, d.rate })
    assert.same({ connections = 5, rate = 300 }, d.totals)
    assert.equals(tonumber(start), d.start_at)
    assert.equals(d.start_time - d.start_at, d.start_late)
    assert.is_true(d.start_late >= 0)
    -- --no-split: the figures are this copy's own
    r = helper.cli({ "load", server.url, "-c", "3", "-n", "20", "--no-split", "--export-json", dir .. "/own.{rank}.json" },
      { env = { OMPI_COMM_WORLD_RANK = "0", OMPI_COMM_WORLD_SIZE = "2" } })
    assert.equals(0, r.exit_code, r.stderr)
    d = json.decode(helper.read(dir .. "/own.0.json"))
    assert.same({ false, 3, 20 }, { d.split, d.connections, d.requests })
  end)

  it("hotpath run names its export by the rank and says which copy it was", function()
    local r = helper.cli({ "run", helper.root .. "/spec/fixtures/scenarios/good.lua", "--filter", "checked", "--runs", "1",
      "--warmup", "0", "--export-json", dir .. "/suite.{rank}.json" }, { env = { SLURM_PROCID = "1", SLURM_NTASKS = "2" } })
    assert.equals(0, r.exit_code, r.stderr)
    local d = json.decode(helper.read(dir .. "/suite.1.json"))
    assert.same({ "slurm", 1, 2, host }, { d.launcher, d.rank, d.count, d.host })
    r = helper.cli({ "run", helper.root .. "/spec/fixtures/scenarios/good.lua", "--filter", "checked", "--runs", "1" },
      { env = { SLURM_PROCID = "x" } })
    assert.equals(2, r.exit_code)
    assert.equals("hotpath: SLURM_PROCID is 'x', not a copy's index\nsee 'hotpath run --help'\n", r.stderr)
  end)

  it("refuses a split it cannot make and a start time it cannot read", function()
    local cases = {
      { { "-c", "1" }, { OMPI_COMM_WORLD_RANK = "0", OMPI_COMM_WORLD_SIZE = "2" },
        "hotpath: --connections 1 cannot be split between 2 copies (each needs at least one)\n" },
      { { "--split" }, { JOB_COMPLETION_INDEX = "0" },
        "hotpath: cannot split the load: the number of copies is unknown (kubernetes launches give none: set HOTPATH_COUNT)\n" },
      { { "--split", "--no-split" }, {}, "hotpath: --split and --no-split exclude each other\n" },
      { { "--start-at", "noon" }, {},
        "hotpath: --start-at must be seconds since the epoch, a UTC time like 2026-12-03T10:00:00Z or +T from now (+5s), got 'noon'\n" },
      { { "-c", "2" }, { SLURM_PROCID = "zero" }, "hotpath: SLURM_PROCID is 'zero', not a copy's index\n" },
    }
    for _, c in ipairs(cases) do
      local args = { "load", server.url, "-d", "0.1" }
      for _, a in ipairs(c[1]) do args[#args + 1] = a end
      local r = helper.cli(args, { env = c[2] })
      assert.equals(2, r.exit_code)
      assert.equals(c[3], r.stderr)
    end
    -- a start time too far ahead: the core's limit, before any wait
    local r = helper.cli { "load", server.url, "-d", "0.1", "--start-at", "+2d" }
    assert.equals(2, r.exit_code)
    r = helper.cli { "load", server.url, "-d", "0.1", "--start-at", "+100000s" }
    assert.equals(1, r.exit_code)
    assert.truthy(r.stderr:find("^hotpath: start_at: start time is 100000 s ahead %(at most 86400%)\n$"), r.stderr)
  end)
end)
