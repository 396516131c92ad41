// tsdb/head_series.h
//
// HeadSeries: one active series in the head — its labels and its recent samples, held as
// compressed chunks (tsdb/chunk.h): one open ChunkAppender that takes new samples, and the
// sealed chunks not yet released (a Db releases them once they are persisted; a bare Head
// keeps them until Gc). A chunk is sealed before the sample that ShouldSealBefore() says
// belongs in a new chunk.
//
// Layout: the struct is 32 bytes — Labels (8, shared packed block) | Chunks* (8) | the last
// sample's time (8, a copy of the chunk state's, so the appender's in-order check reads no
// chunk state) | flags. The chunk state (open appender, last value, sealed list) is one heap block
// allocated with the first sample and freed when the series is truncated to nothing, so a series
// without samples costs only the struct.
//
// Truncation (TruncateBefore) is by whole chunks: a chunk straddling the cut stays. The
// head hides the samples before its cut from readers (Head clamps query ranges to its
// minimum valid time), so to readers truncation is exact.
//
// Thread-safety: none of its own. The head guards each series with the stripe lock of its
// ref: readers hold it shared; Append, TruncateBefore, set_logged and the persistence
// bookkeeping need it exclusive. labels() is immutable after construction and may be read
// while the series is reachable; so may LastTimeUnlocked() and PrefetchChunks().
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "common/labels.h"
#include "tsdb/chunk.h"
#include "tsdb/sample.h"

namespace andon {

// A sealed chunk held in memory: exact-size copy of the encoded bytes.
struct SealedChunk {
  int64_t mint = 0;
  int64_t maxt = 0;
  std::unique_ptr<uint8_t[]> data;
  uint32_t size = 0;
  uint32_t samples = 0;
  std::span<const uint8_t> bytes() const { return {data.get(), size}; }
};

class HeadSeries {
 public:
  explicit HeadSeries(Labels labels) : labels_(std::move(labels)) {}
  ~HeadSeries() { delete c(); }
  HeadSeries(const HeadSeries&) = delete;
  HeadSeries& operator=(const HeadSeries&) = delete;

  const Labels& labels() const { return labels_; }

  // Whether the series record is in the WAL (set once, after the first logged commit).
  bool logged() const { return logged_; }
  void set_logged() { logged_ = 1; }

  bool empty() const { return c() == nullptr; }
  size_t num_samples() const {
    if (c() == nullptr) return 0;
    size_t n = c()->open.num_samples();
    for (const SealedChunk& s : c()->sealed) n += s.samples;
    return n;
  }
  // Chunks in memory (sealed + the open one).
  size_t num_chunks() const { return c() == nullptr ? 0 : c()->sealed.size() + 1; }
  // Valid only when !empty().
  int64_t min_time() const {
    return c()->sealed.empty() ? c()->open.min_time() : c()->sealed.front().mint;
  }
  int64_t max_time() const { return c()->open.max_time(); }
  // The time of the first sample at or after t; valid only when max_time() >= t.
  int64_t FirstTimeFrom(int64_t t) const {
    if (min_time() >= t) return min_time();
    for (const SealedChunk& s : c()->sealed) {
      if (s.maxt >= t) return s.mint >= t ? s.mint : SeekTime(s.bytes(), t);
    }
    return c()->open.min_time() >= t ? c()->open.min_time() : SeekTime(c()->open.bytes(), t);
  }
  Sample last() const { return Sample{c()->open.max_time(), c()->last_v}; }

  // Appends a sample; the caller has checked t > max_time() (or empty()). Returns the
  // number of chunks created (1 for the first sample and when the open chunk is sealed).
  int Append(int64_t t, double v) {
    int created = 0;
    if (c() == nullptr) {
      c_.store(new Chunks(), std::memory_order_relaxed);
      created = 1;
    } else if (c()->open.ShouldSealBefore(t)) {
      Seal();
      created = 1;
    }
    (void)c()->open.Append(t, v);  // cannot fail: t increases and the seal policy bounds n
    c()->last_v = v;
    last_t_.store(t, std::memory_order_relaxed);
    return created;
  }

