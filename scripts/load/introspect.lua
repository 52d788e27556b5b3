-- wrk script: token introspection (RFC 7662) at POST /introspect.
--
-- The shell script writes access tokens (the demo person's, each from its
-- own code exchange, so each has its own refresh family and jti), one a
-- line, to the file named by PV_ACCESS_TOKENS. Each thread formats one
-- request per token once (init) and cycles through them, so wrk spends
-- little CPU per request. Client authentication (HTTP Basic) comes from the
-- command line: -H "Authorization: ...". Every answer must say
-- "active":true; anything else is counted.

wrk.method = "POST"
wrk.path = "/introspect"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("offset", #threads)
end

local requests_ = {}
local i = 0
active, inactive, first_failure = 0, 0, ""

function init(args)
  local file = assert(os.getenv("PV_ACCESS_TOKENS"), "PV_ACCESS_TOKENS is not set")
  for line in io.lines(file) do
    if #line > 0 then
      table.insert(requests_, wrk.format(nil, nil, nil, "token=" .. line))
    end
  end
  -- Threads start at different tokens.
  i = (offset or 0) * 7
end

function request()
  i = i + 1
  if i > #requests_ then i = 1 end
  return requests_[i]
end

function response(status, headers, body)
  if status == 200 and string.find(body, '"active":true', 1, true) then
    active = active + 1
  else
    inactive = inactive + 1
    if first_failure == "" then first_failure = status .. " " .. string.sub(body or "", 1, 200) end
  end
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
  local a, n, failure = 0, 0, ""
  for _, t in ipairs(threads) do
    a = a + t:get("active")
    n = n + t:get("inactive")
    if failure == "" then failure = t:get("first_failure") end
  end
  io.write(string.format("INTROSPECT active=%d not_active=%d\n", a, n))
  if failure ~= "" then io.write("FIRST_FAILURE " .. failure .. "\n") end
end
