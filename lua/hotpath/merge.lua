-- `hotpath merge`: joins what several copies measured (doc/scale-out.md).
--
-- Load results (hotpath load --export-json, one file per copy): requests, errors, bytes and
-- status counts are summed; the latency and service histograms are merged bucket by bucket in
-- the core (http.merge_histograms), so the percentiles are exactly those of one histogram fed
-- every sample; phases are merged phase by phase; the RPS is taken over the common window, from
-- the first copy's start to the last copy's end (never more than the server saw); every source
-- is named (file, host, rank, start, end), and the skew of the starts is reported. Results of
-- different URLs, modes or phase lists, or histograms of another layout, are refused.
--
-- Run results (hotpath run --export-json from several machines): one document with a section per
-- source (its machine info, options, warnings and scenarios kept), whose scenarios are the
-- sources' scenarios with the source's label before their id, so that every export and
-- `hotpath compare` read it; report/merged.lua shows the sources side by side.
local type, ipairs, pairs, tostring, format, sort, max, min =
  type, ipairs, pairs, tostring, string.format, table.sort, math.max, math.min

local M = {}

local function basename(p) return (tostring(p):match("([^/]+)$")) or tostring(p) end

-- kind(doc) -> "load" | "run" | nil
function M.kind(doc)
  if type(doc) ~= "table" then return nil end
  if type(doc.scenarios) == "table" then return "run" end
  if type(doc.url) == "string" and type(doc.latency) == "table" and type(doc.requests) == "number" then return "load" end
  return nil
end

-- read(path) -> decoded document | nil, message
function M.read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, "cannot read " .. path .. ": " .. tostring(err):gsub("^[^:]*: ", "") end
  local text = f:read("*a")
  f:close()
  local ok, doc = pcall(require("hotpath.json").decode, text)
  if not ok then return nil, format("%s: not a JSON document: %s", path, tostring(doc)) end
  if not M.kind(doc) then return nil, path .. ": neither a load result (hotpath load --export-json) nor a run result (hotpath run --export-json)" end
  return doc
end

-- The source entries of a document: its own sources when it was merged already (merging merged
-- results again keeps every copy named), else one for the document itself.
local function load_sources(doc, file)
  if type(doc.sources) == "table" and #doc.sources > 0 then return doc.sources end
  local first = doc.end_time and doc.duration and doc.end_time - doc.duration or doc.start_time
  return { {
    file = basename(file), host = doc.host or doc.hostname, node = doc.node, rank = doc.rank, count = doc.count,
    launcher = doc.launcher, start_time = first, end_time = doc.end_time, start_at = doc.start_at,
    start_late = doc.start_late, requests = doc.requests, rps = doc.rps, connections = doc.connections,
    rate = doc.rate, errors = type(doc.errors) == "table" and doc.errors.total or nil,
  } }
end

local function add(a, b) return (a or 0) + (b or 0) end

-- Sums every numeric field of the tables in list (status counts, error classes, cpu).
local function sum_fields(list)
  local out
  for _, t in ipairs(list) do
    if type(t) == "table" then
      out = out or {}
      for k, v in pairs(t) do
        if type(v) == "number" then out[k] = add(out[k], v) end
      end
    end
  end
  return out
end

-- The merged latency table of field k ("latency", "service") of the tables in list, or nil,
-- message (naming the file of a histogram that does not fit).
local function merge_latency(list, k, names, what)
  local hists = {}
  for i, t in ipairs(list) do
    local h = type(t[k]) == "table" and t[k].histogram
    if type(h) ~= "table" then
      return nil, format("%s: %s has no %s histogram (written by a hotpath without histograms?): it cannot be merged exactly",
        names[i], what, k)
    end
    hists[i] = h
  end
  local lat, err, _, pos = require("hotpath.http").merge_histograms(hists)
  if not lat then return nil, format("%s: %s %s histogram: %s", names[pos or 1], what, k, err) end
  return lat
end

