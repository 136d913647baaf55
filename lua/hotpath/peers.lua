-- hotpath.peers: builds the Go and Rust peers (bench/peers/<lang>/NAME) from source,
-- offline, with Debian's toolchains, into <build root>/peers/<lang>/<digest>/.
--
--   peers.toolchain(lang [, opts])     -> { cargo = "1.65.0", rustc = "1.63.0" } | { go = "1.19.8" }
--                                         or nil, msg, "missing" (msg names the Debian packages)
--   peers.digest(lang, name [, opts])  -> "sha256:<hex>", versions  (the cache key; nil, msg, code)
--   peers.build(lang, name [, opts])   -> { path, build_s, cached, digest, versions }
--                                         or nil, msg, code ("missing", "notfound", "build", "io")
--   peers.versions([opts])             -> every toolchain's versions in one table ({} when none)
--   peers.list(lang [, opts])          -> the language's programs, heaviest build first
--                                         ({ "web_pg", ... }; nil, msg, code)
--
-- opts: cargo, rustc, go (the programs; default /usr/bin/cargo, /usr/bin/rustc, and
-- /usr/lib/go/bin/go or go from PATH; env HOTPATH_CARGO, HOTPATH_RUSTC, HOTPATH_GO), dir (the
-- language's peers folder, default peers/<lang> in the default suites' folder: bench/ of the
-- source tree, or the installed copy), build_root (default $HOTPATH_BUILD, else build/ of the
-- source tree, else a user cache folder: hotpath.paths), timeout (seconds for one build,
-- default 1200).
--
-- The cache key is a sha256 over the program's files, the workspace manifest as built (Rust)
-- and the toolchain versions: a build happens only when one of them changed, and a cached
-- build costs the digest (a few file reads) and the toolchain probe.
--
-- Rust: the workspace manifest is copied with `members` cut down to the one program, so cargo
-- resolves (and needs the Debian crates of) that program alone; CARGO_HOME in the build folder
-- holds a config.toml that replaces crates.io by /usr/share/cargo/registry, offline, so a
-- user's own cargo config cannot interfere; Cargo.lock and target/ live in the build folder,
-- never in the source tree; target/ is removed once the binary is copied out.
-- Go: GOPATH mode (GO111MODULE=off, GOPATH=/usr/share/gocode, GOPROXY=off), GOCACHE shared
-- by the Go builds under <build root>/peers/go/gocache. A `build.tags` file in the program's
-- folder declares build tags (names separated by blanks or newlines, `#` starts a comment),
-- passed as `go build -tags=a,b`; it is one of the program's files, so it enters the digest.
local type, pairs, ipairs, format, concat, sort = type, pairs, ipairs, string.format, table.concat, table.sort
local open, getenv, require, setmetatable = io.open, os.getenv, require, setmetatable
local util = require "hotpath.util"
local paths = require "hotpath.paths"

local peers = {}

local REGISTRY = "/usr/share/cargo/registry"
local RUST_PACKAGES = "cargo rustc librust-num-bigint-dev librust-num-integer-dev librust-tokio-dev " ..
  "librust-hyper-dev librust-tokio-postgres-dev librust-serde-dev librust-serde-derive-dev librust-serde-json-dev"
local MISSING = {
  rust = "Rust peers skipped: install Debian's cargo and rustc (apt-get install " .. RUST_PACKAGES .. ")",
  go = "Go peers skipped: install Debian's golang-go (apt-get install golang-go golang-github-json-iterator-go-dev " ..
    "golang-github-valyala-fasthttp-dev golang-github-gin-gonic-gin-dev golang-github-jackc-pgx-v4-dev)",
}
local KEY_VERSION = "hotpath peers 1" -- bump when the build recipe below changes

local function proc() return require("hotpath").proc end

local read = require("hotpath.machine").read -- a whole file, or nil
local exists = require("hotpath.machine").exists

local function write(path, text)
  local f, err = open(path, "wb")
  if not f then return nil, err end
  local ok, werr = f:write(text)
  f:close()
  if not ok then return nil, werr end
  return true
end

