// tsdb/head_series.h
//
// HeadSeries: one active series in the head — its labels and its recent samples. The
// sample storage is private behind the small interface below (Append, CopyRange,
// TruncateBefore, min/max/last), so the raw buffer can be replaced by an open compressed
// chunk plus a list of sealed chunks without touching the head, appender or querier.
//
// Layout (24 bytes, one allocation per series plus its sample block):
//   Labels (8, shared packed block) | Sample* (8) | uint32 size | 31-bit capacity + flag.
// The buffer grows by doubling (amortized, not per sample) and shrinks on truncation.
//
// Thread-safety: none of its own. The head guards each series with the stripe lock of its
// ref: readers hold it shared, Append/TruncateBefore/set_logged need it exclusive. labels()
// is immutable after construction and may be read while the series is reachable.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include "common/labels.h"
#include "tsdb/sample.h"

namespace andon {

class HeadSeries {
 public:
  explicit HeadSeries(Labels labels) : labels_(std::move(labels)) {}
  ~HeadSeries() { std::free(data_); }
  HeadSeries(const HeadSeries&) = delete;
  HeadSeries& operator=(const HeadSeries&) = delete;

  const Labels& labels() const { return labels_; }

  // Whether the series record is in the WAL (set once, after the first logged commit).
  bool logged() const { return logged_; }
  void set_logged() { logged_ = 1; }

  bool empty() const { return size_ == 0; }
  size_t num_samples() const { return size_; }
  // Valid only when !empty().
  int64_t min_time() const { return data_[0].t; }
  int64_t max_time() const { return data_[size_ - 1].t; }
  Sample last() const { return data_[size_ - 1]; }

  // Appends a sample; the caller has checked t > max_time() (or empty()).
  void Append(int64_t t, double v) {
    if (size_ == cap_) Grow();
    data_[size_++] = Sample{t, v};
  }

  // Whether any sample lies in [mint, maxt].
  bool HasSamplesIn(int64_t mint, int64_t maxt) const {
    if (size_ == 0 || mint > maxt || max_time() < mint || min_time() > maxt) return false;
    const Sample* s = LowerBound(mint);
    return s != data_ + size_ && s->t <= maxt;
  }

  // Appends the samples in [mint, maxt] to out.
  void CopyRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) const {
    if (!HasSamplesIn(mint, maxt)) return;
    const Sample* b = LowerBound(mint);
    const Sample* e = b;
    const Sample* end = data_ + size_;
    while (e != end && e->t <= maxt) ++e;
    out->insert(out->end(), b, e);
  }

  // Drops samples with t < mint; returns how many were dropped.
  size_t TruncateBefore(int64_t mint) {
    if (size_ == 0 || data_[0].t >= mint) return 0;
    const Sample* keep = LowerBound(mint);
    size_t dropped = static_cast<size_t>(keep - data_);
    size_ -= static_cast<uint32_t>(dropped);
    std::memmove(data_, keep, size_ * sizeof(Sample));
    if (size_ == 0) {
      std::free(data_);
      data_ = nullptr;
      cap_ = 0;
    } else if (size_ < cap_ / 4) {
      Resize(cap_ / 2);
    }
    return dropped;
  }

  // Heap bytes owned by this series (struct + sample block; labels counted separately).
  size_t MemoryBytes() const { return sizeof(*this) + cap_ * sizeof(Sample); }

 private:
  const Sample* LowerBound(int64_t t) const {
    const Sample* lo = data_;
    size_t n = size_;
    while (n > 0) {
      size_t half = n / 2;
      if (lo[half].t < t) {
        lo += half + 1;
        n -= half + 1;
      } else {
        n = half;
      }
    }
    return lo;
  }

  void Grow() { Resize(cap_ == 0 ? 2 : cap_ * 2); }

  void Resize(uint32_t cap) {
    void* p = std::realloc(data_, static_cast<size_t>(cap) * sizeof(Sample));
    if (p == nullptr) throw std::bad_alloc();
    data_ = static_cast<Sample*>(p);
    cap_ = cap;
  }

  Labels labels_;
  Sample* data_ = nullptr;
  uint32_t size_ = 0;
  uint32_t cap_ : 31 = 0;
  uint32_t logged_ : 1 = 0;
};

static_assert(sizeof(HeadSeries) == 24, "keep the per-series struct lean");

}  // namespace andon
