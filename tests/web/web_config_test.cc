#include "web/web_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "tests/integration/andon_process.h"

namespace andon::web {
namespace {

using ::testing::HasSubstr;

Result<WebConfig> Parse(std::string_view text) {
  return ParseWebConfig(text, "web.yml", "/etc/andon");
}

TEST(WebConfigTest, EmptyFileMeansPlainHttpWithoutAuthentication) {
  auto c = Parse("");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(c->tls.has_value());
  EXPECT_TRUE(c->headers.empty());
  EXPECT_TRUE(c->basic_auth_users.empty());
}

TEST(WebConfigTest, ReadsTlsSectionWithPathsRelativeToTheFile) {
  auto c = Parse(R"(
tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_ca_file: ca/clients.pem
  client_auth_type: RequireAndVerifyClientCert
  min_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
  curve_preferences: [X25519, CurveP256]
  prefer_server_cipher_suites: false
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE(c->tls.has_value());
  EXPECT_EQ(c->tls->cert_file, "/etc/andon/server.crt");
  EXPECT_EQ(c->tls->key_file, "/abs/server.key");
  EXPECT_EQ(c->tls->client_ca_file, "/etc/andon/ca/clients.pem");
  EXPECT_EQ(c->tls->client_auth_type, ClientAuthType::kRequireAndVerifyClientCert);
  EXPECT_EQ(c->tls->min_version, TLS1_3_VERSION);
  EXPECT_EQ(c->tls->max_version, TLS1_3_VERSION);
  EXPECT_EQ(c->tls->cipher_list, "ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(c->tls->groups_list, "X25519:P-256");
  EXPECT_FALSE(c->tls->prefer_server_cipher_suites);
}

TEST(WebConfigTest, DefaultsToTls12AsMinimum) {
  auto c = Parse("tls_server_config: {cert_file: a.crt, key_file: a.key}");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->tls->min_version, TLS1_2_VERSION);
  EXPECT_EQ(c->tls->client_auth_type, ClientAuthType::kNoClientCert);
}

TEST(WebConfigTest, ReadsHeadersInFileOrderAndBasicAuthUsers) {
  auto c = Parse(R"(
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
    X-Content-Type-Options: nosniff
    X-XSS-Protection: "1; mode=block"
    Content-Security-Policy: default-src 'self'
basic_auth_users:
  alice: $2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->headers.size(), 5u);
  // Andon writes them in one fixed order, whatever the file's.
  EXPECT_EQ(c->headers[0].first, "Strict-Transport-Security");
  EXPECT_EQ(c->headers[0].second, "max-age=31536000");
  EXPECT_EQ(c->headers[1], std::make_pair(std::string("X-Frame-Options"), std::string("deny")));
  EXPECT_EQ(c->headers[3].second, "1; mode=block");
  EXPECT_EQ(c->headers[4].second, "default-src 'self'");
  ASSERT_EQ(c->basic_auth_users.count("alice"), 1u);
  EXPECT_EQ(c->basic_auth_users.at("alice").Reveal().substr(0, 7), "$2y$10$");
}

struct BadCase {
  const char* yaml;
  const char* error;
};

class WebConfigErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(WebConfigErrorTest, NamesFilePositionAndProblem) {
  auto c = Parse(GetParam().yaml);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, WebConfigErrorTest,
    ::testing::Values(
        BadCase{"tls_server_config:\n  cert_file: a\n  key_file: b\n  certfile: c\n",
                "web.yml:4:3: field \"certfile\" not found in type web.TLSConfig"},
        BadCase{"basic_auth_user:\n  a: b\n", "web.yml:1:1: field \"basic_auth_user\""},
        BadCase{"tls_server_config: {cert_file: a}\n", "missing key_file"},
        BadCase{"tls_server_config: {key_file: a}\n", "missing cert_file"},
        BadCase{"tls_server_config: {cert_file: a, key_file: b, client_auth_type: Yes}\n",
                "invalid client_auth_type \"Yes\""},
        BadCase{"tls_server_config: {cert_file: a, key_file: b, client_ca_file: c}\n",
                "client_auth_type is NoClientCert"},
        BadCase{"tls_server_config: {cert_file: a, key_file: b,"
                " client_auth_type: RequireAndVerifyClientCert}\n",
                "needs client_ca_file"},
        BadCase{"tls_server_config: {cert_file: a, key_file: b, min_version: TLS14}\n",
                "web.yml:1:61: unknown TLS version: TLS14"},
        BadCase{"tls_server_config: {cert_file: a, key_file: b, min_version: TLS13,"
                " max_version: TLS12}\n",
                "min_version is greater than max_version"},
        BadCase{"tls_server_config: {cert_file: a, key_file: b, cipher_suites: [RC4]}\n",
                "unknown cipher suite: RC4"},
        BadCase{"tls_server_config: {cert_file: a, key_file: b, curve_preferences: [P1]}\n",
                "unknown curve: P1"},
        BadCase{"tls_server_config: {cert_file: a, cert: x, key_file: b}\n",
                "cert and cert_file are mutually exclusive"},
        BadCase{"http_server_config:\n  headers:\n    Server: x\n",
                "web.yml:3:5: field \"Server\" not found in type web.Headers"},
        BadCase{"http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
                "invalid value for X-Frame-Options"},
        BadCase{"http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
                "invalid value for X-Content-Type-Options"},
        BadCase{"rate_limit: {interval: 1s, burst: 2}\n", "is not supported by Andon"},
        BadCase{"tls_server_config: [a]\n", "expected a mapping for web.TLSConfig"},
        BadCase{"basic_auth_users: {a: [b]}\n", "field \"basic_auth_users\""},
        BadCase{"tls_server_config: {cert_file: a\n", "web.yml:2:1: yaml:"}));

TEST(WebConfigTest, APlainPasswordIsRefusedWithoutEchoingIt) {
  auto c = Parse("basic_auth_users:\n  bob: hunter2-plaintext\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("user \"bob\" is not a bcrypt hash"));
  EXPECT_EQ(c.status().message().find("hunter2"), std::string::npos);
}

TEST(WebConfigTest, LoadNamesAMissingFile) {
  auto c = LoadWebConfigFile("/nonexistent/web.yml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kIOError);
  EXPECT_THAT(c.status().message(), HasSubstr("/nonexistent/web.yml"));
}

TEST(WebConfigTest, LoadResolvesPathsAgainstTheFilesDirectory) {
  auto dir = andon::testing::MakeTempDir("web-config-");
  andon::testing::WriteFile(dir / "web.yml",
                            "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n");
  auto c = LoadWebConfigFile((dir / "web.yml").string());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->tls->cert_file, (dir / "c.pem").string());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace andon::web
