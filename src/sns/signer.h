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
  //
  // `key_bits` sizes a new key (a stored key is kept whatever its size). runnel's default is 1024:
  // an RSA-2048 signature costs ~0.7 ms of CPU here against ~0.13 ms, and it is paid once per
  // Publish — at 2048 bits it was 74% of a publish's CPU and capped SNS at ~1,400 publishes/s on two
  // cores. The key's strength is not what protects subscribers of runnel: its certificate is served
  // over plain HTTP from runnel itself, so whoever could forge a 1024-bit signature could more
  // easily swap the certificate. --sns-signing-key-bits 2048 gives AWS's key size.
  static Result<Signer> load_or_create(storage::Engine& engine, int key_bits = 1024);

  const std::string& certificate_pem() const;
  // Base64 signature of `text` with SHA1 (version 1) or SHA256 (version 2). Signing costs 0.13 ms
  // (1024-bit) to 0.7 ms (2048-bit) of CPU: a publish signs once, on the I/O thread, for all its
  // subscribers, and only when one of them gets a signed document.
  std::string sign(std::string_view text, int version) const;

 private:
  // Makes the key and certificate if the store had none (once; later calls return at once).
  void ensure() const;

  storage::Engine* engine_ = nullptr;
  int key_bits_ = 1024;
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
