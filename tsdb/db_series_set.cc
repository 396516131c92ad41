#include "tsdb/db_series_set.h"

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <limits>

#include "tsdb/chunk.h"

namespace andon::tsdb {
namespace {

constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();

bool InAny(const std::vector<TimeInterval>& intervals, int64_t t) {
  return std::any_of(intervals.begin(), intervals.end(),
                     [t](const TimeInterval& iv) { return iv.mint <= t && t <= iv.maxt; });
}

// Iterates a shared, immutable sample vector.
class SharedSamplesIterator final : public SeriesIterator {
 public:
  explicit SharedSamplesIterator(std::shared_ptr<const std::vector<andon::Sample>> s)
      : s_(std::move(s)) {}
  bool Next() override {
    if (pos_ != kBefore && pos_ >= s_->size()) return false;
    ++pos_;
    return pos_ < s_->size();
  }
  bool Seek(int64_t t) override {
    if (pos_ == kBefore) pos_ = 0;
    if (pos_ >= s_->size()) return false;
    if ((*s_)[pos_].t >= t) return true;
    auto it = std::lower_bound(s_->begin() + static_cast<std::ptrdiff_t>(pos_), s_->end(), t,
                               [](const andon::Sample& a, int64_t x) { return a.t < x; });
    pos_ = static_cast<size_t>(it - s_->begin());
    return pos_ < s_->size();
  }
  andon::Sample At() const override { return (*s_)[pos_]; }
  Status Err() const override { return Status::Ok(); }
  bool ReadAll(std::vector<andon::Sample>* out) override {
    const std::span<const andon::Sample> rest = *TakeAll();
    out->insert(out->end(), rest.begin(), rest.end());
    return true;
  }
  std::optional<std::span<const andon::Sample>> TakeAll() override {
    size_t from = pos_ == kBefore ? 0 : std::min(pos_ + 1, s_->size());
    pos_ = s_->size();
    return std::span<const andon::Sample>(*s_).subspan(from);
  }

 private:
  static constexpr size_t kBefore = static_cast<size_t>(-1);
  std::shared_ptr<const std::vector<andon::Sample>> s_;
  size_t pos_ = kBefore;
};

// Appends the samples in [mint, maxt] of a chunk that lives in RocksDB's memory (memtable or
// block cache). Kept apart so that the ThreadSanitizer suppression for the uninstrumented
// librocksdb (whose memtable publishes entries through atomics TSan does not see) can name
// exactly this function: tests/tsdb/tsan_rocksdb.supp.
Status DecodeRocksDbOwnedChunk(std::string_view b, int64_t mint, int64_t maxt,
                               std::vector<andon::Sample>* out, bool* sorted) {
  ChunkIterator ci(std::span(reinterpret_cast<const uint8_t*>(b.data()), b.size()));
  if (!ci.Seek(mint)) return ci.status();
  if (!out->empty() && ci.At().t_ms <= out->back().t) *sorted = false;
  ci.AppendUpTo(maxt, out);
  return ci.status();
}

}  // namespace

// ---------------------------------------------------------------------------------------
// GroupLoader

// The store iterator, renewed when the head released chunks since it was opened
// (Head::ReleaseEpoch): call after copying from the head, before reading the store.
StoredChunkIterator& GroupLoader::StoreChunks(uint64_t ref, int64_t maxt) {
  const uint64_t epoch = head_->ReleaseEpoch();
  if (!chunks_.has_value()) {
    chunks_.emplace(store_->Chunks(ref, mint_, maxt_));
  } else if (epoch != chunks_epoch_) {
    chunks_->Renew();
  }
  chunks_epoch_ = epoch;
  chunks_->Reset(ref, mint_, maxt);
  return *chunks_;
}

// Appends to out the samples in [mint_, std::min(maxt, maxt_)] of the store's chunks of ref.
Status GroupLoader::LoadStored(const Group& g, uint64_t ref, int64_t maxt,
                               std::vector<andon::Sample>* out, bool* sorted) {
  StoredChunkIterator& it = StoreChunks(ref, maxt);
  maxt = std::min(maxt, maxt_);
  while (it.Next()) {
    if (Status st = DecodeRocksDbOwnedChunk(it.bytes(), mint_, maxt, out, sorted); !st.ok()) {
      return st.WithContext(g.labels.ToString());
    }
  }
  return it.status();
}

Status GroupLoader::Load(const Group& g, std::vector<andon::Sample>* out) {
  out->clear();
  bool sorted = true;
  if (g.head_refs.size() == 1 && g.store_refs.size() == 1 && g.head_refs[0] == g.store_refs[0]) {
    // The common case, one ref in both: the store up to where the head's view begins (the
    // newest persisted chunks are in the head too and are not decoded twice), then the head.
    int64_t head_from;
    head_buf_.clear();
    head_->CopySeriesSamples(g.head_refs[0], mint_, maxt_, &head_buf_, &head_from);
    if (head_from > mint_) {
      const int64_t store_maxt = head_from == kMinTime ? kMinTime : head_from - 1;
      if (Status st = LoadStored(g, g.store_refs[0], store_maxt, out, &sorted); !st.ok()) {
        return st;
      }
    }
    if (!head_buf_.empty() && !out->empty() && head_buf_.front().t <= out->back().t) {
      sorted = false;
    }
    out->insert(out->end(), head_buf_.begin(), head_buf_.end());
  } else {
    // Head first, then the store: a chunk the head released after the copy is in the
    // store iterator (StoreChunks renews it when needed).
    for (SeriesRef ref : g.head_refs) head_->CopySeriesSamples(ref, mint_, maxt_, out);
    if (!g.head_refs.empty()) sorted = false;  // the store's chunks come after
    for (uint64_t ref : g.store_refs) {
      if (Status st = LoadStored(g, ref, maxt_, out, &sorted); !st.ok()) return st;
    }
    if (g.store_refs.size() > 1) sorted = false;
  }
  if (!sorted) {
    std::stable_sort(out->begin(), out->end(),
                     [](const andon::Sample& a, const andon::Sample& b) { return a.t < b.t; });
    out->erase(
        std::unique(out->begin(), out->end(),
                    [](const andon::Sample& a, const andon::Sample& b) { return a.t == b.t; }),
        out->end());
  }
  if (tombstones_ != nullptr && !tombstones_->empty()) RemoveDeleted(g, out);
  return Status::Ok();
}

// A tombstone of any of the group's refs hides the label set's samples in its interval.
void GroupLoader::RemoveDeleted(const Group& g, std::vector<andon::Sample>* out) {
  deleted_.clear();
  for (uint64_t ref : g.store_refs) {
    auto it = tombstones_->find(ref);
    if (it != tombstones_->end()) {
      deleted_.insert(deleted_.end(), it->second.begin(), it->second.end());
    }
  }
  if (deleted_.empty()) return;
  std::erase_if(*out, [&](const andon::Sample& s) { return InAny(deleted_, s.t); });
}

// ---------------------------------------------------------------------------------------
// Read-ahead

// The groups and the batches loaded ahead, shared by the set (the reader) and the pool's
// tasks; a task queued after the set is gone finds `stop` and touches nothing else. Batches
// are claimed in group order into a ring; the reader consumes the ring's front.
struct DbSeriesSet::ReadAhead {
  struct Batch {
    size_t begin = 0, end = 0;  // groups [begin, end)
    bool ready = false;
    size_t samples = 0;  // once ready
    Status status;
    // One per group. The reader drops a vector an iterator still holds before the batch
    // is reused, so the filler owns every vector it writes.
    std::vector<std::shared_ptr<std::vector<andon::Sample>>> series;
  };

