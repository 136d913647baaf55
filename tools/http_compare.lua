-- Side-by-side HTTP measurements for doc/http.md, interleaved A B A B on one machine:
--   lua5.4 tools/http_compare.lua [rounds=3] [seconds=5] [sections=1234]
-- 1. wrk vs our generator (-t1 -c64) against the same nginx (1 worker): RPS, CPU/request
--    (user and sys apart).
-- 2. our plaintext server vs nginx (and Go net/http when `go` is installed) under the same
--    load (our generator, -t1 -c64).
-- 3. pipelining 16, -c256: nginx as configured by default vs with tcp_nodelay off
--    (hotpath.http.nginx's pipelined = true), and our server.
-- 4. latency floor: closed loop, 1 connection, vs constant rate 1000/s on 1 connection.
-- Every process is measured by wait4 (hotpath.proc.run); everything talks to 127.0.0.1 only.
local root = debug.getinfo(1, "S").source:match("^@(.*)/tools/http_compare%.lua$") or "."
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. root .. "/build/lua/?.lua;" .. root .. "/?.lua;" .. package.path
package.cpath = root .. "/build/lua54/?.so;" .. package.cpath
local hp = require "hotpath"
local http = hp.http
local nginx = require "hotpath.http.nginx"

local rounds = tonumber(arg[1]) or 3
local secs = tonumber(arg[2]) or 5
local sections = arg[3] or "1234"
local lua = rawget(_G, "jit") and "luajit" or "lua5.4"

local function median(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = v end
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) / 2] or (s[n / 2] + s[n / 2 + 1]) / 2
end
local function spread(t)
  local lo, hi = math.huge, -math.huge
  for _, v in ipairs(t) do lo = math.min(lo, v); hi = math.max(hi, v) end
  return lo, hi
end

local function wrk(url, c)
  local r = assert(hp.proc.run { "wrk", "-t1", "-c" .. c, "-d" .. secs .. "s", "--latency", url, keep_stdout = true, timeout = secs + 30 })
  local rps = tonumber(r.stdout:match("Requests/sec:%s*([%d.]+)"))
  local reqs = tonumber(r.stdout:match("(%d+) requests in"))
  return { rps = rps, cpu_us = (r.user + r.sys) / reqs * 1e6, user_us = r.user / reqs * 1e6,
    sys_us = r.sys / reqs * 1e6, p99 = r.stdout:match("\n%s+99%%%s+(%S+)") }
end

local function ours(url, c, extra)
  local argv = { lua, root .. "/bin/hotpath", "load", url, "-t", "1", "-c", tostring(c), "-d", secs .. "s", "--json", "-" }
  for _, a in ipairs(extra or {}) do argv[#argv + 1] = a end
  local r = assert(hp.proc.run { argv = argv, keep_stdout = true, timeout = secs + 30 })
  assert(r.ok, r.stderr)
  local rps = tonumber(r.stdout:match('"rps":([%d.e+]+)'))
  local reqs = tonumber(r.stdout:match('"requests":(%d+),"rps"'))
  local lat = r.stdout:match('"latency":(%b{})')
  return { rps = rps, cpu_us = (r.user + r.sys) / reqs * 1e6, user_us = r.user / reqs * 1e6,
    sys_us = r.sys / reqs * 1e6, p50 = tonumber(lat:match('"p50":([%d.e+-]+)')),
    p99 = tonumber(lat:match('"p99":([%d.e+-]+)')), raw = r.stdout }
end

local function report(title, a_name, a, b_name, b, key, unit)
  local av, bv = {}, {}
  for i = 1, #a do av[i] = a[i][key]; bv[i] = b[i][key] end
  local alo, ahi = spread(av)
  local blo, bhi = spread(bv)
  print(string.format("%-44s %s %10.2f %s [%.2f..%.2f]   %s %10.2f [%.2f..%.2f]   ratio %.2f", title,
    a_name, median(av), unit, alo, ahi, b_name, median(bv), blo, bhi, median(bv) / median(av)))
end

local ng = assert(nginx.start { duration = 900 })
local srv = assert(http.start { test = "plaintext", duration = 900 })
local gosrv
if sections:find("2") then
  local b = require("hotpath.peers").build("go", "web_nethttp")
  if b then gosrv = assert(http.start { command = { b.path, "--port", "{port}", "--duration", "900" }, duration = 900 }) end
end
print(string.format("nginx %s (pid %d), hotpath serve %s (pid %d)%s; %d rounds of %ds; interleaved",
  ng.url, ng.pid, srv.url, srv.pid, gosrv and (", Go net/http " .. gosrv.url) or "", rounds, secs))

if sections:find("[12]") then
  -- per round: wrk->nginx, ours->nginx, ours->our server (, ours->Go)
  local w, o, os_, og = {}, {}, {}, {}
  for i = 1, rounds do
    w[i] = wrk(ng.url, 64)
    o[i] = ours(ng.url, 64)
    os_[i] = ours(srv.url, 64)
    if gosrv then og[i] = ours(gosrv.url .. "plaintext", 64) end
    io.stderr:write(string.format("round %d: wrk %.0f, ours %.0f, ours->hotpath %.0f%s rps\n", i, w[i].rps, o[i].rps,
      os_[i].rps, gosrv and string.format(", ours->Go %.0f", og[i].rps) or ""))
  end
  report("nginx 1 worker, -t1 -c64: RPS", "wrk", w, "ours", o, "rps", "")
  report("nginx 1 worker, -t1 -c64: generator CPU us/req", "wrk", w, "ours", o, "cpu_us", "")
  report("  of which user", "wrk", w, "ours", o, "user_us", "")
  report("  of which sys", "wrk", w, "ours", o, "sys_us", "")
  report("same generator (ours -c64): server RPS", "nginx", o, "hotpath", os_, "rps", "")
  if gosrv then report("same generator (ours -c64): server RPS", "nginx", o, "Go", og, "rps", "") end
end
if gosrv then gosrv:stop() end

if sections:find("3") then
  local ngp = assert(nginx.start { duration = 900, pipelined = true })
  local d, n, h = {}, {}, {}
  for i = 1, rounds do
    d[i] = ours(ng.url, 256, { "--pipeline", "16" })
    n[i] = ours(ngp.url, 256, { "--pipeline", "16" })
    h[i] = ours(srv.url, 256, { "--pipeline", "16" })
    io.stderr:write(string.format("round %d: nginx %.0f, nginx tcp_nodelay off %.0f, hotpath %.0f rps\n", i, d[i].rps, n[i].rps, h[i].rps))
  end
  report("pipeline 16, -c256: RPS", "nginx", d, "nodelay off", n, "rps", "")
  report("pipeline 16, -c256: generator CPU us/req", "nginx", d, "nodelay off", n, "cpu_us", "")
  report("pipeline 16, -c256: RPS", "nginx nodelay off", n, "hotpath", h, "rps", "")
  ngp:stop()
end

if sections:find("4") then
  local cl, rt = {}, {}
  for i = 1, rounds do
    cl[i] = ours(srv.url, 1)
    rt[i] = ours(srv.url, 1, { "-R", "1000" })
  end
  report("latency floor p50 (us), 1 conn", "closed", cl, "rate1000", rt, "p50", "")
  report("latency floor p99 (us), 1 conn", "closed", cl, "rate1000", rt, "p99", "")
end
ng:stop()
srv:stop()
