// SNS message signatures: runnel's own RSA key and self-signed certificate, made on first start and
// kept in the store, so a subscriber that verifies signatures against the certificate served at
// SigningCertURL (GET /_runnel/sns/SimpleNotificationService.pem) accepts runnel's messages.
// SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA, over AWS's string-to-sign.
// https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "storage/engine.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace runnel::sns {

class Signer {
 public:
  // Loads the key and certificate from the store if they are there. Making a new RSA key takes a
  // few hundred milliseconds, so a new store gets its key on first use (the first Publish or
  // certificate request), not at start-up.
  static Result<Signer> load_or_create(storage::Engine& engine);

  const std::string& certificate_pem() const;
  // Base64 signature of `text` with SHA1 (version 1) or SHA256 (version 2). RSA-2048 signing costs
  // about a millisecond of CPU: a publish signs once, on the I/O thread, for all its subscribers.
  std::string sign(std::string_view text, int version) const;

 private:
  // Makes the key and certificate if the store had none (once; later calls return at once).
  void ensure() const;

  storage::Engine* engine_ = nullptr;
  mutable std::shared_ptr<std::once_flag> once_ = std::make_shared<std::once_flag>();
  mutable std::string key_pem_;
  mutable std::string cert_pem_;
  mutable std::shared_ptr<::evp_pkey_st> key_;  // parsed once; signing only reads it
};

// AWS's string-to-sign: "Name\nValue\n" for each present field in the order AWS lists them
// (Notification: Message, MessageId, Subject, Timestamp, TopicArn, Type; confirmation messages:
// Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type).
std::string string_to_sign(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace runnel::sns
