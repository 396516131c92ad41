// A Select's series decoded ahead on the Db's read threads (tsdb/db_series_set.h): the same
// series and samples as a reader decoding alone, iterators that outlive their batch, sets
// dropped half-read while loads are in flight, and many Selects at once on the shared pool.
#include <gtest/gtest.h>

#include <bit>
#include <thread>
#include <vector>

#include "tests/tsdb/db_test_util.h"
#include "tsdb/db.h"

namespace andon {
namespace {

using dbtest::Bits;
using dbtest::Dump;
using dbtest::kMax;
using dbtest::kMin;
using dbtest::Re;
using dbtest::ReadAll;
using dbtest::TempDir;

DbOptions WithReadThreads(int n) {
  DbOptions o;
  o.background = false;
  o.read_threads = n;
  return o;
}

Labels SeriesLabels(int i) { return Labels{{"__name__", "m"}, {"i", std::to_string(1000 + i)}}; }

// Series of very different lengths (so batch sizes adapt and batches straddle them): series
// i has a sample every (i % 7 + 1) steps; every 13th series stops early, half of the
// samples are checkpointed to the store and the rest stay in the head.
void Fill(Db& db, int series, int steps) {
  auto app = db.NewAppender();
  for (int k = 0; k < steps; ++k) {
    for (int i = 0; i < series; ++i) {
      if (k % (i % 7 + 1) != 0 || (i % 13 == 0 && k > 40)) continue;
      auto r = app->Append(0, SeriesLabels(i), int64_t{k} * 15000, i * 0.5 + k);
      ASSERT_TRUE(r.ok()) << r.status().message();
    }
    if (k % 100 == 99) ASSERT_TRUE(app->Commit().ok());
    if (k == steps / 2) ASSERT_TRUE(db.Checkpoint().ok());
  }
  ASSERT_TRUE(app->Commit().ok());
}

// A Db with `threads` read threads, filled as above.
std::unique_ptr<Db> FilledDb(const TempDir& tmp, int threads, int series, int steps) {
  auto db = Db::Open(tmp.path(), WithReadThreads(threads));
  EXPECT_TRUE(db.ok()) << db.status().message();
  if (!db.ok()) return nullptr;
  Fill(**db, series, steps);
  return std::move(db).value();
}

// Reopens the same data with `threads` read threads and reads it over three ranges.
std::vector<Dump> ReadWith(const std::string& dir, int threads) {
  auto db = Db::Open(dir, WithReadThreads(threads));
  EXPECT_TRUE(db.ok());
  if (!db.ok()) return {};
  const auto all = std::vector{Re("__name__", "m")};
  return {ReadAll(**db, all), ReadAll(**db, all, 1500 * 15000, 1600 * 15000),
          ReadAll(**db, all, 0, 20 * 15000)};
}

TEST(DbReadAheadTest, ReadThreadsYieldTheSameSeriesAndSamplesAsTheReaderAlone) {
  TempDir tmp;
  ASSERT_NE(FilledDb(tmp, 0, 600, 2000), nullptr);
  const std::vector<Dump> alone = ReadWith(tmp.path(), 0);
  ASSERT_EQ(alone.size(), 3u);
  EXPECT_EQ(alone[0].size(), 600u);
  EXPECT_LT(alone[1].size(), 600u);  // series that stopped early are not in a late range
  for (int threads : {1, 3}) {
    EXPECT_EQ(ReadWith(tmp.path(), threads), alone) << threads << " read threads";
  }
}

// An iterator handed out keeps its series' samples even after the set moved many batches on
// and its batch slot was reused for other series.
TEST(DbReadAheadTest, IteratorsKeptWhileTheSetMovesOnStillReadTheirSeries) {
  TempDir tmp;
  std::unique_ptr<Db> db = FilledDb(tmp, 2, 800, 600);
  ASSERT_NE(db, nullptr);
  const Dump expected = ReadAll(*db, std::vector{Re("__name__", "m")});
  ASSERT_EQ(expected.size(), 800u);

  auto q = db->NewQuerier();
  auto set = q->Select(std::vector{Re("__name__", "m")}, kMin, kMax);
  std::vector<std::pair<std::string, std::unique_ptr<SeriesIterator>>> kept;
  while (set->Next()) kept.emplace_back(set->At().labels().ToString(), set->At().Iterator());
  ASSERT_TRUE(set->Err().ok());
  set.reset();
  ASSERT_EQ(kept.size(), expected.size());
  for (auto& [labels, it] : kept) {
    Bits b;
    while (it->Next()) b.emplace_back(it->At().t, std::bit_cast<uint64_t>(it->At().v));
    EXPECT_EQ(b, expected.at(labels)) << labels;
  }
}

// Sets dropped after a few series, while the pool still loads their batches, wait for those
// loads and leave the pool serving: a whole read afterwards still sees every series, and the
// Db closes (ASan and TSan builds check the memory and the threads).
TEST(DbReadAheadTest, SetsDroppedHalfReadLeaveNoLoadBehind) {
  TempDir tmp;
  std::unique_ptr<Db> db = FilledDb(tmp, 2, 1000, 300);
  ASSERT_NE(db, nullptr);
  auto q = db->NewQuerier();
  for (int round = 0; round < 50; ++round) {
    auto set = q->Select(std::vector{Re("__name__", "m")}, kMin, kMax);
    for (int i = 0; i < round % 5 && set->Next(); ++i) {
      EXPECT_FALSE(set->At().labels().empty());
    }
  }
  q.reset();
  EXPECT_EQ(ReadAll(*db, std::vector{Re("__name__", "m")}).size(), 1000u);
  EXPECT_TRUE(db->Close().ok());
}

// Four readers at once share two read threads while a writer appends: each reads every
// series, in order, with the samples the writer had committed when its Select began or more.
TEST(DbReadAheadTest, ConcurrentSelectsShareTheReadThreads) {
  TempDir tmp;
  std::unique_ptr<Db> db = FilledDb(tmp, 2, 400, 400);
  ASSERT_NE(db, nullptr);
  const Dump before = ReadAll(*db, std::vector{Re("__name__", "m")});
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    auto app = db->NewAppender();
    for (int k = 400; !stop.load(); ++k) {
      for (int i = 0; i < 400; i += 3) {
        if (!app->Append(0, SeriesLabels(i), int64_t{k} * 15000, k).ok()) return;
      }
      if (!app->Commit().ok()) return;
    }
  });
  std::vector<std::thread> readers;
  std::vector<int> mismatches(4, 0);
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&, r] {
      for (int round = 0; round < 5; ++round) {
        const Dump now = ReadAll(*db, std::vector{Re("__name__", "m")});
        if (now.size() != before.size()) ++mismatches[r];
        for (const auto& [labels, samples] : before) {
          auto it = now.find(labels);
          if (it == now.end() || it->second.size() < samples.size() ||
              !std::equal(samples.begin(), samples.end(), it->second.begin())) {
            ++mismatches[r];
          }
        }
      }
    });
  }
  for (std::thread& t : readers) t.join();
  stop = true;
  writer.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace andon
