#include "web/http_server.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/integration/andon_process.h"
#include "web/api_response.h"

namespace andon::web {
namespace {

using andon::testing::HttpGet;
using andon::testing::HttpRequestTo;

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions opts = {}) {
    opts.listen_address = "127.0.0.1:0";
    server_ = std::make_unique<HttpServer>(opts);
    server_->Handle("/echo", {"GET", "POST"}, [](const HttpRequest& req, HttpResponse& res) {
      std::string out = req.method + " " + req.path;
      for (const auto& [k, v] : req.params) out += " " + k + "=" + v;
      res.body = out;
    });
    server_->Handle("/api/v1/label/", {"GET"}, [](const HttpRequest& req, HttpResponse& res) {
      res.body = "prefix:" + req.path;
    });
    server_->Handle("/throws", {"GET"},
                    [](const HttpRequest&, HttpResponse&) { throw std::runtime_error("boom"); });
    server_->Handle("/api", {"GET"}, [](const HttpRequest&, HttpResponse& res) {
      WriteApiSuccess(res, {{"a", 1}});
    });
    server_->SetObserver([this](std::string_view handler, int code, double) {
      std::lock_guard lock(mu_);
      observed_.push_back(std::string(handler) + " " + std::to_string(code));
    });
    server_->SetRefusalObserver(
        [this](HttpRefusal r) { refused_[static_cast<int>(r)].fetch_add(1); });
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::vector<std::string> observed_;
  std::array<std::atomic<int>, kHttpRefusalCount> refused_{};
};

TEST_F(HttpServerTest, MergesQueryAndFormParamsAndDecodesThem) {
  StartServer();
  EXPECT_EQ(HttpGet(port_, "/echo?match%5B%5D=up&match[]=a+b").body,
            "GET /echo match[]=up match[]=a b");
  auto r = HttpRequestTo(port_, "POST", "/echo?x=1", "query=sum%28up%29&time=5",
                         "application/x-www-form-urlencoded");
  EXPECT_EQ(r.body, "POST /echo query=sum(up) time=5 x=1");
}

TEST_F(HttpServerTest, RoutesPrefixesAndAnswers404And405And500AsJson) {
  StartServer();
  EXPECT_EQ(HttpGet(port_, "/api/v1/label/job/values").body, "prefix:/api/v1/label/job/values");
  auto missing = HttpGet(port_, "/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.content_type, "application/json");
  EXPECT_EQ(HttpRequestTo(port_, "PUT", "/echo").status, 405);
  auto boom = HttpGet(port_, "/throws");
  EXPECT_EQ(boom.status, 500);
  EXPECT_NE(boom.body.find("boom"), std::string::npos);
  EXPECT_EQ(HttpGet(port_, "/api").body, R"({"status":"success","data":{"a":1}})");
  // The server survived the throwing handler.
  EXPECT_EQ(HttpGet(port_, "/echo").status, 200);
}

TEST_F(HttpServerTest, ReportsEachResponseToTheObserver) {
  StartServer();
  HttpGet(port_, "/echo");
  HttpGet(port_, "/nothing");
  server_->Stop();
  std::lock_guard lock(mu_);
  EXPECT_EQ(observed_, (std::vector<std::string>{"/echo 200", "other 404"}));
}

TEST_F(HttpServerTest, EnforcesBodyLimitWith413) {
  HttpServerOptions opts;
  opts.max_body_bytes = 100;
  StartServer(opts);
  auto r = HttpRequestTo(port_, "POST", "/echo", std::string(101, 'a'), "text/plain");
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("exceeds the limit of 100 bytes"), std::string::npos);
  EXPECT_EQ(HttpRequestTo(port_, "POST", "/echo", std::string(100, 'a'), "text/plain").status, 200);
}

TEST_F(HttpServerTest, ConnectionPastMaxConnectionsGets503AndIsCountedThenASlotFrees) {
  HttpServerOptions opts;
  opts.max_connections = 2;
  StartServer(opts);
  auto first = std::make_unique<andon::testing::HeldConnection>(port_, "/echo");
  auto second = std::make_unique<andon::testing::HeldConnection>(port_, "/echo");
  ASSERT_EQ(first->status(), 200);
  ASSERT_EQ(second->status(), 200);
  auto refused = HttpGet(port_, "/echo");
  EXPECT_EQ(refused.status, 503) << refused.error;
  EXPECT_EQ(refused.content_type, "application/json");
  EXPECT_EQ(refused.body,
            R"({"status":"error","errorType":"unavailable","error":"too many open connections )"
            R"((limit 2, --web.max-connections); try again later"})");
  EXPECT_EQ(refused_[static_cast<int>(HttpRefusal::kTooManyConnections)].load(), 1);
  first.reset();  // frees a slot once the server sees the close
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    status = HttpGet(port_, "/echo").status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status, 200);
}

