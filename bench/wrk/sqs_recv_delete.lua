-- Receive+delete: ReceiveMessage (MaxNumberOfMessages 1, no wait) and DeleteMessage of the handle
-- it returned, on a preloaded queue. Each wrk thread keeps a list of the handles its receives
-- returned; a connection that is free sends a DeleteMessage when the list has a handle, else a
-- ReceiveMessage. So every received message is deleted once, and deletes keep pace with receives.
-- Answers are told apart by their bodies: a receive with a message carries a ReceiptHandle;
-- everything else is a delete's answer or an empty receive (both are "{}" in JSON; the driver
-- checks that the queue never ran dry, so they are deletes). With check on, a receive must carry
-- the payload and its MD5, and any other answer must be an empty JSON object / the right XML.
local S = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "sqs_common.lua")
local C = S.C

local threads = {}
function setup(thread)
  C.setup(thread)
  table.insert(threads, thread)
end

local recv_prefix, del_prefix, recv_req
local handles = {}
received, others, recv_sent, del_sent, bad, first_bad = 0, 0, 0, 0, 0, ""

function init(args)
  S.parse_args(args)
  recv_prefix = S.prefix("ReceiveMessage")
  del_prefix = S.prefix("DeleteMessage")
  recv_req = S.request(recv_prefix, S.receive_body())
end

function request()
  local n = #handles
  if n > 0 then
    local h = handles[n]
    handles[n] = nil
    del_sent = del_sent + 1
    return S.request(del_prefix, S.delete_body(h))
  end
  recv_sent = recv_sent + 1
  return recv_req
end

local function wrong(status, body)
  bad = bad + 1
  if first_bad == "" then first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 300) end
end

function response(status, headers, body)
  if status ~= 200 then return end  -- wrk counts it (errors_status)
  local h = S.receipt_handle(body)
  if h then
    handles[#handles + 1] = h
    received = received + 1
    if S.args.check and (string.find(body, S.payload, 1, true) == nil or
                         string.find(body, S.args.md5, 1, true) == nil) then
      wrong(status, body)
    end
  else
    others = others + 1
    if S.args.check then
      if S.json then
        if not string.match(body, "^%s*{%s*}%s*$") then wrong(status, body) end
      elseif not (string.find(body, "<DeleteMessageResponse", 1, true) or
                  string.find(body, "<ReceiveMessageResponse", 1, true)) then
        wrong(status, body)
      end
    end
  end
end

function done(summary, latency, requests)
  C.done(summary, latency, requests)
  local sums = { received = 0, others = 0, recv_sent = 0, del_sent = 0 }
  for _, t in ipairs(threads) do
    for k, _ in pairs(sums) do sums[k] = sums[k] + (tonumber(t:get(k)) or 0) end
  end
  for k, v in pairs(sums) do io.write(string.format("BENCH %s %d\n", k, v)) end
end
