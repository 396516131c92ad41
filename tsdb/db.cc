#include "tsdb/db.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "common/logger.h"
#include "tsdb/chunk.h"
#include "tsdb/db_series_set.h"
#include "tsdb/head_index.h"
#include "tsdb/head_querier.h"

namespace andon {
namespace {

constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

int64_t SatSub(int64_t a, int64_t b) { return a < kMinTime + b ? kMinTime : a - b; }

bool InAny(const std::vector<tsdb::TimeInterval>& intervals, int64_t t) {
  return std::any_of(intervals.begin(), intervals.end(),
                     [t](const tsdb::TimeInterval& iv) { return iv.mint <= t && t <= iv.maxt; });
}

Labels ToLabels(std::span<const tsdb::StoredLabel> stored) {
  LabelsBuilder b;
  for (const tsdb::StoredLabel& l : stored) b.Set(l.name, l.value);
  return b.Build();
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Write path

class Db::Wal final : public HeadWal {
 public:
  explicit Wal(Db* db) : db_(db) {}

  Status Log(std::span<const NewSeries> series, std::span<const RefSample> samples) override {
    thread_local std::vector<tsdb::LabelView> views;
    thread_local std::vector<size_t> counts;
    thread_local std::vector<tsdb::WalSeries> ws;
    thread_local std::vector<tsdb::WalSample> wsamples;
    views.clear();
    counts.clear();
    ws.clear();
    wsamples.clear();
    for (const NewSeries& ns : series) {
      size_t before = views.size();
      for (const Label& l : ns.labels) views.push_back(tsdb::LabelView{l.name, l.value});
      counts.push_back(views.size() - before);
    }
    size_t off = 0;
    for (size_t i = 0; i < series.size(); ++i) {
      ws.push_back(tsdb::WalSeries{series[i].ref, std::span(views).subspan(off, counts[i])});
      off += counts[i];
    }
    if (db_->store_ == nullptr) return Status::Unavailable("tsdb is closed");
    wsamples.reserve(samples.size());
    for (const RefSample& s : samples) wsamples.push_back(tsdb::WalSample{s.ref, s.t, s.v});
    auto start = std::chrono::steady_clock::now();
    Status st = db_->store_->LogBatch(ws, wsamples);
    if (!st.ok()) db_->OnWriteError();
    if (Histogram* h = db_->wal_write_seconds_.load(std::memory_order_acquire)) {
      h->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return st;
  }

 private:
  Db* db_;
};

class Db::DbAppender final : public Appender {
 public:
  DbAppender(Db* db, std::unique_ptr<Appender> inner) : db_(db), inner_(std::move(inner)) {}
  Result<SeriesRef> Append(SeriesRef ref, const Labels& labels, int64_t t_ms, double v) override {
    return inner_->Append(ref, labels, t_ms, v);
  }
  Status Commit() override {
    std::shared_lock lock(db_->commit_mu_);
    return inner_->Commit();
  }
  void Rollback() override { inner_->Rollback(); }

 private:
  Db* db_;
  std::unique_ptr<Appender> inner_;
};

// ---------------------------------------------------------------------------------------
// Read path

using tsdb::Group;

class Db::DbQuerier final : public Querier {
 public:
  DbQuerier(Db* db, int64_t mint, int64_t maxt) : db_(db), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<SeriesSet> Select(std::span<const LabelMatcher> matchers, int64_t mint,
                                    int64_t maxt) override;
  Result<std::vector<std::string>> LabelNames(std::span<const LabelMatcher> matchers) override;
  Result<std::vector<std::string>> LabelValues(std::string_view name,
                                               std::span<const LabelMatcher> matchers) override;

 private:
  // Groups (sorted by labels) of the series matching all matchers: head series, then the
  // store's series with chunks in [mint, maxt].
  Result<std::vector<Group>> Groups(std::span<const LabelMatcher> matchers, int64_t mint,
                                    int64_t maxt) const;
  Result<std::vector<uint64_t>> StoreRefs(std::span<const LabelMatcher> matchers, int64_t mint,
                                          int64_t maxt) const;
  // Whether the head holds samples in [mint, maxt]: a head outside the range adds no series,
  // names or values (as a Prometheus block outside the query range).
  bool HeadOverlaps(int64_t mint, int64_t maxt) const;

  friend class Db;  // DeleteSeries selects through Groups
  Db* db_;
  int64_t mint_, maxt_;
};

Result<std::vector<uint64_t>> Db::DbQuerier::StoreRefs(std::span<const LabelMatcher> matchers,
                                                       int64_t mint, int64_t maxt) const {
  const tsdb::RocksDbStore& store = *db_->store_;
  std::optional<Postings> acc;
  for (const LabelMatcher& m : matchers) {
    if (m.MatchesEmpty()) continue;
    Result<std::vector<uint64_t>> refs =
        m.type() == LabelMatcher::Type::kEqual
            ? store.RefsForLabel(m.name(), m.value(), mint, maxt)
            : store.RefsMatching(
                  m.name(), [&](std::string_view v) { return m.Matches(v); }, mint, maxt);
    if (!refs.ok()) return refs.status();
    acc = acc ? IntersectPostings(*acc, *refs) : std::move(*refs);
    if (acc->empty()) return std::vector<uint64_t>();
  }
  if (!acc) {
    Result<std::vector<uint64_t>> all = store.AllRefsInRange(mint, maxt);
    if (!all.ok()) return all.status();
    acc = std::move(*all);
  }
  for (const LabelMatcher& m : matchers) {
    if (!m.MatchesEmpty()) continue;
    Result<std::vector<uint64_t>> bad = store.RefsMatching(
        m.name(), [&](std::string_view v) { return !m.Matches(v); }, mint, maxt);
    if (!bad.ok()) return bad.status();
    acc = SubtractPostings(*acc, *bad);
  }
  return std::move(*acc);
}

Result<std::vector<Group>> Db::DbQuerier::Groups(std::span<const LabelMatcher> matchers,
                                                 int64_t mint, int64_t maxt) const {
  std::map<Labels, Group> by_labels;
  Postings head_refs;
  if (HeadOverlaps(mint, maxt)) head_refs = db_->head_->index().Select(matchers);
  std::vector<SeriesRef> grouped;  // head refs with a group, sorted (postings are)
  grouped.reserve(head_refs.size());
  for (SeriesRef ref : head_refs) {
    Labels l = db_->head_->LabelsForRef(ref);
    if (l.empty()) continue;
    auto [it, inserted] = by_labels.try_emplace(std::move(l));
    Group& g = it->second;
    if (inserted) g.labels = it->first;
    g.head_refs.push_back(ref);
    g.store_refs.push_back(ref);  // its older chunks may be persisted
    grouped.push_back(ref);
  }
  Result<std::vector<uint64_t>> refs = StoreRefs(matchers, mint, maxt);
  if (!refs.ok()) return refs.status();
  for (uint64_t ref : *refs) {
    // A head ref is in its group's store_refs already: no need to read its labels.
    if (std::binary_search(grouped.begin(), grouped.end(), ref)) continue;
    Result<std::vector<tsdb::StoredLabel>> stored = db_->store_->ReadSeries(ref);
    if (!stored.ok()) {
      if (stored.status().code() == Status::Code::kNotFound) continue;  // swept meanwhile
      return stored.status();
    }
    Labels l = ToLabels(*stored);
    Group& g = by_labels[l];
    if (g.labels.empty()) g.labels = l;
    if (std::find(g.store_refs.begin(), g.store_refs.end(), ref) == g.store_refs.end()) {
      g.store_refs.push_back(ref);
    }
  }
  std::vector<Group> out;
  out.reserve(by_labels.size());
  for (auto& [labels, g] : by_labels) out.push_back(std::move(g));
  return out;
}

std::unique_ptr<SeriesSet> Db::DbQuerier::Select(std::span<const LabelMatcher> matchers,
                                                 int64_t mint, int64_t maxt) {
  Result<std::vector<Group>> groups = Groups(matchers, mint, maxt);
  Status err = groups.status();
  return std::make_unique<tsdb::DbSeriesSet>(
      db_->head_.get(), db_->store_.get(), db_->CurrentTombstones(),
      groups.ok() ? std::move(*groups) : std::vector<Group>(), mint, maxt, std::move(err),
      db_->read_pool_.get(), db_->read_threads_);
}

bool Db::DbQuerier::HeadOverlaps(int64_t mint, int64_t maxt) const {
  HeadStats s = db_->head_->Stats();
  return s.min_time <= maxt && s.max_time >= mint;
}

Result<std::vector<std::string>> Db::DbQuerier::LabelNames(std::span<const LabelMatcher> matchers) {
  std::set<std::string, std::less<>> names;
  if (matchers.empty()) {
    if (HeadOverlaps(mint_, maxt_)) {
      for (std::string& n : db_->head_->index().LabelNames()) names.insert(std::move(n));
    }
    Result<std::vector<std::string>> stored = db_->store_->LabelNamesInRange(mint_, maxt_);
    if (!stored.ok()) return stored.status();
    for (std::string& n : *stored) names.insert(std::move(n));
  } else {
    Result<std::vector<Group>> groups = Groups(matchers, mint_, maxt_);
    if (!groups.ok()) return groups.status();
    for (const Group& g : *groups) {
      for (const Label& l : g.labels) {
        if (names.find(l.name) == names.end()) names.emplace(l.name);
      }
    }
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<std::string>> Db::DbQuerier::LabelValues(
    std::string_view name, std::span<const LabelMatcher> matchers) {
  std::set<std::string, std::less<>> values;
  if (matchers.empty()) {
    if (HeadOverlaps(mint_, maxt_)) {
      for (std::string& v : db_->head_->index().LabelValues(name)) values.insert(std::move(v));
    }
    Result<std::vector<std::string>> stored = db_->store_->LabelValuesInRange(name, mint_, maxt_);
    if (!stored.ok()) return stored.status();
    for (std::string& v : *stored) values.insert(std::move(v));
  } else {
    Result<std::vector<Group>> groups = Groups(matchers, mint_, maxt_);
    if (!groups.ok()) return groups.status();
    for (const Group& g : *groups) {
      std::string_view v = g.labels.Get(name);
      if (!v.empty() && values.find(v) == values.end()) values.emplace(v);
    }
  }
  return std::vector<std::string>(values.begin(), values.end());
}

// ---------------------------------------------------------------------------------------
// Lifecycle

struct Db::Background {
  boost::asio::io_context io;
  boost::asio::steady_timer tick{io};
  boost::asio::steady_timer resume{io};
  bool stopping = false;  // touched only on the io thread
  bool resume_pending = false;
  std::thread thread;
};

Db::Db(const DbOptions& options) : options_(options) {}

Db::~Db() {
  if (Status st = Close(); !st.ok()) LogError("tsdb", "close failed", {{"err", st.message()}});
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& dir, const DbOptions& options) {
  std::unique_ptr<Db> db(new Db(options));
  db->closed_.store(true);  // until open: a failed Open never checkpoints a partial head
  Result<std::unique_ptr<tsdb::RocksDbStore>> store = tsdb::RocksDbStore::Open(dir, options.store);
  if (!store.ok()) return store.status();
  db->store_ = std::move(*store);
  db->wal_ = std::make_unique<Wal>(db.get());
  HeadOptions ho;
  ho.wal = db->wal_.get();
  ho.persistent = true;
  ho.max_series_per_metric = options.max_series_per_metric;
  db->head_ = std::make_unique<Head>(ho);
  if (Status st = db->Recover(); !st.ok()) return st.WithContext("tsdb " + dir + ": recovery");
  Result<std::map<std::string, uint64_t>> cursors = db->store_->WalCursors();
  if (!cursors.ok()) return cursors.status();
  db->cursors_ = std::move(*cursors);
  db->closed_.store(false);
  if (options.metrics != nullptr) {
    if (Status st = db->RegisterMetrics(); !st.ok()) {
      LogWarn("tsdb", "cannot register metrics", {{"err", st.message()}});
    }
  }
  if (options.background) db->StartBackground();
  db->read_threads_ = options.read_threads >= 0
                          ? options.read_threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) - 1;
  if (db->read_threads_ > 0) {
    db->read_pool_ = std::make_unique<boost::asio::thread_pool>(db->read_threads_);
  }
  return db;
}

Status Db::Recover() {
  std::vector<NewSeries> all;
  std::vector<RefSample> wal;
  LabelsBuilder b;
  Result<tsdb::ReplayStats> rs = store_->Replay(
      [&](uint64_t ref, std::span<const tsdb::LabelView> labels) {
        b.Clear();
        for (const tsdb::LabelView& l : labels) b.Set(l.name, l.value);
        all.push_back(NewSeries{ref, b.Build()});
        return Status::Ok();
      },
      [&](uint64_t, std::span<const tsdb::WalSample> samples) {
        for (const tsdb::WalSample& s : samples) wal.push_back(RefSample{s.ref, s.t_ms, s.v});
        return Status::Ok();
      });
  if (!rs.ok()) return rs.status();
  if (rs->corrupt_records != 0) {
    LogWarn("tsdb", "skipped corrupt WAL records",
            {{"dir", store_->dir()}, {"count", std::to_string(rs->corrupt_records)}});
  }
  Result<uint64_t> max_ref = store_->MaxSeriesRef();
  if (!max_ref.ok()) return max_ref.status();
  head_->ReserveRefs(*max_ref);
  std::sort(all.begin(), all.end(),
            [](const NewSeries& a, const NewSeries& c) { return a.ref < c.ref; });

  // Series that belong in the head: chunks in the recent window or samples in the WAL.
  int64_t newest = kMinTime;
  for (const tsdb::PartitionInfo& p : store_->Partitions()) newest = std::max(newest, p.max_t_ms);
  for (const RefSample& s : wal) newest = std::max(newest, s.t);
  const int64_t from = SatSub(SatSub(newest, options_.head_keep_ms), tsdb::kMaxChunkDurationMs);
  std::vector<uint64_t> needed;
  if (newest != kMinTime) {
    Result<std::vector<uint64_t>> recent = store_->AllRefsInRange(from, kMaxTime);
    if (!recent.ok()) return recent.status();
    needed = std::move(*recent);
  }
  for (const RefSample& s : wal) needed.push_back(s.ref);
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  std::vector<NewSeries> create;
  create.reserve(needed.size());
  for (size_t i = 0, j = 0; i < all.size() && j < needed.size();) {
    if (all[i].ref < needed[j]) {
      ++i;
    } else if (all[i].ref > needed[j]) {
      ++j;
    } else {
      create.push_back(std::move(all[i]));
      ++i;
      ++j;
    }
  }
  all.clear();
  all.shrink_to_fit();
  if (Status st = head_->Replay(create, {}); !st.ok()) return st;

  // Each series' latest persisted chunk becomes its open chunk again.
  std::unordered_map<SeriesRef, int64_t> restored;
  std::string last;
  for (const NewSeries& ns : create) {
    tsdb::StoredChunkIterator it = store_->Chunks(ns.ref, from, kMaxTime);
    bool have = false;
    while (it.Next()) {
      last.assign(it.bytes());
      have = true;
    }
    if (!it.status().ok()) return it.status();
    if (!have) continue;
    int64_t maxt = kMinTime;
    Status st = head_->RestoreOpenChunk(
        ns.ref, std::span(reinterpret_cast<const uint8_t*>(last.data()), last.size()), &maxt);
    if (!st.ok()) {
      LogWarn("tsdb", "cannot restore open chunk", {{"err", st.message()}});
      continue;
    }
    if (maxt != kMinTime) restored.emplace(ns.ref, maxt);
  }
  // WAL samples up to a restored chunk's end are in it already.
  std::erase_if(wal, [&](const RefSample& s) {
    auto it = restored.find(s.ref);
    return it != restored.end() && s.t <= it->second;
  });
  if (Status st = head_->Replay({}, wal); !st.ok()) return st;
  Result<tsdb::Tombstones> tombstones = store_->ReadTombstones();
  if (!tombstones.ok()) return tombstones.status();
  if (!tombstones->empty()) {
    tombstones_ = std::make_shared<const tsdb::Tombstones>(std::move(*tombstones));
  }
  wal_truncated_upto_.store(0);
  LogInfo("tsdb", "recovered",
          {{"dir", store_->dir()},
           {"head_series", std::to_string(head_->NumSeries())},
           {"wal_samples", std::to_string(rs->samples)},
           {"restored_chunks", std::to_string(restored.size())}});
  return Status::Ok();
}

std::unique_ptr<Appender> Db::NewAppender() {
  return std::make_unique<DbAppender>(this, head_->NewAppender());
}

std::unique_ptr<Querier> Db::NewQuerier(int64_t mint, int64_t maxt) {
  return std::make_unique<DbQuerier>(this, mint, maxt);
}

Status Db::Checkpoint() {
  std::lock_guard lock(maintain_mu_);
  return CheckpointLocked();
}

Status Db::CheckpointLocked() {
  auto start = std::chrono::steady_clock::now();
  const uint64_t last = VisibleWalSeq();
  uint64_t upto = last;
  {
    // Lagging WAL cursors hold records back, but not those older than wal_hold.
    std::lock_guard cursors_lock(cursors_mu_);
    const auto now = std::chrono::steady_clock::now();
    while (!checkpoint_seqs_.empty() && checkpoint_seqs_.front().first <= now - options_.wal_hold) {
      wal_hold_floor_ = std::max(wal_hold_floor_, checkpoint_seqs_.front().second);
      checkpoint_seqs_.pop_front();
    }
    for (const auto& [name, seq] : cursors_) upto = std::min(upto, std::max(seq, wal_hold_floor_));
    checkpoint_seqs_.emplace_back(now, last);
  }
  Status st = head_->PersistChunks(
      [&](std::span<const PendingChunk> chunks, std::span<const uint8_t> bytes) {
        for (const PendingChunk& c : chunks) {
          std::string_view b(reinterpret_cast<const char*>(bytes.data()) + c.offset, c.size);
          if (Status p = store_->PutChunk(c.ref, c.mint, c.maxt, b); !p.ok()) return p;
        }
        return Status::Ok();
      });
  if (st.ok() && upto > wal_truncated_upto_.load()) {
    st = store_->TruncateWal(upto);
    if (st.ok()) {
      wal_truncated_upto_.store(upto);
      wal_truncations_.fetch_add(1);
    }
  }
  if (!st.ok()) {
    OnWriteError();
    return st.WithContext("tsdb checkpoint");
  }
  checkpoints_.fetch_add(1);
  if (checkpoint_seconds_ != nullptr) {
    checkpoint_seconds_->WithLabels().Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------
// Deletion and snapshots

namespace {

// Adds iv to the sorted, disjoint intervals in *v, merging overlapping and adjacent ones.
void AddInterval(std::vector<tsdb::TimeInterval>* v, tsdb::TimeInterval iv) {
  v->push_back(iv);
  std::sort(v->begin(), v->end(), [](const tsdb::TimeInterval& a, const tsdb::TimeInterval& b) {
    return a.mint < b.mint;
  });
  std::vector<tsdb::TimeInterval> out;
  for (const tsdb::TimeInterval& x : *v) {
    if (!out.empty() && (out.back().maxt == kMaxTime || x.mint <= out.back().maxt + 1)) {
      out.back().maxt = std::max(out.back().maxt, x.maxt);
    } else {
      out.push_back(x);
    }
  }
  *v = std::move(out);
}

}  // namespace

std::shared_ptr<const tsdb::Tombstones> Db::CurrentTombstones() const {
  std::lock_guard lock(tombstones_mu_);
  return tombstones_;
}

Result<uint64_t> Db::DeleteSeries(std::span<const LabelMatcher> matchers, int64_t mint,
                                  int64_t maxt) {
  maxt = std::min(maxt, NewestSampleTime());
  if (mint > maxt) return uint64_t{0};
  DbQuerier querier(this, mint, maxt);
  Result<std::vector<Group>> groups = querier.Groups(matchers, mint, maxt);
  if (!groups.ok()) return groups.status().WithContext("delete series");

  std::lock_guard lock(tombstones_mu_);
  auto next = tombstones_ ? std::make_shared<tsdb::Tombstones>(*tombstones_)
                          : std::make_shared<tsdb::Tombstones>();
  tsdb::Tombstones changed;
  for (const Group& g : *groups) {
    for (uint64_t ref : g.store_refs) {
      std::vector<tsdb::TimeInterval>& intervals = (*next)[ref];
      AddInterval(&intervals, {mint, maxt});
      changed[ref] = intervals;
    }
  }
  if (Status st = store_->PutTombstones(changed); !st.ok()) return st.WithContext("delete series");
  tombstones_ = std::move(next);
  return static_cast<uint64_t>(groups->size());
}

Status Db::CleanTombstones() {
  std::lock_guard lock(maintain_mu_);  // no checkpoint persists head chunks meanwhile
  if (Status st = CheckpointLocked(); !st.ok()) return st;
  std::shared_ptr<const tsdb::Tombstones> current = CurrentTombstones();
  if (current == nullptr || current->empty()) return Status::Ok();

  tsdb::Tombstones remaining;
  std::vector<tsdb::Sample> kept;
  for (const auto& [ref, intervals] : *current) {
    // Stored chunks from the head's first in-memory sample on are the open chunk's copy,
    // re-put by every checkpoint: leave them to the tombstone.
    const int64_t head_from = head_->SeriesMinTime(ref);

    std::map<int64_t, std::string> chunks;  // mint -> bytes, of chunks under a tombstone
    for (const tsdb::TimeInterval& iv : intervals) {
      tsdb::StoredChunkIterator it = store_->Chunks(ref, iv.mint, iv.maxt);
      while (it.Next()) {
        if (it.mint() < head_from) chunks.emplace(it.mint(), std::string(it.bytes()));
      }
      if (!it.status().ok()) return it.status().WithContext("clean tombstones");
    }
    for (const auto& [mint, bytes] : chunks) {
      kept.clear();
      bool removed = false;
      tsdb::ChunkIterator ci(
          std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
      while (ci.Next()) {
        if (InAny(intervals, ci.At().t_ms)) {
          removed = true;
        } else {
          kept.push_back(ci.At());
        }
      }
      if (!ci.status().ok()) {
        return ci.status().WithContext(fmt::format("clean tombstones: series {}", ref));
      }
      if (!removed) continue;
      Status st;
      if (!kept.empty()) {
        tsdb::ChunkAppender app;
        for (const tsdb::Sample& s : kept) {
          if (st = app.Append(s.t_ms, s.v); !st.ok()) break;
        }
        std::string_view b(reinterpret_cast<const char*>(app.bytes().data()), app.bytes().size());
        if (st.ok()) st = store_->PutChunk(ref, kept.front().t_ms, kept.back().t_ms, b);
      }
      // The rewritten chunk, if any, is in place before the old key goes (postings stay).
      if (st.ok() && (kept.empty() || kept.front().t_ms != mint)) {
        st = store_->DeleteChunk(ref, mint);
      }
      if (!st.ok()) return st.WithContext("clean tombstones");
    }
    std::vector<tsdb::TimeInterval> still;
    for (const tsdb::TimeInterval& iv : intervals) {
      if (head_->SeriesHasSamplesIn(ref, iv.mint, iv.maxt)) still.push_back(iv);
    }
    if (still != intervals) remaining[ref] = std::move(still);
  }

  std::lock_guard tomb_lock(tombstones_mu_);
  // DeleteSeries calls since `current` was taken added intervals; keep those.
  auto next = std::make_shared<tsdb::Tombstones>(*tombstones_);
  std::erase_if(remaining, [&](const auto& entry) {
    return tombstones_->at(entry.first) != current->at(entry.first);  // grown: clean next time
  });
  for (const auto& [ref, still] : remaining) {
    if (still.empty()) {
      next->erase(ref);
    } else {
      (*next)[ref] = still;
    }
  }
  if (Status st = store_->PutTombstones(remaining); !st.ok()) {
    return st.WithContext("clean tombstones");
  }
  tombstones_ = std::move(next);
  return Status::Ok();
}

Status Db::Snapshot(const std::string& dir, bool skip_head) {
  if (!skip_head) {
    if (Status st = Checkpoint(); !st.ok()) return st.WithContext("snapshot");
  }
  return store_->Snapshot(dir);
}

uint64_t Db::VisibleWalSeq() {
  std::unique_lock commit_lock(commit_mu_);  // no batch is between log and apply
  return store_->LastWalSeq();
}

Result<uint64_t> Db::ReadWal(uint64_t from_seq, uint64_t upto_seq, size_t max_samples,
                             const tsdb::RocksDbStore::SamplesCallback& on_samples) const {
  return store_->ReadWal(from_seq, upto_seq, max_samples, on_samples);
}

Result<Labels> Db::SeriesLabels(uint64_t ref) const {
  Result<std::vector<tsdb::StoredLabel>> stored = store_->ReadSeries(ref);
  if (!stored.ok()) return stored.status();
  LabelsBuilder b;
  for (const tsdb::StoredLabel& l : *stored) b.Set(l.name, l.value);
  return b.Build();
}

Result<uint64_t> Db::OpenWalCursor(const std::string& name) {
  std::lock_guard lock(cursors_mu_);
  if (auto it = cursors_.find(name); it != cursors_.end()) return it->second;
  const uint64_t seq = VisibleWalSeq();
  if (Status st = store_->PutWalCursor(name, seq); !st.ok()) return st;
  cursors_.emplace(name, seq);
  return seq;
}

Status Db::AdvanceWalCursor(const std::string& name, uint64_t seq) {
  std::lock_guard lock(cursors_mu_);
  auto it = cursors_.find(name);
  if (it == cursors_.end()) return Status::NotFound("no WAL cursor " + name);
  if (seq <= it->second) return Status::Ok();
  if (Status st = store_->PutWalCursor(name, seq); !st.ok()) return st;
  it->second = seq;
  return Status::Ok();
}

Status Db::RemoveWalCursor(const std::string& name) {
  std::lock_guard lock(cursors_mu_);
  if (cursors_.erase(name) == 0) return Status::Ok();
  return store_->DeleteWalCursor(name);
}

std::vector<std::string> Db::WalCursorNames() const {
  std::lock_guard lock(cursors_mu_);
  std::vector<std::string> names;
  for (const auto& [name, seq] : cursors_) names.push_back(name);
  return names;
}

int64_t Db::NewestSampleTime() const {
  int64_t newest = head_->Stats().max_time;
  for (const tsdb::PartitionInfo& p : store_->Partitions()) newest = std::max(newest, p.max_t_ms);
  return newest;
}

Status Db::Maintain() {
  if (write_failed_.load()) {
    if (Status st = store_->Resume(); !st.ok()) return st.WithContext("tsdb resume");
    write_failed_.store(false);
  }
  if (Status st = Checkpoint(); !st.ok()) return st;
  std::lock_guard lock(maintain_mu_);
  const int64_t newest = NewestSampleTime();
  if (newest != kMinTime) {
    // Every chunk of a series leaving the head was persisted by the checkpoint above.
    head_->Gc(SatSub(newest, options_.head_keep_ms));
    Result<int> dropped = store_->DropBefore(SatSub(newest, options_.retention_ms));
    if (!dropped.ok()) return dropped.status().WithContext("tsdb retention");
    partitions_dropped_.fetch_add(static_cast<uint64_t>(*dropped));
  }
  if (options_.retention_bytes != 0) {
    Result<int> dropped = store_->EnforceSizeLimit(options_.retention_bytes);
    if (!dropped.ok()) return dropped.status().WithContext("tsdb size retention");
    partitions_dropped_.fetch_add(static_cast<uint64_t>(*dropped));
  }
  Result<uint64_t> swept = store_->SweepSeries([&](uint64_t ref) { return head_->IsLive(ref); });
  if (!swept.ok()) return swept.status().WithContext("tsdb series sweep");
  return Status::Ok();
}

void Db::OnWriteError() {
  if (write_failed_.exchange(true) || bg_ == nullptr) return;
  boost::asio::post(bg_->io, [this] {
    if (bg_->stopping || bg_->resume_pending) return;
    bg_->resume_pending = true;
    ScheduleResume(std::chrono::milliseconds(0));
  });
}

void Db::ScheduleResume(std::chrono::milliseconds delay) {
  bg_->resume.expires_after(delay);
  bg_->resume.async_wait([this](const boost::system::error_code& ec) {
    if (ec || bg_->stopping) {
      bg_->resume_pending = false;
      return;
    }
    if (store_->Resume().ok()) {
      write_failed_.store(false);
      bg_->resume_pending = false;
      LogInfo("tsdb", "store writable again", {{"dir", store_->dir()}});
      return;
    }
    ScheduleResume(std::chrono::seconds(1));
  });
}

void Db::StartBackground() {
  bg_ = std::make_unique<Background>();
  ScheduleTick(options_.checkpoint_interval);
  bg_->thread = std::thread([this] { bg_->io.run(); });
}

void Db::ScheduleTick(std::chrono::milliseconds delay) {
  bg_->tick.expires_after(delay);
  bg_->tick.async_wait([this](const boost::system::error_code& ec) {
    if (ec || bg_->stopping) return;
    if (Status st = Maintain(); !st.ok()) {
      LogWarn("tsdb", "background maintenance failed", {{"err", st.message()}});
    }
    ScheduleTick(options_.checkpoint_interval);
  });
}

Status Db::Close() {
  if (closed_.exchange(true)) return Status::Ok();
  if (bg_ != nullptr) {
    boost::asio::post(bg_->io, [this] {
      bg_->stopping = true;
      bg_->tick.cancel();
      bg_->resume.cancel();
    });
    bg_->thread.join();
    std::unique_lock lock(commit_mu_);  // OnWriteError() reads bg_ under it, shared
    bg_.reset();
  }
  if (read_pool_ != nullptr) read_pool_->join();  // no Querier is left (see the contract)
  UnregisterMetrics();
  Status st = Status::Ok();
  if (write_failed_.load()) st = store_->Resume();
  if (st.ok()) st = Checkpoint();
  if (st.ok()) st = store_->Flush();
  // The head stays until the destructor (appenders may still point at it); the store goes
  // now, which releases the data dir. Commits from here on fail.
  std::unique_lock lock(commit_mu_);
  store_.reset();
  return st;
}

DbStats Db::Stats() const {
  DbStats s;
  s.head = head_->Stats();
  s.head_chunks = head_->NumChunks();
  s.min_time = s.head.min_time;
  s.max_time = s.head.max_time;
  std::vector<tsdb::PartitionInfo> parts = store_->Partitions();
  s.stored_partitions = parts.size();
  for (const tsdb::PartitionInfo& p : parts) {
    s.min_time = std::min(s.min_time, p.partition * store_->partition_width_ms());
    s.max_time = std::max(s.max_time, p.max_t_ms);
  }
  if (Result<uint64_t> bytes = store_->DiskBytes(); bytes.ok()) s.disk_bytes = *bytes;
  s.wal_seq = store_->LastWalSeq();
  s.wal_truncated_upto = wal_truncated_upto_.load();
  s.checkpoints = checkpoints_.load();
  s.wal_truncations = wal_truncations_.load();
  s.retention_partitions_dropped = partitions_dropped_.load();
  s.cardinality = head_->Cardinality(10);
  return s;
}

Status Db::RegisterMetrics() {
  MetricsRegistry& r = *options_.metrics;
  auto gauge = [&](std::string_view name, std::string_view help, std::function<double()> fn) {
    Status st = r.RegisterCallbackGauge(name, help, std::move(fn));
    if (st.ok()) registered_.emplace_back(name);
    return st;
  };
  auto counter = [&](std::string_view name, std::string_view help, std::function<double()> fn) {
    Status st = r.RegisterCallbackCounter(name, help, std::move(fn));
    if (st.ok()) registered_.emplace_back(name);
    return st;
  };
  Head* h = head_.get();
  tsdb::RocksDbStore* store = store_.get();
  Status st = Status::Ok();
  auto keep = [&](Status s) {
    if (st.ok() && !s.ok()) st = s;
  };
  keep(gauge("andon_tsdb_head_series", "Series in the head.",
             [h] { return static_cast<double>(h->NumSeries()); }));
  keep(gauge("andon_tsdb_head_chunks", "Chunks held in memory by the head.",
             [h] { return static_cast<double>(h->NumChunks()); }));
  keep(gauge("andon_tsdb_head_series_memory_bytes",
             "Heap bytes of the head's series and their in-memory chunks (labels and index "
             "not counted).",
             [h] { return static_cast<double>(h->SeriesMemoryBytes()); }));
  keep(gauge("andon_tsdb_rocksdb_memtable_bytes",
             "Bytes of RocksDB memtables (active, unflushed and pinned) over all column "
             "families.",
             [store] { return static_cast<double>(store->MemoryUsage().memtables); }));
  keep(gauge("andon_tsdb_rocksdb_block_cache_bytes",
             "Bytes charged to RocksDB's block cache (data, index and filter blocks).",
             [store] { return static_cast<double>(store->MemoryUsage().block_cache); }));
  keep(gauge("andon_tsdb_rocksdb_table_readers_bytes",
             "Bytes RocksDB's open table readers hold outside the block cache.",
             [store] { return static_cast<double>(store->MemoryUsage().table_readers); }));
  keep(counter("andon_tsdb_head_samples_appended_total", "Samples appended to the head.",
               [h] { return static_cast<double>(h->SamplesAppended()); }));
  keep(counter("andon_tsdb_out_of_order_samples_total", "Samples rejected as out of order.",
               [h] { return static_cast<double>(h->OutOfOrderSamples()); }));
  keep(counter("andon_tsdb_duplicate_samples_total",
               "Samples rejected for a duplicate timestamp with another value.",
               [h] { return static_cast<double>(h->DuplicateSamples()); }));
  keep(counter("andon_tsdb_out_of_bounds_samples_total",
               "Samples rejected as older than the head accepts.",
               [h] { return static_cast<double>(h->OutOfBoundsSamples()); }));
  keep(counter("andon_tsdb_series_limit_samples_total",
               "Samples refused because their new series would pass "
               "--storage.tsdb.max-series-per-metric.",
               [h] { return static_cast<double>(h->SeriesLimitSamples()); }));
  keep(counter("andon_tsdb_wal_truncations_total", "WAL truncations by checkpoints.",
               [this] { return static_cast<double>(wal_truncations_.load()); }));
  keep(counter("andon_tsdb_retention_partitions_dropped_total",
               "Time partitions dropped by time or size retention.",
               [this] { return static_cast<double>(partitions_dropped_.load()); }));
  keep(gauge("andon_tsdb_storage_bytes", "Bytes the data dir takes on disk.", [store] {
    Result<uint64_t> b = store->DiskBytes();
    return b.ok() ? static_cast<double>(*b) : 0.0;
  }));
  Result<HistogramFamily*> hist =
      r.RegisterHistogram("andon_tsdb_checkpoint_duration_seconds",
                          "Duration of checkpoints (persisting chunks and truncating the WAL).", {},
                          ExponentialBuckets(0.001, 4, 9));
  if (hist.ok()) {
    checkpoint_seconds_ = *hist;
    registered_.emplace_back("andon_tsdb_checkpoint_duration_seconds");
  } else {
    keep(hist.status());
  }
  Result<HistogramFamily*> wal =
      r.RegisterHistogram("andon_tsdb_wal_write_duration_seconds",
                          "Duration of writing one committed batch to the WAL.", {},
                          ExponentialBuckets(0.00001, 4, 10));
  if (wal.ok()) {
    wal_write_seconds_.store(&(*wal)->WithLabels(), std::memory_order_release);
    registered_.emplace_back("andon_tsdb_wal_write_duration_seconds");
  } else {
    keep(wal.status());
  }
  return st;
}

void Db::UnregisterMetrics() {
  if (options_.metrics == nullptr) return;
  for (const std::string& name : registered_) options_.metrics->Unregister(name);
  registered_.clear();
  checkpoint_seconds_ = nullptr;
  wal_write_seconds_.store(nullptr, std::memory_order_release);
}

}  // namespace andon
