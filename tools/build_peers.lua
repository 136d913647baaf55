-- Builds the Rust and Go peers (bench/peers/) before a benchmark run, several at once, so that
-- the scenarios' setups find them cached (hotpath.peers: build/peers/<lang>/<digest>/). One
-- Rust build is mostly one compiler thread (fat LTO, one codegen unit), so `make bench` runs as
-- many builds as there are cores: cold, that takes the Rust peers from ~5 to ~3 minutes here.
--
--   lua5.4 tools/build_peers.lua --list                 "lang name" lines, the longest builds first
--   lua5.4 tools/build_peers.lua --one LANG NAME        builds one peer; one line saying what happened
--   lua5.4 tools/build_peers.lua --list | xargs -r -P 2 -L 1 lua5.4 tools/build_peers.lua --one
--
-- From the source tree, after make. A language whose toolchain is missing is left out of --list
-- with one line on stderr naming the packages (its scenarios are skipped with the same line);
-- --one exits 1 when the build failed (the scenario that needs the peer shows the compiler's
-- lines too).
package.path = "lua/?.lua;lua/?/init.lua;build/lua/?.lua;" .. package.path
package.cpath = (rawget(_G, "jit") and "build/luajit/?.so;" or "build/lua54/?.so;") .. package.cpath
local peers = require "hotpath.peers"

local function usage()
  io.stderr:write("usage: build_peers.lua --list | --one rust|go NAME\n")
  os.exit(2)
end

if arg[1] == "--list" then
  for _, lang in ipairs { "rust", "go" } do
    local ok, err = peers.toolchain(lang)
    if not ok then
      io.stderr:write("peers: ", err, "\n")
    else
      local names = assert(peers.list(lang))
      for _, name in ipairs(names) do io.write(lang, " ", name, "\n") end
    end
  end
elseif arg[1] == "--one" then
  local lang, name = arg[2], arg[3]
  if not (lang == "rust" or lang == "go") or not name then usage() end
  local b, err, code = peers.build(lang, name)
  if b then
    print(string.format("peer %s/%s: %s", lang, name, b.cached and "cached" or string.format("built in %.1f s", b.build_s)))
  elseif code == "missing" then
    print(string.format("peer %s/%s: skipped: %s", lang, name, err))
  else
    io.stderr:write(string.format("peer %s/%s: %s\n", lang, name, err))
    os.exit(1)
  end
else
  usage()
end
