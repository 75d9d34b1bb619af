-- wrk script: replay prepared requests, each connection taking the next unused one.
--
--   wrk -s bench/requests.lua http://127.0.0.1:PORT -- FILE OFFSET THREADS
--
-- FILE has one request a line: METHOD <tab> PATH <tab> COOKIE <tab> BODY.
-- Requests are spread over wrk's threads without overlap (thread t takes
-- t, t + THREADS, t + 2 * THREADS … after OFFSET), so that a list of one-off
-- writes (quiz submissions) is never sent twice while it lasts.

local threads_made = 0

function setup(thread)
  thread:set("id", threads_made)
  threads_made = threads_made + 1
end

function init(args)
  requests = {}
  offset = tonumber(args[2] or "0")
  nthreads = tonumber(args[3] or "1")
  counter = 0
  for line in io.lines(args[1]) do
    local method, path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = { ["User-Agent"] = "academy-bench" }
    if cookie ~= "" then
      headers["Cookie"] = cookie
    end
    if body == "" then
      body = nil
    else
      headers["Content-Type"] = "application/x-www-form-urlencoded"
    end
    requests[#requests + 1] = wrk.format(method, path, headers, body)
  end
end

function request()
  local index = (offset + counter * nthreads + id) % #requests + 1
  counter = counter + 1
  return requests[index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %d, "bytes": %d, "status_errors": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read,
    e.write, e.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
