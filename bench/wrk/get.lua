-- GetItem: random keys over the preloaded item set item-0 .. item-(items-1), sort key "0".
local C = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
setup = C.setup
done = C.done

local reqs, count = {}, 0

function init(args)
  C.parse_args(args)
  local prefix = C.prefix("GetItem")
  count = C.args.items
  for i = 0, count - 1 do
    reqs[i + 1] = C.request(prefix, '{"TableName":"' .. C.args.table ..
      '","Key":{"pk":{"S":"item-' .. i .. '"},"sk":{"S":"0"}}}')
  end
  math.randomseed(7919 * (tid + 1))
  C.install_check(function(status, body)
    return status == 200 and string.find(body, '"Item"', 1, true) ~= nil and
      string.find(body, C.payload, 1, true) ~= nil
  end)
end

function request()
  return reqs[math.random(count)]
end
