-- luarocks configuration that aims `luarocks --lua-version=5.1` at Debian's LuaJIT (luajit2)
-- instead of PUC Lua 5.1 (doc/install.md):
--   LUAROCKS_CONFIG=tools/luarocks-luajit.lua luarocks --lua-version=5.1 install ./hotpath-X.Y.Z-1.src.rock
-- OpenResty's LuaJIT needs none: luarocks --lua-dir=/usr/local/openresty/luajit install ...
lua_interpreter = "luajit"
variables = {
  LUA_BINDIR = "/usr/bin",
  LUA_INCDIR = "/usr/include/luajit-2.1",
}
