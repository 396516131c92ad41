// query/value.h
//
// The values PromQL expressions evaluate to: scalars, strings, instant vectors (one sample
// per series) and range vectors (a run of points per series). Plain value types; the
// evaluator and the HTTP API share them.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/labels.h"

namespace andon::query {

struct FPoint {
  int64_t t;  // milliseconds since the epoch
  double v;
};

struct VectorSample {
  Labels metric;
  int64_t t;
  double v;
};
using Vector = std::vector<VectorSample>;

struct MatrixSeries {
  Labels metric;
  std::vector<FPoint> points;  // increasing t
};
using Matrix = std::vector<MatrixSeries>;

struct Scalar {
  int64_t t;
  double v;
};

struct String {
  int64_t t;
  std::string v;
};

using Value = std::variant<Scalar, String, Vector, Matrix>;

}  // namespace andon::query
