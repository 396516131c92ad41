// tests/alerting/metric_value.h
//
// MetricValue: the current value of one child of a registry's family, for tests that
// check what a component counted. -1 when the family or child does not exist.
#pragma once

#include <string>
#include <vector>

#include "common/metrics_registry.h"

namespace andon::testing {

inline double MetricValue(const MetricsRegistry& registry, const std::string& name,
                          const std::vector<std::string>& label_values = {}) {
  for (const FamilySnapshot& f : registry.Gather()) {
    if (f.name != name) continue;
    for (const MetricSnapshot& m : f.metrics) {
      if (m.label_values != label_values) continue;
      if (f.type == MetricType::kHistogram) {
        return m.cumulative_counts.empty() ? 0 : static_cast<double>(m.cumulative_counts.back());
      }
      return m.value;
    }
  }
  return -1;
}

}  // namespace andon::testing
