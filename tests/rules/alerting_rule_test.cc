// AlertingRule's state machine, driven evaluation by evaluation with a scripted query result
// (the engine itself is exercised by rule_group_test.cc): pending -> firing after `for`,
// resolved and kept 15 minutes, keep_firing_for, limits, templates, what is sent to the
// AlertSink and when, and the restart restore of `for` progress.
#include "rules/alerting_rule.h"

#include <gtest/gtest.h>

#include "query/parser.h"
#include "tsdb/sample.h"

namespace andon::rules {
namespace {

constexpr int64_t kMin = 60 * 1000;

Rule MakeRule(int64_t for_ms, int64_t keep_firing_for_ms = 0,
              std::map<std::string, std::string> annotations = {}) {
  Rule r;
  r.kind = Rule::Kind::kAlerting;
  r.name = "HighLoad";
  r.expr_text = "load > 1";
  auto parsed = query::ParseExpr(r.expr_text);
  EXPECT_TRUE(parsed.ok());
  r.expr = std::shared_ptr<const query::Expr>(std::move(*parsed));
  r.for_ms = for_ms;
  r.keep_firing_for_ms = keep_firing_for_ms;
  r.labels = {{"severity", "page"}, {"where", "{{ $labels.instance }}"}};
  r.annotations = std::move(annotations);
  return r;
}

// A context whose query returns `result` (or `error` when set).
struct Scripted {
  query::Vector result;
  std::string error;
  RuleContext ctx;
  Scripted() {
    ctx.query = [this](const query::Expr&, int64_t t) -> Result<query::Vector> {
      if (!error.empty()) return Status::InvalidArgument(error);
      query::Vector v = result;
      for (auto& s : v) s.t = t;
      return v;
    };
    ctx.query_text = [](std::string_view, int64_t) -> Result<query::Vector> {
      return query::Vector{query::VectorSample{Labels{{"x", "y"}}, 0, 42}};
    };
    ctx.external_labels = Labels{{"cluster", "eu1"}};
    ctx.external_url = "http://andon.example:9090";
  }
  void Set(std::initializer_list<std::pair<std::string, double>> by_instance) {
    result.clear();
    for (const auto& [inst, v] : by_instance) {
      result.push_back({Labels{{"__name__", "load"}, {"instance", inst}}, 0, v});
    }
  }
};

std::vector<std::string> States(const AlertingRule& r) {
  std::vector<std::string> out;
  for (const RuleAlert& a : r.Alerts(true)) {
    out.push_back(std::string(a.labels.Get("instance")) + "=" +
                  std::string(AlertStateName(a.state)));
  }
  return out;
}

TEST(AlertingRuleTest, PendingThenFiringAfterForThenResolved) {
  AlertingRule rule(MakeRule(2 * kMin));
  rule.SetRestored(true);
  Scripted s;
  s.Set({{"a", 5}});
  ASSERT_TRUE(rule.Eval(0, s.ctx, 0).ok());
  EXPECT_EQ(States(rule), std::vector<std::string>{"a=pending"});
  ASSERT_TRUE(rule.Eval(1 * kMin, s.ctx, 0).ok());
  EXPECT_EQ(States(rule), std::vector<std::string>{"a=pending"});
  auto out = rule.Eval(2 * kMin, s.ctx, 0);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(States(rule), std::vector<std::string>{"a=firing"});
  EXPECT_EQ(rule.State(), AlertState::kFiring);
  // ALERTS and ALERTS_FOR_STATE with the alert's labels.
  ASSERT_EQ(out->size(), 2u);
  bool saw_alerts = false, saw_for_state = false;
  for (const auto& smp : *out) {
    if (smp.metric.MetricName() == "ALERTS") {
      saw_alerts = true;
      EXPECT_EQ(smp.metric.ToString(),
                "{__name__=\"ALERTS\", alertname=\"HighLoad\", alertstate=\"firing\", "
                "instance=\"a\", severity=\"page\", where=\"a\"}");
      EXPECT_EQ(smp.v, 1);
    } else {
      saw_for_state = true;
      EXPECT_EQ(smp.metric.MetricName(), "ALERTS_FOR_STATE");
      EXPECT_EQ(smp.v, 0);  // activeAt in seconds
    }
  }
  EXPECT_TRUE(saw_alerts && saw_for_state);

  s.Set({});
  out = rule.Eval(3 * kMin, s.ctx, 0);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->empty());
  EXPECT_EQ(States(rule), std::vector<std::string>{"a=inactive"});
  EXPECT_TRUE(rule.Alerts().empty());  // the API shows pending and firing only
  // Kept for 15 minutes after resolving, then forgotten.
  ASSERT_TRUE(rule.Eval(18 * kMin, s.ctx, 0).ok());
  EXPECT_EQ(States(rule).size(), 1u);
  ASSERT_TRUE(rule.Eval(18 * kMin + 1, s.ctx, 0).ok());
  EXPECT_TRUE(States(rule).empty());
}

TEST(AlertingRuleTest, PendingAlertThatVanishesIsForgottenAndStartsOver) {
  AlertingRule rule(MakeRule(2 * kMin));
  Scripted s;
  s.Set({{"a", 5}});
  ASSERT_TRUE(rule.Eval(0, s.ctx, 0).ok());
  s.Set({});
  ASSERT_TRUE(rule.Eval(1 * kMin, s.ctx, 0).ok());
  EXPECT_TRUE(States(rule).empty());
  s.Set({{"a", 5}});
  ASSERT_TRUE(rule.Eval(2 * kMin, s.ctx, 0).ok());
  ASSERT_TRUE(rule.Eval(3 * kMin, s.ctx, 0).ok());
  EXPECT_EQ(States(rule), std::vector<std::string>{"a=pending"});  // activeAt restarted at 2m
  EXPECT_EQ(rule.Alerts()[0].active_at_ms, 2 * kMin);
}

TEST(AlertingRuleTest, ZeroForFiresAtOnceAndUnrestoredRuleWritesNoSeries) {
  AlertingRule rule(MakeRule(0));
  Scripted s;
  s.Set({{"a", 5}, {"b", 7}});
  auto out = rule.Eval(0, s.ctx, 0);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->empty());  // not restored yet
  EXPECT_EQ(States(rule), (std::vector<std::string>{"a=firing", "b=firing"}));
}

