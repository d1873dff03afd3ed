-- wrk script for bench/load.py: GETs the paths listed in $LOAD_PATHS in
-- turn (each thread from its own offset), and prints one JSON line at the end.
local paths = {}
for line in io.lines(os.getenv("LOAD_PATHS")) do
  paths[#paths + 1] = line
end
local i = 0

setup = function(thread)
  thread:set("offset", math.random(#paths))
end

init = function(args)
  i = tonumber(offset) or 0
end

request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end

done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
