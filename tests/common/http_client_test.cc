// HttpClient against real loopback Beast servers (HTTP and HTTPS): requests as sent,
// responses as received, keep-alive, deadlines, size limits, auth, TLS verification and
// cancellation of requests in flight.
#include "common/http_client.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "tests/loopback_http_server.h"
#include "tests/test_certificates.h"

namespace andon {
namespace {

namespace asio = boost::asio;
using testing::LoopbackHttpServer;
using testing::TestReply;
using testing::TestRequest;
using namespace std::chrono_literals;

class HttpClientTest : public ::testing::Test {
 protected:
  HttpClientTest() : work_(ioc_.get_executor()), thread_([this] { ioc_.run(); }) {
    char tmpl[] = "/tmp/andon-http-client-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~HttpClientTest() override {
    client_.reset();
    work_.reset();
    thread_.join();
    std::filesystem::remove_all(dir_);
  }

  void MakeClient(HttpClient::Options options = {}) {
    auto c = HttpClient::Create(ioc_.get_executor(), std::move(options));
    ASSERT_TRUE(c.ok()) << c.status().message();
    client_ = std::move(c).value();
  }

  Result<HttpResponse> Do(HttpRequest req) {
    std::promise<Result<HttpResponse>> p;
    client_->Do(std::move(req), [&](Result<HttpResponse> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }

  static HttpRequest Post(std::string url, std::string body = "{}") {
    HttpRequest r;
    r.url = std::move(url);
    r.body = std::move(body);
    r.headers = {{"Content-Type", "application/json"}};
    r.timeout = 2s;
    return r;
  }

  std::string dir_;
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(HttpClientTest, PostsMethodTargetHeadersAndBodyAndReturnsTheResponse) {
  LoopbackHttpServer server([](const TestRequest&) {
    return TestReply{.status = 202,
                     .body = "accepted",
                     .content_type = "text/plain",
                     .headers = {{"X-Answer", "42"}}};
  });
  MakeClient();
  HttpRequest req = Post(server.Url("/api/v2/alerts?x=1"), R"([{"labels":{}}])");
  req.headers.emplace_back("X-Custom", "yes");
  auto res = Do(req);
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->status, 202);
  EXPECT_EQ(res->reason, "Accepted");
  EXPECT_EQ(res->body, "accepted");
  EXPECT_EQ(res->Header("x-answer"), "42");
  EXPECT_EQ(res->Header("Content-Type"), "text/plain");
  EXPECT_EQ(res->Header("missing"), "");
  TestRequest r = server.last_request();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/api/v2/alerts?x=1");
  EXPECT_EQ(r.body, R"([{"labels":{}}])");
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.headers["content-length"], "15");
  EXPECT_EQ(r.headers["x-custom"], "yes");
  EXPECT_EQ(r.headers["host"], server.address());
  EXPECT_EQ(r.headers["user-agent"], kHttpClientUserAgent);
  EXPECT_EQ(r.headers.count("authorization"), 0u);
}

TEST_F(HttpClientTest, GetWithoutBody) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = "ok"}; });
  MakeClient();
  HttpRequest req;
  req.method = "GET";
  req.url = server.Url("/-/ready");
  auto res = Do(req);
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->body, "ok");
  EXPECT_EQ(server.last_request().method, "GET");
  EXPECT_EQ(server.last_request().body, "");
}

TEST_F(HttpClientTest, ErrorStatusesAreResponsesNotErrors) {
  LoopbackHttpServer server([](const TestRequest&) {
    return TestReply{.status = 429, .body = "slow down", .headers = {{"Retry-After", "3"}}};
  });
  MakeClient();
  auto res = Do(Post(server.Url("/")));
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(res->reason, "Too Many Requests");
  EXPECT_EQ(res->Header("retry-after"), "3");
  EXPECT_EQ(res->body, "slow down");
}

// Slack, webhooks, Alertmanagers and remote write: a redirect (here to another scheme) is
// handed back as the response, never followed, so a receiver cannot bounce alert bodies or
// credentials to another address.
TEST_F(HttpClientTest, ARedirectIsReturnedNotFollowed) {
  LoopbackHttpServer server([](const TestRequest&) {
    return TestReply{.status = 302, .headers = {{"Location", "ftp://198.51.100.1/steal"}}};
  });
  MakeClient();
  auto res = Do(Post(server.Url("/")));
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->status, 302);
  EXPECT_EQ(res->Header("location"), "ftp://198.51.100.1/steal");
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(HttpClientTest, ReusesKeepAliveConnectionsAndRedialsWhenTheServerDroppedOne) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = "ok"}; });
  MakeClient();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Do(Post(server.Url("/"))).ok());
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(client_->connections_opened(), 1);
  server.DropConnections();
  std::this_thread::sleep_for(50ms);
  auto res = Do(Post(server.Url("/")));
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->body, "ok");
  EXPECT_EQ(client_->connections_opened(), 2);
  EXPECT_EQ(server.requests(), 6);
}

