#include "sns/mailbox.h"

#include <algorithm>
#include <cctype>

#include <rapidjson/document.h>

#include "common/json_parse.h"
#include "common/json_write.h"
#include "protocol/query_codec.h"
#include "sns/access.h"
#include "storage/key_codec.h"
#include "storage/record_codec.h"

namespace runnel::sns {

namespace {

std::string mail_key(uint64_t id) {
  std::string k(1, 'b');
  storage::append_u64(k, id);
  return k;
}

uint64_t key_id(std::string_view key) { return storage::read_u64(key.substr(1)); }

bool same_address(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y)); });
}

const storage::RecordCodec<Email>& email_codec() {
  static const auto codec = storage::RecordCodec<Email>()
                                .field("to", &Email::to)
                                .field("from", &Email::from)
                                .field("subject", &Email::subject)
                                .field("body", &Email::body)
                                .field("message_id", &Email::message_id)
                                .field("date_ms", &Email::date_ms);
  return codec;
}

// The stored form (its id is the key's).
const storage::RecordCodec<StoredMail>& mail_codec() {
  static const auto codec = storage::RecordCodec<StoredMail>()
                                .flatten(&StoredMail::mail, email_codec())
                                .field("topic_arn", &StoredMail::topic_arn)
                                .field("subscription_arn", &StoredMail::subscription_arn);
  return codec;
}

// What GET /_runnel/mailbox lists: the stored form with the id first.
void write_mail(JsonWriter& w, const StoredMail& m) {
  w.StartObject();
  w.Key("id");
  w.Uint64(m.id);
  mail_codec().write_fields(w, m);
  w.EndObject();
}

std::optional<StoredMail> decode(uint64_t id, std::string_view value) {
  auto m = mail_codec().decode(value);
  if (m) m->id = id;
  return m;
}

}  // namespace

Status Mailbox::start() {
  storage::Cursor it = engine_.scan(storage::Family::kQueues);
  it.seek_for_prev("c");
  if (it.valid() && it.key().size() == 9 && it.key()[0] == 'b') next_id_ = key_id(it.key()) + 1;
  return ok_status();
}

void Mailbox::add(storage::WriteTxn& txn, StoredMail m) {
  m.id = next_id_++;
  txn.put(storage::Family::kQueues, mail_key(m.id), mail_codec().encode(m));
}

namespace {

bool of_account(const StoredMail& m, std::string_view account) {
  return account.empty() || arn_account(m.topic_arn) == account;
}

}  // namespace

std::vector<StoredMail> Mailbox::list(std::string_view to, uint64_t after, size_t limit, std::string_view account) const {
  std::vector<StoredMail> out;
  storage::Cursor it = engine_.scan(storage::Family::kQueues);
  for (it.seek(mail_key(after + 1)); it.valid() && out.size() < limit; it.next()) {
    auto key = it.key();
    if (key.size() != 9 || key[0] != 'b') break;
    auto m = decode(key_id(key), it.value());
    if (m && (to.empty() || same_address(m->mail.to, to)) && of_account(*m, account)) out.push_back(std::move(*m));
  }
  return out;
}

std::optional<StoredMail> Mailbox::get(uint64_t id) const {
  auto v = engine_.get(storage::Family::kQueues, mail_key(id));
  if (!v) return std::nullopt;
  return decode(id, *v);
}

Mailbox::Answer Mailbox::http_get(std::string_view query_string, std::string_view account) const {
  protocol::FormParams params;
  protocol::parse_form_into(query_string, params);
  auto param = [&](const char* name) {
    const std::string* v = protocol::find_param(params, name);
    return v ? *v : std::string();
  };
  auto number = [](const std::string& s) -> std::optional<uint64_t> {
    if (s.empty() || s.size() > 19 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
    return std::stoull(s);
  };
  Answer a;
  std::string id_text = param("id");
  if (!id_text.empty()) {
    auto id = number(id_text);
    if (!id) return {400, "application/json", R"({"error":"id must be a non-negative integer"})"};
    auto m = get(*id);
    if (!m || !of_account(*m, account)) return {404, "application/json", R"({"error":"no such mail"})"};
    if (param("format") == "raw") return {200, "message/rfc822", rfc5322(m->mail)};
    a.content_type = "application/json";
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    w.StartObject();
    key_string(w, "raw", rfc5322(m->mail));
    w.EndObject();
    a.body = finish_json(sb);
  }
  auto after = number(param("after").empty() ? "0" : param("after"));
  auto limit = number(param("limit").empty() ? "1000" : param("limit"));
  if (!after || !limit) return {400, "application/json", R"({"error":"after and limit must be non-negative integers"})"};
  if (!id_text.empty()) return a;
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("messages");
  w.StartArray();
  for (const auto& m : list(param("to"), *after, std::min<uint64_t>(*limit, 10000), account)) write_mail(w, m);
  w.EndArray();
  w.EndObject();
  return {200, "application/json", finish_json(sb)};
}

}  // namespace runnel::sns
