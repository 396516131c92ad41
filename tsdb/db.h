// tsdb/db.h
//
// Db: the time-series database the server uses — the in-memory Head (recent samples as
// compressed chunks) joined to the durable RocksDbStore (WAL, series, persisted chunks,
// postings per time partition).
//
// Write path: a Db Appender is a Head appender whose Commit() logs the batch with
// RocksDbStore::LogBatch (in RocksDB's WAL before Commit() returns, so kill -9 loses no
// acknowledged sample) and then applies it to the head, all under a shared commit lock.
//
// Checkpoint (periodic, and in Close()): under the commit lock held exclusively just long
// enough to read it, S = the last WAL seq — every batch up to S is applied to the head.
// Then every sealed chunk and every open chunk with new samples is written with PutChunk
// (an open chunk is re-put under the same (ref, mint) key as it grows; sealed chunks are
// released from memory once persisted), and finally the WAL is truncated up to S.
//
// Recovery (Open): series rows and WAL records are read; the series with chunks in the
// recent window or samples in the WAL are recreated in the head, each one's latest
// persisted chunk becomes its open chunk again (a chunk that was in fact sealed is sealed
// again by the next sample, as the seal policy depends on the chunk alone), then WAL
// samples newer than that chunk are applied; older ones are already in it.
//
// Reads: a Querier merges, per label set, the head's chunks and the store's chunks (a
// series may have several refs over its life, e.g. after head GC), deduplicating equal
// timestamps where a persisted snapshot and the head overlap. A Select's series are
// decoded ahead of its reader on a pool of read_threads threads (tsdb/db_series_set.h).
//
// Background (one thread running an Asio io_context): every checkpoint_interval a
// checkpoint, then head GC of series idle for head_keep_ms, retention by time and size
// (whole partitions) and a sweep of series rows no partition references. A failed write
// (disk full, EIO) fails Commit() with the store's message; the background thread then
// calls RocksDbStore::Resume() until it succeeds, so writes recover when space returns.
// Reads keep working throughout.
//
// Thread-safety: all methods are thread-safe. Appenders and Queriers follow the
// contracts of tsdb/appender.h and tsdb/querier.h and must not outlive the Db.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/labels.h"
#include "common/metrics_registry.h"
#include "common/status.h"
#include "tsdb/appender.h"
#include "tsdb/head.h"
#include "tsdb/querier.h"
#include "tsdb/rocksdb_store.h"

namespace boost::asio {
class io_context;
class thread_pool;
}  // namespace boost::asio

namespace andon {

struct DbOptions {
  // Partitions whose chunks all end before (newest sample time - retention_ms) are dropped.
  int64_t retention_ms = 15LL * 24 * 3600 * 1000;
  // Oldest partitions are dropped while the data dir is larger; 0 = no limit.
  uint64_t retention_bytes = 0;
  // Bounds the WAL (and so restart time) to about this much ingestion. Each checkpoint
  // re-puts every open chunk that grew, so a shorter interval costs write amplification:
  // at 15 s scrapes a 5 m interval re-writes an open chunk ~24 times over its 2 h life.
  std::chrono::milliseconds checkpoint_interval{std::chrono::minutes(5)};
  // A series with no sample newer than (newest sample time - head_keep_ms) leaves the
  // head (its data stays queryable from the store); samples older than that are rejected
  // as out of bounds. At least kMaxChunkDurationMs, so GC rarely splits a chunk.
  int64_t head_keep_ms = 2LL * 3600 * 1000;
  // Longest a lagging WAL cursor (see OpenWalCursor) holds WAL records back from truncation.
  std::chrono::milliseconds wal_hold{std::chrono::hours(2)};
  // Run the background loop (checkpoint, GC, retention). Tests may drive Maintain() by hand.
  bool background = true;
  // Smaller RocksDB memtables and cache than the store's defaults: the WAL memtable holds
  // only the records since the last checkpoint, and RSS at 50k series matters.
  tsdb::StoreOptions store{.block_cache_bytes = 32ull << 20, .write_buffer_bytes = 8ull << 20};
  // --storage.tsdb.max-series-per-metric (HeadOptions::max_series_per_metric); 0 = no limit.
  uint64_t max_series_per_metric = 0;
  // Registers the andon_tsdb_* metrics here when set (unregistered in Close()). Not owned.
  MetricsRegistry* metrics = nullptr;
  // Threads that decode a Select's series ahead of its reader (which decodes too), shared
  // by all queries; -1: one per hardware thread but one, 0: the reader decodes alone.
  int read_threads = -1;
};

struct DbStats {
  HeadStats head;            // head series, samples appended, rejects, head min/max
  uint64_t head_chunks = 0;  // chunks in memory
  uint64_t stored_partitions = 0;
  int64_t min_time = std::numeric_limits<int64_t>::max();  // over head and store
  int64_t max_time = std::numeric_limits<int64_t>::min();
  uint64_t disk_bytes = 0;
  uint64_t wal_seq = 0;             // last WAL sequence number handed out
  uint64_t wal_truncated_upto = 0;  // WAL records up to here are deleted
  uint64_t checkpoints = 0;
  uint64_t wal_truncations = 0;
  uint64_t retention_partitions_dropped = 0;
  IndexCardinality cardinality;  // top 10 over the head (for /api/v1/status/tsdb)
};

class Db {
 public:
  // Opens (or creates) the data dir: takes its lock, checks its format version, replays.
  static Result<std::unique_ptr<Db>> Open(const std::string& dir, const DbOptions& options);
  ~Db();  // Close() if not yet closed; errors are logged
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  std::unique_ptr<Appender> NewAppender();
  // A merged view of all data; the range bounds LabelNames/LabelValues (the head counts when
  // its sample time range overlaps, the store by partition).
  std::unique_ptr<Querier> NewQuerier(int64_t mint = std::numeric_limits<int64_t>::min(),
                                      int64_t maxt = std::numeric_limits<int64_t>::max());

