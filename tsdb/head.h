// tsdb/head.h
//
// Head: the in-memory part of the tsdb — every active series with its recent samples,
// an inverted index over their labels, and the Appender / Querier on top.
//
// Series are identified by refs assigned monotonically from 1 and addressed directly
// through a two-level table (ref -> HeadSeries*), so appending by ref does no hashing.
// Two sets of 256 striped locks:
//   - map stripes, chosen by label hash, guard the hash -> ref map used to find a series
//     by labels (collisions resolved by comparing the full label sets);
//   - data stripes, chosen by ref, guard each series' samples and lifetime.
// Lock order: map stripe -> data stripe -> index. Queries take a data stripe shared per
// series and copy what they need (copy-on-read), so they never block on each other and
// see each series' commit entirely or not at all.
//
// Durability: with a HeadWal, Commit() hands the batch (series records not yet logged +
// all samples) to HeadWal::Log before applying it; if logging fails nothing is applied.
// Replay() rebuilds the head from logged records without re-logging them.
//
// Thread-safety: all public methods are thread-safe, except Replay() which must finish
// before appenders start. Appenders and Queriers are used from one thread each.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "common/labels.h"
#include "common/status.h"
#include "tsdb/appender.h"
#include "tsdb/head_index.h"
#include "tsdb/head_series.h"
#include "tsdb/querier.h"
#include "tsdb/sample.h"

namespace andon {

// A series record: a ref and the labels it stands for.
struct NewSeries {
  SeriesRef ref = 0;
  Labels labels;
};

// A sample record addressed by series ref.
struct RefSample {
  SeriesRef ref = 0;
  int64_t t = 0;
  double v = 0;
};

// The durability hook. Log() must make the records durable (or fail) before returning;
// series records always precede, in the log, the samples that use their refs. Called
// concurrently from several committing appenders.
class HeadWal {
 public:
  virtual ~HeadWal() = default;
  virtual Status Log(std::span<const NewSeries> series, std::span<const RefSample> samples) = 0;
};

struct HeadOptions {
  HeadWal* wal = nullptr;  // not owned; nullptr = no durability
  // New series of a metric name that already has this many series in the head are refused
  // (kErrSeriesLimitPerMetric); 0 = no limit. Checked only when a series is created, so
  // appends to existing series cost nothing. Replay is not limited.
  uint64_t max_series_per_metric = 0;
  // Set by a Db, which persists the chunks (PersistChunks) and releases the sealed ones once
  // stored. Gc then drops only chunks that hold no unpersisted sample: a late sample
  // committed after a checkpoint, older than Gc's cut, stays in memory (hidden from head
  // reads) until the next checkpoint stores it.
  bool persistent = false;
  // Test hook: replaces Labels::Hash() for the series map (e.g. to force collisions).
  uint64_t (*label_hash)(const Labels&) = nullptr;
};

// A chunk copied out of the head for persisting (Head::PersistChunks). Its bytes are
// [offset, offset + size) of the buffer handed along with it.
struct PendingChunk {
  SeriesRef ref = 0;
  int64_t mint = 0;
  int64_t maxt = 0;
  uint32_t samples = 0;
  bool sealed = false;  // else: a snapshot of the open chunk so far
  size_t offset = 0;
  size_t size = 0;
};

struct GcResult {
  size_t series_removed = 0;
  size_t samples_removed = 0;
};

struct HeadStats {
  uint64_t num_series = 0;
  uint64_t samples_appended = 0;
  uint64_t out_of_order_samples = 0;
  uint64_t duplicate_samples = 0;
  uint64_t out_of_bounds_samples = 0;
  uint64_t series_limit_samples = 0;                       // refused by max_series_per_metric
  int64_t min_time = std::numeric_limits<int64_t>::max();  // max/min when empty
  int64_t max_time = std::numeric_limits<int64_t>::min();
};

class Head {
 public:
  explicit Head(HeadOptions options = {});
  ~Head();
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  std::unique_ptr<Appender> NewAppender();
  std::unique_ptr<Querier> NewQuerier();

  // Applies logged records: creates the series with their given refs (a label set that
  // already exists under another ref becomes an alias of it) and appends the samples with
  // the usual order checks. Samples of unknown refs are skipped and counted.
  Status Replay(std::span<const NewSeries> series, std::span<const RefSample> samples);

