// tsdb/head_querier.h
//
// HeadQuerier: the Querier over the head. Select() resolves matchers through the head
// index, keeps the series with samples in range, and sorts them by labels; each series'
// samples are decoded under its stripe lock on the iterator's first read (Next, Seek or
// ReadAll), so an iterator sees one consistent state of the series and holds no lock while
// iterating. ReadAll on a fresh iterator decodes the chunks straight into the caller's
// vector (no per-series buffer).
// LabelNames/LabelValues without matchers read the index directly; with matchers they scan
// the labels of the matching series.
//
// Thread-safety: one thread at a time per HeadQuerier; any number run concurrently with
// appends and garbage collection. Must not outlive its Head.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tsdb/querier.h"

namespace andon {

class Head;

class HeadQuerier final : public Querier {
 public:
  explicit HeadQuerier(const Head* head) : head_(head) {}

  std::unique_ptr<SeriesSet> Select(std::span<const LabelMatcher> matchers, int64_t mint,
                                    int64_t maxt) override;
  Result<std::vector<std::string>> LabelNames(std::span<const LabelMatcher> matchers) override;
  Result<std::vector<std::string>> LabelValues(std::string_view name,
                                               std::span<const LabelMatcher> matchers) override;

 private:
  // Labels of the live series matching all matchers.
  std::vector<Labels> MatchingLabels(std::span<const LabelMatcher> matchers) const;

  const Head* head_;
};

// Iterates a vector of samples (used by the head and handy in tests of the engine).
class SampleVectorIterator final : public SeriesIterator {
 public:
  explicit SampleVectorIterator(std::vector<Sample> samples) : samples_(std::move(samples)) {}
  bool Next() override;
  bool Seek(int64_t t) override;
  Sample At() const override { return samples_[pos_]; }
  Status Err() const override { return Status::Ok(); }
  bool ReadAll(std::vector<Sample>* out) override;

 private:
  std::vector<Sample> samples_;
  size_t pos_ = static_cast<size_t>(-1);  // before the first sample
};

}  // namespace andon
