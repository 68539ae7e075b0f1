// Access keys, their secrets, and the account each key belongs to.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "common/result.h"

namespace runnel::auth {

// The secrets runnel verifies signatures with, loaded from a plain text file:
//
//   # comments start with '#' (whole lines only; '#' inside a secret is part of it)
//   AKIDEXAMPLE wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
//   123456789012=anotherSecret
//
// One key per line, either "KEY SECRET" (separated by spaces or tabs) or "KEY=SECRET". Access keys
// never contain '=' or whitespace, so the first separator decides; a secret may contain '=' in the
// whitespace form and anything but leading/trailing whitespace in the '=' form. Blank lines are
// ignored; a repeated key is an error (two secrets for one key is surely a mistake).
class CredentialStore {
 public:
  CredentialStore() = default;

  // Reads `path`. Errors (unreadable file, line without a separator, empty key or secret,
  // duplicate key) name the file and line; they are configuration errors for src/main to print.
  static Result<CredentialStore> load_file(const std::string& path);
  // The same parser over in-memory text; `origin` names the source in error messages.
  static Result<CredentialStore> parse(std::string_view text, std::string_view origin = "<text>");

  // Adds or replaces one key (tests, flags).
  void add(std::string access_key, std::string secret);

  std::optional<std::string_view> lookup(std::string_view access_key) const;

  // lookup() as a Result: an unknown key is UnrecognizedClientException "The security token
  // included in the request is invalid.", what AWS answers for a key it does not know.
  Result<std::string_view> secret_for(std::string_view access_key) const;

  size_t size() const { return secrets_.size(); }

  // A key of `account` and its secret (the smallest such key, so the choice is stable), for a
  // process runnel starts that must call runnel back in that account (Lambda functions).
  std::optional<std::pair<std::string, std::string>> key_of_account(std::string_view account) const;

 private:
  std::unordered_map<std::string, std::string> secrets_;
};

// The account a request acts in, from its access key alone (design.md: "a 12-digit key is the
// account, anything else is 000000000000"), so `AWS_ACCESS_KEY_ID=123456789012` gives a test
// its own isolated account without any setup.
std::string account_for_access_key(std::string_view access_key);

inline constexpr std::string_view kDefaultAccountId = "000000000000";

}  // namespace runnel::auth
