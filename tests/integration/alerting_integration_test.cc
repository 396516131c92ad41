// The real `andon` binary routes the alerts of its own rules to per-team Slack channels. A
// loopback stand-in for Slack's incoming webhook records every message; a loopback scrape
// target holds the values the rules alert on, so a test makes alerts appear, join a group
// and stop by changing them. Short timers (evaluation every 1s, group_wait 1s,
// group_interval 2s) keep the tests quick; nothing asserts on timing: every wait polls for
// an outcome (tests/wait_for.h), and the assertions are on the messages' counts and
// contents. Debian's Prometheus also sends its alerts here, as to its Alertmanager.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/andon_process.h"
#include "tests/integration/prometheus_process.h"
#include "tests/loopback_http_server.h"
#include "tests/wait_for.h"

namespace andon::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Slack's incoming webhook: records every message posted to it and answers the given
// replies in turn, then "ok" to all later ones.
class SlackStandIn {
 public:
  explicit SlackStandIn(std::vector<TestReply> replies = {})
      : replies_(std::move(replies)), server_([this](const TestRequest&) {
          std::lock_guard lock(mu_);
          return next_ < replies_.size() ? replies_[next_++] : TestReply{.body = "ok"};
        }) {}

  std::string url() const { return server_.Url("/services/T0/B0/secret"); }

  std::vector<json> Messages() const {
    std::vector<json> out;
    for (const TestRequest& r : server_.received()) {
      out.push_back(json::parse(r.body, nullptr, false));
    }
    return out;
  }
  std::vector<json> MessagesTo(const std::string& channel) const {
    std::vector<json> out;
    for (json& m : Messages()) {
      if (m.value("channel", "") == channel) out.push_back(std::move(m));
    }
    return out;
  }
  std::vector<std::string> TitlesTo(const std::string& channel) const {
    std::vector<std::string> out;
    for (const json& m : MessagesTo(channel)) out.push_back(Title(m));
    return out;
  }

  static std::string Title(const json& m) { return m["attachments"][0].value("title", ""); }
  static std::string Color(const json& m) { return m["attachments"][0].value("color", ""); }
  static std::string RunbookUrl(const json& m) {
    for (const json& a : m["attachments"][0].value("actions", json::array())) {
      if (a.value("text", "") == "Runbook") return a.value("url", "");
    }
    return "";
  }

 private:
  std::mutex mu_;
  const std::vector<TestReply> replies_;
  size_t next_ = 0;            // GUARDED_BY(mu_)
  LoopbackHttpServer server_;  // last: stops before the replies go
};

// A scrape target whose series the test sets and removes.
class MetricsTarget {
 public:
  MetricsTarget()
      : server_([this](const TestRequest&) {
          std::lock_guard lock(mu_);
          std::string body;
          for (const auto& [series, value] : values_) {
            body += series + " " + std::to_string(value) + "\n";
          }
          return TestReply{.body = body};
        }) {}

  std::string address() const { return server_.address(); }
  // Sets every series of `values` at once (no scrape sees only some of them changed).
  void Set(const std::map<std::string, double>& values) {
    std::lock_guard lock(mu_);
    for (const auto& [series, value] : values) values_[series] = value;
  }

 private:
  std::mutex mu_;
  std::map<std::string, double> values_;  // GUARDED_BY(mu_)
  LoopbackHttpServer server_;             // last: stops before the values go
};

struct RouterTimers {
  std::string group_wait = "1s";
  std::string group_interval = "2s";
  std::string repeat_interval = "1h";
};

