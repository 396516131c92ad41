// ScrapeClient against real loopback Beast servers: content, headers, keep-alive, gzip,
// TLS, auth, and every way a target can misbehave.
#include "scrape/scrape_client.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "scrape/content_type.h"
#include "tests/loopback_http_server.h"
#include "tests/test_certificates.h"

namespace andon::scrape {
namespace {

namespace asio = boost::asio;
using testing::LoopbackHttpServer;
using testing::TestReply;
using testing::TestRequest;
using namespace std::chrono_literals;

constexpr char kBody[] = "# TYPE up gauge\nup 1\nfoo_total{a=\"b\"} 42\n";

class ScrapeClientTest : public ::testing::Test {
 protected:
  ScrapeClientTest() : work_(ioc_.get_executor()), thread_([this] { ioc_.run(); }) {}
  ~ScrapeClientTest() override {
    client_.reset();
    work_.reset();
    thread_.join();
  }

  void MakeClient(const std::string& url, const config::HttpClientConfig& http = {},
                  int64_t limit = 0) {
    auto c = ScrapeClient::Create(asio::make_strand(ioc_), url, http, limit);
    ASSERT_TRUE(c.ok()) << c.status().message();
    client_ = std::move(c).value();
  }

  // Runs one scrape on the client's executor and waits for it.
  Status Scrape(std::chrono::milliseconds timeout = 2s) {
    std::promise<Status> done;
    asio::post(ioc_, [&] { client_->Scrape(timeout, [&](Status s) { done.set_value(s); }); });
    return done.get_future().get();
  }
  std::string Body() {
    std::promise<std::string> p;
    asio::post(ioc_, [&] { p.set_value(std::string(client_->body())); });
    return p.get_future().get();
  }

  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::unique_ptr<ScrapeClient> client_;
};

TEST_F(ScrapeClientTest, FetchesBodyWithPrometheusRequestHeaders) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = kBody}; });
  MakeClient(server.Url("/metrics?module=x&a=b"));
  ASSERT_TRUE(Scrape(1500ms).ok());
  EXPECT_EQ(Body(), kBody);
  EXPECT_EQ(client_->content_type(), "text/plain; version=0.0.4; charset=utf-8");
  TestRequest r = server.last_request();
  EXPECT_EQ(r.target, "/metrics?module=x&a=b");
  EXPECT_EQ(r.headers["accept"], kScrapeAcceptHeader);
  EXPECT_EQ(r.headers["accept-encoding"], "gzip");
  EXPECT_EQ(r.headers["x-prometheus-scrape-timeout-seconds"], "1.5");
  EXPECT_EQ(r.headers["host"], server.address());
  EXPECT_EQ(r.headers["user-agent"], kScrapeUserAgent);
  EXPECT_EQ(r.headers.count("authorization"), 0u);
}

TEST_F(ScrapeClientTest, ReusesTheConnectionAcrossScrapes) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = kBody}; });
  MakeClient(server.Url());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Scrape().ok());
  EXPECT_EQ(server.requests(), 5);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(client_->connections_opened(), 1);
}

TEST_F(ScrapeClientTest, RedialsWhenTheServerClosedTheIdleConnection) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = kBody}; });
  MakeClient(server.Url());
  ASSERT_TRUE(Scrape().ok());
  server.DropConnections();
  std::this_thread::sleep_for(50ms);
  Status s = Scrape();
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(Body(), kBody);
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(ScrapeClientTest, DecodesGzip) {
  std::string big;
  for (int i = 0; i < 2000; ++i)
    big += "metric_" + std::to_string(i) + " " + std::to_string(i) + "\n";
  LoopbackHttpServer server(
      [&](const TestRequest&) { return TestReply{.body = big, .gzip = true}; });
  MakeClient(server.Url());
  ASSERT_TRUE(Scrape().ok());
  EXPECT_EQ(Body(), big);
  ASSERT_TRUE(Scrape().ok());  // and again on the same connection
  EXPECT_EQ(Body(), big);
}

TEST_F(ScrapeClientTest, GzipBombStopsAtTheBodySizeLimit) {
  std::string zeros(50 << 20, '0');
  std::string packed = testing::GzipForTest(zeros);
  ASSERT_LT(packed.size(), 1u << 20);
  LoopbackHttpServer server([&](const TestRequest&) {
    TestReply r;
    r.body = zeros;  // the server compresses it again; cheap
    r.gzip = true;
    return r;
  });
  MakeClient(server.Url(), {}, 1 << 20);
  Status s = Scrape(5s);
  EXPECT_EQ(s.message(), "body size limit exceeded");
}

TEST_F(ScrapeClientTest, ScrapesOverTlsWithTheConfiguredCa) {
  auto dir = std::filesystem::temp_directory_path() / ("scrape_tls_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  testing::TestCertificates certs = testing::MakeTestCertificates(dir.string());
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = kBody}; }, &certs);
  config::HttpClientConfig http;
  http.tls_config.ca_file = certs.ca_file;
  MakeClient(server.Url(), http);
  Status s = Scrape();
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(Body(), kBody);
  ASSERT_TRUE(Scrape().ok());
  EXPECT_EQ(server.connections(), 1);

  // Without the CA the certificate is rejected.
  MakeClient(server.Url(), {});
  s = Scrape();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Get \"" + server.Url() + "\": tls: "), std::string::npos)
      << s.message();
  std::filesystem::remove_all(dir);
}