-- The phases of the load results docs merged phase by phase, or nil, message.
local function merge_phases(docs, names)
  local n = #(docs[1].phases or {})
  local out = {}
  for i = 1, n do
    local ps = {}
    for j, d in ipairs(docs) do ps[j] = d.phases[i] end
    local p = { rate = 0, duration = 0, sent = 0, requests = 0, errors = 0, bytes = 0, backlog_max = 0, late = 0, rps = 0 }
    for _, x in ipairs(ps) do
      p.rate = add(p.rate, x.rate)
      p.duration = max(p.duration, x.duration or 0)
      for _, k in ipairs { "sent", "requests", "errors", "bytes", "late" } do p[k] = add(p[k], x[k]) end
      p.backlog_max = max(p.backlog_max, x.backlog_max or 0)
      p.rps = add(p.rps, x.rps) -- the copies ran the phase side by side: their rates add up
    end
    local e
    p.latency, e = merge_latency(ps, "latency", names, format("phase %d", i))
    if not p.latency then return nil, e end
    p.service, e = merge_latency(ps, "service", names, format("phase %d", i))
    if not p.service then return nil, e end
    out[i] = p
  end
  return out
end

-- loads(docs, names) -> the merged load result | nil, message
-- docs: load results (decoded JSON), names: their file names for messages and sources.
function M.loads(docs, names)
  local first = docs[1]
  for i, d in ipairs(docs) do
    if d.url ~= first.url then
      return nil, format("mixed URLs: %s measured %s, %s measured %s", names[1], tostring(first.url), names[i], tostring(d.url))
    end
    if d.mode ~= first.mode then
      return nil, format("mixed modes: %s ran %s, %s ran %s", names[1], tostring(first.mode), names[i], tostring(d.mode))
    end
    local n1, ni = #(first.phases or {}), #(d.phases or {})
    if n1 ~= ni then
      return nil, format("mixed phase lists: %s has %d phase%s, %s has %d", names[1], n1, n1 == 1 and "" or "s", names[i], ni)
    end
  end
  local r = { url = first.url, mode = first.mode, pipeline = first.pipeline, threads = 0, connections = 0 }
  local sources = {}
  for i, d in ipairs(docs) do
    r.threads = add(r.threads, d.threads)
    r.connections = add(r.connections, d.connections)
    if d.rate then r.rate = add(r.rate, d.rate) end
    for _, k in ipairs { "requests", "sent", "bytes", "late", "connects" } do r[k] = add(r[k], d[k]) end
    r.backlog_max = max(r.backlog_max or 0, d.backlog_max or 0)
    for _, s in ipairs(load_sources(d, names[i])) do sources[#sources + 1] = s end
    if d.first_error and not r.first_error then r.first_error = names[i] .. ": " .. d.first_error end
  end
  local e
  r.latency, e = merge_latency(docs, "latency", names, "the run's")
  if not r.latency then return nil, e end
  r.service, e = merge_latency(docs, "service", names, "the run's")
  if not r.service then return nil, e end
  r.phases, e = merge_phases(docs, names)
  if not r.phases then return nil, e end
  local errs, status, cpu = {}, {}, {}
  for i, d in ipairs(docs) do errs[i], status[i], cpu[i] = d.errors, d.status, d.cpu end
  r.errors = sum_fields(errs) or { total = 0 }
  r.status = sum_fields(status) or {}
  r.cpu = sum_fields(cpu) or { user = 0, sys = 0, total = 0 }
  r.cpu.us_per_request = r.requests > 0 and (r.cpu.total or 0) / r.requests * 1e6 or 0
  -- the window: from the first start to the last end of the measured (reported) phases
  local s0, e1, s1, e0
  for _, s in ipairs(sources) do
    if s.start_time and s.end_time then
      s0, s1 = min(s0 or s.start_time, s.start_time), max(s1 or s.start_time, s.start_time)
      e0, e1 = min(e0 or s.end_time, s.end_time), max(e1 or s.end_time, s.end_time)
    end
  end
  if not s0 then return nil, names[1] .. ": no start and end times: the common window is unknown" end
  r.window = { start_time = s0, end_time = e1, seconds = e1 - s0, overlap = max(0, e0 - s1) }
  r.start_time, r.end_time, r.duration, r.wall = s0, e1, e1 - s0, e1 - s0
  r.rps = r.duration > 0 and r.requests / r.duration or 0
  r.bytes_per_sec = r.duration > 0 and r.bytes / r.duration or 0
  r.skew = s1 - s0
  sort(sources, function(a, b)
    if (a.rank or -1) ~= (b.rank or -1) then return (a.rank or -1) < (b.rank or -1) end
    return tostring(a.file) < tostring(b.file)
  end)
  r.sources = sources
  local hosts, seen = {}, {}
  for _, s in ipairs(sources) do
    local h = tostring(s.node or s.host)
    if not seen[h] then seen[h] = true; hosts[#hosts + 1] = h end
  end
  sort(hosts)
  r.hosts = hosts
  r.count = #sources
  r.merged = "load"
  -- the copies' options (each its share) stay with the copies' own files; what was asked in
  -- total, when the copies split it, is the same in every copy
  r.totals = first.totals
  return r
end

-- The label of a run document's source: host#rank, or the file name without a rank.
local function run_label(doc, file)
  if doc.rank then return format("%s#%d", tostring(doc.node or doc.host or "?"), doc.rank) end
  return basename(file):gsub("%.json$", "")
end

-- runs(docs, names) -> the merged run document | nil, message
function M.runs(docs, names)
  local json = require "hotpath.report.json"
  local sources, scenarios, errors, warnings, labels = {}, {}, {}, {}, {}
  local ok = true
  for i, d in ipairs(docs) do
    local list = (type(d.sources) == "table" and #d.sources > 0) and d.sources or { d }
    for _, src in ipairs(list) do
      local label = src.label or run_label(src, names[i])
      if labels[label] then
        return nil, format("two sources are both %s (%s and %s): give each copy its own rank", label, labels[label], names[i])
      end
      labels[label] = names[i]
      local s = {
        label = label, file = src.file or basename(names[i]), host = src.host, node = src.node, rank = src.rank,
        count = src.count, launcher = src.launcher, machine = src.machine, options = src.options, ok = src.ok,
        errors = json.array(src.errors or {}), warnings = json.array(src.warnings or {}), noise = src.noise,
        summary = json.array(src.summary or {}), scans = src.scans, hotpath = src.hotpath,
        scenarios = json.array(src.scenarios or {}),
      }
      sources[#sources + 1] = s
      if s.ok == false then ok = false end
      for _, sc in ipairs(s.scenarios) do
        local c = {}
        for k, v in pairs(sc) do c[k] = v end
        c.id = label .. "/" .. tostring(sc.id)
        c.source = label
        scenarios[#scenarios + 1] = c
      end
      for _, e in ipairs(s.errors) do errors[#errors + 1] = e end
      for _, w in ipairs(s.warnings) do
        warnings[#warnings + 1] = type(w) == "table" and w or (label .. ": " .. tostring(w))
      end
    end
  end
  return {
    hotpath = docs[1].hotpath, merged = "run", machine = sources[1].machine, ok = ok,
    sources = json.array(sources), scenarios = json.array(scenarios), errors = json.array(errors),
    warnings = json.array(warnings), summary = json.array({}),
  }
end

-- files(paths) -> kind, merged document | nil, message
function M.files(paths)
  if #paths == 0 then return nil, "merge needs at least one result file" end
  local docs, kinds = {}, {}
  for i, p in ipairs(paths) do
    local d, err = M.read(p)
    if not d then return nil, err end
    docs[i], kinds[i] = d, M.kind(d)
    if kinds[i] ~= kinds[1] then
      return nil, format("%s is a %s result, %s a %s result: merge one kind at a time", paths[1], kinds[1], p, kinds[i])
    end
  end
  local merged, err
  if kinds[1] == "load" then merged, err = M.loads(docs, paths) else merged, err = M.runs(docs, paths) end
  if not merged then return nil, err end
  return kinds[1], merged
end

return M
