// tsdb/rocksdb_store.h
//
// The durable half of the TSDB: one RocksDB database per data dir holding the WAL, the
// series label sets, sealed chunks and per-partition postings. The key layout, the WAL
// record format and the versioning rules are written down in docs/storage-format.md,
// section "RocksDB layout"; this header states the contract, the .cc implements it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace rocksdb {
class Cache;
class ColumnFamilyHandle;
class DB;
class Env;
class Iterator;
}  // namespace rocksdb

namespace andon::tsdb {

// A label as the caller holds it; a series' labels are sorted by name.
struct LabelView {
  std::string_view name, value;
};

// A series created in the batch being logged: its ref and labels.
struct WalSeries {
  uint64_t ref;
  std::span<const LabelView> labels;
};

struct WalSample {
  uint64_t ref;
  int64_t t_ms;
  double v;
};

struct StoreOptions {
  // Width of a time partition. Used only when a new data dir is created; an existing
  // dir keeps the width it was created with (partition_width_ms() reports it).
  int64_t partition_width_ms = 2 * 3600 * 1000;
  // fsync the RocksDB WAL on every LogBatch/PutChunk. Off: an acknowledged write
  // survives kill -9 (it is in the kernel's page cache) but not a power loss.
  bool sync = false;
  uint64_t block_cache_bytes = 64ull << 20;
  uint64_t write_buffer_bytes = 32ull << 20;  // memtable size of chunks/wal/postings
  int max_background_jobs = 2;
  // Tests only: RocksDB Env to run on (e.g. one that injects write errors). Not owned.
  rocksdb::Env* env = nullptr;
};

struct ReplayStats {
  uint64_t series = 0;           // series rows delivered
  uint64_t records = 0;          // WAL records delivered
  uint64_t samples = 0;          // samples in those records
  uint64_t corrupt_records = 0;  // WAL records skipped (bad checksum or encoding)
  std::vector<uint64_t> corrupt_seqs;
};

// One time partition that holds chunks: [start_ms, start_ms + width) of chunk mint.
struct PartitionInfo {
  int64_t partition;  // floor(mint / width)
  int64_t max_t_ms;   // highest chunk maxt written to it
};

// RocksDB's memory, for /metrics (the soak test tells a working set from a leak with it).
struct StoreMemory {
  uint64_t memtables = 0;      // active, unflushed and pinned memtables of every family
  uint64_t block_cache = 0;    // the shared block cache's charge (data, index and filters)
  uint64_t table_readers = 0;  // open SST readers outside the cache
};

struct StoredLabel {
  std::string name, value;
  bool operator==(const StoredLabel&) const = default;
};

// Samples of one series with mint <= t <= maxt, deleted (a tombstone's interval).
struct TimeInterval {
  int64_t mint, maxt;
  bool operator==(const TimeInterval&) const = default;
};
using Tombstones = std::map<uint64_t, std::vector<TimeInterval>>;  // series ref -> intervals

class RocksDbStore;

// Yields the persisted chunks of one series over [mint, maxt] in time order (chunks
// overlapping the range, across partitions). bytes() is valid until the next Next(),
// Reset() or Renew(). It reads the store as of its creation (or its last Renew()): one
// RocksDB iterator, which pins the memtables and SST files it reads, so keep it no longer
// than one query. Must not outlive the RocksDbStore it came from. Not thread-safe.
class StoredChunkIterator {
 public:
  StoredChunkIterator(StoredChunkIterator&&) noexcept;
  StoredChunkIterator& operator=(StoredChunkIterator&&) noexcept;
  ~StoredChunkIterator();

  // Advances to the next chunk; false at the end or on error (then see status()).
  bool Next();
  // Restarts on the chunks of series ref overlapping [mint, maxt], within the range the
  // iterator was created for, reusing the RocksDB iterator (one per query rather than one
  // per series). An error status stays.
  void Reset(uint64_t ref, int64_t mint, int64_t maxt);
  // Replaces the RocksDB iterator with a fresh one that sees every write completed before
  // the call, then restarts on the current series (as Reset with the current range).
  void Renew();
  int64_t mint() const { return mint_; }
  int64_t maxt() const { return maxt_; }
  std::string_view bytes() const { return bytes_; }
  const Status& status() const { return status_; }

 private:
  friend class RocksDbStore;
  StoredChunkIterator(const RocksDbStore* store, uint64_t ref, int64_t mint, int64_t maxt);
  bool SeekPartition();

