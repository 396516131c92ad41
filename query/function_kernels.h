// query/function_kernels.h
//
// The numeric cores of PromQL's functions, free of series selection and label handling:
// the evaluator selects points, drops __name__ where Prometheus does, and calls these.
// Semantics follow Prometheus 2.42 exactly (extrapolation of rate/increase/delta, counter
// resets, NaN handling, bucket interpolation). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/labels.h"
#include "common/status.h"
#include "query/functions.h"
#include "query/value.h"

namespace andon::query {

// The time range a range selector covered for one evaluation step, after offset and @:
// points lie in [start_ms, end_ms]. rate/increase/delta extrapolate towards these bounds.
struct RangeWindow {
  int64_t start_ms;
  int64_t end_ms;
};

// True for the functions that take one range vector and reduce each series' points to
// one value: rate, irate, increase, delta, idelta, deriv, predict_linear, holt_winters,
// resets, changes and the *_over_time family except absent_over_time.
bool IsRangeKernel(FunctionId id);

// Evaluates a range kernel over one series' points (staleness markers already removed,
// increasing t). `scalar_args` are the function's scalar arguments in call order
// (quantile_over_time: q; predict_linear: t, then optionally the step's evaluation time in
// ms that the fit is anchored at, default window.end_ms: Prometheus anchors at the
// evaluation time, which differs from the window's end under offset and @; holt_winters:
// sf, tf). Returns nullopt when the function yields no sample for this series (e.g. rate
// over fewer than two points), and for holt_winters factors outside (0, 1), which the
// evaluator must report as an error before calling.
std::optional<double> EvalRangeKernel(FunctionId id, std::span<const FPoint> points,
                                      RangeWindow window, std::span<const double> scalar_args);

// The extrapolation step of rate (is_counter, is_rate), increase (is_counter) and delta:
// `result` is the window's last value minus its first plus, for counters, the value before
// each reset; `count` (>= 2) the number of points. EvalRangeKernel computes `result` by a
// pass over the points; the evaluator may pass one it derived faster (no resets in the
// window: last - first), getting bit-identical results.
double ExtrapolateDelta(FPoint first, FPoint last, size_t count, double result, RangeWindow window,
                        bool is_counter, bool is_rate);

// ExtrapolateDelta for the windows of one series in turn, bit-identical to it, with fewer
// divisions: those that depend only on the window length, on the sampled time span and
// point count, or on the gaps between the window's ends and its first and last points
// (which regular scrapes repeat from window to window) are reused from the previous call,
// and the counter's zero point is not computed where it cannot be nearer than the window
// start. Not thread-safe; cheap to construct.
class DeltaExtrapolator {
 public:
  // Inline: called once per step and series in the evaluator's innermost loop.
  double operator()(FPoint first, FPoint last, size_t count, double result, RangeWindow window,
                    bool is_counter, bool is_rate);

