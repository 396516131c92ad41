// tsdb/db_series_set.h
//
// The series set of a Db Select (internal to the tsdb layer): one Group per label set, its
// samples merged from the head and the store by a GroupLoader, handed out in label order.
//
// Loading (chunk decoding, store seeks) is most of a query's cost. Given a read pool, the
// set loads groups ahead of its reader in batches on the pool's threads, so a query's
// decoding runs in parallel with its evaluation and with itself: up to kReadAheadBatches
// batches of about kReadAheadBatchSamples samples each (a batch holds at least one group and
// at most kMaxBatchGroups), and no new batch while those loaded hold kReadAheadMaxSamples
// (16 MiB of samples). The reader decodes a batch itself when none is loaded or being
// loaded for it, so a busy or stopped pool delays nothing. Output is identical with and
// without a pool: same series, same samples, same order.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "common/labels.h"
#include "tsdb/head.h"
#include "tsdb/querier.h"
#include "tsdb/rocksdb_store.h"

namespace andon::tsdb {

// One label set and the refs it had in the head and in the store.
struct Group {
  Labels labels;
  std::vector<SeriesRef> head_refs;
  std::vector<uint64_t> store_refs;
};

// Reads the samples of groups in [mint, maxt]. Holds one store iterator (a RocksDB iterator
// costs far more to create than to seek) and scratch buffers: one loader per thread.
class GroupLoader {
 public:
  GroupLoader(const Head* head, const RocksDbStore* store, const Tombstones* tombstones,
              int64_t mint, int64_t maxt)
      : head_(head), store_(store), tombstones_(tombstones), mint_(mint), maxt_(maxt) {}

  // Replaces *out with the group's samples in time order, without duplicates or deleted ones.
  Status Load(const Group& g, std::vector<andon::Sample>* out);

 private:
  StoredChunkIterator& StoreChunks(uint64_t ref, int64_t maxt);
  Status LoadStored(const Group& g, uint64_t ref, int64_t maxt, std::vector<andon::Sample>* out,
                    bool* sorted);
  void RemoveDeleted(const Group& g, std::vector<andon::Sample>* out);

  const Head* head_;
  const RocksDbStore* store_;
  const Tombstones* tombstones_;  // null: none
  int64_t mint_, maxt_;
  std::vector<TimeInterval> deleted_;    // scratch for RemoveDeleted
  std::vector<andon::Sample> head_buf_;  // scratch for Load
  std::optional<StoredChunkIterator> chunks_;
  uint64_t chunks_epoch_ = 0;
};

inline constexpr size_t kReadAheadBatches = 8;
inline constexpr size_t kReadAheadBatchSamples = 16 * 1024;
inline constexpr size_t kMaxBatchGroups = 64;
inline constexpr size_t kReadAheadMaxSamples = 1024 * 1024;

// A forward-only set over groups (sorted by labels), loaded ahead by up to `pool_threads`
// tasks on `pool`; without a pool the reader loads every batch itself on Next(). Not
// thread-safe (one reader, as every SeriesSet); must not outlive head or store (on
// destruction it waits for the batches being loaded; tasks queued later do nothing).
class DbSeriesSet final : public SeriesSet {
 public:
  DbSeriesSet(const Head* head, const RocksDbStore* store,
              std::shared_ptr<const Tombstones> tombstones, std::vector<Group> groups, int64_t mint,
              int64_t maxt, Status err, boost::asio::thread_pool* pool, int pool_threads);
  ~DbSeriesSet() override;
  DbSeriesSet(const DbSeriesSet&) = delete;
  DbSeriesSet& operator=(const DbSeriesSet&) = delete;

  bool Next() override;
  const Series& At() const override { return current_; }
  Status Err() const override { return err_; }

 private:
  struct Current final : public Series {
    const Labels& labels() const override { return *labels_; }
    std::unique_ptr<SeriesIterator> Iterator() const override;
    const Labels* labels_ = nullptr;
    std::shared_ptr<std::vector<andon::Sample>> samples_;
  };
  struct ReadAhead;  // shared with the pool's tasks

  std::shared_ptr<ReadAhead> ahead_;
  std::optional<GroupLoader> loader_;  // the reader's own, for the batches it loads
  size_t next_ = 0;                    // the next group
  Status err_;
  Current current_;
};

}  // namespace andon::tsdb
