-- SendMessageBatch of 10 entries (100-byte bodies): fills a queue. The driver stops wrk (SIGINT)
-- once the queue holds enough. Every answer is checked for failed entries (they come with HTTP
-- 200); done() also prints the number of acknowledged entries.
local S = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "sqs_common.lua")
local C = S.C

local threads = {}
function setup(thread)
  C.setup(thread)
  table.insert(threads, thread)
end

local req
acked, bad, first_bad = 0, 0, ""

function init(args)
  S.parse_args(args)
  req = S.request(S.prefix("SendMessageBatch"), S.batch_body())
end

function request()
  return req
end

function response(status, headers, body)
  if status == 200 and not S.batch_failed(body) then
    acked = acked + 10
  else
    bad = bad + 1
    if first_bad == "" then first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 300) end
  end
end

function done(summary, latency, requests)
  C.done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + (tonumber(t:get("acked")) or 0) end
  io.write(string.format("BENCH entries_acked %d\n", total))
end
