-- SNS Publish of the 100-byte payload (bench/wrk/common.lua's) to one topic, in the Query protocol
-- (the only one SNS has): Action=Publish&Version=2010-03-31&TopicArn=...&Message=... form POST with
-- an sns credential scope (runnel routes a Query request by its scope; no target verifies the
-- signature). Driven by bench/sns_bench.py through sqs_bench.run_wrk, so the script arguments are
-- sqs_common.lua's: 1 protocol (ignored)  2 topic ARN  3 check: "1" verifies every answer  4 unused.
-- With check on, every answer must be 200 and a PublishResponse carrying a MessageId.
-- The per-thread frame (setup, init, request, done) is sqs_send.lua's, with this request and check.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "sqs_send.lua")
local send = one_request
local S = send.S

send.fixed(function()
  local prefix = "POST / HTTP/1.1\r\n" ..
    "Host: " .. wrk.host .. ":" .. tostring(wrk.port) .. "\r\n" ..
    "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n" ..
    "X-Amz-Date: 20261125T000000Z\r\n" ..
    "Authorization: AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/sns/aws4_request, " ..
    "SignedHeaders=content-type;host;x-amz-date, Signature=" .. string.rep("0", 64) .. "\r\n" ..
    "Content-Length: "
  return prefix, "Action=Publish&Version=2010-03-31&TopicArn=" .. S.urlencode(S.args.url) ..
    "&Message=" .. S.urlencode(S.payload)
end, function(status, answer)
  return status == 200 and string.find(answer, "<PublishResponse", 1, true) ~= nil and
    string.match(answer, "<MessageId>[%w%-]+</MessageId>") ~= nil
end)
