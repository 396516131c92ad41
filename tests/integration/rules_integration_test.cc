// The real `andon` binary evaluates alerting and recording rules over a real scraped target
// whose value the test moves across a threshold. Checked at each step through the HTTP API:
// the alert is pending first and fires only once it has been active for `for` (both from
// /api/v1/alerts and the ALERTS series), survives a restart as firing with its original
// activeAt (restored from ALERTS_FOR_STATE), and resolves when the value drops (ALERTS goes
// stale, /api/v1/alerts empties). A reload with a broken rule file is refused, reported by
// andon_config_last_reload_successful 0, and the old rules keep running.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/rfc3339.h"
#include "tests/integration/andon_process.h"
#include "tests/loopback_http_server.h"
#include "tests/wait_for.h"

namespace andon::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json GetJson(uint16_t port, const std::string& target) {
  return json::parse(HttpGet(port, target).body, nullptr, false);
}

// An RFC 3339 time of the API -> ms (-1 when it does not parse, failing the comparisons).
int64_t ParseTime(const std::string& s) {
  Result<int64_t> t = ParseRfc3339(s);
  return t.ok() ? *t : -1;
}

json Alerts(uint16_t port) { return GetJson(port, "/api/v1/alerts")["data"]["alerts"]; }

// The alerting rule as /api/v1/rules shows it.
json AlertRule(uint16_t port) {
  json g = GetJson(port, "/api/v1/rules?type=alert")["data"]["groups"];
  for (const json& group : g) {
    for (const json& r : group["rules"]) {
      if (r["name"] == "QueueTooLong") return r;
    }
  }
  return json();
}

