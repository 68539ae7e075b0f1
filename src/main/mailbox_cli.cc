#include "main/mailbox_cli.h"

#include <chrono>
#include <cstdlib>
#include <iostream>

#include <curl/curl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <rapidjson/document.h>

#include "auth/signer.h"
#include "common/json_parse.h"
#include "sns/email.h"

namespace {

size_t collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// SigV4 headers for GET `url` when the environment holds a key (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, as every AWS tool reads them): a server with --auth-credentials answers
// only signed mailbox requests, with the signer's account's mail.
curl_slist* signed_headers(const std::string& url) {
  const char* key = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (!key || !secret || !*key) return nullptr;
  const char* region = std::getenv("AWS_REGION");
  if (!region || !*region) region = std::getenv("AWS_DEFAULT_REGION");
  size_t scheme = url.find("://");
  size_t path_at = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  std::string host = url.substr(scheme == std::string::npos ? 0 : scheme + 3,
                                path_at == std::string::npos ? std::string::npos : path_at - (scheme + 3));
  std::string target = path_at == std::string::npos ? "/" : url.substr(path_at);
  runnel::auth::SignedRequest req{"GET", target, {{"Host", host}}, ""};
  runnel::auth::SigningParams params;
  params.region = region && *region ? region : "us-east-1";
  params.service = "sns";  // the mailbox is SNS's
  params.access_key = key;
  params.secret = secret;
  params.time = std::chrono::system_clock::now();
  if (const char* token = std::getenv("AWS_SESSION_TOKEN")) params.session_token = token;
  curl_slist* list = nullptr;
  for (const auto& [name, value] : runnel::auth::sign_headers(req, params).headers_to_add)
    list = curl_slist_append(list, (name + ": " + value).c_str());
  return list;
}

// GET `url`; returns the HTTP status (0 when the server could not be reached) and fills `body`.
long http_get(const std::string& url, std::string& body) {
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_slist* headers = signed_headers(url);
  if (headers) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  else body = curl_easy_strerror(rc);
  curl_easy_cleanup(curl);
  curl_slist_free_all(headers);
  return status;
}

}  // namespace

CLI::App* add_mailbox_command(CLI::App& app, MailboxFlags& flags) {
  auto* cmd = app.add_subcommand("mailbox", "Show the mails SNS delivered to the built-in mailbox of a running server");
  cmd->add_option("--endpoint", flags.endpoint, "The running server")->capture_default_str();
  cmd->add_option("--to", flags.to, "Only mails to this address");
  cmd->add_option("--after", flags.after, "Only mails with a larger id");
  cmd->add_option("--raw", flags.raw_id, "Print mail ID as its raw RFC 5322 text");
  cmd->add_flag("--json", flags.json, "Print the endpoint's JSON");
  return cmd;
}

int run_mailbox_command(const MailboxFlags& flags) {
  std::string url = flags.endpoint + "/_runnel/mailbox?";
  if (flags.raw_id) url += fmt::format("id={}&format=raw", flags.raw_id);
  else url += fmt::format("after={}&to={}", flags.after, runnel::sns::url_encode(flags.to));
  std::string body;
  long status = http_get(url, body);
  if (status != 200) {
    std::cerr << "runnel mailbox: " << (status ? fmt::format("HTTP {}: {}", status, body) : body) << "\n";
    return 1;
  }
  if (flags.raw_id || flags.json) {
    std::cout << body << (body.ends_with("\n") ? "" : "\n");
    return 0;
  }
  rapidjson::Document d;
  runnel::json::parse(d, body);
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("messages") || !d["messages"].IsArray()) {
    std::cerr << "runnel mailbox: unexpected answer\n";
    return 1;
  }
  const auto& messages = d["messages"].GetArray();
  if (messages.Empty()) std::cout << "(no mail)\n";
  for (const auto& m : messages) {
    auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::time_point(std::chrono::milliseconds(m["date_ms"].GetInt64())));
    std::cout << fmt::format("--- mail {} · {:%Y-%m-%d %H:%M:%S} UTC\nFrom: {}\nTo: {}\nSubject: {}\n\n{}\n", m["id"].GetUint64(),
                             fmt::gmtime(t), m["from"].GetString(), m["to"].GetString(), m["subject"].GetString(),
                             m["body"].GetString());
  }
  return 0;
}