// andon.yml: scrapes `target` every 100ms, evaluates rules.yml every 1s, and routes with two
// teams (payments, search) posting to `slack`; `extra_alerting` is appended to `alerting:`.
std::string AndonYml(const MetricsTarget& target, const SlackStandIn& slack,
                     const RouterTimers& timers = {}, const std::string& extra_alerting = "") {
  return "global:\n"
         "  scrape_interval: 100ms\n"
         "  scrape_timeout: 90ms\n"
         "  evaluation_interval: 1s\n"
         "rule_files: ['rules.yml']\n"
         "scrape_configs:\n"
         "- job_name: app\n"
         "  static_configs:\n"
         "  - targets: ['" +
         target.address() +
         "']\n"
         "alerting:\n"
         "  global:\n"
         "    slack_api_url: " +
         slack.url() +
         "\n"
         "  route:\n"
         "    receiver: default\n"
         "    group_by: [alertname, team]\n"
         "    group_wait: " +
         timers.group_wait + "\n    group_interval: " + timers.group_interval +
         "\n    repeat_interval: " + timers.repeat_interval +
         "\n"
         "  receivers:\n"
         "  - name: default\n" +
         extra_alerting +
         "teams:\n"
         "  payments:\n"
         "    slack_channel: '#payments'\n"
         "    runbook_base_url: https://runbooks.example.com/payments/\n"
         "  search:\n"
         "    slack_channel: '#search'\n"
         "    runbook_base_url: https://runbooks.example.com/search\n";
}

// Alerts on every series of app_errors above 0 (the series carry the team label) and on
// search latency above 1s (with its own runbook_url).
constexpr char kRules[] = R"(groups:
- name: teams
  rules:
  - alert: PaymentsErrors
    expr: app_errors > 0
    labels: {severity: warning}
    annotations: {summary: "errors on shard {{ $labels.shard }}"}
  - alert: SearchSlow
    expr: search_latency_seconds > 1
    labels: {severity: critical}
    annotations: {runbook_url: "https://wiki.example.com/search/slow"}
)";

double MetricValue(const AndonProcess& andon, const std::string& series) {
  return andon::testing::MetricValue(andon.port(), series);
}

// Slack messages andon has had answered (the stand-in replied and andon recorded the
// attempt, logging the notification before anything else of that reply's handling).
double SlackAttempts(const AndonProcess& andon) {
  return MetricValue(andon, "andon_notification_latency_seconds_count{integration=\"slack\"}");
}

// The witness that the router's groups have been flushed more than once since now: with
// search_latency_seconds{node="a"} already set, its group is sent group_wait after the
// alert came in; then a second alert (node "b") joins and is sent a group_interval later.
bool SearchGroupSentTwice(MetricsTarget& target, const SlackStandIn& slack) {
  if (!WaitFor([&] { return !slack.MessagesTo("#search").empty(); })) return false;
  target.Set({{"search_latency_seconds{team=\"search\",node=\"b\"}", 5}});
  return WaitFor([&] {
    for (const std::string& t : slack.TitlesTo("#search")) {
      if (t == "[FIRING:2] SearchSlow") return true;
    }
    return false;
  });
}

class AlertingIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("andon-alerting-it-"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes andon.yml and rules.yml and starts andon on them.
  std::unique_ptr<AndonProcess> StartAndon(const std::string& andon_yml,
                                           const std::string& rules = kRules,
                                           std::vector<std::string> extra_args = {}) {
    WriteFile(dir_ / "andon.yml", andon_yml);
    WriteFile(dir_ / "rules.yml", rules);
    extra_args.push_back("--config.file=" + (dir_ / "andon.yml").string());
    auto andon = std::make_unique<AndonProcess>(std::move(extra_args));
    EXPECT_TRUE(andon->Start()) << andon->Log();
    return andon;
  }

  std::filesystem::path dir_;
};