TEST_F(HttpClientTest, WithoutKeepAliveEveryRequestDials) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = "ok"}; });
  MakeClient({.keep_alive = false});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Do(Post(server.Url("/"))).ok());
  EXPECT_EQ(client_->connections_opened(), 3);
  EXPECT_EQ(server.last_request().headers["connection"], "close");
}

TEST_F(HttpClientTest, ConcurrentRequestsAllComplete) {
  LoopbackHttpServer server(
      [](const TestRequest& r) { return TestReply{.body = r.body, .delay = 20ms}; });
  MakeClient();
  constexpr int kRequests = 16;
  std::vector<std::promise<Result<HttpResponse>>> promises(kRequests);
  for (int i = 0; i < kRequests; ++i) {
    client_->Do(Post(server.Url("/"), std::to_string(i)),
                [&, i](Result<HttpResponse> r) { promises[i].set_value(std::move(r)); });
  }
  for (int i = 0; i < kRequests; ++i) {
    auto r = promises[i].get_future().get();
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->body, std::to_string(i));
  }
  EXPECT_EQ(server.requests(), kRequests);
  EXPECT_LE(client_->connections_opened(), kRequests);
}

TEST_F(HttpClientTest, DeadlineCoversTheWholeExchange) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.delay = 5s}; });
  MakeClient();
  HttpRequest req = Post(server.Url("/api/v2/alerts"));
  req.timeout = 150ms;
  auto start = std::chrono::steady_clock::now();
  auto res = Do(req);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().message(),
            "Post \"" + server.Url("/api/v2/alerts") + "\": context deadline exceeded");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(HttpClientTest, RefusedConnectionWordedLikeGo) {
  uint16_t port;
  {
    LoopbackHttpServer closed([](const TestRequest&) { return TestReply{}; });
    port = closed.port();
  }
  MakeClient();
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  auto res = Do(Post(url));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().message(), "Post \"" + url + "\": dial tcp 127.0.0.1:" +
                                        std::to_string(port) + ": connect: connection refused");
}

TEST_F(HttpClientTest, SecretUrlsAreRedactedInErrors) {
  MakeClient();
  HttpRequest req = Post("http://127.0.0.1:1/services/T000/B000/XXXXSECRET");
  req.redact_url = true;
  auto res = Do(req);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().message().find("SECRET"), std::string::npos) << res.status().message();
  EXPECT_TRUE(res.status().message().starts_with("Post \"<redacted>\": dial tcp"))
      << res.status().message();
  HttpRequest bad = Post("ftp://secret-host/path");
  bad.redact_url = true;
  auto res2 = Do(bad);
  ASSERT_FALSE(res2.ok());
  EXPECT_EQ(res2.status().message().find("secret-host"), std::string::npos);
}

TEST_F(HttpClientTest, ServerClosingWithoutReplyIsEof) {
  LoopbackHttpServer server(
      [](const TestRequest&) { return TestReply{.close_without_reply = true}; });
  MakeClient();
  auto res = Do(Post(server.Url("/")));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().message(), "Post \"" + server.Url("/") + "\": EOF");
}

TEST_F(HttpClientTest, ResponseBodyOverTheLimitFails) {
  LoopbackHttpServer server(
      [](const TestRequest&) { return TestReply{.status = 500, .body = std::string(5000, 'x')}; });
  MakeClient({.body_size_limit_bytes = 1000});
  auto res = Do(Post(server.Url("/")));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), Status::Code::kResourceExhausted);
  EXPECT_NE(res.status().message().find("body size limit exceeded"), std::string::npos);
}

TEST_F(HttpClientTest, SendsBasicAuth) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{}; });
  HttpClient::Options o;
  o.http.basic_auth = config::BasicAuth{.username = "alice", .password = Secret("s3cret")};
  MakeClient(o);
  ASSERT_TRUE(Do(Post(server.Url("/"))).ok());
  EXPECT_EQ(server.last_request().headers["authorization"], "Basic YWxpY2U6czNjcmV0");
}

TEST_F(HttpClientTest, ReReadsTheCredentialsFileForEveryRequest) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{}; });
  std::string file = dir_ + "/token";
  std::ofstream(file) << "first\n";
  HttpClient::Options o;
  o.http.authorization = config::Authorization{.type = "Bearer", .credentials_file = file};
  MakeClient(o);
  ASSERT_TRUE(Do(Post(server.Url("/"))).ok());
  EXPECT_EQ(server.last_request().headers["authorization"], "Bearer first");
  std::ofstream(file) << "second\n";
  ASSERT_TRUE(Do(Post(server.Url("/"))).ok());
  EXPECT_EQ(server.last_request().headers["authorization"], "Bearer second");
  std::filesystem::remove(file);
  auto res = Do(Post(server.Url("/")));
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.status().message().find("unable to read authorization credentials file " + file),
            std::string::npos)
      << res.status().message();
}

