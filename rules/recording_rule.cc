#include "rules/recording_rule.h"

#include <algorithm>
#include <string>
#include <utility>

namespace andon::rules {

Result<query::Vector> RecordingRule::Eval(int64_t t_ms, const RuleContext& ctx,
                                          int64_t limit) const {
  Result<query::Vector> result = ctx.query(*rule_.expr, t_ms);
  if (!result.ok()) return result.status();
  query::Vector& v = *result;
  LabelsBuilder builder;
  for (query::VectorSample& s : v) {
    builder.Reset(s.metric);
    builder.Set(kMetricNameLabel, rule_.name);
    for (const auto& [name, value] : rule_.labels) builder.Set(name, value);
    s.metric = builder.Build();
    s.t = t_ms;
  }
  if (v.size() > 1) {
    std::vector<const Labels*> sorted;
    sorted.reserve(v.size());
    for (const query::VectorSample& s : v) sorted.push_back(&s.metric);
    std::sort(sorted.begin(), sorted.end(),
              [](const Labels* a, const Labels* b) { return *a < *b; });
    for (size_t i = 1; i < sorted.size(); ++i) {
      if (*sorted[i] == *sorted[i - 1]) {
        return Status::InvalidArgument(
            "vector contains metrics with the same labelset after applying rule labels");
      }
    }
  }
  if (limit > 0 && static_cast<int64_t>(v.size()) > limit) {
    return Status::InvalidArgument("exceeded limit of " + std::to_string(limit) + " with " +
                                   std::to_string(v.size()) + " series");
  }
  return result;
}

}  // namespace andon::rules
