// Webhook and Slack notifiers and their shared delivery core, against real loopback HTTP
// servers standing in for the webhook receiver and Slack: the exact JSON posted, retries
// (5xx, 429 with Retry-After), no retry on other 4xx, bounded queues against a dead
// endpoint, secrets kept out of logs, and stopping with deliveries in flight.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "alerting/alert_json.h"
#include "alerting/notification_sender.h"
#include "alerting/slack_notifier.h"
#include "alerting/webhook_notifier.h"
#include "common/logger.h"
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
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr int64_t kT = 1767323045678;  // 2026-01-02T03:04:05.678Z

// Two InstanceDown alerts of one group: api firing, db resolved.
Notification TwoAlerts() {
  Notification n;
  n.receiver = "team-payments";
  n.group_key = "{}/{team=\"payments\"}:{alertname=\"InstanceDown\"}";
  n.group_labels = Labels{{"alertname", "InstanceDown"}};
  n.external_url = "http://andon:9090";
  n.now_ms = kT + 60000;
  Alert api;
  api.labels = Labels{{"alertname", "InstanceDown"}, {"job", "api"}, {"severity", "critical"}};
  api.annotations = Labels{{"summary", "api is down"}, {"description", "no scrape for 5m"}};
  api.starts_at_ms = kT;
  api.ends_at_ms = kT + 240000;  // in the future: firing
  api.generator_url = "http://andon:9090/graph?g0.expr=up+%3D%3D+0";
  Alert db = api;
  db.labels = Labels{{"alertname", "InstanceDown"}, {"job", "db"}, {"severity", "critical"}};
  db.annotations = Labels{{"summary", "db is down"}};
  db.ends_at_ms = kT + 30000;  // before now: resolved
  n.alerts = {api, db};
  return n;
}

// Collects each done() call; fails the test if one notification completes twice.
class DoneLog {
 public:
  std::function<void(Status)> Callback() {
    auto called = std::make_shared<std::atomic<bool>>(false);
    return [this, called](Status s) {
      EXPECT_FALSE(called->exchange(true)) << "done called twice";
      std::lock_guard lock(mu_);
      statuses_.push_back(std::move(s));
    };
  }
  std::vector<Status> statuses() const {
    std::lock_guard lock(mu_);
    return statuses_;
  }
  size_t size() const { return statuses().size(); }

 private:
  mutable std::mutex mu_;
  std::vector<Status> statuses_;
};

class NotifierTest : public ::testing::Test {
 protected:
  NotifierTest() : work_(ioc_.get_executor()), thread_([this] { ioc_.run(); }) {}
  ~NotifierTest() override {
    webhook_.reset();
    slack_.reset();
    sender_.reset();
    work_.reset();
    thread_.join();
  }

  NotificationSenderOptions FastRetries() {
    NotificationSenderOptions o;
    o.registry = &registry_;
    o.initial_backoff = 10ms;
    o.max_backoff = 50ms;
    o.request_timeout = 2s;
    return o;
  }

  void MakeWebhook(const std::string& url, uint64_t max_alerts = 0,
                   NotificationSenderOptions o = {}) {
    if (o.registry == &MetricsRegistry::Default()) o = FastRetries();
    config::WebhookConfig c;
    c.url = Secret(url);
    c.max_alerts = max_alerts;
    auto w = WebhookNotifier::Create(ioc_.get_executor(), c, o);
    ASSERT_TRUE(w.ok()) << w.status().message();
    webhook_ = std::move(w).value();
  }

  void MakeSlack(config::SlackConfig c, SlackNotifierOptions so = {}) {
    auto s = SlackNotifier::Create(ioc_.get_executor(), c, so, FastRetries());
    ASSERT_TRUE(s.ok()) << s.status().message();
    slack_ = std::move(s).value();
  }

  void MakeSender(NotificationSenderOptions o) {
    o.registry = &registry_;
    o.integration = "webhook";
    auto s = NotificationSender::Create(ioc_.get_executor(), {}, o);
    ASSERT_TRUE(s.ok()) << s.status().message();
    sender_ = std::move(s).value();
  }

