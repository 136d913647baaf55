-- Installing: luarocks for Lua 5.4, make install-luajit for LuaJIT (each with the C module
-- hotpath.core built for its ABI), and embedding in nginx with the Lua module (OpenResty's way).
-- Each runtime proves its own install; both build from a copy of the source tree.
local helper = require "helper"
local proc = require("hotpath").proc

local is_jit = rawget(_G, "jit") ~= nil

local function sh(script, opts)
  opts = opts or {}
  local r = assert(proc.run { "sh", "-c", script, cwd = opts.cwd, keep_stdout = true, keep_stderr = 65536, timeout = opts.timeout or 300 })
  return r
end

-- A copy of the source tree as git sees it (tracked and new files, not build products).
local function source_copy()
  local dir = helper.tmpdir()
  local r = sh("git ls-files --cached --others --exclude-standard -z | xargs -0 cp --parents -t '" .. dir .. "'", { cwd = helper.root })
  assert(r.ok, r.stderr)
  return dir
end

-- Lines of s, without the empty ones.
local function lines_of(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

describe("install", function()
  -- The release path, offline: `make dist` (source tarball) and `make rock` (luarocks pack) in
  -- a copy of the tree; the copy removed; `luarocks install` of the .src.rock alone into a
  -- temporary tree, for this runtime (Lua 5.4, or LuaJIT through tools/luarocks-luajit.lua),
  -- with every proxy on a closed local port, so that any download would fail. Then the
  -- installed command from another folder: its version, its suites (installed, complete), a
  -- quick run of two of them (one runs a bench/programs/ file), and the peers' sources
  -- (their digests, which cover every file of a peer, equal the source tree's).
  it("make rock packs a .src.rock that luarocks installs offline, suites included", function()
    local version = require("hotpath")._VERSION
    local src, rockdir, tree, cwd = source_copy(), helper.tmpdir(), helper.tmpdir(), helper.tmpdir()
    finally(function() helper.rmdir(src) helper.rmdir(rockdir) helper.rmdir(tree) helper.rmdir(cwd) end)
    local name = "hotpath-" .. version .. "-1"
    local r = sh("make rock", { cwd = src })
    assert.is_true(r.ok, r.stdout .. r.stderr)
    assert.truthy(r.stdout:find("build/dist/hotpath-" .. version .. ".tar.gz (", 1, true), r.stdout)
    assert.truthy(r.stdout:find("Packed: " .. src .. "/build/dist/" .. name .. ".src.rock\n", 1, true), r.stdout)
    assert.is_true(sh("mv '" .. src .. "/build/dist/" .. name .. ".src.rock' '" .. rockdir .. "/' && rm -rf '" .. src .. "'").ok)
    local luarocks = is_jit and ("LUAROCKS_CONFIG='" .. helper.root .. "/tools/luarocks-luajit.lua' luarocks --lua-version=5.1")
      or "luarocks --lua-version=5.4"
    local offline = "export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 ftp_proxy=http://127.0.0.1:9 all_proxy=http://127.0.0.1:9; "
    r = sh(offline .. luarocks .. " install --tree '" .. tree .. "' ./" .. name .. ".src.rock", { cwd = rockdir })
    assert.is_true(r.ok, r.stdout .. r.stderr)
    assert.truthy(r.stdout:find("hotpath " .. version .. "-1 is now installed in " .. tree, 1, true), r.stdout)
    assert.is_nil((r.stdout .. r.stderr):find("127.0.0.1:9", 1, true), r.stdout .. r.stderr)

    local hotpath = "'" .. tree .. "/bin/hotpath'"
    r = sh(hotpath .. " --version", { cwd = cwd })
    assert.is_true(r.ok, r.stderr)
    local runtime = is_jit and "LuaJIT [%d.]+%-?%w*, luajit" or "Lua 5%.4, lua54"
    assert.truthy(r.stdout:match("^hotpath " .. version:gsub("%.", "%%.") .. " %(" .. runtime .. " backend%)\n"), r.stdout)

    r = sh(hotpath .. " list", { cwd = cwd })
    assert.is_true(r.ok, r.stderr)
    local listed = lines_of(r.stdout)
    assert.are.equal("suites: " .. tree .. "/share/lua/" .. (is_jit and "5.1" or "5.4") .. "/hotpath/bench (installed)", table.remove(listed, 1))
    local here = helper.cli { "list", helper.root .. "/bench" }
    assert.are.same(lines_of(here.stdout), listed)

    r = sh(hotpath .. " run --quick --runs 1 --warmup 0 --filter '^cpu/mandelbrot$' --filter '^cpu/mandelbrot, plain Lua on LuaJIT$'", { cwd = cwd })
    assert.is_true(r.ok, r.stdout .. r.stderr)
    for _, p in ipairs { "\nmandelbrot %(n=1000%) +%d", "\nmandelbrot, plain Lua on LuaJIT %(n=1000%)\n", "\n2 scenario%(s%), 0 failed\n" } do
      assert.truthy(r.stdout:find(p), p .. "\n" .. r.stdout)
    end

    local peers = require "hotpath.peers"
    local want = {}
    for _, lang in ipairs { "go", "rust" } do
      want[#want + 1] = assert(peers.digest(lang, "mandelbrot"))
    end
    r = sh("eval \"$(" .. luarocks .. " --tree '" .. tree .. "' path)\" && " .. helper.lua .. " -e '" ..
      "local p = require \"hotpath.peers\"; io.write(p.digest(\"go\", \"mandelbrot\"), \" \", p.digest(\"rust\", \"mandelbrot\"))'", { cwd = cwd })
    assert.are.equal(table.concat(want, " "), r.stdout, r.stderr)
  end)

  if not is_jit then
    it("luarocks make --tree installs a working rock for Lua 5.4", function()
      local src, tree = source_copy(), helper.tmpdir()
      finally(function() helper.rmdir(src) helper.rmdir(tree) end)
      local r = sh("luarocks make --tree '" .. tree .. "' hotpath-scm-1.rockspec", { cwd = src })
      assert.is_true(r.ok, r.stdout .. r.stderr)
      assert.truthy(r.stdout:find("hotpath scm-1 is now installed in " .. tree, 1, true))
      -- from any directory, with the paths luarocks prints
      r = sh("eval \"$(luarocks --tree '" .. tree .. "' path)\" && cd / && lua5.4 -e '" ..
        "local hp = require \"hotpath\"; io.write(hp.backend, \" \", hp.digest(hp.kernels.mandelbrot(200), \"md5\")); " ..
        "local p = hp.proc.run { \"printf\", \"ran\", keep_stdout = true }; io.write(\" \", p.stdout, \" \", tostring(p.maxrss_kb > 0)); " ..
        "local k = hp.proc.run { assert(hp.proc.program(\"hotpath-kernel\")), \"mandelbrot\", \"200\", keep_stdout = true }; io.write(\" \", hp.digest(k.stdout, \"md5\"))'", { cwd = src })
      -- proc.run needs the launcher, installed beside the library, as is the kernel program
      assert.are.equal("lua54 md5:cc65e64bd553ed18896de1dfe7fae3e5 ran true md5:cc65e64bd553ed18896de1dfe7fae3e5", r.stdout, r.stderr)
      r = sh("cd / && '" .. tree .. "/bin/hotpath' --version")
      assert.is_true(r.ok, r.stderr)
      assert.truthy(r.stdout:match("^hotpath %d+%.%d+%.%d+ %(Lua 5%.4, lua54 backend%)\n"))
    end)
  else
    -- one LuaJIT install, shared by the two tests below
    local src, prefix, installed
    lazy_setup(function()
      src, prefix = source_copy(), helper.tmpdir()
      installed = sh("make install-luajit PREFIX='" .. prefix .. "' BUILD=build/lj", { cwd = src })
    end)
    lazy_teardown(function()
      helper.rmdir(src)
      helper.rmdir(prefix)
    end)

    it("make install-luajit installs the Lua files and the LuaJIT build of hotpath.core", function()
      assert.is_true(installed.ok, installed.stdout .. installed.stderr)
      -- the module of the LuaJIT ABI, and no Lua 5.4 one anywhere in the tree
      local found = sh("cd '" .. prefix .. "' && find . -name core.so | sort").stdout
      assert.are.equal("./lib/lua/5.1/hotpath/core.so\n", found)
      assert.is_true(sh("nm -D '" .. prefix .. "/lib/lua/5.1/hotpath/core.so' | grep -q ' U lua_objlen$'").ok)
      local r = sh("cd / && LUA_PATH='" .. prefix .. "/share/lua/5.1/?.lua;" .. prefix .. "/share/lua/5.1/?/init.lua;;' " ..
        "LUA_CPATH='" .. prefix .. "/lib/lua/5.1/?.so;;' luajit -e '" ..
        "local hp = require \"hotpath\"; io.write(hp.backend, \" \", hp.digest(hp.kernels.mandelbrot(200), \"md5\")); " ..
        "local p = hp.pool.new { threads = 2 }; " ..
        "local r = p:map(function(x) return x * 2 end, { 1, 2, 3 }):wait(); io.write(\" \", r[1] + r[2] + r[3]); p:close(); " ..
        "local q = hp.proc.run { \"printf\", \"ran\", keep_stdout = true }; io.write(\" \", q.stdout, \" \", tostring(q.maxrss_kb > 0))'")
      -- proc.run needs the launcher, installed beside libhotpath.so
      assert.are.equal("luajit md5:cc65e64bd553ed18896de1dfe7fae3e5 12 ran true", r.stdout, r.stderr)
      -- the default suites, with what they run, below the Lua files
      r = sh("cd / && LUA_PATH='" .. prefix .. "/share/lua/5.1/?.lua;;' luajit -e '" ..
        "local dir, kind = require(\"hotpath.paths\").suites(); io.write(dir, \" \", kind, \"\\n\")' && cd '" .. prefix ..
        "/share/lua/5.1/hotpath/bench' && ls *.lua programs/mandelbrot.lua peers/go/mandelbrot/main.go peers/rust/Cargo.toml | tr '\\n' ' '")
      assert.are.equal(prefix .. "/share/lua/5.1/hotpath/bench installed\n" .. "concurrency.lua cpu.lua db.lua http.lua " ..
        "json.lua memory.lua peers/go/mandelbrot/main.go peers/rust/Cargo.toml programs/mandelbrot.lua ", r.stdout, r.stderr)
    end)

    it("embeds in nginx with the Lua module", function()
      assert.is_true(installed.ok, installed.stdout .. installed.stderr)
      local ng = prefix .. "/nginx"
      -- started as root, nginx's worker runs as nobody: it must be able to read the install
      assert.is_true(sh("chmod 755 '" .. prefix .. "' && mkdir -p '" .. ng .. "/logs' '" .. ng .. "/conf'").ok)
      local body
      for attempt = 1, 5 do
        local port = 20000 + (os.time() * 7919 + attempt * 104729) % 40000
        helper.write(ng .. "/conf/nginx.conf", ([[
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
worker_processes 1;
error_log logs/error.log;
pid logs/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  lua_package_path "PREFIX/share/lua/5.1/?.lua;PREFIX/share/lua/5.1/?/init.lua;;";
  lua_package_cpath "PREFIX/lib/lua/5.1/?.so;;";
  server {
    listen 127.0.0.1:PORT;
    location /t {
      content_by_lua_block {
        local hp = require "hotpath"
        ngx.print(hp.backend, " ", hp.digest(hp.kernels.mandelbrot(200), "md5"))
      }
    }
    location /decode {
      content_by_lua_block {
        ngx.req.read_body()
        local v, err = require("hotpath").json.safe.decode(ngx.req.get_body_data() or "")
        if v == nil then ngx.status = 400 ngx.print(err) return end
        ngx.print(#v)
      }
    }
  }
}
]]):gsub("PREFIX", prefix):gsub("PORT", tostring(port)))
        local start = sh("nginx -p '" .. ng .. "' -c conf/nginx.conf")
        if start.ok then
          -- an empty body once crashed the worker (signal 11): now a 400, then the worker
          -- still answers
          local r = sh("curl -s --max-time 10 -w ' %{http_code}|' --data-binary '' http://127.0.0.1:" .. port .. "/decode; " ..
            "curl -s --max-time 10 -w ' %{http_code}|' --data-binary '[1,2,3]' http://127.0.0.1:" .. port .. "/decode; " ..
            "curl -s --max-time 10 http://127.0.0.1:" .. port .. "/t; " ..
            "nginx -p '" .. ng .. "' -c conf/nginx.conf -s stop; sleep 0.2")
          body = r.stdout
          break
        end
        assert.truthy(start.stderr:find("Address already in use", 1, true), start.stderr)
      end
      local log = sh("cat '" .. ng .. "/logs/error.log'").stdout
      assert.are.equal("empty document at byte 0 400|3 200|luajit md5:cc65e64bd553ed18896de1dfe7fae3e5", body, log)
      assert.is_nil(log:find("exited on signal", 1, true), log)
    end)
  end
end)
