// alerting/route_tree.cc
#include "alerting/route_tree.h"

#include <algorithm>
#include <functional>

namespace andon::alerting {
namespace {

// Alertmanager's labels.Matchers order: name, then value, then type.
bool MatcherLess(const config::Matcher& a, const config::Matcher& b) {
  if (a.name != b.name) return a.name < b.name;
  if (a.value != b.value) return a.value < b.value;
  return static_cast<int>(a.op) < static_cast<int>(b.op);
}

std::string MatchersString(const std::vector<config::Matcher>& matchers) {
  std::string out = "{";
  for (size_t i = 0; i < matchers.size(); ++i) {
    if (i > 0) out += ',';
    out += matchers[i].ToString();
  }
  out += '}';
  return out;
}

Status CheckInterval(const std::optional<int64_t>& v, const char* what, const std::string& key) {
  if (v && *v <= 0) {
    return Status::InvalidArgument("route " + key + ": " + what + " must be positive");
  }
  return Status::Ok();
}

}  // namespace

bool RouteNode::MatchesSelf(const Labels& labels) const {
  for (const config::Matcher& m : matchers_) {
    if (!m.Matches(labels.Get(m.name))) return false;
  }
  return true;
}

Labels RouteNode::GroupLabels(const Labels& labels) const {
  if (options_.group_by_all) return labels;
  LabelsBuilder b;
  for (const std::string& name : options_.group_by) {
    std::string_view v = labels.Get(name);
    if (!v.empty()) b.Set(name, v);
  }
  return b.Build();
}

std::string RouteNode::GroupKey(const Labels& group_labels) const {
  return key_ + ":" + AlertmanagerLabelSetString(group_labels);
}

std::string AlertmanagerLabelSetString(const Labels& labels) {
  std::string out = "{";
  bool first = true;
  for (const Label& l : labels) {
    if (!first) out += ", ";
    first = false;
    out.append(l.name);
    out += '=';
    out += QuoteLabelValue(l.value);
  }
  out += '}';
  return out;
}

// Builds top-down so that each child starts from its parent's effective options.
class RouteTreeBuilder {
 public:
  static Result<std::unique_ptr<RouteNode>> Build(const config::Route& cfg, const RouteNode* parent,
                                                  size_t index) {
    auto node = std::make_unique<RouteNode>();
    node->parent_ = parent;
    node->continue_ = cfg.continue_matching;
    node->matchers_ = cfg.matchers;
    std::stable_sort(node->matchers_.begin(), node->matchers_.end(), MatcherLess);
    node->key_ = (parent ? parent->key() + "/" : std::string()) + MatchersString(node->matchers_);
    node->id_ = parent ? node->key_ + "/" + std::to_string(index) : node->key_;

    RouteOptions o = parent ? parent->options() : RouteOptions{};
    if (!cfg.receiver.empty()) o.receiver = cfg.receiver;
    if (cfg.group_by) {
      o.group_by.clear();
      o.group_by_all = false;
      for (const std::string& l : *cfg.group_by) {
        if (l == "...") {
          if (cfg.group_by->size() != 1) {
            return Status::InvalidArgument("route " + node->key_ +
                                           ": cannot have wildcard group_by (`...`) and other "
                                           "labels at the same time");
          }
          o.group_by_all = true;
          continue;
        }
        if (!IsValidLabelName(l)) {
          return Status::InvalidArgument("route " + node->key_ + ": invalid label name \"" + l +
                                         "\" in group_by list");
        }
        o.group_by.push_back(l);
      }
      std::sort(o.group_by.begin(), o.group_by.end());
      o.group_by.erase(std::unique(o.group_by.begin(), o.group_by.end()), o.group_by.end());
    }
    for (auto [v, what] : {std::pair{&cfg.group_wait_ms, "group_wait"},
                           std::pair{&cfg.group_interval_ms, "group_interval"},
                           std::pair{&cfg.repeat_interval_ms, "repeat_interval"}}) {
      Status s = CheckInterval(*v, what, node->key_);
      if (!s.ok()) return s;
    }
    if (cfg.group_wait_ms) o.group_wait_ms = *cfg.group_wait_ms;
    if (cfg.group_interval_ms) o.group_interval_ms = *cfg.group_interval_ms;
    if (cfg.repeat_interval_ms) o.repeat_interval_ms = *cfg.repeat_interval_ms;
    o.mute_time_intervals = cfg.mute_time_intervals;
    o.active_time_intervals = cfg.active_time_intervals;
    if (o.receiver.empty()) {
      return Status::InvalidArgument("route " + node->key_ + ": no receiver");
    }
    node->options_ = std::move(o);

    for (size_t i = 0; i < cfg.routes.size(); ++i) {
      auto child = Build(cfg.routes[i], node.get(), i);
      if (!child.ok()) return child.status();
      node->children_.push_back(std::move(child).value());
    }
    return node;
  }
};

Result<RouteTree> RouteTree::Build(const config::Route& root) {
  auto node = RouteTreeBuilder::Build(root, nullptr, 0);
  if (!node.ok()) return node.status();
  RouteTree tree;
  tree.root_ = std::move(node).value();
  return tree;
}

namespace {

void MatchInto(const RouteNode& node, const Labels& labels, std::vector<const RouteNode*>* out) {
  size_t before = out->size();
  for (const auto& child : node.children()) {
    if (!child->MatchesSelf(labels)) continue;
    MatchInto(*child, labels, out);
    if (!child->continue_matching()) break;
  }
  if (out->size() == before) out->push_back(&node);
}

}  // namespace

std::vector<const RouteNode*> RouteTree::Match(const Labels& labels) const {
  std::vector<const RouteNode*> out;
  if (root_->MatchesSelf(labels)) MatchInto(*root_, labels, &out);
  return out;
}

std::vector<const RouteNode*> RouteTree::AllNodes() const {
  std::vector<const RouteNode*> out;
  std::function<void(const RouteNode&)> walk = [&](const RouteNode& n) {
    out.push_back(&n);
    for (const auto& c : n.children()) walk(*c);
  };
  walk(*root_);
  return out;
}

}  // namespace andon::alerting
