#include "query/function_kernels.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <string>

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
  return ExtrapolateDelta(first, last, points.size(), result, window, is_counter, is_rate);
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

// Least-squares fit of the points against seconds relative to `intercept_ms`. A constant
// series gives slope 0 exactly (NaN for an infinite constant).
void LinearRegression(std::span<const FPoint> points, int64_t intercept_ms, double& slope,
                      double& intercept) {
  double n = 0;
  double sum_x = 0, c_x = 0;
  double sum_y = 0, c_y = 0;
  double sum_xy = 0, c_xy = 0;
  double sum_x2 = 0, c_x2 = 0;
  const double init_y = points.front().v;
  bool const_y = true;
  for (const FPoint& p : points) {
    if (p.v != init_y) const_y = false;
    n += 1;
    double x = static_cast<double>(p.t - intercept_ms) / 1e3;
    CompensatedAdd(x, sum_x, c_x);
    CompensatedAdd(p.v, sum_y, c_y);
    CompensatedAdd(x * p.v, sum_xy, c_xy);
    CompensatedAdd(x * x, sum_x2, c_x2);
  }
  if (const_y) {
    if (std::isinf(init_y)) {
      slope = intercept = kNaN;
    } else {
      slope = 0;
      intercept = init_y;
    }
    return;
  }
  sum_x += c_x;
  sum_y += c_y;
  sum_xy += c_xy;
  sum_x2 += c_x2;
  double cov_xy = sum_xy - sum_x * sum_y / n;
  double var_x = sum_x2 - sum_x * sum_x / n;
  slope = cov_xy / var_x;
  intercept = sum_y / n - slope * sum_x / n;
}

std::optional<double> Deriv(std::span<const FPoint> points) {
  if (points.size() < 2) return std::nullopt;
  double slope, intercept;
  LinearRegression(points, points.front().t, slope, intercept);
  return slope;
}

// scalar_args: the prediction offset in seconds, then optionally the evaluation time in ms
// that the regression is anchored at (Prometheus uses the step's evaluation time, which
// differs from the window's end under `offset` and `@`).
std::optional<double> PredictLinear(std::span<const FPoint> points, RangeWindow window,
                                    std::span<const double> args) {
  if (points.size() < 2 || args.empty()) return std::nullopt;
  int64_t anchor_ms = args.size() > 1 ? static_cast<int64_t>(args[1]) : window.end_ms;
  double slope, intercept;
  LinearRegression(points, anchor_ms, slope, intercept);
  return slope * args[0] + intercept;
}

