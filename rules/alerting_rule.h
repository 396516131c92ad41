// rules/alerting_rule.h
//
// AlertingRule: the state of one `alert:` rule across evaluations, as Prometheus 2.42 keeps
// it. Each evaluation runs the expression; every resulting sample is one alert, identified
// by the sample's labels without __name__, plus the rule's labels (templates expanded) and
// alertname. An alert is pending from its first evaluation (activeAt), firing once it has
// been active for `for`, and inactive (resolved) as soon as it is missing from a result —
// unless it was firing and `keep_firing_for` has not yet passed since it went missing.
// Resolved alerts are kept 15 minutes so that receivers hear that they resolved; pending
// alerts that vanish are forgotten at once.
//
// Eval returns the rule's output series: ALERTS{alertstate="pending"|"firing"} = 1 and
// ALERTS_FOR_STATE = activeAt in seconds, for every pending or firing alert — only once
// the rule is "restored" (after the restart restore, see RestoreForState), as Prometheus
// does so that a restart does not write misleading series.
//
// Not thread-safe for Eval (one group evaluates it); Snapshot may be called concurrently
// with Eval (it takes the rule's lock).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerting/alert.h"
#include "common/labels.h"
#include "common/status.h"
#include "query/value.h"
#include "rules/rule_context.h"
#include "rules/rule_file.h"
#include "templating/template.h"

namespace andon::rules {

enum class AlertState { kInactive, kPending, kFiring };
// "inactive", "pending", "firing".
std::string_view AlertStateName(AlertState state);

// One alert of a rule. Times are in milliseconds; 0 means unset.
struct RuleAlert {
  Labels labels;       // the alert's identity, with alertname
  Labels annotations;  // expanded
  AlertState state = AlertState::kPending;
  double value = 0;
  int64_t active_at_ms = 0;
  int64_t fired_at_ms = 0;
  int64_t resolved_at_ms = 0;
  int64_t last_sent_at_ms = 0;
  int64_t valid_until_ms = 0;
  int64_t keep_firing_since_ms = 0;
};

// How long resolved alerts are kept (and re-sent as resolved).
inline constexpr int64_t kResolvedRetentionMs = 15 * 60 * 1000;

class AlertingRule {
 public:
  // `rule` must be an alerting rule of a loaded (validated) file.
  explicit AlertingRule(Rule rule);

  const Rule& rule() const { return rule_; }
  const std::string& name() const { return rule_.name; }

  // Evaluates at t_ms with ctx and updates the alerts. `limit` > 0 caps the number of
  // pending + firing alerts: beyond it every alert is dropped and the evaluation fails
  // ("exceeded limit of 10 with 12 alerts"). Errors leave the previous alerts in place.
  Result<query::Vector> Eval(int64_t t_ms, const RuleContext& ctx, int64_t limit);

  // The alerts due for (re)sending at t_ms (firing ones every resend_delay, resolved ones
  // once after they resolve, and every resend_delay within the retention), converted for an
  // AlertSink: startsAt = firedAt, endsAt = resolvedAt or t + 4*max(resend_delay, interval).
  // Marks them sent. generator_url is the link back to the expression.
  std::vector<alerting::Alert> AlertsToSend(int64_t t_ms, int64_t resend_delay_ms,
                                            int64_t interval_ms, const std::string& generator_url);

  // Restart restore (Prometheus's RestoreForState for one rule): for each pending or firing
  // alert, `series_for` returns the ALERTS_FOR_STATE samples of that alert's labels within
  // [t - outage_tolerance, t]; the newest one gives activeAt (its value) and when the
  // server went down (its timestamp), from which activeAt is moved forward by the downtime,
  // or to t + grace_period - for when less than grace_period of `for` was left. Rules whose
  // `for` is shorter than grace_period are not restored. Marks the rule restored either way.
  using ForStateLookup = std::function<std::vector<query::FPoint>(const Labels& alert_labels)>;
  void RestoreForState(int64_t t_ms, int64_t grace_period_ms, const ForStateLookup& series_for);

  // Whether ALERTS/ALERTS_FOR_STATE are written (see the class comment).
  void SetRestored(bool restored) { restored_ = restored; }
  bool restored() const { return restored_; }

  // Takes over the alerts of `old` (the same rule before a reload; Prometheus's CopyState
  // keeps alerts of a rule with the same name and labels).
  void CopyStateFrom(AlertingRule& old);

  // Pending and firing alerts (and, with include_inactive, resolved ones still kept),
  // sorted by labels.
  std::vector<RuleAlert> Alerts(bool include_inactive = false) const;
  // The rule's state: the highest state among its alerts.
  AlertState State() const;

 private:
  struct CompiledTemplate {
    std::string name;
    std::string text;
    std::optional<templating::Template> tmpl;  // unset: text without actions, used as is
  };
  std::string Expand(const CompiledTemplate& t, const templating::AlertTemplateData& data,
                     const templating::TemplateEnv& env) const;

  Rule rule_;
  std::vector<CompiledTemplate> labels_;
  std::vector<CompiledTemplate> annotations_;
  bool restored_ = false;

  mutable std::mutex mu_;                 // guards active_ against concurrent Alerts()/State()
  std::map<uint64_t, RuleAlert> active_;  // by the hash of the alert's labels
};

}  // namespace andon::rules
