// tsdb/querier.h
//
// The read side of the tsdb as the query engine and the HTTP API see it. A Querier
// selects series by label matchers over a time range; each series yields a
// SeriesIterator over its samples in increasing time order. Implementations: the head
// (in-memory), the persisted store, and a merge of both.
//
// Thread-safety: a Querier may be used from one thread at a time; several Queriers may run
// concurrently with appends. A SeriesSet/SeriesIterator must not outlive its Querier.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/labels.h"
#include "common/status.h"
#include "tsdb/label_matcher.h"
#include "tsdb/sample.h"

namespace andon {

// Iterates samples in increasing time order. Starts before the first sample: call Next()
// or Seek() before At().
class SeriesIterator {
 public:
  virtual ~SeriesIterator() = default;
  // Advances to the next sample; false at the end or on error (see Err()).
  virtual bool Next() = 0;
  // Advances to the first sample with timestamp >= t; never moves backwards (if the
  // current sample already satisfies it, stays). False if there is none.
  virtual bool Seek(int64_t t) = 0;
  virtual Sample At() const = 0;
  virtual Status Err() const = 0;
  // Batch read: appends to *out every sample Next() would still return (all of them on a
  // fresh iterator), leaving the iterator exhausted; false on error (see Err()). The default
  // loops over Next()/At(); iterators that hold or decode their samples in bulk override it
  // to skip the per-sample virtual calls.
  virtual bool ReadAll(std::vector<Sample>* out) {
    while (Next()) out->push_back(At());
    return Err().ok();
  }
  // Zero-copy batch read, for iterators that hold their samples decoded in memory: every
  // sample Next() would still return, viewable while the iterator lives, and the iterator
  // exhausted. nullopt, with nothing consumed, from other iterators (use ReadAll).
  virtual std::optional<std::span<const Sample>> TakeAll() { return std::nullopt; }
};

class Series {
 public:
  virtual ~Series() = default;
  virtual const Labels& labels() const = 0;
  // A fresh iterator over the series' samples within the Select() time range.
  virtual std::unique_ptr<SeriesIterator> Iterator() const = 0;
};

// A forward-only set of series sorted by labels (Compare order).
class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  virtual bool Next() = 0;
  // Valid after Next() returned true, until the next call to Next().
  virtual const Series& At() const = 0;
  virtual Status Err() const = 0;
};

class Querier {
 public:
  virtual ~Querier() = default;
  // Series matching all matchers with at least one sample in [mint, maxt] (inclusive),
  // sorted by labels, samples limited to that range.
  virtual std::unique_ptr<SeriesSet> Select(std::span<const LabelMatcher> matchers, int64_t mint,
                                            int64_t maxt) = 0;
  // Sorted, unique label names of the series matching all matchers (all series if none).
  virtual Result<std::vector<std::string>> LabelNames(std::span<const LabelMatcher> matchers) = 0;
  // Sorted, unique values of label `name` among the series matching all matchers.
  virtual Result<std::vector<std::string>> LabelValues(std::string_view name,
                                                       std::span<const LabelMatcher> matchers) = 0;
};

}  // namespace andon