  // --- Read without the stripe lock (the series must stay alive meanwhile) ---------------
  static constexpr int64_t kNoSamples = std::numeric_limits<int64_t>::min();
  // The time of the last sample, kNoSamples when empty(): the value of max_time() at some
  // moment between the call and its return (one word, stored under the exclusive stripe
  // lock wherever the last sample changes). A sample may also have the time kNoSamples.
  int64_t LastTimeUnlocked() const { return last_t_.load(std::memory_order_relaxed); }
  // Starts loading the chunk state that Append() will touch (a hint: it may be stale).
  void PrefetchChunks() const {
    const char* p = reinterpret_cast<const char*>(c());
    if (p == nullptr) return;
    for (size_t off = 0; off < sizeof(Chunks); off += 64) __builtin_prefetch(p + off, 1);
  }

  // Whether any sample lies in [mint, maxt].
  bool HasSamplesIn(int64_t mint, int64_t maxt) const {
    if (c() == nullptr || mint > maxt || max_time() < mint || min_time() > maxt) return false;
    for (const SealedChunk& s : c()->sealed) {
      if (ChunkHasSamplesIn(s.bytes(), s.mint, s.maxt, mint, maxt)) return true;
    }
    return ChunkHasSamplesIn(c()->open.bytes(), c()->open.min_time(), c()->open.max_time(), mint,
                             maxt);
  }

  // Appends the samples in [mint, maxt] to out.
  void CopyRange(int64_t mint, int64_t maxt, std::vector<Sample>* out) const {
    if (c() == nullptr || mint > maxt) return;
    size_t n = out->size();  // reserve for the overlapping chunks: one allocation at most
    for (const SealedChunk& s : c()->sealed) {
      if (s.maxt >= mint && s.mint <= maxt) n += s.samples;
    }
    if (c()->open.max_time() >= mint && c()->open.min_time() <= maxt) n += c()->open.num_samples();
    if (n > out->capacity()) out->reserve(std::max(n, 2 * out->capacity()));  // amortized
    for (const SealedChunk& s : c()->sealed) {
      if (s.maxt >= mint && s.mint <= maxt) CopyChunk(s.bytes(), mint, maxt, out);
    }
    if (c()->open.max_time() >= mint && c()->open.min_time() <= maxt) {
      CopyChunk(c()->open.bytes(), mint, maxt, out);
    }
  }

  // Drops the chunks that end before mint; returns how many samples were dropped and adds
  // the number of chunks dropped to *chunks_dropped. With only_persisted, a series whose
  // persistence releases its sealed chunks once stored (a Db's head) drops nothing while it
  // holds a sealed chunk or unpersisted samples in its open chunk.
  size_t TruncateBefore(int64_t mint, size_t* chunks_dropped, bool only_persisted) {
    if (c() == nullptr) return 0;
    if (only_persisted && (!c()->sealed.empty() || open_dirty())) return 0;
    if (c()->open.max_time() < mint) {
      size_t n = num_samples();
      *chunks_dropped += num_chunks();
      delete c();
      c_.store(nullptr, std::memory_order_relaxed);
      last_t_.store(kNoSamples, std::memory_order_relaxed);
      return n;
    }
    size_t n = 0, k = 0;
    while (k < c()->sealed.size() && c()->sealed[k].maxt < mint) n += c()->sealed[k++].samples;
    if (k > 0) {
      c()->sealed.erase(c()->sealed.begin(), c()->sealed.begin() + static_cast<ptrdiff_t>(k));
      *chunks_dropped += k;
    }
    return n;
  }

