#include "query/function_kernels.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <optional>
#include <random>
#include <vector>

namespace andon::query {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kMinute = 60'000;

// Points at start_ms, start_ms + step_ms, ... with the given values, like a `load` block.
std::vector<FPoint> Series(int64_t start_ms, int64_t step_ms, std::vector<double> values) {
  std::vector<FPoint> out;
  for (size_t i = 0; i < values.size(); ++i) {
    out.push_back({start_ms + static_cast<int64_t>(i) * step_ms, values[i]});
  }
  return out;
}

// `expanded` values of a load-block term "start+step x n": n+1 values.
std::vector<double> Ramp(double start, double step, int n) {
  std::vector<double> out;
  for (int i = 0; i <= n; ++i) out.push_back(start + step * i);
  return out;
}

std::vector<double> Concat(std::vector<double> a, const std::vector<double>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The points of `all` within [end - range, end], as a range selector returns them.
std::vector<FPoint> Select(const std::vector<FPoint>& all, int64_t end_ms, int64_t range_ms) {
  std::vector<FPoint> out;
  for (const FPoint& p : all) {
    if (p.t >= end_ms - range_ms && p.t <= end_ms) out.push_back(p);
  }
  return out;
}

std::optional<double> Eval(FunctionId id, const std::vector<FPoint>& all, int64_t end_ms,
                           int64_t range_ms, std::vector<double> args = {}) {
  std::vector<FPoint> pts = Select(all, end_ms, range_ms);
  return EvalRangeKernel(id, pts, RangeWindow{end_ms - range_ms, end_ms}, args);
}

double Elem(FunctionId id, double v, std::vector<double> args = {}) {
  return EvalElementwiseKernel(id, v, args);
}

// The memoizing extrapolator returns ExtrapolateDelta's bits on windows sliding over
// regular and irregular samples (half of the windows keep the previous one's gaps to their
// first and last points, as aligned scrapes do), counters near their zero point (first
// value about twice the increase), and rate/increase/delta alike.
TEST(RangeKernelTest, DeltaExtrapolatorIsBitIdenticalToExtrapolateDelta) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> unit(0, 1);
  DeltaExtrapolator ex;
  int compared = 0;
  int64_t start_gap = 0, end_gap = 0;
  for (int i = 0; i < 200000; ++i) {
    const int64_t step = rng() % 4 == 0 ? 1 + static_cast<int64_t>(rng() % 30000) : 15000;
    const size_t count = 2 + rng() % 40;
    const int64_t start = static_cast<int64_t>(rng() % 100000);
    const bool same_gaps = i > 0 && rng() % 2 == 0;
    if (!same_gaps) {
      start_gap = static_cast<int64_t>(rng() % 60000);
      end_gap = static_cast<int64_t>(rng() % 60000);
    }
    const int64_t first_t = start + start_gap;
    const int64_t last_t = first_t + step * static_cast<int64_t>(count - 1);
    const int64_t end = last_t + end_gap;
    const double result = rng() % 8 == 0 ? -unit(rng) : unit(rng) * 100;
    // First values from far above to below twice the result, and zero.
    const double first_v = rng() % 10 == 0 ? 0 : result * (0.5 + 3 * unit(rng));
    const FPoint first{first_t, first_v}, last{last_t, first_v + result};
    const RangeWindow w{start, end};
    const bool counter = rng() % 4 != 0, rate = rng() % 2 == 0;
    EXPECT_EQ(
        std::bit_cast<uint64_t>(ex(first, last, count, result, w, counter, rate)),
        std::bit_cast<uint64_t>(ExtrapolateDelta(first, last, count, result, w, counter, rate)))
        << i;
    ++compared;
  }
  EXPECT_EQ(compared, 200000);
}

TEST(RangeKernelTest, ClassifiesRangeFunctions) {
  EXPECT_TRUE(IsRangeKernel(FunctionId::kRate));
  EXPECT_TRUE(IsRangeKernel(FunctionId::kQuantileOverTime));
  EXPECT_TRUE(IsRangeKernel(FunctionId::kPresentOverTime));
  EXPECT_TRUE(IsRangeKernel(FunctionId::kHoltWinters));
  EXPECT_FALSE(IsRangeKernel(FunctionId::kAbsentOverTime));
  EXPECT_FALSE(IsRangeKernel(FunctionId::kAbs));
  EXPECT_FALSE(IsRangeKernel(FunctionId::kHistogramQuantile));
}

TEST(RangeKernelTest, IncreaseCoversWholeSeriesWithoutExtrapolation) {
  auto foo = Series(0, 5 * kMinute, Ramp(0, 10, 10));
  auto bar = Series(0, 5 * kMinute, Concat(Ramp(0, 10, 5), Ramp(0, 10, 5)));
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kIncrease, foo, 50 * kMinute, 50 * kMinute), 100);
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kIncrease, bar, 50 * kMinute, 50 * kMinute), 90);
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kIncrease, foo, 50 * kMinute, 100 * kMinute), 100);
}

TEST(RangeKernelTest, IncreaseAddsThePreviousValueAtEachCounterReset) {
  auto s = Series(0, 5 * kMinute, {0, 1, 2, 3, 2, 3, 4});
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kIncrease, s, 30 * kMinute, 30 * kMinute), 7);
}

TEST(RangeKernelTest, RateHandlesResetsInTheMiddleAndAtTheEnd) {
  auto middle = Series(0, 5 * kMinute, Concat(Ramp(0, 10, 4), Ramp(0, 10, 5)));
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kRate, middle, 50 * kMinute, 50 * kMinute), 0.03);
  auto end = Series(0, 5 * kMinute, Concat(Ramp(0, 10, 9), {0, 10}));
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kRate, end, 50 * kMinute, 5 * kMinute), 0);
}

