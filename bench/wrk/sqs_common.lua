-- Shared by the SQS wrk scripts (bench/wrk/sqs_*.lua), loaded with dofile(); builds on common.lua
-- (thread bookkeeping, the BENCH lines of done(), the 100-byte payload).
--
-- Each target gets the protocol it speaks: "json" (X-Amz-Target: AmazonSQS.<Op>,
-- application/x-amz-json-1.0: runnel, moto) or "query" (Action=<Op> form POST, XML answers:
-- sqslite, which speaks nothing else). Every request carries one fixed Authorization header with
-- an sqs credential scope: no target verifies signatures here.
-- Script arguments (after `--` on the wrk command line), passed by bench/sqs_bench.py:
--   1 protocol: json | query   2 queue URL   3 check: "1" verifies every response body
--   4 MD5 (hex) of the payload
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local C = dofile(dir .. "common.lua")

local S = { C = C, payload = C.payload }

S.args = { protocol = "json", url = "", check = false, md5 = "" }

function S.parse_args(args)
  S.args.protocol = args[1] or S.args.protocol
  S.args.url = args[2] or S.args.url
  S.args.check = (args[3] == "1")
  S.args.md5 = args[4] or S.args.md5
  C.args.check = S.args.check  -- C.install_check() looks here
  S.json = (S.args.protocol == "json")
end

function S.urlencode(s)
  return (string.gsub(s, "[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

-- The raw request up to the Content-Length value; built once per thread.
function S.prefix(operation)
  local host = wrk.host .. ":" .. tostring(wrk.port)
  if S.json then
    return "POST / HTTP/1.1\r\n" ..
      "Host: " .. host .. "\r\n" ..
      "Content-Type: application/x-amz-json-1.0\r\n" ..
      "X-Amz-Target: AmazonSQS." .. operation .. "\r\n" ..
      "X-Amz-Date: 20261125T000000Z\r\n" ..
      "Authorization: AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/sqs/aws4_request, " ..
      "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" .. string.rep("0", 64) .. "\r\n" ..
      "Content-Length: "
  end
  return "POST / HTTP/1.1\r\n" ..
    "Host: " .. host .. "\r\n" ..
    "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n" ..
    "X-Amz-Date: 20261125T000000Z\r\n" ..
    "Authorization: AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/sqs/aws4_request, " ..
    "SignedHeaders=content-type;host;x-amz-date, Signature=" .. string.rep("0", 64) .. "\r\n" ..
    "Content-Length: "
end

S.request = C.request

local function query(action, rest)
  return "Action=" .. action .. "&Version=2012-11-05&QueueUrl=" .. S.urlencode(S.args.url) .. rest
end

function S.send_body()
  if S.json then
    return '{"QueueUrl":"' .. S.args.url .. '","MessageBody":"' .. S.payload .. '"}'
  end
  return query("SendMessage", "&MessageBody=" .. S.urlencode(S.payload))
end

-- 10 entries, each the same 100-byte payload as SendMessage (so every message in a benchmark queue
-- has the same body and MD5, which the receive checks rely on).
function S.batch_body()
  local parts = {}
  if S.json then
    for i = 0, 9 do
      parts[#parts + 1] = '{"Id":"e' .. i .. '","MessageBody":"' .. S.payload .. '"}'
    end
    return '{"QueueUrl":"' .. S.args.url .. '","Entries":[' .. table.concat(parts, ",") .. "]}"
  end
  local body = S.urlencode(S.payload)
  for i = 1, 10 do
    parts[#parts + 1] = "&SendMessageBatchRequestEntry." .. i .. ".Id=e" .. i ..
      "&SendMessageBatchRequestEntry." .. i .. ".MessageBody=" .. body
  end
  return query("SendMessageBatch", table.concat(parts))
end

-- MaxNumberOfMessages 1, no wait: the receive half of a receive+delete pair.
function S.receive_body()
  if S.json then
    return '{"QueueUrl":"' .. S.args.url .. '","MaxNumberOfMessages":1}'
  end
  return query("ReceiveMessage", "&MaxNumberOfMessages=1")
end

function S.delete_body(handle)
  if S.json then
    return '{"QueueUrl":"' .. S.args.url .. '","ReceiptHandle":"' .. handle .. '"}'
  end
  return query("DeleteMessage", "&ReceiptHandle=" .. S.urlencode(handle))
end

-- The receipt handle in a ReceiveMessage answer (nil: no message).
function S.receipt_handle(body)
  if S.json then
    return string.match(body, '"ReceiptHandle"%s*:%s*"([^"]+)"')
  end
  return string.match(body, "<ReceiptHandle>([^<]+)</ReceiptHandle>")
end

-- A SendMessageBatch answer with a failed entry (both answer HTTP 200).
function S.batch_failed(body)
  if S.json then
    return string.find(body, '"Failed"%s*:%s*%[%s*{') ~= nil
  end
  return string.find(body, "BatchResultErrorEntry", 1, true) ~= nil
end

return S
