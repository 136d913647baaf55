-- hotpath.http.nginx: an nginx (Debian package) with one worker serving the
-- TechEmpower plaintext response on 127.0.0.1, in a private prefix under /tmp, as a peer for
-- the HTTP scenarios (bench/http.lua) and tools/http_compare.lua.
local http = require "hotpath.http"

local M = {}

local CONF = [[
worker_processes 1;
daemon off;
master_process on;
pid %s/nginx.pid;
error_log %s/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  %s
  server {
    listen 127.0.0.1:%d reuseport backlog=4096;
    location / {
      default_type text/plain;
      return 200 "Hello, World!";
    }
  }
}
]]

local function which(name)
  for dir in (os.getenv("PATH") or "/usr/sbin:/usr/bin"):gmatch("[^:]+") do
    local f = io.open(dir .. "/" .. name, "rb")
    if f then f:close() return dir .. "/" .. name end
  end
  for _, dir in ipairs { "/usr/sbin", "/sbin" } do
    local f = io.open(dir .. "/" .. name, "rb")
    if f then f:close() return dir .. "/" .. name end
  end
end
M.which = which

-- Under pipelining nginx answers each pipelined request with its own writev (it never
-- coalesces the responses to one read), and it turns TCP_NODELAY on when a connection first
-- goes idle into keep-alive. With NODELAY each 161-byte response is its own loopback segment:
-- a softirq delivery charged to nginx and a wake-up of the client per response, as costly as
-- without pipelining. With Nagle left on (`tcp_nodelay off`), the responses written while one
-- is unacknowledged are coalesced by the kernel into one segment, which cuts nginx's CPU per
-- request and raises its pipelined RPS (figures in doc/http.md, "nginx under pipelining"). It
-- cannot stall: a pipelining client's next requests
-- carry the ACK. Without pipelining each response leaves at once either way, so the default
-- (NODELAY) is kept there.
M.PIPELINED = "tcp_nodelay off;"

-- conf(o, dir, port) -> the nginx.conf text for start's options o, prefix dir and port
function M.conf(o, dir, port)
  return CONF:format(dir, dir, (o.pipelined and M.PIPELINED or "") .. (o.http or ""), port)
end

-- start{ port = nil, duration = 120, pipelined = false, http = "extra directives" }
--   -> server handle (pid, port, url, stop) | nil, why
-- pipelined = true configures nginx for its best pipelined throughput (M.PIPELINED); http adds
-- directives to the http block.
function M.start(o)
  o = o or {}
  local nginx = which("nginx")
  if not nginx then return nil, "nginx not installed" end
  local p = io.popen("mktemp -d /tmp/hotpath-nginx.XXXXXX")
  local dir = p:read("*l")
  p:close()
  local port = o.port or http.free_port()
  local f = assert(io.open(dir .. "/nginx.conf", "w"))
  f:write(M.conf(o, dir, port))
  f:close()
  local s, err = http.start { command = { nginx, "-p", dir, "-c", dir .. "/nginx.conf", "-e", dir .. "/error.log" },
    port = port, duration = o.duration or 120 }
  if not s then return nil, err end
  local stop = s.stop
  s.stop = function(self)
    stop(self)
    os.remove(dir .. "/nginx.conf"); os.remove(dir .. "/error.log"); os.remove(dir .. "/nginx.pid")
    os.remove(dir)
    return true
  end
  return s
end

return M