  static HttpRequest Post(const std::string& url, std::string body = "{}") {
    HttpRequest r;
    r.url = url;
    r.body = std::move(body);
    return r;
  }

  double Metric(const std::string& name, const std::string& integration) {
    return MetricValue(registry_, name, {integration});
  }

  MetricsRegistry registry_;
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::unique_ptr<WebhookNotifier> webhook_;
  std::unique_ptr<SlackNotifier> slack_;
  std::unique_ptr<NotificationSender> sender_;
  DoneLog done_;
};

TEST(RetryAfterTest, ParsesSecondsAndHttpDates) {
  EXPECT_EQ(ParseRetryAfterMs("3", 0), 3000);
  EXPECT_EQ(ParseRetryAfterMs(" 120 ", 0), 120000);
  // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480 s after the epoch.
  EXPECT_EQ(ParseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470000), 10000);
  EXPECT_EQ(ParseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490000), 0);
  EXPECT_EQ(ParseRetryAfterMs("", 0), -1);
  EXPECT_EQ(ParseRetryAfterMs("soon", 0), -1);
  EXPECT_EQ(ParseRetryAfterMs("-5", 0), -1);
}

TEST(AlertmanagerFingerprintTest, MatchesPrometheusModel) {
  EXPECT_EQ(AlertmanagerFingerprint(Labels()), "cbf29ce484222325");
  EXPECT_EQ(AlertmanagerFingerprint(Labels{{"alertname", "InstanceDown"}, {"job", "api"}}),
            "de1335a3732fb86c");
}

TEST_F(NotifierTest, WebhookPostsAlertmanagersVersion4Payload) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{}; });
  MakeWebhook(server.Url("/hook"));
  EXPECT_EQ(webhook_->integration(), "webhook");
  EXPECT_TRUE(webhook_->send_resolved());
  webhook_->Notify(TwoAlerts(), done_.Callback());
  ASSERT_TRUE(WaitFor([&] { return done_.size() == 1; }));
  EXPECT_TRUE(done_.statuses()[0].ok()) << done_.statuses()[0].message();
  TestRequest r = server.last_request();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/hook");
  EXPECT_EQ(r.headers["content-type"], "application/json");
  std::string fp_api = AlertmanagerFingerprint(TwoAlerts().alerts[0].labels);
  std::string fp_db = AlertmanagerFingerprint(TwoAlerts().alerts[1].labels);
  EXPECT_EQ(r.body,
            R"({"receiver":"team-payments","status":"firing","alerts":[)"
            R"({"status":"firing","labels":{"alertname":"InstanceDown","job":"api",)"
            R"("severity":"critical"},"annotations":{"description":"no scrape for 5m",)"
            R"("summary":"api is down"},"startsAt":"2026-01-02T03:04:05.678Z",)"
            R"("endsAt":"0001-01-01T00:00:00Z",)"
            R"("generatorURL":"http://andon:9090/graph?g0.expr=up+%3D%3D+0",)"
            R"("fingerprint":")" +
                fp_api +
                R"("},)"
                R"({"status":"resolved","labels":{"alertname":"InstanceDown","job":"db",)"
                R"("severity":"critical"},"annotations":{"summary":"db is down"},)"
                R"("startsAt":"2026-01-02T03:04:05.678Z","endsAt":"2026-01-02T03:04:35.678Z",)"
                R"("generatorURL":"http://andon:9090/graph?g0.expr=up+%3D%3D+0",)"
                R"("fingerprint":")" +
                fp_db +
                R"("}],)"
                R"("groupLabels":{"alertname":"InstanceDown"},)"
                R"("commonLabels":{"alertname":"InstanceDown","severity":"critical"},)"
                R"("commonAnnotations":{},"externalURL":"http://andon:9090","version":"4",)"
                R"("groupKey":"{}/{team=\"payments\"}:{alertname=\"InstanceDown\"}",)"
                R"("truncatedAlerts":0})");
  EXPECT_EQ(Metric("andon_notifications_total", "webhook"), 1);
  EXPECT_EQ(Metric("andon_notifications_failed_total", "webhook"), 0);
  EXPECT_EQ(Metric("andon_notification_latency_seconds", "webhook"), 1);
}

