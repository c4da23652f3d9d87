-- Maximum throughput: every connection sends the next alert as soon as the
-- previous one is answered; each alert has a unique delivery id.
--   wrk -s max.lua URL -- PREFIX
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./")
  .. "?.lua;" .. package.path
local alert = require("alert_payload")

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  thread:set("tid", #threads)
end

local prefix, n = "max", 0
function init(args)
  prefix = args[1] or prefix
end

function request()
  n = n + 1
  return alert.request(prefix, tid, n)
end

function done(summary, latency, requests)
  alert.report(summary, latency)
end
