// The mails SNS sends to email and email-json subscriptions, as AWS words them, rendered as RFC 5322
// messages (UTF-8, quoted-printable body, RFC 2047 subject) for SMTP or the built-in mailbox.
// https://docs.aws.amazon.com/sns/latest/dg/sns-email-notifications.html
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace runnel::sns {

struct Email {
  std::string from;      // "AWS Notifications <no-reply@sns.amazonaws.com>"
  std::string to;        // the subscription's endpoint
  std::string subject;
  std::string body;      // plain text (UTF-8), lines ending in \n
  std::string message_id;  // for the Message-ID header: the SNS message id
  int64_t date_ms = 0;
};

// The sender address AWS uses; `display_name` is the topic's DisplayName (AWS shows it as the
// sender's name when set).
std::string email_from(std::string_view display_name, std::string_view address = "no-reply@sns.amazonaws.com");

// The body of an `email` notification: the message, then AWS's footer with the unsubscribe link.
std::string notification_email_body(std::string_view message, std::string_view unsubscribe_url);
// The body of a subscription confirmation mail (email protocol) with the link that confirms it.
std::string confirmation_email_body(std::string_view topic_arn, std::string_view confirm_url);

// The message as sent over SMTP (CRLF line ends, headers, quoted-printable body).
std::string rfc5322(const Email& mail);

// Percent-encodes a query-string value (RFC 3986 unreserved characters stay as they are).
std::string url_encode(std::string_view value);

}  // namespace runnel::sns
