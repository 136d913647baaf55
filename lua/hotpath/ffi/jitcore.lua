-- LuaJIT: loads the small C module hotpath.jitcore (JSON tables through the C API for the FFI
-- JSON binding; see csrc/lua/jit/ljit.c). Returns the module, or nil and the reason. Found on package.cpath (installed), else in the build tree beside lua/.
local ok, m = pcall(require, "hotpath.jitcore")
if ok then return m end

local here = debug.getinfo(1, "S").source:match("^@(.*)/hotpath/ffi/jitcore%.lua$")
local open = here and package.loadlib(here .. "/../build/luajit/hotpath/jitcore.so", "luaopen_hotpath_jitcore")
if open then return open() end
return nil, "the LuaJIT C module hotpath.jitcore is not installed"