TEST_F(AlertingIntegrationTest, EachTeamGetsItsOwnGroupedAlertsWithRunbookUpdatesAndResolution) {
  SlackStandIn slack;
  MetricsTarget target;
  auto shard = [](const std::string& n) {
    return "app_errors{team=\"payments\",shard=\"" + n + "\"}";
  };
  target.Set({{shard("1"), 1},
              {shard("2"), 1},
              {shard("3"), 1},
              {"search_latency_seconds{team=\"search\"}", 5}});
  auto andon = StartAndon(AndonYml(target, slack));

  // Three alerts of one group: one message, to the payments channel only.
  ASSERT_TRUE(WaitFor([&] {
    return !slack.MessagesTo("#payments").empty() && !slack.MessagesTo("#search").empty();
  })) << andon->Log();
  json payments = slack.MessagesTo("#payments")[0];
  EXPECT_EQ(SlackStandIn::Title(payments), "[FIRING:3] PaymentsErrors");
  EXPECT_EQ(SlackStandIn::Color(payments), "danger");
  EXPECT_EQ(SlackStandIn::RunbookUrl(payments),
            "https://runbooks.example.com/payments/PaymentsErrors");
  for (const char* n : {"1", "2", "3"}) {
    EXPECT_NE(payments["attachments"][0]["text"].get<std::string>().find(
                  std::string("errors on shard ") + n),
              std::string::npos)
        << payments.dump();
  }
  json search = slack.MessagesTo("#search")[0];
  EXPECT_EQ(SlackStandIn::Title(search), "[FIRING:1] SearchSlow");
  // The runbook_url annotation wins over the team's base URL.
  EXPECT_EQ(SlackStandIn::RunbookUrl(search), "https://wiki.example.com/search/slow");

  // A fourth alert joins the group: one update at the next group_interval, with all four.
  target.Set({{shard("4"), 1}});
  ASSERT_TRUE(WaitFor([&] { return slack.MessagesTo("#payments").size() >= 2; })) << andon->Log();
  EXPECT_EQ(slack.TitlesTo("#payments"),
            (std::vector<std::string>{"[FIRING:3] PaymentsErrors", "[FIRING:4] PaymentsErrors"}));

  // The errors stop: one resolved message, green.
  target.Set({{shard("1"), 0}, {shard("2"), 0}, {shard("3"), 0}, {shard("4"), 0}});
  ASSERT_TRUE(WaitFor([&] { return slack.MessagesTo("#payments").size() >= 3; })) << andon->Log();
  std::vector<json> all_payments = slack.MessagesTo("#payments");
  ASSERT_EQ(all_payments.size(), 3u);
  EXPECT_EQ(SlackStandIn::Title(all_payments[2]), "[RESOLVED] PaymentsErrors");
  EXPECT_EQ(SlackStandIn::Color(all_payments[2]), "good");

  // The API v2 shows the routing: the search alert is in the team-search receiver's group.
  json groups = json::parse(HttpGet(andon->port(), "/api/v2/alerts/groups").body, nullptr, false);
  bool search_group = false;
  for (const json& g : groups) {
    search_group |= g["receiver"]["name"] == "team-search" && g["alerts"].size() == 1 &&
                    g["alerts"][0]["labels"]["alertname"] == "SearchSlow";
  }
  EXPECT_TRUE(search_group) << groups.dump();

  // Nothing went to any other channel; search's one alert was sent once (repeat is 1h).
  EXPECT_EQ(slack.TitlesTo("#search"), std::vector<std::string>{"[FIRING:1] SearchSlow"});
  EXPECT_EQ(slack.Messages().size(), 4u);
  EXPECT_EQ(andon->StopWith(SIGTERM), 0) << andon->Log();
}