// Double exponential smoothing; the trend starts as the first difference.
std::optional<double> HoltWinters(std::span<const FPoint> points, std::span<const double> args) {
  if (args.size() < 2) return std::nullopt;
  const double sf = args[0];
  const double tf = args[1];
  if (sf <= 0 || sf >= 1 || tf <= 0 || tf >= 1) return std::nullopt;
  if (points.size() < 2) return std::nullopt;
  double s0 = 0;
  double s1 = points[0].v;
  double b = points[1].v - points[0].v;
  for (size_t i = 1; i < points.size(); ++i) {
    if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
    double next = sf * points[i].v + (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = next;
  }
  return s1;
}

double Resets(std::span<const FPoint> points) {
  double resets = 0;
  for (size_t i = 1; i < points.size(); ++i) {
    if (points[i].v < points[i - 1].v) resets++;
  }
  return resets;
}

double Changes(std::span<const FPoint> points) {
  double changes = 0;
  for (size_t i = 1; i < points.size(); ++i) {
    double prev = points[i - 1].v;
    double cur = points[i].v;
    if (!(cur == prev || (std::isnan(cur) && std::isnan(prev)))) changes++;
  }
  return changes;
}

// A UTC calendar date and time of day.
struct CivilTime {
  int64_t year;
  int month;        // 1..12
  int day;          // 1..31
  int day_of_year;  // 1..366
  int day_of_week;  // 0 = Sunday
  int hour;
  int minute;
};

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Converts whole seconds since the epoch to a proleptic Gregorian UTC date: days are
// split into 400-year eras of 146097 days, counted from 0000-03-01 so that leap days fall
// at the end of each year.
CivilTime ToCivil(int64_t secs) {
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  CivilTime c;
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>(rem % 3600 / 60);
  // 1970-01-01 was a Thursday.
  c.day_of_week = static_cast<int>(((days % 7) + 7 + 4) % 7);
  int64_t z = days + 719468;  // days since 0000-03-01
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;                                       // [0, 146096]
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  int64_t doy_march = doe - (365 * yoe + yoe / 4 - yoe / 100);          // [0, 365]
  int64_t mp = (5 * doy_march + 2) / 153;                               // March = 0
  c.day = static_cast<int>(doy_march - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2 ? 1 : 0);
  static constexpr int kDaysBeforeMonth[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  c.day_of_year = kDaysBeforeMonth[c.month - 1] + c.day + (c.month > 2 && IsLeapYear(c.year));
  return c;
}

double DateField(FunctionId id, double v) {
  // Go's int64(float64) truncates towards zero; NaN, infinities and values beyond the
  // int64 range have no date.
  if (!(std::fabs(v) < 9.2e18)) return kNaN;
  CivilTime c = ToCivil(static_cast<int64_t>(v));
  switch (id) {
    case FunctionId::kDayOfMonth:
      return c.day;
    case FunctionId::kDayOfWeek:
      return c.day_of_week;
    case FunctionId::kDayOfYear:
      return c.day_of_year;
    case FunctionId::kDaysInMonth:
      return DaysInMonth(c.year, c.month);
    case FunctionId::kHour:
      return c.hour;
    case FunctionId::kMinute:
      return c.minute;
    case FunctionId::kMonth:
      return c.month;
    case FunctionId::kYear:
      return static_cast<double>(c.year);
    default:
      return kNaN;
  }
}

}  // namespace

// Extrapolation covers at most half an average sample interval on each side unless the gap
// to the bound is within 110% of that interval, and for counters it stops where the counter
// would have been zero.
double ExtrapolateDelta(FPoint first, FPoint last, size_t count, double result, RangeWindow window,
                        bool is_counter, bool is_rate) {
  double to_start = static_cast<double>(first.t - window.start_ms) / 1000;
  double to_end = static_cast<double>(window.end_ms - last.t) / 1000;
  double sampled = static_cast<double>(last.t - first.t) / 1000;
  double avg_interval = sampled / static_cast<double>(count - 1);
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
    case FunctionId::kDeriv:
      return Deriv(points);
    case FunctionId::kPredictLinear:
      return PredictLinear(points, window, scalar_args);
    case FunctionId::kHoltWinters:
      return HoltWinters(points, scalar_args);
    case FunctionId::kResets:
      return Resets(points);
    case FunctionId::kChanges:
      return Changes(points);
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
      if (hi < lo) return kNaN;
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
    case FunctionId::kDayOfMonth:
    case FunctionId::kDayOfWeek:
    case FunctionId::kDayOfYear:
    case FunctionId::kDaysInMonth:
    case FunctionId::kHour:
    case FunctionId::kMinute:
    case FunctionId::kMonth:
    case FunctionId::kYear:
      return DateField(id, v);
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

namespace andon::query {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         (static_cast<unsigned char>(c) >= 0x80);
}

// Appends `tmpl` to `out` with $n, ${n}, $name and ${name} replaced by the submatches of
// `re` in `groups` (empty when unknown or unmatched), and $$ by $, as Go's Regexp.Expand
// does. A name is the longest run of letters, digits and '_', so "$1x" names group "1x".
// A malformed reference ("$", "${", "${x") is kept as text.
void ExpandTemplate(std::string_view tmpl, const RE2& re, std::span<const re2::StringPiece> groups,
                    std::string& out) {
  while (!tmpl.empty()) {
    size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out.push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    std::string_view rest = tmpl;
    bool brace = !rest.empty() && rest[0] == '{';
    if (brace) rest.remove_prefix(1);
    size_t len = 0;
    while (len < rest.size() && IsNameChar(rest[len])) len++;
    if (len == 0 || (brace && (len >= rest.size() || rest[len] != '}'))) {
      out.push_back('$');
      continue;
    }
    std::string_view name = rest.substr(0, len);
    tmpl = rest.substr(len + (brace ? 1 : 0));
    int index = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || index >= 100'000'000) {
        index = -1;
        break;
      }
      index = index * 10 + (c - '0');
    }
    if (name.size() > 1 && name[0] == '0') index = -1;
    if (index < 0) {
      auto it = re.NamedCapturingGroups().find(std::string(name));
      if (it != re.NamedCapturingGroups().end()) index = it->second;
    }
    if (index >= 0 && static_cast<size_t>(index) < groups.size() &&
        groups[index].data() != nullptr) {
      out.append(groups[index].data(), groups[index].size());
    }
  }
  out.append(tmpl);
}

}  // namespace

