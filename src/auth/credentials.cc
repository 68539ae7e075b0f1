#include "auth/credentials.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "auth/auth_error.h"
#include "auth/text.h"

namespace runnel::auth {
namespace {

ApiError config_error(std::string_view origin, size_t line, std::string_view what) {
  return ApiError::validation("credentials " + std::string(origin) + ":" + std::to_string(line) +
                              ": " + std::string(what));
}

}  // namespace

Result<CredentialStore> CredentialStore::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ApiError::validation("credentials file '" + path + "' cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

Result<CredentialStore> CredentialStore::parse(std::string_view text, std::string_view origin) {
  CredentialStore store;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    line = detail::trim(line);  // also drops a CR from CRLF files
    if (line.empty() || line.front() == '#') continue;

    size_t key_end = 0;
    while (key_end < line.size() && !detail::is_space(line[key_end]) && line[key_end] != '=') {
      ++key_end;
    }
    if (key_end == line.size()) {
      return config_error(origin, line_no, "expected 'ACCESS_KEY SECRET' or 'ACCESS_KEY=SECRET'");
    }
    const std::string_view key = line.substr(0, key_end);
    const std::string_view secret = detail::trim(line.substr(key_end + 1));
    if (key.empty() || secret.empty()) {
      return config_error(origin, line_no, "empty access key or secret");
    }
    if (store.lookup(key)) {
      return config_error(origin, line_no, "duplicate access key '" + std::string(key) + "'");
    }
    store.add(std::string(key), std::string(secret));
  }
  return store;
}

void CredentialStore::add(std::string access_key, std::string secret) {
  secrets_[std::move(access_key)] = std::move(secret);
}

std::optional<std::string_view> CredentialStore::lookup(std::string_view access_key) const {
  // Keys are few and lookups are per request; a heterogeneous-lookup map is not worth it here.
  auto it = secrets_.find(std::string(access_key));
  if (it == secrets_.end()) return std::nullopt;
  return std::string_view(it->second);
}

Result<std::string_view> CredentialStore::secret_for(std::string_view access_key) const {
  if (auto s = lookup(access_key)) return *s;
  return unrecognized_client();
}

std::string account_for_access_key(std::string_view key) {
  const bool twelve_digits =
      key.size() == 12 &&
      std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
  return twelve_digits ? std::string(key) : std::string(kDefaultAccountId);
}

std::optional<std::pair<std::string, std::string>> CredentialStore::key_of_account(std::string_view account) const {
  std::optional<std::pair<std::string, std::string>> best;
  for (const auto& [key, secret] : secrets_)
    if (account_for_access_key(key) == account && (!best || key < best->first)) best.emplace(key, secret);
  return best;
}

}  // namespace runnel::auth
