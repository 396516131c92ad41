// Starts the real andon binary with --web.config.file and checks TLS (server and client
// certificates, rotation), basic authentication, response headers, `andon check
// web-config`, and that planted secrets never leave the process.
#include <gtest/gtest.h>

#include "tests/integration/andon_process.h"
#include "tests/test_certificates.h"
#include "tests/wait_for.h"
#include "tests/web_security_client.h"

namespace andon::testing {
namespace {

namespace fs = std::filesystem;

// Certificates for one test: `server` (CA A) serves; `rotated` is a second CA and server
// pair; `clients` is a CA whose "server" certificate the tests use as client certificate.
class WebSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("andon-websec-");
    for (const char* sub : {"a", "b", "c"}) fs::create_directories(dir_ / sub);
    server_ = MakeTestCertificates((dir_ / "a").string());
    rotated_ = MakeTestCertificates((dir_ / "b").string());
    clients_ = MakeTestCertificates((dir_ / "c").string());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string WriteWebConfig(const std::string& text) {
    fs::path p = dir_ / "web.yml";
    WriteFile(p, text);
    return p.string();
  }
  std::string TlsSection(const std::string& extra = "") const {
    return "tls_server_config:\n  cert_file: " + server_.cert_file +
           "\n  key_file: " + server_.key_file + "\n" + extra;
  }
  ClientTls TrustServer() const { return {server_.ca_file, "", ""}; }

