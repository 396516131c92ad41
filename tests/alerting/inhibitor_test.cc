// tests/alerting/inhibitor_test.cc
#include "alerting/inhibitor.h"

#include <gtest/gtest.h>

#include "alerting/alert_json.h"
#include "tests/alerting/alerting_test_util.h"

namespace andon::alerting {
namespace {

using testing::kMin;
using testing::kT0;
using testing::MakeAlert;

std::vector<config::InhibitRule> Rules(const std::string& yaml) {
  return testing::RouterFromYaml("route: {receiver: r}\nreceivers: [{name: r}]\n" + yaml)
      .inhibit_rules;
}

TEST(InhibitorTest, CriticalInhibitsWarningWithEqualLabels) {
  Inhibitor inh(Rules(R"(
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [cluster]
)"));
  Alert crit = MakeAlert({{"alertname", "Down"}, {"severity", "critical"}, {"cluster", "a"}}, kT0,
                         kT0 + 10 * kMin);
  inh.Observe(crit);
  Labels warn_a{{"alertname", "Slow"}, {"severity", "warning"}, {"cluster", "a"}};
  Labels warn_b{{"alertname", "Slow"}, {"severity", "warning"}, {"cluster", "b"}};
  Labels info_a{{"alertname", "Slow"}, {"severity", "info"}, {"cluster", "a"}};
  ASSERT_TRUE(inh.InhibitedBy(warn_a, kT0).has_value());
  EXPECT_EQ(*inh.InhibitedBy(warn_a, kT0), AlertmanagerFingerprint(crit.labels));
  EXPECT_FALSE(inh.Mutes(warn_b, kT0));  // cluster differs
  EXPECT_FALSE(inh.Mutes(info_a, kT0));  // not a target
  // The source resolves: no more inhibition.
  EXPECT_FALSE(inh.Mutes(warn_a, kT0 + 10 * kMin));
  crit.ends_at_ms = kT0 + 1 * kMin;
  inh.Observe(crit);
  EXPECT_FALSE(inh.Mutes(warn_a, kT0 + 2 * kMin));
  inh.Remove(crit.labels);
  EXPECT_FALSE(inh.Mutes(warn_a, kT0));
}

TEST(InhibitorTest, LabelMissingOnBothSidesCountsAsEqual) {
  Inhibitor inh(Rules(R"(
inhibit_rules:
  - source_match: {alertname: NodeDown}
    target_match_re: {alertname: '.+'}
    equal: [node]
)"));
  inh.Observe(MakeAlert({{"alertname", "NodeDown"}}, kT0, kT0 + kMin));
  EXPECT_TRUE(inh.Mutes(Labels{{"alertname", "DiskFull"}}, kT0));
  EXPECT_FALSE(inh.Mutes(Labels{{"alertname", "DiskFull"}, {"node", "n1"}}, kT0));
}

TEST(InhibitorTest, AnAlertMatchingBothSidesIsNotInhibitedByItsPeers) {
  // Every "NodeDown" is both source and target: none inhibits another (nor itself).
  Inhibitor inh(Rules(R"(
inhibit_rules:
  - source_matchers: ['alertname="NodeDown"']
    target_matchers: ['alertname=~"Node.*"']
)"));
  Alert a = MakeAlert({{"alertname", "NodeDown"}, {"node", "1"}}, kT0, kT0 + kMin);
  Alert b = MakeAlert({{"alertname", "NodeDown"}, {"node", "2"}}, kT0, kT0 + kMin);
  inh.Observe(a);
  inh.Observe(b);
  EXPECT_FALSE(inh.Mutes(a.labels, kT0));
  EXPECT_FALSE(inh.Mutes(b.labels, kT0));
  EXPECT_TRUE(inh.Mutes(Labels{{"alertname", "NodeSlow"}}, kT0));
}

}  // namespace
}  // namespace andon::alerting
