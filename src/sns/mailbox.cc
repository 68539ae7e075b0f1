#include "sns/mailbox.h"

#include <algorithm>
#include <cctype>

#include <rapidjson/document.h>

#include "common/json_parse.h"
#include "common/json_write.h"
#include "protocol/query_codec.h"
#include "sns/access.h"
#include "storage/key_codec.h"

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

// The stored form, and (with the id) what GET /_runnel/mailbox lists.
void write_mail(JsonWriter& w, const StoredMail& m, bool with_id) {
  w.StartObject();
  if (with_id) {
    w.Key("id");
    w.Uint64(m.id);
  }
  key_string(w, "to", m.mail.to);
  key_string(w, "from", m.mail.from);
  key_string(w, "subject", m.mail.subject);
  key_string(w, "body", m.mail.body);
  key_string(w, "message_id", m.mail.message_id);
  w.Key("date_ms");
  w.Int64(m.mail.date_ms);
  key_string(w, "topic_arn", m.topic_arn);
  key_string(w, "subscription_arn", m.subscription_arn);
  w.EndObject();
}

std::optional<StoredMail> decode(uint64_t id, std::string_view value) {
  rapidjson::Document d;
  json::parse(d, value);
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  auto str = [&](const char* k) { return d.HasMember(k) && d[k].IsString() ? std::string(d[k].GetString(), d[k].GetStringLength()) : std::string(); };
  StoredMail m;
  m.id = id;
  m.mail.to = str("to");
  m.mail.from = str("from");
  m.mail.subject = str("subject");
  m.mail.body = str("body");
  m.mail.message_id = str("message_id");
  m.mail.date_ms = d.HasMember("date_ms") && d["date_ms"].IsInt64() ? d["date_ms"].GetInt64() : 0;
  m.topic_arn = str("topic_arn");
  m.subscription_arn = str("subscription_arn");
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
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  write_mail(w, m, false);
  txn.put(storage::Family::kQueues, mail_key(m.id), finish_json(sb));
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
  for (const auto& m : list(param("to"), *after, std::min<uint64_t>(*limit, 10000), account)) write_mail(w, m, true);
  w.EndArray();
  w.EndObject();
  return {200, "application/json", finish_json(sb)};
}

}  // namespace runnel::sns