  fs::path dir_;
  TestCertificates server_, rotated_, clients_;
};

TEST_F(WebSecurityTest, ServesHttpsWithTheRightCaAndRefusesPlainHttpAndOtherCas) {
  AndonProcess andon({"--web.config.file=" + WriteWebConfig(TlsSection())});
  ClientTls trust = TrustServer();
  ASSERT_TRUE(andon.Start([&](uint16_t port) {
    return WebGet(port, "/-/ready", trust).status == 200;
  })) << andon.Log();
  WebResponse ok = WebGet(andon.port(), "/api/v1/status/buildinfo", trust);
  EXPECT_EQ(ok.status, 200) << ok.error;
  EXPECT_NE(ok.body.find("\"success\""), std::string::npos);

  WebResponse plain = WebGet(andon.port(), "/-/healthy", std::nullopt);
  EXPECT_EQ(plain.status, 0) << plain.body;
  WebResponse other_ca = WebGet(andon.port(), "/-/healthy", ClientTls{rotated_.ca_file, "", ""});
  EXPECT_EQ(other_ca.status, 0);
  EXPECT_FALSE(other_ca.error.empty());
  // Still serving after the failed handshakes.
  EXPECT_EQ(WebGet(andon.port(), "/-/healthy", trust).status, 200);
  EXPECT_EQ(andon.StopWith(SIGTERM), 0) << andon.Log();
}

TEST_F(WebSecurityTest, BasicAuthGuardsEveryPathWithOneAnswerForEveryFailure) {
  std::string config = "basic_auth_users:\n  alice: " + BcryptHash("wonderland") +
                       "\n  bob: " + BcryptHash("builder") +
                       "\nhttp_server_config:\n  headers:\n"
                       "    Strict-Transport-Security: max-age=31536000\n"
                       "    X-Frame-Options: deny\n"
                       "    X-Content-Type-Options: nosniff\n"
                       "    X-XSS-Protection: 1; mode=block\n"
                       "    Content-Security-Policy: default-src 'self'\n";
  AndonProcess andon({"--web.config.file=" + WriteWebConfig(config)});
  std::string alice = BasicAuthorization("alice", "wonderland");
  ASSERT_TRUE(andon.Start([&](uint16_t port) {
    return WebGet(port, "/-/ready", std::nullopt, alice).status == 200;
  })) << andon.Log();
  uint16_t port = andon.port();

  WebResponse good = WebGet(port, "/api/v1/query?query=1", std::nullopt, alice);
  EXPECT_EQ(good.status, 200) << good.body;
  EXPECT_EQ(WebGet(port, "/-/healthy", std::nullopt, BasicAuthorization("bob", "builder")).status,
            200);

  WebResponse none = WebGet(port, "/api/v1/query?query=1", std::nullopt);
  WebResponse wrong_password =
      WebGet(port, "/api/v1/query?query=1", std::nullopt, BasicAuthorization("alice", "builder"));
  WebResponse wrong_user = WebGet(port, "/api/v1/query?query=1", std::nullopt,
                                  BasicAuthorization("carol", "wonderland"));
  WebResponse bearer = WebGet(port, "/api/v1/query?query=1", std::nullopt, "Bearer wonderland");
  for (const WebResponse* r : {&none, &wrong_password, &wrong_user, &bearer}) {
    EXPECT_EQ(r->status, 401) << r->error;
    EXPECT_EQ(r->headers.count("www-authenticate") ? r->headers.at("www-authenticate") : "",
              "Basic");
    EXPECT_EQ(r->body, none.body);
  }
  // Health endpoints too, as Prometheus.
  EXPECT_EQ(WebGet(port, "/-/healthy", std::nullopt).status, 401);
  EXPECT_EQ(WebGet(port, "/-/ready", std::nullopt).status, 401);

  // The configured headers on every response, refused ones included.
  for (WebResponse* r : {&good, &none}) {
    EXPECT_EQ(r->headers["strict-transport-security"], "max-age=31536000");
    EXPECT_EQ(r->headers["x-frame-options"], "deny");
    EXPECT_EQ(r->headers["x-content-type-options"], "nosniff");
    EXPECT_EQ(r->headers["x-xss-protection"], "1; mode=block");
    EXPECT_EQ(r->headers["content-security-policy"], "default-src 'self'");
  }
  EXPECT_EQ(andon.StopWith(SIGTERM), 0) << andon.Log();
}

TEST_F(WebSecurityTest, RequiredClientCertificateMustBeSignedByTheClientCa) {
  AndonProcess andon({"--web.config.file=" +
                      WriteWebConfig(TlsSection("  client_auth_type: RequireAndVerifyClientCert\n"
                                                "  client_ca_file: " +
                                                clients_.ca_file + "\n"))});
  ClientTls with_cert{server_.ca_file, clients_.cert_file, clients_.key_file};
  ASSERT_TRUE(andon.Start([&](uint16_t port) {
    return WebGet(port, "/-/ready", with_cert).status == 200;
  })) << andon.Log();
  EXPECT_EQ(WebGet(andon.port(), "/api/v1/status/buildinfo", with_cert).status, 200);

  WebResponse without = WebGet(andon.port(), "/-/healthy", TrustServer());
  EXPECT_EQ(without.status, 0) << without.body;
  EXPECT_FALSE(without.error.empty());
  // A certificate from another CA (the rotated server's) is refused as well.
  WebResponse foreign = WebGet(andon.port(), "/-/healthy",
                               ClientTls{server_.ca_file, rotated_.cert_file, rotated_.key_file});
  EXPECT_EQ(foreign.status, 0) << foreign.body;
  EXPECT_EQ(andon.StopWith(SIGTERM), 0) << andon.Log();
}

TEST_F(WebSecurityTest, RotatedCertificateIsServedToNewConnections) {
  AndonProcess andon({"--web.config.file=" + WriteWebConfig(TlsSection())});
  ClientTls old_ca = TrustServer();
  ClientTls new_ca{rotated_.ca_file, "", ""};
  ASSERT_TRUE(andon.Start([&](uint16_t port) {
    return WebGet(port, "/-/ready", old_ca).status == 200;
  })) << andon.Log();
  EXPECT_EQ(WebGet(andon.port(), "/-/healthy", new_ca).status, 0);

  // Replace both files the way cert-manager and friends do: write beside, then rename.
  fs::copy_file(rotated_.cert_file, server_.cert_file + ".new");
  fs::copy_file(rotated_.key_file, server_.key_file + ".new");
  fs::rename(server_.cert_file + ".new", server_.cert_file);
  fs::rename(server_.key_file + ".new", server_.key_file);

  EXPECT_TRUE(WaitFor([&] { return WebGet(andon.port(), "/-/healthy", new_ca).status == 200; }))
      << andon.Log();
  EXPECT_EQ(WebGet(andon.port(), "/-/healthy", old_ca).status, 0);
  EXPECT_EQ(andon.StopWith(SIGTERM), 0) << andon.Log();
}

TEST_F(WebSecurityTest, RefusesToStartOnABadWebConfigNamingTheFile) {
  auto data = dir_ / "data";
  auto run = [&](const std::string& web_config) {
    return RunAndon({"--web.config.file=" + web_config, "--web.listen-address=127.0.0.1:0",
                     "--storage.tsdb.path=" + data.string()});
  };
  std::string unknown_key = WriteWebConfig("basic_auth_userz:\n  a: b\n");
  auto [rc1, out1] = run(unknown_key);
  EXPECT_EQ(rc1, 1);
  EXPECT_NE(out1.find(unknown_key + ":1:1"), std::string::npos) << out1;
  EXPECT_NE(out1.find("basic_auth_userz"), std::string::npos) << out1;

  std::string missing_cert = (dir_ / "missing.pem").string();
  WriteWebConfig("tls_server_config:\n  cert_file: missing.pem\n  key_file: " + server_.key_file +
                 "\n");
  auto [rc2, out2] = run((dir_ / "web.yml").string());
  EXPECT_EQ(rc2, 1);
  EXPECT_NE(out2.find(missing_cert), std::string::npos) << out2;

  auto [rc3, out3] = run((dir_ / "absent.yml").string());
  EXPECT_EQ(rc3, 1);
  EXPECT_NE(out3.find((dir_ / "absent.yml").string()), std::string::npos) << out3;
}

TEST_F(WebSecurityTest, CheckWebConfigReportsEachFileWithPromtoolExitCodes) {
  std::string good =
      WriteWebConfig(TlsSection() + "basic_auth_users:\n  alice: " + BcryptHash("x") + "\n");
  auto [rc, out] = RunAndon({"check", "web-config", good});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, good + " SUCCESS\n");

