-- The hotpath command line (bin/hotpath). main(arg) returns the exit status:
-- 0 all good, 1 a scenario failed, 2 a usage error.
local format, concat, ipairs = string.format, table.concat, ipairs
local stderr, stdout = io.stderr, io.stdout

local cli = {}

local USAGE = [[
usage: hotpath <command> [options]

commands:
  run [FILES|DIRS]    run scenarios (default: hotpath's own suites) and print the summary
                      table
  list [FILES|DIRS]   list the scenarios the files define (default: hotpath's own suites,
                      and where they are)
  compare OLD NEW     compare two results (JSON exports or saved baselines); exit 1 on a
                      significant slowdown (hotpath compare --help)
  load URL            HTTP load generator (hotpath load --help)
  merge FILES...      join the results of several copies (load or run JSON exports) into one
                      (hotpath merge --help)
  serve --test T      reference HTTP server (hotpath serve --help)

options:
  -h, --help          this text (hotpath run --help: the options of run)
  -V, --version       hotpath's version, runtime and build
]]

local RUN_USAGE = [[
usage: hotpath run [FILES|DIRS] [options]
       hotpath run --command 'CMD' [--command 'CMD2' ...] [options]

Without FILES or DIRS: hotpath's own suites, from any folder (bench/ of the source tree, or the
copy a rock or `make install` installs; `hotpath list` shows where they are).

Runs each scenario's warm-up and counted runs, each in a fresh process of this interpreter
(lua5.4 by default; start hotpath with luajit to measure LuaJIT), verifies every output, and
prints best, median +- spread (MAD), wall, CPU and peak RSS, and ratios to reference figures.
Scenarios of one suite run interleaved (A B A B ...). Warnings say when the machine was busy
or the runs disagree (other processes' CPU, steal, swap, governor, spread, outliers).

options:
  --filter PATTERN    only scenarios whose "suite/name" matches the Lua pattern (may be given
                      more than once: any match runs)
  --quick             the scenarios' quick sizes
  --runs N            counted runs per scenario (default 5, or the scenario's own)
  --warmup N          warm-up runs per scenario (default 1, or the scenario's own)
  --command CMD       measure a command instead of scenario files (repeatable; words split as
                      a shell splits them, quotes and backslashes, but no shell runs); the
                      others are compared with the first
  --shell             run each --command with /bin/sh -c (pipes, globs, variables)
  --param K=V1,V2,..  run each scenario that has parameter K once per value (a scan; for
                      --command, {K} in the command is replaced); repeatable; the report fits
                      time and memory against K (power-law exponent, complexity class)
  --export-json FILE  also write every run's raw figures, the warnings and the machine info to
                      FILE (--json is the same); in every export path {rank} and {host} become
                      the copy's index under a launcher (sbatch --array, srun) and the host
                      name (hotpath merge joins the copies' files)
  --export-csv FILE   the scenarios' figures as CSV (the numbers exactly as in the JSON)
  --export-markdown FILE
                      the scenarios (and the comparison, the scans) as Markdown tables
  --export-html FILE  a self-contained HTML report with SVG charts (gnuplot)
  --save NAME         store the results as baseline NAME (.hotpath/baselines/NAME.json; a
                      NAME with a / or ending in .json is a path)
  --baseline NAME     compare with baseline NAME: change of time and peak memory (rps, p99
                      for load scenarios) with a 95 % bootstrap interval
  --fail-if-slower P  the threshold of --baseline (default 5%): exit 1 when a scenario is
                      slower (or larger) by more than P and the interval excludes no change
  -h, --help          this text

The exit status is 1 when a scenario fails (a run that raises, a failed verification, a
timeout, a command that exits non-zero, a file that does not load) or, with --baseline,
regressed; 2 for a usage error (or a baseline that cannot be read).
]]

local COMPARE_USAGE = [[
usage: hotpath compare OLD NEW [options]

Compares two results (files written by --export-json or --save, or baseline names) scenario by
scenario: the change of the median run time and peak memory (rps and p99 for load scenarios),
new / old, with a 95 % bootstrap confidence interval from the runs (fixed seed: the same files
give the same interval). A scenario regresses when it is worse by more than the threshold and
the interval lies entirely on the worse side. Another machine or runtime draws a warning.

options:
  --fail-if-slower P  the threshold (default 5%)
  --export-json FILE  the comparison as JSON
  --export-csv FILE   the comparison as CSV (one row per scenario and measure)
  --export-markdown FILE
                      the comparison as a Markdown table
  --export-html FILE  the comparison as a self-contained HTML report
  -h, --help          this text

The exit status is 1 when a scenario regressed, 0 otherwise, 2 for a usage error or a file
that cannot be read.
]]

local MERGE_USAGE = [[
usage: hotpath merge FILES... [options]

Joins the JSON results of several copies (doc/scale-out.md), e.g. of `srun -n 4 hotpath load
... --export-json out/load.{rank}.json` or of an `sbatch --array` of `hotpath run`.

Load results: requests, errors, bytes and status counts are summed, the latency histograms
merged bucket by bucket (the percentiles are exactly those of one histogram fed every
sample), phases phase by phase; the RPS is taken over the common window (first start to last
end); every source is named (file, host, rank, start, end) and the start skew reported.
Results of different URLs, modes or phases, or with histograms of another layout, are refused.

Run results: one result with a section per source (its machine kept); the exports show the
sources side by side.

options:
  --export-json FILE  the merged result as JSON (--json is the same)
  --export-csv FILE   as CSV
  --export-markdown FILE
                      as Markdown tables
  --export-html FILE  as a self-contained HTML report
  -h, --help          this text

The exit status is 1 when the files cannot be read or merged, 2 for a usage error.
]]

local LIST_USAGE = [[
usage: hotpath list [FILES|DIRS]

Lists the scenarios of the files as "suite/name", with their kind. Without FILES or DIRS:
hotpath's own suites, after a first line that says where they are ("suites: DIR (installed)"
or "(source)").
]]

local function fail_usage(msg, cmd)
  stderr:write("hotpath: ", msg, "\n", "see 'hotpath ", cmd and (cmd .. " ") or "", "--help'\n")
  return 2
end

-- Parses argv against a spec { flag = "value"|"number"|"bool"|"list" } ("list": a value that
-- may be given more than once, collected in order; "flag#key" names the option's key in opts,
-- so that an alias shares it). Returns opts, positionals or nil, message.
function cli.parse(argv, spec, first)
  local opts, pos = {}, {}
  local i = first or 1
  while i <= #argv do
    local a = argv[i]
    if a == "--" then
      for j = i + 1, #argv do pos[#pos + 1] = argv[j] end
      break
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      local name, inline = a:match("^(%-%-?[^=]+)=(.*)$")
      name = name or a
      local kind = spec[name]
      if not kind then return nil, format("unknown option '%s'", name) end
      local key = spec[name .. "#key"] or name:gsub("^%-+", "")
      if kind == "bool" then
        if inline then return nil, format("option '%s' takes no value", name) end
        opts[key] = true
      else
        local v = inline
        if not v then
          i = i + 1
          v = argv[i]
        end
        if v == nil then return nil, format("option '%s' needs a value", name) end
        if kind == "number" then
          local n = tonumber(v)
          if not n or n < 0 or n ~= math.floor(n) then
            return nil, format("option '%s' needs a whole number, got '%s'", name, v)
          end
          v = n
        end
        if kind == "list" then
          local l = opts[key] or {}
          l[#l + 1] = v
          v = l
        end
        opts[key] = v
      end
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return opts, pos
end

local RUN_SPEC = {
  ["--filter"] = "list", ["--quick"] = "bool", ["--runs"] = "number", ["--warmup"] = "number",
  ["--export-json"] = "value", ["--json"] = "value", ["--json#key"] = "export-json",
  ["--command"] = "list", ["--shell"] = "bool",
  ["--export-csv"] = "value", ["--export-markdown"] = "value", ["--export-html"] = "value",
  ["--save"] = "value", ["--baseline"] = "value", ["--fail-if-slower"] = "value", ["--param"] = "list",
  ["--help"] = "bool", ["-h"] = "bool", ["-h#key"] = "help",
}

local COMPARE_SPEC = {
  ["--fail-if-slower"] = "value", ["--export-json"] = "value", ["--json"] = "value", ["--json#key"] = "export-json",
  ["--export-csv"] = "value", ["--export-markdown"] = "value", ["--export-html"] = "value",
  ["--help"] = "bool", ["-h"] = "bool", ["-h#key"] = "help",
}

-- The --param options as { key = list of values }, or nil, message.
local function parse_params(list)
  if not list then return nil end
  local scan = require "hotpath.scan"
  local params = {}
  for _, p in ipairs(list) do
    local k, values = scan.parse_param(p)
    if not k then return nil, values end
    if params[k] then return nil, format("--param %s given twice", k) end
    params[k] = values
  end
  return params
end

-- Writes the exports asked for (opts["export-csv"], ...); makers: { csv = fn, markdown = fn,
-- html = fn, json = fn } each returning the text. Returns true, or nil after printing why.
local function write_exports(opts, makers)
  local gate = require "hotpath.gate"
  for _, kind in ipairs { "json", "csv", "markdown", "html" } do
    local path = opts["export-" .. kind]
    if path then
      local made, text = pcall(makers[kind])
      if not made then stderr:write("hotpath: cannot make the ", kind, " report: ", tostring(text), "\n") return nil end
      local ok, err = gate.write(path, text)
      if not ok then stderr:write("hotpath: ", err, "\n") return nil end
      stdout:write(kind == "json" and "raw figures: " or (kind .. " report: "), path, "\n")
    end
  end
  return true
end

-- The paths given, or hotpath's own suites (hotpath.paths): paths, folder, kind ("source" or
-- "installed"); or nil, msg when no path is given and no suites are found.
local function default_paths(pos)
  if #pos > 0 then return pos end
  local dir, kind = require("hotpath.paths").suites()
  if not dir then return nil, kind end
  return { dir }, dir, kind
end

-- A live progress line on a terminal (stderr), never when piped.
local function progress_printer()
  local proc = require "hotpath.proc"
  if not proc.isatty(2) then return nil end
  local fmt = require "hotpath.report.terminal"
  return function(event, e, info)
    if event == "run" then
      local last = info.last and info.last.run_s and (", last " .. fmt.seconds(info.last.run_s)) or ""
      stderr:write(format("\r\27[K%s: %s %d/%d%s", e.id, info.warmup and "warm-up" or "run", info.index, info.total, last))
    else
      stderr:write("\r\27[K")
    end
    stderr:flush()
  end
end

local function cmd_run(argv)
  local opts, pos = cli.parse(argv, RUN_SPEC, 2)
  if not opts then return fail_usage(pos, "run") end
  if opts.help then stdout:write(RUN_USAGE) return 0 end
  if opts.runs and opts.runs < 1 then return fail_usage("option '--runs' must be at least 1", "run") end
  for _, f in ipairs(opts.filter or {}) do
    local ok, err = pcall(string.find, "", f)
    if not ok then return fail_usage(format("bad --filter pattern '%s': %s", f, err), "run") end
  end
  local gate = require "hotpath.gate"
  local threshold = gate.DEFAULT_THRESHOLD
  if opts["fail-if-slower"] then
    local t, terr = gate.parse_threshold(opts["fail-if-slower"])
    if not t then return fail_usage(terr, "run") end
    if not opts.baseline then return fail_usage("--fail-if-slower applies to --baseline", "run") end
    threshold = t
  end
  local params, perr = parse_params(opts.param)
  if perr then return fail_usage(perr, "run") end
  local base
  if opts.baseline then
    local berr
    base, berr = gate.load(gate.path(opts.baseline))
    if not base then stderr:write("hotpath: baseline ", opts.baseline, ": ", berr, "\n") return 2 end
  end
  local entries
  if opts.command then
    if #pos > 0 then return fail_usage("give either --command or scenario files, not both", "run") end
    if opts.filter then return fail_usage("--filter selects scenarios of files; it does not apply to --command", "run") end
    local err
    entries, err = require("hotpath.commands").entries(opts.command, opts.shell, nil, params)
    if not entries then return fail_usage(err, "run") end
    params = nil
  elseif opts.shell then
    return fail_usage("--shell applies to --command", "run")
  end
  -- a copy of a launcher (sbatch --array, srun): {rank} and {host} in the export paths, and
  -- which copy it was in the results (hotpath merge names its sources by them)
  local launcher = require "hotpath.launcher"
  local copy, cerr = launcher.info()
  if not copy then return fail_usage(cerr, "run") end
  for _, k in ipairs { "export-json", "export-csv", "export-markdown", "export-html" } do
    if opts[k] then opts[k] = launcher.expand(opts[k], copy) end
  end
  local runner = require "hotpath.runner"
  local info = require("hotpath.machine").info()
  local paths
  if not entries then
    local perr
    paths, perr = default_paths(pos)
    if not paths then stderr:write("hotpath: ", perr, "\n") return 2 end
  end
  local run = runner.run {
    paths = paths, entries = entries, filter = opts.filter, quick = opts.quick,
    runs = opts.runs, warmup = opts.warmup, progress = progress_printer(), params = params,
  }
  local options = {
    runs = opts.runs or runner.DEFAULT_RUNS, warmup = opts.warmup or runner.DEFAULT_WARMUP,
    quick = opts.quick or false, filter = opts.filter, paths = paths, commands = opts.command,
    shell = opts.shell or nil, params = opts.param,
  }
  stdout:write(require("hotpath.report.terminal").render(run, info, options), "\n")
  local sm = require "hotpath.report.summary"
  run.summary = sm.rows(run)
  local summary = sm.render(run, info, run.summary)
  if summary then stdout:write("\n", summary, "\n") end
  local json = require "hotpath.report.json"
  if opts["export-json"] or opts.save then
    info.toolchains = require("hotpath.peers").versions() -- the peers' compilers, where installed
  end
  local doc = json.document(run, info, options, { host = copy.host, node = copy.node, launcher = copy.launcher,
    rank = copy.launcher and copy.rank, count = copy.launcher and copy.count, job = copy.job })
  if run.scans then stdout:write("\n", require("hotpath.report.terminal").scans(run.scans), "\n") end
  local cmp
  if base then
    cmp = gate.compare(base, doc, { threshold = threshold })
    for _, k in ipairs { "rows", "missing", "added", "warnings" } do json.array(cmp[k]) end
    doc.compare = cmp
    doc.baseline = { name = opts.baseline, machine = base.machine }
    stdout:write("\n", require("hotpath.report.terminal").compare(cmp,
      format("Compared with baseline %s (change of the median, 95 %% bootstrap interval)", opts.baseline)), "\n")
  end
  local exported = write_exports(opts, {
    json = function() return json.encode(doc) .. "\n" end,
    csv = function() return require("hotpath.report.csv").run(doc) end,
    markdown = function()
      local md = require "hotpath.report.markdown"
      return md.run(doc) .. (cmp and ("\n" .. md.compare(cmp)) or "")
    end,
    html = function() return require("hotpath.report.html").run(doc) end,
  })
  if not exported then return 1 end
  if opts.save then
    local path = gate.path(opts.save)
    local ok, err = gate.write(path, json.encode(doc) .. "\n", true)
    if not ok then stderr:write("hotpath: ", err, "\n") return 1 end
    stdout:write("baseline saved: ", path, "\n")
  end
  if #run.results == 0 and #run.errors == 0 then
    stderr:write("hotpath: no scenario matched\n")
    return 1
  end
  return (run.ok and not (cmp and cmp.regressions > 0)) and 0 or 1
end

local function cmd_compare(argv)
  local opts, pos = cli.parse(argv, COMPARE_SPEC, 2)
  if not opts then return fail_usage(pos, "compare") end
  if opts.help then stdout:write(COMPARE_USAGE) return 0 end
  if #pos ~= 2 then return fail_usage("compare needs two results: OLD NEW", "compare") end
  local gate = require "hotpath.gate"
  local threshold = gate.DEFAULT_THRESHOLD
  if opts["fail-if-slower"] then
    local t, terr = gate.parse_threshold(opts["fail-if-slower"])
    if not t then return fail_usage(terr, "compare") end
    threshold = t
  end
  local docs = {}
  for i = 1, 2 do
    local d, err = gate.load(gate.path(pos[i]))
    if not d then stderr:write("hotpath: ", err, "\n") return 2 end
    docs[i] = d
  end
  local cmp = gate.compare(docs[1], docs[2], { threshold = threshold })
  local json = require "hotpath.report.json"
  for _, k in ipairs { "rows", "missing", "added", "warnings" } do json.array(cmp[k]) end
  stdout:write(require("hotpath.report.terminal").compare(cmp,
    format("%s -> %s (change of the median, 95 %% bootstrap interval)", pos[1], pos[2])), "\n")
  local exported = write_exports(opts, {
    json = function()
      return json.encode {
        compare = cmp, old = { file = pos[1], machine = docs[1].machine }, new = { file = pos[2], machine = docs[2].machine },
      } .. "\n"
    end,
    csv = function() return require("hotpath.report.csv").compare(cmp) end,
    markdown = function() return require("hotpath.report.markdown").compare(cmp) end,
    html = function() return require("hotpath.report.html").compare(cmp, docs[1], docs[2], pos) end,
  })
  if not exported then return 1 end
  return cmp.regressions > 0 and 1 or 0
end

local MERGE_SPEC = {
  ["--export-json"] = "value", ["--json"] = "value", ["--json#key"] = "export-json",
  ["--export-csv"] = "value", ["--export-markdown"] = "value", ["--export-html"] = "value",
  ["--help"] = "bool", ["-h"] = "bool", ["-h#key"] = "help",
}

local function cmd_merge(argv)
  local opts, pos = cli.parse(argv, MERGE_SPEC, 2)
  if not opts then return fail_usage(pos, "merge") end
  if opts.help then stdout:write(MERGE_USAGE) return 0 end
  if #pos == 0 then return fail_usage("merge needs the result files to merge", "merge") end
  local kind, doc = require("hotpath.merge").files(pos)
  if not kind then stderr:write("hotpath: merge: ", doc, "\n") return 1 end
  local makers
  if kind == "load" then
    local hcli, lr = require "hotpath.http.cli", require "hotpath.report.load"
    stdout:write(format("Merged %d load results @ %s\n", #doc.sources, doc.url))
    hcli.report(doc)
    makers = {
      json = function() return hcli.to_json(doc) .. "\n" end,
      csv = function() return lr.csv(doc) end, markdown = function() return lr.markdown(doc) end,
      html = function() return lr.html(doc) end,
    }
  else
    local mr, json = require "hotpath.report.merged", require "hotpath.report.json"
    stdout:write(format("Merged %d run results\n\n", #doc.sources), mr.terminal(doc), "\n")
    makers = {
      json = function() return json.encode(doc) .. "\n" end,
      csv = function() return mr.csv(doc) end, markdown = function() return mr.markdown(doc) end,
      html = function() return mr.html(doc) end,
    }
  end
  if not write_exports(opts, makers) then return 1 end
  return 0
end

local function cmd_list(argv)
  local opts, pos = cli.parse(argv, { ["--help"] = "bool", ["-h"] = "bool", ["-h#key"] = "help", ["--filter"] = "list" }, 2)
  if not opts then return fail_usage(pos, "list") end
  if opts.help then stdout:write(LIST_USAGE) return 0 end
  local runner = require "hotpath.runner"
  local paths, dir, kind = default_paths(pos)
  if not paths then stderr:write("hotpath: ", dir, "\n") return 2 end
  if kind then stdout:write(format("suites: %s (%s)\n", dir, kind)) end
  local files, errors = runner.discover(paths)
  local entries, lerr = runner.collect(files, opts.filter)
  for _, e in ipairs(lerr) do errors[#errors + 1] = e end
  for _, e in ipairs(entries) do
    stdout:write(format("%-40s %s\n", e.id, e.scenario.command and "command" or "lua"))
  end
  for _, e in ipairs(errors) do stderr:write("hotpath: ", e.error, "\n") end
  return #errors == 0 and 0 or 1
end

local function version_text()
  local m = require("hotpath.machine").info()
  return format("hotpath %s (%s, %s backend)\nbuild: %s\n", m.hotpath, m.runtime, m.backend, m.build)
end

-- Subcommands that live with their module (HTTP): hotpath.<module>.cli.<name>(args).
local function delegate(module, fn, argv)
  local ok, m = pcall(require, module)
  if not ok then
    stderr:write(format("hotpath: '%s' is not available in this build (%s)\n", argv[1], tostring(m):match("^[^\n]*")))
    return 2
  end
  local args = {}
  for i = 2, #argv do args[#args + 1] = argv[i] end
  return m[fn](args)
end

function cli.main(argv)
  argv = argv or {}
  local cmd = argv[1]
  if cmd == nil or cmd == "-h" or cmd == "--help" or cmd == "help" then
    stdout:write(USAGE)
    return cmd == nil and 2 or 0
  elseif cmd == "-V" or cmd == "--version" then
    stdout:write(version_text())
    return 0
  elseif cmd == "run" then
    return cmd_run(argv)
  elseif cmd == "list" then
    return cmd_list(argv)
  elseif cmd == "compare" then
    return cmd_compare(argv)
  elseif cmd == "merge" then
    return cmd_merge(argv)
  elseif cmd == "load" or cmd == "serve" then
    return delegate("hotpath.http.cli", cmd, argv)
  elseif cmd:sub(1, 1) == "-" then
    return fail_usage(format("unknown option '%s'", cmd))
  end
  return fail_usage(format("unknown command '%s'", cmd))
end

return cli