TEST(RangeKernelTest, RateIsPerSecondOverTheRange) {
  auto s = Series(0, 5 * kMinute, Ramp(0, 80, 10));
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kRate, s, 50 * kMinute, 50 * kMinute), 0.26666666666666666);
  // rate(x[10m] offset 5m) at 50m: the window is [35m, 45m].
  auto a = Series(0, 5 * kMinute, Ramp(0, 10, 10));
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kRate, a, 45 * kMinute, 10 * kMinute), 0.03333333333333333);
}

TEST(RangeKernelTest, RateStopsLeftExtrapolationWhereTheCounterWouldBeZero) {
  // testcounter_zero_cutoff: load 4m, start+240x10, rate(...[20m]) at 10m.
  const double expected[] = {0.5, 0.55, 0.6, 0.65, 0.7, 0.6};
  for (int i = 0; i < 6; ++i) {
    auto s = Series(0, 4 * kMinute, Ramp(60.0 * i, 240, 10));
    EXPECT_DOUBLE_EQ(*Eval(FunctionId::kRate, s, 10 * kMinute, 20 * kMinute), expected[i])
        << "start=" << i << "m";
    // At 50m the start gap exceeds 110% of the interval: half an interval is added.
    EXPECT_DOUBLE_EQ(*Eval(FunctionId::kRate, s, 50 * kMinute, 20 * kMinute), 0.6)
        << "start=" << i << "m";
  }
}

TEST(RangeKernelTest, RateNeedsTwoPoints) {
  auto s = Series(0, 5 * kMinute, {1, 2});
  EXPECT_FALSE(Eval(FunctionId::kRate, s, 3 * kMinute, 5 * kMinute).has_value());
  EXPECT_FALSE(Eval(FunctionId::kDelta, s, 3 * kMinute, 5 * kMinute).has_value());
  EXPECT_FALSE(Eval(FunctionId::kIrate, s, 3 * kMinute, 5 * kMinute).has_value());
  EXPECT_FALSE(EvalRangeKernel(FunctionId::kSumOverTime, {}, {0, 1}, {}).has_value());
}

TEST(RangeKernelTest, DeltaExtrapolatesGauges) {
  auto up = Series(0, 5 * kMinute, {0, 50, 100, 150, 200});
  auto down = Series(0, 5 * kMinute, {200, 150, 100, 50, 0});
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kDelta, up, 20 * kMinute, 20 * kMinute), 200);
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kDelta, down, 20 * kMinute, 20 * kMinute), -200);
  // Samples 1m inside each bound of a 10m window with 2m spacing: extrapolated by 1m each.
  auto g = Series(kMinute, 2 * kMinute, {0, 2, 4, 6, 8});
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kDelta, g, 10 * kMinute, 10 * kMinute), 10);
}

TEST(RangeKernelTest, IrateUsesTheLastTwoPoints) {
  auto foo = Series(0, 5 * kMinute, Ramp(0, 10, 10));
  auto bar = Series(0, 5 * kMinute, Concat(Ramp(0, 10, 5), Ramp(0, 10, 5)));
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kIrate, foo, 50 * kMinute, 50 * kMinute), 0.03333333333333333);
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kIrate, bar, 50 * kMinute, 50 * kMinute), 0.03333333333333333);
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kIrate, foo, 30 * kMinute, 50 * kMinute), 0.03333333333333333);
  // A reset between the last two points: the rate of the last value alone.
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kIrate, bar, 30 * kMinute, 50 * kMinute), 0);
}

TEST(RangeKernelTest, IdeltaIsTheDifferenceOfTheLastTwoPoints) {
  auto foo = Series(0, 5 * kMinute, {0, 50, 100, 150});
  auto bar = Series(0, 5 * kMinute, {0, 50, 100, 50});
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kIdelta, foo, 20 * kMinute, 20 * kMinute), 50);
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kIdelta, bar, 20 * kMinute, 20 * kMinute), -50);
}