TEST_F(AlertingIntegrationTest, RepeatsAfterRepeatIntervalUntilAnAmtoolSilenceMutesIt) {
  SlackStandIn slack;
  MetricsTarget target;
  target.Set({{"app_errors{team=\"payments\",shard=\"1\"}", 1},
              {"search_latency_seconds{team=\"search\"}", 5}});
  auto andon = StartAndon(AndonYml(target, slack, {.repeat_interval = "3s"}));

  // Nothing changes, yet each group is sent again once repeat_interval has passed.
  ASSERT_TRUE(WaitFor([&] {
    return slack.MessagesTo("#payments").size() >= 2 && slack.MessagesTo("#search").size() >= 2;
  })) << andon->Log();
  for (const std::string& title : slack.TitlesTo("#search")) {
    EXPECT_EQ(title, "[FIRING:1] SearchSlow");
  }

  // amtool (Alertmanager's own client) silences SearchSlow.
  auto [rc, out] = RunShell(
      "/usr/bin/amtool silence add --no-version-check "
      "--alertmanager.url=http://127.0.0.1:" +
      std::to_string(andon->port()) +
      " --author=oncall --comment='planned reindex' --duration=1h "
      "alertname=SearchSlow");
  ASSERT_EQ(rc, 0) << out;
  const std::string id = out.substr(0, out.find_first_of(" \n"));
  json listed = json::parse(HttpGet(andon->port(), "/api/v2/silences").body, nullptr, false);
  ASSERT_EQ(listed.size(), 1u) << listed.dump();
  EXPECT_EQ(listed[0]["id"], id);
  EXPECT_EQ(listed[0]["status"]["state"], "active");
  EXPECT_EQ(listed[0]["createdBy"], "oncall");

  // Payments keeps repeating; once it has twice more (so a search message decided before
  // the silence has landed too), search gets nothing more through two more repeats.
  auto payments_after = [&](size_t more) {
    const size_t from = slack.MessagesTo("#payments").size();
    return WaitFor([&] { return slack.MessagesTo("#payments").size() >= from + more; });
  };
  ASSERT_TRUE(payments_after(2)) << andon->Log();
  const size_t search_sent = slack.MessagesTo("#search").size();
  ASSERT_TRUE(payments_after(2)) << andon->Log();
  EXPECT_EQ(slack.MessagesTo("#search").size(), search_sent);

  // Expiring the silence (amtool again) brings the repeats back.
  auto [expire_rc, expire_out] = RunShell(
      "/usr/bin/amtool silence expire --no-version-check --alertmanager.url=http://127.0.0.1:" +
      std::to_string(andon->port()) + " " + id);
  ASSERT_EQ(expire_rc, 0) << expire_out;
  EXPECT_TRUE(WaitFor([&] { return slack.MessagesTo("#search").size() > search_sent; }))
      << andon->Log();
  EXPECT_EQ(andon->StopWith(SIGTERM), 0) << andon->Log();
}

TEST_F(AlertingIntegrationTest, CriticalAlertInhibitsWarningsOfTheSameClusterOnly) {
  SlackStandIn slack;
  MetricsTarget target;
  target.Set({{"cluster_up{team=\"payments\",cluster=\"east\"}", 0},
              {"app_errors{team=\"payments\",cluster=\"east\",shard=\"1\"}", 1},
              {"app_errors{team=\"payments\",cluster=\"west\",shard=\"2\"}", 1}});
  const std::string inhibit =
      "  inhibit_rules:\n"
      "  - source_matchers: ['severity=\"critical\"']\n"
      "    target_matchers: ['severity=\"warning\"']\n"
      "    equal: [cluster]\n";
  const std::string rules = std::string(kRules) +
                            "  - alert: ClusterDown\n"
                            "    expr: cluster_up == 0\n"
                            "    labels: {severity: critical}\n";
  auto andon = StartAndon(AndonYml(target, slack, {}, inhibit), rules);

  // The warning of the east cluster (where the critical ClusterDown fires) is left out of
  // the PaymentsErrors group's message; the west one is sent.
  auto titled = [&](const std::string& title) {
    std::vector<json> out;
    for (json& m : slack.MessagesTo("#payments")) {
      if (SlackStandIn::Title(m) == title) out.push_back(std::move(m));
    }
    return out;
  };
  ASSERT_TRUE(WaitFor([&] {
    return !titled("[FIRING:1] ClusterDown").empty() &&
           !titled("[FIRING:1] PaymentsErrors").empty();
  })) << andon->Log();
  const std::string text =
      titled("[FIRING:1] PaymentsErrors")[0]["attachments"][0]["text"].get<std::string>();
  EXPECT_NE(text.find("west"), std::string::npos) << text;
  EXPECT_EQ(text.find("east"), std::string::npos) << text;

  // The cluster comes back: ClusterDown resolves, and the east warning is no longer
  // inhibited, so the group is sent again with both.
  target.Set({{"cluster_up{team=\"payments\",cluster=\"east\"}", 1}});
  ASSERT_TRUE(WaitFor([&] { return !titled("[FIRING:2] PaymentsErrors").empty(); }))
      << andon->Log();
  EXPECT_EQ(titled("[FIRING:1] PaymentsErrors").size(), 1u);
  EXPECT_TRUE(WaitFor([&] { return !titled("[RESOLVED] ClusterDown").empty(); }));
  EXPECT_EQ(andon->StopWith(SIGTERM), 0) << andon->Log();
}

