// Engine behaviour outside the upstream scripts: result shapes, limits (max_samples,
// timeout, cancellation), range-step validation and error kinds.
#include "query/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <string>
#include <variant>

#include "query/parser.h"
#include "tsdb/head.h"

namespace andon::query {
namespace {

// http_requests_total for 4 instances x 2 jobs, one sample every 15 s for 1 h: value
// instance*100 + step; node_temp a gauge for the same instances; node_temp_copy for i0.
class EngineOnSmallHead : public ::testing::Test {
 protected:
  void SetUp() override {
    auto app = head_.NewAppender();
    for (int step = 0; step <= 240; ++step) {
      for (int i = 0; i < 4; ++i) {
        for (const char* job : {"api", "web"}) {
          Labels l{{"__name__", "http_requests_total"},
                   {"instance", "i" + std::to_string(i)},
                   {"job", job}};
          ASSERT_TRUE(app->Append(0, l, step * 15000LL, i * 100.0 + step).ok());
        }
        Labels t{{"__name__", "node_temp"}, {"instance", "i" + std::to_string(i)}};
        ASSERT_TRUE(app->Append(0, t, step * 15000LL, 40.0 + i).ok());
        if (i == 0) {
          Labels copy{{"__name__", "node_temp_copy"}, {"instance", "i0"}};
          ASSERT_TRUE(app->Append(0, copy, step * 15000LL, 40.0).ok());
        }
      }
    }
    ASSERT_TRUE(app->Commit().ok());
    querier_ = head_.NewQuerier();
  }

  Head head_;
  std::unique_ptr<Querier> querier_;
};

TEST_F(EngineOnSmallHead, NumberAndStringLiteralsAreScalarAndString) {
  Engine engine;
  auto r = engine.Instant(*querier_, "1 + 2 * 3", 1000);
  ASSERT_FALSE(r.error) << r.error->message;
  ASSERT_TRUE(std::holds_alternative<Scalar>(r.value));
  EXPECT_EQ(std::get<Scalar>(r.value).v, 7);
  EXPECT_EQ(std::get<Scalar>(r.value).t, 1000);
  r = engine.Instant(*querier_, "\"hello\"", 1000);
  ASSERT_FALSE(r.error);
  EXPECT_EQ(std::get<String>(r.value).v, "hello");
}

TEST_F(EngineOnSmallHead, SelectorUsesLookbackAndSumByGroups) {
  Engine engine;
  // 100 s after the last sample (at 3600 s) the lookback still finds it.
  auto r = engine.Instant(*querier_, "sum by (job) (http_requests_total)", 3700000);
  ASSERT_FALSE(r.error) << r.error->message;
  const Vector& v = std::get<Vector>(r.value);
  ASSERT_EQ(v.size(), 2u);
  for (const auto& s : v) {
    EXPECT_EQ(s.metric.size(), 1u);
    EXPECT_EQ(s.v, 0 + 100 + 200 + 300 + 4 * 240);
  }
  // 301 s after it, nothing.
  r = engine.Instant(*querier_, "http_requests_total", 3600000 + 301000);
  ASSERT_FALSE(r.error);
  EXPECT_TRUE(std::get<Vector>(r.value).empty());
}

TEST_F(EngineOnSmallHead, RangeQueryOfRateMatchesCounterSlope) {
  Engine engine;
  auto r = engine.Range(*querier_, "sum by (job) (rate(http_requests_total[5m]))", 600000, 3600000,
                        60000);
  ASSERT_FALSE(r.error) << r.error->message;
  const Matrix& m = std::get<Matrix>(r.value);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].metric.Get("job"), "api");  // sorted by labels
  ASSERT_EQ(m[0].points.size(), 51u);
  for (const FPoint& p : m[0].points) EXPECT_NEAR(p.v, 4.0 / 15.0, 1e-9);
}

TEST_F(EngineOnSmallHead, BinaryArithmeticMatchesOnInstance) {
  Engine engine;
  auto r = engine.Instant(
      *querier_, "http_requests_total{job=\"api\"} - on(instance) group_left node_temp", 0);
  ASSERT_FALSE(r.error) << r.error->message;
  const Vector& v = std::get<Vector>(r.value);
  ASSERT_EQ(v.size(), 4u);
  for (const auto& s : v) {
    EXPECT_TRUE(s.metric.MetricName().empty());
    int i = s.metric.Get("instance")[1] - '0';
    EXPECT_EQ(s.v, i * 100.0 - (40.0 + i));
  }
}

TEST_F(EngineOnSmallHead, MaxSamplesLimitIsAnExecutionError) {
  EngineOptions o;
  o.max_samples = 100;
  Engine engine(o);
  auto r = engine.Range(*querier_, "http_requests_total", 0, 3600000, 15000);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->kind, QueryErrorKind::kExecution);
  EXPECT_EQ(r.error->message,
            "query processing would load too many samples into memory in query execution");
  EXPECT_EQ(QueryErrorTypeName(r.error->kind), "execution");
  // A small query fits.
  r = engine.Instant(*querier_, "node_temp{instance=\"i1\"}", 3600000);
  EXPECT_FALSE(r.error);
}

