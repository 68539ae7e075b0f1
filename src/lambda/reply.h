// Lambda's REST-JSON answers: a JSON body with its status, and errors as the service renders them
// (the code in x-amzn-ErrorType, {"Type": "User"|"Service", "Message"} as the body).
// https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html
#pragma once

#include <string>

#include "common/json_write.h"
#include "common/result.h"
#include "protocol/message.h"

namespace runnel::lambda {

inline protocol::Response json_response(int status, std::string body) {
  protocol::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

inline protocol::Response error_response(const ApiError& error) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  key_string(w, "Type", error.sender_fault ? "User" : "Service");
  key_string(w, "Message", error.message);
  w.EndObject();
  protocol::Response r = json_response(error.http_status, finish_json(sb));
  r.headers.emplace_back("x-amzn-ErrorType", error.code);
  return r;
}

}  // namespace runnel::lambda
