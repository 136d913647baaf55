-- hotpath in a real nginx with the Lua module (Debian's nginx + lua-nginx-module, OpenResty's
-- LuaJIT): installed once by `make install-luajit` into a temporary prefix, served by one
-- worker on a free 127.0.0.1 port, stopped by PID. The handlers are
-- spec/fixtures/nginx/hp_nginx_app.lua. nginx's Lua module embeds LuaJIT, so these run under
-- luajit only (under Lua 5.4 they are pending, as they are where nginx or the module is missing).
local helper = require "helper"
local hp = require "hotpath"
local proc = hp.proc

local is_jit = rawget(_G, "jit") ~= nil
local MODULES = { "/usr/lib/nginx/modules/ndk_http_module.so", "/usr/lib/nginx/modules/ngx_http_lua_module.so" }

local exists = require("hotpath.machine").exists

local function sh(script, timeout)
  return assert(proc.run { "sh", "-c", script, keep_stdout = true, keep_stderr = 65536, timeout = timeout or 300 })
end

-- Why these tests cannot run here, or nil.
local function missing()
  if not is_jit then return "nginx's Lua module embeds LuaJIT: run under luajit" end
  if not sh("command -v nginx").ok then return "nginx is not installed" end
  for _, m in ipairs(MODULES) do
    if not exists(m) then return m .. " is missing (apt-get install libnginx-mod-http-lua)" end
  end
  return nil
end

local LOCATIONS = {
  ping = "content", decode = "content", encode = "content", kernel = "content", batch = "content",
  luatask = "content", bigdecode = "content", cancel = "content", parse = "content", rss = "content", load = "content",
  timer = "content", timer_result = "content",
}

