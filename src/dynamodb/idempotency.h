// ClientRequestToken idempotency for TransactWriteItems: a token seen in the last 10 minutes with
// the same request succeeds again without re-applying; with a different request it is
// IdempotentParameterMismatchException.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html#DDB-TransactWriteItems-request-ClientRequestToken
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace runnel::dynamodb {

class IdempotencyCache {
 public:
  enum class Outcome { kNew, kReplay, kMismatch };
  // Looks the token up; `fingerprint` identifies the request body (a hash of it).
  Outcome check(const std::string& scoped_token, const std::string& fingerprint);
  void remember(const std::string& scoped_token, const std::string& fingerprint);

 private:
  struct Entry {
    std::string fingerprint;
    std::chrono::steady_clock::time_point at;
  };
  void expire(std::chrono::steady_clock::time_point now);
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace runnel::dynamodb
