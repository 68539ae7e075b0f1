#include "sns/email.h"

#include <cctype>
#include <chrono>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "common/base64.h"

namespace runnel::sns {

namespace {

bool ascii_printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

// RFC 2047 encoded-word for a header value that is not plain ASCII.
std::string encode_header(std::string_view value) {
  if (ascii_printable(value)) return std::string(value);
  return "=?UTF-8?B?" + base64_encode(value) + "?=";
}

// Quoted-printable (RFC 2045 6.7): lines of at most 76 characters, CRLF hard breaks, '=' soft ones.
std::string quoted_printable(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  size_t line = 0;
  auto emit = [&](std::string_view piece) {
    if (line + piece.size() > 75) {
      out += "=\r\n";
      line = 0;
    }
    out += piece;
    line += piece.size();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\r\n";
      line = 0;
      continue;
    }
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    bool next_is_break = i + 1 == text.size() || text[i + 1] == '\n' || text[i + 1] == '\r';
    bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !next_is_break);
    if (literal) {
      char ch = static_cast<char>(c);
      emit(std::string_view(&ch, 1));
    } else {
      emit(fmt::format("={:02X}", c));
    }
  }
  return out;
}

std::string rfc2822_date(int64_t ms) {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
  return fmt::format("{:%a, %d %b %Y %H:%M:%S} +0000", fmt::gmtime(t));
}

}  // namespace

std::string email_from(std::string_view display_name, std::string_view address) {
  std::string name = display_name.empty() ? "AWS Notifications" : std::string(display_name);
  if (!ascii_printable(name)) return encode_header(name) + " <" + std::string(address) + ">";
  std::string quoted;
  for (char c : name) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return "\"" + quoted + "\" <" + std::string(address) + ">";
}

std::string notification_email_body(std::string_view message, std::string_view unsubscribe_url) {
  return fmt::format(
      "{}\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below "
      "to unsubscribe:\n{}\n\nPlease do not reply directly to this email. If you have any questions or comments "
      "regarding this email, please contact us at https://aws.amazon.com/support\n",
      message, unsubscribe_url);
}

std::string confirmation_email_body(std::string_view topic_arn, std::string_view confirm_url) {
  return fmt::format(
      "You have chosen to subscribe to the topic: \n{}\n\nTo confirm this subscription, click or visit the link "
      "below (If this was in error no action is necessary): \n{}\n\nPlease do not reply directly to this email. If "
      "you wish to remove yourself from receiving all future SNS subscription confirmation requests please send an "
      "email to sns-opt-out\n",
      topic_arn, confirm_url);
}

std::string rfc5322(const Email& mail) {
  std::string out;
  out += "Date: " + rfc2822_date(mail.date_ms) + "\r\n";
  out += "From: " + mail.from + "\r\n";
  out += "To: " + mail.to + "\r\n";
  out += "Subject: " + encode_header(mail.subject) + "\r\n";
  if (!mail.message_id.empty()) out += "Message-ID: <" + mail.message_id + "@sns.runnel.local>\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  out += "\r\n";
  out += quoted_printable(mail.body);
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

std::string url_encode(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace runnel::sns
