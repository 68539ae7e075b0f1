-- SendMessage: the same 100-byte body in every request (bench/wrk/common.lua's payload).
-- With check on, every answer must be 200 and carry the payload's MD5 (MD5OfMessageBody).
--
-- Also the frame of the other one-request scripts (bench/wrk/sns_publish.lua): they dofile() this
-- script and call one_request.fixed(build, ok), which replaces init() so that each thread sends
-- build()'s request (prefix, body) over and over, checked by ok(status, body). (A global, not a
-- return value: wrk leaves what its main script returns on its Lua stack, which breaks done().)
local S = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "sqs_common.lua")
local C = S.C
setup = C.setup
done = C.done

local req

local function fixed(build, ok)
  init = function(args)
    S.parse_args(args)
    req = C.request(build())
    C.install_check(ok)
  end
end

function request()
  return req
end

fixed(function() return S.prefix("SendMessage"), S.send_body() end,
  function(status, body) return status == 200 and string.find(body, S.args.md5, 1, true) ~= nil end)

one_request = { S = S, fixed = fixed }