 private:
  int64_t span_ms_ = -1;  // last.t - first.t of the memo below
  size_t count_ = 0;
  double sampled_ = 0, avg_interval_ = 0, threshold_ = 0;
  int64_t start_gap_ms_ = INT64_MIN, end_gap_ms_ = INT64_MIN;  // first.t - start, end - last.t
  double to_start_ = 0, to_end_ = 0;                           // the same in seconds
  bool scale_valid_ = false;  // scale_ holds the extrapolation factor of the gaps and span
  double scale_ = 0;
  int64_t range_ms_ = -1;  // window.end_ms - window.start_ms of range_s_
  double range_s_ = 0;
};

inline double DeltaExtrapolator::operator()(FPoint first, FPoint last, size_t count, double result,
                                            RangeWindow window, bool is_counter, bool is_rate) {
  // The same operations on the same operands as ExtrapolateDelta, some of them remembered.
  const int64_t span_ms = last.t - first.t;
  if (span_ms != span_ms_ || count != count_) {
    span_ms_ = span_ms;
    count_ = count;
    sampled_ = static_cast<double>(span_ms) / 1000;
    avg_interval_ = sampled_ / static_cast<double>(count - 1);
    threshold_ = avg_interval_ * 1.1;
    scale_valid_ = false;
  }
  const int64_t start_gap_ms = first.t - window.start_ms;
  const int64_t end_gap_ms = window.end_ms - last.t;
  if (start_gap_ms != start_gap_ms_) {
    start_gap_ms_ = start_gap_ms;
    to_start_ = static_cast<double>(start_gap_ms) / 1000;
    scale_valid_ = false;
  }
  if (end_gap_ms != end_gap_ms_) {
    end_gap_ms_ = end_gap_ms;
    to_end_ = static_cast<double>(end_gap_ms) / 1000;
    scale_valid_ = false;
  }
  const double sampled = sampled_;
  double to_start = to_start_;
  bool to_zero_nearer = false;
  // With first.v >= 2 * result, first.v / result rounds to >= 2 and the zero point to
  // >= 2 * sampled (rounding is monotonic): it cannot replace a start no further than that.
  if (is_counter && result > 0 && first.v >= 0 &&
      !(first.v >= 2 * result && 2 * sampled >= to_start)) {
    double to_zero = sampled * (first.v / result);
    if (to_zero < to_start) {
      to_start = to_zero;
      to_zero_nearer = true;
    }
  }
  double scale;
  if (scale_valid_ && !to_zero_nearer) {
    scale = scale_;
  } else {
    double interval = sampled;
    interval += to_start < threshold_ ? to_start : avg_interval_ / 2;
    interval += to_end_ < threshold_ ? to_end_ : avg_interval_ / 2;
    scale = interval / sampled;
    if (!to_zero_nearer) {
      scale_ = scale;
      scale_valid_ = true;
    }
  }
  result = result * scale;
  if (is_rate) {
    const int64_t range_ms = window.end_ms - window.start_ms;
    if (range_ms != range_ms_) {
      range_ms_ = range_ms;
      range_s_ = static_cast<double>(range_ms) / 1000;
    }
    result /= range_s_;
  }
  return result;
}

// True for the functions applied to each sample's value on its own: abs, ceil, floor, exp,
// ln, log2, log10, sqrt, sgn, round, clamp, clamp_min, clamp_max, the trig functions, deg,
// rad, and the date functions (day_of_month, day_of_week, day_of_year, days_in_month, hour,
// minute, month, year; `v` is seconds since the epoch, UTC).
bool IsElementwiseKernel(FunctionId id);

// `scalar_args` as above (round: to_nearest, default 1 when absent; clamp: min, max;
// clamp_min: min; clamp_max: max). clamp with min > max gives NaN: Prometheus returns no
// samples then, which the evaluator must do.
double EvalElementwiseKernel(FunctionId id, double v, std::span<const double> scalar_args);

// The q-quantile of `values` as quantile() and quantile_over_time() define it (linear
// interpolation between closest ranks; q < 0 gives -Inf, q > 1 +Inf, NaN q gives NaN).
// Reorders `values`.
double Quantile(double q, std::vector<double>& values);

// One classic histogram bucket: the `le` bound and its cumulative count.
struct Bucket {
  double upper_bound;
  double count;
};

// histogram_quantile over one series' buckets (any order; duplicates of a bound merged,
// non-monotonic counts repaired as Prometheus does). NaN when there is no +Inf bucket or
// fewer than two buckets; q < 0 gives -Inf, q > 1 +Inf.
double BucketQuantile(double q, std::vector<Bucket>& buckets);

// label_replace(v, dst, replacement, src, regex) for one label set. Error (Prometheus's
// words) for an invalid regex or destination label name.
Result<Labels> LabelReplace(const Labels& labels, std::string_view dst,
                            std::string_view replacement, std::string_view src,
                            std::string_view regex);

// label_join(v, dst, separator, src...) for one label set. Error for an invalid
// destination or source label name.
Result<Labels> LabelJoin(const Labels& labels, std::string_view dst, std::string_view separator,
                         std::span<const std::string> src_labels);

}  // namespace andon::query
