-- Shared by the per-operation wrk scripts (bench/wrk/<op>.lua), loaded with dofile().
--
-- Every request is pre-signed once: signature verification is off by default in runnel, and
-- dynalite and moto do not verify either, so one fixed Authorization header that parses is enough.
-- Script arguments (after `--` on the wrk command line), passed by bench/ddb_bench.py:
--   1 run tag (makes PutItem keys unique across runs)  2 table name  3 preloaded item count
--   4 preloaded Query partitions  5 check: "1" verifies every response body (costs some wrk CPU)
-- done() prints "BENCH key value" lines that the driver parses; latencies are in microseconds.

local M = {}

M.target_prefix = "DynamoDB_20120810."
M.authorization = "AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/dynamodb/aws4_request, " ..
  "SignedHeaders=content-type;host;x-amz-date;x-amz-target, " ..
  "Signature=0000000000000000000000000000000000000000000000000000000000000000"

M.args = { tag = "t", table = "bench", items = 10000, parts = 100, check = false }

function M.parse_args(args)
  M.args.tag = args[1] or M.args.tag
  M.args.table = args[2] or M.args.table
  M.args.items = tonumber(args[3] or M.args.items)
  M.args.parts = tonumber(args[4] or M.args.parts)
  M.args.check = (args[5] == "1")
end

-- The raw request up to the Content-Length value; built once per thread.
function M.prefix(operation)
  local host = wrk.host .. ":" .. tostring(wrk.port)
  return "POST / HTTP/1.1\r\n" ..
    "Host: " .. host .. "\r\n" ..
    "Content-Type: application/x-amz-json-1.0\r\n" ..
    "X-Amz-Target: " .. M.target_prefix .. operation .. "\r\n" ..
    "X-Amz-Date: 20261125T000000Z\r\n" ..
    "Authorization: " .. M.authorization .. "\r\n" ..
    "Content-Length: "
end

function M.request(prefix, body)
  return prefix .. #body .. "\r\n\r\n" .. body
end

-- 100 bytes of payload per written item, like a short message.
M.payload = string.rep("abcdefghij", 10)

-- Thread bookkeeping: each thread gets an id (PutItem keys, random seeds); done() reads the
-- per-thread count of wrong responses back through the thread objects.
local threads = {}
function M.setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

-- Installs a response() callback only when checking (wrk skips body handling without one).
-- ok(status, body) -> true when the response is what the operation must answer.
function M.install_check(ok)
  if not M.args.check then return end
  bad = 0
  first_bad = ""
  response = function(status, headers, body)
    if not ok(status, body) then
      bad = bad + 1
      if first_bad == "" then first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 300) end
    end
  end
end

function M.done(summary, latency, requests)
  local bad, first_bad = 0, ""
  for _, t in ipairs(threads) do
    bad = bad + (tonumber(t:get("bad")) or 0)
    local fb = t:get("first_bad")
    if first_bad == "" and fb ~= nil and fb ~= "" then first_bad = fb end
  end
  local e = summary.errors
  io.write(string.format("BENCH requests %d\n", summary.requests))
  io.write(string.format("BENCH duration_us %d\n", summary.duration))
  io.write(string.format("BENCH errors_connect %d\nBENCH errors_read %d\nBENCH errors_write %d\n",
                         e.connect, e.read, e.write))
  io.write(string.format("BENCH errors_status %d\nBENCH errors_timeout %d\n", e.status, e.timeout))
  io.write(string.format("BENCH bad_responses %d\n", bad))
  if first_bad ~= "" then io.write("BENCH first_bad " .. string.gsub(first_bad, "\n", " ") .. "\n") end
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("BENCH p%s_us %d\n", tostring(p), latency:percentile(p)))
  end
  io.write(string.format("BENCH mean_us %.1f\nBENCH max_us %d\n", latency.mean, latency.max))
end

return M