TEST_F(EngineOnSmallHead, CancelledQueryEndsWithCanceled) {
  Engine engine;
  std::atomic<bool> cancel{true};
  auto r = engine.Range(*querier_, "rate(http_requests_total[5m])", 0, 3600000, 15000, &cancel);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->kind, QueryErrorKind::kCanceled);
  EXPECT_EQ(QueryErrorTypeName(r.error->kind), "canceled");
}

TEST_F(EngineOnSmallHead, ZeroTimeoutEndsWithTimeout) {
  EngineOptions o;
  o.timeout_ms = 0;
  Engine engine(o);
  auto r = engine.Range(*querier_, "sum(rate(http_requests_total[5m]))", 0, 3600000, 15000);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->kind, QueryErrorKind::kTimeout);
  EXPECT_EQ(r.error->message, "query timed out in expression evaluation");
}

TEST_F(EngineOnSmallHead, BadRangesAreBadData) {
  Engine engine;
  auto r = engine.Range(*querier_, "up", 2000, 1000, 15000);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->kind, QueryErrorKind::kBadData);
  EXPECT_EQ(r.error->message, "end timestamp must not be before start time");
  r = engine.Range(*querier_, "up", 0, 1000, 0);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->message,
            "zero or negative query resolution step widths are not accepted. Try a positive "
            "integer");
  r = engine.Range(*querier_, "up", 0, 11001 * 1000LL, 1000);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->kind, QueryErrorKind::kBadData);
  EXPECT_EQ(r.error->message,
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the "
            "query resolution (?step=XX)");
  r = engine.Range(*querier_, "up", 0, 11000 * 1000LL, 1000);
  EXPECT_FALSE(r.error);
  r = engine.Range(*querier_, "up[5m]", 0, 1000, 1000);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->message,
            "invalid expression type \"range vector\" for range query, must be Scalar or instant "
            "Vector");
  r = engine.Instant(*querier_, "sum(", 0);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->kind, QueryErrorKind::kBadData);
}

TEST_F(EngineOnSmallHead, DuplicateLabelsetsAfterDroppingNameAreAnError) {
  Engine engine;
  auto r = engine.Instant(*querier_,
                          "-{__name__=~\"http_requests_total|node_temp\",job=\"\"} "
                          "or -{__name__=~\"http_requests_total\"}",
                          0);
  ASSERT_FALSE(r.error) << r.error->message;
  r = engine.Instant(*querier_,
                     "ceil({instance=\"i1\", job=\"\"} or {instance=\"i1\", job=\"\"} offset 1m)",
                     600000);
  EXPECT_FALSE(r.error);
  r = engine.Instant(*querier_,
                     "label_replace(http_requests_total, \"job\", \"x\", \"job\", \".*\")", 0);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->message, "vector cannot contain metrics with the same labelset");
}

TEST_F(EngineOnSmallHead, InstantMatrixSelectorReturnsRawPoints) {
  Engine engine;
  auto r = engine.Instant(*querier_, "node_temp{instance=\"i2\"}[1m]", 600000);
  ASSERT_FALSE(r.error);
  const Matrix& m = std::get<Matrix>(r.value);
  ASSERT_EQ(m.size(), 1u);
  ASSERT_EQ(m[0].points.size(), 5u);  // 540, 555, 570, 585, 600 s
  EXPECT_EQ(m[0].points.front().t, 540000);
  EXPECT_EQ(m[0].metric.MetricName(), "node_temp");
}

TEST_F(EngineOnSmallHead, ManyToOneNeedsUniqueOutputLabels) {
  Engine engine;
  // Both jobs of an instance match one node_temp; without job in the output they collide.
  auto r = engine.Instant(*querier_,
                          "node_temp * on(instance) group_right sum without(job) "
                          "(http_requests_total)",
                          0);
  ASSERT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(std::get<Vector>(r.value).size(), 4u);
  r = engine.Instant(*querier_,
                     "max by (instance) (http_requests_total) * on(instance) "
                     "group_left(job) http_requests_total",
                     0);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->message,
            "found duplicate series for the match group {instance=\"i0\"} on the right "
            "hand-side of the operation: [{__name__=\"http_requests_total\", instance=\"i0\", "
            "job=\"web\"}, {__name__=\"http_requests_total\", instance=\"i0\", job=\"api\"}];"
            "many-to-many matching not allowed: matching labels must be unique on one side");
  r = engine.Instant(*querier_,
                     "{__name__=~\"node_temp|node_temp_copy\"} * on(instance) group_left "
                     "max by (instance) (http_requests_total)",
                     0);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->message,
            "multiple matches for labels: grouping labels must ensure unique matches");
}

