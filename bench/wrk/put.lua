-- PutItem: every request writes a new item (key = run tag, thread id, per-thread counter).
local C = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
setup = C.setup
done = C.done

local prefix, head, n = nil, nil, 0

function init(args)
  C.parse_args(args)
  prefix = C.prefix("PutItem")
  head = '{"TableName":"' .. C.args.table .. '","Item":{"pk":{"S":"put-' .. C.args.tag .. "-" ..
    tostring(tid) .. "-"
  C.install_check(function(status, body)
    return status == 200 and not string.find(body, "__type", 1, true)
  end)
end

function request()
  n = n + 1
  local body = head .. n .. '"},"sk":{"S":"0"},"data":{"S":"' .. C.payload ..
    '"},"n":{"N":"' .. n .. '"}}}'
  return C.request(prefix, body)
end