TEST_F(AlertingIntegrationTest, RestartAfterANotificationDoesNotSendItAgain) {
  SlackStandIn slack;
  MetricsTarget target;
  target.Set({{"app_errors{team=\"payments\",shard=\"1\"}", 1}});
  auto andon = StartAndon(AndonYml(target, slack));
  ASSERT_TRUE(WaitFor([&] { return slack.MessagesTo("#payments").size() == 1; })) << andon->Log();
  // Andon has the reply (and so the notification log entry) before it is stopped.
  ASSERT_TRUE(WaitFor([&] { return SlackAttempts(*andon) >= 1; })) << andon->Log();
  ASSERT_EQ(andon->StopWith(SIGTERM), 0) << andon->Log();
  EXPECT_TRUE(std::filesystem::is_directory(andon->dir() / "data" / "alerting" / "nflog"));
  EXPECT_TRUE(std::filesystem::is_directory(andon->dir() / "data" / "alerting" / "silences"));

  // Restarted on the same data directory, the rules send the same alert to the router
  // again. The search alert (new) is the witness: its group is sent group_wait after it
  // came in, and a second search alert joining it a group_interval later; by then the
  // payments group has been flushed at least twice, each time finding the alert already
  // sent within repeat_interval (1h).
  target.Set({{"search_latency_seconds{team=\"search\",node=\"a\"}", 5}});
  ASSERT_TRUE(andon->Start()) << andon->Log();
  ASSERT_TRUE(SearchGroupSentTwice(target, slack)) << andon->Log();
  EXPECT_EQ(slack.TitlesTo("#payments"), std::vector<std::string>{"[FIRING:1] PaymentsErrors"});
  EXPECT_EQ(andon->StopWith(SIGTERM), 0) << andon->Log();
}

