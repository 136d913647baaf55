-- hotpath.proc: run a command in a fresh process (no shell) and measure it.
--
--   local r, err, code = hotpath.proc.run{ "prog", "arg", ...  -- or argv = {...}
--     timeout = 10,          -- seconds; the child's process group is killed after it
--     stdin = "bytes",       -- fed to the child's stdin
--     env = { NAME = "v" },  -- added to (or replacing in) the current environment
--     cwd = "/dir",
--     digest = "sha256",     -- or "md5": digest of stdout (r.digest), always counted (r.stdout_bytes)
--     keep_stdout = true,    -- or a byte count: keep stdout in r.stdout
--     keep_stderr = 8192,    -- the default; true keeps all of stderr, false none, N its last N bytes
--   }
--
-- The command is started by the launcher hotpath-launch (csrc/proc/launch.h), so maxrss_kb is
-- the program's own peak RSS whatever this process holds (floor ~256 kB; doc/measurement.md);
-- argv[1] is searched in the PATH of the command's environment.
-- r: wall, user, sys (seconds), maxrss_kb, exited, exit_code, signal, timed_out, ok,
-- status ("exited 0", "exited 3", "killed by signal 9", "timed out after 2 s"),
-- stdout_bytes, digest, stdout, stderr (its last keep_stderr bytes). A program that cannot be started
-- returns nil, message, code; misuse (argv not a list of strings, ...) raises.
local util = require "hotpath.util"
local core = util.core

local type, pairs, ipairs, format, concat = type, pairs, ipairs, string.format, table.concat
local typename = util.typename

local proc = {}

local K = require "hotpath.consts"
proc.DIGESTS = { sha256 = K.HP_DIGEST_SHA256, md5 = K.HP_DIGEST_MD5 }
local KEEP_ALL = 2 ^ 40

local function status_text(r, timeout)
  if r.timed_out then return format("timed out after %g s", timeout) end
  if r.exited then return format("exited %d", r.exit_code) end
  return format("killed by signal %d", r.signal)
end

-- Validates a run table and turns it into the binding's spec (see csrc/lua/lproc.c).
-- Misuse raises at the caller of the API function that called spec.
local function argerror(pos, fname, msg) util.argerror(pos, fname, msg, 3) end

-- keep_stdout / keep_stderr: true (all of it), false (none), or a byte count; nil: dflt.
-- Returns the byte count, or nil for anything else.
local function keep_bytes(v, dflt)
  if v == nil then return dflt end
  if v == true then return KEEP_ALL end
  if v == false then return 0 end
  if type(v) ~= "number" or not (v >= 0) or v ~= math.floor(v) then return nil end
  return v
end

local RUN_OPTS = { argv = true, timeout = true, cwd = true, stdin = true, env = true, digest = true,
  keep_stdout = true, keep_stderr = true, report_fd = true }

function proc.spec(t, fname, pos)
  fname, pos = fname or "run", pos or 1
  if type(t) ~= "table" then argerror(pos, fname, "table expected, got " .. typename(t)) end
  local argv = t.argv or t
  if type(argv) ~= "table" or #argv == 0 then argerror(pos, fname, "argv must be a non-empty list of strings") end
  -- the argv list may be the table's own array part
  local unknown = util.unknown_option(t, RUN_OPTS, t.argv and 0 or #argv)
  if unknown then argerror(pos, fname, unknown) end
  local list = {}
  for i = 1, #argv do
    local a = argv[i]
    if type(a) == "number" then a = format("%.17g", a) end
    if type(a) ~= "string" then argerror(pos, fname, format("argv[%d] must be a string, got %s", i, typename(a))) end
    list[i] = a
  end
  if list[1] == "" then argerror(pos, fname, "argv[1] must name a program") end
  local spec = { argv = list, cwd = t.cwd, stdin = t.stdin }
  if t.timeout ~= nil and (type(t.timeout) ~= "number" or not (t.timeout > 0)) then
    argerror(pos, fname, "timeout must be a positive number of seconds")
  end
  spec.timeout = t.timeout
  if t.cwd ~= nil and type(t.cwd) ~= "string" then argerror(pos, fname, "cwd must be a string") end
  if t.stdin ~= nil and type(t.stdin) ~= "string" then argerror(pos, fname, "stdin must be a string") end
  if t.env ~= nil then
    if type(t.env) ~= "table" then argerror(pos, fname, "env must be a table of NAME = value") end
    local env = {}
    for k, v in pairs(t.env) do
      if type(k) ~= "string" or k == "" or k:find("=", 1, true) or (type(v) ~= "string" and type(v) ~= "number") then
        argerror(pos, fname, "env must map names to strings")
      end
      env[#env + 1] = k .. "=" .. v
    end
    table.sort(env)
    spec.env = env
  end
  if t.digest ~= nil then
    spec.digest = proc.DIGESTS[t.digest]
    if not spec.digest then argerror(pos, fname, "digest must be \"sha256\" or \"md5\"") end
  end
  spec.keep_stdout = keep_bytes(t.keep_stdout, 0)
  if not spec.keep_stdout then argerror(pos, fname, "keep_stdout must be a boolean or a byte count") end
  spec.keep_stderr = keep_bytes(t.keep_stderr, 8192)
  if not spec.keep_stderr then argerror(pos, fname, "keep_stderr must be a boolean or a byte count") end
  if t.report_fd ~= nil and (type(t.report_fd) ~= "number" or t.report_fd < 3 or t.report_fd > 255
      or t.report_fd ~= math.floor(t.report_fd)) then
    argerror(pos, fname, "report_fd must be a descriptor number from 3 to 255")
  end
  spec.report_fd = t.report_fd
  return spec
end

-- Runs the command; see the header of this file.
function proc.run(t)
  local spec = proc.spec(t, "run", 1)
  local r, err, code = core.proc_run(spec)
  if not r then return nil, err, code end
  r.ok = r.exited and r.exit_code == 0
  r.status = status_text(r, spec.timeout)
  return r
end

-- Resident set size in KiB of a process (pid, default: this one); peak = true for VmHWM.
function proc.rss_kb(pid, peak)
  return core.rss_kb(pid or 0, peak and 1 or 0)
end

function proc.isatty(fd) return core.isatty(fd or 1) end

-- program(name) -> the absolute path of one of hotpath's own programs ("hotpath-launch", or
-- "hotpath-kernel": the C kernels as standalone programs), beside the installed library or in
-- the build tree; or nil, msg, code when it is not there.
function proc.program(name)
  if type(name) ~= "string" then util.argerror(1, "program", "string expected, got " .. typename(name)) end
  return core.proc_program(name)
end

return proc
