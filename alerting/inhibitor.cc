// alerting/inhibitor.cc
#include "alerting/inhibitor.h"

#include "alerting/alert_json.h"

namespace andon::alerting {

bool MatchersMatch(const std::vector<config::Matcher>& matchers, const Labels& labels) {
  for (const config::Matcher& m : matchers) {
    if (!m.Matches(labels.Get(m.name))) return false;
  }
  return true;
}

Inhibitor::Inhibitor(std::vector<config::InhibitRule> rules) {
  for (config::InhibitRule& r : rules) rules_.push_back(Rule{std::move(r), {}});
}

void Inhibitor::Observe(const Alert& alert) {
  std::lock_guard lock(mu_);
  for (Rule& r : rules_) {
    if (MatchersMatch(r.config.source_matchers, alert.labels)) r.sources[alert.labels] = alert;
  }
}

void Inhibitor::Remove(const Labels& labels) {
  std::lock_guard lock(mu_);
  for (Rule& r : rules_) r.sources.erase(labels);
}

std::optional<std::string> Inhibitor::InhibitedBy(const Labels& labels, int64_t now_ms) const {
  std::lock_guard lock(mu_);
  std::optional<std::string> best;
  for (const Rule& r : rules_) {
    if (!MatchersMatch(r.config.target_matchers, labels)) continue;
    const bool two_sided = MatchersMatch(r.config.source_matchers, labels);
    for (const auto& [source_labels, source] : r.sources) {
      if (source.ResolvedAt(now_ms)) continue;
      if (two_sided && MatchersMatch(r.config.target_matchers, source_labels)) continue;
      bool equal = true;
      for (const std::string& name : r.config.equal) {
        if (source_labels.Get(name) != labels.Get(name)) {
          equal = false;
          break;
        }
      }
      if (!equal) continue;
      std::string fp = AlertmanagerFingerprint(source_labels);
      if (!best || fp < *best) best = std::move(fp);
    }
  }
  return best;
}

}  // namespace andon::alerting
