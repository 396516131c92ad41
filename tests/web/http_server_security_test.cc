// HttpServer with a web config, in process: TLS, client certificates, basic auth and
// headers (the paths ThreadSanitizer sees in web_test). The real binary is tested in
// tests/integration/web_security_test.cc.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "tests/integration/andon_process.h"
#include "tests/test_certificates.h"
#include "tests/web_security_client.h"
#include "web/http_server.h"

namespace andon::web {
namespace {

using andon::testing::BasicAuthorization;
using andon::testing::BcryptHash;
using andon::testing::ClientTls;
using andon::testing::WebGet;
using andon::testing::WebResponse;

class HttpServerSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = andon::testing::MakeTempDir("http-server-security-");
    std::filesystem::create_directories(dir_ / "clients");
    certs_ = andon::testing::MakeTestCertificates(dir_.string());
    clients_ = andon::testing::MakeTestCertificates((dir_ / "clients").string());
  }
  void TearDown() override {
    if (server_) server_->Stop();
    std::filesystem::remove_all(dir_);
  }

  Status StartServer(WebConfig config, int handler_threads = 0) {
    HttpServerOptions opts;
    opts.listen_address = "127.0.0.1:0";
    opts.threads = 1;
    opts.handler_threads = handler_threads;
    opts.web_config = std::make_shared<const WebConfig>(std::move(config));
    server_ = std::make_unique<HttpServer>(opts);
    server_->Handle("/hello", {"GET"},
                    [](const HttpRequest&, HttpResponse& res) { res.body = "hello"; });
    server_->Handle(
        "/io", {"GET"}, [](const HttpRequest&, HttpResponse& res) { res.body = "io"; },
        HandlerThread::kIo);
    return server_->Start();
  }

  TlsServerConfig Tls() const {
    TlsServerConfig t;
    t.cert_file = certs_.cert_file;
    t.key_file = certs_.key_file;
    t.min_version = TLS1_2_VERSION;
    t.max_version = TLS1_3_VERSION;
    return t;
  }

  std::filesystem::path dir_;
  andon::testing::TestCertificates certs_, clients_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerSecurityTest, ServesTlsToConcurrentClientsAndNothingInPlainText) {
  WebConfig config;
  config.tls = Tls();
  ASSERT_TRUE(StartServer(config).ok());
  ClientTls trust{certs_.ca_file, "", ""};
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&] {
      for (int j = 0; j < 5; ++j) ok += WebGet(server_->port(), "/hello", trust).body == "hello";
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(WebGet(server_->port(), "/hello", std::nullopt).status, 0);
}

TEST_F(HttpServerSecurityTest, StartFailsNamingAnUnreadableCertificate) {
  WebConfig config;
  config.tls = Tls();
  config.tls->cert_file = (dir_ / "nope.pem").string();
  Status s = StartServer(config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find((dir_ / "nope.pem").string()), std::string::npos) << s.message();
}

TEST_F(HttpServerSecurityTest, VerifiesClientCertificatesWhenRequired) {
  WebConfig config;
  config.tls = Tls();
  config.tls->client_auth_type = ClientAuthType::kRequireAndVerifyClientCert;
  config.tls->client_ca_file = clients_.ca_file;
  ASSERT_TRUE(StartServer(config).ok());
  EXPECT_EQ(WebGet(server_->port(), "/hello",
                   ClientTls{certs_.ca_file, clients_.cert_file, clients_.key_file})
                .status,
            200);
  EXPECT_EQ(WebGet(server_->port(), "/hello", ClientTls{certs_.ca_file, "", ""}).status, 0);
  EXPECT_EQ(WebGet(server_->port(), "/hello",
                   ClientTls{certs_.ca_file, certs_.cert_file, certs_.key_file})
                .status,
            0);
}

TEST_F(HttpServerSecurityTest, AsksForBasicAuthBeforeAnyHandlerAndAddsHeaders) {
  WebConfig config;
  config.basic_auth_users.emplace("alice", Secret(BcryptHash("pw")));
  config.headers = {{"X-Frame-Options", "deny"}};
  ASSERT_TRUE(StartServer(config).ok());
  WebResponse good =
      WebGet(server_->port(), "/hello", std::nullopt, BasicAuthorization("alice", "pw"));
  EXPECT_EQ(good.status, 200);
  EXPECT_EQ(good.headers["x-frame-options"], "deny");
  WebResponse bad =
      WebGet(server_->port(), "/hello", std::nullopt, BasicAuthorization("alice", "px"));
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.headers["www-authenticate"], "Basic");
  EXPECT_EQ(bad.headers["x-frame-options"], "deny");
  EXPECT_EQ(bad.body.find("hello"), std::string::npos);
  // Unrouted paths are refused too, not answered 404 to strangers.
  EXPECT_EQ(WebGet(server_->port(), "/nowhere", std::nullopt).status, 401);
}

// With a handler pool, basic auth moves every request to the pool (bcrypt stays off the io
// thread) and still guards routes that would otherwise run on the io thread.
TEST_F(HttpServerSecurityTest, BasicAuthGuardsIoThreadRoutesWhenHandlersRunOnAPool) {
  WebConfig config;
  config.basic_auth_users.emplace("alice", Secret(BcryptHash("pw")));
  ASSERT_TRUE(StartServer(config, /*handler_threads=*/2).ok());
  const std::string alice = BasicAuthorization("alice", "pw");
  EXPECT_EQ(WebGet(server_->port(), "/io", std::nullopt).status, 401);
  EXPECT_EQ(WebGet(server_->port(), "/io", std::nullopt, BasicAuthorization("alice", "px")).status,
            401);
  EXPECT_EQ(WebGet(server_->port(), "/io", std::nullopt, alice).body, "io");
  EXPECT_EQ(WebGet(server_->port(), "/hello", std::nullopt, alice).body, "hello");
  EXPECT_EQ(WebGet(server_->port(), "/nowhere", std::nullopt).status, 401);
  EXPECT_EQ(WebGet(server_->port(), "/nowhere", std::nullopt, alice).status, 404);
}

}  // namespace
}  // namespace andon::web