TEST_F(AlertingIntegrationTest, AlertmanagerConfigFileRoutesToWebhookWithTeamsExpandedIntoIt) {
  SlackStandIn slack;
  MetricsTarget target;
  LoopbackHttpServer webhook([](const TestRequest&) { return TestReply{.body = ""}; });
  target.Set({{"app_errors{team=\"payments\",shard=\"1\"}", 1},
              {"disk_free_ratio{team=\"storage\",volume=\"v1\"}", 0.01}});
  // An unchanged alertmanager.yml: its own webhook receiver for everything, and the Slack
  // URL the andon.yml teams (no alerting router there) need.
  const std::string alertmanager_yml =
      "global:\n"
      "  slack_api_url: " +
      slack.url() +
      "\n"
      "route:\n"
      "  receiver: hook\n"
      "  group_by: [alertname]\n"
      "  group_wait: 1s\n"
      "  group_interval: 2s\n"
      "  repeat_interval: 1h\n"
      "receivers:\n"
      "- name: hook\n"
      "  webhook_configs:\n"
      "  - url: " +
      webhook.Url("/hook") + "\n";
  WriteFile(dir_ / "alertmanager.yml", alertmanager_yml);
  const std::string andon_yml =
      "global:\n  scrape_interval: 100ms\n  scrape_timeout: 90ms\n  evaluation_interval: 1s\n"
      "rule_files: ['rules.yml']\n"
      "scrape_configs:\n- job_name: app\n  static_configs:\n  - targets: ['" +
      target.address() +
      "']\n"
      "teams:\n  payments:\n    slack_channel: '#payments'\n";
  const std::string rules = std::string(kRules) +
                            "  - alert: DiskFull\n"
                            "    expr: disk_free_ratio < 0.05\n"
                            "    labels: {severity: warning}\n";
  auto andon = StartAndon(andon_yml, rules,
                          {"--alertmanager.config.file=" + (dir_ / "alertmanager.yml").string(),
                           "--web.external-url=http://andon.example.com:9090"});

  // The storage team has no team entry: its alert goes to the file's webhook receiver, as
  // Alertmanager's webhook payload (version 4).
  auto hooks = [&] {
    std::vector<json> out;
    for (const TestRequest& r : webhook.received()) {
      out.push_back(json::parse(r.body, nullptr, false));
    }
    return out;
  };
  ASSERT_TRUE(WaitFor([&] { return !hooks().empty(); })) << andon->Log();
  json p = hooks()[0];
  EXPECT_EQ(p["version"], "4");
  EXPECT_EQ(p["receiver"], "hook");
  EXPECT_EQ(p["status"], "firing");
  EXPECT_EQ(p["groupLabels"], json({{"alertname", "DiskFull"}}));
  EXPECT_EQ(p["commonLabels"]["team"], "storage");
  EXPECT_EQ(p["externalURL"], "http://andon.example.com:9090");
  EXPECT_EQ(p["groupKey"], "{}:{alertname=\"DiskFull\"}");
  EXPECT_EQ(p["truncatedAlerts"], 0);
  ASSERT_EQ(p["alerts"].size(), 1u);
  EXPECT_EQ(p["alerts"][0]["status"], "firing");
  EXPECT_EQ(p["alerts"][0]["labels"]["volume"], "v1");
  EXPECT_EQ(p["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(p["alerts"][0]["fingerprint"].get<std::string>().size(), 16u);
  EXPECT_EQ(webhook.last_request().headers["content-type"], "application/json");

  // The payments team of andon.yml was expanded into the file: its alert went to Slack,
  // and not to the webhook.
  ASSERT_TRUE(WaitFor([&] { return !slack.MessagesTo("#payments").empty(); })) << andon->Log();
  EXPECT_EQ(SlackStandIn::Title(slack.MessagesTo("#payments")[0]), "[FIRING:1] PaymentsErrors");
  for (const json& h : hooks()) EXPECT_NE(h["groupLabels"]["alertname"], "PaymentsErrors");

  // A broken alertmanager.yml on SIGHUP: the reload fails and the old router keeps routing.
  WriteFile(dir_ / "alertmanager.yml", alertmanager_yml + "no_such_key: 1\n");
  andon->Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] {
    return MetricValue(*andon, "andon_config_last_reload_successful") == 0;
  })) << andon->Log();
  EXPECT_NE(andon->Log().find("no_such_key"), std::string::npos);
  target.Set({{"disk_free_ratio{team=\"storage\",volume=\"v2\"}", 0.01}});
  ASSERT_TRUE(WaitFor([&] { return hooks().size() >= 2; })) << andon->Log();
  EXPECT_EQ(hooks()[1]["alerts"].size(), 2u);
  EXPECT_EQ(andon->StopWith(SIGTERM), 0) << andon->Log();
}

TEST_F(AlertingIntegrationTest, SlackOutageAndRateLimitEndInExactlyOneAcceptedMessage) {
  // Slack fails (500), then rate-limits (429, Retry-After: 1), then accepts.
  SlackStandIn slack(
      {TestReply{.status = 500, .body = "internal_error"},
       TestReply{.status = 429, .body = "rate_limited", .headers = {{"Retry-After", "1"}}}});
  MetricsTarget target;
  target.Set({{"app_errors{team=\"payments\",shard=\"1\"}", 1}});
  auto andon = StartAndon(AndonYml(target, slack));
  ASSERT_TRUE(WaitFor([&] {
    return MetricValue(*andon, "andon_notifications_total{integration=\"slack\"}") == 1 &&
           SlackAttempts(*andon) == 3;
  })) << andon->Log();
  // The same message three times: the retries re-send the notification, not a new one.
  std::vector<json> posts = slack.MessagesTo("#payments");
  ASSERT_EQ(posts.size(), 3u);
  EXPECT_EQ(SlackStandIn::Title(posts[0]), "[FIRING:1] PaymentsErrors");
  EXPECT_EQ(posts[1], posts[0]);
  EXPECT_EQ(posts[2], posts[0]);
  // A retried delivery that finally succeeded is no failure.
  EXPECT_LE(MetricValue(*andon, "andon_notifications_failed_total{integration=\"slack\"}"), 0);

  // Later flushes of the payments group happened (the witness); the accepted message was
  // logged, so they sent nothing more.
  target.Set({{"search_latency_seconds{team=\"search\",node=\"a\"}", 5}});
  ASSERT_TRUE(SearchGroupSentTwice(target, slack)) << andon->Log();
  EXPECT_EQ(slack.MessagesTo("#payments").size(), 3u);
  EXPECT_EQ(andon->StopWith(SIGTERM), 0) << andon->Log();
}

