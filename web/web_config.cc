#include "web/web_config.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/file_reader.h"
#include "common/yaml_reader.h"

namespace andon::web {
namespace {

using yaml::MapReader;

struct NameMapping {
  std::string_view go_name;
  std::string_view openssl_name;
};

// Go's crypto/tls names of the suites it offers for TLS 1.2 and older, in OpenSSL's terms.
constexpr std::array<NameMapping, 14> kCipherSuites = {{
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
}};

// TLS 1.3 suites: Go accepts their names but does not let them be configured.
constexpr std::array<std::string_view, 3> kTls13Suites = {
    "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"};

constexpr std::array<NameMapping, 4> kCurves = {{
    {"CurveP256", "P-256"},
    {"CurveP384", "P-384"},
    {"CurveP521", "P-521"},
    {"X25519", "X25519"},
}};

constexpr std::array<std::pair<std::string_view, ClientAuthType>, 5> kClientAuthTypes = {{
    {"NoClientCert", ClientAuthType::kNoClientCert},
    {"RequestClientCert", ClientAuthType::kRequestClientCert},
    {"RequireAnyClientCert", ClientAuthType::kRequireAnyClientCert},
    {"VerifyClientCertIfGiven", ClientAuthType::kVerifyClientCertIfGiven},
    {"RequireAndVerifyClientCert", ClientAuthType::kRequireAndVerifyClientCert},
}};

constexpr std::array<std::string_view, 5> kHeaderNames = {
    "Strict-Transport-Security", "X-Frame-Options", "X-Content-Type-Options", "X-XSS-Protection",
    "Content-Security-Policy"};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool IsBcryptHash(const std::string& h) {
  return h.size() == 60 &&
         (h.rfind("$2a$", 0) == 0 || h.rfind("$2b$", 0) == 0 || h.rfind("$2y$", 0) == 0);
}

class Parser {
 public:
  Parser(const yaml::Source& src, std::string_view base_dir) : src_(src), base_dir_(base_dir) {}

  WebConfig Read(const YAML::Node& root) {
    WebConfig out;
    MapReader m(src_, root, "web.Config");
    if (const YAML::Node* n = m.Get("tls_server_config")) out.tls = ReadTls(*n);
    if (const YAML::Node* n = m.Get("http_server_config")) out.headers = ReadHttpServer(*n);
    if (const YAML::Node* n = m.Get("basic_auth_users")) {
      for (auto& [user, hash] : yaml::ReadStringMap(src_, *n, "basic_auth_users")) {
        if (!IsBcryptHash(hash)) {
          // The value is a secret: the message names the user, never the value.
          src_.Fail(*n, "basic_auth_users: the password of user \"" + user +
                            "\" is not a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters)");
        }
        out.basic_auth_users.emplace(user, Secret(hash));
      }
    }
    m.Unsupported({"rate_limit"});
    m.Finish();
    return out;
  }

 private:
  std::string ResolvePath(const std::string& p) const {
    if (p.empty() || base_dir_.empty() || base_dir_ == "." || p[0] == '/') return p;
    return (std::filesystem::path(base_dir_) / p).lexically_normal().string();
  }

  int ReadVersion(MapReader& m, std::string_view key, int fallback) {
    std::string v;
    if (!m.String(key, &v)) return fallback;
    if (v == "TLS10") return TLS1_VERSION;
    if (v == "TLS11") return TLS1_1_VERSION;
    if (v == "TLS12") return TLS1_2_VERSION;
    if (v == "TLS13") return TLS1_3_VERSION;
    m.Fail(*m.Get(key), "unknown TLS version: " + v + " (one of TLS10, TLS11, TLS12, TLS13)");
  }

