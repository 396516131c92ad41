#include "tsdb/head.h"

#include <algorithm>
#include <bit>
#include <string>

#include "tsdb/head_querier.h"

namespace andon {
namespace {

void AtomicMin(std::atomic<int64_t>& a, int64_t v) {
  int64_t cur = a.load(std::memory_order_relaxed);
  while (v < cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

void AtomicMax(std::atomic<int64_t>& a, int64_t v,
               std::memory_order order = std::memory_order_relaxed) {
  int64_t cur = a.load(std::memory_order_relaxed);
  while (v > cur && !a.compare_exchange_weak(cur, v, order, std::memory_order_relaxed)) {
  }
}

}  // namespace

// Buffers one transaction. Samples are validated against the committed state at Append()
// (so the caller learns about rejects at once) and again at Commit() under the series
// lock (another appender may have moved the series on meanwhile). Commit groups the batch
// by data stripe with a counting sort so that each stripe is locked once and all samples
// of one series become visible together. Buffers are kept across transactions.
class HeadAppender final : public Appender {
 public:
  explicit HeadAppender(Head* head) : head_(head) {}
  ~HeadAppender() override { Clear(); }

  Result<SeriesRef> Append(SeriesRef ref, const Labels& labels, int64_t t, double v) override;
  Status Commit() override;
  void Rollback() override { Clear(); }

 private:
  void Clear() {
    samples_.clear();
    new_series_.clear();
    if (in_transaction_) {
      in_transaction_ = false;
      head_->ExitTransaction();
    }
  }
  // Rejects (and counts) a sample the committed series would refuse.
  Status CheckCommitted(SeriesRef ref, int64_t t, double v, bool* found);
  void GroupByStripe();

  Head* head_;
  std::vector<RefSample> samples_;
  std::vector<uint32_t> order_;
  std::array<uint32_t, Head::kStripes + 1> starts_{};
  std::vector<NewSeries> new_series_;
  bool in_transaction_ = false;
};

Status HeadAppender::CheckCommitted(SeriesRef ref, int64_t t, double v, bool* found) {
  // A sample after the last one (nearly every sample) is checked without the stripe lock:
  // the caller is in a transaction, so Gc's removal step (which waits for open
  // transactions) cannot delete the series meanwhile, and LastTimeUnlocked() is the
  // committed last time at a moment during the call, the verdict a locked read at that
  // moment gives. Commit checks again under the lock. Other samples take the lock.
  const HeadSeries* s = head_->Lookup(ref);
  *found = s != nullptr;
  if (s == nullptr) return Status::Ok();
  if (t > s->LastTimeUnlocked()) {
    s->PrefetchChunks();  // for Commit, which appends to them
    return Status::Ok();
  }
  std::shared_lock lock(head_->DataStripeFor(ref).mu);
  switch (Head::Check(*s, t, v)) {
    case Head::Verdict::kAppend:
    case Head::Verdict::kIgnore:
      return Status::Ok();
    case Head::Verdict::kOutOfOrder:
      head_->out_of_order_.fetch_add(1, std::memory_order_relaxed);
      return Status::InvalidArgument(std::string(kErrOutOfOrderSample));
    case Head::Verdict::kDuplicate:
      head_->duplicates_.fetch_add(1, std::memory_order_relaxed);
      return Status::InvalidArgument(std::string(kErrDuplicateSampleForTimestamp));
  }
  return Status::Ok();
}

Result<SeriesRef> HeadAppender::Append(SeriesRef ref, const Labels& labels, int64_t t, double v) {
  if (t < head_->min_valid_time_.load(std::memory_order_relaxed)) {
    head_->out_of_bounds_.fetch_add(1, std::memory_order_relaxed);
    return Status::InvalidArgument(std::string(kErrOutOfBounds));
  }
  if (!in_transaction_) {
    head_->EnterTransaction();
    in_transaction_ = true;
  }
  bool found = false;
  if (ref != 0) {
    if (Status st = CheckCommitted(ref, t, v, &found); !st.ok()) return st;
  }
  if (!found) {
    if (labels.empty()) {
      return Status::InvalidArgument(ref == 0 ? "empty label set"
                                              : "unknown series ref " + std::to_string(ref));
    }
    Result<SeriesRef> r = head_->GetOrCreate(labels);
    if (!r.ok()) return r;
    ref = *r;
    if (Status st = CheckCommitted(ref, t, v, &found); !st.ok()) return st;
  }
  samples_.push_back(RefSample{ref, t, v});
  return ref;
}

void HeadAppender::GroupByStripe() {
  starts_.fill(0);
  for (const RefSample& s : samples_) ++starts_[Head::StripeOf(s.ref) + 1];
  for (size_t i = 1; i <= Head::kStripes; ++i) starts_[i] += starts_[i - 1];
  order_.resize(samples_.size());
  std::array<uint32_t, Head::kStripes> pos;
  std::copy(starts_.begin(), starts_.end() - 1, pos.begin());
  for (uint32_t i = 0; i < samples_.size(); ++i) {
    order_[pos[Head::StripeOf(samples_[i].ref)]++] = i;
  }
}

Status HeadAppender::Commit() {
  if (samples_.empty()) {
    Clear();
    return Status::Ok();
  }
  GroupByStripe();

  if (head_->options_.wal != nullptr) {
    for (size_t st = 0; st < Head::kStripes; ++st) {
      if (starts_[st] == starts_[st + 1]) continue;
      std::shared_lock lock(head_->data_stripes_[st].mu);
      for (uint32_t k = starts_[st]; k < starts_[st + 1]; ++k) {
        SeriesRef ref = samples_[order_[k]].ref;
        const HeadSeries* s = head_->Lookup(ref);
        if (s != nullptr && !s->logged()) new_series_.push_back(NewSeries{ref, s->labels()});
      }
    }
    if (new_series_.size() > 1) {
      std::sort(new_series_.begin(), new_series_.end(),
                [](const NewSeries& a, const NewSeries& b) { return a.ref < b.ref; });
      new_series_.erase(
          std::unique(new_series_.begin(), new_series_.end(),
                      [](const NewSeries& a, const NewSeries& b) { return a.ref == b.ref; }),
          new_series_.end());
    }
    if (Status st = head_->options_.wal->Log(new_series_, samples_); !st.ok()) {
      Clear();
      return st.WithContext("commit: write-ahead log");
    }
  }

  uint64_t appended = 0, ooo = 0, dup = 0, chunks = 0;
  int64_t mint = std::numeric_limits<int64_t>::max();
  int64_t maxt = std::numeric_limits<int64_t>::min();
  for (size_t st = 0; st < Head::kStripes; ++st) {
    if (starts_[st] == starts_[st + 1]) continue;
    std::unique_lock lock(head_->data_stripes_[st].mu);
    for (uint32_t k = starts_[st]; k < starts_[st + 1]; ++k) {
      const RefSample& rs = samples_[order_[k]];
      HeadSeries* s = head_->Lookup(rs.ref);
      if (s == nullptr) continue;  // garbage collected since Append
      switch (Head::Check(*s, rs.t, rs.v)) {
        case Head::Verdict::kAppend:
          chunks += s->Append(rs.t, rs.v);
          ++appended;
          mint = std::min(mint, rs.t);
          maxt = std::max(maxt, rs.t);
          break;
        case Head::Verdict::kIgnore:
          break;
        case Head::Verdict::kOutOfOrder:
          ++ooo;
          break;
        case Head::Verdict::kDuplicate:
          ++dup;
          break;
      }
      if (!s->logged()) s->set_logged();
    }
  }
  head_->samples_appended_.fetch_add(appended, std::memory_order_relaxed);
  if (chunks != 0) head_->num_chunks_.fetch_add(chunks, std::memory_order_relaxed);
  if (ooo != 0) head_->out_of_order_.fetch_add(ooo, std::memory_order_relaxed);
  if (dup != 0) head_->duplicates_.fetch_add(dup, std::memory_order_relaxed);
  if (appended != 0) head_->NoteTimes(mint, maxt);
  Clear();
  return Status::Ok();
}

Head::Head(HeadOptions options) : options_(options), blocks_(new std::atomic<Block*>[kMaxBlocks]) {
  for (size_t i = 0; i < kMaxBlocks; ++i) blocks_[i].store(nullptr, std::memory_order_relaxed);
}

Head::~Head() {
  for (size_t b = 0; b < kMaxBlocks; ++b) {
    Block* block = blocks_[b].load(std::memory_order_relaxed);
    if (block == nullptr) continue;
    for (auto& slot : block->slots) delete slot.load(std::memory_order_relaxed);
    delete block;
  }
}

void Head::EnterTransaction() {
  std::unique_lock lock(txn_mu_);
  txn_cv_.wait(lock, [&] { return !gc_removing_; });
  ++open_transactions_;
}

void Head::ExitTransaction() {
  std::lock_guard lock(txn_mu_);
  if (--open_transactions_ == 0 && gc_removing_) txn_cv_.notify_all();
}

std::unique_ptr<Appender> Head::NewAppender() { return std::make_unique<HeadAppender>(this); }

std::unique_ptr<Querier> Head::NewQuerier() { return std::make_unique<HeadQuerier>(this); }

HeadSeries* Head::Lookup(SeriesRef ref) const {
  if (ref == 0 || (ref >> kBlockBits) >= kMaxBlocks) return nullptr;
  Block* block = blocks_[ref >> kBlockBits].load(std::memory_order_acquire);
  if (block == nullptr) return nullptr;
  return block->slots[ref & (kBlockSize - 1)].load(std::memory_order_acquire);
}

void Head::EnsureBlock(SeriesRef ref) {
  auto& entry = blocks_[ref >> kBlockBits];
  if (entry.load(std::memory_order_acquire) != nullptr) return;
  std::lock_guard lock(blocks_mu_);
  if (entry.load(std::memory_order_relaxed) == nullptr) {
    entry.store(new Block(), std::memory_order_release);
  }
}

Head::Verdict Head::Check(const HeadSeries& s, int64_t t, double v) {
  if (s.empty()) return Verdict::kAppend;
  Sample last = s.last();
  if (t > last.t) return Verdict::kAppend;
  if (t < last.t) return Verdict::kOutOfOrder;
  return std::bit_cast<uint64_t>(v) == std::bit_cast<uint64_t>(last.v) ? Verdict::kIgnore
                                                                       : Verdict::kDuplicate;
}

void Head::NoteTimes(int64_t mint, int64_t maxt) {
  AtomicMin(min_time_, mint);
  AtomicMax(max_time_, maxt);
}

SeriesRef Head::FindLocked(const MapStripe& ms, uint64_t hash, const Labels& labels) const {
  auto it = ms.by_hash.find(hash);
  if (it == ms.by_hash.end()) return 0;
  if (Lookup(it->second)->labels() == labels) return it->second;
  auto cit = ms.collisions.find(hash);
  if (cit == ms.collisions.end()) return 0;
  for (SeriesRef ref : cit->second) {
    if (Lookup(ref)->labels() == labels) return ref;
  }
  return 0;
}

void Head::InsertLocked(MapStripe& ms, uint64_t hash, SeriesRef ref, HeadSeries* series) {
  EnsureBlock(ref);
  Block* block = blocks_[ref >> kBlockBits].load(std::memory_order_acquire);
  block->slots[ref & (kBlockSize - 1)].store(series, std::memory_order_release);
  index_.Add(ref, series->labels());
  auto [it, inserted] = ms.by_hash.emplace(hash, ref);
  if (!inserted) ms.collisions[hash].push_back(ref);
  num_series_.fetch_add(1, std::memory_order_relaxed);
}

Result<SeriesRef> Head::GetOrCreate(const Labels& labels) {
  uint64_t hash = HashOf(labels);
  MapStripe& ms = map_stripes_[hash & (kStripes - 1)];
  {
    std::shared_lock lock(ms.mu);
    if (SeriesRef ref = FindLocked(ms, hash, labels); ref != 0) return ref;
  }
  std::unique_lock lock(ms.mu);
  if (SeriesRef ref = FindLocked(ms, hash, labels); ref != 0) return ref;
  std::unique_lock<std::mutex> limit_lock;
  if (options_.max_series_per_metric > 0) {
    // Checked before a ref is taken, so refused series use up no refs.
    limit_lock = std::unique_lock(series_limit_mu_);
    std::string_view metric = labels.MetricName();
    if (index_.NumSeriesWith(kMetricNameLabel, metric) >= options_.max_series_per_metric) {
      series_limit_.fetch_add(1, std::memory_order_relaxed);
      return Status::ResourceExhausted(
          std::string(kErrSeriesLimitPerMetric) + " (metric: " + std::string(metric) +
          ", limit: " + std::to_string(options_.max_series_per_metric) +
          ", --storage.tsdb.max-series-per-metric)");
    }
  }
  SeriesRef ref = next_ref_.fetch_add(1, std::memory_order_relaxed);
  if ((ref >> kBlockBits) >= kMaxBlocks) {
    return Status::ResourceExhausted("head: series refs exhausted");
  }
  InsertLocked(ms, hash, ref, new HeadSeries(labels));
  return ref;
}

SeriesRef Head::RefForLabels(const Labels& labels) const {
  uint64_t hash = HashOf(labels);
  const MapStripe& ms = map_stripes_[hash & (kStripes - 1)];
  std::shared_lock lock(ms.mu);
  return FindLocked(ms, hash, labels);
}

Labels Head::LabelsForRef(SeriesRef ref) const {
  std::shared_lock lock(DataStripeFor(ref).mu);
  const HeadSeries* s = Lookup(ref);
  return s == nullptr ? Labels() : s->labels();
}

Status Head::Replay(std::span<const NewSeries> series, std::span<const RefSample> samples) {
  for (const NewSeries& ns : series) {
    if (ns.ref == 0 || (ns.ref >> kBlockBits) >= kMaxBlocks || ns.labels.empty()) {
      return Status::Corruption("replay: invalid series record ref " + std::to_string(ns.ref));
    }
    uint64_t hash = HashOf(ns.labels);
    MapStripe& ms = map_stripes_[hash & (kStripes - 1)];
    std::unique_lock lock(ms.mu);
    SeriesRef existing = FindLocked(ms, hash, ns.labels);
    if (existing == ns.ref) continue;
    if (existing != 0) {
      replay_aliases_[ns.ref] = existing;
      continue;
    }
    {
      std::shared_lock data_lock(DataStripeFor(ns.ref).mu);
      if (const HeadSeries* other = Lookup(ns.ref); other != nullptr) {
        return Status::Corruption("replay: series ref " + std::to_string(ns.ref) +
                                  " recorded for both " + other->labels().ToString() + " and " +
                                  ns.labels.ToString());
      }
    }
    auto* s = new HeadSeries(ns.labels);
    s->set_logged();
    InsertLocked(ms, hash, ns.ref, s);
    uint64_t next = next_ref_.load(std::memory_order_relaxed);
    while (next <= ns.ref &&
           !next_ref_.compare_exchange_weak(next, ns.ref + 1, std::memory_order_relaxed)) {
    }
  }
  uint64_t appended = 0, chunks = 0;
  int64_t mint = std::numeric_limits<int64_t>::max();
  int64_t maxt = std::numeric_limits<int64_t>::min();
  for (const RefSample& rs : samples) {
    SeriesRef ref = rs.ref;
    if (auto it = replay_aliases_.find(ref); it != replay_aliases_.end()) ref = it->second;
    std::unique_lock lock(DataStripeFor(ref).mu);
    HeadSeries* s = Lookup(ref);
    if (s == nullptr) {
      replay_unknown_refs_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    switch (Check(*s, rs.t, rs.v)) {
      case Verdict::kAppend:
        chunks += s->Append(rs.t, rs.v);
        ++appended;
        mint = std::min(mint, rs.t);
        maxt = std::max(maxt, rs.t);
        break;
      case Verdict::kOutOfOrder:
        out_of_order_.fetch_add(1, std::memory_order_relaxed);
        break;
      case Verdict::kDuplicate:
        duplicates_.fetch_add(1, std::memory_order_relaxed);
        break;
      case Verdict::kIgnore:
        break;
    }
  }
  samples_appended_.fetch_add(appended, std::memory_order_relaxed);
  num_chunks_.fetch_add(chunks, std::memory_order_relaxed);
  if (appended != 0) NoteTimes(mint, maxt);
  return Status::Ok();
}

GcResult Head::Gc(int64_t min_time) {
  std::lock_guard gc_lock(gc_mu_);
  GcResult result;
  // The bump precedes the hiding: a reader that sees the new min valid time (acquire in
  // CopySeriesSamples) sees the new epoch.
  release_epoch_.fetch_add(1, std::memory_order_seq_cst);
  AtomicMax(min_valid_time_, min_time, std::memory_order_release);
  const SeriesRef end = next_ref_.load(std::memory_order_acquire);

  // Pass 1: truncate every series and collect the ones left empty.
  std::vector<SeriesRef> dead;
  size_t chunks_dropped = 0;
  int64_t new_min = std::numeric_limits<int64_t>::max();
  for (size_t st = 0; st < kStripes; ++st) {
    std::unique_lock lock(data_stripes_[st].mu);
    for (SeriesRef ref = st == 0 ? kStripes : st; ref < end; ref += kStripes) {
      HeadSeries* s = Lookup(ref);
      if (s == nullptr) continue;
      result.samples_removed += s->TruncateBefore(min_time, &chunks_dropped, options_.persistent);
      if (s->empty()) {
        dead.push_back(ref);
      } else {
        new_min = std::min(new_min, s->FirstTimeFrom(min_time));
      }
    }
  }
  num_chunks_.fetch_sub(chunks_dropped, std::memory_order_relaxed);

  // Pass 2, with no transaction open: a series still empty now belongs to no transaction
  // (created by a rolled-back one, or truncated), so it can go. Unlink it from the map
  // (map stripe, then data stripe), then from the index.
  {
    std::unique_lock lock(txn_mu_);
    txn_cv_.wait(lock, [&] { return !gc_removing_; });
    gc_removing_ = true;
    txn_cv_.wait(lock, [&] { return open_transactions_ == 0; });
  }
  std::vector<SeriesRef> removed_refs;
  std::vector<Labels> removed_labels;
  for (SeriesRef ref : dead) {
    Labels labels = LabelsForRef(ref);
    if (labels.empty()) continue;
    uint64_t hash = HashOf(labels);
    MapStripe& ms = map_stripes_[hash & (kStripes - 1)];
    std::unique_lock map_lock(ms.mu);
    std::unique_lock data_lock(DataStripeFor(ref).mu);
    HeadSeries* s = Lookup(ref);
    if (s == nullptr || !s->empty()) continue;  // revived by a commit meanwhile
    auto it = ms.by_hash.find(hash);
    auto cit = ms.collisions.find(hash);
    if (it != ms.by_hash.end() && it->second == ref) {
      if (cit != ms.collisions.end()) {
        it->second = cit->second.back();
        cit->second.pop_back();
        if (cit->second.empty()) ms.collisions.erase(cit);
      } else {
        ms.by_hash.erase(it);
      }
    } else if (cit != ms.collisions.end()) {
      std::erase(cit->second, ref);
      if (cit->second.empty()) ms.collisions.erase(cit);
    }
    blocks_[ref >> kBlockBits]
        .load(std::memory_order_acquire)
        ->slots[ref & (kBlockSize - 1)]
        .store(nullptr, std::memory_order_release);
    delete s;
    removed_refs.push_back(ref);
    removed_labels.push_back(std::move(labels));
    num_series_.fetch_sub(1, std::memory_order_relaxed);
  }
  {
    std::lock_guard lock(txn_mu_);
    gc_removing_ = false;
  }
  txn_cv_.notify_all();
  index_.Remove(removed_refs, removed_labels);
  result.series_removed = removed_refs.size();

  if (new_min == std::numeric_limits<int64_t>::max()) {
    min_time_.store(std::numeric_limits<int64_t>::max(), std::memory_order_relaxed);
    max_time_.store(std::numeric_limits<int64_t>::min(), std::memory_order_relaxed);
  } else {
    min_time_.store(new_min, std::memory_order_relaxed);
  }
  return result;
}

Status Head::PersistChunks(const ChunkSink& sink, uint64_t* chunks_persisted) {
  std::vector<PendingChunk> pending;
  std::vector<uint8_t> buf;
  uint64_t written = 0;
  for (size_t st = 0; st < kStripes; ++st) {
    pending.clear();
    buf.clear();
    const SeriesRef end = next_ref_.load(std::memory_order_acquire);
    {
      std::shared_lock lock(data_stripes_[st].mu);
      for (SeriesRef ref = st == 0 ? kStripes : st; ref < end; ref += kStripes) {
        const HeadSeries* s = Lookup(ref);
        if (s == nullptr || s->empty()) continue;
        auto add = [&](std::span<const uint8_t> b, int64_t mint, int64_t maxt, uint32_t n,
                       bool sealed) {
          pending.push_back(PendingChunk{ref, mint, maxt, n, sealed, buf.size(), b.size()});
          buf.insert(buf.end(), b.begin(), b.end());
        };
        for (const SealedChunk& c : s->sealed()) add(c.bytes(), c.mint, c.maxt, c.samples, true);
        if (s->open_dirty()) {
          const tsdb::ChunkAppender* o = s->open();
          add(o->bytes(), o->min_time(), o->max_time(), o->num_samples(), false);
        }
      }
    }
    if (pending.empty()) continue;
    if (Status st_sink = sink(pending, buf); !st_sink.ok()) {
      if (chunks_persisted != nullptr) *chunks_persisted = written;
      return st_sink;
    }
    written += pending.size();
    size_t released = 0;
    std::unique_lock lock(data_stripes_[st].mu);
    // Before any release, under the lock: a reader that misses a released chunk sees it.
    release_epoch_.fetch_add(1, std::memory_order_seq_cst);
    for (size_t i = 0; i < pending.size(); ++i) {
      const PendingChunk& p = pending[i];
      HeadSeries* s = Lookup(p.ref);
      if (s == nullptr) continue;
      if (p.sealed) {
        // The last sealed chunk of this series in the batch covers all before it.
        if (i + 1 < pending.size() && pending[i + 1].ref == p.ref && pending[i + 1].sealed) {
          continue;
        }
        released += s->ReleaseSealedThrough(p.mint);
      } else {
        s->MarkOpenPersisted(p.mint, p.samples);
      }
    }
    num_chunks_.fetch_sub(released, std::memory_order_relaxed);
  }
  if (chunks_persisted != nullptr) *chunks_persisted = written;
  return Status::Ok();
}

Status Head::RestoreOpenChunk(SeriesRef ref, std::span<const uint8_t> chunk, int64_t* max_time) {
  std::unique_lock lock(DataStripeFor(ref).mu);
  HeadSeries* s = Lookup(ref);
  if (s == nullptr)
    return Status::NotFound("restore chunk: unknown series ref " + std::to_string(ref));
  if (!s->empty()) {
    return Status::InvalidArgument("restore chunk: series ref " + std::to_string(ref) +
                                   " already has samples");
  }
  tsdb::ChunkIterator it(chunk);
  int64_t mint = std::numeric_limits<int64_t>::max();
  int64_t maxt = std::numeric_limits<int64_t>::min();
  uint64_t chunks = 0;
  while (it.Next()) {
    tsdb::Sample smp = it.At();
    if (!s->empty() && smp.t_ms <= s->max_time()) break;
    chunks += s->Append(smp.t_ms, smp.v);
    mint = std::min(mint, smp.t_ms);
    maxt = smp.t_ms;
  }
  if (!it.status().ok()) {
    return it.status().WithContext("restore chunk of series " + std::to_string(ref));
  }
  if (s->empty()) return Status::Ok();
  s->MarkOpenPersisted(s->open()->min_time(), s->open()->num_samples());
  num_chunks_.fetch_add(chunks, std::memory_order_relaxed);
  NoteTimes(mint, maxt);
  *max_time = maxt;
  return Status::Ok();
}

void Head::ReserveRefs(SeriesRef max_used) {
  uint64_t next = next_ref_.load(std::memory_order_relaxed);
  while (next <= max_used &&
         !next_ref_.compare_exchange_weak(next, max_used + 1, std::memory_order_relaxed)) {
  }
}

bool Head::CopySeriesSamples(SeriesRef ref, int64_t mint, int64_t maxt, std::vector<Sample>* out,
                             int64_t* first_time) const {
  const int64_t valid = min_valid_time_.load(std::memory_order_acquire);
  mint = std::max(mint, valid);
  if (first_time != nullptr) *first_time = std::numeric_limits<int64_t>::max();
  std::shared_lock lock(DataStripeFor(ref).mu);
  const HeadSeries* s = Lookup(ref);
  if (s == nullptr) return false;
  s->CopyRange(mint, maxt, out);
  if (first_time != nullptr && !s->empty()) *first_time = std::max(s->min_time(), valid);
  return true;
}

bool Head::IsLive(SeriesRef ref) const {
  std::shared_lock lock(DataStripeFor(ref).mu);
  return Lookup(ref) != nullptr;
}

int64_t Head::SeriesMinTime(SeriesRef ref) const {
  const int64_t valid = MinValidTime();
  std::shared_lock lock(DataStripeFor(ref).mu);
  const HeadSeries* s = Lookup(ref);
  if (s == nullptr || s->empty() || s->max_time() < valid) {
    return std::numeric_limits<int64_t>::max();
  }
  return s->FirstTimeFrom(valid);
}

bool Head::SeriesHasSamplesIn(SeriesRef ref, int64_t mint, int64_t maxt) const {
  mint = std::max(mint, MinValidTime());
  std::shared_lock lock(DataStripeFor(ref).mu);
  const HeadSeries* s = Lookup(ref);
  return s != nullptr && s->HasSamplesIn(mint, maxt);
}

uint64_t Head::SeriesMemoryBytes() const {
  uint64_t total = 0;
  for (size_t st = 0; st < kStripes; ++st) {
    const SeriesRef end = next_ref_.load(std::memory_order_acquire);
    std::shared_lock lock(data_stripes_[st].mu);
    for (SeriesRef ref = st == 0 ? kStripes : st; ref < end; ref += kStripes) {
      if (const HeadSeries* s = Lookup(ref); s != nullptr) total += s->MemoryBytes();
    }
  }
  return total;
}

HeadStats Head::Stats() const {
  HeadStats s;
  s.num_series = NumSeries();
  s.samples_appended = SamplesAppended();
  s.out_of_order_samples = OutOfOrderSamples();
  s.duplicate_samples = DuplicateSamples();
  s.out_of_bounds_samples = OutOfBoundsSamples();
  s.series_limit_samples = SeriesLimitSamples();
  s.min_time = min_time_.load(std::memory_order_relaxed);
  s.max_time = max_time_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace andon