  DbStats Stats() const;

  // --- WAL readers (remote write) ------------------------------------------------------
  // Every batch with a WAL seq up to the returned one has been logged (ReadWal sees it).
  uint64_t VisibleWalSeq();
  // See RocksDbStore::ReadWal.
  Result<uint64_t> ReadWal(uint64_t from_seq, uint64_t upto_seq, size_t max_samples,
                           const tsdb::RocksDbStore::SamplesCallback& on_samples) const;
  // The labels a series ref was logged with.
  Result<Labels> SeriesLabels(uint64_t ref) const;
  // A named WAL cursor is the last seq its reader has finished with. Opening an unknown
  // name creates it at VisibleWalSeq(): a new reader starts with new data. While a cursor
  // exists, checkpoints keep the WAL records after it for at most DbOptions::wal_hold (then
  // they are truncated anyway and the reader finds a gap). Cursors persist in the data dir,
  // so a restarted reader resumes where it stopped.
  Result<uint64_t> OpenWalCursor(const std::string& name);
  Status AdvanceWalCursor(const std::string& name, uint64_t seq);
  Status RemoveWalCursor(const std::string& name);
  std::vector<std::string> WalCursorNames() const;

  // --- Deletion and snapshots (admin API) ---------------------------------------------
  // Hides the samples in [mint, maxt] of every series matching all matchers from every later
  // Select, through tombstones (one per series ref) kept in the data dir. maxt is clamped to
  // the newest sample time at the call, so samples appended afterwards stay visible. As in
  // Prometheus's index, label names and values still list such a series until
  // CleanTombstones removes its data. Returns the number of series (label sets) matched.
  Result<uint64_t> DeleteSeries(std::span<const LabelMatcher> matchers, int64_t mint, int64_t maxt);
  // Checkpoints, then rewrites every persisted chunk under a tombstone without the deleted
  // samples (a chunk left empty is deleted, and with a series' last chunk in a partition its
  // postings there), and drops each tombstone interval that then hides nothing: those over
  // samples the head still holds in memory stay until a later call.
  Status CleanTombstones();
  // Writes a consistent copy of the data dir to dir (must not exist) that Open() can open:
  // a checkpoint first unless skip_head, then RocksDbStore::Snapshot. The copy includes the
  // WAL, so it holds every acknowledged sample either way; skip_head only saves the
  // checkpoint's time.
  Status Snapshot(const std::string& dir, bool skip_head);

  // Persists chunks and truncates the WAL (see above). Runs in the background; public for
  // tests and tools.
  Status Checkpoint();
  // Checkpoint, then head GC, time and size retention and the series sweep.
  Status Maintain();
  // Stops background work, takes a final checkpoint, flushes and releases the data dir
  // (its lock). Idempotent. Afterwards only Appenders may still be used (their commits fail
  // with Unavailable) and destroyed; everything else must not be called.
  Status Close();

  Head& head() { return *head_; }
  tsdb::RocksDbStore& store() { return *store_; }

 private:
  class Wal;
  class DbAppender;
  class DbQuerier;
  friend class DbAppender;
  friend class DbQuerier;

  explicit Db(const DbOptions& options);
  Status Recover();
  // The newest sample time in the head or any stored partition; INT64_MIN when empty.
  int64_t NewestSampleTime() const;
  Status CheckpointLocked();  // Checkpoint() with maintain_mu_ held
  std::shared_ptr<const tsdb::Tombstones> CurrentTombstones() const;
  Status RegisterMetrics();
  void UnregisterMetrics();
  void StartBackground();
  void ScheduleTick(std::chrono::milliseconds delay);
  void ScheduleResume(std::chrono::milliseconds delay);  // retries store_->Resume()
  void OnWriteError();

  DbOptions options_;
  std::unique_ptr<tsdb::RocksDbStore> store_;
  std::unique_ptr<Wal> wal_;
  std::unique_ptr<Head> head_;

  // Commits hold it shared across log + apply; Checkpoint takes it exclusively to read S.
  mutable std::shared_mutex commit_mu_;
  std::mutex maintain_mu_;  // one Checkpoint/Maintain at a time
  std::atomic<bool> write_failed_{false};
  std::atomic<bool> closed_{false};

  std::atomic<uint64_t> checkpoints_{0};
  std::atomic<uint64_t> wal_truncations_{0};
  std::atomic<uint64_t> partitions_dropped_{0};
  std::atomic<uint64_t> wal_truncated_upto_{0};
  HistogramFamily* checkpoint_seconds_ = nullptr;
  std::atomic<Histogram*> wal_write_seconds_{nullptr};  // observed on every commit
  std::vector<std::string> registered_;

  mutable std::mutex cursors_mu_;
  std::map<std::string, uint64_t> cursors_;  // name -> seq; mirrored in the store
  // (time, S) of recent checkpoints; S of those older than wal_hold is the hold floor.
  std::deque<std::pair<std::chrono::steady_clock::time_point, uint64_t>> checkpoint_seqs_;
  uint64_t wal_hold_floor_ = 0;  // guarded by cursors_mu_

  // Replaced (copy on write) under tombstones_mu_; readers keep the version they took.
  mutable std::mutex tombstones_mu_;
  std::shared_ptr<const tsdb::Tombstones> tombstones_;

  struct Background;
  std::unique_ptr<Background> bg_;
  std::unique_ptr<boost::asio::thread_pool> read_pool_;  // null: read_threads == 0
  int read_threads_ = 0;
};

}  // namespace andon