  std::optional<TlsServerConfig> ReadTls(const YAML::Node& node) {
    TlsServerConfig t;
    MapReader m(src_, node, "web.TLSConfig");
    if (m.String("cert_file", &t.cert_file)) t.cert_file = ResolvePath(t.cert_file);
    if (m.String("key_file", &t.key_file)) t.key_file = ResolvePath(t.key_file);
    if (m.String("client_ca_file", &t.client_ca_file)) {
      t.client_ca_file = ResolvePath(t.client_ca_file);
    }
    m.String("cert", &t.cert);
    std::string key;
    if (m.String("key", &key)) t.key = Secret(std::move(key));
    m.String("client_ca", &t.client_ca);
    std::string auth;
    if (m.String("client_auth_type", &auth)) {
      auto it = std::find_if(kClientAuthTypes.begin(), kClientAuthTypes.end(),
                             [&](const auto& p) { return p.first == auth; });
      if (it == kClientAuthTypes.end()) {
        m.Fail(*m.Get("client_auth_type"),
               "invalid client_auth_type \"" + auth +
                   "\" (one of NoClientCert, RequestClientCert, RequireAnyClientCert, "
                   "VerifyClientCertIfGiven, RequireAndVerifyClientCert)");
      }
      t.client_auth_type = it->second;
    }
    t.min_version = ReadVersion(m, "min_version", TLS1_2_VERSION);
    t.max_version = ReadVersion(m, "max_version", TLS1_3_VERSION);
    if (t.min_version > t.max_version) {
      m.Fail(m.node(), "min_version is greater than max_version");
    }
    std::vector<std::string> suites;
    m.StringList("cipher_suites", &suites);
    for (const std::string& s : suites) {
      auto it = std::find_if(kCipherSuites.begin(), kCipherSuites.end(),
                             [&](const NameMapping& c) { return c.go_name == s; });
      if (it != kCipherSuites.end()) {
        t.cipher_list += (t.cipher_list.empty() ? "" : ":") + std::string(it->openssl_name);
      } else if (std::find(kTls13Suites.begin(), kTls13Suites.end(), s) == kTls13Suites.end()) {
        m.Fail(*m.Get("cipher_suites"), "unknown cipher suite: " + s);
      }
    }
    std::vector<std::string> curves;
    m.StringList("curve_preferences", &curves);
    for (const std::string& c : curves) {
      auto it = std::find_if(kCurves.begin(), kCurves.end(),
                             [&](const NameMapping& n) { return n.go_name == c; });
      if (it == kCurves.end()) {
        m.Fail(*m.Get("curve_preferences"),
               "unknown curve: " + c + " (one of CurveP256, CurveP384, CurveP521, X25519)");
      }
      t.groups_list += (t.groups_list.empty() ? "" : ":") + std::string(it->openssl_name);
    }
    m.Bool("prefer_server_cipher_suites", &t.prefer_server_cipher_suites);
    m.Unsupported({"client_allowed_sans"});
    m.Finish();

    bool has_cert = !t.cert_file.empty() || !t.cert.empty();
    bool has_key = !t.key_file.empty() || !t.key.empty();
    if (!t.cert_file.empty() && !t.cert.empty()) {
      m.Fail(node, "tls_server_config: cert and cert_file are mutually exclusive");
    }
    if (!t.key_file.empty() && !t.key.empty()) {
      m.Fail(node, "tls_server_config: key and key_file are mutually exclusive");
    }
    if (!t.client_ca_file.empty() && !t.client_ca.empty()) {
      m.Fail(node, "tls_server_config: client_ca and client_ca_file are mutually exclusive");
    }
    bool has_ca = !t.client_ca_file.empty() || !t.client_ca.empty();
    if (!has_cert && !has_key) {
      if (has_ca || t.client_auth_type != ClientAuthType::kNoClientCert) {
        m.Fail(node, "tls_server_config: client authentication needs cert_file and key_file");
      }
      return std::nullopt;  // no TLS, as exporter-toolkit
    }
    if (!has_cert) m.Fail(node, "tls_server_config: missing cert_file");
    if (!has_key) m.Fail(node, "tls_server_config: missing key_file");
    if (has_ca && t.client_auth_type == ClientAuthType::kNoClientCert) {
      m.Fail(node,
             "tls_server_config: client_ca_file is set but client_auth_type is "
             "NoClientCert");
    }
    if (!has_ca && (t.client_auth_type == ClientAuthType::kVerifyClientCertIfGiven ||
                    t.client_auth_type == ClientAuthType::kRequireAndVerifyClientCert)) {
      m.Fail(node, "tls_server_config: client_auth_type " + auth + " needs client_ca_file");
    }
    return t;
  }

  std::vector<std::pair<std::string, std::string>> ReadHttpServer(const YAML::Node& node) {
    std::vector<std::pair<std::string, std::string>> headers;
    MapReader m(src_, node, "web.HTTPConfig");
    bool http2 = true;
    m.Bool("http2", &http2);  // Andon serves HTTP/1.1 only; accepted for compatibility
    if (const YAML::Node* h = m.Get("headers")) {
      MapReader hm(src_, *h, "web.Headers");
      for (std::string_view name : kHeaderNames) {
        std::string value;
        if (!hm.String(name, &value) || value.empty()) continue;
        if (name == "X-Frame-Options" && Lower(value) != "deny" && Lower(value) != "sameorigin") {
          hm.Fail(*hm.Get(name),
                  "invalid value for X-Frame-Options: \"" + value + "\" (one of deny, sameorigin)");
        }
        if (name == "X-Content-Type-Options" && Lower(value) != "nosniff") {
          hm.Fail(*hm.Get(name),
                  "invalid value for X-Content-Type-Options: \"" + value + "\" (nosniff)");
        }
        headers.emplace_back(std::string(name), value);
      }
      hm.Finish();
    }
    m.Finish();
    return headers;
  }

  const yaml::Source& src_;
  std::string base_dir_;
};

}  // namespace

Result<WebConfig> ParseWebConfig(std::string_view yaml_text, std::string_view filename,
                                 std::string_view base_dir) {
  Result<YAML::Node> root = yaml::LoadYaml(yaml_text, filename);
  if (!root.ok()) return root.status();
  yaml::Source src{std::string(filename)};
  try {
    return Parser(src, base_dir).Read(*root);
  } catch (const yaml::ParseError& e) {
    return Status::InvalidArgument(e.what());
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(src.Position(e.mark) + ": yaml: " + e.msg);
  }
}

Result<WebConfig> LoadWebConfigFile(const std::string& path) {
  Result<std::string> text = ReadFileUpTo(path, kMaxConfigFileBytes);
  if (!text.ok()) return text.status().WithContext("open web config " + path);
  std::string dir = std::filesystem::path(path).parent_path().string();
  return ParseWebConfig(*text, path, dir.empty() ? "." : dir);
}

}  // namespace andon::web
