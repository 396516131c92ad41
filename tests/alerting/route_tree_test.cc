// tests/alerting/route_tree_test.cc
#include "alerting/route_tree.h"

#include <gtest/gtest.h>

#include "tests/alerting/alerting_test_util.h"

namespace andon::alerting {
namespace {

using testing::kMin;
using testing::kSec;
using testing::RouterFromYaml;

constexpr const char* kTree = R"(
route:
  receiver: default
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 2h
  routes:
    - matchers: ['team="payments"']
      receiver: payments
      group_by: [alertname, cluster]
      routes:
        - matchers: ['severity=~"critical|page"']
          receiver: payments-pager
          group_wait: 1s
          continue: true
        - matchers: ['severity!="info"', 'env!~"dev|test"']
          receiver: payments-tickets
    - match: {team: search}
      receiver: search
      continue: true
      group_by: ['...']
    - matchers: ['service="api"']
      receiver: api
      repeat_interval: 10m
receivers:
  - name: default
  - name: payments
  - name: payments-pager
  - name: payments-tickets
  - name: search
  - name: api
)";

std::vector<std::string> Receivers(const std::vector<const RouteNode*>& nodes) {
  std::vector<std::string> out;
  for (const RouteNode* n : nodes) out.push_back(n->options().receiver);
  return out;
}

class RouteTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = RouteTree::Build(RouterFromYaml(kTree).route);
    ASSERT_TRUE(t.ok()) << t.status().message();
    tree_ = std::make_unique<RouteTree>(std::move(t).value());
  }
  std::unique_ptr<RouteTree> tree_;
};

TEST_F(RouteTreeTest, AlertWithoutTeamGoesToTheRootReceiver) {
  auto m = tree_->Match(Labels{{"alertname", "Down"}});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], &tree_->root());
  EXPECT_EQ(m[0]->key(), "{}");
  EXPECT_EQ(m[0]->options().receiver, "default");
}

TEST_F(RouteTreeTest, FirstMatchingChildWinsAndContinueAddsTheNextOnes) {
  // critical matches the pager route (continue) and then the tickets route.
  auto m = tree_->Match(Labels{{"alertname", "A"}, {"team", "payments"}, {"severity", "critical"}});
  EXPECT_EQ(Receivers(m), (std::vector<std::string>{"payments-pager", "payments-tickets"}));
  // info matches neither child: the payments node itself.
  m = tree_->Match(Labels{{"alertname", "A"}, {"team", "payments"}, {"severity", "info"}});
  EXPECT_EQ(Receivers(m), (std::vector<std::string>{"payments"}));
  // warning in dev: != passes, !~ fails -> the payments node.
  m = tree_->Match(
      Labels{{"alertname", "A"}, {"team", "payments"}, {"severity", "warning"}, {"env", "dev"}});
  EXPECT_EQ(Receivers(m), (std::vector<std::string>{"payments"}));
  // A missing severity has the value "": != "info" matches.
  m = tree_->Match(Labels{{"alertname", "A"}, {"team", "payments"}});
  EXPECT_EQ(Receivers(m), (std::vector<std::string>{"payments-tickets"}));
}

TEST_F(RouteTreeTest, ContinueOnATopLevelRouteAlsoMatchesLaterSiblings) {
  auto m = tree_->Match(Labels{{"alertname", "A"}, {"team", "search"}, {"service", "api"}});
  EXPECT_EQ(Receivers(m), (std::vector<std::string>{"search", "api"}));
  // Without continue on payments, api is not reached.
  m = tree_->Match(Labels{{"alertname", "A"}, {"team", "payments"}, {"service", "api"}});
  EXPECT_EQ(Receivers(m), (std::vector<std::string>{"payments-tickets"}));
}

TEST_F(RouteTreeTest, ChildrenInheritUnsetOptions) {
  auto m = tree_->Match(Labels{{"alertname", "A"}, {"team", "payments"}, {"severity", "page"}});
  ASSERT_EQ(m.size(), 2u);
  const RouteOptions& pager = m[0]->options();
  EXPECT_EQ(pager.group_by, (std::vector<std::string>{"alertname", "cluster"}));  // from parent
  EXPECT_EQ(pager.group_wait_ms, 1 * kSec);                                       // own
  EXPECT_EQ(pager.group_interval_ms, 1 * kMin);                                   // root's
  EXPECT_EQ(pager.repeat_interval_ms, 2 * 60 * kMin);
  m = tree_->Match(Labels{{"alertname", "A"}, {"service", "api"}});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]->options().repeat_interval_ms, 10 * kMin);
  EXPECT_EQ(m[0]->options().group_wait_ms, 10 * kSec);
  EXPECT_EQ(m[0]->options().group_by, (std::vector<std::string>{"alertname"}));
}