TEST_F(NotifierTest, WebhookMaxAlertsTruncates) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{}; });
  MakeWebhook(server.Url("/hook"), /*max_alerts=*/1);
  webhook_->Notify(TwoAlerts(), done_.Callback());
  ASSERT_TRUE(WaitFor([&] { return done_.size() == 1; }));
  json body = json::parse(server.last_request().body);
  EXPECT_EQ(body["alerts"].size(), 1u);
  EXPECT_EQ(body["alerts"][0]["labels"]["job"], "api");
  EXPECT_EQ(body["truncatedAlerts"], 1);
  EXPECT_EQ(body["commonAnnotations"]["summary"], "api is down");
}

TEST_F(NotifierTest, RetriesA5xxAndA429AfterItsRetryAfterThenSucceedsOnce) {
  std::atomic<int> calls{0};
  std::mutex mu;
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  LoopbackHttpServer server([&](const TestRequest&) {
    {
      std::lock_guard lock(mu);
      arrivals.push_back(std::chrono::steady_clock::now());
    }
    switch (calls++) {
      case 0:
        return TestReply{.status = 500, .body = "oops"};
      case 1:
        return TestReply{.status = 429, .body = "rate_limited", .headers = {{"Retry-After", "1"}}};
      default:
        return TestReply{.body = "ok"};
    }
  });
  config::SlackConfig c;
  c.api_url = Secret(server.Url("/services/T0/B0/secret-token"));
  c.channel = "#ops";
  MakeSlack(c);
  slack_->Notify(TwoAlerts(), done_.Callback());
  ASSERT_TRUE(WaitFor([&] { return done_.size() == 1; }));
  EXPECT_TRUE(done_.statuses()[0].ok()) << done_.statuses()[0].message();
  ASSERT_EQ(server.requests(), 3);
  std::vector<TestRequest> reqs = server.received();
  EXPECT_EQ(reqs[0].body, reqs[2].body);        // the same message each time, accepted once
  EXPECT_GE(arrivals[2] - arrivals[1], 950ms);  // Retry-After: 1 (backoff alone is ~15ms)
  EXPECT_EQ(Metric("andon_notifications_total", "slack"), 1);
  EXPECT_EQ(Metric("andon_notifications_failed_total", "slack"), 0);
  EXPECT_EQ(Metric("andon_notification_latency_seconds", "slack"), 3);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(done_.size(), 1u);
}

TEST_F(NotifierTest, A400IsNotRetriedAndItsBodyIsReported) {
  LoopbackHttpServer server(
      [](const TestRequest&) { return TestReply{.status = 400, .body = "invalid_payload\n"}; });
  MakeWebhook(server.Url("/hook"));
  webhook_->Notify(TwoAlerts(), done_.Callback());
  ASSERT_TRUE(WaitFor([&] { return done_.size() == 1; }));
  Status s = done_.statuses()[0];
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "unexpected status code 400: invalid_payload");
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(Metric("andon_notifications_failed_total", "webhook"), 1);
}

TEST_F(NotifierTest, GivesUpAfterTheRetryBudgetWithTheLastError) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.status = 503}; });
  NotificationSenderOptions o = FastRetries();
  o.give_up_after = 200ms;
  MakeWebhook(server.Url("/hook"), 0, o);
  webhook_->Notify(TwoAlerts(), done_.Callback());
  ASSERT_TRUE(WaitFor([&] { return done_.size() == 1; }));
  EXPECT_EQ(done_.statuses()[0].message(), "unexpected status code 503");
  EXPECT_GE(server.requests(), 3);
  EXPECT_EQ(Metric("andon_notifications_failed_total", "webhook"), 1);
}

