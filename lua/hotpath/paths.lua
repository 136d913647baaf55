-- hotpath.paths: where this hotpath's own files are, whether it runs from a source checkout or
-- from an install (luarocks, `make install`, `make install-luajit`).
--
--   paths.root()        -> the source checkout that holds this file (<root>/lua/hotpath/), or
--                          nil when hotpath is installed
--   paths.suites()      -> the folder of the default suites and what it is ("source" or
--                          "installed"): <root>/bench in a checkout, <Lua dir>/hotpath/bench
--                          when installed; or nil, msg when neither is there
--   paths.build_root()  -> where built things are cached (the Rust and Go peers): $HOTPATH_BUILD,
--                          else <root>/build in a checkout, else $XDG_CACHE_HOME/hotpath or
--                          $HOME/.cache/hotpath (an installed tree may not be writable)
--   paths.absolute(p)   -> p made absolute against the current directory, without . and ..
--
-- The suites are installed below the Lua modules (hotpath/bench/, with bench/programs/ and
-- bench/peers/), so one install prefix holds everything, and a tree that is moved still works.
local open, getenv, popen, concat = io.open, os.getenv, io.popen, table.concat

local paths = {}

local function exists(path)
  local f = open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- "/a/./b/../c" -> "/a/c" (a script started as bin/../lua/... spells its paths that way).
local function clean(path)
  local parts = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." and #parts > 0 and parts[#parts] ~= ".." then
      parts[#parts] = nil
    elseif part ~= "." then
      parts[#parts + 1] = part
    end
  end
  return "/" .. concat(parts, "/")
end

local cwd
function paths.absolute(path)
  if path:sub(1, 1) ~= "/" then
    if not cwd then
      -- $PWD is not reliable here: a process started by proc.run with a cwd inherits its parent's.
      local p = popen("pwd")
      cwd = p and p:read("*l") or "."
      if p then p:close() end
    end
    path = cwd .. "/" .. path
  end
  return clean(path)
end

-- The folder of the Lua modules this file was loaded from (absolute), e.g. <root>/lua or
-- <prefix>/share/lua/5.4.
local function lua_dir()
  local src = debug.getinfo(1, "S").source
  local file = src:sub(1, 1) == "@" and src:sub(2) or "hotpath/paths.lua"
  local dir = ("/" .. file):match("^(.*)/hotpath/paths%.lua$")
  dir = dir:sub(2)
  return paths.absolute(dir == "" and "." or dir)
end

function paths.root()
  local root = lua_dir():match("^(.*)/lua$")
  if root and exists(root .. "/hotpath-scm-1.rockspec") then return root end
  return nil
end

function paths.suites()
  local root = paths.root()
  if root then return root .. "/bench", "source" end
  local dir = lua_dir() .. "/hotpath/bench"
  -- a folder opens for reading (glibc); its suite files are what matters anyway
  if exists(dir) then return dir, "installed" end
  return nil, "no default suites: " .. dir .. " is missing (reinstall hotpath, or give the suites' path)"
end

function paths.build_root()
  local env = getenv("HOTPATH_BUILD")
  if env and env ~= "" then return paths.absolute(env) end
  local root = paths.root()
  if root then return root .. "/build" end
  local cache = getenv("XDG_CACHE_HOME")
  if cache and cache ~= "" then return paths.absolute(cache) .. "/hotpath" end
  local home = getenv("HOME")
  if home and home ~= "" then return paths.absolute(home) .. "/.cache/hotpath" end
  return nil, "no folder to cache builds in: set HOTPATH_BUILD (or HOME)"
end

return paths
