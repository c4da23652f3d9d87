-- Fixed rate: RATE alerts/s in total, split evenly across wrk's threads.
-- Each connection, when free, takes the thread's next send slot (slots are
-- 1/rate apart) and waits for it through wrk's delay() hook, so the offered
-- rate does not depend on the server's latency as long as enough
-- connections are free. wrk times each request from its write to the end
-- of its response (the ack latency).
--   wrk -t T -c C -s rate.lua URL -- PREFIX RATE T
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./")
  .. "?.lua;" .. package.path
local alert = require("alert_payload")

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("tid", #threads)
end

local prefix, n, interval, next_slot = "rate", 0, 0.01, nil
late = 0 -- global: read by done() through thread:get
function init(args)
  prefix = args[1] or prefix
  local rate = tonumber(args[2] or "100")
  local nthreads = tonumber(args[3] or "1")
  interval = nthreads / rate
end

function delay()
  local now = alert.now()
  if not next_slot then next_slot = now end
  local slot = next_slot
  next_slot = next_slot + interval
  local wait = (slot - now) * 1000
  if wait < 0 then
    if wait < -1 then late = late + 1 end -- sent over 1 ms behind schedule
    return 0
  end
  return wait
end

function request()
  n = n + 1
  return alert.request(prefix, tid, n)
end

function done(summary, latency, requests)
  local late_total = 0
  for _, t in ipairs(threads) do late_total = late_total + (t:get("late") or 0) end
  alert.report(summary, latency, { late_sends = late_total })
end
