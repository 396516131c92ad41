#include "tsdb/head.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "tsdb/head_querier.h"

namespace andon {
namespace {

using Type = LabelMatcher::Type;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

LabelMatcher M(Type t, std::string n, std::string v) {
  return LabelMatcher::MustMake(t, std::move(n), std::move(v));
}

struct SelectedSeries {
  std::string labels;
  std::vector<Sample> samples;
};

std::vector<SelectedSeries> SelectAll(Head& head, std::vector<LabelMatcher> ms, int64_t mint = kMin,
                                      int64_t maxt = kMax) {
  auto q = head.NewQuerier();
  auto set = q->Select(ms, mint, maxt);
  std::vector<SelectedSeries> out;
  while (set->Next()) {
    SelectedSeries s{set->At().labels().ToString(), {}};
    auto it = set->At().Iterator();
    while (it->Next()) s.samples.push_back(it->At());
    EXPECT_TRUE(it->Err().ok());
    out.push_back(std::move(s));
  }
  EXPECT_TRUE(set->Err().ok());
  return out;
}

std::vector<std::string> Names(const std::vector<SelectedSeries>& v) {
  std::vector<std::string> out;
  for (const auto& s : v) out.push_back(s.labels);
  return out;
}

// Ten series of http_requests_total, pod p0..p9; even pods job="api", odd job="web";
// pods 0..2 also env="prod". Each has samples at t=1000,2000,3000 with value pod*10+k.
class HeadWithTenSeries : public ::testing::Test {
 protected:
  void SetUp() override {
    auto app = head_.NewAppender();
    for (int k = 1; k <= 3; ++k) {
      for (int p = 0; p < 10; ++p) {
        LabelsBuilder b;
        b.Set("__name__", "http_requests_total").Set("pod", "p" + std::to_string(p));
        b.Set("job", p % 2 == 0 ? "api" : "web");
        if (p < 3) b.Set("env", "prod");
        auto r = app->Append(0, b.Build(), k * 1000, p * 10 + k);
        ASSERT_TRUE(r.ok()) << r.status().message();
        refs_[p] = *r;
      }
      ASSERT_TRUE(app->Commit().ok());
    }
  }
  std::vector<std::string> Pods(std::vector<LabelMatcher> ms) {
    std::vector<std::string> out;
    auto q = head_.NewQuerier();
    auto set = q->Select(ms, kMin, kMax);
    while (set->Next()) out.emplace_back(set->At().labels().Get("pod"));
    std::sort(out.begin(), out.end());  // Select sorts by all labels; compare pods only
    return out;
  }
  Head head_;
  SeriesRef refs_[10] = {};
};

TEST_F(HeadWithTenSeries, RoundTripsSamplesOfEverySeries) {
  auto all = SelectAll(head_, {M(Type::kEqual, "__name__", "http_requests_total")});
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all[0].labels, R"({__name__="http_requests_total", env="prod", job="api", pod="p0"})");
  ASSERT_EQ(all[0].samples.size(), 3u);
  EXPECT_EQ(all[0].samples[2].t, 3000);
  EXPECT_EQ(all[0].samples[2].v, 3);
  EXPECT_EQ(head_.NumSeries(), 10u);
  EXPECT_EQ(head_.SamplesAppended(), 30u);
}

TEST_F(HeadWithTenSeries, SelectsWithEveryMatcherType) {
  EXPECT_EQ(Pods({M(Type::kEqual, "pod", "p3")}), (std::vector<std::string>{"p3"}));
  EXPECT_EQ(Pods({M(Type::kEqual, "job", "api"), M(Type::kNotEqual, "pod", "p0")}),
            (std::vector<std::string>{"p2", "p4", "p6", "p8"}));
  EXPECT_EQ(Pods({M(Type::kRegexMatch, "pod", "p[1-3]")}),
            (std::vector<std::string>{"p1", "p2", "p3"}));
  EXPECT_EQ(Pods({M(Type::kRegexMatch, "pod", "p7|p9|nope")}),
            (std::vector<std::string>{"p7", "p9"}));
  EXPECT_EQ(Pods({M(Type::kRegexNoMatch, "pod", "p[0-7]")}),
            (std::vector<std::string>{"p8", "p9"}));
  // A missing label matches the empty value.
  EXPECT_EQ(Pods({M(Type::kEqual, "env", ""), M(Type::kEqual, "job", "web")}),
            (std::vector<std::string>{"p3", "p5", "p7", "p9"}));
  EXPECT_EQ(Pods({M(Type::kNotEqual, "env", "")}), (std::vector<std::string>{"p0", "p1", "p2"}));
  EXPECT_EQ(Pods({M(Type::kNotEqual, "env", "prod"), M(Type::kRegexMatch, "pod", "p[2-4]")}),
            (std::vector<std::string>{"p3", "p4"}));
  EXPECT_EQ(Pods({M(Type::kRegexMatch, "env", "prod|"), M(Type::kEqual, "job", "web")}),
            (std::vector<std::string>{"p1", "p3", "p5", "p7", "p9"}));
  EXPECT_EQ(Pods({M(Type::kRegexNoMatch, "env", ".+"), M(Type::kEqual, "pod", "p1")}),
            (std::vector<std::string>{}));
  EXPECT_EQ(Pods({M(Type::kEqual, "nolabel", "x")}), (std::vector<std::string>{}));
  EXPECT_EQ(Pods({M(Type::kEqual, "job", "api"), M(Type::kEqual, "job", "web")}),
            (std::vector<std::string>{}));
}

TEST_F(HeadWithTenSeries, SelectOutputIsSortedByLabels) {
  auto all = Names(SelectAll(head_, {M(Type::kRegexMatch, "pod", ".+")}));
  ASSERT_EQ(all.size(), 10u);
  auto q = head_.NewQuerier();
  std::vector<LabelMatcher> ms{M(Type::kRegexMatch, "pod", ".+")};
  auto set = q->Select(ms, kMin, kMax);
  Labels prev;
  int n = 0;
  while (set->Next()) {
    if (n++ > 0) {
      EXPECT_LT(Compare(prev, set->At().labels()), 0);
    }
    prev = set->At().labels();
  }
  EXPECT_EQ(n, 10);
  // env="prod" series sort before those without env (name "env" < "job").
  EXPECT_NE(all[0].find("env=\"prod\""), std::string::npos);
  EXPECT_EQ(all[3].find("env="), std::string::npos);
}

TEST_F(HeadWithTenSeries, SelectLimitsSamplesToRangeAndSkipsSeriesWithoutAny) {
  auto app = head_.NewAppender();
  ASSERT_TRUE(app->Append(refs_[4], Labels(), 9000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  auto late = SelectAll(head_, {M(Type::kRegexMatch, "pod", ".+")}, 4000, 10000);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_NE(late[0].labels.find("pod=\"p4\""), std::string::npos);
  ASSERT_EQ(late[0].samples.size(), 1u);
  EXPECT_EQ(late[0].samples[0].t, 9000);
  auto mid = SelectAll(head_, {M(Type::kEqual, "pod", "p4")}, 2000, 3000);
  ASSERT_EQ(mid.size(), 1u);
  EXPECT_EQ(mid[0].samples.size(), 2u);
}

TEST_F(HeadWithTenSeries, IteratorSeeksForwardOnly) {
  auto q = head_.NewQuerier();
  std::vector<LabelMatcher> ms{M(Type::kEqual, "pod", "p1")};
  auto set = q->Select(ms, kMin, kMax);
  ASSERT_TRUE(set->Next());
  auto it = set->At().Iterator();
  ASSERT_TRUE(it->Seek(1500));
  EXPECT_EQ(it->At().t, 2000);
  ASSERT_TRUE(it->Seek(1000));  // already past: stays
  EXPECT_EQ(it->At().t, 2000);
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->At().t, 3000);
  EXPECT_FALSE(it->Seek(3001));
  EXPECT_FALSE(it->Next());
}

// ReadAll (the batch read) returns exactly what Next()/At() would, across sealed chunks and
// the open one, limited to the Select range, appending after what the vector holds.
TEST(HeadTest, ReadAllMatchesNextAcrossChunksAndAfterSeek) {
  Head head;
  LabelsBuilder b;
  b.Set("__name__", "m");
  Labels ls = b.Build();
  auto app = head.NewAppender();
  SeriesRef ref = 0;
  constexpr int kN = 2000;  // four sealed chunks of 480 and an open one
  const int64_t mint = 1000 + 15000 * 300 + 1, maxt = 1000 + 15000 * 1700;
  std::vector<Sample> want;
  for (int i = 0; i < kN; ++i) {
    double v = i % 7 == 0 ? 0.1 * i : 1.5 * (i / 3);  // decimal runs, changes, rescales
    int64_t t = 1000 + 15000 * int64_t{i} + (i % 5 == 0 ? 3 : 0);  // some late scrapes
    auto r = app->Append(ref, ls, t, v);
    ASSERT_TRUE(r.ok());
    ref = *r;
    if (t >= mint && t <= maxt) want.push_back(Sample{t, v});
  }
  ASSERT_TRUE(app->Commit().ok());
  auto q = head.NewQuerier();
  std::vector<LabelMatcher> ms{M(Type::kEqual, "__name__", "m")};

  std::vector<Sample> by_next;
  auto set = q->Select(ms, mint, maxt);
  ASSERT_TRUE(set->Next());
  auto it = set->At().Iterator();
  while (it->Next()) by_next.push_back(it->At());
  ASSERT_EQ(by_next.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(by_next[i].t, want[i].t) << i;
    ASSERT_EQ(by_next[i].v, want[i].v) << i;
  }

  std::vector<Sample> all{{-1, -1}};  // ReadAll appends
  auto it2 = set->At().Iterator();
  ASSERT_TRUE(it2->ReadAll(&all));
  ASSERT_EQ(all.size(), by_next.size() + 1);
  for (size_t i = 0; i < by_next.size(); ++i) {
    ASSERT_EQ(all[i + 1].t, by_next[i].t) << i;
    ASSERT_EQ(std::bit_cast<uint64_t>(all[i + 1].v), std::bit_cast<uint64_t>(by_next[i].v)) << i;
  }
  EXPECT_FALSE(it2->Next());

  std::vector<Sample> rest;
  auto it3 = set->At().Iterator();
  ASSERT_TRUE(it3->Seek(by_next[1000].t));
  ASSERT_TRUE(it3->ReadAll(&rest));  // the samples after the current one
  ASSERT_EQ(rest.size(), by_next.size() - 1001);
  EXPECT_EQ(rest.front().t, by_next[1001].t);
  EXPECT_FALSE(it3->Next());
  rest.clear();
  EXPECT_TRUE(it3->ReadAll(&rest));
  EXPECT_TRUE(rest.empty());
  EXPECT_FALSE(set->Next());
}

TEST_F(HeadWithTenSeries, AppendByRefIgnoresLabelsAndReturnsTheSameRef) {
  auto app = head_.NewAppender();
  auto r = app->Append(refs_[2], Labels({{"__name__", "ignored"}}), 4000, 42);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, refs_[2]);
  ASSERT_TRUE(app->Commit().ok());
  auto s = SelectAll(head_, {M(Type::kEqual, "pod", "p2")});
  ASSERT_EQ(s[0].samples.size(), 4u);
  EXPECT_EQ(s[0].samples[3].v, 42);
  EXPECT_EQ(head_.RefForLabels(Labels({{"__name__", "ignored"}})), 0u);
  EXPECT_EQ(head_.NumSeries(), 10u);
}

TEST_F(HeadWithTenSeries, UnknownRefFallsBackToLabelsOrFails) {
  auto app = head_.NewAppender();
  Labels l{{"__name__", "new_metric"}};
  auto r = app->Append(999999, l, 1000, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(*r, 999999u);
  EXPECT_EQ(head_.RefForLabels(l), *r);
  auto bad = app->Append(999999, Labels(), 1000, 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "unknown series ref 999999");
  EXPECT_EQ(app->Append(0, Labels(), 1000, 1).status().message(), "empty label set");
}

TEST_F(HeadWithTenSeries, RejectsOutOfOrderSampleButCommitsTheRest) {
  auto app = head_.NewAppender();
  auto ooo = app->Append(refs_[0], Labels(), 2500, 1);
  ASSERT_FALSE(ooo.ok());
  EXPECT_EQ(ooo.status().message(), "out of order sample");
  auto dup = app->Append(refs_[1], Labels(), 3000, 999);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().message(), "duplicate sample for timestamp");
  EXPECT_TRUE(app->Append(refs_[1], Labels(), 3000, 13).ok());  // same value: accepted, no-op
  ASSERT_TRUE(app->Append(refs_[2], Labels(), 4000, 7).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(head_.OutOfOrderSamples(), 1u);
  EXPECT_EQ(head_.DuplicateSamples(), 1u);
  EXPECT_EQ(SelectAll(head_, {M(Type::kEqual, "pod", "p0")})[0].samples.size(), 3u);
  EXPECT_EQ(SelectAll(head_, {M(Type::kEqual, "pod", "p1")})[0].samples.size(), 3u);
  EXPECT_EQ(SelectAll(head_, {M(Type::kEqual, "pod", "p2")})[0].samples.size(), 4u);
  EXPECT_EQ(head_.SamplesAppended(), 31u);
}

TEST_F(HeadWithTenSeries, OutOfOrderWithinOneTransactionIsDroppedAtCommitAndCounted) {
  auto app = head_.NewAppender();
  ASSERT_TRUE(app->Append(refs_[5], Labels(), 5000, 1).ok());
  ASSERT_TRUE(app->Append(refs_[5], Labels(), 4000, 2).ok());  // committed state is t=3000
  ASSERT_TRUE(app->Append(refs_[5], Labels(), 6000, 3).ok());
  ASSERT_TRUE(app->Commit().ok());
  auto s = SelectAll(head_, {M(Type::kEqual, "pod", "p5")}, 4000, kMax);
  ASSERT_EQ(s[0].samples.size(), 2u);
  EXPECT_EQ(s[0].samples[0].t, 5000);
  EXPECT_EQ(s[0].samples[1].t, 6000);
  EXPECT_EQ(head_.OutOfOrderSamples(), 1u);
}

TEST_F(HeadWithTenSeries, RollbackDiscardsTheTransaction) {
  auto app = head_.NewAppender();
  ASSERT_TRUE(app->Append(refs_[0], Labels(), 5000, 1).ok());
  ASSERT_TRUE(app->Append(0, Labels({{"__name__", "fresh"}}), 5000, 1).ok());
  app->Rollback();
  ASSERT_TRUE(app->Commit().ok());  // nothing left to commit
  EXPECT_EQ(SelectAll(head_, {M(Type::kEqual, "pod", "p0")})[0].samples.size(), 3u);
  EXPECT_TRUE(SelectAll(head_, {M(Type::kEqual, "__name__", "fresh")}).empty());
  EXPECT_EQ(head_.SamplesAppended(), 30u);
  // The appender is reusable after a rollback.
  ASSERT_TRUE(app->Append(refs_[0], Labels(), 5000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(SelectAll(head_, {M(Type::kEqual, "pod", "p0")})[0].samples.size(), 4u);
}

TEST_F(HeadWithTenSeries, LabelNamesAndValuesHonourMatchers) {
  auto q = head_.NewQuerier();
  EXPECT_EQ(*q->LabelNames({}), (std::vector<std::string>{"__name__", "env", "job", "pod"}));
  std::vector<LabelMatcher> web{M(Type::kEqual, "job", "web")};
  EXPECT_EQ(*q->LabelNames(web), (std::vector<std::string>{"__name__", "env", "job", "pod"}));
  std::vector<LabelMatcher> no_env{M(Type::kEqual, "env", ""), M(Type::kEqual, "pod", "p5")};
  EXPECT_EQ(*q->LabelNames(no_env), (std::vector<std::string>{"__name__", "job", "pod"}));
  EXPECT_EQ(*q->LabelValues("job", {}), (std::vector<std::string>{"api", "web"}));
  std::vector<LabelMatcher> prod{M(Type::kEqual, "env", "prod")};
  EXPECT_EQ(*q->LabelValues("pod", prod), (std::vector<std::string>{"p0", "p1", "p2"}));
  EXPECT_TRUE(q->LabelValues("nope", {})->empty());
}

TEST_F(HeadWithTenSeries, StatsReportTimesAndTopCardinality) {
  HeadStats s = head_.Stats();
  EXPECT_EQ(s.num_series, 10u);
  EXPECT_EQ(s.min_time, 1000);
  EXPECT_EQ(s.max_time, 3000);
  IndexCardinality c = head_.Cardinality(3);
  ASSERT_EQ(c.series_count_by_metric_name.size(), 1u);
  EXPECT_EQ(c.series_count_by_metric_name[0].name, "http_requests_total");
  EXPECT_EQ(c.series_count_by_metric_name[0].value, 10u);
  ASSERT_EQ(c.series_count_by_label_value_pair.size(), 3u);
  EXPECT_EQ(c.series_count_by_label_value_pair[0].name, "__name__=http_requests_total");
  EXPECT_EQ(c.series_count_by_label_value_pair[1].name, "job=api");
  EXPECT_EQ(c.series_count_by_label_value_pair[1].value, 5u);
  ASSERT_EQ(c.label_value_count_by_label_name.size(), 3u);
  EXPECT_EQ(c.label_value_count_by_label_name[0].name, "pod");
  EXPECT_EQ(c.label_value_count_by_label_name[0].value, 10u);
}

TEST_F(HeadWithTenSeries, GcRemovesIdleSeriesFromMapAndIndex) {
  auto app = head_.NewAppender();
  for (int p : {0, 1}) ASSERT_TRUE(app->Append(refs_[p], Labels(), 10000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  GcResult r = head_.Gc(5000);
  EXPECT_EQ(r.series_removed, 8u);
  EXPECT_EQ(r.samples_removed, 24u);  // whole chunks: p0 and p1 keep theirs (hidden below 5000)
  EXPECT_EQ(head_.NumSeries(), 2u);
  EXPECT_EQ(Pods({M(Type::kRegexMatch, "pod", ".+")}), (std::vector<std::string>{"p0", "p1"}));
  auto q = head_.NewQuerier();
  EXPECT_EQ(*q->LabelValues("pod", {}), (std::vector<std::string>{"p0", "p1"}));
  EXPECT_EQ(*q->LabelValues("job", {}), (std::vector<std::string>{"api", "web"}));
  EXPECT_TRUE(head_.LabelsForRef(refs_[5]).empty());
  EXPECT_EQ(head_.Stats().min_time, 10000);
  // Too old for the head now, and a gc'd ref must come back through its labels.
  auto old = app->Append(refs_[0], Labels(), 4000, 1);
  EXPECT_EQ(old.status().message(), "out of bounds");
  EXPECT_EQ(head_.OutOfBoundsSamples(), 1u);
  Labels p5{{"__name__", "http_requests_total"}, {"job", "web"}, {"pod", "p5"}};
  auto back = app->Append(refs_[5], p5, 11000, 1);
  ASSERT_TRUE(back.ok());
  EXPECT_GT(*back, refs_[9]);
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(Pods({M(Type::kEqual, "pod", "p5")}), (std::vector<std::string>{"p5"}));
}

TEST(HeadTest, MaxSeriesPerMetricRefusesNewSeriesButNotExistingOnesOrOtherNames) {
  Head head(HeadOptions{.max_series_per_metric = 2});
  auto app = head.NewAppender();
  auto pod = [](std::string_view name, std::string_view pod) {
    return Labels({{"__name__", name}, {"pod", pod}});
  };
  ASSERT_TRUE(app->Append(0, pod("cpu", "a"), 1000, 1).ok());
  ASSERT_TRUE(app->Append(0, pod("cpu", "b"), 1000, 1).ok());
  Result<SeriesRef> third = app->Append(0, pod("cpu", "c"), 1000, 1);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(third.status().message(),
            "per-metric series limit exceeded (metric: cpu, limit: 2, "
            "--storage.tsdb.max-series-per-metric)");
  EXPECT_TRUE(third.status().message().starts_with(kErrSeriesLimitPerMetric));
  EXPECT_EQ(head.SeriesLimitSamples(), 1u);
  // Existing series of the metric and series of other names are unaffected.
  EXPECT_TRUE(app->Append(0, pod("cpu", "a"), 2000, 2).ok());
  EXPECT_TRUE(app->Append(0, pod("mem", "c"), 1000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(head.NumSeries(), 3u);
  EXPECT_EQ(head.Stats().series_limit_samples, 1u);
  // Once a series of the metric leaves the head (GC), a new one fits again.
  auto app2 = head.NewAppender();
  ASSERT_TRUE(app2->Append(0, pod("cpu", "a"), 5000, 3).ok());
  ASSERT_TRUE(app2->Commit().ok());
  head.Gc(3000);  // cpu{pod="b"} has nothing newer than 1000
  EXPECT_TRUE(app2->Append(0, pod("cpu", "c"), 6000, 1).ok());
  ASSERT_TRUE(app2->Commit().ok());
  EXPECT_EQ(head.SeriesLimitSamples(), 1u);
}

TEST(HeadTest, GcRemovesSeriesLeftEmptyByARollback) {
  Head head;
  auto app = head.NewAppender();
  ASSERT_TRUE(app->Append(0, Labels({{"__name__", "a"}}), 1000, 1).ok());
  app->Rollback();  // the series exists, without samples
  EXPECT_EQ(head.NumSeries(), 1u);
  EXPECT_EQ(head.Gc(0).series_removed, 1u);
  EXPECT_EQ(head.NumSeries(), 0u);
  EXPECT_TRUE(head.NewQuerier()->LabelNames({})->empty());
}

TEST(HeadTest, GcNeverRemovesASeriesUnderAnOpenTransaction) {
  Head head;
  auto app = head.NewAppender();
  Labels a{{"__name__", "a"}};
  SeriesRef ref = *app->Append(0, a, 1000, 1);  // new, empty series; transaction open
  std::thread gc([&] { head.Gc(0); });          // its removal step waits for the commit
  ASSERT_TRUE(app->Append(ref, Labels(), 2000, 2).ok());
  ASSERT_TRUE(app->Commit().ok());
  gc.join();
  EXPECT_EQ(head.RefForLabels(a), ref);
  auto s = SelectAll(head, {M(Type::kEqual, "__name__", "a")});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].samples.size(), 2u);
}

// The in-order check at Append reads the committed last time without the stripe lock:
// appenders racing on one series (and Gc alongside) must still end with every timestamp
// committed at most once, in order, and each Append's verdict must be one a locked read
// could have given (ok, out of order, or duplicate when the value differs).
TEST(HeadTest, ConcurrentAppendersOnOneSeriesKeepItInOrder) {
  Head head;
  Labels a{{"__name__", "a"}};
  SeriesRef ref = 0;
  {
    auto app = head.NewAppender();
    ref = *app->Append(0, a, 1, 0);
    ASSERT_TRUE(app->Commit().ok());
  }
  constexpr int kThreads = 4;
  constexpr int64_t kTimes = 2000;
  std::atomic<bool> stop{false};
  std::thread gc([&] {
    while (!stop.load()) head.Gc(0);
  });
  std::vector<std::thread> writers;
  std::vector<std::string> errors(kThreads);
  for (int w = 0; w < kThreads; ++w) {
    writers.emplace_back([&, w] {
      auto app = head.NewAppender();
      for (int64_t t = 2; t <= kTimes; ++t) {
        // Even times carry the same value from every writer, odd ones differ by writer.
        double v = t % 2 == 0 ? static_cast<double>(t) : static_cast<double>(t * 10 + w);
        Result<SeriesRef> r = app->Append(ref, Labels(), t, v);
        if (!r.ok()) {
          const std::string m = r.status().message();
          if (m != kErrOutOfOrderSample && m != kErrDuplicateSampleForTimestamp) errors[w] = m;
          continue;
        }
        if (*r != ref) errors[w] = "ref changed";
        if (Status c = app->Commit(); !c.ok()) errors[w] = c.message();
      }
    });
  }
  for (auto& t : writers) t.join();
  stop.store(true);
  gc.join();
  for (const std::string& e : errors) EXPECT_EQ(e, "");
  auto s = SelectAll(head, {M(Type::kEqual, "__name__", "a")});
  ASSERT_EQ(s.size(), 1u);
  const auto& samples = s[0].samples;
  ASSERT_FALSE(samples.empty());
  for (size_t i = 1; i < samples.size(); ++i) EXPECT_LT(samples[i - 1].t, samples[i].t);
  EXPECT_EQ(samples.back().t, kTimes);
  EXPECT_EQ(head.SamplesAppended(), samples.size());
}

uint64_t ConstantHash(const Labels&) { return 42; }

TEST(HeadTest, HashCollisionsKeepSeriesApart) {
  Head head(HeadOptions{.wal = nullptr, .label_hash = &ConstantHash});
  auto app = head.NewAppender();
  std::vector<SeriesRef> refs;
  for (int i = 0; i < 50; ++i) {
    auto r = app->Append(0, Labels({{"__name__", "m"}, {"i", std::to_string(i)}}), 1000, i);
    ASSERT_TRUE(r.ok());
    refs.push_back(*r);
  }
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(head.NumSeries(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(head.RefForLabels(Labels({{"__name__", "m"}, {"i", std::to_string(i)}})), refs[i]);
  }
  // Collect the first (the map's primary entry) and a middle one; the rest stay reachable.
  for (int i : {0, 25}) ASSERT_TRUE(app->Append(refs[i], Labels(), 5000, 1).ok());
  for (int i : {1, 2}) ASSERT_TRUE(app->Append(refs[i], Labels(), 5000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(head.Gc(2000).series_removed, 46u);
  for (int i = 0; i < 50; ++i) {
    SeriesRef want = (i == 0 || i == 1 || i == 2 || i == 25) ? refs[i] : 0;
    EXPECT_EQ(head.RefForLabels(Labels({{"__name__", "m"}, {"i", std::to_string(i)}})), want) << i;
  }
  auto again = app->Append(0, Labels({{"__name__", "m"}, {"i", "7"}}), 6000, 1);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*again, refs[7]);
  auto same = app->Append(0, Labels({{"__name__", "m"}, {"i", "25"}}), 6000, 1);
  EXPECT_EQ(*same, refs[25]);
}

TEST(HeadTest, StalenessMarkerIsStoredBitExactAndComparedByBits) {
  Head head;
  auto app = head.NewAppender();
  Labels l{{"__name__", "up"}};
  auto ref = *app->Append(0, l, 1000, 1);
  ASSERT_TRUE(app->Append(ref, l, 2000, kStaleNaN).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_TRUE(app->Append(ref, l, 2000, kStaleNaN).ok());  // same bits: not a duplicate
  auto dup = app->Append(ref, l, 2000, std::nan(""));
  EXPECT_EQ(dup.status().message(), "duplicate sample for timestamp");
  ASSERT_TRUE(app->Commit().ok());
  auto s = SelectAll(head, {M(Type::kEqual, "__name__", "up")});
  ASSERT_EQ(s[0].samples.size(), 2u);
  EXPECT_TRUE(IsStaleNaN(s[0].samples[1].v));
  EXPECT_FALSE(IsStaleNaN(std::nan("")));
}

// Records what the head logs; can be told to fail.
class RecordingWal : public HeadWal {
 public:
  Status Log(std::span<const NewSeries> series, std::span<const RefSample> samples) override {
    if (fail) return Status::IOError("disk full");
    series_.insert(series_.end(), series.begin(), series.end());
    samples_.insert(samples_.end(), samples.begin(), samples.end());
    ++calls;
    return Status::Ok();
  }
  bool fail = false;
  int calls = 0;
  std::vector<NewSeries> series_;
  std::vector<RefSample> samples_;
};

TEST(HeadWalTest, CommitLogsNewSeriesOnceAndAllSamples) {
  RecordingWal wal;
  Head head(HeadOptions{.wal = &wal});
  auto app = head.NewAppender();
  Labels a{{"__name__", "a"}}, b{{"__name__", "b"}};
  SeriesRef ra = *app->Append(0, a, 1000, 1);
  SeriesRef rb = *app->Append(0, b, 1000, 2);
  ASSERT_TRUE(app->Append(ra, a, 2000, 3).ok());
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_EQ(wal.series_.size(), 2u);
  EXPECT_EQ(wal.series_[0].ref, ra);
  EXPECT_EQ(wal.series_[0].labels, a);
  EXPECT_EQ(wal.series_[1].ref, rb);
  ASSERT_EQ(wal.samples_.size(), 3u);
  ASSERT_TRUE(app->Append(ra, a, 3000, 4).ok());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(wal.series_.size(), 2u);  // already logged
  EXPECT_EQ(wal.samples_.size(), 4u);
  EXPECT_EQ(wal.calls, 2);
}

TEST(HeadWalTest, FailedLogFailsCommitAndAppliesNothing) {
  RecordingWal wal;
  Head head(HeadOptions{.wal = &wal});
  auto app = head.NewAppender();
  Labels a{{"__name__", "a"}};
  SeriesRef ra = *app->Append(0, a, 1000, 1);
  wal.fail = true;
  Status st = app->Commit();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "commit: write-ahead log: disk full");
  EXPECT_TRUE(SelectAll(head, {M(Type::kEqual, "__name__", "a")}).empty());
  EXPECT_EQ(head.SamplesAppended(), 0u);
  // The series record was never logged, so the next commit carries it.
  wal.fail = false;
  ASSERT_TRUE(app->Append(ra, a, 1000, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_EQ(wal.series_.size(), 1u);
  EXPECT_EQ(wal.series_[0].ref, ra);
  EXPECT_EQ(SelectAll(head, {M(Type::kEqual, "__name__", "a")}).size(), 1u);
}

TEST(HeadWalTest, ReplayRebuildsTheHeadWithoutRelogging) {
  RecordingWal wal;
  {
    Head head(HeadOptions{.wal = &wal});
    auto app = head.NewAppender();
    for (int i = 0; i < 20; ++i) {
      for (int k = 0; k < 3; ++k) {
        ASSERT_TRUE(
            app->Append(0, Labels({{"__name__", "m"}, {"i", std::to_string(i)}}), k * 10, i).ok());
      }
      ASSERT_TRUE(app->Commit().ok());
    }
  }
  RecordingWal wal2;
  Head head(HeadOptions{.wal = &wal2});
  ASSERT_TRUE(head.Replay(wal.series_, wal.samples_).ok());
  EXPECT_EQ(wal2.calls, 0);
  EXPECT_EQ(head.NumSeries(), 20u);
  EXPECT_EQ(head.SamplesAppended(), 60u);
  auto s = SelectAll(head, {M(Type::kEqual, "i", "7")});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].samples.size(), 3u);
  EXPECT_EQ(head.RefForLabels(Labels({{"__name__", "m"}, {"i", "7"}})), wal.series_[7].ref);
  // New series continue after the replayed refs and replayed series are not re-logged.
  auto app = head.NewAppender();
  SeriesRef fresh = *app->Append(0, Labels({{"__name__", "new"}}), 100, 1);
  EXPECT_GT(fresh, wal.series_.back().ref);
  ASSERT_TRUE(app->Append(wal.series_[3].ref, Labels(), 100, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  ASSERT_EQ(wal2.series_.size(), 1u);
  EXPECT_EQ(wal2.series_[0].ref, fresh);
}

TEST(HeadWalTest, ReplayAliasesDuplicateSeriesAndSkipsUnknownRefs) {
  Head head;
  Labels a{{"__name__", "a"}};
  std::vector<NewSeries> series{{5, a}, {9, a}};
  std::vector<RefSample> samples{{5, 100, 1}, {9, 200, 2}, {77, 300, 3}};
  ASSERT_TRUE(head.Replay(series, samples).ok());
  EXPECT_EQ(head.NumSeries(), 1u);
  EXPECT_EQ(head.ReplayUnknownRefSamples(), 1u);
  auto s = SelectAll(head, {M(Type::kEqual, "__name__", "a")});
  ASSERT_EQ(s[0].samples.size(), 2u);
  std::vector<NewSeries> conflict{{5, Labels({{"__name__", "b"}})}};
  Status st = head.Replay(conflict, {});
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
}

TEST(PostingsTest, IntersectMergeSubtract) {
  Postings a{1, 3, 5, 7}, b{3, 4, 5, 8}, c{9}, d{2}, e{10}, f{0};
  EXPECT_EQ(IntersectPostings(a, b), (Postings{3, 5}));
  EXPECT_EQ(SubtractPostings(a, b), (Postings{1, 7}));
  std::vector<const Postings*> two{&a, &b};
  EXPECT_EQ(MergePostings(two), (Postings{1, 3, 4, 5, 7, 8}));
  std::vector<const Postings*> many{&a, &b, &c, &d, &e, &f};
  EXPECT_EQ(MergePostings(many), (Postings{0, 1, 2, 3, 4, 5, 7, 8, 9, 10}));
  EXPECT_TRUE(MergePostings({}).empty());
}

}  // namespace
}  // namespace andon
