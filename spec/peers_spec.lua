-- hotpath.peers: the Rust and Go peers build offline from Debian's toolchains into
-- <build root>/peers/<lang>/<digest>/, a second build is a cache hit, the cache key follows the
-- sources and the toolchain, a missing toolchain is a skip message naming the packages, and the
-- programs built print exactly what hotpath's C kernels print.
local hp = require "hotpath"
local helper = require "helper"
local peers = require "hotpath.peers"
local K = hp.kernels
local unpack = table.unpack or unpack

local BUILD = os.getenv("HOTPATH_BUILD") or (helper.root .. "/build")
local RUST_DIR = helper.root .. "/bench/peers/rust"
local GO_FIXTURES = helper.root .. "/spec/fixtures/peers/go"
local RUST_MISSING = "Rust peers skipped: install Debian's cargo and rustc (apt-get install cargo rustc "
  .. "librust-num-bigint-dev librust-num-integer-dev librust-tokio-dev librust-hyper-dev librust-tokio-postgres-dev "
  .. "librust-serde-dev librust-serde-derive-dev librust-serde-json-dev)"
local GO_MISSING = "Go peers skipped: install Debian's golang-go (apt-get install golang-go golang-github-json-iterator-go-dev golang-github-valyala-fasthttp-dev golang-github-gin-gonic-gin-dev golang-github-jackc-pgx-v4-dev)"

local function sh(cmd)
  assert(os.execute(cmd), cmd)
end

local exists = require("hotpath.machine").exists

local function run(argv, env)
  return assert(hp.proc.run { argv = argv, keep_stdout = true, timeout = 120, env = env })
end

