#include "auth/authenticate.h"

#include "auth/auth_error.h"
#include "auth/presigned.h"

namespace runnel::auth {

Result<RequestIdentity> authenticate(const SignedRequest& req, const CredentialStore* store,
                                     std::chrono::system_clock::time_point now) {
  const auto header = find_header(req, "authorization");
  if (!header && is_presigned(req)) {
    RUNNEL_TRY(Presigned p, parse_presigned(req));
    if (store != nullptr) {
      RUNNEL_TRY(std::string_view secret, store->secret_for(p.auth.access_key));
      RUNNEL_CHECK(verify_presigned(req, p, secret, now));
    }
    RequestIdentity id;
    id.account_id = account_for_access_key(p.auth.access_key);
    id.access_key = std::move(p.auth.access_key);
    id.region = std::move(p.auth.region);
    id.service = std::move(p.auth.service);
    return id;
  }
  if (!header) return missing_authentication_token();
  const bool has_date = find_header(req, "x-amz-date") || find_header(req, "date");
  RUNNEL_TRY(Authorization auth, parse_authorization(*header, has_date));
  if (store != nullptr) {
    RUNNEL_TRY(std::string_view secret, store->secret_for(auth.access_key));
    RUNNEL_CHECK(verify(req, auth, secret, now));
  }
  RequestIdentity id;
  id.account_id = account_for_access_key(auth.access_key);
  id.access_key = std::move(auth.access_key);
  id.region = std::move(auth.region);
  id.service = std::move(auth.service);
  return id;
}

}  // namespace runnel::auth