  // A key that does not belong to the certificate: found by loading, not just parsing.
  fs::path mismatched = dir_ / "mismatched.yml";
  WriteFile(mismatched, "tls_server_config:\n  cert_file: " + server_.cert_file +
                            "\n  key_file: " + rotated_.key_file + "\n");
  fs::path typo = dir_ / "typo.yml";
  WriteFile(typo, "tls_server_config:\n  cert_file: a\n  keyfile: b\n");
  auto [rc1, out1] = RunAndon({"check", "web-config", good, mismatched.string(), typo.string()});
  EXPECT_EQ(rc1, 1) << out1;
  EXPECT_NE(out1.find(good + " SUCCESS"), std::string::npos) << out1;
  EXPECT_NE(out1.find(mismatched.string() + " FAILED: "), std::string::npos) << out1;
  EXPECT_NE(out1.find(rotated_.key_file), std::string::npos) << out1;
  EXPECT_NE(out1.find(typo.string() + " FAILED: " + typo.string() + ":3:3: field \"keyfile\""),
            std::string::npos)
      << out1;

  auto [rc2, out2] = RunAndon({"check", "web-config", (dir_ / "absent.yml").string()});
  EXPECT_EQ(rc2, 2) << out2;
  EXPECT_EQ(RunAndon({"check", "web-config"}).first, 2);
}