TEST(AlertingRuleTest, KeepFiringForHoldsAFiringAlertAfterItsConditionClears) {
  AlertingRule rule(MakeRule(0, 2 * kMin));
  rule.SetRestored(true);
  Scripted s;
  s.Set({{"a", 5}});
  ASSERT_TRUE(rule.Eval(0, s.ctx, 0).ok());
  s.Set({});
  auto out = rule.Eval(1 * kMin, s.ctx, 0);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(States(rule), std::vector<std::string>{"a=firing"});
  EXPECT_EQ(out->size(), 2u);  // still written as firing
  ASSERT_TRUE(rule.Eval(2 * kMin, s.ctx, 0).ok());
  EXPECT_EQ(States(rule), std::vector<std::string>{"a=firing"});
  ASSERT_TRUE(rule.Eval(3 * kMin, s.ctx, 0).ok());  // 2m since it cleared
  EXPECT_EQ(States(rule), std::vector<std::string>{"a=inactive"});
}

TEST(AlertingRuleTest, LimitAndDuplicateLabelSetsFailTheEvaluation) {
  AlertingRule rule(MakeRule(0));
  Scripted s;
  s.Set({{"a", 5}, {"b", 6}, {"c", 7}});
  auto out = rule.Eval(0, s.ctx, 2);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "exceeded limit of 2 with 3 alerts");
  EXPECT_TRUE(States(rule).empty());

  // Two samples that differ only in __name__ become the same alert.
  s.result = {{Labels{{"__name__", "x"}, {"instance", "a"}}, 0, 1},
              {Labels{{"__name__", "y"}, {"instance", "a"}}, 0, 2}};
  out = rule.Eval(1, s.ctx, 0);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "vector contains metrics with the same labelset after applying alert labels");

  s.error = "query timed out in expression evaluation";
  out = rule.Eval(2, s.ctx, 0);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "query timed out in expression evaluation");
}

TEST(AlertingRuleTest, TemplatesSeeLabelsValueExternalLabelsUrlAndQuery) {
  AlertingRule rule(MakeRule(
      0, 0,
      {{"summary", "{{ $labels.instance }} at {{ $value }} in {{ $externalLabels.cluster }}"},
       {"link", "{{ $externalURL }}/alerts"},
       {"q", "{{ with query \"x\" }}{{ . | first | value }}{{ end }}"},
       {"plain", "no actions"},
       {"broken", "{{ $value | humanize \"x\" }}"}}));
  Scripted s;
  s.Set({{"a", 2.5}});
  ASSERT_TRUE(rule.Eval(0, s.ctx, 0).ok());
  auto alerts = rule.Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  const Labels& ann = alerts[0].annotations;
  EXPECT_EQ(ann.Get("summary"), "a at 2.5 in eu1");
  EXPECT_EQ(ann.Get("link"), "http://andon.example:9090/alerts");
  EXPECT_EQ(ann.Get("q"), "42");
  EXPECT_EQ(ann.Get("plain"), "no actions");
  EXPECT_TRUE(ann.Get("broken").starts_with(
      "<error expanding template: error executing template __alert_HighLoad: "))
      << ann.Get("broken");
  EXPECT_EQ(alerts[0].labels.Get("where"), "a");  // label templates expanded too
}

