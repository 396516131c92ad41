// web/basic_auth.h
//
// BasicAuthenticator checks an "Authorization: Basic ..." header against the bcrypt hashes
// of a web config's basic_auth_users, with the system's libcrypt. bcrypt is slow on
// purpose (tens of milliseconds at cost 10), so a successful check is remembered for a
// short time: the cache key is an HMAC, under a per-process random key, of the user name
// and the password that was verified, so a wrong password never matches an entry and the
// cache never holds a password. An unknown user costs one bcrypt run too, so timing does
// not tell which user names exist. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/secret.h"

namespace andon::web {

class BasicAuthenticator {
 public:
  static constexpr std::chrono::seconds kDefaultCacheTtl{60};

  explicit BasicAuthenticator(std::map<std::string, Secret> users,
                              std::chrono::seconds cache_ttl = kDefaultCacheTtl);

  // Whether the Authorization header's value carries a configured user and its password.
  bool Allows(std::string_view authorization) const;

  // Whether `password` matches the bcrypt `hash` (a "$2a$/$2b$/$2y$" string); compares in
  // constant time.
  static bool BcryptMatches(const std::string& password, const std::string& hash);

 private:
  std::string CacheKey(std::string_view user, std::string_view password) const;

  const std::map<std::string, Secret> users_;
  const std::chrono::seconds cache_ttl_;
  std::string hmac_key_;
  mutable std::mutex mu_;
  // CacheKey -> when the entry expires; guarded by mu_.
  mutable std::unordered_map<std::string, std::chrono::steady_clock::time_point> cache_;
};

}  // namespace andon::web
