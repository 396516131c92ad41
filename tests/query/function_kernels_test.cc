#include "query/function_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
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

}  // namespace
}  // namespace andon::query
