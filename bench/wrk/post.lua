-- wrk script: POST a JSON body read from a file, report the latency distribution as one JSON line.
--   wrk -t1 -c16 -d3s --latency -s bench/wrk/post.lua http://127.0.0.1:PORT/v1/chat/completions -- body.json [bearer-token]
-- done() prints a line starting with "GWBENCH_JSON " (latencies in microseconds).

function init(args)
   local f = assert(io.open(args[1], "rb"))
   wrk.body = f:read("*a")
   f:close()
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   if args[2] and args[2] ~= "" then
      wrk.headers["Authorization"] = "Bearer " .. args[2]
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   local p = {}
   for _, q in ipairs({50, 75, 90, 99, 99.9}) do
      p[#p + 1] = string.format('"%s":%d', tostring(q), latency:percentile(q))
   end
   io.write(string.format(
      'GWBENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"min":%d,"max":%d,"mean":%.1f,"stdev":%.1f,"percentiles":{%s}}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.max, latency.mean, latency.stdev, table.concat(p, ",")))
end
