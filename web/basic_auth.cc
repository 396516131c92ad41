#include "web/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>
#include <optional>

namespace andon::web {
namespace {

// Entries kept at most; past it, expired ones go first and then all.
constexpr size_t kMaxCacheEntries = 1024;

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with optional padding; nullopt on any other character.
std::optional<std::string> Base64Decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = Base64Value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

BasicAuthenticator::BasicAuthenticator(std::map<std::string, Secret> users,
                                       std::chrono::seconds cache_ttl)
    : users_(std::move(users)), cache_ttl_(cache_ttl), hmac_key_(32, '\0') {
  RAND_bytes(reinterpret_cast<unsigned char*>(hmac_key_.data()),
             static_cast<int>(hmac_key_.size()));
}

bool BasicAuthenticator::BcryptMatches(const std::string& password, const std::string& hash) {
  if (password.find('\0') != std::string::npos) return false;
  auto data = std::make_unique<crypt_data>();
  const char* got = crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  if (got == nullptr || got[0] == '*') return false;
  std::string_view computed(got);
  return computed.size() == hash.size() &&
         CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
}

std::string BasicAuthenticator::CacheKey(std::string_view user, std::string_view password) const {
  std::string message(user);
  message += '\0';
  message += password;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), hmac_key_.data(), static_cast<int>(hmac_key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  OPENSSL_cleanse(message.data(), message.size());
  return std::string(reinterpret_cast<const char*>(mac), len);
}

bool BasicAuthenticator::Allows(std::string_view authorization) const {
  if (users_.empty()) return true;
  if (!StartsWithNoCase(authorization, "basic ")) return false;
  std::string_view encoded = authorization.substr(6);
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  std::optional<std::string> decoded = Base64Decode(encoded);
  if (!decoded) return false;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  std::string user = decoded->substr(0, colon);
  std::string password = decoded->substr(colon + 1);
  OPENSSL_cleanse(decoded->data(), decoded->size());

  std::string key = CacheKey(user, password);
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (it->second > now) return true;
      cache_.erase(it);
    }
  }
  auto found = users_.find(user);
  // An unknown user pays for one bcrypt run as well, against a real hash, and is refused.
  const std::string& hash =
      (found != users_.end() ? found->second : users_.begin()->second).Reveal();
  bool ok = BcryptMatches(password, hash) && found != users_.end();
  OPENSSL_cleanse(password.data(), password.size());
  if (!ok) return false;
  std::lock_guard lock(mu_);
  if (cache_.size() >= kMaxCacheEntries) {
    std::erase_if(cache_, [&](const auto& e) { return e.second <= now; });
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();
  }
  cache_[key] = now + cache_ttl_;
  return true;
}

}  // namespace andon::web
