#include "query/function_kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace andon::query {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Go's math.Max / math.Min: an infinity of the winning sign beats NaN, NaN beats any finite
// value, and +0 is larger than -0.
double GoMax(double a, double b) {
  if (std::isinf(a) && a > 0) return a;
  if (std::isinf(b) && b > 0) return b;
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == 0 && b == 0) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

double GoMin(double a, double b) {
  if (std::isinf(a) && a < 0) return a;
  if (std::isinf(b) && b < 0) return b;
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == 0 && b == 0) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

// One step of Neumaier's compensated summation: adds `inc` to `sum`, accumulating the
// rounding error in `c`.
void CompensatedAdd(double inc, double& sum, double& c) {
  double t = sum + inc;
  if (std::fabs(sum) >= std::fabs(inc)) {
    c += (sum - t) + inc;
  } else {
    c += (inc - t) + sum;
  }
  sum = t;
}

// rate, increase and delta: the difference between the last and first point (plus counter
// resets for counters), extrapolated towards the window bounds. Extrapolation covers at most
// half an average sample interval on each side unless the gap to the bound is within 110%
// of that interval, and for counters it stops where the counter would have been zero.
std::optional<double> ExtrapolatedDelta(std::span<const FPoint> points, RangeWindow window,
                                        bool is_counter, bool is_rate) {
  if (points.size() < 2) return std::nullopt;
  const FPoint& first = points.front();
  const FPoint& last = points.back();
  double result = last.v - first.v;
  if (is_counter) {
    double prev = 0;
    for (const FPoint& p : points) {
      if (p.v < prev) result += prev;
      prev = p.v;
    }
  }
  double to_start = static_cast<double>(first.t - window.start_ms) / 1000;
  double to_end = static_cast<double>(window.end_ms - last.t) / 1000;
  double sampled = static_cast<double>(last.t - first.t) / 1000;
  double avg_interval = sampled / static_cast<double>(points.size() - 1);
  if (is_counter && result > 0 && first.v >= 0) {
    double to_zero = sampled * (first.v / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  double threshold = avg_interval * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : avg_interval / 2;
  interval += to_end < threshold ? to_end : avg_interval / 2;
  result = result * (interval / sampled);
  if (is_rate) result /= static_cast<double>(window.end_ms - window.start_ms) / 1000;
  return result;
}

// irate and idelta: the last two points only.
std::optional<double> InstantDelta(std::span<const FPoint> points, bool is_rate) {
  if (points.size() < 2) return std::nullopt;
  const FPoint& last = points[points.size() - 1];
  const FPoint& prev = points[points.size() - 2];
  double result = last.v - prev.v;
  if (is_rate && last.v < prev.v) result = last.v;
  int64_t interval_ms = last.t - prev.t;
  if (interval_ms == 0) return std::nullopt;
  if (is_rate) result /= static_cast<double>(interval_ms) / 1000;
  return result;
}

// Incremental mean: never overflows where the sum would, and keeps an infinite mean once
// reached unless an opposite infinity or NaN arrives.
double AvgOverTime(std::span<const FPoint> points) {
  double mean = 0;
  double count = 0;
  for (const FPoint& p : points) {
    count++;
    if (std::isinf(mean)) {
      if (std::isinf(p.v) && (mean > 0) == (p.v > 0)) continue;
      if (!std::isinf(p.v) && !std::isnan(p.v)) continue;
    }
    mean += p.v / count - mean / count;
  }
  return mean;
}

// Population variance by Welford's method with compensated sums, so that a constant series
// has variance exactly 0.
double VarianceOverTime(std::span<const FPoint> points) {
  double count = 0;
  double mean = 0, mean_c = 0;
  double aux = 0, aux_c = 0;
  for (const FPoint& p : points) {
    count++;
    double delta = p.v - (mean + mean_c);
    CompensatedAdd(delta / count, mean, mean_c);
    CompensatedAdd(delta * (p.v - (mean + mean_c)), aux, aux_c);
  }
  return (aux + aux_c) / count;
}

double MinOverTime(std::span<const FPoint> points) {
  double m = points.front().v;
  for (const FPoint& p : points) {
    if (p.v < m || std::isnan(m)) m = p.v;
  }
  return m;
}

double MaxOverTime(std::span<const FPoint> points) {
  double m = points.front().v;
  for (const FPoint& p : points) {
    if (p.v > m || std::isnan(m)) m = p.v;
  }
  return m;
}

double SumOverTime(std::span<const FPoint> points) {
  double sum = 0;
  for (const FPoint& p : points) sum += p.v;
  return sum;
}

double QuantileOverTime(double q, std::span<const FPoint> points) {
  std::vector<double> values;
  values.reserve(points.size());
  for (const FPoint& p : points) values.push_back(p.v);
  return Quantile(q, values);
}

double ArgOr(std::span<const double> args, size_t i, double fallback) {
  return i < args.size() ? args[i] : fallback;
}

double Sgn(double v) {
  if (v < 0) return -1;
  if (v > 0) return 1;
  return v;
}

}  // namespace

bool IsRangeKernel(FunctionId id) {
  switch (id) {
    case FunctionId::kRate:
    case FunctionId::kIrate:
    case FunctionId::kIncrease:
    case FunctionId::kDelta:
    case FunctionId::kIdelta:
    case FunctionId::kDeriv:
    case FunctionId::kPredictLinear:
    case FunctionId::kHoltWinters:
    case FunctionId::kResets:
    case FunctionId::kChanges:
    case FunctionId::kAvgOverTime:
    case FunctionId::kMinOverTime:
    case FunctionId::kMaxOverTime:
    case FunctionId::kSumOverTime:
    case FunctionId::kCountOverTime:
    case FunctionId::kQuantileOverTime:
    case FunctionId::kStddevOverTime:
    case FunctionId::kStdvarOverTime:
    case FunctionId::kLastOverTime:
    case FunctionId::kPresentOverTime:
      return true;
    default:
      return false;
  }
}

std::optional<double> EvalRangeKernel(FunctionId id, std::span<const FPoint> points,
                                      RangeWindow window, std::span<const double> scalar_args) {
  if (points.empty()) return std::nullopt;
  switch (id) {
    case FunctionId::kRate:
      return ExtrapolatedDelta(points, window, /*is_counter=*/true, /*is_rate=*/true);
    case FunctionId::kIncrease:
      return ExtrapolatedDelta(points, window, /*is_counter=*/true, /*is_rate=*/false);
    case FunctionId::kDelta:
      return ExtrapolatedDelta(points, window, /*is_counter=*/false, /*is_rate=*/false);
    case FunctionId::kIrate:
      return InstantDelta(points, /*is_rate=*/true);
    case FunctionId::kIdelta:
      return InstantDelta(points, /*is_rate=*/false);
    case FunctionId::kAvgOverTime:
      return AvgOverTime(points);
    case FunctionId::kMinOverTime:
      return MinOverTime(points);
    case FunctionId::kMaxOverTime:
      return MaxOverTime(points);
    case FunctionId::kSumOverTime:
      return SumOverTime(points);
    case FunctionId::kCountOverTime:
      return static_cast<double>(points.size());
    case FunctionId::kQuantileOverTime:
      return QuantileOverTime(ArgOr(scalar_args, 0, kNaN), points);
    case FunctionId::kStddevOverTime:
      return std::sqrt(VarianceOverTime(points));
    case FunctionId::kStdvarOverTime:
      return VarianceOverTime(points);
    case FunctionId::kLastOverTime:
      return points.back().v;
    case FunctionId::kPresentOverTime:
      return 1.0;
    default:
      return std::nullopt;
  }
}

bool IsElementwiseKernel(FunctionId id) {
  switch (id) {
    case FunctionId::kAbs:
    case FunctionId::kCeil:
    case FunctionId::kFloor:
    case FunctionId::kExp:
    case FunctionId::kLn:
    case FunctionId::kLog2:
    case FunctionId::kLog10:
    case FunctionId::kSqrt:
    case FunctionId::kSgn:
    case FunctionId::kRound:
    case FunctionId::kClamp:
    case FunctionId::kClampMin:
    case FunctionId::kClampMax:
    case FunctionId::kSin:
    case FunctionId::kCos:
    case FunctionId::kTan:
    case FunctionId::kAsin:
    case FunctionId::kAcos:
    case FunctionId::kAtan:
    case FunctionId::kSinh:
    case FunctionId::kCosh:
    case FunctionId::kTanh:
    case FunctionId::kAsinh:
    case FunctionId::kAcosh:
    case FunctionId::kAtanh:
    case FunctionId::kDeg:
    case FunctionId::kRad:
    case FunctionId::kDayOfMonth:
    case FunctionId::kDayOfWeek:
    case FunctionId::kDayOfYear:
    case FunctionId::kDaysInMonth:
    case FunctionId::kHour:
    case FunctionId::kMinute:
    case FunctionId::kMonth:
    case FunctionId::kYear:
      return true;
    default:
      return false;
  }
}

double EvalElementwiseKernel(FunctionId id, double v, std::span<const double> scalar_args) {
  switch (id) {
    case FunctionId::kAbs:
      return std::fabs(v);
    case FunctionId::kCeil:
      return std::ceil(v);
    case FunctionId::kFloor:
      return std::floor(v);
    case FunctionId::kExp:
      return std::exp(v);
    case FunctionId::kLn:
      return std::log(v);
    case FunctionId::kLog2:
      return std::log2(v);
    case FunctionId::kLog10:
      return std::log10(v);
    case FunctionId::kSqrt:
      return std::sqrt(v);
    case FunctionId::kSgn:
      return Sgn(v);
    case FunctionId::kRound: {
      double inv = 1.0 / ArgOr(scalar_args, 0, 1.0);
      return std::floor(v * inv + 0.5) / inv;
    }
    case FunctionId::kClamp: {
      double lo = ArgOr(scalar_args, 0, kNaN);
      double hi = ArgOr(scalar_args, 1, kNaN);
      return GoMax(lo, GoMin(hi, v));
    }
    case FunctionId::kClampMin:
      return GoMax(v, ArgOr(scalar_args, 0, kNaN));
    case FunctionId::kClampMax:
      return GoMin(v, ArgOr(scalar_args, 0, kNaN));
    case FunctionId::kSin:
      return std::sin(v);
    case FunctionId::kCos:
      return std::cos(v);
    case FunctionId::kTan:
      return std::tan(v);
    case FunctionId::kAsin:
      return std::asin(v);
    case FunctionId::kAcos:
      return std::acos(v);
    case FunctionId::kAtan:
      return std::atan(v);
    case FunctionId::kSinh:
      return std::sinh(v);
    case FunctionId::kCosh:
      return std::cosh(v);
    case FunctionId::kTanh:
      return std::tanh(v);
    case FunctionId::kAsinh:
      return std::asinh(v);
    case FunctionId::kAcosh:
      return std::acosh(v);
    case FunctionId::kAtanh:
      return std::atanh(v);
    case FunctionId::kDeg:
      return v * 180 / std::numbers::pi;
    case FunctionId::kRad:
      return v * std::numbers::pi / 180;
    default:
      return kNaN;
  }
}

double Quantile(double q, std::vector<double>& values) {
  if (values.empty() || std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  // NaNs sort first, as Go's sort.Float64s orders them.
  std::sort(values.begin(), values.end(),
            [](double a, double b) { return a < b || (std::isnan(a) && !std::isnan(b)); });
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) +
         values[static_cast<size_t>(upper)] * weight;
}

}  // namespace andon::query
