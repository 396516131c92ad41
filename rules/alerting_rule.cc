#include "rules/alerting_rule.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/logger.h"
#include "tsdb/sample.h"

namespace andon::rules {
namespace {

constexpr std::string_view kAlertMetric = "ALERTS";
constexpr std::string_view kForStateMetric = "ALERTS_FOR_STATE";

Labels WithName(const Labels& alert_labels, std::string_view name, std::string_view state) {
  LabelsBuilder b(alert_labels);
  b.Set(kMetricNameLabel, name);
  if (!state.empty()) b.Set("alertstate", state);
  return b.Build();
}

}  // namespace

std::string_view AlertStateName(AlertState state) {
  switch (state) {
    case AlertState::kInactive:
      return "inactive";
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
  }
  return "inactive";
}

AlertingRule::AlertingRule(Rule rule) : rule_(std::move(rule)) {
  auto compile = [this](const std::map<std::string, std::string>& texts,
                        std::vector<CompiledTemplate>* out) {
    for (const auto& [name, text] : texts) {
      CompiledTemplate t{name, text, std::nullopt};
      if (text.find("{{") != std::string::npos) {
        // Loaded files were validated, so this parses; a failure is rendered at Expand.
        Result<templating::Template> parsed = templating::Template::ParseAlert(text, rule_.name);
        if (parsed.ok()) t.tmpl = std::move(*parsed);
      }
      out->push_back(std::move(t));
    }
  };
  compile(rule_.labels, &labels_);
  compile(rule_.annotations, &annotations_);
}

std::string AlertingRule::Expand(const CompiledTemplate& t,
                                 const templating::AlertTemplateData& data,
                                 const templating::TemplateEnv& env) const {
  if (t.text.find("{{") == std::string::npos) return t.text;
  Result<std::string> out = t.tmpl ? t.tmpl->ExecuteAlert(data, env)
                                   : templating::ExpandAlertTemplate(t.text, rule_.name, data, env);
  if (out.ok()) return std::move(*out);
  std::string message = out.status().message();
  if (t.tmpl) message = "error executing template __alert_" + rule_.name + ": " + message;
  LogWarn("rules", "expanding alert template failed",
          {{"alert", rule_.name}, {"name", t.name}, {"err", message}});
  return "<error expanding template: " + message + ">";
}

Result<query::Vector> AlertingRule::Eval(int64_t t_ms, const RuleContext& ctx, int64_t limit) {
  Result<query::Vector> result = ctx.query(*rule_.expr, t_ms);
  if (!result.ok()) return result.status();

  templating::AlertTemplateData data;
  data.external_labels = ctx.external_labels;
  data.external_url = ctx.external_url;
  templating::TemplateEnv env;
  env.external_url = ctx.external_url;
  env.query = [&ctx, t_ms](std::string_view expr) -> Result<templating::QueryResult> {
    Result<query::Vector> v = ctx.query_text(expr, t_ms);
    if (!v.ok()) return v.status();
    templating::QueryResult out;
    out.reserve(v->size());
    for (query::VectorSample& s : *v) out.push_back({std::move(s.metric), s.v});
    return out;
  };

  std::map<uint64_t, RuleAlert> current;
  LabelsBuilder builder;
  for (const query::VectorSample& sample : *result) {
    data.labels = sample.metric;
    data.value = sample.v;
    builder.Reset(sample.metric);
    builder.Del(kMetricNameLabel);
    for (const CompiledTemplate& t : labels_) builder.Set(t.name, Expand(t, data, env));
    builder.Set("alertname", rule_.name);
    Labels labels = builder.Build();

    LabelsBuilder annotations;
    for (const CompiledTemplate& t : annotations_) annotations.Set(t.name, Expand(t, data, env));

    const uint64_t h = labels.Hash();
    if (current.count(h) != 0) {
      return Status::InvalidArgument(
          "vector contains metrics with the same labelset after applying alert labels");
    }
    RuleAlert alert;
    alert.labels = std::move(labels);
    alert.annotations = annotations.Build();
    alert.value = sample.v;
    alert.active_at_ms = t_ms;
    current.emplace(h, std::move(alert));
  }

  std::lock_guard lock(mu_);
  for (auto& [h, alert] : current) {
    auto it = active_.find(h);
    if (it != active_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = alert.value;
      it->second.annotations = std::move(alert.annotations);
      continue;
    }
    active_[h] = std::move(alert);
  }

  query::Vector out;
  int64_t active_count = 0;
  for (auto it = active_.begin(); it != active_.end();) {
    RuleAlert& a = it->second;
    if (current.count(it->first) == 0) {
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && rule_.keep_firing_for_ms > 0) {
        if (a.keep_firing_since_ms == 0) a.keep_firing_since_ms = t_ms;
        keep_firing = t_ms - a.keep_firing_since_ms < rule_.keep_firing_for_ms;
      }
      if (a.state == AlertState::kPending ||
          (a.resolved_at_ms != 0 && t_ms - a.resolved_at_ms > kResolvedRetentionMs)) {
        it = active_.erase(it);
        continue;
      }
      if (!keep_firing) {
        if (a.state != AlertState::kInactive) {
          a.state = AlertState::kInactive;
          a.resolved_at_ms = t_ms;
        }
        ++it;
        continue;
      }
    } else {
      a.keep_firing_since_ms = 0;
    }
    ++active_count;
    if (a.state == AlertState::kPending && t_ms - a.active_at_ms >= rule_.for_ms) {
      a.state = AlertState::kFiring;
      a.fired_at_ms = t_ms;
    }
    if (restored_) {
      out.push_back({WithName(a.labels, kAlertMetric, AlertStateName(a.state)), t_ms, 1});
      out.push_back({WithName(a.labels, kForStateMetric, ""), t_ms,
                     static_cast<double>(a.active_at_ms / 1000)});
    }
    ++it;
  }
  if (limit > 0 && active_count > limit) {
    active_.clear();
    return Status::InvalidArgument("exceeded limit of " + std::to_string(limit) + " with " +
                                   std::to_string(active_count) + " alerts");
  }
  return out;
}