TEST_F(NotifierTest, SecretUrlsStayOutOfErrorsAndLogs) {
  std::FILE* log = std::tmpfile();
  Logger::Global().SetOutput(log);
  uint16_t port;
  {
    LoopbackHttpServer gone([](const TestRequest&) { return TestReply{}; });
    port = gone.port();
  }
  NotificationSenderOptions o = FastRetries();
  o.give_up_after = 50ms;
  MakeWebhook("http://127.0.0.1:" + std::to_string(port) + "/hook/SECRET-TOKEN", 0, o);
  webhook_->Notify(TwoAlerts(), done_.Callback());
  ASSERT_TRUE(WaitFor([&] { return done_.size() == 1; }));
  Logger::Global().SetOutput(stderr);
  Status s = done_.statuses()[0];
  EXPECT_NE(s.message().find("Post \"<redacted>\": dial tcp 127.0.0.1:"), std::string::npos)
      << s.message();
  std::rewind(log);
  std::string logged;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, log)) logged.append(buf, n);
  std::fclose(log);
  EXPECT_NE(logged.find("Notify for alerts failed"), std::string::npos) << logged;
  EXPECT_NE(logged.find("team-payments"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("SECRET-TOKEN"), std::string::npos) << logged;
  EXPECT_EQ(s.message().find("SECRET-TOKEN"), std::string::npos);
}

TEST_F(NotifierTest, DeadEndpointWithAFullQueueStaysBoundedAndCountsDrops) {
  uint16_t port;
  {
    LoopbackHttpServer gone([](const TestRequest&) { return TestReply{}; });
    port = gone.port();
  }
  NotificationSenderOptions o;
  o.queue_capacity = 5;
  o.max_in_flight = 1;
  o.initial_backoff = 10ms;
  o.max_backoff = 20ms;
  o.give_up_after = 100ms;
  MakeSender(o);
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  constexpr int kNotifications = 200;
  for (int i = 0; i < kNotifications; ++i) {
    sender_->Enqueue(Post(url), "r", done_.Callback());
    EXPECT_LE(sender_->queue_length(), 5u);
  }
  ASSERT_TRUE(WaitFor([&] { return done_.size() == kNotifications; }, 10s));
  size_t dropped = 0, failed = 0;
  for (const Status& s : done_.statuses()) {
    ASSERT_FALSE(s.ok());
    if (s.code() == Status::Code::kResourceExhausted) {
      ++dropped;
      EXPECT_EQ(s.message(),
                "notification queue full (capacity 5): dropped the oldest notification");
    } else {
      ++failed;
      EXPECT_NE(s.message().find("connect: connection refused"), std::string::npos);
    }
  }
  EXPECT_GE(dropped, static_cast<size_t>(kNotifications / 2));
  EXPECT_EQ(dropped + failed, static_cast<size_t>(kNotifications));
  EXPECT_EQ(Metric("andon_notifications_total", "webhook"), kNotifications);
  EXPECT_EQ(Metric("andon_notifications_failed_total", "webhook"), kNotifications);
  EXPECT_EQ(sender_->queue_length(), 0u);
}

