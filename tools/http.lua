-- Runs `hotpath load` / `hotpath serve` from the source tree until the CLI wires them:
--   lua5.4 tools/http.lua serve --test plaintext --port 8080
--   lua5.4 tools/http.lua load http://127.0.0.1:8080/ -c 64 -d 3s
local root = debug.getinfo(1, "S").source:match("^@(.*)/tools/http%.lua$") or "."
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. root .. "/build/lua/?.lua;" .. package.path
package.cpath = root .. "/build/lua54/?.so;" .. package.cpath
local cmd = table.remove(arg, 1)
local cli = require "hotpath.http.cli"
if cmd ~= "load" and cmd ~= "serve" then
  io.stderr:write("usage: tools/http.lua load|serve ...\n")
  os.exit(2)
end
os.exit(cli[cmd](arg))