std::vector<alerting::Alert> AlertingRule::AlertsToSend(int64_t t_ms, int64_t resend_delay_ms,
                                                        int64_t interval_ms,
                                                        const std::string& generator_url) {
  std::vector<alerting::Alert> out;
  const int64_t valid_for = 4 * std::max(resend_delay_ms, interval_ms);
  std::lock_guard lock(mu_);
  for (auto& [h, a] : active_) {
    if (a.state == AlertState::kPending) continue;
    const bool due = a.resolved_at_ms > a.last_sent_at_ms ||
                     a.last_sent_at_ms + resend_delay_ms < t_ms || a.last_sent_at_ms == 0;
    if (!due) continue;
    a.last_sent_at_ms = t_ms;
    a.valid_until_ms = t_ms + valid_for;
    alerting::Alert sent;
    sent.labels = a.labels;
    sent.annotations = a.annotations;
    sent.starts_at_ms = a.fired_at_ms;
    sent.ends_at_ms = a.resolved_at_ms != 0 ? a.resolved_at_ms : a.valid_until_ms;
    sent.generator_url = generator_url;
    out.push_back(std::move(sent));
  }
  return out;
}

void AlertingRule::RestoreForState(int64_t t_ms, int64_t grace_period_ms,
                                   const ForStateLookup& series_for) {
  if (rule_.for_ms < grace_period_ms) {
    restored_ = true;
    return;
  }
  std::lock_guard lock(mu_);
  for (auto& [h, a] : active_) {
    std::vector<query::FPoint> points = series_for(a.labels);
    if (points.empty()) continue;
    const query::FPoint& last = points.back();
    if (IsStaleNaN(last.v) || !std::isfinite(last.v)) continue;  // it was not active
    const int64_t down_at = last.t / 1000 * 1000;
    int64_t active_at = static_cast<int64_t>(last.v) * 1000;
    const int64_t remaining = rule_.for_ms - (down_at - active_at);
    if (remaining <= 0) {
      // It was firing before the outage: keep activeAt.
    } else if (remaining < grace_period_ms) {
      active_at = t_ms + grace_period_ms - rule_.for_ms;
    } else {
      active_at += t_ms - down_at;
    }
    a.active_at_ms = active_at;
  }
  restored_ = true;
}

void AlertingRule::CopyStateFrom(AlertingRule& old) {
  if (&old == this) return;
  std::scoped_lock lock(mu_, old.mu_);
  active_ = old.active_;
}

std::vector<RuleAlert> AlertingRule::Alerts(bool include_inactive) const {
  std::vector<RuleAlert> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [h, a] : active_) {
      if (include_inactive || a.state != AlertState::kInactive) out.push_back(a);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const RuleAlert& a, const RuleAlert& b) { return a.labels < b.labels; });
  return out;
}

AlertState AlertingRule::State() const {
  std::lock_guard lock(mu_);
  AlertState s = AlertState::kInactive;
  for (const auto& [h, a] : active_) s = std::max(s, a.state);
  return s;
}

}  // namespace andon::rules