TEST_F(AlertingIntegrationTest, PrometheusUsesAndonAsItsAlertmanager) {
  SlackStandIn slack;
  MetricsTarget target;  // andon's own rules stay quiet: the target has no series
  auto andon = StartAndon(AndonYml(target, slack));

  // Debian's Prometheus evaluates an always-firing rule and sends the alert to andon's
  // /api/v2/alerts as to any Alertmanager.
  PrometheusProcess prom;
  WriteFile(prom.dir() / "rules.yml", R"(groups:
- name: prometheus
  rules:
  - alert: PrometheusSaysHello
    expr: vector(1)
    labels: {team: search, severity: warning}
    annotations: {summary: "sent by prometheus"}
)");
  ASSERT_TRUE(
      prom.Start("global:\n"
                 "  evaluation_interval: 1s\n"
                 "rule_files: ['" +
                     (prom.dir() / "rules.yml").string() +
                     "']\n"
                     "alerting:\n"
                     "  alertmanagers:\n"
                     "  - static_configs:\n"
                     "    - targets: ['127.0.0.1:" +
                     std::to_string(andon->port()) + "']\n",
                 // Its first send may come before it discovered andon (dropped, as
                 // Prometheus does); the next comes a resend delay later.
                 {"--rules.alert.resend-delay=1s"}))
      << prom.Log();

  ASSERT_TRUE(WaitFor([&] { return !slack.MessagesTo("#search").empty(); }))
      << "prometheus's alertmanagers: " << HttpGet(prom.port(), "/api/v1/alertmanagers").body
      << "\nprometheus's alerts: " << HttpGet(prom.port(), "/api/v1/alerts").body
      << "\nandon's alerts: " << HttpGet(andon->port(), "/api/v2/alerts").body << "\n"
      << prom.Log() << andon->Log();
  json message = slack.MessagesTo("#search")[0];
  EXPECT_EQ(SlackStandIn::Title(message), "[FIRING:1] PrometheusSaysHello");
  EXPECT_EQ(SlackStandIn::RunbookUrl(message),
            "https://runbooks.example.com/search/PrometheusSaysHello");
  EXPECT_NE(message["attachments"][0]["text"].get<std::string>().find("sent by prometheus"),
            std::string::npos)
      << message.dump();
  // Prometheus's generator URL is the link back to the expression.
  EXPECT_NE(message["attachments"][0]
                .value("title_link", "")
                .find(":" + std::to_string(prom.port()) + "/graph?g0.expr="),
            std::string::npos)
      << message.dump();
  EXPECT_TRUE(slack.MessagesTo("#payments").empty());
  EXPECT_EQ(andon->StopWith(SIGTERM), 0) << andon->Log();
}

