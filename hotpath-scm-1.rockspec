rockspec_format = "3.0"
package = "hotpath"
version = "scm-1"
source = { url = "git+file:///dev/null" }
description = {
  summary = "Measure how fast a workload runs, how much memory it takes, and how it compares",
  detailed = [[
hotpath does the hot work in C (benchmark kernels, a simdjson-based JSON codec, a task pool,
an HTTP load generator, process measurement) and lets you describe scenarios in Lua.
Runs on Lua 5.4 and LuaJIT/OpenResty (one C module, built for the runtime luarocks targets).]],
  license = "MIT",
}
dependencies = { "lua >= 5.1" }
build = {
  type = "make",
  build_variables = {
    CFLAGS = "$(CFLAGS)",
    LIBFLAG = "$(LIBFLAG)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    BUILD = "build/rock",
  },
  install_variables = {
    LUADIR = "$(LUADIR)",
    LIBDIR = "$(LIBDIR)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    BUILD = "build/rock",
  },
  install = { bin = { hotpath = "bin/hotpath" } },
}
