-- SendMessage: the same 100-byte body in every request (bench/wrk/common.lua's payload).
-- With check on, every answer must be 200 and carry the payload's MD5 (MD5OfMessageBody).
local S = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "sqs_common.lua")
local C = S.C
setup = C.setup
done = C.done

local req

function init(args)
  S.parse_args(args)
  req = S.request(S.prefix("SendMessage"), S.send_body())
  C.install_check(function(status, body)
    return status == 200 and string.find(body, S.args.md5, 1, true) ~= nil
  end)
end

function request()
  return req
end
