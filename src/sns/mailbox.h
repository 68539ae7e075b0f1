// The built-in mailbox: where email and email-json deliveries land when runnel has no --smtp-url,
// so the default set-up works offline and no mail is silently dropped. A mail is written in the
// batch of the step that sends it (the Publish, or the Subscribe whose confirmation it is) and is
// read back with GET /_runnel/mailbox (JSON list; ?to=<address>, ?after=<id>) or
// GET /_runnel/mailbox?id=<id>&format=raw (the RFC 5322 text), or `runnel mailbox`.
//
// Storage (queues family): 'b' | u64 big-endian id -> JSON {id, to, from, subject, date_ms, body,
// message_id, topic_arn, subscription_arn}.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "sns/email.h"
#include "storage/engine.h"
#include "storage/writer.h"

namespace runnel::sns {

struct StoredMail {
  uint64_t id = 0;
  Email mail;
  std::string topic_arn;
  std::string subscription_arn;
};

class Mailbox {
 public:
  explicit Mailbox(storage::Engine& engine) : engine_(engine) {}
  Status start();  // finds the next id

  // Writer thread: stores `mail` in the caller's batch.
  void add(storage::WriteTxn& txn, StoredMail mail);

  // Mails with an id above `after`, oldest first, optionally only those to `to` (case-insensitive)
  // and only those of `account` (the account of the topic that sent them; empty: every account's).
  std::vector<StoredMail> list(std::string_view to, uint64_t after, size_t limit, std::string_view account = {}) const;
  std::optional<StoredMail> get(uint64_t id) const;

  // GET /_runnel/mailbox: the HTTP answer for a query string (see above).
  struct Answer {
    int status = 200;
    std::string content_type;
    std::string body;
  };
  // `account` scopes it as list() does (the router passes the signer's account; see
  // http::Router::add_account_get): another account's mail is "no such mail".
  Answer http_get(std::string_view query_string, std::string_view account = {}) const;

 private:
  storage::Engine& engine_;
  std::atomic<uint64_t> next_id_{1};
};

}  // namespace runnel::sns