TEST(AlertingRuleTest, SendsFiringEveryResendDelayAndResolvedOnce) {
  AlertingRule rule(MakeRule(1 * kMin));
  Scripted s;
  s.Set({{"a", 5}});
  const std::string url = "http://x/graph";
  ASSERT_TRUE(rule.Eval(0, s.ctx, 0).ok());
  EXPECT_TRUE(rule.AlertsToSend(0, kMin, 15000, url).empty());  // pending: not sent
  ASSERT_TRUE(rule.Eval(kMin, s.ctx, 0).ok());
  auto sent = rule.AlertsToSend(kMin, kMin, 15000, url);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].starts_at_ms, kMin);           // firedAt
  EXPECT_EQ(sent[0].ends_at_ms, kMin + 4 * kMin);  // valid for 4 x max(resend, interval)
  EXPECT_EQ(sent[0].generator_url, url);
  EXPECT_EQ(sent[0].labels.Get("alertname"), "HighLoad");
  EXPECT_TRUE(rule.AlertsToSend(kMin + 30000, kMin, 15000, url).empty());   // within delay
  EXPECT_EQ(rule.AlertsToSend(2 * kMin + 1, kMin, 15000, url).size(), 1u);  // resent

  s.Set({});
  ASSERT_TRUE(rule.Eval(3 * kMin, s.ctx, 0).ok());
  sent = rule.AlertsToSend(3 * kMin, kMin, 15000, url);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].ends_at_ms, 3 * kMin);  // resolved at
  EXPECT_TRUE(sent[0].ResolvedAt(3 * kMin));
  EXPECT_TRUE(rule.AlertsToSend(3 * kMin + 1000, kMin, 15000, url).empty());
}

TEST(AlertingRuleTest, RestoreMovesActiveAtByTheOutage) {
  const int64_t kFor = 30 * kMin, kGrace = 10 * kMin;
  // Was pending 5m when the server went down at 100m; back at 160m with the alert still true.
  auto restore_with = [&](double active_at_s, int64_t down_at_ms, int64_t now_ms) {
    AlertingRule rule(MakeRule(kFor));
    Scripted s;
    s.Set({{"a", 5}});
    EXPECT_TRUE(rule.Eval(now_ms, s.ctx, 0).ok());
    rule.RestoreForState(now_ms, kGrace, [&](const Labels& l) {
      EXPECT_EQ(l.Get("alertname"), "HighLoad");
      return std::vector<query::FPoint>{{down_at_ms - 60000, active_at_s},
                                        {down_at_ms, active_at_s}};
    });
    EXPECT_TRUE(rule.restored());
    return rule.Alerts()[0].active_at_ms;
  };
  // 25m of `for` left (more than the grace period): activeAt shifts by the 60m downtime.
  EXPECT_EQ(restore_with(95 * 60, 100 * kMin, 160 * kMin), (95 + 60) * kMin);
  // Already firing before the outage: activeAt kept.
  EXPECT_EQ(restore_with(10 * 60, 100 * kMin, 160 * kMin), 10 * kMin);
  // 5m left, less than the grace period: it fires grace period after the restart.
  EXPECT_EQ(restore_with(75 * 60, 100 * kMin, 160 * kMin), 160 * kMin + kGrace - kFor);

  // A stale last sample means it was not active: nothing restored.
  AlertingRule rule(MakeRule(kFor));
  Scripted s;
  s.Set({{"a", 5}});
  ASSERT_TRUE(rule.Eval(160 * kMin, s.ctx, 0).ok());
  rule.RestoreForState(160 * kMin, kGrace, [&](const Labels&) {
    return std::vector<query::FPoint>{{100 * kMin, kStaleNaN}};
  });
  EXPECT_EQ(rule.Alerts()[0].active_at_ms, 160 * kMin);

  // `for` shorter than the grace period: not restored, but marked restored.
  AlertingRule short_for(MakeRule(kMin));
  bool called = false;
  short_for.RestoreForState(0, kGrace, [&](const Labels&) {
    called = true;
    return std::vector<query::FPoint>{};
  });
  EXPECT_FALSE(called);
  EXPECT_TRUE(short_for.restored());
}

TEST(AlertingRuleTest, CopyStateKeepsAlertsAcrossAReload) {
  AlertingRule old_rule(MakeRule(0));
  Scripted s;
  s.Set({{"a", 5}});
  ASSERT_TRUE(old_rule.Eval(0, s.ctx, 0).ok());
  AlertingRule reloaded(MakeRule(0));
  reloaded.CopyStateFrom(old_rule);
  ASSERT_EQ(reloaded.Alerts().size(), 1u);
  EXPECT_EQ(reloaded.Alerts()[0].state, AlertState::kFiring);
}

}  // namespace
}  // namespace andon::rules