  // Drops samples older than min_time (with HeadOptions::persistent, only persisted ones),
  // then removes series left without samples from the map and the index. Later samples older than
  // min_time are rejected as out of bounds. The removal step waits for open transactions to finish
  // and holds new ones back (so a series an open transaction uses is never removed under it): never
  // call Gc() from a thread that has an Appender with uncommitted samples.
  GcResult Gc(int64_t min_time);

  // --- Persistence support (tsdb/db.h) ---------------------------------------------------
  using ChunkSink =
      std::function<Status(std::span<const PendingChunk> chunks, std::span<const uint8_t> bytes)>;
  // Stripe by stripe: copies every sealed chunk and every open chunk with samples not yet
  // persisted (under the stripe lock, shared), hands them to sink (no lock held), then
  // releases the sealed ones from memory and marks the open ones persisted. Stops at the
  // first sink error. Chunks of series created after the call started may be missed.
  Status PersistChunks(const ChunkSink& sink, uint64_t* chunks_persisted = nullptr);
  // Re-opens a persisted chunk as the open chunk of an existing empty series (during
  // recovery, before appenders start). Stores its max time in *max_time.
  Status RestoreOpenChunk(SeriesRef ref, std::span<const uint8_t> chunk, int64_t* max_time);
  // New series get refs above max_used (refs the durable store already handed out).
  void ReserveRefs(SeriesRef max_used);
  // Copies the samples of ref in [mint, maxt] (clamped to MinValidTime()) to out; false
  // when the ref is not in the head. With first_time, also stores there where the head's
  // view of ref began at the copy, max(its oldest sample in memory, MinValidTime()), or
  // INT64_MAX when it holds none: every sample of ref before it is in the store (see
  // ReleaseEpoch) or is a late one Gc kept hidden until the next checkpoint stores it
  // (HeadOptions::persistent); every one from it on in [mint, maxt] was copied.
  bool CopySeriesSamples(SeriesRef ref, int64_t mint, int64_t maxt, std::vector<Sample>* out,
                         int64_t* first_time = nullptr) const;
  // Bumped before chunks leave memory (sealed chunks released after PersistChunks, samples
  // hidden and dropped by Gc). A reader that opened a store iterator after reading epoch e,
  // then copied a series from the head and then reads e again, knows that iterator holds
  // every chunk the copy missed; if it reads another value, a fresh iterator does.
  uint64_t ReleaseEpoch() const { return release_epoch_.load(std::memory_order_acquire); }
  // Whether the ref is a series in the head.
  bool IsLive(SeriesRef ref) const;
  // The time of ref's oldest sample in memory (at or after MinValidTime()); INT64_MAX when
  // the ref is not in the head or holds no such sample.
  int64_t SeriesMinTime(SeriesRef ref) const;
  // Whether ref has a sample in [mint, maxt] in memory.
  bool SeriesHasSamplesIn(SeriesRef ref, int64_t mint, int64_t maxt) const;
  // Samples before this time are out of bounds and hidden from readers (raised by Gc).
  int64_t MinValidTime() const { return min_valid_time_.load(std::memory_order_relaxed); }
  // Heap bytes of the series structs and their chunks (labels and index not counted); walks
  // every series, stripe by stripe under its shared lock.
  uint64_t SeriesMemoryBytes() const;
  // Chunks in memory (sealed not yet released + open).
  uint64_t NumChunks() const { return num_chunks_.load(std::memory_order_relaxed); }

  // 0 when the label set has no series.
  SeriesRef RefForLabels(const Labels& labels) const;
  // The labels of a live series; empty if the ref is unknown.
  Labels LabelsForRef(SeriesRef ref) const;

  HeadStats Stats() const;
  uint64_t NumSeries() const { return num_series_.load(std::memory_order_relaxed); }
  uint64_t SamplesAppended() const { return samples_appended_.load(std::memory_order_relaxed); }
  uint64_t OutOfOrderSamples() const { return out_of_order_.load(std::memory_order_relaxed); }
  uint64_t DuplicateSamples() const { return duplicates_.load(std::memory_order_relaxed); }
  uint64_t OutOfBoundsSamples() const { return out_of_bounds_.load(std::memory_order_relaxed); }
  // Samples refused because their new series passed max_series_per_metric.
  uint64_t SeriesLimitSamples() const { return series_limit_.load(std::memory_order_relaxed); }
  uint64_t ReplayUnknownRefSamples() const {
    return replay_unknown_refs_.load(std::memory_order_relaxed);
  }
  // Top `limit` cardinality rows for /api/v1/status/tsdb.
  IndexCardinality Cardinality(size_t limit = 10) const { return index_.Cardinality(limit); }
  const HeadIndex& index() const { return index_; }

