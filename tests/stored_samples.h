// tests/stored_samples.h: reads back what a tsdb holds, for tests that check stored series
// (values, staleness markers) after a server or a component wrote them.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "tsdb/label_matcher.h"
#include "tsdb/querier.h"

namespace andon::testing {

// The samples of every series with all the given label values (name = value), in series
// then time order, within [mint, maxt].
inline std::vector<Sample> StoredSamples(
    Querier& q, const std::vector<std::pair<std::string, std::string>>& equal,
    int64_t mint = std::numeric_limits<int64_t>::min(),
    int64_t maxt = std::numeric_limits<int64_t>::max()) {
  std::vector<LabelMatcher> ms;
  for (const auto& [name, value] : equal) {
    ms.push_back(LabelMatcher::MustMake(LabelMatcher::Type::kEqual, name, value));
  }
  auto set = q.Select(ms, mint, maxt);
  std::vector<Sample> out;
  while (set->Next()) {
    auto it = set->At().Iterator();
    while (it->Next()) out.push_back(it->At());
  }
  return out;
}

}  // namespace andon::testing
