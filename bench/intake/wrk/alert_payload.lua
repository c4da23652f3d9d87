-- Shared by the wrk scripts: the sample alert with a fresh delivery id and
-- alert cycle key per request, a monotonic clock, and the JSON result line.
local M = {}

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local sample = os.getenv("KFIX_BENCH_ALERT")
  or (here .. "../../../datasets/samples/oom-checkout-0314/alert.json")

local f = assert(io.open(sample, "rb"), "cannot read " .. sample)
local text = f:read("*a")
f:close()

-- Split the sample around the top-level "id" (the first one; the org's id
-- comes last) and "alert_cycle_key" values.
local id_s, id_e = text:find('"id": "%d+"')
local ck_s, ck_e = text:find('"alert_cycle_key": "%d+"')
assert(id_s and ck_s and id_s < ck_s, "unexpected sample layout")
local part1 = text:sub(1, id_s - 1) .. '"id": "'
local part2 = '"' .. text:sub(id_e + 1, ck_s - 1) .. '"alert_cycle_key": "'
local part3 = '"' .. text:sub(ck_e + 1)

local headers = { ["Content-Type"] = "application/json" }

-- A request carrying delivery id PREFIX-TID-N and cycle key PREFIX-TID-N.
function M.request(prefix, tid, n)
  local key = prefix .. "-" .. tid .. "-" .. n
  return wrk.format("POST", "/datadog-webhook", headers,
                    part1 .. key .. part2 .. key .. part3)
end

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } kfix_bench_ts;
  int clock_gettime(int clk, kfix_bench_ts* ts);
]]
local ts = ffi.new("kfix_bench_ts")
-- Seconds on CLOCK_MONOTONIC (shared by all threads).
function M.now()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

-- One line the runner parses: "BENCH_JSON {...}".
function M.report(summary, latency, extra)
  local e = summary.errors
  local fields = {
    string.format('"duration_s": %.6f', summary.duration / 1e6),
    string.format('"requests": %d', summary.requests),
    string.format('"err_connect": %d', e.connect),
    string.format('"err_read": %d', e.read),
    string.format('"err_write": %d', e.write),
    string.format('"err_status": %d', e.status),
    string.format('"err_timeout": %d', e.timeout),
    string.format('"p50_ms": %.3f', latency:percentile(50) / 1000),
    string.format('"p99_ms": %.3f', latency:percentile(99) / 1000),
    string.format('"max_ms": %.3f', latency.max / 1000),
    string.format('"mean_ms": %.3f', latency.mean / 1000),
  }
  for k, v in pairs(extra or {}) do
    fields[#fields + 1] = string.format('"%s": %s', k, tostring(v))
  end
  io.write("BENCH_JSON {" .. table.concat(fields, ", ") .. "}\n")
end

return M
