// Rule groups and the rule manager over a real tsdb (RocksDB in a temp dir) and the real
// PromQL engine: results of earlier rules are visible to later ones in the same
// evaluation, vanished series get staleness markers, a failing rule does not stop the
// group, and the manager schedules groups, keeps state over reloads, refuses a broken rule
// file without touching the running rules, and hands alerts (with external labels) to the
// sink.
#include "rules/rule_group.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "rules/rule_manager.h"
#include "tests/integration/andon_process.h"
#include "tests/stored_samples.h"
#include "tests/wait_for.h"
#include "tsdb/db.h"
#include "tsdb/sample.h"

namespace andon::rules {
namespace {

using namespace std::chrono_literals;

class RuleGroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = andon::testing::MakeTempDir("andon-rule-group-");
    auto db = Db::Open((dir_ / "data").string(), DbOptions{.background = false});
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(db).value();
    ctx_ = EngineRuleContext(
        engine_, [this] { return db_->NewQuerier(); }, Labels{{"cluster", "eu1"}},
        "http://andon:9090");
  }
  void TearDown() override {
    ASSERT_TRUE(db_->Close().ok());
    std::filesystem::remove_all(dir_);
  }

  void Put(const Labels& l, int64_t t, double v) {
    auto app = db_->NewAppender();
    ASSERT_TRUE(app->Append(0, l, t, v).ok());
    ASSERT_TRUE(app->Commit().ok());
  }

  RuleGroup ParseGroup(const std::string& yaml) {
    auto f = ParseRuleFile(yaml, "rules.yml");
    EXPECT_TRUE(f.ok()) << f.status().message();
    return f.ok() ? f->groups.at(0) : RuleGroup{};
  }

  // The raw samples of the series `l` in [mint, maxt].
  std::vector<Sample> Raw(const Labels& l, int64_t mint, int64_t maxt) {
    std::vector<std::pair<std::string, std::string>> equal;
    for (const Label& x : l) equal.emplace_back(x.name, x.value);
    return andon::testing::StoredSamples(*db_->NewQuerier(), equal, mint, maxt);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Db> db_;
  query::Engine engine_;
  RuleContext ctx_;
};

TEST_F(RuleGroupTest, LaterRulesSeeEarlierResultsOfTheSameEvaluation) {
  Put(Labels{{"__name__", "requests"}, {"job", "api"}}, 1000, 7);
  Put(Labels{{"__name__", "requests"}, {"job", "web"}}, 1000, 3);
  RuleGroupEvaluator g("rules.yml", ParseGroup(R"(
groups:
- name: g
  rules:
  - record: job:requests:sum
    expr: sum by (job) (requests)
    labels: {source: rule}
  - alert: Busy
    expr: job:requests:sum > 5
)"),
                       15000, {});
  g.SetRestored();
  auto app = db_->NewAppender();
  g.Eval(2000, ctx_, *app, nullptr);

  auto rec =
      Raw(Labels{{"__name__", "job:requests:sum"}, {"job", "api"}, {"source", "rule"}}, 0, 5000);
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].t, 2000);
  EXPECT_EQ(rec[0].v, 7);
  auto alerts = g.ActiveAlerts();
  ASSERT_EQ(alerts.size(), 1u);  // the alert saw the recorded series at once
  EXPECT_EQ(alerts[0].labels.Get("job"), "api");
  auto firing = Raw(Labels{{"__name__", "ALERTS"}, {"alertstate", "firing"}}, 0, 5000);
  ASSERT_EQ(firing.size(), 1u);

  GroupSnapshot snap = g.Snapshot();
  ASSERT_EQ(snap.rules.size(), 2u);
  EXPECT_EQ(snap.rules[0].health, RuleHealth::kOk);
  EXPECT_EQ(snap.rules[1].state, AlertState::kFiring);
  EXPECT_EQ(snap.last_evaluation_ms, 2000);
}

