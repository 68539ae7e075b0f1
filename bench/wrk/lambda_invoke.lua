-- Lambda Invoke (RequestResponse) of one function with a fixed 100-byte JSON payload,
-- {"p":"<the first 92 bytes of bench/wrk/common.lua's payload>"} (bench/lambda_bench.py builds
-- the same one): POST /2015-03-31/functions/<name>/invocations with a lambda credential scope
-- (runnel routes the path; no signature is verified). Driven by bench/lambda_bench.py through
-- sqs_bench.run_wrk, so the script arguments are sqs_common.lua's: 1 protocol (ignored)
-- 2 function name  3 check: "1" verifies every answer  4 unused.
-- With check on, every answer must be 200 with the payload echoed back unchanged (the function is
-- bench/lambda_echo_runtime.cc). The per-thread frame (setup, init, request, done) is
-- sqs_send.lua's, with this request and check.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "sqs_send.lua")
local send = one_request
local S = send.S
local payload = '{"p":"' .. string.sub(S.payload, 1, 92) .. '"}'

send.fixed(function()
  local prefix = "POST /2015-03-31/functions/" .. S.args.url .. "/invocations HTTP/1.1\r\n" ..
    "Host: " .. wrk.host .. ":" .. tostring(wrk.port) .. "\r\n" ..
    "Content-Type: application/json\r\n" ..
    "X-Amz-Date: 20261125T000000Z\r\n" ..
    "Authorization: AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/lambda/aws4_request, " ..
    "SignedHeaders=host;x-amz-date, Signature=" .. string.rep("0", 64) .. "\r\n" ..
    "Content-Length: "
  return prefix, payload
end, function(status, answer)
  return status == 200 and answer == payload
end)
