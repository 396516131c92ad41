// alerting/route_tree.h
//
// RouteTree: the routing tree of alertmanager.yml (`route`), compiled from config::Route
// as Alertmanager 0.25 builds it. Each node carries its effective options: `receiver`,
// `group_by` (or "..." = all labels), `group_wait`, `group_interval` and `repeat_interval`
// are inherited from the parent when a child does not set them; `mute_time_intervals` and
// `active_time_intervals` are the node's own (not inherited, as in Alertmanager).
//
// Match(labels) walks the tree like Alertmanager: a node matches when all its matchers
// match (a missing label has the value ""); its children are tried in order, stopping
// after the first matching child unless that child has `continue: true`; a matching node
// none of whose children matched is itself a result. The results are the matching nodes in
// tree order (empty only when the root's own matchers fail).
//
// Route keys are Alertmanager's: the root is "{}", a child appends "/" and its matchers
// sorted as Alertmanager sorts them, e.g. `{}/{team="payments"}`; ids append the child's
// position among its siblings (`{}/{team="payments"}/0`). A group key is
// "<route key>:<group labels>", e.g. `{}/{team="x"}:{alertname="A", team="x"}`.
//
// Immutable once built; safe to share between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/labels.h"
#include "common/status.h"

namespace andon::alerting {

// Alertmanager's defaults for a root route that does not set them.
inline constexpr int64_t kDefaultGroupWaitMs = 30 * 1000;
inline constexpr int64_t kDefaultGroupIntervalMs = 5 * 60 * 1000;
inline constexpr int64_t kDefaultRepeatIntervalMs = 4 * 3600 * 1000;

// The effective options of one route after inheritance.
struct RouteOptions {
  std::string receiver;
  std::vector<std::string> group_by;  // sorted, unique; empty when group_by_all
  bool group_by_all = false;
  int64_t group_wait_ms = kDefaultGroupWaitMs;
  int64_t group_interval_ms = kDefaultGroupIntervalMs;
  int64_t repeat_interval_ms = kDefaultRepeatIntervalMs;
  std::vector<std::string> mute_time_intervals;
  std::vector<std::string> active_time_intervals;
};

class RouteTreeBuilder;

class RouteNode {
 public:
  const RouteOptions& options() const { return options_; }
  const std::vector<config::Matcher>& matchers() const { return matchers_; }
  bool continue_matching() const { return continue_; }
  const RouteNode* parent() const { return parent_; }
  const std::vector<std::unique_ptr<RouteNode>>& children() const { return children_; }
  // `{}/{team="x"}`: the part of group keys naming the route.
  const std::string& key() const { return key_; }
  // key() plus "/<index among siblings>" for non-root routes.
  const std::string& id() const { return id_; }

  // Whether this node's own matchers all match labels.
  bool MatchesSelf(const Labels& labels) const;
  // The labels of `labels` named in group_by (all of them for "..."): the group labels.
  Labels GroupLabels(const Labels& labels) const;
  // "<key>:<group labels as Alertmanager prints a label set>".
  std::string GroupKey(const Labels& group_labels) const;

 private:
  friend class RouteTreeBuilder;
  RouteOptions options_;
  std::vector<config::Matcher> matchers_;
  bool continue_ = false;
  const RouteNode* parent_ = nullptr;
  std::vector<std::unique_ptr<RouteNode>> children_;
  std::string key_;
  std::string id_;
};

class RouteTree {
 public:
  // Compiles the tree. Fails (with the route's key in the message) on an invalid label name
  // in group_by, "..." mixed with other labels, or a non-positive interval.
  static Result<RouteTree> Build(const config::Route& root);

  const RouteNode& root() const { return *root_; }
  // The matching nodes in tree order (see the header comment).
  std::vector<const RouteNode*> Match(const Labels& labels) const;
  // Every node, depth first, root first.
  std::vector<const RouteNode*> AllNodes() const;

 private:
  std::unique_ptr<RouteNode> root_;
};

// Prints a label set as Alertmanager (Go's model.LabelSet.String) does:
// {alertname="A", team="x"}, values quoted Go-style.
std::string AlertmanagerLabelSetString(const Labels& labels);

}  // namespace andon::alerting
