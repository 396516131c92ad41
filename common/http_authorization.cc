#include "common/http_authorization.h"

#include <openssl/evp.h>

#include <cctype>

#include "common/file_reader.h"

namespace andon {

Result<std::string> ReadTrimmedFile(const std::string& path) {
  Result<std::string> read = ReadFileUpTo(path, kMaxSecretFileBytes);
  if (!read.ok()) return read.status();
  const std::string& s = *read;
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

Result<std::string> AuthorizationHeader(const config::HttpClientConfig& http) {
  auto secret = [](const Secret& inline_value, const std::string& file) -> Result<std::string> {
    if (file.empty()) return inline_value.Reveal();
    auto s = ReadTrimmedFile(file);
    if (!s.ok())
      return s.status().WithContext("unable to read authorization credentials file " + file);
    return s;
  };
  if (http.basic_auth) {
    auto password = secret(http.basic_auth->password, http.basic_auth->password_file);
    if (!password.ok()) return password.status();
    return "Basic " + Base64(http.basic_auth->username + ":" + *password);
  }
  if (http.authorization) {
    auto credentials =
        secret(http.authorization->credentials, http.authorization->credentials_file);
    if (!credentials.ok()) return credentials.status();
    return http.authorization->type + " " + *credentials;
  }
  return std::string();
}

}  // namespace andon
