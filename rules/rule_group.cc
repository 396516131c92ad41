#include "rules/rule_group.h"

#include <algorithm>
#include <utility>

#include "common/logger.h"
#include "common/url_escape.h"
#include "tsdb/label_matcher.h"
#include "tsdb/sample.h"

namespace andon::rules {
namespace {

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

void Add(Counter* c, double v) {
  if (c != nullptr && v > 0) c->Inc(v);
}
void Set(Gauge* g, double v) {
  if (g != nullptr) g->Set(v);
}

// Prometheus's link back to an expression: <external URL>/graph?g0.expr=...&g0.tab=1.
std::string GeneratorUrl(const std::string& external_url, const std::string& expr) {
  std::string out = external_url;
  while (!out.empty() && out.back() == '/') out.pop_back();
  out += "/graph?g0.expr=";
  AppendUrlEscaped(expr, /*query=*/true, &out);
  out += "&g0.tab=1";
  return out;
}

bool SameRule(const Rule& a, const Rule& b) {
  return a.kind == b.kind && a.name == b.name && a.expr_text == b.expr_text &&
         a.for_ms == b.for_ms && a.keep_firing_for_ms == b.keep_firing_for_ms &&
         a.labels == b.labels && a.annotations == b.annotations;
}

}  // namespace

std::string_view RuleHealthName(RuleHealth health) {
  switch (health) {
    case RuleHealth::kUnknown:
      return "unknown";
    case RuleHealth::kOk:
      return "ok";
    case RuleHealth::kErr:
      return "err";
  }
  return "unknown";
}

RuleGroupEvaluator::RuleGroupEvaluator(std::string file, const RuleGroup& group,
                                       int64_t interval_ms, RuleGroupOptions options)
    : file_(std::move(file)),
      name_(group.name),
      interval_ms_(interval_ms),
      limit_(group.limit),
      options_(std::move(options)) {
  entries_.reserve(group.rules.size());
  for (const Rule& r : group.rules) {
    Entry e;
    if (r.alerting()) {
      e.alerting = std::make_unique<AlertingRule>(r);
      e.generator_url = GeneratorUrl(options_.external_url, r.expr_text);
    } else {
      e.recording = std::make_unique<RecordingRule>(r);
    }
    entries_.push_back(std::move(e));
  }
  Set(options_.metrics.interval_seconds, static_cast<double>(interval_ms_) / 1000);
  Set(options_.metrics.rules, static_cast<double>(entries_.size()));
}

void RuleGroupEvaluator::Eval(int64_t t_ms, const RuleContext& ctx, Appender& appender,
                              alerting::AlertSink* sink) {
  const auto group_start = std::chrono::steady_clock::now();
  int64_t samples = 0;
  for (Entry& e : entries_) {
    const auto start = std::chrono::steady_clock::now();
    Add(options_.metrics.evaluations, 1);
    Result<query::Vector> out =
        e.alerting ? e.alerting->Eval(t_ms, ctx, limit_) : e.recording->Eval(t_ms, ctx, limit_);
    std::string error;
    if (!out.ok()) {
      error = out.status().message();
      Add(options_.metrics.evaluation_failures, 1);
      LogWarn("rules", "evaluating rule failed",
              {{"group", name_}, {"rule", e.rule().name}, {"err", error}});
    } else {
      if (e.alerting && sink != nullptr) {
        std::vector<alerting::Alert> due =
            e.alerting->AlertsToSend(t_ms, options_.resend_delay_ms, interval_ms_, e.generator_url);
        if (!due.empty()) sink->Send(std::move(due));
      }
      scratch_.clear();
      int64_t out_of_order = 0, duplicates = 0;
      for (const query::VectorSample& s : *out) {
        Result<SeriesRef> ref = appender.Append(0, s.metric, s.t, s.v);
        if (ref.ok()) {
          scratch_.push_back(s.metric);
          continue;
        }
        std::string msg = ref.status().message();
        if (msg == kErrOutOfOrderSample) {
          ++out_of_order;
        } else if (msg == kErrDuplicateSampleForTimestamp) {
          ++duplicates;
        } else {
          LogWarn("rules", "appending rule result failed",
                  {{"group", name_}, {"rule", e.rule().name}, {"err", msg}});
        }
        error = std::move(msg);
      }
      if (out_of_order > 0 || duplicates > 0) {
        LogWarn("rules", "rule evaluation result discarded",
                {{"group", name_},
                 {"rule", e.rule().name},
                 {"out_of_order", std::to_string(out_of_order)},
                 {"duplicates", std::to_string(duplicates)}});
      }
      std::sort(scratch_.begin(), scratch_.end());
      for (const Labels& old : e.previous) {
        if (std::binary_search(scratch_.begin(), scratch_.end(), old)) continue;
        // A series that vanished: end it now rather than after the lookback delta.
        (void)appender.Append(0, old, t_ms, kStaleNaN);
      }
      samples += static_cast<int64_t>(scratch_.size());
      std::swap(e.previous, scratch_);
      if (Status s = appender.Commit(); !s.ok()) {
        error = s.message();
        LogWarn("rules", "committing rule results failed",
                {{"group", name_}, {"rule", e.rule().name}, {"err", error}});
      }
    }
    const double secs = Seconds(std::chrono::steady_clock::now() - start);
    std::lock_guard lock(mu_);
    e.health = error.empty() ? RuleHealth::kOk : RuleHealth::kErr;
    e.last_error = std::move(error);
    e.last_evaluation_ms = t_ms;
    e.evaluation_seconds = secs;
  }
  const double secs = Seconds(std::chrono::steady_clock::now() - group_start);
  {
    std::lock_guard lock(mu_);
    last_evaluation_ms_ = t_ms;
    evaluation_seconds_ = secs;
  }
  Add(options_.metrics.iterations, 1);
  Set(options_.metrics.last_duration_seconds, secs);
  Set(options_.metrics.last_evaluation_timestamp_seconds, static_cast<double>(t_ms) / 1000);
  Set(options_.metrics.last_evaluation_samples, static_cast<double>(samples));
}

void RuleGroupEvaluator::MarkStale(int64_t t_ms, Appender& appender) {
  for (Entry& e : entries_) {
    for (const Labels& l : e.previous) (void)appender.Append(0, l, t_ms, kStaleNaN);
    e.previous.clear();
  }
  if (Status s = appender.Commit(); !s.ok()) {
    LogWarn("rules", "writing staleness markers of a removed group failed",
            {{"group", name_}, {"err", s.message()}});
  }
}

void RuleGroupEvaluator::RestoreForState(int64_t t_ms, int64_t grace_period_ms,
                                         int64_t outage_tolerance_ms, Querier& querier) {
  const int64_t mint = t_ms - outage_tolerance_ms;
  auto lookup = [&](const Labels& alert_labels) {
    std::vector<LabelMatcher> matchers;
    matchers.push_back(
        LabelMatcher::MustMake(LabelMatcher::Type::kEqual, "__name__", "ALERTS_FOR_STATE"));
    for (const Label& l : alert_labels) {
      matchers.push_back(LabelMatcher::MustMake(LabelMatcher::Type::kEqual, std::string(l.name),
                                                std::string(l.value)));
    }
    std::vector<query::FPoint> points;
    std::unique_ptr<SeriesSet> set = querier.Select(matchers, mint, t_ms);
    while (set->Next()) {
      // The alert's labels plus __name__ identify exactly one series.
      if (set->At().labels().size() != alert_labels.size() + 1) continue;
      std::unique_ptr<SeriesIterator> it = set->At().Iterator();
      while (it->Next()) points.push_back({it->At().t, it->At().v});
    }
    return points;
  };
  for (Entry& e : entries_) {
    if (e.alerting) e.alerting->RestoreForState(t_ms, grace_period_ms, lookup);
  }
}

void RuleGroupEvaluator::SetRestored() {
  for (Entry& e : entries_) {
    if (e.alerting) e.alerting->SetRestored(true);
  }
}

void RuleGroupEvaluator::CopyStateFrom(RuleGroupEvaluator& old) {
  std::vector<bool> taken(old.entries_.size(), false);
  for (Entry& e : entries_) {
    for (size_t i = 0; i < old.entries_.size(); ++i) {
      Entry& o = old.entries_[i];
      if (taken[i] || o.rule().kind != e.rule().kind || o.rule().name != e.rule().name ||
          o.rule().labels != e.rule().labels) {
        continue;
      }
      taken[i] = true;
      if (e.alerting) e.alerting->CopyStateFrom(*o.alerting);
      e.previous = o.previous;
      std::scoped_lock lock(mu_, old.mu_);
      e.health = o.health;
      e.last_error = o.last_error;
      e.last_evaluation_ms = o.last_evaluation_ms;
      e.evaluation_seconds = o.evaluation_seconds;
      break;
    }
  }
  std::scoped_lock lock(mu_, old.mu_);
  last_evaluation_ms_ = old.last_evaluation_ms_;
  evaluation_seconds_ = old.evaluation_seconds_;
}

bool RuleGroupEvaluator::SameDefinition(const RuleGroupEvaluator& other) const {
  if (name_ != other.name_ || file_ != other.file_ || interval_ms_ != other.interval_ms_ ||
      limit_ != other.limit_ || entries_.size() != other.entries_.size()) {
    return false;
  }
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (!SameRule(entries_[i].rule(), other.entries_[i].rule())) return false;
  }
  return true;
}