// Secrets planted in the andon config (inline and through *_file) and in the web config
// must not show in the config API, in the logs, or in the errors of failing reloads.
TEST_F(WebSecurityTest, PlantedSecretsNeverLeaveTheProcess) {
  const std::vector<std::string> planted = {
      "PLANTED_basic_pw_1111",  "PLANTED_bearer_2222",      "PLANTED_file_token_3333",
      "PLANTED_file_pw_4444",   "PLANTED_slack_5555",       "PLANTED_slack_file_6666",
      "PLANTED_slack_bad_7777", "PLANTED_list_pw_8888",     "PLANTED_unterminated_9999",
      "PLANTED_web_pw_0000",    "PLANTED_wrong_web_pw_0001"};
  WriteFile(dir_ / "token.txt", "PLANTED_file_token_3333\n");
  WriteFile(dir_ / "password.txt", "PLANTED_file_pw_4444\n");
  WriteFile(dir_ / "slack.txt", "https://hooks.slack.com/services/PLANTED_slack_file_6666\n");
  auto config_with = [](const std::string& basic_password, const std::string& slack_url) {
    return "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
           "scrape_configs:\n"
           "  - job_name: basic\n"
           "    basic_auth: {username: alice, password: " +
           basic_password +
           "}\n"
           "    static_configs: [{targets: ['127.0.0.1:1']}]\n"
           "  - job_name: bearer\n"
           "    authorization: {credentials: PLANTED_bearer_2222}\n"
           "    static_configs: [{targets: ['127.0.0.1:1']}]\n"
           "  - job_name: bearer-file\n"
           "    bearer_token_file: token.txt\n"
           "    static_configs: [{targets: ['127.0.0.1:1']}]\n"
           "  - job_name: password-file\n"
           "    basic_auth: {username: bob, password_file: password.txt}\n"
           "    static_configs: [{targets: ['127.0.0.1:1']}]\n"
           "alerting:\n"
           "  global:\n"
           "    slack_api_url: " +
           slack_url +
           "\n"
           "  route: {receiver: team-a}\n"
           "  receivers:\n"
           "    - name: team-a\n"
           "      slack_configs:\n"
           "        - channel: '#a'\n"
           "          api_url_file: slack.txt\n";
  };
  fs::path cfg = dir_ / "andon.yml";
  WriteFile(cfg, config_with("PLANTED_basic_pw_1111",
                             "https://hooks.slack.com/services/PLANTED_slack_5555"));
  std::string web_hash = BcryptHash("PLANTED_web_pw_0000");
  std::string web = WriteWebConfig("basic_auth_users:\n  admin: " + web_hash + "\n");
  std::string admin = BasicAuthorization("admin", "PLANTED_web_pw_0000");
  AndonProcess andon({"--config.file=" + cfg.string(), "--web.config.file=" + web,
                      "--web.enable-lifecycle", "--log.level=debug"});
  ASSERT_TRUE(andon.Start([&](uint16_t port) {
    return WebGet(port, "/-/ready", std::nullopt, admin).status == 200;
  })) << andon.Log();
  uint16_t port = andon.port();

  std::vector<std::pair<std::string, std::string>> exposed;  // where, text
  WebResponse config = WebGet(port, "/api/v1/status/config", std::nullopt, admin);
  ASSERT_EQ(config.status, 200) << config.body;
  ASSERT_NE(config.body.find("password-file"), std::string::npos) << config.body;
  exposed.emplace_back("/api/v1/status/config", config.body);
  exposed.emplace_back("401", WebGet(port, "/api/v1/status/config", std::nullopt,
                                     BasicAuthorization("admin", "PLANTED_wrong_web_pw_0001"))
                                  .body);
  // Let the scrapes with credentials run and fail a few times.
  ASSERT_TRUE(WaitFor([&] {
    return WebGet(port, "/api/v1/query?query=count(up==0)", std::nullopt, admin)
               .body.find("\"4\"") != std::string::npos;
  })) << andon.Log();

  const std::vector<std::string> bad_configs = {
      config_with("PLANTED_basic_pw_1111", "PLANTED_slack_bad_7777"),
      config_with("[PLANTED_list_pw_8888]", "https://hooks.slack.com/services/PLANTED_slack_5555"),
      config_with("\"PLANTED_unterminated_9999", "https://x.example/"),
      config_with("PLANTED_basic_pw_1111, passwrd: x", "https://x.example/"),
  };
  for (const std::string& bad : bad_configs) {
    WriteFile(cfg, bad);
    HttpResult post = HttpRequestTo(port, "POST", "/-/reload", "", "", {{"Authorization", admin}});
    EXPECT_EQ(post.status, 500) << post.body << post.error;
    exposed.emplace_back("POST /-/reload", post.body);
  }
  EXPECT_EQ(andon.StopWith(SIGTERM), 0) << andon.Log();
  std::string log = andon.Log();
  ASSERT_NE(log.find("error reloading config"), std::string::npos) << log;
  exposed.emplace_back("log", log);
  for (const auto& [where, text] : exposed) {
    for (const std::string& secret : planted) {
      EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << where << ":\n" << text;
    }
    EXPECT_EQ(text.find(web_hash), std::string::npos) << "web hash in " << where;
  }
}

}  // namespace
}  // namespace andon::testing