  ReadAhead(const Head* head, const RocksDbStore* store,
            std::shared_ptr<const Tombstones> tombstones, std::vector<Group> groups, int64_t mint,
            int64_t maxt, boost::asio::thread_pool* pool, int pool_threads)
      : head(head),
        store(store),
        tombstones(std::move(tombstones)),
        groups(std::move(groups)),
        mint(mint),
        maxt(maxt),
        pool(pool),
        pool_threads(pool_threads) {}

  GroupLoader NewLoader() const { return GroupLoader(head, store, tombstones.get(), mint, maxt); }

  // Under mu: claims the next groups into the ring's next batch; its index, or none when the
  // ring is full, holds kReadAheadMaxSamples already, or every group is claimed. The batch's
  // size aims at kReadAheadBatchSamples from the samples per group loaded so far.
  std::optional<size_t> Claim() {
    if (stop || claimed == groups.size() || count == ring.size()) return std::nullopt;
    if (count > 0 && held_samples >= kReadAheadMaxSamples) return std::nullopt;
    size_t n = 1;
    if (loaded_groups > 0) {
      const size_t per_group = std::max<size_t>(1, loaded_samples / loaded_groups);
      n = std::clamp<size_t>(kReadAheadBatchSamples / per_group, 1, kMaxBatchGroups);
    }
    const size_t slot = (front + count) % ring.size();
    ++count;
    Batch& b = ring[slot];
    b.begin = claimed;
    b.end = std::min(groups.size(), claimed + n);
    b.ready = false;
    claimed = b.end;
    return slot;
  }

  // Without mu: loads a claimed batch, then publishes it.
  void Fill(size_t slot, GroupLoader& loader) {
    Batch& b = ring[slot];
    b.series.resize(b.end - b.begin);
    b.status = Status::Ok();
    size_t samples = 0;
    for (size_t i = b.begin; i < b.end; ++i) {
      std::shared_ptr<std::vector<andon::Sample>>& v = b.series[i - b.begin];
      if (v == nullptr) v = std::make_shared<std::vector<andon::Sample>>();
      if (Status st = loader.Load(groups[i], v.get()); !st.ok()) {
        b.status = std::move(st);
        break;
      }
      samples += v->size();
    }
    std::lock_guard lock(mu);
    b.ready = true;
    loaded_groups += b.end - b.begin;
    loaded_samples += samples;
    b.samples = samples;
    held_samples += samples;
    cv.notify_all();
  }