TEST_F(NotifierTest, StopWithDeliveriesInFlightAndQueuedCompletesEveryOneOnce) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.delay = 10s}; });
  NotificationSenderOptions o = FastRetries();
  o.max_in_flight = 2;
  MakeSender(o);
  for (int i = 0; i < 5; ++i) sender_->Enqueue(Post(server.Url("/")), "r", done_.Callback());
  ASSERT_TRUE(WaitFor([&] { return server.requests() == 2; }));
  auto start = std::chrono::steady_clock::now();
  sender_->Stop();
  ASSERT_TRUE(WaitFor([&] { return done_.size() == 5; }, 3s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  for (const Status& s : done_.statuses()) EXPECT_FALSE(s.ok());
  sender_->Enqueue(Post(server.Url("/")), "r", done_.Callback());
  ASSERT_TRUE(WaitFor([&] { return done_.size() == 6; }));
  EXPECT_EQ(done_.statuses()[5].message(), "notifier stopped");
  sender_.reset();
  EXPECT_EQ(server.requests(), 2);
}

TEST_F(NotifierTest, StopDuringABackoffWaitEndsIt) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.status = 502}; });
  NotificationSenderOptions o = FastRetries();
  o.initial_backoff = 20s;
  o.max_backoff = 20s;
  MakeSender(o);
  sender_->Enqueue(Post(server.Url("/")), "r", done_.Callback());
  ASSERT_TRUE(WaitFor([&] { return server.requests() == 1; }));
  std::this_thread::sleep_for(50ms);
  sender_->Stop();
  ASSERT_TRUE(WaitFor([&] { return done_.size() == 1; }, 2s));
  EXPECT_EQ(done_.statuses()[0].message(), "unexpected status code 502");
}

config::SlackConfig TeamSlack(const std::string& url) {
  config::SlackConfig c;
  c.send_resolved = true;
  c.api_url = Secret(url);
  c.channel = "#payments-alerts";
  return c;
}

TEST_F(NotifierTest, SlackDefaultMessage) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = "ok"}; });
  MakeSlack(TeamSlack(server.Url("/services/T0/B0/xyz")),
            {.runbook_base_url = "https://runbooks.example.com/payments"});
  EXPECT_EQ(slack_->integration(), "slack");
  slack_->Notify(TwoAlerts(), done_.Callback());
  ASSERT_TRUE(WaitFor([&] { return done_.size() == 1; }));
  ASSERT_TRUE(done_.statuses()[0].ok()) << done_.statuses()[0].message();
  TestRequest r = server.last_request();
  EXPECT_EQ(r.target, "/services/T0/B0/xyz");
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.body,
            R"({"channel":"#payments-alerts","username":"Andon","attachments":[{)"
            R"("title":"[FIRING:1] InstanceDown",)"
            R"("title_link":"http://andon:9090/graph?g0.expr=up+%3D%3D+0",)"
            R"("text":"*InstanceDown*\n*Severity:* critical\n*Summary:* api is down\n)"
            R"(*Description:* no scrape for 5m\n*Labels:* `job=api` `severity=critical`\n\n)"
            R"(*InstanceDown* (resolved)\n*Severity:* critical\n*Summary:* db is down\n)"
            R"(*Labels:* `job=db` `severity=critical`",)"
            R"("fallback":"[FIRING:1] InstanceDown | http://andon:9090/graph?g0.expr=up+%3D%3D+0",)"
            R"("actions":[{"type":"button","text":"Runbook",)"
            R"("url":"https://runbooks.example.com/payments/InstanceDown"},)"
            R"({"type":"button","text":"Query",)"
            R"("url":"http://andon:9090/graph?g0.expr=up+%3D%3D+0"}],)"
            R"("color":"danger","mrkdwn_in":["fallback","pretext","text"]}]})");
}

TEST_F(NotifierTest, SlackResolvedIsGoodAndRunbookAnnotationWins) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = "ok"}; });
  MakeSlack(TeamSlack(server.Url("/s")), {.runbook_base_url = "https://runbooks.example.com/"});
  Notification n = TwoAlerts();
  n.alerts.resize(1);
  n.alerts[0].ends_at_ms = kT + 1000;  // resolved
  n.alerts[0].annotations =
      Labels{{"runbook_url", "https://wiki.example.com/InstanceDown"}, {"summary", "api is down"}};
  slack_->Notify(n, done_.Callback());
  ASSERT_TRUE(WaitFor([&] { return done_.size() == 1; }));
  json att = json::parse(server.last_request().body)["attachments"][0];
  EXPECT_EQ(att["title"], "[RESOLVED] InstanceDown");
  EXPECT_EQ(att["color"], "good");
  EXPECT_EQ(att["text"],
            "*Severity:* critical\n*Summary:* api is down\n"
            "*Labels:* `job=api` `severity=critical`");
  EXPECT_EQ(att["actions"][0]["url"], "https://wiki.example.com/InstanceDown");
}