TEST(RulesIntegrationTest, AlertGoesPendingFiringSurvivesRestartAndResolves) {
  std::atomic<int> queue_length{100};
  LoopbackHttpServer target([&](const TestRequest&) {
    return TestReply{.body = "# TYPE queue_length gauge\nqueue_length{queue=\"orders\"} " +
                             std::to_string(queue_length.load()) + "\n"};
  });
  // An Alertmanager stand-in (alerting.alertmanagers) records what is posted to it.
  std::mutex posted_mu;
  std::vector<json> posted;  // every alert of every POST /api/v2/alerts
  LoopbackHttpServer alertmanager([&](const TestRequest& req) {
    if (req.method == "POST" && req.target == "/api/v2/alerts") {
      json batch = json::parse(req.body, nullptr, false);
      std::lock_guard lock(posted_mu);
      for (const json& a : batch) posted.push_back(a);
    }
    return TestReply{.status = 200, .body = ""};
  });
  auto posted_alerts = [&] {
    std::lock_guard lock(posted_mu);
    return posted;
  };
  auto dir = MakeTempDir("andon-rules-it-");
  WriteFile(dir / "andon.yml",
            "global:\n  scrape_interval: 100ms\n  scrape_timeout: 90ms\n"
            "  evaluation_interval: 200ms\n"
            "rule_files: ['rules/*.yml']\n"
            "alerting:\n  alertmanagers:\n  - static_configs:\n    - targets: ['" +
                alertmanager.address() +
                "']\n"
                "scrape_configs:\n- job_name: shop\n  static_configs:\n  - targets: ['" +
                target.address() + "']\n");
  std::filesystem::create_directory(dir / "rules");
  const std::string good_rules = R"(groups:
- name: shop
  rules:
  - record: queue:length:max
    expr: max by (job) (queue_length)
  - alert: QueueTooLong
    expr: queue:length:max > 50
    for: 3s
    labels: {severity: page, team: shop}
    annotations:
      summary: "{{ $labels.job }} queue at {{ $value }}"
      runbook_url: https://runbooks.example/QueueTooLong
)";
  WriteFile(dir / "rules" / "shop.yml", good_rules);
  AndonProcess andon({"--config.file=" + (dir / "andon.yml").string(), "--web.enable-lifecycle",
                      "--rules.alert.for-grace-period=1s"});
  ASSERT_TRUE(andon.Start()) << andon.Log();

  // Pending first: active, but not yet for 3s.
  ASSERT_TRUE(WaitFor([&] { return Alerts(andon.port()).size() == 1; }, 20s)) << andon.Log();
  json alert = Alerts(andon.port())[0];
  EXPECT_EQ(alert["labels"], json({{"alertname", "QueueTooLong"},
                                   {"job", "shop"},
                                   {"severity", "page"},
                                   {"team", "shop"}}));
  EXPECT_EQ(alert["annotations"]["summary"], "shop queue at 100");
  EXPECT_EQ(alert["value"], "1e+02");
  EXPECT_EQ(alert["state"], "pending");
  const int64_t active_at = ParseTime(alert["activeAt"]);
  json rule = AlertRule(andon.port());
  EXPECT_LT(ParseTime(rule["lastEvaluation"]) - active_at, 3000);
  EXPECT_EQ(rule["health"], "ok");

  // Firing at the first evaluation at least 3s after activeAt, and not before.
  ASSERT_TRUE(WaitFor([&] { return AlertRule(andon.port())["state"] == "firing"; }));
  rule = AlertRule(andon.port());
  EXPECT_EQ(ParseTime(rule["alerts"][0]["activeAt"]), active_at);
  // The ALERTS series tell at which evaluation it switched: pending samples all before
  // activeAt + 3s, the first firing one at the first evaluation from then on.
  auto sample_times = [&](const std::string& state) {
    json m = GetJson(andon.port(), "/api/v1/query?query=ALERTS%7Balertstate%3D%22" + state +
                                       "%22%7D%5B1m%5D")["data"]["result"];
    std::vector<int64_t> ts;
    for (const json& p : m.at(0)["values"]) {
      ts.push_back(static_cast<int64_t>(std::llround(p[0].get<double>() * 1000)));
    }
    return ts;
  };
  std::vector<int64_t> pending = sample_times("pending"), firing = sample_times("firing");
  ASSERT_FALSE(pending.empty());
  ASSERT_FALSE(firing.empty());
  EXPECT_LT(pending.back() - active_at, 3000);
  EXPECT_GE(firing.front() - active_at, 3000);
  EXPECT_LE(firing.front() - pending.back(), 200);  // the very next evaluation
  json q = GetJson(andon.port(), "/api/v1/query?query=ALERTS");
  ASSERT_EQ(q["data"]["result"].size(), 1u) << q.dump();
  EXPECT_EQ(q["data"]["result"][0]["metric"]["alertstate"], "firing");
  q = GetJson(andon.port(), "/api/v1/query?query=ALERTS_FOR_STATE");
  ASSERT_EQ(q["data"]["result"].size(), 1u);
  EXPECT_EQ(std::stoll(q["data"]["result"][0]["value"][1].get<std::string>()), active_at / 1000);

  // The firing alert was posted to the Alertmanager, as Prometheus posts it.
  ASSERT_TRUE(WaitFor([&] { return !posted_alerts().empty(); })) << andon.Log();
  json sent = posted_alerts()[0];
  EXPECT_EQ(sent["labels"]["alertname"], "QueueTooLong");
  EXPECT_EQ(sent["labels"]["team"], "shop");
  EXPECT_EQ(sent["annotations"]["runbook_url"], "https://runbooks.example/QueueTooLong");
  EXPECT_NE(sent["generatorURL"].get<std::string>().find("/graph?g0.expr="), std::string::npos);
  EXPECT_GT(ParseTime(sent["endsAt"]), ParseTime(sent["startsAt"]));  // valid for a while

  // A broken rule file: the reload fails, the old rules keep running.
  WriteFile(dir / "rules" / "shop.yml", "groups:\n- name: shop\n  rules:\n  - alert: X\n");
  HttpResult r = HttpRequestTo(andon.port(), "POST", "/-/reload");
  EXPECT_NE(r.status, 200);
  EXPECT_NE(HttpGet(andon.port(), "/metrics").body.find("andon_config_last_reload_successful 0"),
            std::string::npos);
  const std::string before = AlertRule(andon.port())["lastEvaluation"];
  ASSERT_TRUE(WaitFor([&] { return AlertRule(andon.port())["lastEvaluation"] != before; }));
  WriteFile(dir / "rules" / "shop.yml", good_rules);

  // Restart: the alert is firing again with its original activeAt, long before another 3s.
  ASSERT_EQ(andon.StopWith(SIGTERM), 0);
  ASSERT_TRUE(andon.Start()) << andon.Log();
  const auto restarted = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return AlertRule(andon.port())["state"] == "firing"; })) << andon.Log();
  EXPECT_LT(std::chrono::steady_clock::now() - restarted, 3000ms);  // not a new `for` wait
  EXPECT_EQ(ParseTime(AlertRule(andon.port())["alerts"][0]["activeAt"]) / 1000, active_at / 1000);

  // The value drops: resolved, ALERTS ends, /api/v1/alerts empties.
  queue_length = 10;
  ASSERT_TRUE(WaitFor([&] { return Alerts(andon.port()).empty(); }));
  EXPECT_EQ(AlertRule(andon.port())["state"], "inactive");
  // The resolution was posted too: endsAt no longer in the future.
  ASSERT_TRUE(WaitFor([&] {
    auto all = posted_alerts();
    return !all.empty() &&
           ParseTime(all.back()["endsAt"]) <= ParseTime(AlertRule(andon.port())["lastEvaluation"]);
  })) << posted_alerts().back().dump();
  ASSERT_TRUE(WaitFor([&] {
    return GetJson(andon.port(), "/api/v1/query?query=ALERTS")["data"]["result"].empty();
  }));
  // The recording rule kept recording throughout.
  q = GetJson(andon.port(), "/api/v1/query?query=queue:length:max");
  ASSERT_EQ(q["data"]["result"].size(), 1u);
  EXPECT_EQ(q["data"]["result"][0]["value"][1], "10");
  // type=record shows the recording rule only; a bad type is bad_data.
  json rec = GetJson(andon.port(), "/api/v1/rules?type=record")["data"]["groups"][0]["rules"];
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0]["type"], "recording");
  EXPECT_EQ(rec[0]["query"], "max by (job) (queue_length)");
  r = HttpGet(andon.port(), "/api/v1/rules?type=foo");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("not supported value \\\"foo\\\""), std::string::npos) << r.body;
  EXPECT_EQ(andon.StopWith(SIGTERM), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace andon::testing