GroupSnapshot RuleGroupEvaluator::Snapshot() const {
  GroupSnapshot g;
  g.name = name_;
  g.file = file_;
  g.interval_ms = interval_ms_;
  g.limit = limit_;
  g.rules.reserve(entries_.size());
  for (const Entry& e : entries_) {
    RuleSnapshot r;
    r.rule = e.rule();
    if (e.alerting) {
      r.alerts = e.alerting->Alerts();
      r.state = e.alerting->State();
    }
    g.rules.push_back(std::move(r));
  }
  std::lock_guard lock(mu_);
  g.last_evaluation_ms = last_evaluation_ms_;
  g.evaluation_seconds = evaluation_seconds_;
  for (size_t i = 0; i < entries_.size(); ++i) {
    g.rules[i].health = entries_[i].health;
    g.rules[i].last_error = entries_[i].last_error;
    g.rules[i].last_evaluation_ms = entries_[i].last_evaluation_ms;
    g.rules[i].evaluation_seconds = entries_[i].evaluation_seconds;
  }
  return g;
}

std::vector<RuleAlert> RuleGroupEvaluator::ActiveAlerts() const {
  std::vector<RuleAlert> out;
  for (const Entry& e : entries_) {
    if (!e.alerting) continue;
    std::vector<RuleAlert> a = e.alerting->Alerts();
    out.insert(out.end(), std::make_move_iterator(a.begin()), std::make_move_iterator(a.end()));
  }
  return out;
}

}  // namespace andon::rules
