#include "rules/rule_policy.h"

#include <algorithm>
#include <cctype>
#include <tuple>
#include <utility>

#include "common/duration.h"
#include "common/labels.h"
#include "query/functions.h"

namespace andon::rules {

const std::vector<std::string> kPolicyChecks = {
    "alert-name-case",     "required-label", "severity-value",
    "required-annotation", "for-too-short",  "rate-range-too-short",
};

namespace {

std::string Quoted(std::string_view s) { return QuoteLabelValue(s); }

size_t CheckOrder(const std::string& check) {
  return static_cast<size_t>(std::find(kPolicyChecks.begin(), kPolicyChecks.end(), check) -
                             kPolicyChecks.begin());
}

bool IsCamelCase(const std::string& name) {
  if (name.empty() || !std::isupper(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

std::string JoinComma(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// Collects the findings of one rule.
class RuleChecker {
 public:
  RuleChecker(const RuleFile& file, const RuleGroup& group, size_t index,
              const PolicyOptions& options, std::vector<Finding>* out)
      : file_(file),
        group_(group),
        rule_(group.rules[index]),
        index_(index),
        options_(options),
        lint_(options.lint),
        interval_ms_(group.interval_ms.value_or(options.evaluation_interval_ms)),
        out_(out) {}

  void Run() {
    if (rule_.alerting()) {
      CheckName();
      CheckLabels();
      CheckAnnotations();
      CheckFor();
      CheckTeam();
    }
    if (lint_.min_rate_range_intervals > 0 && !lint_.rate_functions.empty() && rule_.expr) {
      Walk(*rule_.expr);
    }
  }

 private:
  void Add(FilePos pos, const char* check, std::string message) {
    Finding f;
    f.file = file_.filename;
    f.pos = pos.line > 0 ? pos : rule_.pos;
    f.group = group_.name;
    f.rule_index = index_ + 1;
    f.rule = rule_.name;
    f.check = check;
    f.message = std::move(message);
    out_->push_back(std::move(f));
  }

  static FilePos Or(FilePos a, FilePos b) { return a.line > 0 ? a : b; }

  void CheckName() {
    if (!lint_.camel_case_alert_names || IsCamelCase(rule_.name)) return;
    Add(rule_.name_pos, "alert-name-case",
        "alert name " + Quoted(rule_.name) + " is not CamelCase (e.g. " +
            Quoted(ToCamelCase(rule_.name)) + ")");
  }

  void CheckLabels() {
    for (const std::string& name : lint_.required_labels) {
      auto it = rule_.labels.find(name);
      if (it == rule_.labels.end()) {
        Add(Or(rule_.labels_pos, rule_.name_pos), "required-label",
            "alerting rule has no label " + Quoted(name));
      } else if (it->second.empty()) {
        Add(rule_.label_pos.count(name) ? rule_.label_pos.at(name) : rule_.labels_pos,
            "required-label", "label " + Quoted(name) + " is empty");
      }
    }
    if (lint_.allowed_severities.empty()) return;
    auto it = rule_.labels.find(lint_.severity_label);
    if (it == rule_.labels.end() || it->second.empty()) return;  // required-label's business
    const auto& allowed = lint_.allowed_severities;
    if (std::find(allowed.begin(), allowed.end(), it->second) != allowed.end()) return;
    Add(rule_.label_pos.count(it->first) ? rule_.label_pos.at(it->first) : rule_.labels_pos,
        "severity-value",
        "label " + Quoted(it->first) + " is " + Quoted(it->second) +
            ", not one of the allowed values: " + JoinComma(allowed));
  }

  void CheckAnnotations() {
    for (const std::string& name : lint_.required_annotations) {
      auto it = rule_.annotations.find(name);
      if (it == rule_.annotations.end()) {
        Add(Or(rule_.annotations_pos, rule_.name_pos), "required-annotation",
            "alerting rule has no annotation " + Quoted(name));
      } else if (it->second.empty()) {
        Add(rule_.annotation_pos.count(name) ? rule_.annotation_pos.at(name)
                                             : rule_.annotations_pos,
            "required-annotation", "annotation " + Quoted(name) + " is empty");
      }
    }
  }

  void CheckFor() {
    if (!lint_.for_at_least_interval || rule_.for_ms == 0 || rule_.for_ms >= interval_ms_) {
      return;
    }
    Add(rule_.for_pos, "for-too-short",
        "for " + FormatDurationMs(rule_.for_ms) + " is shorter than the evaluation interval " +
            FormatDurationMs(interval_ms_) +
            " (the alert can only fire at an evaluation, so it waits the whole interval)");
  }

  void CheckTeam() {
    const auto& teams = options_.known_teams;
    auto it = rule_.labels.find("team");
    if (teams.empty() || it == rule_.labels.end() || it->second.empty() ||
        it->second.find("{{") != std::string::npos ||
        std::find(teams.begin(), teams.end(), it->second) != teams.end()) {
      return;
    }
    Add(rule_.label_pos.count("team") ? rule_.label_pos.at("team") : rule_.labels_pos,
        "unknown-team",
        "label \"team\" is " + Quoted(it->second) +
            ", which names no team of the config (its alerts would go to the default receiver); "
            "teams: " +
            JoinComma(teams));
  }

  bool IsRateFunction(const query::Call& call) const {
    const auto& fns = lint_.rate_functions;
    return call.func != nullptr &&
           std::find(fns.begin(), fns.end(), std::string(call.func->name)) != fns.end();
  }

  static const query::Expr& Unparen(const query::Expr& e) {
    const query::Expr* p = &e;
    while (p->kind == query::NodeKind::kParen) p = p->As<query::ParenExpr>().expr.get();
    return *p;
  }

  // The scrape interval the samples of `sel` come at, and a phrase naming where it is from.
  std::pair<int64_t, std::string> ScrapeInterval(const query::VectorSelector& sel) const {
    for (const query::LabelMatcher& m : sel.matchers) {
      if (m.name() != "job" || m.op() != query::MatchOp::kEqual) continue;
      auto it = options_.job_scrape_interval_ms.find(m.value());
      if (it != options_.job_scrape_interval_ms.end()) {
        return {it->second, "the scrape interval " + FormatDurationMs(it->second) + " of job " +
                                Quoted(m.value())};
      }
    }
    return {options_.scrape_interval_ms,
            "the scrape interval " + FormatDurationMs(options_.scrape_interval_ms)};
  }

  void CheckRange(const query::Call& call, const query::Expr& arg) {
    const query::Expr& e = Unparen(arg);
    const int64_t n = static_cast<int64_t>(lint_.min_rate_range_intervals);
    const std::string fn = std::string(call.func->name) + "()";
    if (e.kind == query::NodeKind::kMatrixSelector) {
      const auto& ms = e.As<query::MatrixSelector>();
      auto [interval, from] = ScrapeInterval(*ms.selector);
      if (ms.range_ms >= n * interval) return;
      Add(rule_.ExprPos(e.pos.start), "rate-range-too-short",
          "range [" + FormatDurationMs(ms.range_ms) + "] of " + ms.selector->String() + " under " +
              fn + " is shorter than " + std::to_string(n) + " x " + from + " (use at least [" +
              FormatDurationMs(n * interval) + "])");
    } else if (e.kind == query::NodeKind::kSubquery) {
      const auto& sq = e.As<query::SubqueryExpr>();
      const int64_t step = sq.step_ms > 0 ? sq.step_ms : interval_ms_;
      if (sq.range_ms >= n * step) return;
      Add(rule_.ExprPos(e.pos.start), "rate-range-too-short",
          "subquery range [" + FormatDurationMs(sq.range_ms) + "] under " + fn +
              " is shorter than " + std::to_string(n) + " x its step " + FormatDurationMs(step) +
              " (use at least [" + FormatDurationMs(n * step) + "])");
    }
  }

  void Walk(const query::Expr& e) {
    using query::NodeKind;
    switch (e.kind) {
      case NodeKind::kCall: {
        const auto& call = e.As<query::Call>();
        if (IsRateFunction(call)) {
          for (const query::ExprPtr& a : call.args) {
            if (a->Type() == query::ValueType::kMatrix) CheckRange(call, *a);
          }
        }
        for (const query::ExprPtr& a : call.args) Walk(*a);
        break;
      }
      case NodeKind::kSubquery:
        Walk(*e.As<query::SubqueryExpr>().expr);
        break;
      case NodeKind::kAggregate: {
        const auto& agg = e.As<query::AggregateExpr>();
        if (agg.param) Walk(*agg.param);
        Walk(*agg.expr);
        break;
      }
      case NodeKind::kBinary:
        Walk(*e.As<query::BinaryExpr>().lhs);
        Walk(*e.As<query::BinaryExpr>().rhs);
        break;
      case NodeKind::kUnary:
        Walk(*e.As<query::UnaryExpr>().expr);
        break;
      case NodeKind::kParen:
        Walk(*e.As<query::ParenExpr>().expr);
        break;
      default:
        break;
    }
  }

  const RuleFile& file_;
  const RuleGroup& group_;
  const Rule& rule_;
  const size_t index_;
  const PolicyOptions& options_;
  const config::LintConfig& lint_;
  const int64_t interval_ms_;
  std::vector<Finding>* out_;
};

}  // namespace

PolicyOptions PolicyFromConfig(const config::Config& config) {
  PolicyOptions o;
  o.lint = config.lint.value_or(config::LintConfig{});
  o.evaluation_interval_ms = config.global.evaluation_interval_ms;
  o.scrape_interval_ms = config.global.scrape_interval_ms;
  for (const config::ScrapeConfig& sc : config.scrape_configs) {
    o.job_scrape_interval_ms[sc.job_name] = sc.scrape_interval_ms;
  }
  for (const config::TeamConfig& t : config.teams) o.known_teams.push_back(t.name);
  return o;
}

Status ValidatePolicy(const PolicyOptions& options) {
  for (const std::string& name : options.lint.rate_functions) {
    const query::FunctionInfo* f = query::FindFunction(name);
    if (f == nullptr || std::find(f->arg_types.begin(), f->arg_types.end(),
                                  query::ValueType::kMatrix) == f->arg_types.end()) {
      return Status::InvalidArgument("lint rate_functions: " + Quoted(name) +
                                     " is not a PromQL function over a range vector");
    }
  }
  if (options.evaluation_interval_ms <= 0) {
    return Status::InvalidArgument("lint: the evaluation interval must be positive");
  }
  if (options.scrape_interval_ms <= 0) {
    return Status::InvalidArgument("lint: the scrape interval must be positive");
  }
  return Status::Ok();
}

std::vector<Finding> CheckPolicy(const RuleFile& file, const PolicyOptions& options) {
  std::vector<Finding> out;
  for (const RuleGroup& g : file.groups) {
    for (size_t i = 0; i < g.rules.size(); ++i) RuleChecker(file, g, i, options, &out).Run();
  }
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return std::make_tuple(a.pos.line, a.pos.column, CheckOrder(a.check)) <
           std::make_tuple(b.pos.line, b.pos.column, CheckOrder(b.check));
  });
  return out;
}

std::string ToCamelCase(const std::string& name) {
  std::string out;
  bool upper_next = true;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      upper_next = true;
      continue;
    }
    if (upper_next) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      upper_next = false;
    }
    out += c;
  }
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "Alert" + out;
  return out;
}

}  // namespace andon::rules