-- Runs argv (a list) to completion; returns the proc result, or nil, msg when it failed to
-- start or did not exit 0 (msg: the command and its last stderr lines).
local function run(argv, extra)
  local t = { argv = argv, keep_stdout = true, keep_stderr = 65536, timeout = 120 }
  for k, v in pairs(extra or {}) do t[k] = v end
  local r, err = proc().run(t)
  if not r then return nil, err end
  if not r.ok then
    return nil, format("%s: %s%s", argv[1], r.status, r.stderr ~= "" and ("\n" .. r.stderr) or ""), r
  end
  return r
end

local absolute = paths.absolute

local function last_lines(text, n)
  local lines = {}
  for l in (text or ""):gmatch("[^\n]+") do lines[#lines + 1] = l end
  local from = #lines - n + 1
  return concat(lines, "\n", from > 1 and from or 1)
end

local LANGS = { rust = true, go = true }
local OPTS = { cargo = true, rustc = true, go = true, dir = true, build_root = true, timeout = true }

-- Checks (lang, name, opts) of the API function fname; raises on misuse.
local function check(fname, lang, name, opts, has_name)
  if not LANGS[lang] then
    util.argerror(1, fname, "\"rust\" or \"go\" expected, got " .. (type(lang) == "string" and format("%q", lang) or util.typename(lang)), 2)
  end
  local pos = 2
  if has_name then
    if type(name) ~= "string" or not name:match("^[%w_]+$") then
      util.argerror(2, fname, "program name expected (letters, digits, _), got " .. (type(name) == "string" and format("%q", name) or util.typename(name)), 2)
    end
    pos = 3
  end
  opts = util.checkopts(opts, pos, fname, 2, OPTS)
  for _, k in ipairs { "cargo", "rustc", "go", "dir", "build_root" } do
    if opts[k] ~= nil and (type(opts[k]) ~= "string" or opts[k] == "") then
      util.argerror(pos, fname, k .. " must be a non-empty string", 2)
    end
  end
  if opts.timeout ~= nil and (type(opts.timeout) ~= "number" or not (opts.timeout > 0)) then
    util.argerror(pos, fname, "timeout must be a positive number of seconds", 2)
  end
  return opts
end

-- The toolchain's programs and versions: { versions = {...}, cargo/rustc/go = path }, or nil,
-- msg, "missing".
local function probe(lang, opts)
  if lang == "rust" then
    local cargo = opts.cargo or getenv("HOTPATH_CARGO") or "/usr/bin/cargo"
    local rustc = opts.rustc or getenv("HOTPATH_RUSTC") or "/usr/bin/rustc"
    local c, cerr = run { cargo, "--version" }
    local r, rerr = run { rustc, "--version" }
    local cv = c and c.stdout:match("^cargo (%S+)")
    local rv = r and r.stdout:match("^rustc (%S+)")
    if not (cv and rv) then
      return nil, MISSING.rust .. ": " .. last_lines(cerr or rerr or "unexpected --version output", 1), "missing"
    end
    return { versions = { cargo = cv, rustc = rv }, cargo = cargo, rustc = rustc }
  end
  local go = opts.go or getenv("HOTPATH_GO") or (exists("/usr/lib/go/bin/go") and "/usr/lib/go/bin/go" or "go")
  local g, gerr = run { go, "version" }
  local gv = g and g.stdout:match("^go version go(%S+)")
  if not gv then
    return nil, MISSING.go .. ": " .. last_lines(gerr or "unexpected version output", 1), "missing"
  end
  return { versions = { go = gv }, go = go }
end

function peers.toolchain(lang, opts)
  opts = check("toolchain", lang, nil, opts, false)
  local tc, err, code = probe(lang, opts)
  if not tc then return nil, err, code end
  return tc.versions
end

function peers.versions(opts)
  opts = util.checkopts(opts, 1, "versions", 1, OPTS)
  local all = {}
  for _, lang in ipairs { "rust", "go" } do
    local tc = probe(lang, opts)
    if tc then
      for k, v in pairs(tc.versions) do all[k] = v end
    end
  end
  return all
end

-- The files of a folder (relative paths, sorted), without build output.
local function files(dir)
  local r, err = run { "find", dir, "-type", "f", "-not", "-path", "*/target/*", "-not", "-name", "Cargo.lock" }
  if not r then return nil, err end
  local list = {}
  for line in r.stdout:gmatch("[^\n]+") do list[#list + 1] = line:sub(#dir + 2) end
  sort(list)
  return list
end

-- The Rust workspace manifest as built: `members` holds the one program.
local function rust_manifest(text, name)
  local out, n = text:gsub("members%s*=%s*%b[]", format("members = [%q]", name), 1)
  if n ~= 1 then return nil end
  return out
end

-- The language's peers folder, absolute: opts.dir, else peers/<lang> in the default suites'
-- folder; or nil, msg.
local function peers_dir(lang, opts)
  if opts.dir then return absolute(opts.dir) end
  local suites, err = paths.suites()
  if not suites then return nil, err end
  return absolute(suites .. "/peers/" .. lang)
end

-- Everything a build needs: source folder, program folder, digest, versions, toolchain.
local function plan(lang, name, opts)
  local tc, err, code = probe(lang, opts)
  if not tc then return nil, err, code end
  local dir, derr = peers_dir(lang, opts)
  if not dir then return nil, derr, "notfound" end
  local src = dir .. "/" .. name
  local p = { lang = lang, name = name, dir = dir, src = src, tc = tc, versions = tc.versions }
  local parts = { KEY_VERSION, lang, name }
  local keys = {}
  for k in pairs(tc.versions) do keys[#keys + 1] = k end
  sort(keys)
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. tc.versions[k] end
  if lang == "rust" then
    if not exists(src .. "/Cargo.toml") then
      return nil, format("no Rust peer named '%s' (no %s/Cargo.toml)", name, src), "notfound"
    end
    local ws = read(dir .. "/Cargo.toml")
    p.manifest = ws and rust_manifest(ws, name)
    if not p.manifest then
      return nil, format("%s/Cargo.toml: a workspace manifest with a members list expected", dir), "notfound"
    end
    parts[#parts + 1] = "Cargo.toml\0" .. #p.manifest .. "\0" .. p.manifest
  end
  local list, ferr = files(src)
  if lang == "go" then
    local has_go = false
    for _, f in ipairs(list or {}) do has_go = has_go or f:match("%.go$") ~= nil end
    if not has_go then
      return nil, format("no Go peer named '%s' (no .go file in %s)", name, src), "notfound"
    end
  end
  if not list then return nil, ferr, "io" end
  for _, f in ipairs(list) do
    local text = read(src .. "/" .. f)
    if not text then return nil, "cannot read " .. src .. "/" .. f, "io" end
    parts[#parts + 1] = name .. "/" .. f .. "\0" .. #text .. "\0" .. text
  end
  p.digest = require("hotpath").digest(concat(parts, "\n"))
  local root, rerr = opts.build_root, nil
  if not root then root, rerr = paths.build_root() end
  if not root then return nil, rerr, "io" end
  root = absolute(root)
  p.root = root .. "/peers/" .. lang
  p.out = p.root .. "/" .. p.digest:match("^sha256:(%x+)$")
  p.path = p.out .. "/" .. name
  p.stamp = p.out .. "/built"
  return p
end

-- The programs of lang's peers folder (opts.dir as for build): Rust's workspace members, Go's
-- folders with a .go file. Ordered by their declared dependencies, most first (Rust: the
-- lines of [dependencies]; Go: the imports outside the standard library), then by name, so
-- that builds run in parallel start with the longest.
function peers.list(lang, opts)
  opts = check("list", lang, nil, opts, false)
  local dir, derr = peers_dir(lang, opts)
  if not dir then return nil, derr, "notfound" end
  local names, weight = {}, {}
  if lang == "rust" then
    local ws = read(dir .. "/Cargo.toml")
    local members = ws and ws:match("members%s*=%s*(%b[])")
    if not members then
      return nil, format("%s/Cargo.toml: a workspace manifest with a members list expected", dir), "notfound"
    end
    for name in members:gmatch('"([%w_]+)"') do
      local manifest = read(dir .. "/" .. name .. "/Cargo.toml") or ""
      local deps = manifest:match("%[dependencies%]\n(.-)\n%[") or manifest:match("%[dependencies%]\n(.*)$") or ""
      local n = 0
      for line in deps:gmatch("[^\n]+") do
        if line:match("^%s*[%w_-]+%s*=") then n = n + 1 end
      end
      names[#names + 1], weight[name] = name, n
    end
  else
    local r, err = run { "find", dir, "-mindepth", "2", "-maxdepth", "2", "-name", "*.go" }
    if not r then return nil, err, "io" end
    for file in r.stdout:gmatch("[^\n]+") do
      local name = file:sub(#dir + 2):match("^([%w_]+)/")
      if name and not weight[name] then names[#names + 1], weight[name] = name, 0 end
      local text = name and read(file) or ""
      for _ in text:gmatch('"[%w_.-]+%.[%w_.-]+/[^"]+"') do weight[name] = weight[name] + 1 end
    end
  end
  sort(names, function(a, b)
    if weight[a] ~= weight[b] then return weight[a] > weight[b] end
    return a < b
  end)
  return names
end

function peers.digest(lang, name, opts)
  opts = check("digest", lang, name, opts, true)
  local p, err, code = plan(lang, name, opts)
  if not p then return nil, err, code end
  return p.digest, p.versions
end

local CARGO_CONFIG = [[
# Written by hotpath.peers: crates come from Debian's librust-*-dev packages only.
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "]] .. REGISTRY .. [["

[net]
offline = true
]]

-- Builds p.path; returns true or nil, msg, code.
local function build_rust(p, opts)
  local home = p.out .. "/cargo-home"
  local ws = p.out .. "/src"
  local ok, err = run { "rm", "-rf", ws, p.out .. "/target" }
  if ok then ok, err = run { "mkdir", "-p", home, ws } end
  if ok then ok, err = write(home .. "/config.toml", CARGO_CONFIG) end
  if ok then ok, err = write(ws .. "/Cargo.toml", p.manifest) end
  if ok then ok, err = run { "cp", "-R", p.src, ws .. "/" .. p.name } end
  if ok then ok, err = run { "rm", "-rf", ws .. "/" .. p.name .. "/target", ws .. "/" .. p.name .. "/Cargo.lock" } end
  if not ok then return nil, err, "io" end
  local r, berr = proc().run {
    argv = { p.tc.cargo, "build", "--release", "--offline", "-p", p.name },
    cwd = ws, timeout = opts.timeout or 1200, keep_stderr = 65536,
    env = { CARGO_HOME = home, CARGO_TARGET_DIR = p.out .. "/target", RUSTC = p.tc.rustc,
      RUSTFLAGS = "", CARGO_BUILD_RUSTFLAGS = "", CARGO_TERM_COLOR = "never", CARGO_INCREMENTAL = "0" },
  }
  if not r then return nil, berr, "build" end
  write(p.out .. "/build.log", r.stderr or "")
  if not r.ok then
    return nil, format("cargo build of Rust peer '%s' failed (%s):\n%s", p.name, r.status, last_lines(r.stderr, 20)), "build"
  end
  ok, err = run { "cp", p.out .. "/target/release/" .. p.name, p.path }
  if ok then ok, err = run { "rm", "-rf", p.out .. "/target" } end
  if not ok then return nil, err, "io" end
  return true
end

-- The build tags a Go peer declares in its build.tags file: "" when it has none, or nil, msg
-- when a name is not a valid tag (letters, digits, _ and .).
function peers.go_tags(text)
  local tags = {}
  for line in (text or ""):gmatch("[^\n]+") do
    for word in line:gsub("#.*$", ""):gmatch("%S+") do
      if not word:match("^[%w_.]+$") then
        return nil, format("build.tags: %q is not a build tag (letters, digits, _ and . only)", word)
      end
      tags[#tags + 1] = word
    end
  end
  return concat(tags, ",")
end

local function build_go(p, opts)
  local cache = p.root .. "/gocache"
  local ok, err = run { "mkdir", "-p", p.out, cache }
  if not ok then return nil, err, "io" end
  local tags, terr = peers.go_tags(read(p.src .. "/build.tags"))
  if not tags then return nil, format("Go peer '%s': %s", p.name, terr), "build" end
  local argv = { p.tc.go, "build", "-o", p.path, "." }
  if tags ~= "" then argv = { p.tc.go, "build", "-tags=" .. tags, "-o", p.path, "." } end
  local r, berr = proc().run {
    argv = argv,
    cwd = p.src, timeout = opts.timeout or 1200, keep_stderr = 65536,
    env = { GO111MODULE = "off", GOPATH = "/usr/share/gocode", GOPROXY = "off", GOFLAGS = "",
      GOENV = "off", GOCACHE = cache },
  }
  if not r then return nil, berr, "build" end
  write(p.out .. "/build.log", r.stderr or "")
  if not r.ok then
    return nil, format("go build of Go peer '%s' failed (%s):\n%s", p.name, r.status, last_lines(r.stderr, 20)), "build"
  end
  return true
end

-- Builds into a private staging folder beside the final one, then renames it into place: two
-- processes building the same peer at once (two bench runs, a helper's spec) never write into
-- each other's folder, and the final folder only ever holds a finished build. The loser of the
-- race keeps the winner's build and removes its own.
function peers.build(lang, name, opts)
  opts = check("build", lang, name, opts, true)
  local p, err, code = plan(lang, name, opts)
  if not p then return nil, err, code end
  local res = { path = p.path, digest = p.digest, versions = p.versions }
  if exists(p.stamp) and exists(p.path) then
    res.cached, res.build_s = true, 0
    return res
  end
  local ok, merr = run { "mkdir", "-p", p.root }
  if not ok then return nil, merr, "io" end
  local made, serr = run { "mktemp", "-d", p.out .. ".stage-XXXXXX" }
  if not made then return nil, serr, "io" end
  local stage = made.stdout:gsub("%s+$", "")
  local q = setmetatable({ out = stage, path = stage .. "/" .. name, stamp = stage .. "/built" }, { __index = p })
  local hp = require "hotpath"
  local t0 = hp.clock()
  local built, berr, bcode
  if lang == "rust" then
    built, berr, bcode = build_rust(q, opts)
  else
    built, berr, bcode = build_go(q, opts)
  end
  if built then
    res.cached, res.build_s = false, hp.clock() - t0
    built, berr = write(q.stamp, format("build_s = %.3f\n", res.build_s))
    bcode = "io"
  end
  if built then
    built, berr = run { "mv", "-T", stage, p.out }
    if not built and exists(p.stamp) and exists(p.path) then
      built = true -- another process finished the same build first: its copy is kept
    elseif not built then
      -- a folder without a stamp: a build an older hotpath stopped half way, replaced
      run { "rm", "-rf", p.out }
      built, berr = run { "mv", "-T", stage, p.out }
    end
    bcode = "io"
  end
  if not built and exists(stage .. "/build.log") then
    run { "mv", "-f", stage .. "/build.log", p.out .. ".failed.log" }
  end
  run { "rm", "-rf", stage }
  if not built then return nil, berr, bcode end
  return res
end

local LANG_NAME = { rust = "Rust", go = "Go" }

-- The fields of a command scenario that runs a peer (for hp.scenario): def holds the
-- scenario's own fields (params, quick, verify, baseline, reference, note, timeout, headline)
-- and
--   args = function(p) -> list   the program's arguments (default: none)
--   stdin = function(p) -> str   its input, made in setup (untimed, once per scenario)
-- The build runs in setup, untimed (cached by source digest); a missing toolchain makes the
-- scenario skipped with the packages to install; a failed build fails it with the compiler's
-- lines. The build (time, cache hit, digest, toolchain versions) goes into the results.
-- For a scenario's setup: the built peer (peers.build, opts as there), or nil and the skip marker the setup
-- returns when the toolchain is missing; any other failure raises (the scenario fails with
-- the compiler's lines).
function peers.need(lang, name, opts)
  local b, err, code = peers.build(lang, name, opts)
  if b then return b end
  if code == "missing" then return nil, require("hotpath").skip(err) end
  error(err, 0)
end

-- What a result records of the peer it ran (b: peers.build's table).
function peers.record(lang, name, b)
  return { lang = lang, program = name, build_s = b.build_s, cached = b.cached, digest = b.digest,
    versions = b.versions }
end

function peers.scenario(lang, name, def)
  local s = {}
  for k, v in pairs(def) do
    if k ~= "args" and k ~= "stdin" then s[k] = v end
  end
  local args, stdin = def.args, def.stdin
  if s.headline and s.headline.peer == true then s.headline.peer = LANG_NAME[lang] end
  s.setup = function(p)
    local b, skip = peers.need(lang, name)
    if not b then return skip end
    return { path = b.path, input = stdin and stdin(p) or nil, record = { peer = peers.record(lang, name, b) } }
  end
  s.command = function(p, _, st)
    local argv = { st.path }
    for _, a in ipairs(args and args(p) or {}) do argv[#argv + 1] = a end
    return argv, st.input
  end
  return s
end

return peers
