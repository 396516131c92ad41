// web/web_config.h
//
// The web configuration file (`--web.config.file`) in the Prometheus exporter-toolkit
// format: TLS for the HTTP server (`tls_server_config`), basic authentication
// (`basic_auth_users`, bcrypt hashes) and response headers (`http_server_config.headers`).
// The format and Andon's deviations are documented in docs/security.md.
//
// Parsing is strict: unknown keys, malformed values and inconsistent settings are errors
// that name "file:line:column". Paths are resolved against the file's directory. Parsing
// does not open the certificate files; TlsServerContext (web/tls_server_context.h) does,
// and reports the file it could not use. A WebConfig is an immutable value once parsed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/secret.h"
#include "common/status.h"

namespace andon::web {

// Go's tls.ClientAuthType, by its Go name in the file.
enum class ClientAuthType {
  kNoClientCert,
  kRequestClientCert,
  kRequireAnyClientCert,
  kVerifyClientCertIfGiven,
  kRequireAndVerifyClientCert,
};

struct TlsServerConfig {
  // Either a file (resolved path) or inline PEM text for each of the three.
  std::string cert_file;
  std::string cert;
  std::string key_file;
  Secret key;
  std::string client_ca_file;
  std::string client_ca;
  ClientAuthType client_auth_type = ClientAuthType::kNoClientCert;
  int min_version = 0;  // OpenSSL protocol version constants (TLS1_2_VERSION, ...)
  int max_version = 0;
  // OpenSSL spellings of cipher_suites (TLS 1.2 and older) and curve_preferences, joined
  // by ':'; empty means OpenSSL's defaults.
  std::string cipher_list;
  std::string groups_list;
  bool prefer_server_cipher_suites = true;
};

struct WebConfig {
  // Set when tls_server_config names a certificate; otherwise the server speaks plain HTTP.
  std::optional<TlsServerConfig> tls;
  // Headers added to every response (the five allowed ones, in a fixed order).
  std::vector<std::pair<std::string, std::string>> headers;
  // User name -> bcrypt hash. Empty: no authentication.
  std::map<std::string, Secret> basic_auth_users;
};

// Parses the YAML text of a web config; `filename` prefixes error positions and relative
// paths are resolved against `base_dir`.
Result<WebConfig> ParseWebConfig(std::string_view yaml_text, std::string_view filename,
                                 std::string_view base_dir);

// Reads and parses a web config file. Errors name the file.
Result<WebConfig> LoadWebConfigFile(const std::string& path);

}  // namespace andon::web
