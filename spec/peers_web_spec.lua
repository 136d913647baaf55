-- The HTTP peers of bench/http.lua (bench/peers/rust/web_hyper, bench/peers/go/web_nethttp,
-- web_fasthttp, web_gin): each built once by hotpath.peers, started on a free port, and its
-- plaintext and json responses pass the TechEmpower check; pipelined requests are all answered;
-- other paths are 404s; a missing --port is a usage error. Pending where a toolchain is missing.
local hp = require "hotpath"
local te = require "hotpath.http.techempower"
local peers = require "hotpath.peers"

local USAGE = " --port P [--threads N] [--duration S]\n"
local SERVERS = {
  { "rust", "web_hyper", "web_hyper: --port is required\nusage: web_hyper" .. USAGE },
  { "go", "web_nethttp", "usage: web_nethttp" .. USAGE },
  { "go", "web_fasthttp", "usage: web_fasthttp" .. USAGE },
  { "go", "web_gin", "usage: web_gin" .. USAGE },
}

for _, sv in ipairs(SERVERS) do
  local lang, name, usage = sv[1], sv[2], sv[3]
  describe("HTTP peer " .. name, function()
    local missing = select(2, peers.toolchain(lang))
    if missing then
      pending(missing)
      return
    end
    local bin, server
    setup(function()
      local b = assert(peers.build(lang, name, { timeout = 1200 }))
      bin = b.path
      server = assert(hp.http.start { command = { bin, "--port", "{port}", "--threads", "1", "--duration", "60" }, duration = 60 })
    end)
    teardown(function()
      if server then server:stop() end
    end)

    for _, test in ipairs { "plaintext", "json" } do
      it("answers /" .. test .. " by the TechEmpower rules", function()
        assert.are.same({ true }, { te.check(server.url .. test, test) })
      end)
    end

    it("answers every pipelined request with a 200", function()
      local r = assert(hp.http.load { url = server.url .. "plaintext", requests = 320, connections = 4, pipeline = 16, timeout = 5 })
      assert.are.same({ ["200"] = 320 }, r.status)
      assert.are.equal(0, r.errors.total)
      r = assert(hp.http.load { url = server.url .. "json", requests = 100, connections = 2, timeout = 5 })
      assert.are.same({ ["200"] = 100 }, r.status)
    end)

    it("answers other paths with 404", function()
      local r = assert(hp.http.load { url = server.url .. "nothing", requests = 5, connections = 1, timeout = 5 })
      assert.are.same({ ["404"] = 5 }, r.status)
    end)

    it("exits 2 with its usage without --port", function()
      local r = assert(hp.proc.run { argv = { bin }, keep_stdout = true, keep_stderr = 4096, timeout = 30 })
      assert.are.equal("exited 2", r.status)
      assert.are.equal(usage, r.stderr)
    end)
  end)
end
