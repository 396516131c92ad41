// rules/rule_group.h
//
// RuleGroupEvaluator: one `groups:` entry (a RuleGroup of rule_file.h) being evaluated, with
// the state its rules keep between evaluations. Eval(t) runs the rules in file order at
// the same timestamp; each rule's output is appended and committed before the next rule
// runs, so later rules see earlier results of the same evaluation. Series a rule wrote in
// its previous evaluation but not in this one get a staleness marker. Alerting rules hand
// the alerts due for (re)sending to the AlertSink.
//
// A rule whose query fails (or whose output cannot be appended) gets health "err" and the
// error as lastError; the other rules still run. Health is "unknown" before the first
// evaluation.
//
// Eval, MarkStale, RestoreForState and CopyStateFrom must not run concurrently (the rule
// manager runs one group from one timer chain); Snapshot may be called at any time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alerting/sink.h"
#include "common/metrics_registry.h"
#include "rules/alerting_rule.h"
#include "rules/recording_rule.h"
#include "rules/rule_context.h"
#include "rules/rule_file.h"
#include "tsdb/appender.h"
#include "tsdb/querier.h"

namespace andon::rules {

enum class RuleHealth { kUnknown, kOk, kErr };
// "unknown", "ok", "err" (the API's words).
std::string_view RuleHealthName(RuleHealth health);

// The state of one rule, for the API.
struct RuleSnapshot {
  Rule rule;
  RuleHealth health = RuleHealth::kUnknown;
  std::string last_error;
  int64_t last_evaluation_ms = 0;  // 0: never evaluated
  double evaluation_seconds = 0;
  AlertState state = AlertState::kInactive;  // alerting rules only
  std::vector<RuleAlert> alerts;             // alerting rules: pending and firing
};

struct GroupSnapshot {
  std::string name;
  std::string file;
  int64_t interval_ms = 0;
  int64_t limit = 0;
  int64_t last_evaluation_ms = 0;
  double evaluation_seconds = 0;
  std::vector<RuleSnapshot> rules;
};

// What the group reports to /metrics (children of the rule manager's families, labelled
// with the group's key); any may be null.
struct RuleGroupMetrics {
  Counter* evaluations = nullptr;
  Counter* evaluation_failures = nullptr;
  Counter* iterations = nullptr;
  Counter* iterations_missed = nullptr;
  Gauge* last_duration_seconds = nullptr;
  Gauge* last_evaluation_timestamp_seconds = nullptr;
  Gauge* last_evaluation_samples = nullptr;
  Gauge* interval_seconds = nullptr;
  Gauge* rules = nullptr;
};

struct RuleGroupOptions {
  int64_t resend_delay_ms = 60 * 1000;  // --rules.alert.resend-delay
  std::string external_url;             // for generator URLs
  RuleGroupMetrics metrics;
};

class RuleGroupEvaluator {
 public:
  // `group` comes from a loaded rule file named `file`; `interval_ms` is its interval, or
  // the global evaluation_interval when it has none.
  RuleGroupEvaluator(std::string file, const RuleGroup& group, int64_t interval_ms,
                     RuleGroupOptions options);

  const std::string& name() const { return name_; }
  const std::string& file() const { return file_; }
  int64_t interval_ms() const { return interval_ms_; }
  // "file;name", Prometheus's group key (metrics label rule_group).
  std::string Key() const { return file_ + ";" + name_; }

  // Evaluates every rule at t_ms (see the class comment). `sink` may be null.
  void Eval(int64_t t_ms, const RuleContext& ctx, Appender& appender, alerting::AlertSink* sink);

  // Writes a staleness marker at t_ms for every series of the last evaluation (the group
  // was removed by a reload).
  void MarkStale(int64_t t_ms, Appender& appender);

  // Restores the alerts' activeAt after a restart from ALERTS_FOR_STATE in
  // [t - outage_tolerance, t], then marks every alerting rule restored.
  void RestoreForState(int64_t t_ms, int64_t grace_period_ms, int64_t outage_tolerance_ms,
                       Querier& querier);
  // Marks alerting rules restored without looking at old series (groups added by a reload).
  void SetRestored();

  // Takes over alerts, staleness state and evaluation times from `old` for rules with the
  // same kind, name and labels (a reload that changed the group).
  void CopyStateFrom(RuleGroupEvaluator& old);

  // Same name, file, interval, limit and rule definitions (a reload keeps such a group).
  bool SameDefinition(const RuleGroupEvaluator& other) const;

  GroupSnapshot Snapshot() const;
  // Every pending and firing alert of the group.
  std::vector<RuleAlert> ActiveAlerts() const;

  const RuleGroupMetrics& metrics() const { return options_.metrics; }

 private:
  struct Entry {
    std::unique_ptr<AlertingRule> alerting;
    std::unique_ptr<RecordingRule> recording;
    const Rule& rule() const { return alerting ? alerting->rule() : recording->rule(); }
    std::string generator_url;     // alerting rules: the link back to the expression
    std::vector<Labels> previous;  // sorted: series written in the last evaluation
    // Guarded by mu_:
    RuleHealth health = RuleHealth::kUnknown;
    std::string last_error;
    int64_t last_evaluation_ms = 0;
    double evaluation_seconds = 0;
  };

  std::string file_;
  std::string name_;
  int64_t interval_ms_;
  int64_t limit_;
  RuleGroupOptions options_;
  std::vector<Entry> entries_;
  std::vector<Labels> scratch_;  // this evaluation's series of one rule

  mutable std::mutex mu_;  // guards the snapshot fields of entries_ and the two below
  int64_t last_evaluation_ms_ = 0;
  double evaluation_seconds_ = 0;
};

}  // namespace andon::rules