  const RocksDbStore* store_;
  std::unique_ptr<rocksdb::Iterator> it_;
  std::vector<int64_t> partitions_;  // overlapping [created_mint_, created_maxt_]
  size_t next_partition_ = 0;
  bool positioned_ = false;  // it_ is inside the current partition's ref prefix
  uint64_t ref_;
  int64_t created_mint_, created_maxt_;
  int64_t range_mint_, range_maxt_;  // the current series' range
  int64_t mint_ = 0, maxt_ = 0;
  std::string_view bytes_;
  Status status_;
  char prefix_[16];
};

// RocksDbStore owns one data dir. Open() takes an exclusive flock on dir/andon.lock, so
// one process (and one Open) at a time; the lock is released on destruction or death.
// Open() refuses, without writing anything, a dir that holds a foreign RocksDB, other
// files, or a format version newer than this build's.
//
// Thread-safety: every method may be called concurrently. LogBatch calls run in parallel
// (RocksDB group commit); PutChunk and the retention calls serialize on an internal mutex.
// Replay order is WAL sequence order, which is call order for calls from one thread; a
// caller that logs samples of one series from several threads orders those calls itself.
//
// Durability: LogBatch returns after its RocksDB WriteBatch (series rows + WAL record) is
// in RocksDB's WAL, so it survives kill -9; with StoreOptions::sync also power loss. A
// batch is all or nothing. I/O errors (disk full, EIO) come back as Status with context;
// after a failed write RocksDB refuses further writes until Resume() succeeds.
class RocksDbStore {
 public:
  using SeriesCallback = std::function<Status(uint64_t ref, std::span<const LabelView> labels)>;
  using SamplesCallback = std::function<Status(uint64_t seq, std::span<const WalSample> samples)>;

  static Result<std::unique_ptr<RocksDbStore>> Open(const std::string& dir,
                                                    const StoreOptions& options);
  ~RocksDbStore();
  RocksDbStore(const RocksDbStore&) = delete;
  RocksDbStore& operator=(const RocksDbStore&) = delete;

  const std::string& dir() const { return dir_; }
  int64_t partition_width_ms() const { return partition_width_; }

  // --- WAL -------------------------------------------------------------------------------
  // Atomically writes the new series rows and one WAL record with the samples (none when
  // samples is empty) and stores its sequence number in *seq (0 when no record). Allocates
  // nothing per sample beyond reused per-thread buffers.
  Status LogBatch(std::span<const WalSeries> new_series, std::span<const WalSample> samples,
                  uint64_t* seq = nullptr);
  // Highest WAL sequence number handed out so far (0 when none).
  uint64_t LastWalSeq() const { return next_seq_.load(std::memory_order_acquire) - 1; }
  // Calls on_series for every stored series in ref order, then on_samples for every WAL
  // record in sequence order. Views passed to callbacks are valid during the call only.
  // A corrupt record is logged, counted and skipped; a callback error aborts the replay.
  Result<ReplayStats> Replay(const SeriesCallback& on_series, const SamplesCallback& on_samples);
  // Deletes WAL records with seq <= upto_seq. Sequence numbers are never reused.
  Status TruncateWal(uint64_t upto_seq);
  uint64_t WalTruncatedUpto() const;
  // Calls on_samples for the WAL records with from_seq <= seq <= upto_seq in sequence order,
  // stopping after the record that brings the samples delivered to max_samples or more (a
  // record is never split). Returns where a reader continues after: upto_seq when every
  // record up to it was read, else the seq of the last record delivered. Records already
  // truncated are simply absent (the first seq delivered then exceeds from_seq); corrupt
  // records are logged and skipped.
  Result<uint64_t> ReadWal(uint64_t from_seq, uint64_t upto_seq, size_t max_samples,
                           const SamplesCallback& on_samples) const;

  // --- WAL cursors: named reader positions (remote write), persisted in the meta column
  // family. The store only keeps them; Db decides what they hold back.
  Status PutWalCursor(std::string_view name, uint64_t seq);
  Status DeleteWalCursor(std::string_view name);
  Result<std::map<std::string, uint64_t>> WalCursors() const;

  // --- Tombstones: deleted intervals per series ref, persisted in the meta column family.
  // The store only keeps them; Db applies them to reads. An empty vector deletes the ref's
  // entry. One atomic write for all entries.
  Status PutTombstones(const Tombstones& tombstones);
  Result<Tombstones> ReadTombstones() const;

  // --- Series ----------------------------------------------------------------------------
  Result<std::vector<StoredLabel>> ReadSeries(uint64_t ref) const;
  // Highest series ref stored (0 when none); a head allocates refs above it.
  Result<uint64_t> MaxSeriesRef() const;
  // Deletes series rows that no partition's postings reference and for which is_live
  // (the head's view: series still in memory, which includes every series with samples
  // in the WAL) returns false. Returns the number of rows deleted.
  Result<uint64_t> SweepSeries(const std::function<bool(uint64_t ref)>& is_live);

