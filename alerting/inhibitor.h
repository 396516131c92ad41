// alerting/inhibitor.h
//
// Inhibitor: the `inhibit_rules` of alertmanager.yml, evaluated as Alertmanager 0.25 does.
// An alert (its label set) is inhibited when, for some rule, it matches the rule's
// target_matchers and there is a firing alert that matches the source_matchers and has the
// same values for every label in `equal` (a label missing on both sides counts as equal).
// When the alert itself also matches the source matchers, source alerts that also match
// the target matchers are ignored, so an alert never inhibits itself or its peers.
//
// The inhibitor keeps, per rule, the alerts seen that match the rule's source matchers
// (Observe() is called with every alert the router receives, merged); Remove() forgets an
// alert when the store garbage-collects it. InhibitedBy() reports the inhibiting alert's
// Alertmanager fingerprint (AlertmanagerFingerprint, what Alertmanager's API shows); with
// several candidates the smallest one is reported (Alertmanager reports one).
//
// Thread-safe: Observe/Remove from the router, InhibitedBy from the API and the router.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "alerting/alert.h"
#include "common/config.h"
#include "common/labels.h"

namespace andon::alerting {

// Whether every matcher matches `labels` (a missing label has the value "").
bool MatchersMatch(const std::vector<config::Matcher>& matchers, const Labels& labels);

class Inhibitor {
 public:
  explicit Inhibitor(std::vector<config::InhibitRule> rules);

  // Records the current version of an alert (firing or resolved).
  void Observe(const Alert& alert);
  void Remove(const Labels& labels);

  // Alertmanager fingerprint of the alert inhibiting `labels` at now_ms, or none.
  std::optional<std::string> InhibitedBy(const Labels& labels, int64_t now_ms) const;
  bool Mutes(const Labels& labels, int64_t now_ms) const {
    return InhibitedBy(labels, now_ms).has_value();
  }

 private:
  struct Rule {
    config::InhibitRule config;
    std::map<Labels, Alert> sources;  // alerts matching source_matchers, by labels
  };
  mutable std::mutex mu_;
  std::vector<Rule> rules_;  // GUARDED_BY(mu_) (the sources)
};

}  // namespace andon::alerting