local function conf(prefix, port)
  local locs = {}
  for name in pairs(LOCATIONS) do
    locs[#locs + 1] = ("    location = /%s { content_by_lua_block { require(\"hp_nginx_app\").%s() } }"):format(name, name)
  end
  table.sort(locs)
  locs[#locs + 1] = "    location = /load_in_set { set_by_lua_block $r { return require(\"hp_nginx_app\").load_in_set() } return 200 $r; }"
  return (([[
load_module MOD1;
load_module MOD2;
worker_processes 1;
env HOTPATH_CANCEL_SIGNAL;
env HOTPATH_LAUNCHER;
error_log logs/error.log;
pid logs/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  client_body_buffer_size 1m;
  lua_package_path "PREFIX/share/lua/5.1/?.lua;PREFIX/share/lua/5.1/?/init.lua;APP/?.lua;;";
  lua_package_cpath "PREFIX/lib/lua/5.1/?.so;;";
  server {
    listen 127.0.0.1:PORT;
LOCS
  }
}
]]):gsub("MOD1", MODULES[1]):gsub("MOD2", MODULES[2]):gsub("PREFIX", prefix)
    :gsub("APP", helper.root .. "/spec/fixtures/nginx"):gsub("PORT", tostring(port)):gsub("LOCS", (table.concat(locs, "\n"):gsub("%%", "%%%%"))))
end

describe("nginx", function()
  local why = missing()
  if why then
    pending(why)
    return
  end

  local prefix, ng, port, pid, installed
  local function url(path) return "http://127.0.0.1:" .. port .. path end
  -- curl: the body, then " <status>"
  local function get(path, data)
    local r = sh("curl -s --max-time 30 -w ' %{http_code}' " .. (data and ("--data-binary @- ") or "") .. "'" .. url(path) .. "'"
      .. (data and (" <<'HP_EOF'\n" .. data .. "\nHP_EOF") or ""))
    return r.stdout
  end
  local function log() return helper.read(ng .. "/logs/error.log") end

  lazy_setup(function()
    prefix = helper.tmpdir()
    installed = sh("make install-luajit PREFIX='" .. prefix .. "' BUILD=build >/dev/null", 600)
    assert(installed.ok, installed.stderr)
    ng = prefix .. "/nginx"
    -- started as root, nginx's worker runs as nobody: the install and the app must be readable
    assert(sh("chmod 755 '" .. prefix .. "' && mkdir -p '" .. ng .. "/logs' '" .. ng .. "/conf'").ok)
    for _ = 1, 5 do
      port = hp.http.free_port()
      helper.write(ng .. "/conf/nginx.conf", conf(prefix, port))
      local start = sh("nginx -p '" .. ng .. "' -c conf/nginx.conf")
      if start.ok then break end
      assert(start.stderr:find("Address already in use", 1, true), start.stderr)
      port = nil
    end
    assert(port, "no free port")
    pid = tonumber(helper.read(ng .. "/logs/nginx.pid"):match("%d+"))
  end)

  lazy_teardown(function()
    if pid then
      -- stop by PID: TERM, then KILL if the master is still there after 10 s
      sh("kill -TERM " .. pid .. "; i=0; while kill -0 " .. pid .. " 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; " ..
        "kill -KILL " .. pid .. " 2>/dev/null; true")
    end
    if prefix then helper.rmdir(prefix) end
  end)

  it("decodes and encodes", function()
    assert.are.equal('{"a":[1,2.5,"x"],"b":{"c":null}} 200', get("/decode", '{"b":{"c":null},"a":[1,2.5,"x"]}'))
    assert.are.equal('{"a":null,"b":[1,2.5,"x"],"c":true} 200', get("/encode"))
  end)

  it("answers bad bodies with a 400 and keeps its worker", function()
    local cases = {
      { "", "empty document at byte 0 400" },
      { "[1,", "400" },
      { '{"a":}', "400" },
    }
    for _, c in ipairs(cases) do
      local got = get("/decode", c[1] ~= "" and c[1] or nil)
      assert.truthy(got:sub(-#c[2]) == c[2], got)
    end
    assert.are.equal("[1,2,3] 200", get("/decode", "[1,2,3]"))
  end)

  it("runs the kernels", function()
    assert.are.equal("luajit md5:cc65e64bd553ed18896de1dfe7fae3e5 200", get("/kernel"))
  end)

  it("runs Lua-function tasks", function()
    assert.are.equal("30 200", get("/luatask?x=4"))
    assert.are.equal("114 200", get("/luatask?x=10"))
  end)

  -- Lua-function tasks load their function once per worker state and bytecode: over 20,000
  -- requests after a warm-up the worker's RSS stays within 2 MB.
  it("keeps the worker's memory flat over Lua-function task requests", function()
    local function run(n)
      local r = assert(hp.http.load { url = url("/luatask?x=4"), requests = n, connections = 4 })
      assert.are.equal(n, r.status["200"])
    end
    run(4000)
    local before = tonumber((get("/rss"):match("^(%d+)")))
    run(20000)
    local after = tonumber((get("/rss"):match("^(%d+)")))
    assert.is_true(after - before <= 2048, before .. " -> " .. after .. " kB")
  end)

  -- Two requests of one worker, each parsing a document and reading it after a yield, the
  -- second parsing while the first sleeps: each reads its own document.
  it("keeps lazy documents valid across yields with concurrent requests", function()
    local first = io.popen("curl -s --max-time 30 -w ' %{http_code}' --data-binary '{\"name\":\"first\"}' '" .. url("/parse?sleep=0.4") .. "'")
    sh("sleep 0.1")
    assert.are.equal("second 200", get("/parse?sleep=0.01", '{"name":"second","x":[1,2,3]}'))
    local got = first:read("*a")
    first:close()
    assert.are.equal("first 200", got)
  end)

  -- The parsers of collected documents go back to the pool: over 3,000 parse requests after
  -- a warm-up, the worker's RSS stays within 2 MB (it grew 12 MB with a parser per request).
  it("keeps the worker's memory flat over parse requests", function()
    local body = helper.read(helper.root .. "/spec/fixtures/nginx/doc.json")
    local function run(n)
      local r = assert(hp.http.load { url = url("/parse?sleep=0.001"), method = "POST", body = body, requests = n, connections = 4 })
      assert.are.equal(n, r.status["200"])
    end
    run(1000)
    local before = tonumber((get("/rss"):match("^(%d+)")))
    run(3000)
    local after = tonumber((get("/rss"):match("^(%d+)")))
    assert.is_true(after - before <= 2048, before .. " -> " .. after .. " kB")
  end)

  -- A 64-task pool batch (64 x 20 ms on 2 threads: about 0.64 s) awaited by one request while
  -- a second client (the load generator) pings the same worker: every ping is answered while
  -- the batch runs, so the batch's handler sees all of them between its map and its return.
  -- (A blocking wait answered none of them before the batch was done.)
  it("awaits a pool batch without blocking the worker's other requests", function()
    local out = helper.tmpdir()
    finally(function() helper.rmdir(out) end)
    local batch = io.popen("curl -s --max-time 60 -w ' %{http_code}' '" .. url("/batch?n=64&ms=20") .. "'")
    sh("sleep 0.15")
    local r = assert(hp.http.load { url = url("/ping"), duration = 0.25, connections = 1 })
    local got = batch:read("*a")
    batch:close()
    assert.are.equal(0, r.errors.total)
    assert.is_true(r.requests > 0)
    -- the handler counts every ping nginx answered meanwhile: those the generator measured, and
    -- at most one a connection that it sent as its run ended
    local sum, pings, status = got:match("^(%d+) (%d+) (%d+)$")
    assert.are.equal("1280 200", sum .. " " .. status, got)
    assert.is_true(tonumber(pings) >= r.requests and tonumber(pings) <= r.requests + 1, got .. " vs " .. r.requests)
  end)

  -- A yielding decode (yield = true: ngx.sleep(0.001), which Debian's nginx runs without
  -- OpenResty's delayed-events patch) of a 3 MB document, its parse on a pool thread: the
  -- worker answers a second client's pings while it runs.
  it("decodes a large document without blocking the worker's other requests", function()
    local dec = io.popen("curl -s --max-time 60 -w ' %{http_code}' '" .. url("/bigdecode?chunk=500") .. "'")
    sh("sleep 0.15")
    local r = assert(hp.http.load { url = url("/ping"), duration = 0.2, connections = 1 })
    local got = dec:read("*a")
    dec:close()
    assert.are.equal(0, r.errors.total)
    local head, pings, status = got:match("^(%d+ %d+ %d+ %a+) (%d+) (%d+)$")
    assert.are.equal("60000 1 60000 true 200", head .. " " .. status, got)
    assert.is_true(tonumber(pings) >= r.requests and tonumber(pings) <= r.requests + 1, got .. " vs " .. r.requests)
  end)

  it("bounds how long a cancelled uninterruptible task holds its handler", function()
    -- the task still runs (done=false), the handler has its answer
    assert.are.equal("nil cancelled nil canceled done=false 200", get("/cancel"))
  end)

  it("runs the load generator from a request and from a timer; refuses where nginx cannot yield", function()
    assert.are.equal("200 200 200", get("/load?requests=200"))
    -- a closed local port: an error, never a run of 0 requests
    local closed = hp.http.free_port()
    assert.are.equal("nil connect to 127.0.0.1:" .. closed .. ": Connection refused system 200", get("/load?requests=10&port=" .. closed))
    assert.are.equal("started 200", get("/timer"))
    local res
    for _ = 1, 100 do
      res = get("/timer_result")
      if res ~= "nil 200" then break end
      sh("sleep 0.1")
    end
    assert.are.equal("100 100 200", res)
    assert.are.equal("hotpath.http.load cannot run in nginx's set phase: it would block the worker for the whole run; " ..
      "call it from a request handler (content_by_lua*) or a timer (ngx.timer.at) 200", get("/load_in_set"))
  end)

  it("never lost its worker to a signal", function()
    assert.are.equal("pong 200", get("/ping"))
    local l = log()
    assert.is_nil(l:find("exited on signal", 1, true), l)
    assert.is_nil(l:find("[alert]", 1, true), l)
    assert.is_nil(l:find("[warn]", 1, true), l) -- ngx.sleep(0) without the patch warns
  end)
end)