TEST_F(NotifierTest, SlackUserTemplatesSeeAlertmanagersData) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = "ok"}; });
  config::SlackConfig c = TeamSlack(server.Url("/s"));
  c.username = "bot-{{ .Receiver }}";
  c.icon_emoji = ":fire:";
  c.title = "{{ .Status | toUpper }} {{ .CommonLabels.alertname }} ({{ len .Alerts }})";
  c.text =
      "{{ range .Alerts }}{{ .Status }} {{ .Labels.job }}: {{ .Annotations.summary }} "
      "[{{ .Fingerprint }}]\n{{ end }}{{ .ExternalURL }} {{ .GroupLabels.alertname }}";
  c.color = "{{ if eq .Status \"firing\" }}#ff0000{{ else }}#00ff00{{ end }}";
  c.fields.push_back(
      {.title = "Severity", .value = "{{ .CommonLabels.severity }}", .short_field = true});
  MakeSlack(c);
  slack_->Notify(TwoAlerts(), done_.Callback());
  ASSERT_TRUE(WaitFor([&] { return done_.size() == 1; }));
  ASSERT_TRUE(done_.statuses()[0].ok()) << done_.statuses()[0].message();
  json msg = json::parse(server.last_request().body);
  EXPECT_EQ(msg["username"], "bot-team-payments");
  EXPECT_EQ(msg["icon_emoji"], ":fire:");
  json att = msg["attachments"][0];
  EXPECT_EQ(att["title"], "FIRING InstanceDown (2)");
  Notification n = TwoAlerts();
  EXPECT_EQ(att["text"], "firing api: api is down [" + AlertmanagerFingerprint(n.alerts[0].labels) +
                             "]\nresolved db: db is down [" +
                             AlertmanagerFingerprint(n.alerts[1].labels) +
                             "]\nhttp://andon:9090 InstanceDown");
  EXPECT_EQ(att["color"], "#ff0000");
  EXPECT_EQ(att["fields"][0]["title"], "Severity");
  EXPECT_EQ(att["fields"][0]["value"], "critical");
  EXPECT_EQ(att["fields"][0]["short"], true);
}

TEST_F(NotifierTest, SlackKeepsTheDefaultTextUnderAConfiguredTitle) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = "ok"}; });
  config::SlackConfig c = TeamSlack(server.Url("/s"));
  c.title = "Payments: {{ .CommonLabels.alertname }}";
  MakeSlack(c);
  Notification n = TwoAlerts();
  n.alerts.resize(1);
  slack_->Notify(n, done_.Callback());
  ASSERT_TRUE(WaitFor([&] { return done_.size() == 1; }));
  json att = json::parse(server.last_request().body)["attachments"][0];
  EXPECT_EQ(att["title"], "Payments: InstanceDown");
  EXPECT_EQ(att["text"],
            "*Severity:* critical\n*Summary:* api is down\n*Description:* no scrape for 5m\n"
            "*Labels:* `job=api` `severity=critical`");
  EXPECT_EQ(att["fallback"],
            "Payments: InstanceDown | http://andon:9090/graph?g0.expr=up+%3D%3D+0");
}

TEST_F(NotifierTest, SlackTemplateErrorFailsWithoutSending) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = "ok"}; });
  config::SlackConfig c = TeamSlack(server.Url("/s"));
  c.title = "{{ .Status | nosuchfunc }}";
  MakeSlack(c);
  slack_->Notify(TwoAlerts(), done_.Callback());
  ASSERT_TRUE(WaitFor([&] { return done_.size() == 1; }));
  EXPECT_EQ(done_.statuses()[0].message(),
            "slack title: template: title:1: function \"nosuchfunc\" not defined");
  EXPECT_EQ(server.requests(), 0);
  EXPECT_EQ(Metric("andon_notifications_failed_total", "slack"), 1);
}

}  // namespace
}  // namespace andon::alerting
