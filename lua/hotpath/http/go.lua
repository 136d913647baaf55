-- hotpath.http.go: the Go net/http peer of the HTTP scenarios (bench/http.lua) and
-- tools/http_compare.lua. Builds bench/programs/hello_server.go (standard library only) with the
-- Debian golang-go toolchain, offline, in a private temporary directory (GOCACHE and GOPATH
-- there, GO111MODULE=off: a single file needs no module), and starts it on 127.0.0.1.
-- The executable is kept as /tmp/hotpath-go-<digest of source and toolchain>/<name>, so the
-- runs after the first (each in a fresh process) skip the ~7 s cold build.
local http = require "hotpath.http"
local proc = require "hotpath.proc"

local M = {}

local function which(name)
  for dir in (os.getenv("PATH") or "/usr/bin"):gmatch("[^:]+") do
    local f = io.open(dir .. "/" .. name, "rb")
    if f then f:close() return dir .. "/" .. name end
  end
end
M.which = which

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

-- build(source) -> exe path, seconds spent building (0: reused) | nil, why
function M.build(source)
  local go = which("go")
  if not go then return nil, "go not installed (Debian package golang-go)" end
  if source:sub(1, 1) ~= "/" then source = (os.getenv("PWD") or ".") .. "/" .. source end
  local f, ferr = io.open(source, "rb")
  if not f then return nil, ferr end
  local text = f:read("*a")
  f:close()
  local v = proc.run { go, "version", keep_stdout = true, timeout = 30 }
  local key = require("hotpath").digest(text .. "\0" .. (v and v.stdout or ""), "sha256"):sub(8, 23)
  local name = source:match("([^/]+)%.go$") or "server"
  local cached = "/tmp/hotpath-go-" .. key .. "/" .. name
  if exists(cached) then return cached, 0 end
  local p = io.popen("mktemp -d /tmp/hotpath-gobuild.XXXXXX")
  local dir = p:read("*l")
  p:close()
  if not dir or not dir:match("^/tmp/hotpath%-gobuild%.") then return nil, "mktemp failed" end
  local exe = dir .. "/" .. name
  local r, err = proc.run { go, "build", "-o", exe, source, timeout = 300, cwd = dir, keep_stdout = true,
    env = { GOCACHE = dir .. "/cache", GOPATH = dir .. "/gopath", GO111MODULE = "off", GOFLAGS = "",
      GOTOOLCHAIN = "local", GOPROXY = "off", HOME = dir, CGO_ENABLED = "0" } }
  local ok, why = r and r.ok, r and (r.status .. "\n" .. (r.stderr or "")) or err
  if ok then
    proc.run { "mkdir", "-p", "/tmp/hotpath-go-" .. key, timeout = 10 }
    ok, why = os.rename(exe, cached) -- atomic: a concurrent build just replaces it
  end
  proc.run { "rm", "-rf", dir, timeout = 60 }
  if not ok then return nil, "go build " .. source .. ": " .. tostring(why) end
  return cached, r.wall
end

-- start{ source = path to a hello_server.go, duration = 120, port = nil } -> server | nil, why
-- Builds first (untimed: call it from a scenario's setup); the server is started as
-- `exe PORT SECONDS` and also exits by itself after SECONDS.
function M.start(o)
  local exe, secs = M.build(o.source)
  if not exe then return nil, secs end
  local s, err = http.start { command = { exe, "{port}", tostring(o.duration or 120) },
    port = o.port, duration = o.duration or 120 }
  if not s then return nil, err end
  s.build_seconds = secs
  return s
end

return M
