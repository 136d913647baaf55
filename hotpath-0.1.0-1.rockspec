rockspec_format = "3.0"
package = "hotpath"
version = "0.1.0-1"
-- `make dist` writes this tarball (and checks that this file's version is the core's
-- hp_version); `luarocks pack hotpath-0.1.0-1.rockspec`, run here, puts it into
-- hotpath-0.1.0-1.src.rock, which `luarocks install` builds offline (doc/install.md).
source = {
  url = "build/dist/hotpath-0.1.0.tar.gz",
  dir = "hotpath-0.1.0",
}
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
