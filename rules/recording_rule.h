// rules/recording_rule.h
//
// RecordingRule: evaluates a `record:` rule. Every sample of the result is renamed to the
// rule's name and gets the rule's labels (an empty value removes the label); two samples
// that end with the same labels fail the evaluation, as in Prometheus. Stateless, so
// thread-safe.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "query/value.h"
#include "rules/rule_context.h"
#include "rules/rule_file.h"

namespace andon::rules {

class RecordingRule {
 public:
  // `rule` must be a recording rule of a loaded (validated) file.
  explicit RecordingRule(Rule rule) : rule_(std::move(rule)) {}

  const Rule& rule() const { return rule_; }
  const std::string& name() const { return rule_.name; }

  // The samples to append at t_ms. `limit` > 0 fails an evaluation with more series
  // ("exceeded limit of 10 with 12 series").
  Result<query::Vector> Eval(int64_t t_ms, const RuleContext& ctx, int64_t limit) const;

 private:
  Rule rule_;
};

}  // namespace andon::rules