  // --- Persistence bookkeeping (used by Db through Head) --------------------------------
  std::span<const SealedChunk> sealed() const {
    return c() == nullptr ? std::span<const SealedChunk>() : std::span(c()->sealed);
  }
  // The open chunk, or nullptr when empty().
  const tsdb::ChunkAppender* open() const { return c() == nullptr ? nullptr : &c()->open; }
  // Whether the open chunk holds samples not yet persisted.
  bool open_dirty() const {
    return c() != nullptr && c()->open.num_samples() != c()->open_persisted;
  }
  // Records that the open chunk starting at mint was persisted with n samples.
  void MarkOpenPersisted(int64_t mint, uint32_t n) {
    if (c() != nullptr && c()->open.min_time() == mint && c()->open.num_samples() >= n) {
      c()->open_persisted = n;
    }
  }
  // Releases the sealed chunks starting at or before mint; returns how many.
  size_t ReleaseSealedThrough(int64_t mint) {
    if (c() == nullptr) return 0;
    size_t k = 0;
    while (k < c()->sealed.size() && c()->sealed[k].mint <= mint) ++k;
    c()->sealed.erase(c()->sealed.begin(), c()->sealed.begin() + static_cast<ptrdiff_t>(k));
    if (c()->sealed.empty()) c()->sealed.shrink_to_fit();
    return k;
  }

  // Heap bytes owned by this series (struct + chunks; labels counted separately).
  size_t MemoryBytes() const {
    size_t n = sizeof(*this);
    if (c() != nullptr) {
      n += sizeof(Chunks) + c()->open.bytes().size() + c()->sealed.capacity() * sizeof(SealedChunk);
      for (const SealedChunk& s : c()->sealed) n += s.size;
    }
    return n;
  }

 private:
  struct Chunks {
    tsdb::ChunkAppender open;
    double last_v = 0;
    uint32_t open_persisted = 0;      // samples of the open chunk already persisted
    std::vector<SealedChunk> sealed;  // oldest first
  };

  static bool ChunkHasSamplesIn(std::span<const uint8_t> bytes, int64_t cmint, int64_t cmaxt,
                                int64_t mint, int64_t maxt) {
    if (cmaxt < mint || cmint > maxt) return false;
    if (cmint >= mint || cmaxt <= maxt) return true;  // an end sample lies in range
    tsdb::ChunkIterator it(bytes);
    return it.Seek(mint) && it.At().t_ms <= maxt;
  }

  static int64_t SeekTime(std::span<const uint8_t> bytes, int64_t t) {
    tsdb::ChunkIterator it(bytes);
    return it.Seek(t) ? it.At().t_ms : t;
  }

  static void CopyChunk(std::span<const uint8_t> bytes, int64_t mint, int64_t maxt,
                        std::vector<Sample>* out) {
    tsdb::ChunkIterator it(bytes);
    if (it.Seek(mint)) it.AppendUpTo(maxt, out);
  }

  void Seal() {
    SealedChunk s;
    std::span<const uint8_t> b = c()->open.bytes();
    s.mint = c()->open.min_time();
    s.maxt = c()->open.max_time();
    s.size = static_cast<uint32_t>(b.size());
    s.samples = c()->open.num_samples();
    s.data.reset(new uint8_t[b.size()]);
    std::memcpy(s.data.get(), b.data(), b.size());
    c()->sealed.push_back(std::move(s));
    c()->open = tsdb::ChunkAppender();
    c()->open_persisted = 0;
  }

  Chunks* c() const { return c_.load(std::memory_order_relaxed); }

  Labels labels_;
  // Atomic only so that PrefetchChunks() may read it without the stripe lock; every other
  // access holds the lock.
  std::atomic<Chunks*> c_{nullptr};
  std::atomic<int64_t> last_t_{kNoSamples};  // see LastTimeUnlocked()
  uint32_t logged_ : 1 = 0;
};

static_assert(sizeof(HeadSeries) == 32, "keep the per-series struct lean");

}  // namespace andon