TEST_F(RuleGroupTest, VanishedSeriesGetStalenessMarkersAndFailuresAreReported) {
  Put(Labels{{"__name__", "up"}, {"job", "a"}}, 1000, 1);
  Put(Labels{{"__name__", "up"}, {"job", "b"}}, 1000, 1);
  RuleGroupEvaluator g("rules.yml", ParseGroup(R"(
groups:
- name: g
  rules:
  - record: job:up
    expr: up == 1
  - record: broken
    expr: up + on() group_left up
  - record: fine
    expr: vector(1)
)"),
                       15000, {});
  auto app = db_->NewAppender();
  g.Eval(2000, ctx_, *app, nullptr);
  GroupSnapshot snap = g.Snapshot();
  EXPECT_EQ(snap.rules[1].health, RuleHealth::kErr);
  EXPECT_NE(snap.rules[1].last_error.find("many-to-many matching not allowed"), std::string::npos)
      << snap.rules[1].last_error;
  EXPECT_EQ(snap.rules[2].health, RuleHealth::kOk);  // the group went on

  Put(Labels{{"__name__", "up"}, {"job", "b"}}, 2500, 0);  // b is down now
  g.Eval(3000, ctx_, *app, nullptr);
  auto b = Raw(Labels{{"__name__", "job:up"}, {"job", "b"}}, 0, 5000);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_TRUE(IsStaleNaN(b[1].v));
  EXPECT_EQ(b[1].t, 3000);
  auto a = Raw(Labels{{"__name__", "job:up"}, {"job", "a"}}, 0, 5000);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].v, 1);

  g.MarkStale(4000, *app);  // the group was removed
  a = Raw(Labels{{"__name__", "job:up"}, {"job", "a"}}, 0, 5000);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_TRUE(IsStaleNaN(a[2].v));
}

TEST_F(RuleGroupTest, RestoreReadsAlertsForStateFromTheTsdb) {
  // Before the "restart": the alert was pending since t=100s, last written at t=160s.
  Put(Labels{{"__name__", "ALERTS_FOR_STATE"}, {"alertname", "Slow"}, {"job", "x"}}, 160000, 100);
  Put(Labels{{"__name__", "latency"}, {"job", "x"}}, 1000000, 9);
  RuleGroupEvaluator g("rules.yml", ParseGroup(R"(
groups:
- name: g
  rules:
  - alert: Slow
    expr: latency > 5
    for: 30m
)"),
                       15000, {});
  auto app = db_->NewAppender();
  g.Eval(1000000, ctx_, *app, nullptr);
  auto q = db_->NewQuerier();
  g.RestoreForState(1000000, 10 * 60000, 3600 * 1000, *q);
  auto alerts = g.ActiveAlerts();
  ASSERT_EQ(alerts.size(), 1u);
  // 60s spent pending before going down at 160s; the 840s outage is added to activeAt.
  EXPECT_EQ(alerts[0].active_at_ms, 100000 + (1000000 - 160000));
}

struct RecordingSink : alerting::AlertSink {
  void Send(std::vector<alerting::Alert> alerts) override {
    std::lock_guard lock(mu);
    for (auto& a : alerts) got.push_back(std::move(a));
  }
  std::vector<alerting::Alert> Got() {
    std::lock_guard lock(mu);
    return got;
  }
  std::mutex mu;
  std::vector<alerting::Alert> got;
};

