-- PutLogEvents: every request a batch of `batch` events of ~110 bytes into the thread's stream.
-- Script arguments (after `--`): 1 log group  2 events per request  3 streams (s0 .. s<n-1>,
-- created by the driver)  4 check: "1" verifies every response (200, nothing rejected).
-- The body is built once per thread (one timestamp: the run lasts seconds, well inside the two
-- hours ahead and fourteen days behind that PutLogEvents accepts), so wrk spends its CPU sending.
local C = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
setup = C.setup
done = C.done

local req

function init(args)
  C.args.check = (args[4] == "1")
  local group, batch, streams = args[1], tonumber(args[2]), tonumber(args[3])
  local host = wrk.host .. ":" .. tostring(wrk.port)
  local prefix = "POST / HTTP/1.1\r\n" ..
    "Host: " .. host .. "\r\n" ..
    "Content-Type: application/x-amz-json-1.1\r\n" ..
    "X-Amz-Target: Logs_20140328.PutLogEvents\r\n" ..
    "X-Amz-Date: 20261125T000000Z\r\n" ..
    "Authorization: AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/logs/aws4_request, " ..
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, " ..
    "Signature=0000000000000000000000000000000000000000000000000000000000000000\r\n" ..
    "Content-Length: "
  local ts = os.time() * 1000
  local events = {}
  for i = 1, batch do
    events[i] = '{"timestamp":' .. ts .. ',"message":"t' .. tostring(tid) .. " e" .. i .. " " .. C.payload .. '"}'
  end
  local body = '{"logGroupName":"' .. group .. '","logStreamName":"s' .. tostring(tid % streams) ..
    '","logEvents":[' .. table.concat(events, ",") .. ']}'
  req = prefix .. #body .. "\r\n\r\n" .. body
  C.install_check(function(status, body)
    return status == 200 and not string.find(body, "__type", 1, true) and not string.find(body, "rejected", 1, true)
  end)
end

function request()
  return req
end