double AvgOf(std::vector<double> values) {
  auto s = Series(0, 10'000, std::move(values));
  return *Eval(FunctionId::kAvgOverTime, s, kMinute, kMinute);
}

TEST(RangeKernelTest, AvgOverTimeKeepsInfinitiesAndAvoidsOverflow) {
  EXPECT_EQ(AvgOf({1, 2, 3, 4, 5}), 3);
  EXPECT_EQ(AvgOf({1, 2, 3, 4, kInf}), kInf);
  EXPECT_EQ(AvgOf({1, 2, 3, 4, -kInf}), -kInf);
  EXPECT_TRUE(std::isnan(AvgOf({1, 2, 3, kInf, -kInf})));
  EXPECT_EQ(AvgOf({kInf, 0, kInf}), kInf);
  EXPECT_TRUE(std::isnan(AvgOf({kInf, kInf, kInf, -kInf})));
  EXPECT_EQ(AvgOf({1, 2, 3, -kInf, -kInf}), -kInf);
  EXPECT_EQ(AvgOf({-kInf, 0, -kInf}), -kInf);
  EXPECT_TRUE(std::isnan(AvgOf({1, 2, -kInf, -kInf, kInf})));
  EXPECT_EQ(AvgOf({9.988465674311579e+307, 9.988465674311579e+307}), 9.988465674311579e+307);
  EXPECT_EQ(AvgOf({-9.988465674311579e+307, -9.988465674311579e+307, -9.988465674311579e+307}),
            -9.988465674311579e+307);
  EXPECT_EQ(AvgOf({-9.988465674311579e+307, 9.988465674311579e+307}), 0);
}

TEST(RangeKernelTest, SumOverTimeOverflowsLikeAPlainSum) {
  auto s = Series(0, 10'000, {9.988465674311579e+307, 9.988465674311579e+307});
  EXPECT_EQ(*Eval(FunctionId::kSumOverTime, s, kMinute, kMinute), kInf);
  auto t = Series(0, 10'000, {1, 2, 3, 4, 5});
  EXPECT_EQ(*Eval(FunctionId::kSumOverTime, t, kMinute, kMinute), 15);
  EXPECT_EQ(*Eval(FunctionId::kCountOverTime, t, kMinute, kMinute), 5);
  EXPECT_EQ(*Eval(FunctionId::kLastOverTime, t, kMinute, kMinute), 5);
  EXPECT_EQ(*Eval(FunctionId::kPresentOverTime, t, kMinute, kMinute), 1);
}

TEST(RangeKernelTest, StddevAndStdvarArePopulationStatistics) {
  auto s = Series(0, 10'000, {0, 8, 8, 2, 3});
  EXPECT_NEAR(*Eval(FunctionId::kStdvarOverTime, s, kMinute, kMinute), 10.56, 1e-12);
  EXPECT_NEAR(*Eval(FunctionId::kStddevOverTime, s, kMinute, kMinute), 3.249615, 1e-6);
}

TEST(RangeKernelTest, StddevOfAConstantSeriesIsExactlyZero) {
  auto s = Series(0, 10'000, {1.5990505637277868, 1.5990505637277868, 1.5990505637277868});
  EXPECT_EQ(*Eval(FunctionId::kStdvarOverTime, s, kMinute, kMinute), 0);
  EXPECT_EQ(*Eval(FunctionId::kStddevOverTime, s, kMinute, kMinute), 0);
}

TEST(RangeKernelTest, MinAndMaxOverTimeIgnoreNaNUnlessAllAreNaN) {
  auto s = Series(0, 10'000, {kNaN, 3, 1, kNaN, 2});
  EXPECT_EQ(*Eval(FunctionId::kMinOverTime, s, kMinute, kMinute), 1);
  EXPECT_EQ(*Eval(FunctionId::kMaxOverTime, s, kMinute, kMinute), 3);
  auto n = Series(0, 10'000, {kNaN, kNaN});
  EXPECT_TRUE(std::isnan(*Eval(FunctionId::kMinOverTime, n, kMinute, kMinute)));
  EXPECT_TRUE(std::isnan(*Eval(FunctionId::kMaxOverTime, n, kMinute, kMinute)));
}

TEST(RangeKernelTest, QuantileOverTimeInterpolatesBetweenRanks) {
  auto two = Series(0, 10'000, {0, 1});
  auto three = Series(0, 10'000, {0, 1, 2});
  auto uneven = Series(0, 10'000, {0, 1, 4});
  struct Case {
    double q, two, three, uneven;
  };
  for (const Case& c : {Case{0, 0, 0, 0}, Case{0.5, 0.5, 1, 1}, Case{0.75, 0.75, 1.5, 2.5},
                        Case{0.8, 0.8, 1.6, 2.8}, Case{1, 1, 2, 4}}) {
    EXPECT_DOUBLE_EQ(*Eval(FunctionId::kQuantileOverTime, two, kMinute, kMinute, {c.q}), c.two);
    EXPECT_DOUBLE_EQ(*Eval(FunctionId::kQuantileOverTime, three, kMinute, kMinute, {c.q}), c.three);
    EXPECT_DOUBLE_EQ(*Eval(FunctionId::kQuantileOverTime, uneven, kMinute, kMinute, {c.q}),
                     c.uneven);
  }
  EXPECT_EQ(*Eval(FunctionId::kQuantileOverTime, two, kMinute, kMinute, {-1}), -kInf);
  EXPECT_EQ(*Eval(FunctionId::kQuantileOverTime, two, kMinute, kMinute, {2}), kInf);
}

TEST(RangeKernelTest, UnknownFunctionYieldsNothing) {
  auto s = Series(0, 10'000, {1, 2});
  EXPECT_FALSE(Eval(FunctionId::kAbs, s, kMinute, kMinute).has_value());
  EXPECT_FALSE(Eval(FunctionId::kAbsentOverTime, s, kMinute, kMinute).has_value());
}

TEST(QuantileTest, HandlesEdgeQuantilesAndNaN) {
  std::vector<double> v = {3, 1, 2};
  EXPECT_EQ(Quantile(0.5, v), 2);
  EXPECT_EQ(Quantile(-0.1, v), -kInf);
  EXPECT_EQ(Quantile(1.1, v), kInf);
  EXPECT_TRUE(std::isnan(Quantile(kNaN, v)));
  std::vector<double> empty;
  EXPECT_TRUE(std::isnan(Quantile(0.5, empty)));
  // NaN sorts below every number.
  std::vector<double> with_nan = {5, kNaN, 1};
  EXPECT_TRUE(std::isnan(Quantile(0, with_nan)));
  EXPECT_EQ(Quantile(1, with_nan), 5);
  EXPECT_EQ(Quantile(0.5, with_nan), 1);
}

TEST(ElementwiseKernelTest, ClassifiesElementwiseFunctions) {
  EXPECT_TRUE(IsElementwiseKernel(FunctionId::kAbs));
  EXPECT_TRUE(IsElementwiseKernel(FunctionId::kClamp));
  EXPECT_TRUE(IsElementwiseKernel(FunctionId::kAtanh));
  EXPECT_TRUE(IsElementwiseKernel(FunctionId::kYear));
  EXPECT_FALSE(IsElementwiseKernel(FunctionId::kRate));
  EXPECT_FALSE(IsElementwiseKernel(FunctionId::kTimestamp));
  EXPECT_FALSE(IsElementwiseKernel(FunctionId::kSort));
}

TEST(ElementwiseKernelTest, BasicMath) {
  EXPECT_EQ(Elem(FunctionId::kAbs, -2.5), 2.5);
  EXPECT_EQ(Elem(FunctionId::kCeil, 1.2), 2);
  EXPECT_EQ(Elem(FunctionId::kFloor, -1.2), -2);
  EXPECT_EQ(Elem(FunctionId::kExp, 0), 1);
  EXPECT_EQ(Elem(FunctionId::kLn, 1), 0);
  EXPECT_EQ(Elem(FunctionId::kLn, 0), -kInf);
  EXPECT_TRUE(std::isnan(Elem(FunctionId::kLn, -1)));
  EXPECT_EQ(Elem(FunctionId::kLog2, 8), 3);
  EXPECT_EQ(Elem(FunctionId::kLog10, 1000), 3);
  EXPECT_EQ(Elem(FunctionId::kSqrt, 16), 4);
  EXPECT_TRUE(std::isnan(Elem(FunctionId::kSqrt, -1)));
}

TEST(ElementwiseKernelTest, SgnKeepsZeroSignAndNaN) {
  EXPECT_EQ(Elem(FunctionId::kSgn, -3), -1);
  EXPECT_EQ(Elem(FunctionId::kSgn, 3), 1);
  EXPECT_EQ(Elem(FunctionId::kSgn, -kInf), -1);
  EXPECT_TRUE(std::signbit(Elem(FunctionId::kSgn, -0.0)));
  EXPECT_EQ(Elem(FunctionId::kSgn, 0.0), 0);
  EXPECT_TRUE(std::isnan(Elem(FunctionId::kSgn, kNaN)));
}

TEST(ElementwiseKernelTest, RoundsHalfUpToNearestMultiple) {
  EXPECT_EQ(Elem(FunctionId::kRound, 2.5), 3);
  EXPECT_EQ(Elem(FunctionId::kRound, -2.5), -2);  // floor(x + 0.5), unlike math.Round
  EXPECT_EQ(Elem(FunctionId::kRound, 1.4), 1);
  EXPECT_DOUBLE_EQ(Elem(FunctionId::kRound, 12.34, {0.1}), 12.3);
  EXPECT_EQ(Elem(FunctionId::kRound, 17, {5}), 15);
  EXPECT_EQ(Elem(FunctionId::kRound, 17.5, {5}), 20);
  EXPECT_TRUE(std::isnan(Elem(FunctionId::kRound, kNaN)));
  EXPECT_EQ(Elem(FunctionId::kRound, kInf), kInf);
}

TEST(ElementwiseKernelTest, ClampFollowsGoMinMax) {
  EXPECT_EQ(Elem(FunctionId::kClamp, 5, {0, 3}), 3);
  EXPECT_EQ(Elem(FunctionId::kClamp, -5, {0, 3}), 0);
  EXPECT_EQ(Elem(FunctionId::kClamp, 2, {0, 3}), 2);
  EXPECT_TRUE(std::isnan(Elem(FunctionId::kClamp, kNaN, {0, 3})));
  EXPECT_EQ(Elem(FunctionId::kClampMin, -5, {0}), 0);
  EXPECT_EQ(Elem(FunctionId::kClampMin, 5, {0}), 5);
  EXPECT_EQ(Elem(FunctionId::kClampMax, 5, {1}), 1);
  EXPECT_TRUE(std::isnan(Elem(FunctionId::kClampMax, kNaN, {1})));
  // Go's math.Max: +Inf wins over NaN; +0 over -0.
  EXPECT_EQ(Elem(FunctionId::kClampMin, kNaN, {kInf}), kInf);
  EXPECT_FALSE(std::signbit(Elem(FunctionId::kClampMin, -0.0, {0.0})));
  EXPECT_TRUE(std::signbit(Elem(FunctionId::kClampMax, 0.0, {-0.0})));
}

TEST(ElementwiseKernelTest, TrigonometryAndAngles) {
  EXPECT_DOUBLE_EQ(Elem(FunctionId::kSin, std::numbers::pi / 2), 1);
  EXPECT_DOUBLE_EQ(Elem(FunctionId::kCos, 0), 1);
  EXPECT_DOUBLE_EQ(Elem(FunctionId::kTan, std::numbers::pi / 4), 1);
  EXPECT_DOUBLE_EQ(Elem(FunctionId::kAsin, 1), std::numbers::pi / 2);
  EXPECT_DOUBLE_EQ(Elem(FunctionId::kAcos, 1), 0);
  EXPECT_DOUBLE_EQ(Elem(FunctionId::kAtan, 1), std::numbers::pi / 4);
  EXPECT_DOUBLE_EQ(Elem(FunctionId::kSinh, 1), std::sinh(1.0));
  EXPECT_DOUBLE_EQ(Elem(FunctionId::kCosh, 0), 1);
  EXPECT_DOUBLE_EQ(Elem(FunctionId::kTanh, 0), 0);
  EXPECT_DOUBLE_EQ(Elem(FunctionId::kAsinh, 0), 0);
  EXPECT_DOUBLE_EQ(Elem(FunctionId::kAcosh, 1), 0);
  EXPECT_EQ(Elem(FunctionId::kAtanh, 1), kInf);
  EXPECT_TRUE(std::isnan(Elem(FunctionId::kAsin, 2)));
  EXPECT_DOUBLE_EQ(Elem(FunctionId::kDeg, std::numbers::pi), 180);
  EXPECT_DOUBLE_EQ(Elem(FunctionId::kRad, 180), std::numbers::pi);
}

TEST(ElementwiseKernelTest, UnknownFunctionGivesNaN) {
  EXPECT_TRUE(std::isnan(Elem(FunctionId::kRate, 1)));
  EXPECT_TRUE(std::isnan(Elem(FunctionId::kLabelJoin, 1)));
}

TEST(RangeKernelTest, DerivIsTheLeastSquaresSlope) {
  auto linear = Series(0, 5 * kMinute, Ramp(0, 80, 10));
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kDeriv, linear, 50 * kMinute, 50 * kMinute),
                   0.26666666666666666);
  auto middle = Series(0, 5 * kMinute, Concat(Ramp(0, 10, 4), Ramp(0, 10, 5)));
  EXPECT_NEAR(*Eval(FunctionId::kDeriv, middle, 50 * kMinute, 100 * kMinute), 0.010606060606060607,
              1e-15);
  auto one = Series(0, 5 * kMinute, {1});
  EXPECT_FALSE(Eval(FunctionId::kDeriv, one, 50 * kMinute, 100 * kMinute).has_value());
}

TEST(RangeKernelTest, DerivOfAConstantSeriesIsZeroAndOfConstantInfinityNaN) {
  auto flat = Series(0, 10'000, {1e10 + 0.1, 1e10 + 0.1, 1e10 + 0.1});
  EXPECT_EQ(*Eval(FunctionId::kDeriv, flat, kMinute, kMinute), 0);
  auto inf = Series(0, 10'000, {kInf, kInf});
  EXPECT_TRUE(std::isnan(*Eval(FunctionId::kDeriv, inf, kMinute, kMinute)));
}

TEST(RangeKernelTest, PredictLinearAnchorsAtTheEvaluationTime) {
  auto middle = Series(0, 5 * kMinute, Concat(Ramp(0, 10, 4), Ramp(0, 10, 5)));
  // Anchored at the window's end (3000s), predicting 3600s ahead.
  EXPECT_NEAR(*Eval(FunctionId::kPredictLinear, middle, 50 * kMinute, 100 * kMinute, {3600}),
              76.81818181818181, 1e-9);
  // `@ 3000` evaluated at 10m: the window ends at 3000s but the fit is anchored at 600s.
  EXPECT_NEAR(*Eval(FunctionId::kPredictLinear, middle, 50 * kMinute, 100 * kMinute,
                    {3600, 10.0 * kMinute}),
              51.36363636363637, 1e-9);
  EXPECT_NEAR(*Eval(FunctionId::kPredictLinear, middle, 50 * kMinute, 100 * kMinute,
                    {3600, 70.0 * kMinute}),
              89.54545454545455, 1e-9);
}

TEST(RangeKernelTest, HoltWintersFollowsLinearTrends) {
  // load 10s; holt_winters(x[1m], 0.01, 0.1) at 8000s sees the points of 7940s..8000s.
  struct Case {
    double start, step, expected;
  };
  for (const Case& c : {Case{0, 10, 8000}, Case{0, 20, 16000}, Case{0, 30, 24000},
                        Case{8000, -10, 0}, Case{0, -20, -16000}, Case{0, -40, -32000}}) {
    auto s = Series(0, 10'000, Ramp(c.start, c.step, 1000));
    EXPECT_NEAR(*Eval(FunctionId::kHoltWinters, s, 8'000'000, kMinute, {0.01, 0.1}), c.expected,
                1e-6);
  }
}

TEST(RangeKernelTest, HoltWintersSmoothsNoise) {
  // Hand-computed: s1=1, b=2; i=1: s=0.5*3+0.5*(1+2)=3; i=2: b=0.5*(3-1)+0.5*2=2,
  // s=0.5*4+0.5*(3+2)=4.5.
  auto s = Series(0, 10'000, {1, 3, 4});
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kHoltWinters, s, kMinute, kMinute, {0.5, 0.5}), 4.5);
}

TEST(RangeKernelTest, HoltWintersRejectsFactorsOutsideTheOpenUnitInterval) {
  auto s = Series(0, 10'000, {1, 3, 4});
  EXPECT_FALSE(Eval(FunctionId::kHoltWinters, s, kMinute, kMinute, {0, 0.5}).has_value());
  EXPECT_FALSE(Eval(FunctionId::kHoltWinters, s, kMinute, kMinute, {0.5, 1}).has_value());
  auto one = Series(0, 10'000, {1});
  EXPECT_FALSE(Eval(FunctionId::kHoltWinters, one, kMinute, kMinute, {0.5, 0.5}).has_value());
}

TEST(RangeKernelTest, ResetsAndChangesCountOverTheWindow) {
  auto foo = Series(0, 5 * kMinute, {1, 2, 3, 0, 1, 0, 0, 1, 2, 0});
  auto bar = Series(0, 5 * kMinute, {1, 2, 3, 4, 5, 1, 2, 3, 4, 5});
  auto biz = Series(0, 5 * kMinute, {0, 0, 0, 0, 0, 1, 1, 1, 1, 1});
  struct Case {
    int64_t range_min;
    double foo_resets, bar_resets, biz_resets, foo_changes, bar_changes, biz_changes;
  };
  for (const Case& c : {Case{5, 0, 0, 0, 0, 0, 0}, Case{20, 1, 0, 0, 3, 3, 0},
                        Case{30, 2, 1, 0, 4, 5, 1}, Case{50, 3, 1, 0, 8, 9, 1}}) {
    int64_t r = c.range_min * kMinute;
    EXPECT_EQ(*Eval(FunctionId::kResets, foo, 50 * kMinute, r), c.foo_resets) << c.range_min;
    EXPECT_EQ(*Eval(FunctionId::kResets, bar, 50 * kMinute, r), c.bar_resets) << c.range_min;
    EXPECT_EQ(*Eval(FunctionId::kResets, biz, 50 * kMinute, r), c.biz_resets) << c.range_min;
    EXPECT_EQ(*Eval(FunctionId::kChanges, foo, 50 * kMinute, r), c.foo_changes) << c.range_min;
    EXPECT_EQ(*Eval(FunctionId::kChanges, bar, 50 * kMinute, r), c.bar_changes) << c.range_min;
    EXPECT_EQ(*Eval(FunctionId::kChanges, biz, 50 * kMinute, r), c.biz_changes) << c.range_min;
  }
}

TEST(RangeKernelTest, ChangesTreatsNaNAsEqualToNaN) {
  auto b = Series(0, 5 * kMinute, {kNaN, kNaN, kNaN});
  auto c = Series(0, 5 * kMinute, {0, kNaN, 0});
  EXPECT_EQ(*Eval(FunctionId::kChanges, b, 15 * kMinute, 15 * kMinute), 0);
  EXPECT_EQ(*Eval(FunctionId::kChanges, c, 15 * kMinute, 15 * kMinute), 2);
}

// Expected values from Prometheus 2.42 (promtool test rules) on a load-1m series.
TEST(RangeKernelTest, MatchesPrometheusOnAnIrregularGauge) {
  auto g = Series(0, kMinute, {0, 5, 3, 9, 2, 8, 1, 7, 4, 6});
  // predict_linear(g[5m] offset 2m, 60) at 9m: anchored at 9m, not at the window's end.
  EXPECT_NEAR(*Eval(FunctionId::kPredictLinear, g, 7 * kMinute, 5 * kMinute, {60, 9.0 * kMinute}),
              5.314285714285714, 1e-12);
  EXPECT_NEAR(*Eval(FunctionId::kHoltWinters, g, 9 * kMinute, 9 * kMinute, {0.3, 0.6}),
              4.235558859804669, 1e-12);
  EXPECT_NEAR(*Eval(FunctionId::kDeriv, g, 9 * kMinute, 9 * kMinute), 4.949494949494949e-03, 1e-15);
  EXPECT_DOUBLE_EQ(*Eval(FunctionId::kDelta, g, 9 * kMinute, 7 * kMinute), 3);
  // Three resets, and the left extrapolation limited by the half-minute gap.
  EXPECT_NEAR(*Eval(FunctionId::kRate, g, 9 * kMinute, 7 * kMinute + 30'000), 6.428571428571428e-02,
              1e-15);
  EXPECT_NEAR(*Eval(FunctionId::kStddevOverTime, g, 9 * kMinute, 9 * kMinute), 2.8722813232690143,
              1e-12);
}

TEST(ElementwiseKernelTest, DateFunctionsReadUtcCalendarFields) {
  const double ref = 1136239445;  // 2006-01-02 22:04:05 UTC, a Monday
  EXPECT_EQ(Elem(FunctionId::kYear, ref), 2006);
  EXPECT_EQ(Elem(FunctionId::kMonth, ref), 1);
  EXPECT_EQ(Elem(FunctionId::kDayOfMonth, ref), 2);
  EXPECT_EQ(Elem(FunctionId::kDayOfYear, ref), 2);
  EXPECT_EQ(Elem(FunctionId::kDayOfWeek, ref), 1);
  EXPECT_EQ(Elem(FunctionId::kHour, ref), 22);
  EXPECT_EQ(Elem(FunctionId::kMinute, ref), 4);
  EXPECT_EQ(Elem(FunctionId::kDaysInMonth, ref), 31);
  EXPECT_EQ(Elem(FunctionId::kYear, 0), 1970);
  EXPECT_EQ(Elem(FunctionId::kDayOfWeek, 0), 4);  // Thursday
  EXPECT_EQ(Elem(FunctionId::kYear, 1230767999), 2008);
  EXPECT_EQ(Elem(FunctionId::kYear, 1230768000), 2009);
}

TEST(ElementwiseKernelTest, DateFunctionsHandleLeapYears) {
  EXPECT_EQ(Elem(FunctionId::kMonth, 1456790399), 2);  // 2016-02-29 23:59:59
  EXPECT_EQ(Elem(FunctionId::kDayOfMonth, 1456790399), 29);
  EXPECT_EQ(Elem(FunctionId::kMonth, 1456790400), 3);  // 2016-03-01 00:00:00
  EXPECT_EQ(Elem(FunctionId::kDayOfMonth, 1456790400), 1);
  EXPECT_EQ(Elem(FunctionId::kDayOfYear, 1483191420), 366);   // 2016-12-31
  EXPECT_EQ(Elem(FunctionId::kDayOfYear, 1672493820), 365);   // 2022-12-31
  EXPECT_EQ(Elem(FunctionId::kDaysInMonth, 1454284800), 29);  // 2016-02-01
  EXPECT_EQ(Elem(FunctionId::kDaysInMonth, 1485907200), 28);  // 2017-02-01
  EXPECT_EQ(Elem(FunctionId::kDaysInMonth, 951782400), 29);   // 2000-02-29
  EXPECT_EQ(Elem(FunctionId::kDaysInMonth, 4107456000), 28);  // 2100-02-28
  EXPECT_EQ(Elem(FunctionId::kDayOfYear, 4107542400), 60);    // 2100-03-01
}

TEST(ElementwiseKernelTest, DateFunctionsBeforeTheEpochAndOnBadInput) {
  // -1 is 1969-12-31 23:59:59, a Wednesday; fractions truncate towards zero.
  EXPECT_EQ(Elem(FunctionId::kYear, -1), 1969);
  EXPECT_EQ(Elem(FunctionId::kDayOfYear, -1), 365);
  EXPECT_EQ(Elem(FunctionId::kDayOfWeek, -1), 3);
  EXPECT_EQ(Elem(FunctionId::kHour, -1), 23);
  EXPECT_EQ(Elem(FunctionId::kMinute, -1), 59);
  EXPECT_EQ(Elem(FunctionId::kYear, -0.5), 1970);
  EXPECT_EQ(Elem(FunctionId::kYear, -62135596800), 1);  // 0001-01-01
  EXPECT_TRUE(std::isnan(Elem(FunctionId::kYear, kNaN)));
  EXPECT_TRUE(std::isnan(Elem(FunctionId::kMonth, kInf)));
}

// The testhistogram_bucket series of histograms.test at 50m.
std::vector<Bucket> PositiveHistogram() { return {{0.1, 50}, {0.2, 70}, {1, 110}, {kInf, 120}}; }
std::vector<Bucket> NegativeHistogram() { return {{-0.2, 10}, {-0.1, 20}, {0.3, 20}, {kInf, 30}}; }

double BucketQ(double q, std::vector<Bucket> buckets) { return BucketQuantile(q, buckets); }

TEST(BucketQuantileTest, InterpolatesWithinTheBucketHoldingTheRank) {
  EXPECT_DOUBLE_EQ(BucketQ(0.2, PositiveHistogram()), 0.048);
  EXPECT_DOUBLE_EQ(BucketQ(0.5, PositiveHistogram()), 0.15);
  EXPECT_DOUBLE_EQ(BucketQ(0.8, PositiveHistogram()), 0.72);
  EXPECT_DOUBLE_EQ(BucketQ(0.2, NegativeHistogram()), -0.2);
  EXPECT_DOUBLE_EQ(BucketQ(0.5, NegativeHistogram()), -0.15);
  EXPECT_DOUBLE_EQ(BucketQ(0.8, NegativeHistogram()), 0.3);
  std::vector<Bucket> middle = {{0, 0}, {2, 1}, {4, 2}, {6, 3}, {kInf, 3}};
  EXPECT_DOUBLE_EQ(BucketQ(1. / 6., middle), 1);
  EXPECT_DOUBLE_EQ(BucketQ(0.5, middle), 3);
  EXPECT_DOUBLE_EQ(BucketQ(5. / 6., middle), 5);
}

TEST(BucketQuantileTest, LowestBucketStartsAtZeroOnlyWhenItsBoundIsPositive) {
  EXPECT_EQ(BucketQ(0, PositiveHistogram()), 0);
  EXPECT_EQ(BucketQ(0, NegativeHistogram()), -0.2);
}

TEST(BucketQuantileTest, RankInTheInfBucketGivesTheHighestFiniteBound) {
  EXPECT_EQ(BucketQ(1, PositiveHistogram()), 1);
  EXPECT_EQ(BucketQ(1, NegativeHistogram()), 0.3);
}

TEST(BucketQuantileTest, OutOfRangeAndNaNQuantiles) {
  EXPECT_EQ(BucketQ(-0.1, PositiveHistogram()), -kInf);
  EXPECT_EQ(BucketQ(1.01, PositiveHistogram()), kInf);
  EXPECT_TRUE(std::isnan(BucketQ(kNaN, PositiveHistogram())));
}

TEST(BucketQuantileTest, AcceptsBucketsInAnyOrder) {
  std::vector<Bucket> shuffled = {{kInf, 120}, {1, 110}, {0.1, 50}, {0.2, 70}};
  EXPECT_DOUBLE_EQ(BucketQ(0.5, shuffled), 0.15);
}

TEST(BucketQuantileTest, RepairsNonMonotonicCounts) {
  std::vector<Bucket> b = {{0.1, 20}, {1, 10}, {10, 50}, {100, 40}, {1000, 90}, {kInf, 80}};
  EXPECT_DOUBLE_EQ(BucketQ(0.01, b), 0.0045);
  EXPECT_DOUBLE_EQ(BucketQ(0.5, b), 8.5);
  EXPECT_DOUBLE_EQ(BucketQ(0.99, b), 979.75);
}

TEST(BucketQuantileTest, MergesBucketsWithTheSameBound) {
  // mixed_bucket rates: le 0.1, 0.2 (three spellings) and +Inf.
  double r = 1.0 / 300;
  std::vector<Bucket> b = {{0.1, r}, {0.2, r}, {0.2, r}, {0.2, r}, {kInf, 4 * r}};
  EXPECT_DOUBLE_EQ(BucketQ(0.5, b), 0.15);
  EXPECT_DOUBLE_EQ(BucketQ(0.75, b), 0.2);
  EXPECT_DOUBLE_EQ(BucketQ(1, b), 0.2);
  // Two spellings of +Inf only: one bucket after merging.
  EXPECT_TRUE(std::isnan(BucketQ(0.5, {{kInf, 0}, {kInf, 0}})));
}

TEST(BucketQuantileTest, NaNWithoutInfBucketOrObservations) {
  EXPECT_TRUE(std::isnan(BucketQ(0.5, {{0.1, 1}, {0.2, 2}})));
  EXPECT_TRUE(std::isnan(BucketQ(0.5, {{kInf, 5}})));
  EXPECT_TRUE(std::isnan(BucketQ(0.2, {{0.1, 0}, {0.2, 0}, {kInf, 0}})));
  EXPECT_TRUE(std::isnan(BucketQ(0.5, {})));
}

TEST(BucketQuantileTest, AggregatedRatesFromTheConformanceScript) {
  // sum(rate(request_duration_seconds_bucket[5m])) by (le): 10, 19 and 25 per 300s.
  std::vector<Bucket> b = {{0.1, 10.0 / 300}, {0.2, 19.0 / 300}, {kInf, 25.0 / 300}};
  EXPECT_NEAR(BucketQ(0.3, b), 0.075, 1e-12);
  EXPECT_NEAR(BucketQ(0.5, b), 0.1277777777777778, 1e-12);
}

const Labels kTestMetric = {
    {"__name__", "testmetric"}, {"src", "source-value-10"}, {"dst", "original-destination-value"}};

TEST(LabelReplaceTest, ReplacesOnAFullMatch) {
  auto r = LabelReplace(kTestMetric, "dst", "destination-value-$1", "src", "source-value-(.*)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Get("dst"), "destination-value-10");
  EXPECT_EQ(r->Get("src"), "source-value-10");
  EXPECT_EQ(r->MetricName(), "testmetric");
}

TEST(LabelReplaceTest, DoesNotMatchSubstrings) {
  auto r = LabelReplace(kTestMetric, "dst", "destination-value-$1", "src", "value-(.*)");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, kTestMetric);
}

TEST(LabelReplaceTest, ExpandsSeveralGroups) {
  auto r = LabelReplace(kTestMetric, "dst", "$1-value-$2", "src", "(.*)-value-(.*)");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Get("dst"), "source-value-10");
}

TEST(LabelReplaceTest, MissingSourceMatchesTheEmptyString) {
  auto untouched = LabelReplace(kTestMetric, "dst", "value-$1", "nonexistent", "source-(.*)");
  ASSERT_TRUE(untouched.ok());
  EXPECT_EQ(*untouched, kTestMetric);
  auto set = LabelReplace(kTestMetric, "dst", "value-$1", "nonexistent", "(.*)");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->Get("dst"), "value-");
}

TEST(LabelReplaceTest, EmptyReplacementDropsTheLabel) {
  auto r = LabelReplace(kTestMetric, "dst", "", "dst", ".*");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->Has("dst"));
  EXPECT_EQ(r->size(), 2u);
}

TEST(LabelReplaceTest, ExpandsLikeGoTemplates) {
  Labels l = {{"src", "ab"}};
  auto expand = [&](std::string_view repl, std::string_view regex = "(?P<first>a)(b)") {
    auto r = LabelReplace(l, "dst", repl, "src", regex);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return std::string(r->Get("dst"));
  };
  EXPECT_EQ(expand("${1}x"), "ax");
  EXPECT_EQ(expand("$1x"), "");  // the group named "1x"
  EXPECT_EQ(expand("$first-$2"), "a-b");
  EXPECT_EQ(expand("${first}_"), "a_");
  EXPECT_EQ(expand("$first_"), "");  // the group named "first_"
  EXPECT_EQ(expand("$0"), "ab");
  EXPECT_EQ(expand("$3|$01|$nope"), "||");
  EXPECT_EQ(expand("$$1"), "$1");
  EXPECT_EQ(expand("cost: $"), "cost: $");
  EXPECT_EQ(expand("${1"), "${1");
  EXPECT_EQ(expand("$-"), "$-");
  EXPECT_EQ(expand("[$2]", "(a)(x)?b"), "[]");
}

TEST(LabelReplaceTest, RejectsInvalidRegexAndDestination) {
  auto bad_regex = LabelReplace(kTestMetric, "dst", "value-$1", "src", "(.*");
  ASSERT_FALSE(bad_regex.ok());
  EXPECT_EQ(bad_regex.status().message(), "invalid regular expression in label_replace(): (.*");
  auto bad_dst = LabelReplace(kTestMetric, "invalid-label-name", "", "src", "(.*)");
  ASSERT_FALSE(bad_dst.ok());
  EXPECT_EQ(bad_dst.status().message(),
            "invalid destination label name in label_replace(): invalid-label-name");
}

TEST(LabelReplaceTest, AlternatingRegexesEachApply) {
  Labels l = {{"src", "ab"}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(LabelReplace(l, "dst", "$1", "src", "(a)b")->Get("dst"), "a");
    EXPECT_EQ(LabelReplace(l, "dst", "$1", "src", "a(b)")->Get("dst"), "b");
    EXPECT_FALSE(LabelReplace(l, "dst", "$1", "src", "a(b").ok());
  }
}

TEST(LabelReplaceTest, AnchorsAlternations) {
  Labels l = {{"src", "xab"}};
  auto r = LabelReplace(l, "dst", "hit", "src", "x|xab");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Get("dst"), "hit");
  auto miss = LabelReplace(l, "dst", "hit", "src", "a|b");
  ASSERT_TRUE(miss.ok());
  EXPECT_FALSE(miss->Has("dst"));
}

TEST(LabelJoinTest, JoinsSourceValuesInOrder) {
  Labels l = {{"src", "a"}, {"src1", "b"}, {"src2", "c"}, {"dst", "original"}};
  std::vector<std::string> src = {"src", "src1", "src2"};
  auto r = LabelJoin(l, "dst", "-", src);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Get("dst"), "a-b-c");
  std::vector<std::string> gap = {"src", "src3", "src1"};
  EXPECT_EQ(LabelJoin(l, "dst", "-", gap)->Get("dst"), "a--b");
}

TEST(LabelJoinTest, EmptyResultDropsTheDestination) {
  Labels l = {{"src", "a"}, {"dst", "original"}};
  std::vector<std::string> missing = {"emptysrc", "emptysrc1"};
  auto r = LabelJoin(l, "dst", "", missing);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->Has("dst"));
  auto none = LabelJoin(l, "dst", ", ", {});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, (Labels{{"src", "a"}}));
  // A separator between missing values is not empty.
  EXPECT_EQ(LabelJoin(l, "dst", ",", missing)->Get("dst"), ",");
}

TEST(LabelJoinTest, RejectsInvalidLabelNames) {
  Labels l = {{"src", "a"}};
  std::vector<std::string> bad_src = {"src", "not-valid"};
  auto r = LabelJoin(l, "dst", "-", bad_src);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "invalid source label name in label_join(): not-valid");
  std::vector<std::string> src = {"src"};
  auto d = LabelJoin(l, "1dst", "-", src);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "invalid destination label name in label_join(): 1dst");
}

}  // namespace
}  // namespace andon::query
