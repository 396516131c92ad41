// Db: the head joined to the RocksDB store — reads across seal, checkpoint and reopen
// boundaries are bit-exact, retention drops whole partitions, metrics and stats report.
#include "tsdb/db.h"

#include <gtest/gtest.h>
#include <rocksdb/env.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "tests/tsdb/db_test_util.h"
#include "tests/tsdb/disk_full_fs.h"
#include "tsdb/chunk.h"

namespace andon {
namespace {

using dbtest::Bits;
using dbtest::Dump;
using dbtest::Eq;
using dbtest::kMax;
using dbtest::kMin;
using dbtest::Re;
using dbtest::ReadAll;
using dbtest::TempDir;

DbOptions Manual() {
  DbOptions o;
  o.background = false;
  return o;
}

Labels SeriesLabels(int i) {
  return Labels{{"__name__", i % 2 ? "node_cpu_seconds_total" : "node_load1"},
                {"instance", "host-" + std::to_string(i)},
                {"job", "node"}};
}

// Adversarial values: counters, decimals, arbitrary doubles, staleness, -0.0, infinities.
double ValueAt(int series, int k) {
  switch ((k * 7 + series) % 11) {
    case 0:
      return kStaleNaN;
    case 1:
      return -0.0;
    case 2:
      return std::numeric_limits<double>::infinity();
    case 3:
      return std::bit_cast<double>(0x9e3779b97f4a7c15ULL * (k + 1) >> 2);
    default:
      return series * 1000.0 + k * 0.25;
  }
}

// Appends samples [from, to) of n series at 15 s and returns what was appended.
void AppendRange(Db& db, int n, int from, int to, Dump* expected) {
  auto app = db.NewAppender();
  std::vector<SeriesRef> refs(n, 0);
  for (int k = from; k < to; ++k) {
    for (int i = 0; i < n; ++i) {
      int64_t t = int64_t{k} * 15000;
      double v = ValueAt(i, k);
      auto r = app->Append(refs[i], SeriesLabels(i), t, v);
      ASSERT_TRUE(r.ok()) << r.status().message();
      refs[i] = *r;
      (*expected)[SeriesLabels(i).ToString()].emplace_back(t, std::bit_cast<uint64_t>(v));
    }
    if (k % 50 == 49) {
      ASSERT_TRUE(app->Commit().ok());
    }
  }
  ASSERT_TRUE(app->Commit().ok());
}

TEST(DbTest, ReadsBackBitExactAcrossChunkSealsAndReopen) {
  TempDir tmp;
  Dump expected;
  {
    auto db = Db::Open(tmp.path(), Manual());
    ASSERT_TRUE(db.ok()) << db.status().message();
    AppendRange(**db, 4, 0, 3 * tsdb::kMaxSamplesPerChunk + 17, &expected);
    EXPECT_EQ(ReadAll(**db, {Re("__name__", ".+")}), expected);
    EXPECT_GE((*db)->Stats().head_chunks, 4u * 4);
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto db = Db::Open(tmp.path(), Manual());
  ASSERT_TRUE(db.ok()) << db.status().message();
  EXPECT_EQ(ReadAll(**db, {Re("__name__", ".+")}), expected);
  EXPECT_EQ((*db)->head().NumSeries(), 4u);
  // Appending continues where it left off, across the restored open chunk.
  AppendRange(**db, 4, 3 * tsdb::kMaxSamplesPerChunk + 17, 4 * tsdb::kMaxSamplesPerChunk,
              &expected);
  EXPECT_EQ(ReadAll(**db, {Re("__name__", ".+")}), expected);
}

TEST(DbTest, QuerySpansPersistedAndHeadChunksAndHonoursTheRange) {
  TempDir tmp;
  auto db = Db::Open(tmp.path(), Manual());
  ASSERT_TRUE(db.ok());
  Dump expected;
  AppendRange(**db, 3, 0, 1000, &expected);
  ASSERT_TRUE((*db)->Checkpoint().ok());
  // Sealed chunks left memory; only the open chunks remain in the head.
  EXPECT_EQ((*db)->head().NumChunks(), 3u);
  AppendRange(**db, 3, 1000, 1300, &expected);
  EXPECT_EQ(ReadAll(**db, {Re("__name__", ".+")}), expected);

  // A range inside a persisted chunk and reaching into the head.
  const int64_t lo = 400 * 15000 + 1, hi = 1100 * 15000;
  Dump ranged;
  for (auto& [name, bits] : expected) {
    for (auto [t, v] : bits) {
      if (t >= lo && t <= hi) ranged[name].emplace_back(t, v);
    }
  }
  EXPECT_EQ(ReadAll(**db, {Eq("job", "node")}, lo, hi), ranged);
  EXPECT_EQ(ReadAll(**db, {Eq("instance", "host-1")}, lo, hi).size(), 1u);
  EXPECT_TRUE(ReadAll(**db, {Eq("job", "node")}, 2000 * 15000, 3000 * 15000).empty());
}

// One Select reads every series through one store iterator; a checkpoint that runs while
// the Select is in progress persists the sealed chunks and releases them from the head.
// The series read after it must still come back whole (from the store).
TEST(DbTest, SelectInProgressReadsChunksThatACheckpointMovedToTheStore) {
  TempDir tmp;
  auto db = Db::Open(tmp.path(), Manual());
  ASSERT_TRUE(db.ok());
  Dump expected;
  AppendRange(**db, 4, 0, 2 * tsdb::kMaxSamplesPerChunk + 100, &expected);
  ASSERT_TRUE((*db)->Checkpoint().ok());  // the store holds chunks of every series
  AppendRange(**db, 4, 2 * tsdb::kMaxSamplesPerChunk + 100, 4 * tsdb::kMaxSamplesPerChunk + 50,
              &expected);
  auto q = (*db)->NewQuerier();
  auto set = q->Select(std::vector{Re("__name__", ".+")}, kMin, kMax);
  Dump got;
  auto read = [&] {
    std::vector<Sample> batch;
    ASSERT_TRUE(set->At().Iterator()->ReadAll(&batch));
    Bits& b = got[set->At().labels().ToString()];
    for (const Sample& s : batch) b.emplace_back(s.t, std::bit_cast<uint64_t>(s.v));
  };
  ASSERT_TRUE(set->Next());
  read();
  const uint64_t chunks_before = (*db)->head().NumChunks();
  ASSERT_TRUE((*db)->Checkpoint().ok());
  ASSERT_LT((*db)->head().NumChunks(), chunks_before);  // sealed chunks left the head
  while (set->Next()) read();
  ASSERT_TRUE(set->Err().ok()) << set->Err().message();
  EXPECT_EQ(got, expected);
}

// The set reuses its sample buffer from series to series, but not one an iterator still
// reads.
TEST(DbTest, AnIteratorKeptAcrossNextStillReadsItsSeries) {
  TempDir tmp;
  auto db = Db::Open(tmp.path(), Manual());
  ASSERT_TRUE(db.ok());
  Dump expected;
  AppendRange(**db, 2, 0, 600, &expected);
  ASSERT_TRUE((*db)->Checkpoint().ok());
  auto q = (*db)->NewQuerier();
  auto set = q->Select(std::vector{Re("__name__", ".+")}, kMin, kMax);
  ASSERT_TRUE(set->Next());
  const std::string first = set->At().labels().ToString();
  auto it = set->At().Iterator();
  ASSERT_TRUE(set->Next());
  EXPECT_NE(set->At().labels().ToString(), first);
  Bits b;
  while (it->Next()) b.emplace_back(it->At().t, std::bit_cast<uint64_t>(it->At().v));
  EXPECT_EQ(b, expected[first]);
}

// Maintain checkpoints and then drops the head's chunks that end before the head window. A
// late sample committed in between (in order for an idle series, older than the window) was
// acknowledged, and only the next checkpoint persists it: the drop must keep it.
TEST(DbTest, ASampleCommittedBetweenCheckpointAndHeadGcSurvives) {
  TempDir tmp;
  constexpr int64_t kHour = 3600 * 1000;
  const Labels idle{{"__name__", "idle"}};
  const Labels busy{{"__name__", "busy"}};
  {
    auto db = Db::Open(tmp.path(), Manual());
    ASSERT_TRUE(db.ok()) << db.status().message();
    auto app = (*db)->NewAppender();
    ASSERT_TRUE(app->Append(0, idle, 1000, 1).ok());
    ASSERT_TRUE(app->Append(0, busy, 10 * kHour, 1).ok());
    ASSERT_TRUE(app->Commit().ok());
    ASSERT_TRUE((*db)->Checkpoint().ok());
    ASSERT_TRUE(app->Append(0, idle, 2000, 2).ok());
    ASSERT_TRUE(app->Commit().ok());
    (*db)->head().Gc(9 * kHour);  // Maintain's step after its checkpoint
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto db = Db::Open(tmp.path(), Manual());
  ASSERT_TRUE(db.ok()) << db.status().message();
  const Bits want = {{1000, std::bit_cast<uint64_t>(1.0)}, {2000, std::bit_cast<uint64_t>(2.0)}};
  EXPECT_EQ(ReadAll(**db, {Eq("__name__", "idle")})[idle.ToString()], want);
}

TEST(DbTest, CheckpointTruncatesTheWalAndReopenLosesNothing) {
  TempDir tmp;
  Dump expected;
  {
    auto db = Db::Open(tmp.path(), Manual());
    ASSERT_TRUE(db.ok());
    AppendRange(**db, 5, 0, 700, &expected);
    ASSERT_TRUE((*db)->Checkpoint().ok());
    DbStats s = (*db)->Stats();
    EXPECT_EQ(s.wal_truncated_upto, s.wal_seq);
    EXPECT_EQ(s.wal_truncations, 1u);
    AppendRange(**db, 5, 700, 760, &expected);  // only in the WAL and the head
    ASSERT_TRUE((*db)->Close().ok());           // kill -9 after a checkpoint: db_crash_test.cc
  }
  auto db = Db::Open(tmp.path(), Manual());
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(ReadAll(**db, {Eq("job", "node")}), expected);
  EXPECT_EQ((*db)->head().OutOfOrderSamples(), 0u);
  EXPECT_EQ((*db)->head().DuplicateSamples(), 0u);
}

TEST(DbTest, RecoveryReplaysWalSamplesNewerThanTheSnapshotOnly) {
  TempDir tmp;
  Dump expected;
  {
    DbOptions o = Manual();
    auto db = Db::Open(tmp.path(), o);
    ASSERT_TRUE(db.ok());
    AppendRange(**db, 2, 0, 100, &expected);
    ASSERT_TRUE((*db)->Checkpoint().ok());
    AppendRange(**db, 2, 100, 130, &expected);
    // Persist the open chunks again without truncating past these samples: the WAL then
    // holds samples the snapshot also holds.
    ASSERT_TRUE(
        (*db)
            ->head()
            .PersistChunks([&](std::span<const PendingChunk> cs, std::span<const uint8_t> bytes) {
              for (const PendingChunk& c : cs) {
                std::string_view b(reinterpret_cast<const char*>(bytes.data()) + c.offset, c.size);
                if (Status st = (*db)->store().PutChunk(c.ref, c.mint, c.maxt, b); !st.ok()) {
                  return st;
                }
              }
              return Status::Ok();
            })
            .ok());
    AppendRange(**db, 2, 130, 150, &expected);
    ASSERT_TRUE((*db)->store().Flush().ok());
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto db = Db::Open(tmp.path(), Manual());
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(ReadAll(**db, {Eq("job", "node")}), expected);
  EXPECT_EQ((*db)->head().DuplicateSamples(), 0u);
}

TEST(DbTest, RetentionDropsOldPartitionsAndQueriesStopReturningThem) {
  TempDir tmp;
  DbOptions o = Manual();
  o.retention_ms = 24LL * 3600 * 1000;
  auto db = Db::Open(tmp.path(), o);
  ASSERT_TRUE(db.ok());
  auto app = (*db)->NewAppender();
  Labels old_series{{"__name__", "old"}, {"job", "gone"}};
  Labels live{{"__name__", "live"}, {"job", "kept"}};
  for (int64_t t = 0; t < 4 * 3600 * 1000; t += 60000) {
    ASSERT_TRUE(app->Append(0, old_series, t, 1).ok());
    ASSERT_TRUE(app->Append(0, live, t, 2).ok());
  }
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_TRUE((*db)->Maintain().ok());
  EXPECT_EQ(ReadAll(**db, {Eq("__name__", "old")}).size(), 1u);
  const int64_t later = 3LL * 24 * 3600 * 1000;
  for (int64_t t = later; t < later + 3600 * 1000; t += 60000) {
    ASSERT_TRUE(app->Append(0, live, t, 3).ok());
  }
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_TRUE((*db)->Maintain().ok());

  DbStats s = (*db)->Stats();
  EXPECT_GE(s.retention_partitions_dropped, 2u);
  EXPECT_TRUE(ReadAll(**db, {Eq("__name__", "old")}).empty());
  Dump live_dump = ReadAll(**db, {Eq("__name__", "live")});
  ASSERT_EQ(live_dump.size(), 1u);
  EXPECT_GE(live_dump.begin()->second.front().first, later - o.retention_ms);
  EXPECT_EQ((*db)->head().NumSeries(), 1u);
  auto q = (*db)->NewQuerier();
  EXPECT_EQ(*q->LabelValues("job", {}), (std::vector<std::string>{"kept"}));
}

// A query range before everything the head holds gets none of the head's series, names or
// values (Prometheus leaves out blocks outside the range); a range over the head gets them.
// A remote-write reader's cursor: tried were a checkpoint with the reader behind, a
// restart, and a hold that expired. The records after the cursor must survive the first
// two (readable with their samples); an expired hold must not keep the WAL forever.
TEST(DbTest, WalCursorsHoldTruncationAcrossRestartsForAtMostWalHold) {
  TempDir dir;
  const Labels series{{"__name__", "up"}, {"job", "a"}};
  SeriesRef ref = 0;
  auto append = [&](Db& db, int64_t t) {
    auto app = db.NewAppender();
    auto r = app->Append(0, series, t, static_cast<double>(t));
    ASSERT_TRUE(r.ok());
    ref = *r;
    ASSERT_TRUE(app->Commit().ok());
  };
  uint64_t cursor = 0;
  {
    auto db = Db::Open(dir.path(), Manual());
    ASSERT_TRUE(db.ok()) << db.status().message();
    append(**db, 1000);
    auto opened = (*db)->OpenWalCursor("remote_write/r");
    ASSERT_TRUE(opened.ok());
    cursor = *opened;
    EXPECT_EQ(cursor, (*db)->VisibleWalSeq());  // a new cursor starts at the end
    for (int64_t t = 2000; t <= 5000; t += 1000) append(**db, t);
    ASSERT_TRUE((*db)->Checkpoint().ok());
    EXPECT_LE((*db)->Stats().wal_truncated_upto, cursor);
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto db = Db::Open(dir.path(), Manual());
  ASSERT_TRUE(db.ok()) << db.status().message();
  auto reopened = (*db)->OpenWalCursor("remote_write/r");
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(*reopened, cursor);
  std::vector<int64_t> read;
  auto upto = (*db)->ReadWal(cursor + 1, (*db)->VisibleWalSeq(), 1000,
                             [&](uint64_t, std::span<const tsdb::WalSample> samples) {
                               for (const auto& s : samples) read.push_back(s.t_ms);
                               return Status::Ok();
                             });
  ASSERT_TRUE(upto.ok());
  EXPECT_EQ(read, (std::vector<int64_t>{2000, 3000, 4000, 5000}));
  auto labels = (*db)->SeriesLabels(ref);
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ(*labels, series);
  // Reading in steps: a record is never split, the position continues after it.
  read.clear();
  auto first = (*db)->ReadWal(cursor + 1, (*db)->VisibleWalSeq(), 1,
                              [&](uint64_t, std::span<const tsdb::WalSample> samples) {
                                for (const auto& s : samples) read.push_back(s.t_ms);
                                return Status::Ok();
                              });
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(read, std::vector<int64_t>{2000});
  EXPECT_EQ(*first, cursor + 1);

  // Advanced, the cursor lets the checkpoint truncate up to it.
  ASSERT_TRUE((*db)->AdvanceWalCursor("remote_write/r", *upto).ok());
  ASSERT_TRUE((*db)->Checkpoint().ok());
  EXPECT_EQ((*db)->Stats().wal_truncated_upto, *upto);
  EXPECT_EQ((*db)->WalCursorNames(), std::vector<std::string>{"remote_write/r"});
  ASSERT_TRUE((*db)->Close().ok());

  // With a zero hold, a lagging cursor holds nothing back after one checkpoint.
  DbOptions no_hold = Manual();
  no_hold.wal_hold = std::chrono::milliseconds(0);
  auto db2 = Db::Open(dir.path(), no_hold);
  ASSERT_TRUE(db2.ok()) << db2.status().message();
  for (int64_t t = 6000; t <= 8000; t += 1000) append(**db2, t);
  ASSERT_TRUE((*db2)->Checkpoint().ok());  // remembers S
  ASSERT_TRUE((*db2)->Checkpoint().ok());  // the S before is past the hold
  EXPECT_EQ((*db2)->Stats().wal_truncated_upto, (*db2)->VisibleWalSeq());
  ASSERT_TRUE((*db2)->RemoveWalCursor("remote_write/r").ok());
  EXPECT_TRUE((*db2)->WalCursorNames().empty());
}

TEST(DbTest, LabelQueriesLeaveOutAHeadOutsideTheRange) {
  TempDir tmp;
  auto db = Db::Open(tmp.path(), Manual());
  ASSERT_TRUE(db.ok());
  auto app = (*db)->NewAppender();
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "up"}, {"job", "self"}}, 5000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());

  auto before = (*db)->NewQuerier(0, 4999);
  EXPECT_TRUE(before->LabelNames({})->empty());
  EXPECT_TRUE(before->LabelValues("job", {})->empty());
  EXPECT_TRUE(before->LabelValues("job", std::vector{Eq("__name__", "up")})->empty());

  auto over = (*db)->NewQuerier(5000, 6000);
  EXPECT_EQ(*over->LabelNames({}), (std::vector<std::string>{"__name__", "job"}));
  EXPECT_EQ(*over->LabelValues("job", {}), (std::vector<std::string>{"self"}));
  EXPECT_EQ(*over->LabelValues("job", std::vector{Eq("__name__", "up")}),
            (std::vector<std::string>{"self"}));
  EXPECT_EQ(ReadAll(**db, {Eq("__name__", "up")}).size(), 1u);
}

TEST(DbTest, SeriesLeavingTheHeadStayQueryableFromTheStore) {
  TempDir tmp;
  DbOptions o = Manual();
  o.head_keep_ms = 3600 * 1000;
  auto db = Db::Open(tmp.path(), o);
  ASSERT_TRUE(db.ok());
  auto app = (*db)->NewAppender();
  Labels idle{{"__name__", "idle"}, {"pod", "a"}};
  Labels busy{{"__name__", "busy"}, {"pod", "b"}};
  ASSERT_TRUE(app->Append(0, idle, 1000, 1.5).ok());
  ASSERT_TRUE(app->Append(0, busy, 1000, 2).ok());
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_TRUE(app->Append(0, busy, 3 * 3600 * 1000, 3).ok());
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_TRUE((*db)->Maintain().ok());
  EXPECT_EQ((*db)->head().NumSeries(), 1u);
  Dump d = ReadAll(**db, {Eq("__name__", "idle")});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d.begin()->second, (Bits{{1000, std::bit_cast<uint64_t>(1.5)}}));
  auto q = (*db)->NewQuerier();
  EXPECT_EQ(*q->LabelValues("pod", {}), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*q->LabelValues("pod", std::vector{Eq("__name__", "idle")}),
            (std::vector<std::string>{"a"}));
  EXPECT_EQ(*q->LabelNames({}), (std::vector<std::string>{"__name__", "pod"}));
  // The idle series comes back under a new ref; both refs read as one series.
  ASSERT_TRUE(app->Append(0, idle, 3 * 3600 * 1000 + 1000, 4).ok());
  ASSERT_TRUE(app->Commit().ok());
  d = ReadAll(**db, {Eq("__name__", "idle")});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d.begin()->second.size(), 2u);
}

TEST(DbTest, StatsAndMetricsReportTheHeadAndRejects) {
  TempDir tmp;
  MetricsRegistry registry;
  DbOptions o = Manual();
  o.metrics = &registry;
  auto db = Db::Open(tmp.path(), o);
  ASSERT_TRUE(db.ok());
  auto app = (*db)->NewAppender();
  ASSERT_TRUE(app->Append(0, SeriesLabels(1), 2000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(app->Append(0, SeriesLabels(1), 1000, 1).status().message(), "out of order sample");
  EXPECT_EQ(app->Append(0, SeriesLabels(1), 2000, 5).status().message(),
            "duplicate sample for timestamp");
  ASSERT_TRUE((*db)->Checkpoint().ok());
  DbStats s = (*db)->Stats();
  EXPECT_EQ(s.head.num_series, 1u);
  EXPECT_EQ(s.head.out_of_order_samples, 1u);
  EXPECT_EQ(s.head.duplicate_samples, 1u);
  EXPECT_LE(s.min_time, 2000);  // persisted data counts from its partition start
  EXPECT_EQ(s.max_time, 2000);
  EXPECT_GT(s.disk_bytes, 0u);
  ASSERT_FALSE(s.cardinality.series_count_by_metric_name.empty());
  EXPECT_EQ(s.cardinality.series_count_by_metric_name[0].name, "node_cpu_seconds_total");

  std::map<std::string, double> values;
  std::map<std::string, uint64_t> observations;
  for (const FamilySnapshot& f : registry.Gather()) {
    if (f.type != MetricType::kHistogram) {
      values[f.name] = f.metrics.at(0).value;
    } else {
      observations[f.name] = f.metrics.at(0).cumulative_counts.back();
    }
  }
  EXPECT_EQ(observations["andon_tsdb_wal_write_duration_seconds"], 1u);  // one commit
  EXPECT_EQ(observations["andon_tsdb_checkpoint_duration_seconds"], 1u);
  EXPECT_EQ(values["andon_tsdb_head_series"], 1);
  EXPECT_EQ(values["andon_tsdb_out_of_order_samples_total"], 1);
  EXPECT_EQ(values["andon_tsdb_duplicate_samples_total"], 1);
  EXPECT_EQ(values["andon_tsdb_wal_truncations_total"], 1);
  EXPECT_GT(values["andon_tsdb_storage_bytes"], 0);
  ASSERT_TRUE((*db)->Close().ok());
  EXPECT_TRUE(registry.Gather().empty());
}

// The memory gauges the soak test reads: head series bytes grow with appended chunks and
// fall when a checkpoint releases sealed ones; memtables fall on flush; reading persisted
// chunks charges the block cache.
TEST(DbTest, MemoryGaugesFollowTheHeadAndRocksDb) {
  TempDir tmp;
  MetricsRegistry registry;
  DbOptions o = Manual();
  o.metrics = &registry;
  auto db = Db::Open(tmp.path(), o);
  ASSERT_TRUE(db.ok());
  auto gauges = [&registry] {
    std::map<std::string, double> values;
    for (const FamilySnapshot& f : registry.Gather()) {
      if (f.type == MetricType::kGauge) values[f.name] = f.metrics.at(0).value;
    }
    return values;
  };
  const std::string head = "andon_tsdb_head_series_memory_bytes";
  const std::string memtables = "andon_tsdb_rocksdb_memtable_bytes";
  std::map<std::string, double> before = gauges();
  ASSERT_TRUE(before.contains("andon_tsdb_rocksdb_table_readers_bytes"));

  Dump expected;
  AppendRange(**db, 200, 0, 600, &expected);  // 2.5 h a series: a sealed chunk each
  std::map<std::string, double> appended = gauges();
  EXPECT_GT(appended[head], before[head] + 200 * 600);  // well over a byte a sample
  EXPECT_GT(appended[memtables], before[memtables]);    // the WAL records

  ASSERT_TRUE((*db)->Checkpoint().ok());
  ASSERT_TRUE((*db)->store().Flush().ok());
  std::map<std::string, double> persisted = gauges();
  EXPECT_LT(persisted[head], appended[head]);
  EXPECT_LT(persisted[memtables], appended[memtables]);

  EXPECT_EQ(ReadAll(**db, {Re("__name__", ".+")}), expected);  // sealed chunks: the store
  EXPECT_GT(gauges()["andon_tsdb_rocksdb_block_cache_bytes"], 0);
  ASSERT_TRUE((*db)->Close().ok());
}

TEST(DbTest, MaxSeriesPerMetricIsAppliedAndCounted) {
  TempDir tmp;
  MetricsRegistry registry;
  DbOptions o = Manual();
  o.metrics = &registry;
  o.max_series_per_metric = 1;
  auto db = Db::Open(tmp.path(), o);
  ASSERT_TRUE(db.ok());
  auto app = (*db)->NewAppender();
  ASSERT_TRUE(app->Append(0, SeriesLabels(1), 1000, 1).ok());
  Result<SeriesRef> refused = app->Append(0, SeriesLabels(3), 1000, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("limit: 1"), std::string::npos)
      << refused.status().message();
  ASSERT_TRUE(app->Commit().ok());
  double counted = -1;
  for (const FamilySnapshot& f : registry.Gather()) {
    if (f.name == "andon_tsdb_series_limit_samples_total") counted = f.metrics.at(0).value;
  }
  EXPECT_EQ(counted, 1);
  EXPECT_EQ((*db)->Stats().head.num_series, 1u);
  ASSERT_TRUE((*db)->Close().ok());
}

TEST(DbTest, SecondOpenOfTheSameDirIsRefused) {
  TempDir tmp;
  auto db = Db::Open(tmp.path(), Manual());
  ASSERT_TRUE(db.ok());
  auto second = Db::Open(tmp.path(), Manual());
  EXPECT_FALSE(second.ok());
}

TEST(DbTest, BackgroundLoopCheckpointsAndStopsOnClose) {
  TempDir tmp;
  DbOptions o;
  o.checkpoint_interval = std::chrono::milliseconds(5);
  auto db = Db::Open(tmp.path(), o);
  ASSERT_TRUE(db.ok());
  Dump expected;
  AppendRange(**db, 2, 0, 600, &expected);
  while ((*db)->Stats().checkpoints == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(ReadAll(**db, {Eq("job", "node")}), expected);
  ASSERT_TRUE((*db)->Close().ok());
}

TEST(DbTest, DiskFullFailsCommitsKeepsReadsAndRecoversWhenSpaceReturns) {
  TempDir tmp;
  auto fs = std::make_shared<tsdb::DiskFullFs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  DbOptions o;
  o.checkpoint_interval = std::chrono::milliseconds(5);
  o.store.env = env.get();
  Dump expected;
  {
    auto db = Db::Open(tmp.path(), o);
    ASSERT_TRUE(db.ok()) << db.status().message();
    AppendRange(**db, 2, 0, 10, &expected);
    auto app = (*db)->NewAppender();
    fs->fail = true;
    ASSERT_TRUE(app->Append(0, SeriesLabels(0), 10 * 15000, 1).ok());
    Status st = app->Commit();
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message().find("no space left on device"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("commit"), std::string::npos) << st.message();
    EXPECT_EQ(ReadAll(**db, {Eq("job", "node")}), expected);  // reads keep working

    fs->fail = false;
    // The background loop resumes the store; commits then succeed again (bounded wait).
    bool committed = false;
    for (int i = 0; i < 2000 && !committed; ++i) {
      ASSERT_TRUE(app->Append(0, SeriesLabels(0), 10 * 15000, 1).ok());
      committed = app->Commit().ok();
      if (!committed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(committed);
    expected[SeriesLabels(0).ToString()].emplace_back(10 * 15000, std::bit_cast<uint64_t>(1.0));
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto db = Db::Open(tmp.path(), Manual());
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(ReadAll(**db, {Eq("job", "node")}), expected);
}

}  // namespace
}  // namespace andon