// An HA pair: two andons with the same rule and different `replica` external labels send
// their alerts to one router (a third andon). alert_relabel_configs drops `replica`, so
// both replicas' alerts have one fingerprint: the router holds one alert and Slack gets
// one message, however often both replicas resend it.
TEST_F(AlertingIntegrationTest, AnHaPairsAlertsDeduplicateInTheRouterOnceReplicaIsDropped) {
  SlackStandIn slack;
  MetricsTarget target;
  auto router = StartAndon(AndonYml(target, slack));
  std::vector<std::unique_ptr<AndonProcess>> replicas;
  for (const std::string replica : {"a", "b"}) {
    const std::filesystem::path dir = dir_ / replica;
    std::filesystem::create_directories(dir);
    WriteFile(dir / "rules.yml", R"(groups:
- name: ha
  rules:
  - alert: HaPairSaysHello
    expr: vector(1)
    labels: {team: search, severity: warning}
)");
    WriteFile(dir / "andon.yml",
              "global:\n"
              "  evaluation_interval: 1s\n"
              "  external_labels: {cluster: eu-1, replica: " +
                  replica +
                  "}\n"
                  "rule_files: ['" +
                  (dir / "rules.yml").string() +
                  "']\n"
                  "alerting:\n"
                  "  alert_relabel_configs:\n"
                  "  - {action: labeldrop, regex: replica}\n"
                  "  alertmanagers:\n"
                  "  - static_configs:\n"
                  "    - targets: ['127.0.0.1:" +
                  std::to_string(router->port()) + "']\n");
    replicas.push_back(std::make_unique<AndonProcess>(std::vector<std::string>{
        "--config.file=" + (dir / "andon.yml").string(), "--rules.alert.resend-delay=1s"}));
    ASSERT_TRUE(replicas.back()->Start()) << replicas.back()->Log();
  }
  const std::string sent = "andon_notifications_sent_total{alertmanager=\"http://127.0.0.1:" +
                           std::to_string(router->port()) + "/api/v2/alerts\"}";
  // Both replicas have sent the alert several times, and the router has notified.
  ASSERT_TRUE(WaitFor([&] {
    return MetricValue(*replicas[0], sent) >= 3 && MetricValue(*replicas[1], sent) >= 3 &&
           !slack.MessagesTo("#search").empty();
  })) << replicas[0]->Log()
      << replicas[1]->Log() << router->Log();
  // Past two more group intervals (2s): a second alert would have joined the group by now.
  std::this_thread::sleep_for(5s);
  json alerts = json::parse(HttpGet(router->port(), "/api/v2/alerts").body, nullptr, false);
  ASSERT_TRUE(alerts.is_array() && alerts.size() == 1) << alerts.dump();
  EXPECT_EQ(alerts[0]["labels"], json::parse(R"({"alertname": "HaPairSaysHello", "cluster": "eu-1",
                            "severity": "warning", "team": "search"})"));
  EXPECT_EQ(slack.TitlesTo("#search"), std::vector<std::string>{"[FIRING:1] HaPairSaysHello"});
}

TEST_F(AlertingIntegrationTest, WithoutARouterPostedAlertsAreHeldAndShownButSentNowhere) {
  AndonProcess andon;  // the embedded default: no router, no teams
  ASSERT_TRUE(andon.Start()) << andon.Log();
  HttpResult posted = HttpRequestTo(
      andon.port(), "POST", "/api/v2/alerts",
      R"([{"labels": {"alertname": "Posted", "team": "x"}, "annotations": {"summary": "s"}}])",
      "application/json");
  ASSERT_EQ(posted.status, 200) << posted.body;
  json alerts;
  ASSERT_TRUE(WaitFor([&] {
    alerts = json::parse(HttpGet(andon.port(), "/api/v2/alerts").body, nullptr, false);
    return alerts.is_array() && alerts.size() == 1;
  })) << alerts.dump();
  EXPECT_EQ(alerts[0]["labels"]["alertname"], "Posted");
  EXPECT_EQ(alerts[0]["receivers"], json::parse(R"([{"name": "blackhole"}])"));
  EXPECT_EQ(alerts[0]["status"]["state"], "active");
  EXPECT_EQ(json::parse(HttpGet(andon.port(), "/api/v2/receivers").body, nullptr, false),
            json::parse(R"([{"name": "blackhole"}])"));
  json status = json::parse(HttpGet(andon.port(), "/api/v2/status").body, nullptr, false);
  EXPECT_NE(status["config"]["original"].get<std::string>().find("receiver: blackhole"),
            std::string::npos)
      << status.dump();
  EXPECT_TRUE(std::filesystem::is_directory(andon.dir() / "data" / "alerting" / "silences"));
  EXPECT_EQ(andon.StopWith(SIGTERM), 0) << andon.Log();
}

}  // namespace
}  // namespace andon::testing