TEST_F(EngineOnSmallHead, TopkAndSortOrderInstantResults) {
  Engine engine;
  auto r = engine.Instant(*querier_, "topk(3, http_requests_total{job=\"api\"})", 60000);
  ASSERT_FALSE(r.error) << r.error->message;
  const Vector& v = std::get<Vector>(r.value);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].metric.Get("instance"), "i3");
  EXPECT_EQ(v[1].metric.Get("instance"), "i2");
  EXPECT_EQ(v[2].metric.Get("instance"), "i1");
  r = engine.Instant(*querier_, "sort(node_temp * -1)", 60000);
  ASSERT_FALSE(r.error);
  const Vector& s = std::get<Vector>(r.value);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].v, -43);
  EXPECT_EQ(s[3].v, -40);
  r = engine.Instant(*querier_, "count_values(\"temp\", node_temp)", 60000);
  ASSERT_FALSE(r.error);
  EXPECT_EQ(std::get<Vector>(r.value).size(), 4u);
  EXPECT_FALSE(std::get<Vector>(r.value)[0].metric.Get("temp").empty());
}

TEST_F(EngineOnSmallHead, AtStartAndEndPinRangeQueries) {
  Engine engine;
  auto r = engine.Range(*querier_, "node_temp{instance=\"i1\"} @ end() - node_temp @ start()",
                        600000, 1200000, 60000);
  ASSERT_FALSE(r.error) << r.error->message;
  const Matrix& m = std::get<Matrix>(r.value);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].points.size(), 11u);
  for (const FPoint& p : m[0].points) EXPECT_EQ(p.v, 0);
  // A subquery evaluated in a range query: max over 5 m of a 1 m-step inner rate.
  r = engine.Range(*querier_,
                   "max_over_time(rate(http_requests_total{instance=\"i0\",job=\"api\"}[2m])"
                   "[5m:1m])",
                   600000, 1200000, 60000);
  ASSERT_FALSE(r.error) << r.error->message;
  ASSERT_EQ(std::get<Matrix>(r.value).size(), 1u);
  for (const FPoint& p : std::get<Matrix>(r.value)[0].points) EXPECT_NEAR(p.v, 1.0 / 15, 1e-9);
}

TEST_F(EngineOnSmallHead, ExtremeOffsetsAndTimesDoNotOverflow) {
  Engine engine;
  auto r = engine.Instant(*querier_, "rate(node_temp[10000y] offset -10000y)", 0);
  EXPECT_FALSE(r.error);
  r = engine.Range(*querier_, "node_temp", std::numeric_limits<int64_t>::min() / 2,
                   std::numeric_limits<int64_t>::max() / 2, 1);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->kind, QueryErrorKind::kBadData);
}

// Every expression of the upstream scripts, and mutations of them that still parse, run as
// instant and range queries over this head: each returns a value or an error, never crashes
// (run under ASan/UBSan too).
TEST_F(EngineOnSmallHead, ScriptExpressionsAndMutationsNeverCrash) {
  std::filesystem::path dir = std::filesystem::path(ANDON_SHARED_DIR) / "conformance" / "promql";
  ASSERT_TRUE(std::filesystem::is_directory(dir));
  std::vector<std::string> exprs;
  const std::regex header(R"(^\s*eval\S*\s+instant\s+at\s+\S+\s+(.+?)\s*$)");
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".test") continue;
    std::ifstream in(entry.path());
    std::string line;
    std::smatch m;
    while (std::getline(in, line)) {
      if (std::regex_match(line, m, header)) exprs.push_back(m[1].str());
    }
  }
  ASSERT_GT(exprs.size(), 500u);
  EngineOptions o;
  o.max_samples = 200'000;
  Engine engine(o);
  size_t ok = 0;
  size_t errors = 0;
  auto run = [&](const std::string& q) {
    for (int64_t t : {0LL, 1800000LL}) {
      auto r = engine.Instant(*querier_, q, t);
      r.error ? ++errors : ++ok;
    }
    auto r = engine.Range(*querier_, q, 0, 3600000, 60000);
    r.error ? ++errors : ++ok;
  };
  const std::string renames[][2] = {{"metric", "http_requests_total"},
                                    {"http_requests", "http_requests_total"},
                                    {"foo", "node_temp"}};
  for (std::string e : exprs) {
    run(e);
    for (const auto& rn : renames) {
      size_t pos = e.find(rn[0]);
      if (pos != std::string::npos) e.replace(pos, rn[0].size(), rn[1]);
    }
    run(e);
    for (size_t i = 1; i < e.size(); i += 7) {
      std::string cut = e.substr(0, i) + e.substr(i + 1);
      if (ParseExpr(cut).ok()) run(cut);
    }
  }
  EXPECT_GT(ok, 1000u);
  EXPECT_GT(errors, 0u);
}

}  // namespace
}  // namespace andon::query
