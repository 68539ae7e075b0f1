-- Query: one whole partition (part-<j>, 10 items) per request, random j over the preloaded partitions.
local C = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
setup = C.setup
done = C.done

local reqs, count = {}, 0

function init(args)
  C.parse_args(args)
  local prefix = C.prefix("Query")
  count = C.args.parts
  for j = 0, count - 1 do
    reqs[j + 1] = C.request(prefix, '{"TableName":"' .. C.args.table ..
      '","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"part-' .. j .. '"}}}')
  end
  math.randomseed(104729 * (tid + 1))
  C.install_check(function(status, body)
    return status == 200 and string.find(body, '"Count":%s*10[,}]') ~= nil
  end)
end

function request()
  return reqs[math.random(count)]
end
