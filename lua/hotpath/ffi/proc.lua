-- LuaJIT: binding of proc/ (process measurement) into the core table. Only marshalling.
local ffi = require "ffi"
local C = require "hotpath.ffi.lib"

local ffi_new, ffi_string, ffi_gc = ffi.new, ffi.string, ffi.gc
local tonumber = tonumber

return function(core)
  local fail = core._fail
  local function cstrings(list, keep)
    if not list then return nil end
    local arr = ffi_new("const char *[?]", #list + 1)
    for i = 1, #list do
      local s = list[i]
      keep[#keep + 1] = s
      arr[i - 1] = s
    end
    arr[#list] = nil
    keep[#keep + 1] = arr
    return arr
  end

  function core.proc_run(spec)
    local keep = {}
    local s = ffi_new("hp_proc_spec")
    s.argv = cstrings(spec.argv, keep)
    s.env = cstrings(spec.env, keep)
    s.cwd = spec.cwd
    if spec.stdin then s.stdin_data, s.stdin_len = spec.stdin, #spec.stdin end
    s.timeout = spec.timeout or 0
    s.digest_kind = spec.digest or 0
    s.keep_stdout = spec.keep_stdout or 0
    s.keep_stderr = spec.keep_stderr or 0
    s.report_fd = spec.report_fd or 0
    local r = ffi_gc(ffi_new("hp_proc_result[1]"), function(p) C.hp_proc_result_free(p) end)
    local errp = ffi_new("char *[1]")
    local rc = C.hp_proc_run(s, r, errp)
    keep = nil
    if rc ~= 0 then return fail(rc, errp) end
    local x = r[0]
    local res = {
      wall = x.wall, user = x.user, sys = x.sys, maxrss_kb = tonumber(x.maxrss_kb), pid = x.pid,
      exited = x.exited ~= 0, exit_code = x.exit_code, signal = x.signal,
      timed_out = x.timed_out ~= 0, stdout_bytes = tonumber(x.stdout_bytes),
    }
    if (spec.digest or 0) ~= 0 then res.digest = ffi_string(x.digest) end
    if (spec.keep_stdout or 0) > 0 then
      res.stdout = x.stdout_data ~= nil and ffi_string(x.stdout_data, x.stdout_len) or ""
    end
    res.stderr = x.stderr_data ~= nil and ffi_string(x.stderr_data, x.stderr_len) or ""
    if (spec.report_fd or 0) ~= 0 then
      res.report = x.report_data ~= nil and ffi_string(x.report_data, x.report_len) or ""
    end
    C.hp_proc_result_free(r)
    return res
  end

  function core.proc_start(argv, keep_output)
    local arr = ffi_new("const char *[?]", #argv + 1)
    for i = 1, #argv do arr[i - 1] = argv[i] end
    local pid, errp = ffi_new("int[1]"), ffi_new("char *[1]")
    local rc = C.hp_proc_start(arr, keep_output and 1 or 0, pid, errp)
    if rc ~= 0 then return fail(rc, errp) end
    return pid[0]
  end

  function core.proc_stop(pid, timeout) return C.hp_proc_stop(pid, timeout or 2) end

  function core.rss_kb(pid, which) return tonumber(C.hp_proc_rss_kb(pid or 0, which or 0)) end
  function core.isatty(fd) return C.hp_isatty(fd) ~= 0 end

  function core.proc_program(name)
    local path, errp = ffi_new("char *[1]"), ffi_new("char *[1]")
    local rc = C.hp_proc_program(name, path, errp)
    if rc ~= 0 then return fail(rc, errp) end
    local s = ffi_string(path[0])
    C.hp_free(path[0])
    return s
  end
end
