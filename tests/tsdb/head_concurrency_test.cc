// Appenders, queriers and garbage collection running at once. Checks the invariants a
// query must always see: each series' samples strictly increasing in time, and a commit's
// samples for one series visible all together (each commit adds a pair per series, so a
// series always shows an even count). Run it under -DANDON_SANITIZE=thread as well.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tsdb/head.h"

namespace andon {
namespace {

using Type = LabelMatcher::Type;

constexpr int kAppenders = 4;
constexpr int kSeriesPerAppender = 100;
constexpr int kCommits = 200;

Labels OwnedSeries(int appender, int i) {
  return Labels(
      {{"__name__", "owned"}, {"appender", std::to_string(appender)}, {"i", std::to_string(i)}});
}

TEST(HeadConcurrencyTest, QueriesSeeWholeCommitsWhileAppendersAndGcRun) {
  Head head;
  std::atomic<int> appenders_done{0};
  std::atomic<int> min_commit{0};  // every appender has finished commits below this
  std::vector<std::atomic<int>> progress(kAppenders);
  std::atomic<uint64_t> violations{0};
  std::atomic<uint64_t> query_rounds{0};

  std::vector<std::thread> threads;
  for (int a = 0; a < kAppenders; ++a) {
    threads.emplace_back([&, a] {
      // ASSERTs return from `run` only, so appenders_done always counts this thread.
      auto run = [&] {
        auto app = head.NewAppender();
        std::vector<SeriesRef> refs(kSeriesPerAppender, 0);
        for (int k = 0; k < kCommits; ++k) {
          for (int i = 0; i < kSeriesPerAppender; ++i) {
            Labels l = refs[i] == 0 ? OwnedSeries(a, i) : Labels();
            auto r = app->Append(refs[i], l, 2 * k, k);
            ASSERT_TRUE(r.ok()) << r.status().message();
            refs[i] = *r;
            ASSERT_TRUE(app->Append(refs[i], l, 2 * k + 1, k).ok());
          }
          // Contended series: every appender writes its own timestamps; some are rejected.
          (void)app->Append(0, Labels({{"__name__", "shared"}}), 10 * k + a, a);
          // Churn: short-lived series the GC should collect.
          (void)app->Append(0, Labels({{"__name__", "churn"}, {"id", std::to_string(k * 10 + a)}}),
                            2 * k, 1);
          ASSERT_TRUE(app->Commit().ok());
          progress[a].store(k + 1);
        }
      };
      run();
      appenders_done.fetch_add(1);
    });
  }
  for (int q = 0; q < 2; ++q) {
    threads.emplace_back([&] {
      std::vector<LabelMatcher> owned{LabelMatcher::MustMake(Type::kEqual, "__name__", "owned"),
                                      LabelMatcher::MustMake(Type::kRegexMatch, "i", "1.*|2")};
      std::vector<LabelMatcher> shared{
          LabelMatcher::MustMake(Type::kRegexMatch, "__name__", "shared|churn")};
      do {
        auto querier = head.NewQuerier();
        for (auto* ms : {&owned, &shared}) {
          auto set = querier->Select(*ms, 0, 1 << 30);
          Labels prev;
          bool first = true;
          while (set->Next()) {
            if (!first && !(prev < set->At().labels())) violations.fetch_add(1);
            prev = set->At().labels();
            first = false;
            auto it = set->At().Iterator();
            int64_t last = -1;
            size_t n = 0;
            while (it->Next()) {
              if (it->At().t <= last) violations.fetch_add(1);
              last = it->At().t;
              ++n;
            }
            if (ms == &owned && n % 2 != 0) violations.fetch_add(1);
          }
        }
        (void)querier->LabelValues("id", {});
        query_rounds.fetch_add(1);
      } while (appenders_done.load() < kAppenders);
    });
  }
  threads.emplace_back([&] {
    while (appenders_done.load() < kAppenders) {
      int low = kCommits;
      for (auto& p : progress) low = std::min(low, p.load());
      int keep_from = std::max(0, low - 20);
      head.Gc(2 * keep_from);  // even: never splits a commit's pair
      min_commit.store(keep_from);
      std::this_thread::yield();
    }
  });
  for (auto& t : threads) t.join();

  EXPECT_EQ(violations.load(), 0u);
  EXPECT_GT(query_rounds.load(), 0u);
  // Every owned series survived GC (they are always fresh) and holds whole pairs.
  auto querier = head.NewQuerier();
  std::vector<LabelMatcher> owned{LabelMatcher::MustMake(Type::kEqual, "__name__", "owned")};
  auto set = querier->Select(owned, 0, 1 << 30);
  int series = 0;
  while (set->Next()) {
    ++series;
    auto it = set->At().Iterator();
    int64_t n = 0, last = -1;
    while (it->Next()) {
      ++n;
      last = it->At().t;
    }
    EXPECT_EQ(last, 2 * kCommits - 1);
    EXPECT_EQ(n % 2, 0);
    EXPECT_EQ(n, 2 * (kCommits - min_commit.load()));
  }
  EXPECT_EQ(series, kAppenders * kSeriesPerAppender);
  // After a final GC beyond all data only nothing is left, in map and index alike.
  head.Gc(1 << 30);
  head.Gc(1 << 30);
  EXPECT_EQ(head.NumSeries(), 0u);
  EXPECT_TRUE(head.NewQuerier()->LabelNames({})->empty());
}

}  // namespace
}  // namespace andon
