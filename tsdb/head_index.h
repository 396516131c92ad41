// tsdb/head_index.h
//
// The head's inverted index: label name -> value -> postings (the sorted refs of the
// series carrying that pair), plus the list of all refs. Postings(matchers) resolves a
// selector with the Prometheus algorithm: intersect the postings of matchers that need the
// label to be present, then subtract the postings of values rejected by matchers that
// also match series lacking the label.
//
// Thread-safety: all methods are safe to call concurrently; one shared_mutex guards the
// maps (readers copy out postings under the shared lock, so results are snapshots).
#pragma once

#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/labels.h"
#include "tsdb/label_matcher.h"
#include "tsdb/sample.h"

namespace andon {

using Postings = std::vector<SeriesRef>;  // sorted, unique

// Postings algebra over sorted, unique lists.
Postings IntersectPostings(const Postings& a, const Postings& b);
Postings MergePostings(std::span<const Postings* const> lists);
Postings SubtractPostings(const Postings& a, const Postings& b);

// One row of the cardinality statistics (/api/v1/status/tsdb).
struct CardinalityEntry {
  std::string name;
  uint64_t value = 0;
};

struct IndexCardinality {
  std::vector<CardinalityEntry> series_count_by_metric_name;
  std::vector<CardinalityEntry> label_value_count_by_label_name;
  std::vector<CardinalityEntry> memory_in_bytes_by_label_name;
  std::vector<CardinalityEntry> series_count_by_label_value_pair;  // name "job=api"
};

class HeadIndex {
 public:
  void Add(SeriesRef ref, const Labels& labels);
  // Removes series in one pass per touched postings list. refs[i] carries labels[i].
  void Remove(std::span<const SeriesRef> refs, std::span<const Labels> labels);

  Postings Select(std::span<const LabelMatcher> matchers) const;
  // Sorted names / values over all indexed series.
  std::vector<std::string> LabelNames() const;
  std::vector<std::string> LabelValues(std::string_view name) const;
  size_t NumSeries() const;
  // Series carrying the pair name=value (the length of its postings). No allocation.
  size_t NumSeriesWith(std::string_view name, std::string_view value) const;
  // Top `limit` entries of each statistic, largest first (ties by name).
  IndexCardinality Cardinality(size_t limit) const;

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return Hash64(s.data(), s.size()); }
  };
  using ValueMap = std::unordered_map<std::string, Postings, StringHash, std::equal_to<>>;
  using NameMap = std::unordered_map<std::string, ValueMap, StringHash, std::equal_to<>>;

  // The union of postings of the values of m.name() for which m.Matches(value) == want.
  Postings MatchingLocked(const LabelMatcher& m, bool want) const;

  mutable std::shared_mutex mu_;
  NameMap names_;  // guarded by mu_
  Postings all_;   // guarded by mu_
};

}  // namespace andon
