-- wrk script: sends pre-signed raw requests from a file and prints the results as one JSON line.
-- Arguments (after `--`): <request file> <mode> <thread count>
--   mode "cycle": every thread repeats the whole file (a read, or the hello-world baseline);
--   mode "once":  thread i sends records i, i+n, i+2n, ... once each (distinct StartIncident tokens),
--                 and stops when its slice runs out rather than replay a token.

local threads = {}
local next_id = 0

-- Harmless when sent after a slice ran out: unsigned, so the server refuses it without changing state.
local EXHAUSTED = "GET /bench-slice-exhausted HTTP/1.1\r\nHost: bench\r\n\r\n"

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   local path, mode, nthreads = args[1], args[2], tonumber(args[3])
   once = (mode == "once")
   reqs = {}
   local file = assert(io.open(path, "rb"))
   local index = 0
   while true do
      local header = file:read("*l")
      if not header then break end
      local data = file:read(tonumber(header))
      if not once or index % nthreads == id then
         reqs[#reqs + 1] = data
      end
      index = index + 1
   end
   file:close()
   position = 1
   sent = 0
   exhausted = 0
end

function request()
   if position > #reqs then
      if once then
         exhausted = 1
         wrk.thread:stop()
         return EXHAUSTED
      end
      position = 1
   end
   local data = reqs[position]
   position = position + 1
   sent = sent + 1
   return data
end

function done(summary, latency, requests)
   local sent_total, exhausted_total = 0, 0
   for _, thread in ipairs(threads) do
      sent_total = sent_total + thread:get("sent")
      exhausted_total = exhausted_total + thread:get("exhausted")
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"mean":%.1f,"max":%d},' ..
      '"sent":%d,"exhausted_threads":%d}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
      latency.mean, latency.max, sent_total, exhausted_total))
end
