// Db under concurrent appenders, queriers, checkpoints and retention (run under TSan with
// TSAN_OPTIONS=suppressions=tests/tsdb/tsan_rocksdb.supp). Queries must always see series
// sorted by labels with strictly increasing timestamps and whole commits of each series'
// sample pairs; at the end every recent sample is readable, also after reopening.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/tsdb/db_test_util.h"
#include "tsdb/db.h"

namespace andon {
namespace {

constexpr int kAppenders = 3;
constexpr int kSeriesPerAppender = 20;
constexpr int kCommits = 400;
constexpr int64_t kStepMs = 60000;  // one commit per minute of sample time

Labels Owned(int a, int i) {
  return Labels{{"__name__", "owned"}, {"a", std::to_string(a)}, {"i", std::to_string(i)}};
}

TEST(DbConcurrencyTest, AppendsQueriesCheckpointsAndRetentionRunTogether) {
  dbtest::TempDir tmp;
  DbOptions o;
  o.checkpoint_interval = std::chrono::milliseconds(2);
  o.retention_ms = 3 * 3600 * 1000;
  o.head_keep_ms = 3600 * 1000;
  o.store.partition_width_ms = 3600 * 1000;
  auto opened = Db::Open(tmp.path(), o);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  Db& db = **opened;

  std::vector<std::atomic<int>> progress(kAppenders);
  std::atomic<int> appenders_done{0};
  std::atomic<uint64_t> violations{0}, query_rounds{0}, maintain_errors{0};
  std::vector<std::thread> threads;
  for (int a = 0; a < kAppenders; ++a) {
    threads.emplace_back([&, a] {
      auto app = db.NewAppender();
      std::vector<SeriesRef> refs(kSeriesPerAppender, 0);
      for (int k = 0; k < kCommits; ++k) {
        // Stay within 20 commits of the slowest appender so no sample falls out of bounds.
        for (;;) {
          int low = kCommits;
          for (auto& p : progress) low = std::min(low, p.load());
          if (k - low < 20) break;
          std::this_thread::yield();
        }
        for (int i = 0; i < kSeriesPerAppender; ++i) {
          auto r = app->Append(refs[i], Owned(a, i), k * kStepMs, k);
          if (!r.ok()) {
            violations.fetch_add(1);
            continue;
          }
          refs[i] = *r;
          if (!app->Append(refs[i], Labels(), k * kStepMs + 1, k).ok()) violations.fetch_add(1);
        }
        // Churn: short-lived series the head GC collects.
        (void)app->Append(0, Labels({{"__name__", "churn"}, {"id", std::to_string(k * 10 + a)}}),
                          k * kStepMs, 1);
        if (!app->Commit().ok()) violations.fetch_add(1);
        progress[a].store(k + 1);
      }
      appenders_done.fetch_add(1);
    });
  }
  for (int q = 0; q < 2; ++q) {
    threads.emplace_back([&] {
      std::vector<LabelMatcher> owned{dbtest::Eq("__name__", "owned"), dbtest::Re("i", "1.*|2")};
      do {
        auto querier = db.NewQuerier();
        auto set = querier->Select(owned, 0, dbtest::kMax);
        Labels prev;
        bool first = true;
        while (set->Next()) {
          if (!first && !(prev < set->At().labels())) violations.fetch_add(1);
          prev = set->At().labels();
          first = false;
          auto it = set->At().Iterator();
          int64_t last = -1;
          while (it->Next()) {
            if (it->At().t <= last) violations.fetch_add(1);
            last = it->At().t;
          }
        }
        if (!set->Err().ok()) violations.fetch_add(1);
        if (!querier->LabelValues("id", {}).ok()) violations.fetch_add(1);
        query_rounds.fetch_add(1);
      } while (appenders_done.load() < kAppenders);
    });
  }
  threads.emplace_back([&] {
    while (appenders_done.load() < kAppenders) {
      if (!db.Checkpoint().ok()) maintain_errors.fetch_add(1);
      if (!db.Maintain().ok()) maintain_errors.fetch_add(1);
      (void)db.Stats();
    }
  });
  for (auto& t : threads) t.join();

  EXPECT_EQ(violations.load(), 0u);
  EXPECT_EQ(maintain_errors.load(), 0u);
  EXPECT_GT(query_rounds.load(), 0u);
  ASSERT_TRUE(db.Maintain().ok());
  EXPECT_GT(db.Stats().retention_partitions_dropped, 0u);

  // The last hour (inside retention and the head window) is complete, before and after
  // reopening.
  auto check = [&](Db& d) {
    const int64_t from = (kCommits - 60) * kStepMs;
    dbtest::Dump dump = dbtest::ReadAll(d, {dbtest::Eq("__name__", "owned")}, from, dbtest::kMax);
    ASSERT_EQ(dump.size(), static_cast<size_t>(kAppenders * kSeriesPerAppender));
    for (auto& [name, bits] : dump) {
      ASSERT_EQ(bits.size(), 120u) << name;
      EXPECT_EQ(bits.back().first, (kCommits - 1) * kStepMs + 1) << name;
    }
  };
  check(db);
  ASSERT_TRUE(db.Close().ok());
  DbOptions manual = o;
  manual.background = false;
  auto reopened = Db::Open(tmp.path(), manual);
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  check(**reopened);
}

}  // namespace
}  // namespace andon