-- the names in a folder, sorted (hidden ones too, without . and ..)
local function listing(dir)
  local p = io.popen("ls -A '" .. dir .. "'")
  local names = {}
  for line in p:read("*a"):gmatch("[^\n]+") do names[#names + 1] = line end
  p:close()
  table.sort(names)
  return names
end

-- a copy of the Rust workspace (sources only) in a fresh temporary folder
local function rust_copy()
  local d = helper.tmpdir()
  sh("cp -R '" .. RUST_DIR .. "' '" .. d .. "/rust' && rm -rf '" .. d .. "/rust/target' '" .. d .. "/rust/Cargo.lock'")
  return d, d .. "/rust"
end

local function append(path, text)
  local f = assert(io.open(path, "ab"))
  f:write(text)
  f:close()
end

describe("hotpath.peers toolchains", function()
  it("reports Debian's cargo and rustc versions", function()
    local v = assert(peers.toolchain("rust"))
    assert.is_truthy(v.cargo:match("^%d+%.%d+%.%d+"))
    assert.is_truthy(v.rustc:match("^%d+%.%d+%.%d+"))
    assert.is_nil(v.go)
  end)

  it("reports the go version", function()
    local v = assert(peers.toolchain("go"))
    assert.is_truthy(v.go:match("^%d+%.%d+"))
  end)

  it("skips a missing cargo with a message naming the Debian packages", function()
    local v, msg, code = peers.toolchain("rust", { cargo = "/nonexistent/cargo" })
    assert.is_nil(v)
    assert.are.equal(RUST_MISSING .. ": cannot run '/nonexistent/cargo': No such file or directory", msg)
    assert.are.equal("missing", code)
  end)

  it("skips a missing rustc the same way", function()
    local v, msg, code = peers.toolchain("rust", { rustc = "/nonexistent/rustc" })
    assert.is_nil(v)
    assert.are.equal(RUST_MISSING .. ": cannot run '/nonexistent/rustc': No such file or directory", msg)
    assert.are.equal("missing", code)
  end)

  it("skips a missing go", function()
    local v, msg, code = peers.toolchain("go", { go = "/nonexistent/go" })
    assert.is_nil(v)
    assert.are.equal(GO_MISSING .. ": cannot run '/nonexistent/go': No such file or directory", msg)
    assert.are.equal("missing", code)
  end)

  it("build returns the skip message too, before touching the build folder", function()
    local tmp = helper.tmpdir()
    local r, msg, code = peers.build("rust", "mandelbrot_single", { cargo = "/nonexistent/cargo", build_root = tmp })
    assert.is_nil(r)
    assert.are.equal(RUST_MISSING .. ": cannot run '/nonexistent/cargo': No such file or directory", msg)
    assert.are.equal("missing", code)
    assert.is_false(exists(tmp .. "/peers"))
    helper.rmdir(tmp)
  end)

  it("need: the skip a scenario's setup returns when the toolchain is missing; raises otherwise", function()
    local scenario = require "hotpath.scenario"
    local tmp = helper.tmpdir()
    local b, skip = peers.need("rust", "mandelbrot_single", { cargo = "/nonexistent/cargo", build_root = tmp })
    assert.is_nil(b)
    assert.are.equal(RUST_MISSING .. ": cannot run '/nonexistent/cargo': No such file or directory", scenario.skipped(skip))
    local ok, err = pcall(peers.need, "rust", "nope")
    assert.is_false(ok)
    assert.are.equal("no Rust peer named 'nope' (no " .. RUST_DIR .. "/nope/Cargo.toml)", err)
    helper.rmdir(tmp)
    assert.are.same({ lang = "go", program = "x", build_s = 1.5, cached = true, digest = "d", versions = { go = "1" } },
      peers.record("go", "x", { path = "/p", build_s = 1.5, cached = true, digest = "d", versions = { go = "1" } }))
  end)

  it("versions() lists every toolchain found", function()
    local all = peers.versions()
    local rust, go = assert(peers.toolchain("rust")), assert(peers.toolchain("go"))
    assert.are.same({ cargo = rust.cargo, rustc = rust.rustc, go = go.go }, all)
    assert.are.same({ go = go.go }, peers.versions { cargo = "/nonexistent/cargo" })
  end)
end)

describe("hotpath.peers misuse", function()
  local cases = {
    { { "java", "x" }, "bad argument #1 to 'build' (\"rust\" or \"go\" expected, got \"java\")" },
    { { nil, "x" }, "bad argument #1 to 'build' (\"rust\" or \"go\" expected, got nil)" },
    { { "rust", "../x" }, "bad argument #2 to 'build' (program name expected (letters, digits, _), got \"../x\")" },
    { { "rust", 3 }, "bad argument #2 to 'build' (program name expected (letters, digits, _), got number)" },
    { { "rust", "x", 5 }, "bad argument #3 to 'build' (options table expected, got number)" },
    { { "rust", "x", { carg = "/usr/bin/cargo" } }, "bad argument #3 to 'build' (unknown option 'carg')" },
    { { "rust", "x", { timeout = 0 } }, "bad argument #3 to 'build' (timeout must be a positive number of seconds)" },
    { { "rust", "x", { dir = "" } }, "bad argument #3 to 'build' (dir must be a non-empty string)" },
  }
  for i, c in ipairs(cases) do
    it("raises on bad input " .. i, function()
      local ok, err = pcall(peers.build, unpack(c[1], 1, 3))
      assert.is_false(ok)
      assert.are.equal(c[2], err:gsub("^[^:]+:%d+: ", ""))
    end)
  end

  it("names an unknown program", function()
    local r, msg, code = peers.build("rust", "nope")
    assert.is_nil(r)
    assert.are.equal("no Rust peer named 'nope' (no " .. RUST_DIR .. "/nope/Cargo.toml)", msg)
    assert.are.equal("notfound", code)
    r, msg, code = peers.build("go", "nope", { dir = GO_FIXTURES })
    assert.is_nil(r)
    assert.are.equal("no Go peer named 'nope' (no .go file in " .. GO_FIXTURES .. "/nope)", msg)
    assert.are.equal("notfound", code)
  end)
end)

describe("hotpath.peers Rust builds", function()
  local first

  it("builds mandelbrot_single offline, and its output is the C kernel's", function()
    first = assert(peers.build("rust", "mandelbrot_single"))
    local hex = first.digest:match("^sha256:(%x+)$")
    assert.is_truthy(hex)
    assert.are.equal(BUILD .. "/peers/rust/" .. hex .. "/mandelbrot_single", first.path)
    assert.are.same(assert(peers.toolchain("rust")), first.versions)
    for _, n in ipairs { 200, 201, 7 } do
      local r = run { first.path, tostring(n) }
      assert.is_true(r.ok)
      assert.are.equal(hp.digest(K.mandelbrot(n)), hp.digest(r.stdout))
    end
  end)

  it("writes an offline cargo config that points at Debian's registry", function()
    local out = first.path:match("^(.*)/[^/]+$")
    local config = helper.read(out .. "/cargo-home/config.toml")
    assert.is_truthy(config:find('[source.crates-io]\nreplace-with = "debian"', 1, true))
    assert.is_truthy(config:find('[source.debian]\ndirectory = "/usr/share/cargo/registry"', 1, true))
    assert.is_truthy(config:find('[net]\noffline = true', 1, true))
    -- the workspace as built holds the one program; the lock file lives beside it
    assert.is_truthy(helper.read(out .. "/src/Cargo.toml"):find('members = ["mandelbrot_single"]', 1, true))
    assert.is_true(exists(out .. "/src/Cargo.lock"))
    assert.is_false(exists(RUST_DIR .. "/Cargo.lock"))
    assert.is_false(exists(out .. "/target/release/mandelbrot_single"))
  end)

  it("is a cache hit the second time", function()
    local again = assert(peers.build("rust", "mandelbrot_single"))
    assert.is_true(again.cached)
    assert.are.equal(0, again.build_s)
    assert.are.equal(first.path, again.path)
    assert.are.equal(first.digest, again.digest)
  end)

  it("keys the cache on the program's sources, the workspace manifest and the toolchain", function()
    local tmp, dir = rust_copy()
    local d0 = assert(peers.digest("rust", "mandelbrot_single", { dir = dir }))
    assert.are.equal(first.digest, d0) -- where the sources live does not matter
    append(dir .. "/fannkuch_redux/src/main.rs", "\n// another program\n")
    assert.are.equal(d0, (peers.digest("rust", "mandelbrot_single", { dir = dir })))
    append(dir .. "/mandelbrot_single/src/main.rs", "\n// changed\n")
    local d1 = assert(peers.digest("rust", "mandelbrot_single", { dir = dir }))
    assert.are_not.equal(d0, d1)
    append(dir .. "/Cargo.toml", "\n# changed\n")
    local d2 = assert(peers.digest("rust", "mandelbrot_single", { dir = dir }))
    assert.are_not.equal(d1, d2)
    helper.write(tmp .. "/rustc", "#!/bin/sh\necho 'rustc 9.9.9 (fake)'\n")
    sh("chmod +x '" .. tmp .. "/rustc'")
    local d3, versions = peers.digest("rust", "mandelbrot_single", { dir = dir, rustc = tmp .. "/rustc" })
    assert.are_not.equal(d2, d3)
    assert.are.equal("9.9.9", versions.rustc)
    helper.rmdir(tmp)
  end)

  it("returns the compiler's last lines when a build fails, and writes no stamp", function()
    local tmp, dir = rust_copy()
    helper.write(dir .. "/mandelbrot_single/src/main.rs", "fn main() { let x: u32 = \"no\"; }\n")
    local r, msg, code = peers.build("rust", "mandelbrot_single", { dir = dir, build_root = tmp .. "/b" })
    assert.is_nil(r)
    assert.are.equal("build", code)
    assert.is_truthy(msg:match("^cargo build of Rust peer 'mandelbrot_single' failed %(exited 101%):\n"))
    assert.is_truthy(msg:find("mismatched types", 1, true))
    local hex = assert(peers.digest("rust", "mandelbrot_single", { dir = dir })):match("%x+$")
    assert.is_false(exists(tmp .. "/b/peers/rust/" .. hex .. "/built"))
    helper.rmdir(tmp)
  end)

  -- two processes building the same peer at once (two bench runs) both get a working program:
  -- each builds in its own staging folder; the first rename wins, the second keeps its result
  it("two concurrent builds of one peer both succeed", function()
    local tmp = helper.tmpdir()
    local hex = assert(peers.digest("rust", "mandelbrot_single")):match("%x+$")
    local out = tmp .. "/b/peers/rust/" .. hex
    local code = string.format("package.path, package.cpath = %q, %q ", package.path, package.cpath) ..
      "local b = assert(require('hotpath.peers').build('rust', 'mandelbrot_single', { build_root = '" ..
      tmp .. "/b' })) io.write(b.path, '\\n')"
    helper.write(tmp .. "/two.lua", code)
    local p = io.popen(helper.lua .. " " .. tmp .. "/two.lua & " .. helper.lua .. " " .. tmp .. "/two.lua; wait")
    local got = p:read("*a")
    p:close()
    assert.are.equal(out .. "/mandelbrot_single\n" .. out .. "/mandelbrot_single\n", got)
    assert.are.equal(5011, #run({ out .. "/mandelbrot_single", "200" }).stdout)
    assert.are.same({ hex }, listing(tmp .. "/b/peers/rust"))
    helper.rmdir(tmp)
  end)

  -- the SIMD programs at every width they pick at run time (HOTPATH_PEER_ISA forces the
  -- narrower paths), against the C kernels
  local simd = {
    { "mandelbrot", { 1000 }, function() return K.mandelbrot(1000) end, { "", "sse2", "scalar" } },
    { "mandelbrot", { 203 }, function() return K.mandelbrot(203) end, { "", "sse2", "scalar" } },
    { "fannkuch_redux", { 9 }, function() return K.fannkuch_redux(9) end, { "", "ssse3", "scalar" } },
    { "fannkuch_redux", { 7 }, function() return K.fannkuch_redux(7) end, { "", "ssse3", "scalar" } },
  }
  for _, c in ipairs(simd) do
    local name, args, kernel, isas = unpack(c)
    it(name .. " " .. table.concat(args, " ") .. " matches the C kernel on every SIMD path", function()
      local b = assert(peers.build("rust", name))
      local want = hp.digest(kernel())
      for _, isa in ipairs(isas) do
        local argv = { b.path }
        for _, a in ipairs(args) do argv[#argv + 1] = tostring(a) end
        local r = run(argv, { HOTPATH_PEER_ISA = isa })
        assert.is_true(r.ok)
        assert.are.equal(want, hp.digest(r.stdout), "HOTPATH_PEER_ISA=" .. isa)
      end
    end)
  end
end)

describe("hotpath.peers.list", function()
  it("lists Rust's workspace members, the most dependencies first, then by name", function()
    local d = helper.tmpdir()
    sh("mkdir -p '" .. d .. "/a' '" .. d .. "/b' '" .. d .. "/c' '" .. d .. "/not_a_member'")
    helper.write(d .. "/Cargo.toml", '[workspace]\nmembers = [\n  "b",\n  "c",\n  "a",\n]\n')
    helper.write(d .. "/a/Cargo.toml", '[package]\nname = "a"\n\n[dependencies]\nx = "1"\ny = { version = "1" }\n')
    helper.write(d .. "/b/Cargo.toml", '[package]\nname = "b"\n')
    helper.write(d .. "/c/Cargo.toml", '[package]\nname = "c"\n\n[dependencies]\nx = "1"\ny = "1"\n\n[features]\nz = []\n')
    assert.are.same({ "a", "c", "b" }, peers.list("rust", { dir = d }))
  end)

  it("lists Go's folders with a .go file, the most non-standard imports first", function()
    local d = helper.tmpdir()
    sh("mkdir -p '" .. d .. "/plain' '" .. d .. "/web' '" .. d .. "/empty'")
    helper.write(d .. "/plain/main.go", 'package main\nimport (\n\t"fmt"\n\t"encoding/json"\n)\n')
    helper.write(d .. "/web/main.go", 'package main\nimport (\n\t"fmt"\n\t"github.com/valyala/fasthttp"\n)\n')
    helper.write(d .. "/empty/README", "no Go here\n")
    assert.are.same({ "web", "plain" }, peers.list("go", { dir = d }))
  end)

  it("lists the peers of the source tree: every program folder once", function()
    local function folders(pattern)
      local p = io.popen("cd '" .. helper.root .. "/bench/peers' && ls -d " .. pattern .. " | sed 's|^[^/]*/||; s|/.*||' | LC_ALL=C sort -u")
      local t = {}
      for line in p:read("*a"):gmatch("[^\n]+") do t[#t + 1] = line end
      p:close()
      return t
    end
    for lang, pattern in pairs { rust = "rust/*/Cargo.toml", go = "go/*/*.go" } do
      local got = assert(peers.list(lang))
      table.sort(got)
      assert.are.same(folders(pattern), got)
    end
    assert.are.equal("web_pg", peers.list("rust")[1])
  end)

  it("refuses a workspace manifest without members, and raises on misuse", function()
    local d = helper.tmpdir()
    helper.write(d .. "/Cargo.toml", "[workspace]\n")
    local r, msg, code = peers.list("rust", { dir = d })
    assert.is_nil(r)
    assert.are.equal(d .. "/Cargo.toml: a workspace manifest with a members list expected", msg)
    assert.are.equal("notfound", code)
    local ok, err = pcall(peers.list, "java")
    assert.is_false(ok)
    assert.are.equal("bad argument #1 to 'list' (\"rust\" or \"go\" expected, got \"java\")", err:gsub("^[^:]+:%d+: ", ""))
  end)
end)

describe("hotpath.peers.go_tags", function()
  local CASES = {
    { nil, "" },
    { "", "" },
    { "jsoniter\n", "jsoniter" },
    { "# a comment only\n", "" },
    { "a b\n\tc # d e\n go1.19 x_y\n", "a,b,c,go1.19,x_y" },
  }
  for i, c in ipairs(CASES) do
    it("reads build.tags " .. i, function()
      assert.are.same({ c[2] }, { peers.go_tags(c[1]) })
    end)
  end
  it("refuses a word that is not a tag", function()
    assert.are.same({ nil, "build.tags: \"a,b\" is not a build tag (letters, digits, _ and . only)" },
      { peers.go_tags("a,b") })
  end)
end)

describe("hotpath.peers Go builds", function()
  it("builds a program in GOPATH mode, then hits the cache", function()
    local b = assert(peers.build("go", "hello", { dir = GO_FIXTURES }))
    local hex = b.digest:match("^sha256:(%x+)$")
    assert.are.equal(BUILD .. "/peers/go/" .. hex .. "/hello", b.path)
    assert.are.same(assert(peers.toolchain("go")), b.versions)
    local r = run { b.path, "hotpath" }
    assert.are.equal("hello from hotpath\n", r.stdout)
    local again = assert(peers.build("go", "hello", { dir = GO_FIXTURES }))
    assert.is_true(again.cached)
    assert.are.equal(0, again.build_s)
    assert.are.equal(b.path, again.path)
  end)

  it("passes the tags of build.tags to go build", function()
    local b = assert(peers.build("go", "tagged", { dir = GO_FIXTURES }))
    assert.are.equal("[a b]\n", run({ b.path }).stdout)
  end)

  it("fails a build whose build.tags holds something that is not a tag", function()
    local tmp = helper.tmpdir()
    sh("cp -R '" .. GO_FIXTURES .. "/tagged' '" .. tmp .. "/tagged'")
    helper.write(tmp .. "/tagged/build.tags", "hotpath_a -race\n")
    local r, msg, code = peers.build("go", "tagged", { dir = tmp, build_root = tmp .. "/b" })
    assert.is_nil(r)
    assert.are.equal("build", code)
    assert.are.equal("Go peer 'tagged': build.tags: \"-race\" is not a build tag (letters, digits, _ and . only)", msg)
    helper.rmdir(tmp)
  end)

  it("returns the compiler's last lines when a build fails", function()
    local tmp = helper.tmpdir()
    sh("mkdir -p '" .. tmp .. "/go/broken'")
    helper.write(tmp .. "/go/broken/main.go", "package main\n\nfunc main() { undefinedThing() }\n")
    local r, msg, code = peers.build("go", "broken", { dir = tmp .. "/go", build_root = tmp .. "/b" })
    assert.is_nil(r)
    assert.are.equal("build", code)
    assert.is_truthy(msg:match("^go build of Go peer 'broken' failed %(exited 2%):\n"))
    assert.is_truthy(msg:find("undefined: undefinedThing", 1, true))
    -- the whole log is kept beside where the build would have gone; no staging folder is left
    local hex = assert(peers.digest("go", "broken", { dir = tmp .. "/go" })):match("%x+$")
    assert.is_truthy(helper.read(tmp .. "/b/peers/go/" .. hex .. ".failed.log"):find("undefined: undefinedThing", 1, true))
    assert.are.same({ hex .. ".failed.log", "gocache" }, listing(tmp .. "/b/peers/go"))
    helper.rmdir(tmp)
  end)

  -- builds go to a staging folder renamed into place: a folder left half way (no stamp) is
  -- replaced
  it("replaces a half-built folder", function()
    local tmp = helper.tmpdir()
    local opts = { dir = GO_FIXTURES, build_root = tmp .. "/b" }
    local hex = assert(peers.digest("go", "hello", opts)):match("%x+$")
    local out = tmp .. "/b/peers/go/" .. hex
    sh("mkdir -p '" .. out .. "' && echo junk > '" .. out .. "/hello'")
    local b = assert(peers.build("go", "hello", opts))
    assert.is_false(b.cached)
    assert.are.equal("hello from hotpath\n", run({ b.path, "hotpath" }).stdout)
    assert.are.same({ hex, "gocache" }, listing(tmp .. "/b/peers/go"))
    helper.rmdir(tmp)
  end)
end)
