// Db deletion and snapshots (the admin API's storage side): tombstones hide deleted samples
// from every read and survive a restart; CleanTombstones rewrites persisted chunks without
// them; a snapshot opens as a data dir of its own with the same data.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/tsdb/db_test_util.h"
#include "tsdb/chunk.h"
#include "tsdb/db.h"

namespace andon {
namespace {

using dbtest::Dump;
using dbtest::Eq;
using dbtest::kMax;
using dbtest::kMin;
using dbtest::ReadAll;
using dbtest::TempDir;

// Checkpoints only when a test calls for one.
const DbOptions kManual{.background = false};

const Labels kA{{"__name__", "a"}, {"job", "x"}};
const Labels kB{{"__name__", "b"}, {"job", "x"}};

// Appends samples k in [from, to) of a and b at 1 s (value k).
void Append(Db& db, int from, int to) {
  auto app = db.NewAppender();
  SeriesRef ra = 0, rb = 0;
  for (int k = from; k < to; ++k) {
    auto a = app->Append(ra, kA, int64_t{k} * 1000, k);
    auto b = app->Append(rb, kB, int64_t{k} * 1000, k);
    ASSERT_TRUE(a.ok() && b.ok());
    ra = *a;
    rb = *b;
  }
  ASSERT_TRUE(app->Commit().ok());
}

// The timestamps (in seconds) of a's samples.
std::vector<int64_t> SecondsOfA(Db& db) {
  std::vector<int64_t> out;
  Dump d = ReadAll(db, {Eq("__name__", "a")});
  for (const auto& [t, v] : d[kA.ToString()]) out.push_back(t / 1000);
  return out;
}

std::vector<int64_t> Range(int from, int to, std::initializer_list<std::pair<int, int>> gaps) {
  std::vector<int64_t> out;
  for (int k = from; k < to; ++k) {
    bool gap = false;
    for (auto [lo, hi] : gaps) gap = gap || (lo <= k && k <= hi);
    if (!gap) out.push_back(k);
  }
  return out;
}

TEST(DbDeletionTest, DeletedSamplesStayHiddenAcrossRestartAndCleanRewritesStoredChunks) {
  TempDir dir;
  {
    auto db = Db::Open(dir.path(), kManual);
    ASSERT_TRUE(db.ok()) << db.status().message();
    // 1000 samples: chunks sealed at 480 and 960 are persisted and leave the head.
    Append(**db, 0, 1000);
    ASSERT_TRUE((*db)->Checkpoint().ok());
    auto n = (*db)->DeleteSeries(std::vector{Eq("__name__", "a")}, 100'000, 200'000);
    ASSERT_TRUE(n.ok()) << n.status().message();
    EXPECT_EQ(*n, 1u);
    // Deleting up to "forever" stops at the newest sample: later samples stay visible.
    ASSERT_TRUE((*db)->DeleteSeries(std::vector{Eq("__name__", "a")}, 990'000, kMax).ok());
    Append(**db, 1000, 1010);
    EXPECT_EQ(SecondsOfA(**db), Range(0, 1010, {{100, 200}, {990, 999}}));
    EXPECT_EQ(ReadAll(**db, {Eq("__name__", "b")})[kB.ToString()].size(), 1010u);  // untouched
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto db = Db::Open(dir.path(), kManual);
  ASSERT_TRUE(db.ok()) << db.status().message();
  EXPECT_EQ(SecondsOfA(**db), Range(0, 1010, {{100, 200}, {990, 999}}));

  ASSERT_TRUE((*db)->CleanTombstones().ok());
  EXPECT_EQ(SecondsOfA(**db), Range(0, 1010, {{100, 200}, {990, 999}}));
  // The first chunk (0..479) was rewritten: no stored sample of a lies in [100 s, 200 s].
  SeriesRef ref = (*db)->head().RefForLabels(kA);
  ASSERT_NE(ref, 0u);
  size_t stored = 0;
  tsdb::StoredChunkIterator it = (*db)->store().Chunks(ref, kMin, kMax);
  while (it.Next()) {
    tsdb::ChunkIterator ci(
        std::span(reinterpret_cast<const uint8_t*>(it.bytes().data()), it.bytes().size()));
    while (ci.Next()) {
      ++stored;
      EXPECT_FALSE(ci.At().t_ms >= 100'000 && ci.At().t_ms <= 200'000) << ci.At().t_ms;
    }
  }
  ASSERT_TRUE(it.status().ok());
  EXPECT_GT(stored, 700u);
  // What the head still holds (the open chunk, 960..1009) keeps its tombstone; the rest
  // is gone from the store.
  auto left = (*db)->store().ReadTombstones();
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->begin()->second, (std::vector<tsdb::TimeInterval>{{990'000, 999'000}}));
}

TEST(DbDeletionTest, ASnapshotOpensAsADataDirWithTheSameDataAndTombstones) {
  TempDir dir;
  auto db = Db::Open(dir.path(), kManual);
  ASSERT_TRUE(db.ok()) << db.status().message();
  Append(**db, 0, 600);
  ASSERT_TRUE((*db)->DeleteSeries(std::vector{Eq("__name__", "a")}, 10'000, 19'000).ok());
  Append(**db, 600, 700);  // only in the WAL and head: skip_head still keeps it
  const std::string snap = dir.path() + "/snapshots/s1";
  std::filesystem::create_directories(dir.path() + "/snapshots");
  ASSERT_TRUE((*db)->Snapshot(snap, /*skip_head=*/true).ok());
  EXPECT_FALSE((*db)->Snapshot(snap, false).ok());  // the target must not exist
  Append(**db, 700, 710);                           // after the snapshot: not in it

  auto copy = Db::Open(snap, kManual);
  ASSERT_TRUE(copy.ok()) << copy.status().message();
  EXPECT_EQ(SecondsOfA(**copy), Range(0, 700, {{10, 19}}));
  EXPECT_EQ(ReadAll(**copy, {Eq("__name__", "b")})[kB.ToString()].size(), 700u);
  EXPECT_EQ(SecondsOfA(**db), Range(0, 710, {{10, 19}}));
  // The snapshot is not part of the data dir's size (retention by size ignores it).
  auto with = (*db)->store().DiskBytes();
  ASSERT_TRUE(with.ok());
  std::filesystem::remove_all(dir.path() + "/snapshots");
  auto without = (*db)->store().DiskBytes();
  ASSERT_TRUE(without.ok());
  EXPECT_EQ(*with, *without);
}

}  // namespace
}  // namespace andon