  // A pool task: fills batches while the ring has room.
  void Work() {
    std::unique_lock lock(mu);
    --queued;
    if (stop) return;
    ++running;
    std::unique_ptr<GroupLoader> loader;
    if (!idle_loaders.empty()) {
      loader = std::move(idle_loaders.back());
      idle_loaders.pop_back();
    } else {
      loader = std::make_unique<GroupLoader>(NewLoader());
    }
    while (std::optional<size_t> slot = Claim()) {
      lock.unlock();
      Fill(*slot, *loader);
      lock.lock();
    }
    idle_loaders.push_back(std::move(loader));
    --running;
    cv.notify_all();
  }

  // Under mu: queues tasks up to the pool's size while there is work for them.
  void Post(const std::shared_ptr<ReadAhead>& self) {
    while (queued + running < pool_threads && claimed < groups.size() && count < ring.size()) {
      ++queued;
      boost::asio::post(*pool, [self] { self->Work(); });
    }
  }

  const Head* head;
  const RocksDbStore* store;
  std::shared_ptr<const Tombstones> tombstones;
  std::vector<Group> groups;
  int64_t mint, maxt;
  boost::asio::thread_pool* pool;
  int pool_threads;

  std::mutex mu;
  std::condition_variable cv;
  std::array<Batch, kReadAheadBatches> ring;
  size_t front = 0, count = 0;  // the claimed batches, oldest first
  bool reading = false;         // the reader is in the front batch
  size_t claimed = 0;           // groups [0, claimed) are in batches
  size_t loaded_groups = 0, loaded_samples = 0;
  size_t held_samples = 0;  // in the ring's loaded batches
  int queued = 0;           // tasks posted and not started
  int running = 0;          // tasks started and not finished
  bool stop = false;
  std::vector<std::unique_ptr<GroupLoader>> idle_loaders;  // of finished tasks
};

// ---------------------------------------------------------------------------------------
// DbSeriesSet

DbSeriesSet::DbSeriesSet(const Head* head, const RocksDbStore* store,
                         std::shared_ptr<const Tombstones> tombstones, std::vector<Group> groups,
                         int64_t mint, int64_t maxt, Status err, boost::asio::thread_pool* pool,
                         int pool_threads)
    : ahead_(std::make_shared<ReadAhead>(head, store, std::move(tombstones), std::move(groups),
                                         mint, maxt, pool, pool == nullptr ? 0 : pool_threads)),
      loader_(ahead_->NewLoader()),
      err_(std::move(err)) {}

DbSeriesSet::~DbSeriesSet() {
  std::unique_lock lock(ahead_->mu);
  ahead_->stop = true;
  ahead_->cv.wait(lock, [&] { return ahead_->running == 0; });
  ahead_->idle_loaders.clear();  // their store iterators must not outlive the store
}

std::unique_ptr<SeriesIterator> DbSeriesSet::Current::Iterator() const {
  return std::make_unique<SharedSamplesIterator>(samples_);
}

bool DbSeriesSet::Next() {
  if (!err_.ok()) return false;
  ReadAhead& a = *ahead_;
  for (;;) {
    if (a.reading) {
      ReadAhead::Batch& b = a.ring[a.front];
      while (next_ < b.end) {
        const size_t i = next_++;
        const std::shared_ptr<std::vector<andon::Sample>>& v = b.series[i - b.begin];
        if (v->empty()) continue;
        current_.samples_ = v;
        current_.labels_ = &a.groups[i].labels;
        return true;
      }
      current_.samples_.reset();
      for (std::shared_ptr<std::vector<andon::Sample>>& v : b.series) {
        if (v.use_count() > 1) v.reset();  // an iterator handed out still reads it
      }
      std::lock_guard lock(a.mu);
      a.held_samples -= b.samples;
      a.front = (a.front + 1) % a.ring.size();
      --a.count;
      a.reading = false;
    }
    if (next_ == a.groups.size()) {
      loader_.reset();  // unpin the store's files as soon as the set is read
      return false;
    }
    std::unique_lock lock(a.mu);
    a.Post(ahead_);
    // While the front batch is not loaded, the reader loads the next unclaimed one itself.
    while (a.count == 0 || !a.ring[a.front].ready) {
      if (std::optional<size_t> slot = a.Claim()) {
        lock.unlock();
        a.Fill(*slot, *loader_);
        lock.lock();
        continue;
      }
      a.cv.wait(lock);
    }
    if (!a.ring[a.front].status.ok()) {
      err_ = a.ring[a.front].status;
      return false;
    }
    a.reading = true;
  }
}

}  // namespace andon::tsdb
