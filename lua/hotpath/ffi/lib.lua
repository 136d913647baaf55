-- LuaJIT: declares the C ABI (generated from the ABI headers) and loads libhotpath.so.
-- Where the library is found, in order: $HOTPATH_LIB; "libhotpath" on package.cpath (where
-- `make install-luajit` and luarocks put it); the source tree's build/ beside this file.
local ffi = require "ffi"

ffi.cdef(require "hotpath.ffi.cdef")

local function locate()
  local env = os.getenv("HOTPATH_LIB")
  if env and env ~= "" then return env end
  local found = package.searchpath("libhotpath", package.cpath)
  if found then return found end
  local here = debug.getinfo(1, "S").source:match("^@(.*)/hotpath/ffi/lib%.lua$")
  if here then
    local candidate = here .. "/../build/libhotpath.so"
    local f = io.open(candidate, "rb")
    if f then f:close() return candidate end
  end
  error("hotpath: libhotpath.so not found (set HOTPATH_LIB, or put it on package.cpath as libhotpath.so)", 2)
end

return ffi.load(locate())
