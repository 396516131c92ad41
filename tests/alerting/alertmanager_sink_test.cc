// AlertmanagerSink against real loopback HTTP servers standing in for Alertmanagers:
// what is posted where, batching, queue overflow, errors, and stopping with a request in
// flight.
#include "alerting/alertmanager_sink.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "alerting/alert_json.h"
#include "tests/alerting/metric_value.h"
#include "tests/loopback_http_server.h"
#include "tests/wait_for.h"

namespace andon::alerting {
namespace {

namespace asio = boost::asio;
using andon::testing::LoopbackHttpServer;
using andon::testing::MetricValue;
using andon::testing::TestReply;
using andon::testing::TestRequest;
using andon::testing::WaitFor;
using namespace std::chrono_literals;

constexpr int64_t kT = 1767323045678;

Alert NamedAlert(const std::string& name) {
  Alert a;
  a.labels = Labels{{"alertname", name}};
  a.starts_at_ms = kT;
  a.ends_at_ms = kT + 60000;
  return a;
}

std::vector<Alert> NamedAlerts(int from, int to) {
  std::vector<Alert> out;
  for (int i = from; i < to; ++i) out.push_back(NamedAlert("A" + std::to_string(i)));
  return out;
}

// The alertnames of every alert posted to `server`, in order.
std::vector<std::string> PostedNames(const LoopbackHttpServer& server) {
  std::vector<std::string> out;
  for (const TestRequest& r : server.received()) {
    auto j = nlohmann::json::parse(r.body);
    for (const auto& a : j) out.push_back(a["labels"]["alertname"]);
  }
  return out;
}

config::AlertmanagerTargetConfig Target(std::vector<std::string> addresses,
                                        std::string path_prefix = "/") {
  config::AlertmanagerTargetConfig c;
  c.path_prefix = std::move(path_prefix);
  c.timeout_ms = 2000;
  c.static_configs.push_back(config::StaticConfig{.targets = std::move(addresses)});
  return c;
}

class AlertmanagerSinkTest : public ::testing::Test {
 protected:
  AlertmanagerSinkTest() : work_(ioc_.get_executor()), thread_([this] { ioc_.run(); }) {}
  ~AlertmanagerSinkTest() override {
    sink_.reset();
    work_.reset();
    thread_.join();
  }

  void MakeSink(std::vector<config::AlertmanagerTargetConfig> configs,
                AlertmanagerSinkOptions options = {}) {
    options.registry = &registry_;
    auto s = AlertmanagerSink::Create(ioc_.get_executor(), configs, options);
    ASSERT_TRUE(s.ok()) << s.status().message();
    sink_ = std::move(s).value();
  }

  double Metric(const std::string& name, const std::vector<std::string>& labels = {}) {
    return MetricValue(registry_, name, labels);
  }