TEST_F(RouteTreeTest, KeysAndIdsAreAlertmanagers) {
  auto m = tree_->Match(Labels{{"alertname", "A"}, {"team", "payments"}, {"severity", "warning"}});
  ASSERT_EQ(m.size(), 1u);
  // Matchers sorted by name: env before severity.
  EXPECT_EQ(m[0]->key(), R"({}/{team="payments"}/{env!~"dev|test",severity!="info"})");
  EXPECT_EQ(m[0]->id(), R"({}/{team="payments"}/{env!~"dev|test",severity!="info"}/1)");
  m = tree_->Match(Labels{{"alertname", "A"}, {"team", "search"}});
  EXPECT_EQ(m[0]->key(), R"({}/{team="search"})");  // legacy match: converted to =
  EXPECT_EQ(m[0]->id(), R"({}/{team="search"}/1)");
}

TEST_F(RouteTreeTest, GroupLabelsAndGroupKey) {
  Labels alert{{"alertname", "A"}, {"team", "payments"}, {"instance", "x:1"}};
  auto m = tree_->Match(alert);
  ASSERT_EQ(m.size(), 1u);
  Labels g = m[0]->GroupLabels(alert);  // group_by alertname, cluster (cluster missing)
  EXPECT_EQ(g, (Labels{{"alertname", "A"}}));
  EXPECT_EQ(m[0]->GroupKey(g),
            R"({}/{team="payments"}/{env!~"dev|test",severity!="info"}:{alertname="A"})");

  Labels s{{"alertname", "B"}, {"team", "search"}, {"pod", "p\"1"}};
  auto ms = tree_->Match(s);
  ASSERT_FALSE(ms.empty());
  EXPECT_TRUE(ms[0]->options().group_by_all);
  EXPECT_EQ(ms[0]->GroupLabels(s), s);
  EXPECT_EQ(ms[0]->GroupKey(ms[0]->GroupLabels(s)),
            R"({}/{team="search"}:{alertname="B", pod="p\"1", team="search"})");
}

TEST(RouteTreeBuildTest, RootWithoutIntervalsUsesAlertmanagerDefaults) {
  config::Route root;
  root.receiver = "r";
  auto t = RouteTree::Build(root);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->root().options().group_wait_ms, 30 * kSec);
  EXPECT_EQ(t->root().options().group_interval_ms, 5 * kMin);
  EXPECT_EQ(t->root().options().repeat_interval_ms, 4 * 60 * kMin);
  EXPECT_TRUE(t->root().options().group_by.empty());
  EXPECT_FALSE(t->root().options().group_by_all);
}

TEST(RouteTreeBuildTest, RejectsBadGroupByAndIntervals) {
  config::Route root;
  root.receiver = "r";
  root.group_by = std::vector<std::string>{"...", "team"};
  auto t = RouteTree::Build(root);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("wildcard group_by"), std::string::npos);
  root.group_by = std::vector<std::string>{"bad-name"};
  t = RouteTree::Build(root);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("invalid label name \"bad-name\""), std::string::npos);
  root.group_by.reset();
  config::Route child;
  child.group_interval_ms = 0;
  root.routes.push_back(child);
  t = RouteTree::Build(root);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "route {}/{}: group_interval must be positive");
}

TEST(RouteTreeBuildTest, RootMatchersThatFailMatchNothing) {
  config::Route root;
  root.receiver = "r";
  auto ms = config::ParseMatchers("env=\"prod\"");
  ASSERT_TRUE(ms.ok());
  root.matchers = *ms;
  auto t = RouteTree::Build(root);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->Match(Labels{{"env", "dev"}}).empty());
  EXPECT_EQ(t->Match(Labels{{"env", "prod"}}).size(), 1u);
  EXPECT_EQ(t->AllNodes().size(), 1u);
}

}  // namespace
}  // namespace andon::alerting
