#include "sns/signer.h"

#include <memory>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "common/base64.h"

namespace runnel::sns {

namespace {

constexpr std::string_view kKeyKey = "sns/signing-key";
constexpr std::string_view kCertKey = "sns/signing-cert";

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

Key read_key(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return Key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
}

}  // namespace

Result<Signer> Signer::load_or_create(storage::Engine& engine, int key_bits) {
  Signer s;
  s.engine_ = &engine;
  s.key_bits_ = key_bits;
  auto key = engine.get(storage::Family::kMeta, kKeyKey);
  auto cert = engine.get(storage::Family::kMeta, kCertKey);
  if (key && cert) {
    if (Key parsed = read_key(*key)) {
      s.key_pem_ = std::move(*key);
      s.cert_pem_ = std::move(*cert);
      s.key_ = std::shared_ptr<EVP_PKEY>(parsed.release(), EVP_PKEY_free);
      std::call_once(*s.once_, [] {});  // nothing left to make
    }
  }
  return s;
}

const std::string& Signer::certificate_pem() const {
  ensure();
  return cert_pem_;
}

void Signer::ensure() const {
  std::call_once(*once_, [this] {
    Key pkey(EVP_RSA_gen(static_cast<unsigned>(key_bits_)), EVP_PKEY_free);
    Cert x509(X509_new(), X509_free);
    if (!pkey || !x509) return;
    X509_set_version(x509.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(x509.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x509.get()), 20L * 365 * 24 * 3600);
    X509_set_pubkey(x509.get(), pkey.get());
    X509_NAME* name = X509_get_subject_name(x509.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("runnel"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("sns.runnel.local"), -1, -1, 0);
    X509_set_issuer_name(x509.get(), name);
    if (!X509_sign(x509.get(), pkey.get(), EVP_sha256())) return;
    Bio key_bio(BIO_new(BIO_s_mem()), BIO_free), cert_bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PrivateKey(key_bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr);
    PEM_write_bio_X509(cert_bio.get(), x509.get());
    // Stored (synced) before the first signature leaves the server, so every signature ever sent
    // verifies against the certificate served after a restart. Written straight to the store, not
    // through the writer: this runs lazily on the first signature, which may be inside a writer step
    // (a confirmation signed in its Subscribe step, a Publish delivered by Service::publish_in),
    // where waiting for a writer commit would deadlock the writer; no step reads or writes these
    // keys, and call_once serialises it (storage::Batch).
    storage::Batch batch(*engine_);
    batch.put(storage::Family::kMeta, kKeyKey, bio_text(key_bio.get()));
    batch.put(storage::Family::kMeta, kCertKey, bio_text(cert_bio.get()));
    if (!engine_->write_synced(batch).ok()) return;
    key_pem_ = bio_text(key_bio.get());
    cert_pem_ = bio_text(cert_bio.get());
    key_ = std::shared_ptr<EVP_PKEY>(pkey.release(), EVP_PKEY_free);
  });
}

std::string Signer::sign(std::string_view text, int version) const {
  ensure();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!key_ || !ctx) return {};
  if (EVP_DigestSignInit(ctx.get(), nullptr, version == 2 ? EVP_sha256() : EVP_sha1(), nullptr, key_.get()) != 1) return {};
  size_t len = 0;
  auto data = reinterpret_cast<const unsigned char*>(text.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data, text.size()) != 1) return {};
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, data, text.size()) != 1) return {};
  sig.resize(len);
  return base64_encode(sig);
}

std::string string_to_sign(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    out += name;
    out += '\n';
    out += value;
    out += '\n';
  }
  return out;
}

}  // namespace runnel::sns