  MetricsRegistry registry_;
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::unique_ptr<AlertmanagerSink> sink_;
};

TEST_F(AlertmanagerSinkTest, PostsPostableAlertsJsonToEveryAlertmanager) {
  LoopbackHttpServer am1([](const TestRequest&) { return TestReply{.status = 200}; });
  LoopbackHttpServer am2([](const TestRequest&) { return TestReply{.status = 200}; });
  AlertmanagerSinkOptions o;
  o.external_labels = Labels{{"cluster", "eu1"}, {"job", "ignored"}};
  MakeSink({Target({am1.address()}, "/am/"), Target({am2.address()})}, o);
  EXPECT_EQ(sink_->AlertmanagerUrls(),
            (std::vector<std::string>{"http://" + am1.address() + "/am/api/v2/alerts",
                                      "http://" + am2.address() + "/api/v2/alerts"}));
  Alert a = NamedAlert("Down");
  a.labels = Labels{{"alertname", "Down"}, {"job", "api"}};
  a.annotations = Labels{{"summary", "api down"}};
  a.generator_url = "http://andon:9090/graph";
  sink_->Send({a});
  ASSERT_TRUE(WaitFor([&] { return am1.requests() == 1 && am2.requests() == 1; }));

  Alert expected = a;
  expected.labels = Labels{{"alertname", "Down"}, {"cluster", "eu1"}, {"job", "api"}};
  std::string want = EncodePostableAlerts({&expected, 1});
  for (const LoopbackHttpServer* am : {&am1, &am2}) {
    TestRequest r = am->last_request();
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.body, want);
    EXPECT_EQ(r.headers["content-type"], "application/json");
  }
  EXPECT_EQ(am1.last_request().target, "/am/api/v2/alerts");
  EXPECT_EQ(am2.last_request().target, "/api/v2/alerts");
  std::string url1 = sink_->AlertmanagerUrls()[0];
  ASSERT_TRUE(WaitFor([&] { return Metric("andon_notifications_sent_total", {url1}) == 1; }));
  EXPECT_EQ(Metric("andon_notifications_errors_total", {url1}), 0);
  EXPECT_EQ(Metric("andon_notifications_latency_seconds", {url1}), 1);
  EXPECT_EQ(Metric("andon_notifications_queue_capacity"), 10000);
  EXPECT_EQ(Metric("andon_notifications_alertmanagers_discovered"), 2);
  EXPECT_EQ(Metric("andon_notifications_dropped_total"), 0);
}

TEST_F(AlertmanagerSinkTest, SendsInBatchesOfAtMost64OldestFirst) {
  std::atomic<int> n{0};
  LoopbackHttpServer am([&](const TestRequest&) {
    // The first post is slow, so the rest queue up behind it.
    return TestReply{.delay = n++ == 0 ? 200ms : 0ms};
  });
  MakeSink({Target({am.address()})});
  sink_->Send(NamedAlerts(0, 1));
  ASSERT_TRUE(WaitFor([&] { return am.requests() == 1; }));
  sink_->Send(NamedAlerts(1, 100));
  sink_->Send(NamedAlerts(100, 150));
  ASSERT_TRUE(WaitFor([&] { return PostedNames(am).size() == 150; }));
  std::vector<TestRequest> reqs = am.received();
  ASSERT_EQ(reqs.size(), 4u);
  std::vector<size_t> sizes;
  for (const auto& r : reqs) sizes.push_back(nlohmann::json::parse(r.body).size());
  EXPECT_EQ(sizes, (std::vector<size_t>{1, 64, 64, 21}));
  std::vector<std::string> names = PostedNames(am);
  for (int i = 0; i < 150; ++i) EXPECT_EQ(names[i], "A" + std::to_string(i));
}

TEST_F(AlertmanagerSinkTest, FullQueueDropsTheOldestAlertsAndCountsThem) {
  std::atomic<bool> release{false};
  LoopbackHttpServer am([&](const TestRequest&) {
    for (int i = 0; i < 2500 && !release.load(); ++i) std::this_thread::sleep_for(2ms);
    return TestReply{};
  });
  AlertmanagerSinkOptions o;
  o.queue_capacity = 10;
  MakeSink({Target({am.address()})}, o);
  sink_->Send(NamedAlerts(0, 1));  // in flight, held by the server
  ASSERT_TRUE(WaitFor([&] { return am.requests() == 1; }));
  sink_->Send(NamedAlerts(1, 16));  // 15 > 10: A1..A5 never enter the queue
  EXPECT_EQ(sink_->queue_length(), 10u);
  EXPECT_EQ(Metric("andon_notifications_queue_length"), 10);
  sink_->Send(NamedAlerts(16, 19));  // the queue's oldest three (A6..A8) make room
  EXPECT_EQ(sink_->queue_length(), 10u);
  EXPECT_EQ(Metric("andon_notifications_dropped_total"), 8);
  release = true;
  ASSERT_TRUE(WaitFor([&] { return PostedNames(am).size() == 11; }));
  std::vector<std::string> names = PostedNames(am);
  std::vector<std::string> want = {"A0"};
  for (int i = 9; i < 19; ++i) want.push_back("A" + std::to_string(i));
  EXPECT_EQ(names, want);
  ASSERT_TRUE(WaitFor([&] { return Metric("andon_notifications_queue_length") == 0; }));
}

TEST_F(AlertmanagerSinkTest, FailedPostsAreCountedAndABatchNoAlertmanagerTookIsDropped) {
  LoopbackHttpServer bad([](const TestRequest&) { return TestReply{.status = 500}; });
  LoopbackHttpServer good([](const TestRequest&) { return TestReply{}; });
  MakeSink({Target({bad.address(), good.address()})});
  std::string bad_url = sink_->AlertmanagerUrls()[0];
  std::string good_url = sink_->AlertmanagerUrls()[1];
  sink_->Send(NamedAlerts(0, 3));
  ASSERT_TRUE(WaitFor([&] {
    return Metric("andon_notifications_sent_total", {good_url}) == 3 &&
           Metric("andon_notifications_sent_total", {bad_url}) == 3;
  }));
  EXPECT_EQ(Metric("andon_notifications_errors_total", {bad_url}), 1);
  EXPECT_EQ(Metric("andon_notifications_errors_total", {good_url}), 0);
  EXPECT_EQ(Metric("andon_notifications_dropped_total"), 0);  // one Alertmanager took them

  good.Stop();
  sink_->Send(NamedAlerts(3, 5));
  ASSERT_TRUE(WaitFor([&] { return Metric("andon_notifications_dropped_total") == 2; }));
  EXPECT_EQ(Metric("andon_notifications_errors_total", {bad_url}), 2);
  EXPECT_EQ(Metric("andon_notifications_errors_total", {good_url}), 1);
  EXPECT_EQ(bad.requests(), 2);  // no retries
}

TEST_F(AlertmanagerSinkTest, DeadAlertmanagerKeepsTheQueueBounded) {
  uint16_t port;
  {
    LoopbackHttpServer gone([](const TestRequest&) { return TestReply{}; });
    port = gone.port();
  }
  AlertmanagerSinkOptions o;
  o.queue_capacity = 100;
  MakeSink({Target({"127.0.0.1:" + std::to_string(port)})}, o);
  for (int round = 0; round < 50; ++round) {
    sink_->Send(NamedAlerts(round * 1000, round * 1000 + 1000));
    EXPECT_LE(sink_->queue_length(), 100u);
  }
  // Everything is dropped: on overflow or when the dead Alertmanager refused the batch.
  ASSERT_TRUE(WaitFor([&] {
    return sink_->queue_length() == 0 && Metric("andon_notifications_dropped_total") == 50000;
  }));
  EXPECT_GE(Metric("andon_notifications_errors_total", {sink_->AlertmanagerUrls()[0]}), 1);
}

TEST_F(AlertmanagerSinkTest, StopWithAPostInFlightIsClean) {
  LoopbackHttpServer am([](const TestRequest&) { return TestReply{.delay = 10s}; });
  MakeSink({Target({am.address()})});
  sink_->Send(NamedAlerts(0, 70));
  ASSERT_TRUE(WaitFor([&] { return am.requests() == 1; }));
  auto start = std::chrono::steady_clock::now();
  sink_->Stop();
  sink_->Send(NamedAlerts(70, 71));  // ignored after Stop
  EXPECT_EQ(sink_->queue_length(), 0u);
  sink_.reset();
  work_.reset();
  thread_.join();  // returns once the cancelled post completed
  thread_ = std::thread([] {});
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(am.requests(), 1);
}

TEST_F(AlertmanagerSinkTest, RejectsWhatItCannotSendTo) {
  auto create = [&](config::AlertmanagerTargetConfig c) {
    return AlertmanagerSink::Create(ioc_.get_executor(), {c}, {.registry = &registry_})
        .status()
        .message();
  };
  config::AlertmanagerTargetConfig v1 = Target({"am:9093"});
  v1.api_version = "v1";
  EXPECT_EQ(create(v1), "alertmanagers[0]: api_version \"v1\" is not supported (only v2)");
  config::AlertmanagerTargetConfig sd = Target({"am:9093"});
  sd.file_sd_configs.push_back({});
  EXPECT_EQ(create(sd), "alertmanagers[0]: only static_configs are supported for alertmanagers");
  config::AlertmanagerTargetConfig tls = Target({"am:9093"});
  tls.scheme = "https";
  tls.http_client.tls_config.ca_file = "/nonexistent/ca.pem";
  EXPECT_NE(create(tls).find("unable to load specified CA cert /nonexistent/ca.pem"),
            std::string::npos);
}

}  // namespace
}  // namespace andon::alerting