double BucketQuantile(double q, std::vector<Bucket>& buckets) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  if (buckets.empty()) return kNaN;
  std::sort(buckets.begin(), buckets.end(),
            [](const Bucket& a, const Bucket& b) { return a.upper_bound < b.upper_bound; });
  if (!(std::isinf(buckets.back().upper_bound) && buckets.back().upper_bound > 0)) return kNaN;
  // Merge buckets with equal bounds (the same `le` spelled differently).
  size_t n = 0;
  for (size_t i = 1; i < buckets.size(); ++i) {
    if (buckets[i].upper_bound == buckets[n].upper_bound) {
      buckets[n].count += buckets[i].count;
    } else {
      buckets[++n] = buckets[i];
    }
  }
  buckets.resize(n + 1);
  // Cumulative counts never decrease; a lower count is raised to the maximum seen so far.
  double max = -kInf;
  for (Bucket& b : buckets) {
    if (b.count > max) {
      max = b.count;
    } else if (b.count < max) {
      b.count = max;
    }
  }
  if (buckets.size() < 2) return kNaN;
  const double observations = buckets.back().count;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  // The first bucket, +Inf excluded, whose count reaches the rank.
  size_t b = 0;
  while (b < buckets.size() - 1 && !(buckets[b].count >= rank)) b++;
  if (b == buckets.size() - 1) return buckets[b - 1].upper_bound;
  if (b == 0 && buckets[0].upper_bound <= 0) return buckets[0].upper_bound;
  double start = 0;
  double end = buckets[b].upper_bound;
  double count = buckets[b].count;
  if (b > 0) {
    start = buckets[b - 1].upper_bound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return start + (end - start) * (rank / count);
}

Result<Labels> LabelReplace(const Labels& labels, std::string_view dst,
                            std::string_view replacement, std::string_view src,
                            std::string_view regex) {
  // The evaluator calls this once per series with the same regex: keep the last compiled
  // one per thread.
  thread_local std::string cached_regex;
  thread_local std::unique_ptr<RE2> cached;
  if (cached == nullptr || cached_regex != regex) {
    RE2::Options options;
    options.set_log_errors(false);
    cached = std::make_unique<RE2>("^(?:" + std::string(regex) + ")$", options);
    cached_regex = regex;
  }
  const RE2& re = *cached;
  if (!re.ok()) {
    return Status::InvalidArgument("invalid regular expression in label_replace(): " +
                                   std::string(regex));
  }
  if (!IsValidLabelName(dst)) {
    return Status::InvalidArgument("invalid destination label name in label_replace(): " +
                                   std::string(dst));
  }
  std::string_view value = labels.Get(src);
  std::vector<re2::StringPiece> groups(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1);
  if (!re.Match(value, 0, value.size(), RE2::ANCHOR_BOTH, groups.data(),
                static_cast<int>(groups.size()))) {
    return labels;
  }
  std::string expanded;
  ExpandTemplate(replacement, re, groups, expanded);
  LabelsBuilder builder(labels);
  builder.Set(dst, expanded);
  return builder.Build();
}

Result<Labels> LabelJoin(const Labels& labels, std::string_view dst, std::string_view separator,
                         std::span<const std::string> src_labels) {
  for (const std::string& src : src_labels) {
    if (!IsValidLabelName(src)) {
      return Status::InvalidArgument("invalid source label name in label_join(): " + src);
    }
  }
  if (!IsValidLabelName(dst)) {
    return Status::InvalidArgument("invalid destination label name in label_join(): " +
                                   std::string(dst));
  }
  std::string joined;
  for (size_t i = 0; i < src_labels.size(); ++i) {
    if (i > 0) joined.append(separator);
    joined.append(labels.Get(src_labels[i]));
  }
  LabelsBuilder builder(labels);
  builder.Set(dst, joined);
  return builder.Build();
}

}  // namespace andon::query
