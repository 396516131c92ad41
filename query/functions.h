// query/functions.h
//
// The PromQL function table of Prometheus 2.42: each function's name, argument types,
// optional/variadic arguments and return type. The parser uses it to resolve calls and check
// their arity and types; the evaluator dispatches on FunctionInfo::id. The table is static
// and immutable (thread-safe); FunctionInfo pointers stay valid for the program's lifetime.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "query/ast.h"

namespace andon::query {

enum class FunctionId : uint8_t {
  kAbs,
  kAbsent,
  kAbsentOverTime,
  kAcos,
  kAcosh,
  kAsin,
  kAsinh,
  kAtan,
  kAtanh,
  kAvgOverTime,
  kCeil,
  kChanges,
  kClamp,
  kClampMax,
  kClampMin,
  kCos,
  kCosh,
  kCountOverTime,
  kDaysInMonth,
  kDayOfMonth,
  kDayOfWeek,
  kDayOfYear,
  kDeg,
  kDelta,
  kDeriv,
  kExp,
  kFloor,
  kHistogramCount,
  kHistogramFraction,
  kHistogramQuantile,
  kHistogramSum,
  kHoltWinters,
  kHour,
  kIdelta,
  kIncrease,
  kIrate,
  kLabelReplace,
  kLabelJoin,
  kLastOverTime,
  kLn,
  kLog10,
  kLog2,
  kMaxOverTime,
  kMinOverTime,
  kMinute,
  kMonth,
  kPi,
  kPredictLinear,
  kPresentOverTime,
  kQuantileOverTime,
  kRad,
  kRate,
  kResets,
  kRound,
  kScalar,
  kSgn,
  kSin,
  kSinh,
  kSort,
  kSortDesc,
  kSqrt,
  kStddevOverTime,
  kStdvarOverTime,
  kSumOverTime,
  kTan,
  kTanh,
  kTime,
  kTimestamp,
  kVector,
  kYear,
};

struct FunctionInfo {
  FunctionId id;
  std::string_view name;
  std::vector<ValueType> arg_types;
  // With N = arg_types.size(): 0 means exactly N arguments; n > 0 means N-1 to N-1+n
  // arguments (the last one optional); -1 means at least N-1, unbounded, with extra
  // arguments of the last argument type (label_join).
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
  // Functions over native histograms only (histogram_count/sum/fraction): they parse, but
  // return nothing for float samples.
  bool native_histograms_only = false;
};

// The function named `name` (case-sensitive), or null.
const FunctionInfo* FindFunction(std::string_view name);
// Every function, sorted by name.
std::span<const FunctionInfo> AllFunctions();

}  // namespace andon::query
