-- Burst: exactly TOTAL distinct alerts (TOTAL/threads per wrk thread) sent
-- as fast as the connections allow; then the connections idle until wrk's
-- -d ends. Wall time runs from the first send to the last answer (a
-- monotonic clock shared by the threads), not wrk's -d.
--   wrk -t T -c C -d D -s burst.lua URL -- PREFIX TOTAL T
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./")
  .. "?.lua;" .. package.path
local alert = require("alert_payload")

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("tid", #threads)
end

prefix, quota, issued, answered = "burst", 0, 0, 0
s2xx, s4xx, s5xx, sother = 0, 0, 0, 0
t_first, t_last = nil, nil
function init(args)
  prefix = args[1] or prefix
  local nthreads = tonumber(args[3] or "1")
  quota = math.floor(tonumber(args[2] or "10000") / nthreads)
end

function delay()
  if issued >= quota then return 3600 * 1000 end -- done: idle till -d ends
  issued = issued + 1
  if not t_first then t_first = alert.now() end
  return 0
end

local n = 0 -- requests built; delay() runs ahead of request() by up to
            -- one call per connection, so `issued` cannot name them
function request()
  n = n + 1
  return alert.request(prefix, tid, n)
end

function response(status, headers, body)
  answered = answered + 1
  if status >= 200 and status < 300 then s2xx = s2xx + 1
  elseif status >= 500 then s5xx = s5xx + 1
  elseif status >= 400 then s4xx = s4xx + 1
  else sother = sother + 1 end
  if answered >= quota then
    t_last = alert.now()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local sum = { sent = 0, answered = 0, s2xx = 0, s4xx = 0, s5xx = 0, sother = 0 }
  local first, last, complete = nil, nil, true
  for _, t in ipairs(threads) do
    sum.sent = sum.sent + t:get("issued")
    for _, k in ipairs({ "answered", "s2xx", "s4xx", "s5xx", "sother" }) do
      sum[k] = sum[k] + t:get(k)
    end
    local a, b = t:get("t_first"), t:get("t_last")
    if a and (not first or a < first) then first = a end
    if b then
      if not last or b > last then last = b end
    else
      complete = false
    end
  end
  local wall = (first and last and complete) and (last - first) or -1
  sum.wall_s = string.format("%.6f", wall)
  sum.complete = complete and "true" or "false"
  alert.report(summary, latency, sum)
end