TEST_F(HttpClientTest, HttpsVerifiesTheServerAgainstTheConfiguredCa) {
  auto certs = testing::MakeTestCertificates(dir_);
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = "secure"}; }, &certs);
  HttpClient::Options o;
  o.http.tls_config.ca_file = certs.ca_file;
  MakeClient(o);
  auto res = Do(Post(server.Url("/")));
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->body, "secure");
  // Keep-alive over TLS as well.
  ASSERT_TRUE(Do(Post(server.Url("/"))).ok());
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(HttpClientTest, HttpsRejectsAnUnknownCaUnlessVerificationIsSkipped) {
  auto certs = testing::MakeTestCertificates(dir_);
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = "secure"}; }, &certs);
  HttpClient::Options o;  // no ca_file: the system roots, which do not know the test CA
  MakeClient(o);
  auto res = Do(Post(server.Url("/")));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().message(),
            "Post \"" + server.Url("/") + "\": tls: certificate verify failed");
  EXPECT_EQ(server.requests(), 0);

  o.http.tls_config.insecure_skip_verify = true;
  MakeClient(o);
  auto skipped = Do(Post(server.Url("/")));
  ASSERT_TRUE(skipped.ok()) << skipped.status().message();
  EXPECT_EQ(skipped->body, "secure");
}

TEST_F(HttpClientTest, HttpsChecksServerName) {
  auto certs = testing::MakeTestCertificates(dir_);
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{}; }, &certs);
  HttpClient::Options o;
  o.http.tls_config.ca_file = certs.ca_file;
  o.http.tls_config.server_name = "alertmanager.example.com";
  MakeClient(o);
  auto res = Do(Post(server.Url("/")));
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.status().message().find("certificate verify failed"), std::string::npos)
      << res.status().message();
  o.http.tls_config.server_name = "localhost";  // in the certificate's SANs
  MakeClient(o);
  auto ok = Do(Post(server.Url("/")));
  EXPECT_TRUE(ok.ok()) << ok.status().message();
}

TEST_F(HttpClientTest, HttpsPresentsTheClientCertificate) {
  auto certs = testing::MakeTestCertificates(dir_);
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = "mtls"}; }, &certs,
                            /*require_client_cert=*/true);
  HttpClient::Options o;
  o.http.tls_config.ca_file = certs.ca_file;
  MakeClient(o);
  EXPECT_FALSE(Do(Post(server.Url("/"))).ok());
  // The test server certificate is signed by the CA the server trusts: it serves as ours.
  o.http.tls_config.cert_file = certs.cert_file;
  o.http.tls_config.key_file = certs.key_file;
  MakeClient(o);
  auto res = Do(Post(server.Url("/")));
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->body, "mtls");
}

TEST_F(HttpClientTest, CreateFailsOnAMissingCaFile) {
  HttpClient::Options o;
  o.http.tls_config.ca_file = dir_ + "/missing.pem";
  auto c = HttpClient::Create(ioc_.get_executor(), o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("unable to load specified CA cert " + dir_ + "/missing.pem"),
            std::string::npos);
}

TEST_F(HttpClientTest, ShutdownCancelsRequestsInFlightAndRefusesNewOnes) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.delay = 10s}; });
  MakeClient();
  std::promise<Result<HttpResponse>> p1, p2;
  client_->Do(Post(server.Url("/")), [&](Result<HttpResponse> r) { p1.set_value(std::move(r)); });
  client_->Do(Post(server.Url("/")), [&](Result<HttpResponse> r) { p2.set_value(std::move(r)); });
  for (int i = 0; i < 200 && server.requests() < 2; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(server.requests(), 2);
  auto start = std::chrono::steady_clock::now();
  client_->Shutdown();
  auto r1 = p1.get_future().get();
  auto r2 = p2.get_future().get();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.status().message(), "Post \"" + server.Url("/") + "\": context canceled");
  ASSERT_FALSE(r2.ok());
  auto later = Do(Post(server.Url("/")));
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.status().message(), "Post \"" + server.Url("/") + "\": context canceled");
}

TEST_F(HttpClientTest, DestroyingTheClientWithRequestsInFlightIsClean) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.delay = 10s}; });
  MakeClient();
  std::promise<Status> p;
  client_->Do(Post(server.Url("/")), [&](Result<HttpResponse> r) { p.set_value(r.status()); });
  for (int i = 0; i < 200 && server.requests() < 1; ++i) std::this_thread::sleep_for(5ms);
  client_.reset();
  Status s = p.get_future().get();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("context canceled"), std::string::npos);
}

}  // namespace
}  // namespace andon
