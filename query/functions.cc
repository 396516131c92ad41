#include "query/functions.h"

#include <algorithm>

namespace andon::query {
namespace {

constexpr ValueType kScalar = ValueType::kScalar;
constexpr ValueType kVector = ValueType::kVector;
constexpr ValueType kMatrix = ValueType::kMatrix;
constexpr ValueType kString = ValueType::kString;

std::vector<FunctionInfo> BuildTable() {
  using F = FunctionId;
  std::vector<FunctionInfo> t = {
      {F::kAbs, "abs", {kVector}},
      {F::kAbsent, "absent", {kVector}},
      {F::kAbsentOverTime, "absent_over_time", {kMatrix}},
      {F::kAcos, "acos", {kVector}},
      {F::kAcosh, "acosh", {kVector}},
      {F::kAsin, "asin", {kVector}},
      {F::kAsinh, "asinh", {kVector}},
      {F::kAtan, "atan", {kVector}},
      {F::kAtanh, "atanh", {kVector}},
      {F::kAvgOverTime, "avg_over_time", {kMatrix}},
      {F::kCeil, "ceil", {kVector}},
      {F::kChanges, "changes", {kMatrix}},
      {F::kClamp, "clamp", {kVector, kScalar, kScalar}},
      {F::kClampMax, "clamp_max", {kVector, kScalar}},
      {F::kClampMin, "clamp_min", {kVector, kScalar}},
      {F::kCos, "cos", {kVector}},
      {F::kCosh, "cosh", {kVector}},
      {F::kCountOverTime, "count_over_time", {kMatrix}},
      {F::kDaysInMonth, "days_in_month", {kVector}, 1},
      {F::kDayOfMonth, "day_of_month", {kVector}, 1},
      {F::kDayOfWeek, "day_of_week", {kVector}, 1},
      {F::kDayOfYear, "day_of_year", {kVector}, 1},
      {F::kDeg, "deg", {kVector}},
      {F::kDelta, "delta", {kMatrix}},
      {F::kDeriv, "deriv", {kMatrix}},
      {F::kExp, "exp", {kVector}},
      {F::kFloor, "floor", {kVector}},
      {F::kHistogramCount, "histogram_count", {kVector}, 0, kVector, true},
      {F::kHistogramFraction, "histogram_fraction", {kScalar, kScalar, kVector}, 0, kVector, true},
      {F::kHistogramQuantile, "histogram_quantile", {kScalar, kVector}},
      {F::kHistogramSum, "histogram_sum", {kVector}, 0, kVector, true},
      {F::kHoltWinters, "holt_winters", {kMatrix, kScalar, kScalar}},
      {F::kHour, "hour", {kVector}, 1},
      {F::kIdelta, "idelta", {kMatrix}},
      {F::kIncrease, "increase", {kMatrix}},
      {F::kIrate, "irate", {kMatrix}},
      {F::kLabelReplace, "label_replace", {kVector, kString, kString, kString, kString}},
      {F::kLabelJoin, "label_join", {kVector, kString, kString, kString}, -1},
      {F::kLastOverTime, "last_over_time", {kMatrix}},
      {F::kLn, "ln", {kVector}},
      {F::kLog10, "log10", {kVector}},
      {F::kLog2, "log2", {kVector}},
      {F::kMaxOverTime, "max_over_time", {kMatrix}},
      {F::kMinOverTime, "min_over_time", {kMatrix}},
      {F::kMinute, "minute", {kVector}, 1},
      {F::kMonth, "month", {kVector}, 1},
      {F::kPi, "pi", {}, 0, kScalar},
      {F::kPredictLinear, "predict_linear", {kMatrix, kScalar}},
      {F::kPresentOverTime, "present_over_time", {kMatrix}},
      {F::kQuantileOverTime, "quantile_over_time", {kScalar, kMatrix}},
      {F::kRad, "rad", {kVector}},
      {F::kRate, "rate", {kMatrix}},
      {F::kResets, "resets", {kMatrix}},
      {F::kRound, "round", {kVector, kScalar}, 1},
      {F::kScalar, "scalar", {kVector}, 0, kScalar},
      {F::kSgn, "sgn", {kVector}},
      {F::kSin, "sin", {kVector}},
      {F::kSinh, "sinh", {kVector}},
      {F::kSort, "sort", {kVector}},
      {F::kSortDesc, "sort_desc", {kVector}},
      {F::kSqrt, "sqrt", {kVector}},
      {F::kStddevOverTime, "stddev_over_time", {kMatrix}},
      {F::kStdvarOverTime, "stdvar_over_time", {kMatrix}},
      {F::kSumOverTime, "sum_over_time", {kMatrix}},
      {F::kTan, "tan", {kVector}},
      {F::kTanh, "tanh", {kVector}},
      {F::kTime, "time", {}, 0, kScalar},
      {F::kTimestamp, "timestamp", {kVector}},
      {F::kVector, "vector", {kScalar}},
      {F::kYear, "year", {kVector}, 1},
  };
  std::sort(t.begin(), t.end(),
            [](const FunctionInfo& a, const FunctionInfo& b) { return a.name < b.name; });
  return t;
}

const std::vector<FunctionInfo>& Table() {
  static const std::vector<FunctionInfo> table = BuildTable();
  return table;
}

}  // namespace

const FunctionInfo* FindFunction(std::string_view name) {
  const auto& t = Table();
  auto it = std::lower_bound(t.begin(), t.end(), name,
                             [](const FunctionInfo& f, std::string_view n) { return f.name < n; });
  return it != t.end() && it->name == name ? &*it : nullptr;
}

std::span<const FunctionInfo> AllFunctions() { return Table(); }

}  // namespace andon::query
