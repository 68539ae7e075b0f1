-- UpdateItem: ADD 1 to a counter of a random preloaded item (read-modify-write on the server).
local C = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
setup = C.setup
done = C.done

local reqs, count = {}, 0

function init(args)
  C.parse_args(args)
  local prefix = C.prefix("UpdateItem")
  count = C.args.items
  for i = 0, count - 1 do
    reqs[i + 1] = C.request(prefix, '{"TableName":"' .. C.args.table ..
      '","Key":{"pk":{"S":"item-' .. i .. '"},"sk":{"S":"0"}},"UpdateExpression":"ADD cnt :one",' ..
      '"ExpressionAttributeValues":{":one":{"N":"1"}}}')
  end
  math.randomseed(15485863 * (tid + 1))
  C.install_check(function(status, body)
    return status == 200 and not string.find(body, "__type", 1, true)
  end)
end

function request()
  return reqs[math.random(count)]
end