  // --- Chunks ----------------------------------------------------------------------------
  // Stores a sealed chunk (bytes are opaque) of series ref covering [mint, maxt]. The
  // series must have been logged with LogBatch. The first chunk of a series in a partition
  // also writes its postings there. Re-putting the same (ref, mint) replaces the chunk.
  Status PutChunk(uint64_t ref, int64_t mint, int64_t maxt, std::string_view bytes);
  StoredChunkIterator Chunks(uint64_t ref, int64_t mint, int64_t maxt) const;
  // Deletes the chunk of series ref stored under mint (nothing when there is none). When it
  // was the series' last chunk in its partition, the series' postings there go too.
  Status DeleteChunk(uint64_t ref, int64_t mint);

  // --- Persisted postings (partitions overlapping [mint, maxt]) -------------------------
  // Sorted, deduplicated results.
  Result<std::vector<std::string>> LabelNamesInRange(int64_t mint, int64_t maxt) const;
  Result<std::vector<std::string>> LabelValuesInRange(std::string_view name, int64_t mint,
                                                      int64_t maxt) const;
  Result<std::vector<uint64_t>> RefsForLabel(std::string_view name, std::string_view value,
                                             int64_t mint, int64_t maxt) const;
  // Refs of series with label `name` whose value satisfies value_matches (called once per
  // distinct value per partition). For a matcher that accepts "" (absent label), combine
  // with AllRefsInRange yourself.
  Result<std::vector<uint64_t>> RefsMatching(
      std::string_view name, const std::function<bool(std::string_view)>& value_matches,
      int64_t mint, int64_t maxt) const;
  Result<std::vector<uint64_t>> AllRefsInRange(int64_t mint, int64_t maxt) const;

  // --- Retention -------------------------------------------------------------------------
  std::vector<PartitionInfo> Partitions() const;
  // Drops every partition whose chunks all end before t_ms (chunks + postings), then
  // compacts the dropped key range. Returns the number of partitions dropped.
  Result<int> DropBefore(int64_t t_ms);
  // Drops oldest partitions until DiskBytes() <= max_bytes, always keeping the newest
  // partition. Returns the number dropped.
  Result<int> EnforceSizeLimit(uint64_t max_bytes);
  // Bytes the data dir takes on disk (SSTs, RocksDB WAL, MANIFEST, logs), not counting
  // the snapshots/ folder.
  Result<uint64_t> DiskBytes() const;
  StoreMemory MemoryUsage() const;

  // Flushes all memtables to SST files (shutdown, tests, benchmarks).
  Status Flush();
  // Flushes, then compacts every column family fully, so overwritten chunks and deleted
  // WAL records stop taking space (tools, benchmarks; blocks for the duration).
  Status Compact();
  // Writes a consistent copy of the whole database (WAL included) to target_dir, which must
  // not exist and which Open() opens as a data dir. Files are hard-linked where the file
  // system allows (a snapshot under the data dir costs little until compaction).
  Status Snapshot(const std::string& target_dir);
  // Clears a RocksDB background error (e.g. after disk space was freed). Blocks up to ~5s
  // while RocksDB's own recovery is in progress.
  Status Resume();

 private:
  friend class StoredChunkIterator;  // renews its RocksDB iterator
  RocksDbStore() = default;
  Status Init(const std::string& dir, const StoreOptions& options);
  Status LoadMeta();
  Status DropPartitions(const std::vector<int64_t>& partitions);
  std::vector<int64_t> PartitionsOverlapping(int64_t mint, int64_t maxt) const;
  int64_t PartitionOf(int64_t t_ms) const;

  std::string dir_;
  int lock_fd_ = -1;
  bool sync_ = false;
  int64_t partition_width_ = 0;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::shared_ptr<rocksdb::Cache> block_cache_;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* series_ = nullptr;
  rocksdb::ColumnFamilyHandle* postings_ = nullptr;
  rocksdb::ColumnFamilyHandle* chunks_ = nullptr;
  rocksdb::ColumnFamilyHandle* wal_ = nullptr;

  std::atomic<uint64_t> next_seq_{1};
  uint64_t wal_truncated_upto_ = 0;  // guarded by write_mu_

  // Serializes PutChunk, TruncateWal and retention (read-modify-write of partition meta).
  mutable std::mutex write_mu_;
  // Partition -> highest chunk maxt. Written under write_mu_ + partitions_mu_ (exclusive).
  mutable std::shared_mutex partitions_mu_;
  std::map<int64_t, int64_t> partitions_;
};

}  // namespace andon::tsdb