TEST_F(HttpServerTest, CountsEachRefusalByReason) {
  HttpServerOptions opts;
  opts.max_body_bytes = 100;
  opts.max_header_bytes = 1024;
  StartServer(opts);
  EXPECT_EQ(HttpRequestTo(port_, "POST", "/echo", std::string(101, 'a'), "text/plain").status, 413);
  auto big_header =
      HttpRequestTo(port_, "GET", "/echo", "", "", {{"X-Big", std::string(2000, 'h')}});
  EXPECT_EQ(big_header.status, 431);
  EXPECT_NE(big_header.body.find("request header exceeds the limit of 1024 bytes"),
            std::string::npos);
  EXPECT_NE(andon::testing::HttpRaw(port_, "not http at all\r\n\r\n").find("400 Bad Request"),
            std::string::npos);
  EXPECT_EQ(refused_[static_cast<int>(HttpRefusal::kBodyTooLarge)].load(), 1);
  EXPECT_EQ(refused_[static_cast<int>(HttpRefusal::kHeaderTooLarge)].load(), 1);
  EXPECT_EQ(refused_[static_cast<int>(HttpRefusal::kMalformed)].load(), 1);
  EXPECT_EQ(refused_[static_cast<int>(HttpRefusal::kTooManyConnections)].load(), 0);
  EXPECT_EQ(HttpRefusalName(HttpRefusal::kTooManyConnections), "too_many_connections");
}

TEST_F(HttpServerTest, StopLetsTheRequestInFlightFinish) {
  HttpServerOptions opts;
  opts.listen_address = "127.0.0.1:0";
  server_ = std::make_unique<HttpServer>(opts);
  std::promise<void> entered;
  server_->Handle("/slow", {"GET"}, [&](const HttpRequest&, HttpResponse& res) {
    entered.set_value();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    res.body = "finished";
  });
  ASSERT_TRUE(server_->Start().ok());
  auto pending =
      std::async(std::launch::async, [port = server_->port()] { return HttpGet(port, "/slow"); });
  entered.get_future().wait();
  server_->Stop();
  auto r = pending.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "finished");
}

// With a handler pool, handlers that block (queries) hold pool threads only: a kIo route and
// other pool routes keep answering on a single io thread, handlers throwing on the pool are
// 500s, and Stop() still lets a pool handler in flight finish and write its response.
TEST_F(HttpServerTest, BlockingPoolHandlersLeaveTheIoThreadFreeAndFinishOnStop) {
  HttpServerOptions opts;
  opts.listen_address = "127.0.0.1:0";
  opts.threads = 1;
  opts.handler_threads = 3;
  server_ = std::make_unique<HttpServer>(opts);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> blocked{0};
  std::mutex mu;  // guards the thread ids each handler records
  std::vector<std::thread::id> block_threads;
  std::thread::id io_thread, pool_thread;
  auto record = [&](std::thread::id* id) {
    std::lock_guard lock(mu);
    *id = std::this_thread::get_id();
  };
  server_->Handle("/block", {"GET"}, [&](const HttpRequest&, HttpResponse& res) {
    {
      std::lock_guard lock(mu);
      block_threads.push_back(std::this_thread::get_id());
    }
    blocked.fetch_add(1);
    released.wait();
    res.body = "released";
  });
  server_->Handle(
      "/io", {"GET"},
      [&](const HttpRequest&, HttpResponse& res) {
        record(&io_thread);
        res.body = "io";
      },
      HandlerThread::kIo);
  server_->Handle("/pool", {"GET"}, [&](const HttpRequest&, HttpResponse& res) {
    record(&pool_thread);
    res.body = "pool";
  });
  server_->Handle("/throws", {"GET"},
                  [](const HttpRequest&, HttpResponse&) { throw std::runtime_error("boom"); });
  ASSERT_TRUE(server_->Start().ok());
  const uint16_t port = server_->port();
  auto first = std::async(std::launch::async, [port] { return HttpGet(port, "/block"); });
  auto second = std::async(std::launch::async, [port] { return HttpGet(port, "/block"); });
  while (blocked.load() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  // Two pool threads are blocked: /io answers on the io thread, /pool on the third pool
  // thread, and neither is one of the blocked ones.
  EXPECT_EQ(HttpGet(port, "/io").body, "io");
  EXPECT_EQ(HttpGet(port, "/pool").body, "pool");
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(block_threads.size(), 2u);
    EXPECT_NE(block_threads[0], block_threads[1]);
    for (std::thread::id blocked_thread : block_threads) {
      EXPECT_NE(io_thread, blocked_thread);
      EXPECT_NE(pool_thread, blocked_thread);
    }
    EXPECT_NE(io_thread, pool_thread);
  }
  auto thrown = HttpGet(port, "/throws");
  EXPECT_EQ(thrown.status, 500);
  EXPECT_NE(thrown.body.find("boom"), std::string::npos);

  std::thread stopper([&] { server_->Stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release.set_value();
  stopper.join();
  EXPECT_EQ(first.get().body, "released");
  EXPECT_EQ(second.get().body, "released");
}

TEST(HttpServerStartTest, FailsOnBadAddressOrTakenPort) {
  HttpServer bad(HttpServerOptions{.listen_address = "127.0.0.1:99999"});
  EXPECT_EQ(bad.Start().message(), "listen address \"127.0.0.1:99999\": invalid port");
  HttpServer first(HttpServerOptions{.listen_address = "127.0.0.1:0"});
  ASSERT_TRUE(first.Start().ok());
  HttpServer second(
      HttpServerOptions{.listen_address = "127.0.0.1:" + std::to_string(first.port())});
  Status s = second.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("in use"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace andon::web