TEST_F(RuleGroupTest, ManagerEvaluatesReloadsAndRefusesBrokenFiles) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  Put(Labels{{"__name__", "temp"}, {"room", "a"}}, now, 30);
  const auto rules = dir_ / "rules.yml";
  andon::testing::WriteFile(rules, R"(
groups:
- name: g
  interval: 100ms
  rules:
  - alert: Hot
    expr: temp > 25
    labels: {severity: page}
- name: other
  interval: 100ms
  rules:
  - record: temp:x2
    expr: temp * 2
)");
  config::Config cfg;
  cfg.rule_files = {rules.string()};
  cfg.global.external_labels = {{"cluster", "eu1"}};
  RecordingSink sink;
  MetricsRegistry registry;
  RuleManager m(*db_, engine_, &sink, {.external_url = "http://andon:9090", .registry = &registry});
  ASSERT_TRUE(m.ApplyConfig(cfg).ok());
  ASSERT_TRUE(andon::testing::WaitFor([&] {
    auto g = m.Groups();
    return !sink.Got().empty() && g.size() == 2 && g[1].last_evaluation_ms != 0;
  }));
  alerting::Alert a = sink.Got()[0];
  EXPECT_EQ(a.labels.ToString(),
            "{alertname=\"Hot\", cluster=\"eu1\", room=\"a\", severity=\"page\"}");
  EXPECT_EQ(a.generator_url, "http://andon:9090/graph?g0.expr=temp+%3E+25&g0.tab=1");
  ASSERT_EQ(m.Groups().size(), 2u);
  const int64_t first_active_at = m.Groups()[0].rules[0].alerts.at(0).active_at_ms;

  // A broken file: refused, and the running groups stay as they were.
  andon::testing::WriteFile(rules,
                            "groups:\n- name: g\n  rules:\n  - alert: Hot\n    expr: temp >\n");
  Status s = m.ApplyConfig(cfg);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("rules.yml:5:"), std::string::npos) << s.message();
  EXPECT_EQ(m.Groups().size(), 2u);

  // More groups than --rules.max-groups: refused with the count and the limit, counted,
  // and the running groups stay as they were.
  RuleManager limited(*db_, engine_, nullptr, {.max_groups = 1, .registry = &registry});
  const std::string one_group = "groups:\n- name: g\n  rules:\n  - record: a\n    expr: temp\n";
  andon::testing::WriteFile(rules, one_group);
  ASSERT_TRUE(limited.ApplyConfig(cfg).ok());
  andon::testing::WriteFile(rules,
                            one_group + "- name: other\n  rules:\n  - record: b\n    expr: temp\n");
  s = limited.ApplyConfig(cfg);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(),
            "rule_files: 2 rule groups in 1 files exceed the limit of 1 (--rules.max-groups)");
  ASSERT_EQ(limited.Groups().size(), 1u);
  EXPECT_EQ(limited.Groups()[0].name, "g");
  auto exceeded = registry.RegisterCounter(
      "andon_rule_group_limit_exceeded_total",
      "Rule file (re)loads refused for holding more groups than --rules.max-groups.", {});
  ASSERT_TRUE(exceeded.ok());
  EXPECT_EQ((*exceeded)->WithLabels({}).Value(), 1);
  limited.Stop();

  // A changed group keeps its alerts; a removed group's series are marked stale.
  andon::testing::WriteFile(rules, R"(
groups:
- name: g
  interval: 100ms
  rules:
  - alert: Hot
    expr: temp > 20
    labels: {severity: page}
)");
  ASSERT_TRUE(m.ApplyConfig(cfg).ok());
  auto groups = m.Groups();
  ASSERT_EQ(groups.size(), 1u);
  ASSERT_EQ(groups[0].rules[0].alerts.size(), 1u);
  EXPECT_EQ(groups[0].rules[0].alerts[0].active_at_ms, first_active_at);
  EXPECT_EQ(groups[0].rules[0].rule.expr_text, "temp > 20");
  m.Stop();
  auto recorded = Raw(Labels{{"__name__", "temp:x2"}, {"room", "a"}}, 0, now + 3600000);
  ASSERT_FALSE(recorded.empty());
  EXPECT_TRUE(IsStaleNaN(recorded.back().v));
  EXPECT_GT(registry.Gather().size(), 0u);
  // Per-group self-metrics: the evaluations that ran, counted under the group's key.
  auto metric = [&](const std::string& family, const std::string& group) {
    for (const FamilySnapshot& f : registry.Gather()) {
      if (f.name != family) continue;
      for (const MetricSnapshot& m : f.metrics) {
        if (m.label_values == std::vector<std::string>{rules.string() + ";" + group})
          return m.value;
      }
    }
    return -1.0;
  };
  EXPECT_GE(metric("andon_rule_group_iterations_total", "g"), 1);
  EXPECT_GE(metric("andon_rule_evaluations_total", "other"), 1);
  EXPECT_EQ(metric("andon_rule_group_interval_seconds", "g"), 0.1);
  EXPECT_EQ(metric("andon_rule_group_rules", "g"), 1);
  EXPECT_EQ(metric("andon_rule_evaluation_failures_total", "g"), 0);
}

}  // namespace
}  // namespace andon::rules
