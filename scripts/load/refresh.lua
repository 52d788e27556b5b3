-- wrk script: the refresh_token grant at POST /token, with rotation.
--
-- Refresh tokens rotate, and presenting one twice ends its whole family,
-- so every request in flight must carry a token of its own. The shell
-- script writes independent refresh tokens (one per family), one a line, to
-- the file named by PV_REFRESH_TOKENS; setup() deals them out to the wrk
-- threads (PV_THREADS of them) and each thread keeps its share as a pool:
-- request() takes a token out, response() puts the new one from the
-- response body back. A thread needs at least as many tokens as it has
-- connections; the shell script gives it twice as many.
--
-- Client authentication (HTTP Basic) comes from the command line:
-- -H "Authorization: ...".

wrk.method = "POST"
wrk.path = "/token"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

-- Main Lua state: runs once per thread before the threads start.
local threads = {}
local all_tokens = nil

function setup(thread)
  if all_tokens == nil then
    all_tokens = {}
    local file = assert(os.getenv("PV_REFRESH_TOKENS"), "PV_REFRESH_TOKENS is not set")
    for line in io.lines(file) do
      if #line > 0 then table.insert(all_tokens, line) end
    end
  end
  local n = tonumber(os.getenv("PV_THREADS") or "1")
  local k = #threads -- 0-based index of this thread
  table.insert(threads, thread)
  local mine = {}
  for i = k + 1, #all_tokens, n do table.insert(mine, all_tokens[i]) end
  thread:set("tokens_text", table.concat(mine, "\n"))
end

-- Per-thread Lua state from here on.
local pool = {}
ok, rejected, unparsed, starved, first_failure = 0, 0, 0, 0, ""

function init(args)
  for t in string.gmatch(tokens_text or "", "[^\n]+") do table.insert(pool, t) end
  pool_size = #pool
end

function request()
  local t = table.remove(pool)
  if t == nil then
    -- No token left (earlier failures ate them): the request will be
    -- refused and counted.
    starved = starved + 1
    t = "none.none"
  end
  return wrk.format(nil, nil, nil, "grant_type=refresh_token&refresh_token=" .. t)
end

function response(status, headers, body)
  if status ~= 200 then
    rejected = rejected + 1
    if first_failure == "" then first_failure = status .. " " .. string.sub(body or "", 1, 200) end
    return
  end
  local rt = string.match(body, '"refresh_token":"([^"]+)"')
  if rt == nil then
    unparsed = unparsed + 1
    return
  end
  ok = ok + 1
  table.insert(pool, rt)
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.2f rps=%.0f ok_rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d\n",
    summary.requests, secs, summary.requests / secs, (summary.requests - e.status) / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
  local t_ok, t_rej, t_unp, t_starved, t_pool, failure = 0, 0, 0, 0, 0, ""
  for _, t in ipairs(threads) do
    t_ok = t_ok + t:get("ok")
    t_rej = t_rej + t:get("rejected")
    t_unp = t_unp + t:get("unparsed")
    t_starved = t_starved + t:get("starved")
    t_pool = t_pool + t:get("pool_size")
    if failure == "" then failure = t:get("first_failure") end
  end
  io.write(string.format(
    "REFRESH tokens=%d rotated=%d rejected=%d unparsed=%d starved=%d\n",
    t_pool, t_ok, t_rej, t_unp, t_starved))
  if failure ~= "" then io.write("FIRST_FAILURE " .. failure .. "\n") end
end