TEST_F(ScrapeClientTest, SendsBasicAuth) {
  LoopbackHttpServer server([](const TestRequest& r) {
    auto it = r.headers.find("authorization");
    // "user:pass" in base64.
    if (it == r.headers.end() || it->second != "Basic dXNlcjpwYXNz")
      return TestReply{.status = 401};
    return TestReply{.body = kBody};
  });
  config::HttpClientConfig http;
  http.basic_auth = config::BasicAuth{"user", Secret("pass"), ""};
  MakeClient(server.Url(), http);
  Status s = Scrape();
  EXPECT_TRUE(s.ok()) << s.message();
  http.basic_auth = config::BasicAuth{"user", Secret("wrong"), ""};
  MakeClient(server.Url(), http);
  EXPECT_EQ(Scrape().message(), "server returned HTTP status 401 Unauthorized");
}

TEST_F(ScrapeClientTest, ReReadsTheBearerTokenFileEveryScrape) {
  auto file = std::filesystem::temp_directory_path() / ("scrape_token_" + std::to_string(getpid()));
  std::ofstream(file) << "first\n";
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = kBody}; });
  config::HttpClientConfig http;
  http.authorization = config::Authorization{"Bearer", Secret("first"), file.string()};
  MakeClient(server.Url(), http);
  ASSERT_TRUE(Scrape().ok());
  EXPECT_EQ(server.last_request().headers["authorization"], "Bearer first");
  std::ofstream(file) << "second";
  ASSERT_TRUE(Scrape().ok());
  EXPECT_EQ(server.last_request().headers["authorization"], "Bearer second");
  std::filesystem::remove(file);
}

TEST_F(ScrapeClientTest, Http500IsAnErrorInPrometheusWords) {
  LoopbackHttpServer server(
      [](const TestRequest&) { return TestReply{.status = 500, .body = "x"}; });
  MakeClient(server.Url());
  EXPECT_EQ(Scrape().message(), "server returned HTTP status 500 Internal Server Error");
}

// A target cannot send the scraper elsewhere: a redirect fails the scrape (up 0 with the
// status as lastError) and is not followed.
TEST_F(ScrapeClientTest, ARedirectFailsTheScrapeAndIsNotFollowed) {
  LoopbackHttpServer server([](const TestRequest&) {
    return TestReply{.status = 301, .headers = {{"Location", "file:///etc/passwd"}}};
  });
  MakeClient(server.Url());
  EXPECT_EQ(Scrape().message(), "server returned HTTP status 301 Moved Permanently");
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(ScrapeClientTest, HangingTargetHitsTheDeadline) {
  LoopbackHttpServer server(
      [](const TestRequest&) { return TestReply{.body = kBody, .delay = 10s}; });
  MakeClient(server.Url());
  auto start = std::chrono::steady_clock::now();
  Status s = Scrape(300ms);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(s.message(), "Get \"" + server.Url() + "\": context deadline exceeded");
  EXPECT_LT(took, 3s);
  server.Stop();
}

TEST_F(ScrapeClientTest, OversizedBodyFailsWhileReading) {
  std::string big(3 << 20, 'x');
  LoopbackHttpServer server([&](const TestRequest&) { return TestReply{.body = big}; });
  MakeClient(server.Url(), {}, 1 << 20);
  EXPECT_EQ(Scrape().message(), "body size limit exceeded");
  // Under the limit it works.
  MakeClient(server.Url(), {}, 4 << 20);
  EXPECT_TRUE(Scrape().ok());
}

TEST_F(ScrapeClientTest, GarbageIsAMalformedResponse) {
  LoopbackHttpServer server([](const TestRequest&) {
    return TestReply{.raw = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\r\n"};
  });
  MakeClient(server.Url());
  Status s = Scrape();
  EXPECT_NE(s.message().find("Get \"" + server.Url() + "\": malformed HTTP response"),
            std::string::npos)
      << s.message();
}

TEST_F(ScrapeClientTest, ConnectionClosedWithoutReplyIsEof) {
  LoopbackHttpServer server(
      [](const TestRequest&) { return TestReply{.close_without_reply = true}; });
  MakeClient(server.Url());
  EXPECT_EQ(Scrape().message(), "Get \"" + server.Url() + "\": EOF");
}

TEST_F(ScrapeClientTest, RefusedConnectionNamesTheAddress) {
  uint16_t port;
  {
    LoopbackHttpServer server([](const TestRequest&) { return TestReply{}; });
    port = server.port();
  }
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
  MakeClient(url);
  EXPECT_EQ(Scrape().message(), "Get \"" + url + "\": dial tcp 127.0.0.1:" + std::to_string(port) +
                                    ": connect: connection refused");
}

TEST_F(ScrapeClientTest, CloseAbortsAnInFlightScrape) {
  LoopbackHttpServer server(
      [](const TestRequest&) { return TestReply{.body = kBody, .delay = 10s}; });
  MakeClient(server.Url());
  std::promise<Status> done;
  asio::post(ioc_, [&] { client_->Scrape(20s, [&](Status s) { done.set_value(s); }); });
  std::this_thread::sleep_for(100ms);
  asio::post(ioc_, [&] { client_->Close(); });
  auto f = done.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(f.get().message(), "Get \"" + server.Url() + "\": context canceled");
  server.Stop();
}

}  // namespace
}  // namespace andon::scrape