 private:
  friend class HeadAppender;
  friend class HeadQuerier;
  friend class HeadSeriesSet;

  static constexpr int kStripeBits = 8;
  static constexpr size_t kStripes = size_t{1} << kStripeBits;
  static constexpr int kBlockBits = 16;
  static constexpr size_t kBlockSize = size_t{1} << kBlockBits;
  static constexpr size_t kMaxBlocks = size_t{1} << 16;  // 2^32 refs

  struct Block {
    std::atomic<HeadSeries*> slots[kBlockSize] = {};
  };
  struct alignas(64) DataStripe {
    mutable std::shared_mutex mu;
  };
  struct alignas(64) MapStripe {
    mutable std::shared_mutex mu;
    std::unordered_map<uint64_t, SeriesRef> by_hash;  // guarded by mu
    // Further refs whose labels share a hash with the by_hash entry. Guarded by mu.
    std::unordered_map<uint64_t, std::vector<SeriesRef>> collisions;
  };

  static size_t StripeOf(SeriesRef ref) { return ref & (kStripes - 1); }
  DataStripe& DataStripeFor(SeriesRef ref) const { return data_stripes_[StripeOf(ref)]; }
  uint64_t HashOf(const Labels& labels) const {
    return options_.label_hash ? options_.label_hash(labels) : labels.Hash();
  }

  // The series for ref, or nullptr. The caller holds the ref's data stripe (any mode) or
  // the map stripe of its labels, or is in a transaction (EnterTransaction), which keeps the
  // series alive but lets it read only what HeadSeries allows without the lock.
  HeadSeries* Lookup(SeriesRef ref) const;
  // Under the map stripe: the ref of labels or 0.
  SeriesRef FindLocked(const MapStripe& ms, uint64_t hash, const Labels& labels) const;
  // Finds or creates the series; returns its ref.
  Result<SeriesRef> GetOrCreate(const Labels& labels);
  // Inserts a new series under ref (caller holds the map stripe exclusively).
  void InsertLocked(MapStripe& ms, uint64_t hash, SeriesRef ref, HeadSeries* series);
  void EnsureBlock(SeriesRef ref);

  // Appender transactions enter before their first Append and exit on Commit/Rollback;
  // Gc's removal step drains them and holds new ones back (writer-preferring).
  void EnterTransaction();
  void ExitTransaction();

  enum class Verdict { kAppend, kIgnore, kOutOfOrder, kDuplicate };
  static Verdict Check(const HeadSeries& s, int64_t t, double v);
  void NoteTimes(int64_t mint, int64_t maxt);

  HeadOptions options_;
  std::unique_ptr<std::atomic<Block*>[]> blocks_;
  std::mutex blocks_mu_;
  std::atomic<uint64_t> next_ref_{1};
  std::atomic<int64_t> min_valid_time_{std::numeric_limits<int64_t>::min()};
  std::mutex gc_mu_;  // one Gc at a time
  // With max_series_per_metric: held from the count check to the insert of a new series, so
  // concurrent creators of one metric name cannot pass the limit together. Lock order:
  // map stripe -> series_limit_mu_ -> index.
  std::mutex series_limit_mu_;
  std::mutex txn_mu_;
  std::condition_variable txn_cv_;
  int open_transactions_ = 0;  // guarded by txn_mu_
  bool gc_removing_ = false;   // guarded by txn_mu_
  // Replayed refs whose labels already had another ref. Only touched by Replay().
  std::unordered_map<SeriesRef, SeriesRef> replay_aliases_;

  mutable std::array<DataStripe, kStripes> data_stripes_;
  mutable std::array<MapStripe, kStripes> map_stripes_;
  HeadIndex index_;

  std::atomic<uint64_t> num_series_{0};
  std::atomic<uint64_t> samples_appended_{0};
  std::atomic<uint64_t> out_of_order_{0};
  std::atomic<uint64_t> duplicates_{0};
  std::atomic<uint64_t> out_of_bounds_{0};
  std::atomic<uint64_t> series_limit_{0};
  std::atomic<uint64_t> replay_unknown_refs_{0};
  std::atomic<uint64_t> num_chunks_{0};
  std::atomic<uint64_t> release_epoch_{0};
  std::atomic<int64_t> min_time_{std::numeric_limits<int64_t>::max()};
  std::atomic<int64_t> max_time_{std::numeric_limits<int64_t>::min()};
};

}  // namespace andon
