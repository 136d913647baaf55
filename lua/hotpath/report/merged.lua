-- Exports of a merged run document (merge.runs: a section per source, each with its machine):
-- the scenarios side by side (one column per source: the median run time, and its ratio to
-- the first source), then each source's own table. CSV: the run CSV of every scenario with the
-- source's label, host and rank in front. The JSON export is the document itself.
local ipairs, type, format, concat, tostring = ipairs, type, string.format, table.concat, tostring
local csv = require "hotpath.report.csv"
local md = require "hotpath.report.markdown"

local M = {}

-- The side-by-side grid: ids in first-seen order (the source's label taken off), and for each
-- source the scenario by id.
function M.grid(doc)
  local ids, seen, by = {}, {}, {}
  for i, s in ipairs(doc.sources or {}) do
    by[i] = {}
    for _, sc in ipairs(s.scenarios or {}) do
      local id = tostring(sc.id)
      by[i][id] = sc
      if not seen[id] then seen[id] = true; ids[#ids + 1] = id end
    end
  end
  return ids, by
end

local function median(sc)
  local t = sc and sc.summary and sc.summary.run_s
  return t and t.median
end

local function source_title(s)
  local m = s.machine or {}
  return format("%s: %s (%s cores), %s%s", tostring(s.label), tostring(m.cpu_model), tostring(m.cores),
    tostring(m.runtime), s.file and (", " .. s.file) or "")
end

-- The side-by-side table as rows: { id, median of source 1 (ms), median 2, ratio 2/1, ... }.
local function side_rows(doc)
  local ids, by = M.grid(doc)
  local head, rows = { "scenario" }, {}
  for i, s in ipairs(doc.sources or {}) do
    head[#head + 1] = s.label .. " median (ms)"
    if i > 1 then head[#head + 1] = s.label .. " / " .. doc.sources[1].label end
  end
  for _, id in ipairs(ids) do
    local row = { id }
    local base = median(by[1][id])
    for i = 1, #doc.sources do
      local v = median(by[i][id])
      row[#row + 1] = { v and md.ms(v) or "-", value = v }
      if i > 1 then
        local ratio = v and base and base > 0 and v / base or nil
        row[#row + 1] = { ratio and format("%.2fx", ratio) or "-", value = ratio }
      end
    end
    rows[#rows + 1] = row
  end
  return head, rows
end

local function texts(rows)
  local out = {}
  for i, r in ipairs(rows) do
    out[i] = {}
    for j, c in ipairs(r) do out[i][j] = type(c) == "table" and c[1] or c end
  end
  return out
end

function M.markdown(doc)
  local head, rows = side_rows(doc)
  local align = {}
  for i = 2, #head do align[i] = "r" end
  local out = { format("hotpath: %d sources merged", #(doc.sources or {})), "", md.table(head, texts(rows), align), "" }
  for _, s in ipairs(doc.sources or {}) do
    out[#out + 1] = "## " .. source_title(s)
    out[#out + 1] = ""
    out[#out + 1] = md.run(s)
  end
  return concat(out, "\n")
end

function M.csv(doc)
  -- one CSV over the merged scenarios (ids already carry the source's label), so that the
  -- metric columns are the union of every source's
  local by = {}
  for _, s in ipairs(doc.sources or {}) do by[s.label] = s end
  local rows = csv.parse(csv.run { scenarios = doc.scenarios or {} })
  local out = {}
  for j, r in ipairs(rows) do
    local s = j > 1 and by[(doc.scenarios[j - 1] or {}).source] or {}
    local cells = j == 1 and { "source", "host", "rank" } or { s.label or "", s.node or s.host or "", s.rank or "" }
    for _, c in ipairs(r) do cells[#cells + 1] = c end
    for k, c in ipairs(cells) do cells[k] = csv.field(c) end
    out[#out + 1] = concat(cells, ",")
  end
  return concat(out, "\n") .. "\n"
end

function M.html(doc)
  local html = require "hotpath.report.html"
  local esc = html.esc
  local pg = html.page("hotpath report (merged)", format("%d sources side by side", #(doc.sources or {})))
  local machines = {}
  for _, s in ipairs(doc.sources or {}) do
    machines[#machines + 1] = format('<div data-source="%s"><h3>%s</h3>%s</div>', esc(s.label), esc(s.label .. (s.file and (" (" .. s.file .. ")") or "")),
      html.machine(s.machine))
  end
  pg:add('<section id="sources"><h2>Sources</h2><div class="charts">' .. concat(machines) .. "</div></section>")
  local head, rows = side_rows(doc)
  local h = { head[1] }
  for i = 2, #head do h[i] = { head[i], num = true } end
  pg:add('<section id="side-by-side"><h2>Side by side</h2>' .. html.table(h, rows, 'class="merged"') .. "</section>")
  for _, s in ipairs(doc.sources or {}) do
    pg:add(format('<section class="source" data-source="%s"><h2>%s</h2>', esc(s.label), esc(source_title(s))))
    local order, by = html.suites_of(s.scenarios)
    for _, suite in ipairs(order) do html.suite_section(pg, suite, by[suite]) end
    pg:add("</section>")
  end
  return pg:render()
end

-- The terminal: the side-by-side table.
function M.terminal(doc)
  local head, rows = side_rows(doc)
  local align = {}
  for i = 2, #head do align[i] = "r" end
  return md.table(head, texts(rows), align)
end

return M
