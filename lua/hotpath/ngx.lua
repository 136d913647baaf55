-- hotpath.ngx (internal): waiting inside nginx's Lua module (lua-nginx-module, OpenResty)
-- without blocking the worker. An nginx worker serves every request of its connections on one
-- thread; a C wait (a pool batch, the load generator) there stalls them all. Where the running
-- code may yield (a request handler or a timer), a wait instead polls with ngx.sleep, which
-- hands the worker back to nginx between polls; elsewhere (plain Lua, or an nginx phase that
-- cannot yield) the caller gets nil and does its ordinary blocking wait, or refuses.
--
-- ngx.sleep(0) is not used: without OpenResty's delayed-events patch (Debian's nginx) it logs
-- a warning on every call and does not yield to other requests. ngx.sleep(0.001) arms a timer
-- and works on both (doc/openresty.md).
local rawget, type, pcall = rawget, type, pcall

local M = {}

-- Phases of lua-nginx-module in which ngx.sleep may yield (its documented contexts).
local YIELDABLE = {
  rewrite = true, access = true, content = true, timer = true, ssl_cert = true,
  ssl_session_fetch = true, ssl_client_hello = true, preread = true,
}

-- The first and the longest sleep between two polls (seconds): a wait that ends soon is
-- noticed within a millisecond or two; a long one polls about 100 times a second at most.
M.FIRST_SLEEP, M.MAX_SLEEP = 0.001, 0.01

-- context() -> the ngx table when running in an nginx phase that may yield, else nil; and,
-- in nginx, the phase's name (so that callers can name it when they refuse).
function M.context()
  local ngx = rawget(_G, "ngx")
  if type(ngx) ~= "table" or type(ngx.get_phase) ~= "function" then return nil end
  local ok, phase = pcall(ngx.get_phase)
  if not ok then return nil end
  if YIELDABLE[phase] then return ngx, phase end
  return nil, phase
end

-- await(ngx, done, timeout) -> true once done() returns true, false when timeout seconds (a
-- negative one: no limit) passed first. Polls done() between ngx.sleep calls whose length
-- doubles from FIRST_SLEEP to MAX_SLEEP. Yields the running request; never blocks.
function M.await(ngx, done, timeout)
  if done() then return true end
  local sleep, now = ngx.sleep, ngx.now
  ngx.update_time()
  local deadline = timeout >= 0 and now() + timeout or nil
  local pause = M.FIRST_SLEEP
  while true do
    local d = pause
    if deadline then
      ngx.update_time()
      local left = deadline - now()
      if left <= 0 then return done() end
      if left < d then d = left > M.FIRST_SLEEP and left or M.FIRST_SLEEP end
    end
    sleep(d)
    if done() then return true end
    pause = pause * 2
    if pause > M.MAX_SLEEP then pause = M.MAX_SLEEP end
  end
end

return M
