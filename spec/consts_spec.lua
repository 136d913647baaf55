-- hotpath.consts: the C ABI's named integer constants, generated from the headers by
-- tools/gen_consts.sh, so that no limit, code or enum of the core is copied into Lua by hand.
local hp = require "hotpath"
local K = require "hotpath.consts"

-- The generator's output for some headers, loaded as a table.
local function generate(...)
  local r = assert(hp.proc.run { argv = { "sh", "tools/gen_consts.sh", ... }, keep_stdout = true })
  assert.is_true(r.ok, r.stderr)
  return assert((loadstring or load)(r.stdout))()
end

describe("hotpath.consts", function()
  it("reads enumerators whatever the comments around them", function()
    assert.same({ HP_FIX_PLAIN = 1, HP_FIX_HEX = 0x10, HP_FIX_NEGATIVE = -1, HP_FIX_AFTER = 7, HP_FIX_ONE_LINE = 3 },
      generate("spec/fixtures/consts_abi.h"))
  end)

  it("has the constants the Lua layer uses, with the core's values", function()
    for name, v in pairs {
      HP_SERVER_PLAINTEXT = 1, HP_SERVER_JSON = 2, HP_SERVER_RESET = 3, HP_SERVER_STALL = 4, HP_SERVER_DB = 5,
      HP_SERVER_MAX_THREADS = 1024, HP_POOL_MAX_THREADS = 1024, HP_BATCH_MAX_BITS = 40, HP_LOAD_MAX_PHASES = 32,
      HP_REDUCE_SUM = 0, HP_REDUCE_MIN = 1, HP_REDUCE_MAX = 2, HP_DIGEST_SHA256 = 1, HP_DIGEST_MD5 = 2,
    } do
      assert.equal(v, K[name], name)
    end
    local http = require "hotpath.http"
    assert.same({ plaintext = 1, json = 2, reset = 3, stall = 4, db = 5 }, http.TESTS)
  end)
end)
