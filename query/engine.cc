// query/engine.cc
//
// Evaluation model (see docs/promql.md, "Evaluation"): every expression is evaluated once
// over the whole grid of steps of the query (an instant query is a grid of one step). An
// instant vector is a list of series, each with one value per step in a flat array; a
// step where the series has no sample holds a sentinel NaN bit pattern (kAbsent) that no
// arithmetic can produce. Selectors select their series once for the whole range, decode
// each series' samples once into a reusable buffer and fill all steps with a moving
// cursor (instant selectors) or sliding window (range functions). Range functions and
// selectors stream their series into consumers (aggregations group them through a hash of
// the grouping labels computed once per series), so `sum(rate(x[5m]))` never holds the
// per-series rate arrays. Errors are thrown internally as EvalError and returned at the
// Engine's boundary.
#include "query/engine.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "query/ast.h"
#include "query/function_kernels.h"
#include "query/functions.h"
#include "query/parser.h"
#include "query/printer.h"
#include "tsdb/sample.h"

namespace andon::query {

std::string_view QueryErrorTypeName(QueryErrorKind kind) {
  switch (kind) {
    case QueryErrorKind::kBadData:
      return "bad_data";
    case QueryErrorKind::kTimeout:
      return "timeout";
    case QueryErrorKind::kCanceled:
      return "canceled";
    case QueryErrorKind::kExecution:
      return "execution";
    case QueryErrorKind::kInternal:
      return "internal";
  }
  return "internal";
}

namespace {

// A signaling NaN: arithmetic only ever yields quiet NaNs, so this never appears by accident.
constexpr uint64_t kAbsentBits = 0x7ff00000000a5e47ULL;
const double kAbsent = std::bit_cast<double>(kAbsentBits);
inline bool Has(double v) { return std::bit_cast<uint64_t>(v) != kAbsentBits; }
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct EvalError {
  QueryErrorKind kind;
  std::string message;
};

[[noreturn]] void Fail(std::string message) {
  throw EvalError{QueryErrorKind::kExecution, std::move(message)};
}

constexpr const char* kDuplicateLabelset = "vector cannot contain metrics with the same labelset";

// The steps start, start+step, ..., start+(n-1)*step.
struct Grid {
  int64_t start = 0;
  int64_t step = 1;
  int64_t n = 0;
  int64_t T(int64_t k) const { return start + k * step; }
};

struct SeriesVals {
  Labels metric;
  std::vector<double> v;  // one per step; kAbsent where the series has no value
};
using SeriesList = std::vector<SeriesVals>;

using Sink = std::function<void(const Labels&, std::span<const double>)>;

const Expr& Unparen(const Expr& e) {
  const Expr* p = &e;
  while (p->kind == NodeKind::kParen) p = p->As<ParenExpr>().expr.get();
  return *p;
}

Labels DropName(const Labels& l) {
  if (l.MetricName().empty()) return l;
  LabelsBuilder b(l);
  b.Del(kMetricNameLabel);
  return b.Build();
}

bool AnyPresent(std::span<const double> v) {
  for (double x : v) {
    if (Has(x)) return true;
  }
  return false;
}

// strconv.FormatFloat(v, 'f', -1, 64).
std::string FormatFloatF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

// Go's strconv.ParseFloat for `le` values: decimal, exponent, inf/infinity/nan, any case.
bool ParseGoFloat(std::string_view s, double* out) {
  if (s.empty()) return false;
  std::string str(s);
  char* end = nullptr;
  double v = std::strtod(str.c_str(), &end);
  if (end != str.c_str() + str.size()) return false;
  *out = v;
  return true;
}

// a - b, clamped to the int64 range (selection bounds under extreme offsets and @).
int64_t SatSub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  }
  return r;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool ShouldDropName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kMod:
    case BinaryOp::kPow:
      return true;
    default:
      return false;
  }
}

// Prometheus's vectorElemBinop: the value and whether a comparison keeps the sample.
inline bool ElemBinop(BinaryOp op, double l, double r, double* out) {
  switch (op) {
    case BinaryOp::kAdd:
      *out = l + r;
      return true;
    case BinaryOp::kSub:
      *out = l - r;
      return true;
    case BinaryOp::kMul:
      *out = l * r;
      return true;
    case BinaryOp::kDiv:
      *out = l / r;
      return true;
    case BinaryOp::kPow:
      *out = std::pow(l, r);
      return true;
    case BinaryOp::kMod:
      *out = std::fmod(l, r);
      return true;
    case BinaryOp::kAtan2:
      *out = std::atan2(l, r);
      return true;
    case BinaryOp::kEql:
      *out = l;
      return l == r;
    case BinaryOp::kNeq:
      *out = l;
      return l != r;
    case BinaryOp::kGtr:
      *out = l;
      return l > r;
    case BinaryOp::kLss:
      *out = l;
      return l < r;
    case BinaryOp::kGte:
      *out = l;
      return l >= r;
    case BinaryOp::kLte:
      *out = l;
      return l <= r;
    default:
      *out = kNaN;
      return false;
  }
}

andon::LabelMatcher::Type ToTsdbType(MatchOp op) {
  switch (op) {
    case MatchOp::kEqual:
      return andon::LabelMatcher::Type::kEqual;
    case MatchOp::kNotEqual:
      return andon::LabelMatcher::Type::kNotEqual;
    case MatchOp::kRegexMatch:
      return andon::LabelMatcher::Type::kRegexMatch;
    case MatchOp::kRegexNoMatch:
      return andon::LabelMatcher::Type::kRegexNoMatch;
  }
  return andon::LabelMatcher::Type::kEqual;
}

// Labels for absent()/absent_over_time(): the equality matchers of a selector argument,
// minus names matched more than once or by other operators.
Labels AbsentLabels(const Expr& arg) {
  const VectorSelector* vs = nullptr;
  if (arg.kind == NodeKind::kVectorSelector) vs = &arg.As<VectorSelector>();
  if (arg.kind == NodeKind::kMatrixSelector) vs = arg.As<MatrixSelector>().selector.get();
  if (vs == nullptr) return Labels();
  LabelsBuilder b;
  std::vector<std::string> empty;
  for (const LabelMatcher& m : vs->matchers) {
    if (m.name() == kMetricNameLabel) continue;
    if (m.op() == MatchOp::kEqual && b.Get(m.name()).empty()) {
      b.Set(m.name(), m.value());
    } else {
      empty.push_back(m.name());
    }
  }
  for (const std::string& n : empty) b.Del(n);
  return b.Build();
}

// Where a range argument's window ends at step k: [end - range, end].
struct Windows {
  bool pinned = false;
  int64_t pin_end = 0;
  int64_t offset = 0;
  int64_t range = 0;
  int64_t End(const Grid& g, int64_t k) const { return pinned ? pin_end : g.T(k) - offset; }
};

class Evaluator {
 public:
  Evaluator(const EngineOptions& opts, Querier& querier, const std::atomic<bool>* cancel,
            int64_t query_start, int64_t query_end)
      : opts_(opts),
        querier_(querier),
        cancel_(cancel),
        query_start_(query_start),
        query_end_(query_end),
        deadline_(std::chrono::steady_clock::now() + std::chrono::milliseconds(opts.timeout_ms)) {}

  // --- limits -----------------------------------------------------------------------
  void Check() {
    if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) {
      throw EvalError{QueryErrorKind::kCanceled, "query was canceled in expression evaluation"};
    }
    if (++checks_ % 16 == 0 && std::chrono::steady_clock::now() > deadline_) {
      throw EvalError{QueryErrorKind::kTimeout, "query timed out in expression evaluation"};
    }
  }
  void CheckNow() {
    checks_ = 15;
    Check();
  }
  void Account(int64_t n) {
    samples_ += n;
    if (samples_ > opts_.max_samples) {
      throw EvalError{QueryErrorKind::kExecution, std::string(kErrTooManySamples)};
    }
  }
  void Release(int64_t n) { samples_ -= n; }

  int64_t AtTime(const AtModifier& at) const {
    switch (at.kind) {
      case AtModifier::Kind::kTimestamp:
        return at.timestamp_ms;
      case AtModifier::Kind::kStart:
        return query_start_;
      case AtModifier::Kind::kEnd:
        return query_end_;
      case AtModifier::Kind::kNone:
        break;
    }
    return 0;
  }

  // --- scalars and strings -------------------------------------------------------------
  std::vector<double> EvalScalar(const Expr& e, const Grid& g) {
    switch (e.kind) {
      case NodeKind::kNumberLiteral:
        return std::vector<double>(g.n, e.As<NumberLiteral>().value);
      case NodeKind::kParen:
        return EvalScalar(*e.As<ParenExpr>().expr, g);
      case NodeKind::kUnary: {
        auto v = EvalScalar(*e.As<UnaryExpr>().expr, g);
        if (e.As<UnaryExpr>().op == UnaryOp::kMinus) {
          for (double& x : v) x = -x;
        }
        return v;
      }
      case NodeKind::kBinary: {
        const auto& b = e.As<BinaryExpr>();
        auto l = EvalScalar(*b.lhs, g);
        auto r = EvalScalar(*b.rhs, g);
        for (int64_t k = 0; k < g.n; ++k) {
          double out;
          bool keep = ElemBinop(b.op, l[k], r[k], &out);
          if (IsComparisonOp(b.op)) out = keep ? 1 : 0;
          l[k] = out;
        }
        return l;
      }
      case NodeKind::kCall: {
        const auto& c = e.As<Call>();
        std::vector<double> out(g.n);
        switch (c.func->id) {
          case FunctionId::kTime:
            for (int64_t k = 0; k < g.n; ++k) out[k] = static_cast<double>(g.T(k)) / 1000.0;
            return out;
          case FunctionId::kPi:
            std::fill(out.begin(), out.end(), M_PI);
            return out;
          case FunctionId::kScalar: {
            SeriesList in = EvalVector(*c.args[0], g);
            std::vector<int> count(g.n, 0);
            for (const SeriesVals& s : in) {
              for (int64_t k = 0; k < g.n; ++k) {
                if (Has(s.v[k])) {
                  if (count[k]++ == 0) out[k] = s.v[k];
                }
              }
            }
            for (int64_t k = 0; k < g.n; ++k) {
              if (count[k] != 1) out[k] = kNaN;
            }
            return out;
          }
          default:
            break;
        }
        break;
      }
      default:
        break;
    }
    throw EvalError{QueryErrorKind::kInternal,
                    "unexpected scalar expression " + std::string(ToString(e))};
  }

  std::string EvalString(const Expr& e) {
    const Expr& u = Unparen(e);
    if (u.kind == NodeKind::kStringLiteral) return u.As<StringLiteral>().value;
    throw EvalError{QueryErrorKind::kInternal, "unexpected string expression"};
  }

  // --- instant vectors -----------------------------------------------------------------
  void StreamVector(const Expr& e, const Grid& g, const Sink& sink) {
    const Expr& u = Unparen(e);
    if (u.kind == NodeKind::kVectorSelector) {
      StreamSelector(u.As<VectorSelector>(), g, /*timestamps=*/false, sink);
      return;
    }
    if (u.kind == NodeKind::kCall && IsRangeKernel(u.As<Call>().func->id)) {
      StreamRangeCall(u.As<Call>(), g, sink);
      return;
    }
    SeriesList list = EvalVector(u, g);
    for (const SeriesVals& s : list) sink(s.metric, s.v);
  }

  SeriesList Collect(const Expr& e, const Grid& g) {
    SeriesList out;
    auto sink = [&](const Labels& l, std::span<const double> v) {
      Account(g.n);
      out.push_back(SeriesVals{l, std::vector<double>(v.begin(), v.end())});
    };
    if (e.kind == NodeKind::kVectorSelector) {
      StreamSelector(e.As<VectorSelector>(), g, false, sink);
    } else {
      StreamRangeCall(e.As<Call>(), g, sink);
    }
    return out;
  }

  SeriesList EvalVector(const Expr& e, const Grid& g) {
    Check();
    switch (e.kind) {
      case NodeKind::kParen:
        return EvalVector(*e.As<ParenExpr>().expr, g);
      case NodeKind::kVectorSelector:
        return Collect(e, g);
      case NodeKind::kUnary: {
        const auto& u = e.As<UnaryExpr>();
        SeriesList in = EvalVector(*u.expr, g);
        if (u.op == UnaryOp::kPlus) return in;
        for (SeriesVals& s : in) {
          s.metric = DropName(s.metric);
          for (double& x : s.v) {
            if (Has(x)) x = -x;
          }
        }
        MergeSameLabels(in, g, /*per_step=*/false);
        return in;
      }
      case NodeKind::kCall:
        return EvalCall(e.As<Call>(), g);
      case NodeKind::kAggregate:
        return EvalAggregate(e.As<AggregateExpr>(), g);
      case NodeKind::kBinary:
        return EvalBinary(e.As<BinaryExpr>(), g);
      default:
        break;
    }
    throw EvalError{QueryErrorKind::kInternal,
                    "unexpected vector expression " + std::string(ToString(e))};
  }

  // Merges series with equal labels (after a label change). per_step: an error only when two
  // have a value at the same step (Prometheus checks each step's vector); otherwise any
  // duplicate is an error (Prometheus checks the whole matrix).
  void MergeSameLabels(SeriesList& list, const Grid& g, bool per_step) {
    if (list.size() < 2) return;
    std::unordered_map<uint64_t, size_t> seen;
    seen.reserve(list.size() * 2);
    size_t w = 0;
    for (size_t i = 0; i < list.size(); ++i) {
      auto [it, inserted] = seen.try_emplace(list[i].metric.Hash(), w);
      if (inserted) {
        if (w != i) list[w] = std::move(list[i]);
        ++w;
        continue;
      }
      if (!per_step) Fail(kDuplicateLabelset);
      SeriesVals& dst = list[it->second];
      for (int64_t k = 0; k < g.n; ++k) {
        if (!Has(list[i].v[k])) continue;
        if (Has(dst.v[k])) Fail(kDuplicateLabelset);
        dst.v[k] = list[i].v[k];
      }
    }
    list.resize(w);
  }

  // --- selectors -----------------------------------------------------------------------
  std::unique_ptr<SeriesSet> Select(const VectorSelector& vs, int64_t mint, int64_t maxt) {
    std::vector<andon::LabelMatcher> ms;
    ms.reserve(vs.matchers.size());
    for (const LabelMatcher& m : vs.matchers) {
      auto r = andon::LabelMatcher::Make(ToTsdbType(m.op()), m.name(), m.value());
      if (!r.ok()) throw EvalError{QueryErrorKind::kBadData, r.status().message()};
      ms.push_back(std::move(*r));
    }
    return querier_.Select(ms, mint, maxt);
  }

  // The series' samples: a view of the iterator's when it holds them (it_ keeps it alive;
  // reset it when done, so that the set can reuse the buffer), else read into buf_.
  std::span<const Sample> Decode(const Series& s) {
    it_ = s.Iterator();
    if (std::optional<std::span<const Sample>> held = it_->TakeAll()) return *held;
    buf_.clear();
    it_->ReadAll(&buf_);
    Status st = it_->Err();
    if (!st.ok()) throw EvalError{QueryErrorKind::kInternal, st.message()};
    return buf_;
  }

  // Instant selector: the newest sample in [ref - lookback, ref], none if it is a
  // staleness marker. timestamps: the sample's time in seconds instead of its value.
  void StreamSelector(const VectorSelector& vs, const Grid& g, bool timestamps, const Sink& sink) {
    const bool pinned = vs.at.kind != AtModifier::Kind::kNone;
    const int64_t at = pinned ? AtTime(vs.at) : 0;
    const int64_t first = (pinned ? at : g.T(0)) - vs.offset_ms;
    const int64_t last = (pinned ? at : g.T(g.n - 1)) - vs.offset_ms;
    const int64_t lookback = opts_.lookback_delta_ms;
    auto set = Select(vs, SatSub(first, lookback), last);
    std::vector<double> out(g.n);
    while (set->Next()) {
      Check();
      const Series& s = set->At();
      const std::span<const Sample> samples = Decode(s);
      const int64_t loaded = static_cast<int64_t>(samples.size());
      Account(loaded);
      bool any = false;
      size_t i = 0;
      const size_t n = samples.size();
      auto value_at = [&](int64_t ref) {
        while (i < n && samples[i].t <= ref) ++i;
        if (i == 0) return kAbsent;
        const Sample& sm = samples[i - 1];
        if (sm.t < ref - lookback || IsStaleNaN(sm.v)) return kAbsent;
        any = true;
        return timestamps ? static_cast<double>(sm.t) / 1000.0 : sm.v;
      };
      if (pinned) {
        std::fill(out.begin(), out.end(), value_at(first));
      } else {
        for (int64_t k = 0; k < g.n; ++k) out[k] = value_at(g.T(k) - vs.offset_ms);
      }
      it_.reset();  // the set may reuse the samples' buffer once nothing reads it
      Release(loaded);
      if (any) sink(s.labels(), out);
    }
    Status st = set->Err();
    if (!st.ok()) throw EvalError{QueryErrorKind::kInternal, st.message()};
  }

  // Calls fn(labels, points, windows) for each series of a range argument (matrix selector
  // or subquery), points without staleness markers, in increasing time.
  template <typename Fn>
  void ForEachRangeSeries(const Expr& arg_in, const Grid& g, Fn&& fn) {
    const Expr& arg = Unparen(arg_in);
    if (arg.kind == NodeKind::kMatrixSelector) {
      const auto& ms = arg.As<MatrixSelector>();
      const VectorSelector& vs = *ms.selector;
      Windows w;
      w.pinned = vs.at.kind != AtModifier::Kind::kNone;
      w.pin_end = w.pinned ? AtTime(vs.at) - vs.offset_ms : 0;
      w.offset = vs.offset_ms;
      w.range = ms.range_ms;
      const int64_t first = w.End(g, 0);
      const int64_t last = w.End(g, g.n - 1);
      auto set = Select(vs, SatSub(first, w.range), last);
      while (set->Next()) {
        Check();
        const Series& s = set->At();
        pts_.clear();
        for (const Sample& sm : Decode(s)) {
          if (!IsStaleNaN(sm.v)) pts_.push_back(FPoint{sm.t, sm.v});
        }
        it_.reset();
        const int64_t loaded = static_cast<int64_t>(pts_.size());
        Account(loaded);
        fn(s.labels(), std::span<const FPoint>(pts_), w);
        Release(loaded);
      }
      Status st = set->Err();
      if (!st.ok()) throw EvalError{QueryErrorKind::kInternal, st.message()};
      return;
    }
    if (arg.kind == NodeKind::kSubquery) {
      const auto& sq = arg.As<SubqueryExpr>();
      Windows w;
      w.pinned = sq.at.kind != AtModifier::Kind::kNone;
      w.pin_end = w.pinned ? AtTime(sq.at) - sq.offset_ms : 0;
      w.offset = sq.offset_ms;
      w.range = sq.range_ms;
      Grid inner;
      SeriesList list = EvalSubqueryInner(sq, g, &inner);
      std::vector<FPoint> pts;
      for (const SeriesVals& s : list) {
        Check();
        pts.clear();
        for (int64_t j = 0; j < inner.n; ++j) {
          if (Has(s.v[j])) pts.push_back(FPoint{inner.T(j), s.v[j]});
        }
        fn(s.metric, std::span<const FPoint>(pts), w);
      }
      return;
    }
    throw EvalError{QueryErrorKind::kInternal, "expected a range vector argument"};
  }

  SeriesList EvalSubqueryInner(const SubqueryExpr& sq, const Grid& g, Grid* inner) {
    const int64_t step = sq.step_ms > 0 ? sq.step_ms : opts_.default_subquery_step_ms;
    const bool pinned = sq.at.kind != AtModifier::Kind::kNone;
    const int64_t first_end = (pinned ? AtTime(sq.at) : g.T(0)) - sq.offset_ms;
    const int64_t last_end = (pinned ? AtTime(sq.at) : g.T(g.n - 1)) - sq.offset_ms;
    const int64_t lo = SatSub(first_end, sq.range_ms);
    int64_t start = FloorDiv(lo, step) * step;
    if (start < lo) start += step;
    inner->start = start;
    inner->step = step;
    inner->n = last_end >= start ? (last_end - start) / step + 1 : 0;
    if (inner->n > opts_.max_samples) {
      throw EvalError{QueryErrorKind::kExecution, std::string(kErrTooManySamples)};
    }
    if (inner->n == 0) return {};
    return EvalVector(*sq.expr, *inner);
  }

  // --- functions -----------------------------------------------------------------------
  std::vector<std::vector<double>> ScalarArgs(const Call& c, const Grid& g, size_t skip) {
    std::vector<std::vector<double>> out;
    for (size_t i = 0; i < c.args.size(); ++i) {
      if (i == skip) continue;
      out.push_back(EvalScalar(*c.args[i], g));
    }
    return out;
  }

  void StreamRangeCall(const Call& c, const Grid& g, const Sink& sink) {
    const FunctionId id = c.func->id;
    const size_t marg = id == FunctionId::kQuantileOverTime ? 1 : 0;
    auto sargs = ScalarArgs(c, g, marg);
    const bool predict = id == FunctionId::kPredictLinear;
    const size_t nargs = sargs.size() + (predict ? 1 : 0);
    double args[4] = {0, 0, 0, 0};
    double prev_args[4] = {0, 0, 0, 0};
    const bool keep_name = id == FunctionId::kLastOverTime;
    const bool counter_fast = id == FunctionId::kRate || id == FunctionId::kIncrease;
    const bool is_rate = id == FunctionId::kRate;
    std::unordered_set<uint64_t> seen;
    std::vector<double> out(g.n);
    DeltaExtrapolator extrapolate;
    // Hands a series' values to the sink when it has any.
    auto emit = [&](const Labels& l, bool any) {
      if (!any) return;
      Labels ol = keep_name ? l : DropName(l);
      if (!seen.insert(ol.Hash()).second) Fail(kDuplicateLabelset);
      sink(ol, out);
    };
    ForEachRangeSeries(
        *c.args[marg], g, [&](const Labels& l, std::span<const FPoint> pts, const Windows& w) {
          if (pts.empty()) return;
          bool any = false;
          size_t lo = 0;
          size_t hi = 0;
          const size_t n = pts.size();
          if (counter_fast) {
            // resets_[j]: counter resets among points 1..j; a window without one needs no pass.
            resets_.resize(n);
            uint32_t r = 0;
            resets_[0] = 0;
            for (size_t j = 1; j < n; ++j) {
              if (pts[j].v < pts[j - 1].v) ++r;
              resets_[j] = r;
            }
          }
          if (counter_fast && !w.pinned) {
            // rate and increase over sliding windows: the loop below without its scalar
            // arguments and pinned-window memo.
            for (int64_t k = 0; k < g.n; ++k) {
              const int64_t wend = g.T(k) - w.offset;
              const int64_t wstart = wend - w.range;
              while (hi < n && pts[hi].t <= wend) ++hi;
              while (lo < hi && pts[lo].t < wstart) ++lo;
              double v = kAbsent;
              if (hi - lo >= 2 && resets_[hi - 1] == resets_[lo]) {
                v = extrapolate(pts[lo], pts[hi - 1], hi - lo, pts[hi - 1].v - pts[lo].v,
                                RangeWindow{wstart, wend}, /*is_counter=*/true, is_rate);
                any = true;
              } else if (hi > lo) {
                auto r = EvalRangeKernel(id, pts.subspan(lo, hi - lo), RangeWindow{wstart, wend},
                                         std::span<const double>());
                if (r.has_value()) {
                  v = *r;
                  any = true;
                }
              }
              out[k] = v;
            }
            return emit(l, any);
          }
          double prev = kAbsent;
          bool have_prev = false;
          for (int64_t k = 0; k < g.n; ++k) {
            const int64_t wend = w.End(g, k);
            const int64_t wstart = wend - w.range;
            for (size_t a = 0; a < sargs.size(); ++a) args[a] = sargs[a][k];
            if (predict) args[sargs.size()] = static_cast<double>(g.T(k));
            if (w.pinned) {
              if (have_prev && !predict &&
                  std::memcmp(args, prev_args, sizeof(double) * nargs) == 0) {
                out[k] = prev;
                continue;
              }
              lo = 0;
              hi = 0;
            }
            while (hi < n && pts[hi].t <= wend) ++hi;
            while (lo < hi && pts[lo].t < wstart) ++lo;
            double v = kAbsent;
            if (hi > lo) {
              if (id == FunctionId::kHoltWinters) CheckHoltWinters(args[0], args[1]);
              if (counter_fast && hi - lo >= 2 && resets_[hi - 1] == resets_[lo]) {
                v = extrapolate(pts[lo], pts[hi - 1], hi - lo, pts[hi - 1].v - pts[lo].v,
                                RangeWindow{wstart, wend}, /*is_counter=*/true, is_rate);
                any = true;
              } else {
                auto r = EvalRangeKernel(id, pts.subspan(lo, hi - lo), RangeWindow{wstart, wend},
                                         std::span<const double>(args, nargs));
                if (r.has_value()) {
                  v = *r;
                  any = true;
                }
              }
            }
            out[k] = v;
            prev = v;
            have_prev = true;
            std::memcpy(prev_args, args, sizeof(args));
          }
          emit(l, any);
        });
  }

  static void CheckHoltWinters(double sf, double tf) {
    char buf[128];
    if (!(sf > 0 && sf < 1)) {
      std::snprintf(buf, sizeof(buf), "invalid smoothing factor. Expected: 0 < sf < 1, got: %f",
                    sf);
      Fail(buf);
    }
    if (!(tf > 0 && tf < 1)) {
      std::snprintf(buf, sizeof(buf), "invalid trend factor. Expected: 0 < tf < 1, got: %f", tf);
      Fail(buf);
    }
  }

  SeriesList OneSeries(Labels l, std::vector<double> v) {
    SeriesList out;
    out.push_back(SeriesVals{std::move(l), std::move(v)});
    return out;
  }

  SeriesList EvalCall(const Call& c, const Grid& g) {
    const FunctionId id = c.func->id;
    if (IsRangeKernel(id)) return Collect(c, g);
    if (c.func->native_histograms_only) {
      EvalVector(*c.args.back(), g);
      return {};
    }
    switch (id) {
      case FunctionId::kVector:
        return OneSeries(Labels(), EvalScalar(*c.args[0], g));
      case FunctionId::kTime:
      case FunctionId::kPi:
      case FunctionId::kScalar:
        break;
      case FunctionId::kAbsent: {
        SeriesList in = EvalVector(*c.args[0], g);
        std::vector<double> out(g.n, 1.0);
        for (const SeriesVals& s : in) {
          for (int64_t k = 0; k < g.n; ++k) {
            if (Has(s.v[k])) out[k] = kAbsent;
          }
        }
        if (!AnyPresent(out)) return {};
        return OneSeries(AbsentLabels(*c.args[0]), std::move(out));
      }
      case FunctionId::kAbsentOverTime: {
        std::vector<double> out(g.n, 1.0);
        ForEachRangeSeries(*c.args[0], g,
                           [&](const Labels&, std::span<const FPoint> pts, const Windows& w) {
                             size_t lo = 0;
                             size_t hi = 0;
                             for (int64_t k = 0; k < g.n; ++k) {
                               const int64_t wend = w.End(g, k);
                               const int64_t wstart = wend - w.range;
                               if (w.pinned) {
                                 lo = hi = 0;
                               }
                               while (hi < pts.size() && pts[hi].t <= wend) ++hi;
                               while (lo < hi && pts[lo].t < wstart) ++lo;
                               if (hi > lo) out[k] = kAbsent;
                             }
                           });
        if (!AnyPresent(out)) return {};
        return OneSeries(AbsentLabels(Unparen(*c.args[0])), std::move(out));
      }
      case FunctionId::kLabelReplace: {
        SeriesList in = EvalVector(*c.args[0], g);
        std::string dst = EvalString(*c.args[1]);
        std::string repl = EvalString(*c.args[2]);
        std::string src = EvalString(*c.args[3]);
        std::string re = EvalString(*c.args[4]);
        auto check = LabelReplace(Labels(), dst, repl, src, re);
        if (!check.ok()) Fail(check.status().message());
        for (SeriesVals& s : in) {
          auto r = LabelReplace(s.metric, dst, repl, src, re);
          if (!r.ok()) Fail(r.status().message());
          s.metric = std::move(*r);
        }
        MergeSameLabels(in, g, true);
        return in;
      }
      case FunctionId::kLabelJoin: {
        SeriesList in = EvalVector(*c.args[0], g);
        std::string dst = EvalString(*c.args[1]);
        std::string sep = EvalString(*c.args[2]);
        std::vector<std::string> srcs;
        for (size_t i = 3; i < c.args.size(); ++i) srcs.push_back(EvalString(*c.args[i]));
        auto check = LabelJoin(Labels(), dst, sep, srcs);
        if (!check.ok()) Fail(check.status().message());
        for (SeriesVals& s : in) {
          auto r = LabelJoin(s.metric, dst, sep, srcs);
          if (!r.ok()) Fail(r.status().message());
          s.metric = std::move(*r);
        }
        MergeSameLabels(in, g, true);
        return in;
      }
      case FunctionId::kSort:
      case FunctionId::kSortDesc: {
        SeriesList in = EvalVector(*c.args[0], g);
        if (g.n == 1) {
          const bool desc = id == FunctionId::kSortDesc;
          std::stable_sort(in.begin(), in.end(), [desc](const SeriesVals& a, const SeriesVals& b) {
            double x = a.v[0];
            double y = b.v[0];
            if (std::isnan(x)) return false;
            if (std::isnan(y)) return true;
            return desc ? x > y : x < y;
          });
        }
        return in;
      }
      case FunctionId::kTimestamp: {
        const Expr& arg = Unparen(*c.args[0]);
        SeriesList in;
        if (arg.kind == NodeKind::kVectorSelector) {
          StreamSelector(arg.As<VectorSelector>(), g, /*timestamps=*/true,
                         [&](const Labels& l, std::span<const double> v) {
                           Account(g.n);
                           in.push_back(SeriesVals{l, std::vector<double>(v.begin(), v.end())});
                         });
        } else {
          in = EvalVector(arg, g);
          for (SeriesVals& s : in) {
            for (int64_t k = 0; k < g.n; ++k) {
              if (Has(s.v[k])) s.v[k] = static_cast<double>(g.T(k)) / 1000.0;
            }
          }
        }
        for (SeriesVals& s : in) s.metric = DropName(s.metric);
        MergeSameLabels(in, g, true);
        return in;
      }
      case FunctionId::kHistogramQuantile:
        return HistogramQuantile(c, g);
      default:
        break;
    }
    if (IsElementwiseKernel(id)) {
      if (c.args.empty()) {  // date functions default to vector(time())
        std::vector<double> out(g.n);
        for (int64_t k = 0; k < g.n; ++k) {
          out[k] = EvalElementwiseKernel(id, static_cast<double>(g.T(k)) / 1000.0, {});
        }
        return OneSeries(Labels(), std::move(out));
      }
      SeriesList in = EvalVector(*c.args[0], g);
      auto sargs = ScalarArgs(c, g, 0);
      double args[2] = {0, 0};
      for (SeriesVals& s : in) {
        s.metric = DropName(s.metric);
        for (int64_t k = 0; k < g.n; ++k) {
          if (!Has(s.v[k])) continue;
          for (size_t a = 0; a < sargs.size(); ++a) args[a] = sargs[a][k];
          if (id == FunctionId::kClamp && args[1] < args[0]) {
            s.v[k] = kAbsent;
            continue;
          }
          s.v[k] = EvalElementwiseKernel(id, s.v[k], std::span<const double>(args, sargs.size()));
        }
      }
      std::erase_if(in, [](const SeriesVals& s) { return !AnyPresent(s.v); });
      MergeSameLabels(in, g, true);
      return in;
    }
    throw EvalError{QueryErrorKind::kInternal,
                    "function " + std::string(c.func->name) + " is not implemented"};
  }

  SeriesList HistogramQuantile(const Call& c, const Grid& g) {
    std::vector<double> q = EvalScalar(*c.args[0], g);
    SeriesList in = EvalVector(*c.args[1], g);
    struct Member {
      size_t series;
      double upper;
    };
    struct Group {
      Labels metric;
      std::vector<Member> members;
    };
    std::vector<Group> groups;
    std::unordered_map<uint64_t, size_t> index;
    for (size_t i = 0; i < in.size(); ++i) {
      double upper;
      if (!ParseGoFloat(in[i].metric.Get("le"), &upper)) continue;
      LabelsBuilder b(in[i].metric);
      b.Del("le");
      Labels without_le = b.Build();
      auto [it, inserted] = index.try_emplace(without_le.Hash(), groups.size());
      if (inserted) groups.push_back(Group{DropName(without_le), {}});
      groups[it->second].members.push_back(Member{i, upper});
    }
    SeriesList out;
    std::vector<Bucket> buckets;
    for (Group& gr : groups) {
      Check();
      std::vector<double> v(g.n, kAbsent);
      bool any = false;
      for (int64_t k = 0; k < g.n; ++k) {
        buckets.clear();
        for (const Member& m : gr.members) {
          double x = in[m.series].v[k];
          if (Has(x)) buckets.push_back(Bucket{m.upper, x});
        }
        if (buckets.empty()) continue;
        v[k] = BucketQuantile(q[k], buckets);
        any = true;
      }
      if (any) out.push_back(SeriesVals{std::move(gr.metric), std::move(v)});
    }
    MergeSameLabels(out, g, true);
    return out;
  }

  // --- aggregations --------------------------------------------------------------------
  Labels GroupLabels(const Labels& l, const std::vector<std::string>& grouping, bool without) {
    LabelsBuilder b;
    if (without) {
      b.Reset(l);
      for (const std::string& n : grouping) b.Del(n);
      b.Del(kMetricNameLabel);
    } else {
      for (const Label& x : l) {
        if (std::binary_search(grouping.begin(), grouping.end(), x.name)) b.Set(x.name, x.value);
      }
    }
    return b.Build();
  }

  SeriesList EvalAggregate(const AggregateExpr& a, const Grid& g) {
    std::vector<std::string> grouping = a.grouping;
    std::sort(grouping.begin(), grouping.end());
    grouping.erase(std::unique(grouping.begin(), grouping.end()), grouping.end());
    switch (a.op) {
      case AggregateOp::kTopk:
      case AggregateOp::kBottomk:
        return TopK(a, grouping, g);
      case AggregateOp::kQuantile:
        return QuantileAgg(a, grouping, g);
      case AggregateOp::kCountValues:
        return CountValues(a, grouping, g);
      default:
        break;
    }
    struct Group {
      Labels metric;
      std::vector<double> val;
      std::vector<double> mean;
      std::vector<uint32_t> cnt;
    };
    std::vector<Group> groups;
    std::unordered_map<uint64_t, uint32_t> index;
    const AggregateOp op = a.op;
    const bool need_mean =
        op == AggregateOp::kAvg || op == AggregateOp::kStddev || op == AggregateOp::kStdvar;
    const int64_t n = g.n;
    StreamVector(*a.expr, g, [&](const Labels& l, std::span<const double> v) {
      const uint64_t h = a.without ? l.HashWithoutLabels(grouping) : l.HashForLabels(grouping);
      auto [it, inserted] = index.try_emplace(h, static_cast<uint32_t>(groups.size()));
      if (inserted) {
        Account(n);
        Group gr;
        gr.metric = GroupLabels(l, grouping, a.without);
        gr.val.assign(n, 0);
        if (need_mean) gr.mean.assign(n, 0);
        gr.cnt.assign(n, 0);
        groups.push_back(std::move(gr));
      }
      Group& gr = groups[it->second];
      double* val = gr.val.data();
      double* mean = gr.mean.data();
      uint32_t* cnt = gr.cnt.data();
      const double* in = v.data();
      switch (op) {
        case AggregateOp::kSum:
          for (int64_t k = 0; k < n; ++k) {
            const double x = in[k];
            if (!Has(x)) continue;
            val[k] = cnt[k]++ == 0 ? x : val[k] + x;
          }
          break;
        case AggregateOp::kCount:
        case AggregateOp::kGroup:
          for (int64_t k = 0; k < n; ++k) {
            if (Has(in[k])) ++cnt[k];
          }
          break;
        case AggregateOp::kMin:
          for (int64_t k = 0; k < n; ++k) {
            const double x = in[k];
            if (!Has(x)) continue;
            if (cnt[k]++ == 0 || val[k] > x || std::isnan(val[k])) val[k] = x;
          }
          break;
        case AggregateOp::kMax:
          for (int64_t k = 0; k < n; ++k) {
            const double x = in[k];
            if (!Has(x)) continue;
            if (cnt[k]++ == 0 || val[k] < x || std::isnan(val[k])) val[k] = x;
          }
          break;
        case AggregateOp::kAvg:
          for (int64_t k = 0; k < n; ++k) {
            const double x = in[k];
            if (!Has(x)) continue;
            if (cnt[k]++ == 0) {
              mean[k] = x;
              continue;
            }
            const double c = cnt[k];
            if (std::isinf(mean[k])) {
              if (std::isinf(x) && (mean[k] > 0) == (x > 0)) continue;
              if (!std::isinf(x) && !std::isnan(x)) continue;
            }
            mean[k] += x / c - mean[k] / c;
          }
          break;
        case AggregateOp::kStddev:
        case AggregateOp::kStdvar:
          for (int64_t k = 0; k < n; ++k) {
            const double x = in[k];
            if (!Has(x)) continue;
            if (cnt[k]++ == 0) {
              mean[k] = x;
              val[k] = 0;
              continue;
            }
            const double delta = x - mean[k];
            mean[k] += delta / cnt[k];
            val[k] += delta * (x - mean[k]);
          }
          break;
        default:
          break;
      }
    });
    SeriesList out;
    out.reserve(groups.size());
    for (Group& gr : groups) {
      std::vector<double> v(n, kAbsent);
      for (int64_t k = 0; k < n; ++k) {
        if (gr.cnt[k] == 0) continue;
        switch (op) {
          case AggregateOp::kSum:
          case AggregateOp::kMin:
          case AggregateOp::kMax:
            v[k] = gr.val[k];
            break;
          case AggregateOp::kCount:
            v[k] = gr.cnt[k];
            break;
          case AggregateOp::kGroup:
            v[k] = 1;
            break;
          case AggregateOp::kAvg:
            v[k] = gr.mean[k];
            break;
          case AggregateOp::kStdvar:
            v[k] = gr.val[k] / gr.cnt[k];
            break;
          case AggregateOp::kStddev:
            v[k] = std::sqrt(gr.val[k] / gr.cnt[k]);
            break;
          default:
            break;
        }
      }
      out.push_back(SeriesVals{std::move(gr.metric), std::move(v)});
    }
    return out;
  }

  // Group index per input series.
  std::vector<uint32_t> GroupIds(const SeriesList& in, const std::vector<std::string>& grouping,
                                 bool without, size_t* ngroups) {
    std::vector<uint32_t> ids(in.size());
    std::unordered_map<uint64_t, uint32_t> index;
    for (size_t i = 0; i < in.size(); ++i) {
      const Labels& l = in[i].metric;
      const uint64_t h = without ? l.HashWithoutLabels(grouping) : l.HashForLabels(grouping);
      auto [it, inserted] = index.try_emplace(h, static_cast<uint32_t>(index.size()));
      ids[i] = it->second;
    }
    *ngroups = index.size();
    return ids;
  }

  SeriesList TopK(const AggregateExpr& a, const std::vector<std::string>& grouping, const Grid& g) {
    std::vector<double> param = EvalScalar(*a.param, g);
    SeriesList in = EvalVector(*a.expr, g);
    size_t ngroups = 0;
    auto ids = GroupIds(in, grouping, a.without, &ngroups);
    std::vector<std::vector<uint32_t>> members(ngroups);
    for (size_t i = 0; i < in.size(); ++i) members[ids[i]].push_back(static_cast<uint32_t>(i));
    const bool top = a.op == AggregateOp::kTopk;
    std::vector<int64_t> out_index(in.size(), -1);
    SeriesList out;
    std::vector<std::pair<double, uint32_t>> cand;
    for (int64_t k = 0; k < g.n; ++k) {
      Check();
      const double f = param[k];
      if (!(f <= 9.223372036854775807e18 && f >= -9.223372036854775808e18)) {
        Fail("Scalar value " + FormatGoFloat(f) + " overflows int64");
      }
      const int64_t kk = static_cast<int64_t>(f);
      if (kk < 1) continue;
      for (const auto& mem : members) {
        cand.clear();
        for (uint32_t i : mem) {
          if (Has(in[i].v[k])) cand.emplace_back(in[i].v[k], i);
        }
        // NaN sorts last; ties keep input order (as Prometheus's heap keeps the first seen).
        auto before = [top](const std::pair<double, uint32_t>& x,
                            const std::pair<double, uint32_t>& y) {
          const bool xn = std::isnan(x.first);
          const bool yn = std::isnan(y.first);
          if (xn != yn) return yn;
          if (!xn && x.first != y.first) return top ? x.first > y.first : x.first < y.first;
          return x.second < y.second;
        };
        const size_t take = std::min<size_t>(cand.size(), static_cast<size_t>(kk));
        std::partial_sort(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(take),
                          cand.end(), before);

        for (size_t j = 0; j < take; ++j) {
          const uint32_t i = cand[j].second;
          if (out_index[i] < 0) {
            out_index[i] = static_cast<int64_t>(out.size());
            out.push_back(SeriesVals{in[i].metric, std::vector<double>(g.n, kAbsent)});
          }
          out[out_index[i]].v[k] = cand[j].first;
        }
      }
    }
    return out;
  }

  SeriesList QuantileAgg(const AggregateExpr& a, const std::vector<std::string>& grouping,
                         const Grid& g) {
    std::vector<double> param = EvalScalar(*a.param, g);
    SeriesList in = EvalVector(*a.expr, g);
    size_t ngroups = 0;
    auto ids = GroupIds(in, grouping, a.without, &ngroups);
    std::vector<std::vector<uint32_t>> members(ngroups);
    SeriesList out(ngroups);
    for (size_t i = 0; i < in.size(); ++i) {
      if (members[ids[i]].empty()) {
        out[ids[i]].metric = GroupLabels(in[i].metric, grouping, a.without);
        out[ids[i]].v.assign(g.n, kAbsent);
      }
      members[ids[i]].push_back(static_cast<uint32_t>(i));
    }
    std::vector<double> vals;
    for (size_t gi = 0; gi < ngroups; ++gi) {
      Check();
      for (int64_t k = 0; k < g.n; ++k) {
        vals.clear();
        for (uint32_t i : members[gi]) {
          if (Has(in[i].v[k])) vals.push_back(in[i].v[k]);
        }
        if (!vals.empty()) out[gi].v[k] = Quantile(param[k], vals);
      }
    }
    return out;
  }

  SeriesList CountValues(const AggregateExpr& a, const std::vector<std::string>& grouping,
                         const Grid& g) {
    const std::string label = EvalString(*a.param);
    if (!IsValidLabelName(label)) Fail("invalid label name \"" + label + "\"");
    std::vector<std::string> by = grouping;
    if (!a.without) {
      by.push_back(label);
      std::sort(by.begin(), by.end());
      by.erase(std::unique(by.begin(), by.end()), by.end());
    }
    SeriesList in = EvalVector(*a.expr, g);
    SeriesList out;
    std::unordered_map<uint64_t, size_t> index;
    LabelsBuilder b;
    for (int64_t k = 0; k < g.n; ++k) {
      Check();
      for (const SeriesVals& s : in) {
        const double x = s.v[k];
        if (!Has(x)) continue;
        b.Reset(s.metric);
        b.Set(label, FormatFloatF(x));
        Labels m = GroupLabels(b.Build(), by, a.without);
        auto [it, inserted] = index.try_emplace(m.Hash(), out.size());
        if (inserted) out.push_back(SeriesVals{std::move(m), std::vector<double>(g.n, kAbsent)});
        double& dst = out[it->second].v[k];
        dst = Has(dst) ? dst + 1 : 1;
      }
    }
    return out;
  }

  // --- binary operators ----------------------------------------------------------------
  SeriesList EvalBinary(const BinaryExpr& b, const Grid& g) {
    const ValueType lt = b.lhs->Type();
    const ValueType rt = b.rhs->Type();
    if (lt == ValueType::kScalar || rt == ValueType::kScalar) {
      const bool swap = lt == ValueType::kScalar;
      std::vector<double> sc = EvalScalar(swap ? *b.lhs : *b.rhs, g);
      SeriesList in = EvalVector(swap ? *b.rhs : *b.lhs, g);
      const bool cmp = IsComparisonOp(b.op);
      const bool drop = ShouldDropName(b.op) || b.return_bool;
      for (SeriesVals& s : in) {
        if (drop) s.metric = DropName(s.metric);
        for (int64_t k = 0; k < g.n; ++k) {
          const double x = s.v[k];
          if (!Has(x)) continue;
          double l = x;
          double r = sc[k];
          if (swap) std::swap(l, r);
          double value;
          bool keep = ElemBinop(b.op, l, r, &value);
          if (cmp && swap) value = r;
          if (b.return_bool) {
            value = keep ? 1 : 0;
            keep = true;
          }
          s.v[k] = keep ? value : kAbsent;
        }
      }
      std::erase_if(in, [](const SeriesVals& s) { return !AnyPresent(s.v); });
      MergeSameLabels(in, g, true);
      return in;
    }
    const VectorMatching& m = *b.matching;
    std::vector<std::string> mlabels = m.matching_labels;
    std::sort(mlabels.begin(), mlabels.end());
    mlabels.erase(std::unique(mlabels.begin(), mlabels.end()), mlabels.end());
    SeriesList lhs = EvalVector(*b.lhs, g);
    SeriesList rhs = EvalVector(*b.rhs, g);
    auto sig = [&](const Labels& l) {
      return m.on ? l.HashForLabels(mlabels) : l.HashWithoutLabels(mlabels);
    };
    std::unordered_map<uint64_t, uint32_t> sig_index;
    auto sig_ids = [&](const SeriesList& list) {
      std::vector<uint32_t> ids(list.size());
      for (size_t i = 0; i < list.size(); ++i) {
        auto [it, inserted] =
            sig_index.try_emplace(sig(list[i].metric), static_cast<uint32_t>(sig_index.size()));
        ids[i] = it->second;
      }
      return ids;
    };
    auto lids = sig_ids(lhs);
    auto rids = sig_ids(rhs);
    const size_t nsig = sig_index.size();
    const int64_t n = g.n;
    // Per signature and step: whether a series of that side has a value.
    auto presence = [&](const SeriesList& list, const std::vector<uint32_t>& ids) {
      std::vector<uint8_t> p(nsig * n, 0);
      for (size_t i = 0; i < list.size(); ++i) {
        uint8_t* row = p.data() + ids[i] * n;
        for (int64_t k = 0; k < n; ++k) {
          if (Has(list[i].v[k])) row[k] = 1;
        }
      }
      return p;
    };
    switch (b.op) {
      case BinaryOp::kAnd:
      case BinaryOp::kUnless: {
        auto rp = presence(rhs, rids);
        const bool want = b.op == BinaryOp::kAnd;
        for (size_t i = 0; i < lhs.size(); ++i) {
          const uint8_t* row = rp.data() + lids[i] * n;
          for (int64_t k = 0; k < n; ++k) {
            if ((row[k] != 0) != want) lhs[i].v[k] = kAbsent;
          }
        }
        std::erase_if(lhs, [](const SeriesVals& s) { return !AnyPresent(s.v); });
        MergeSameLabels(lhs, g, true);
        return lhs;
      }
      case BinaryOp::kOr: {
        auto lp = presence(lhs, lids);
        for (size_t i = 0; i < rhs.size(); ++i) {
          const uint8_t* row = lp.data() + rids[i] * n;
          for (int64_t k = 0; k < n; ++k) {
            if (row[k] != 0) rhs[i].v[k] = kAbsent;
          }
        }
        for (SeriesVals& s : rhs) {
          if (AnyPresent(s.v)) lhs.push_back(std::move(s));
        }
        MergeSameLabels(lhs, g, true);
        return lhs;
      }
      default:
        break;
    }
    return MatchArith(b, m, lhs, rhs, lids, rids, nsig, g);
  }

  SeriesList MatchArith(const BinaryExpr& b, const VectorMatching& m, SeriesList& lhs_in,
                        SeriesList& rhs_in, std::vector<uint32_t>& lids_in,
                        std::vector<uint32_t>& rids_in, size_t nsig, const Grid& g) {
    const bool one_to_many = m.card == VectorMatching::Cardinality::kOneToMany;
    // "many" is the side whose series appear in the output; "one" must be unique per group.
    SeriesList& many = one_to_many ? rhs_in : lhs_in;
    SeriesList& one = one_to_many ? lhs_in : rhs_in;
    const std::vector<uint32_t>& mids = one_to_many ? rids_in : lids_in;
    const std::vector<uint32_t>& oids = one_to_many ? lids_in : rids_in;
    const bool one_to_one = m.card == VectorMatching::Cardinality::kOneToOne;
    std::vector<std::string> mlabels = m.matching_labels;
    std::sort(mlabels.begin(), mlabels.end());
    const bool drop = ShouldDropName(b.op);
    auto result_metric = [&](const Labels& ml, const Labels& ol) {
      LabelsBuilder lb(ml);
      if (drop) lb.Del(kMetricNameLabel);
      if (one_to_one) {
        if (m.on) {
          lb.DelIf([&](const Label& x) {
            return !std::binary_search(mlabels.begin(), mlabels.end(), x.name);
          });
        } else {
          for (const std::string& n : mlabels) lb.Del(n);
        }
      }
      for (const std::string& n : m.include) {
        std::string_view v = ol.Get(n);
        if (!v.empty()) {
          lb.Set(n, v);
        } else {
          lb.Del(n);
        }
      }
      if (b.return_bool) lb.Del(kMetricNameLabel);
      return lb.Build();
    };
    const int64_t n = g.n;
    std::vector<int32_t> owner(nsig, -1);
    std::vector<int64_t> owner_step(nsig, -1);
    std::vector<int64_t> matched_step(nsig, -1);
    std::vector<uint32_t> last_one(many.size(), UINT32_MAX);
    std::vector<uint32_t> last_out(many.size(), 0);
    std::unordered_map<uint64_t, uint32_t> pair_out;
    std::unordered_map<uint64_t, uint32_t> by_labels;  // output labels -> first output index
    std::vector<uint32_t> canon;                       // output index -> first with its labels
    std::vector<int64_t> canon_step;                   // last step written, by first index
    SeriesList out;
    for (int64_t k = 0; k < n; ++k) {
      Check();
      for (size_t j = 0; j < one.size(); ++j) {
        if (!Has(one[j].v[k])) continue;
        const uint32_t s = oids[j];
        if (owner_step[s] == k) {
          const SeriesVals& prev = one[owner[s]];
          Fail("found duplicate series for the match group " +
               GroupLabels(one[j].metric, mlabels, !m.on).ToString() + " on the " +
               (one_to_many ? "left" : "right") + " hand-side of the operation: [" +
               one[j].metric.ToString() + ", " + prev.metric.ToString() +
               "];many-to-many matching not allowed: matching labels must be unique on one side");
        }
        owner_step[s] = k;
        owner[s] = static_cast<int32_t>(j);
      }
      for (size_t i = 0; i < many.size(); ++i) {
        const double x = many[i].v[k];
        if (!Has(x)) continue;
        const uint32_t s = mids[i];
        if (owner_step[s] != k) continue;
        const uint32_t j = static_cast<uint32_t>(owner[s]);
        double vl = x;
        double vr = one[j].v[k];
        if (one_to_many) std::swap(vl, vr);
        double value;
        bool keep = ElemBinop(b.op, vl, vr, &value);
        if (b.return_bool) {
          value = keep ? 1 : 0;
        } else if (!keep) {
          continue;
        }
        if (one_to_one) {
          if (matched_step[s] == k) {
            Fail(
                "multiple matches for labels: many-to-one matching must be explicit "
                "(group_left/group_right)");
          }
          matched_step[s] = k;
        }
        uint32_t oi;
        if (last_one[i] == j) {
          oi = last_out[i];
        } else {
          const uint64_t key = (static_cast<uint64_t>(i) << 32) | j;
          auto it = pair_out.find(key);
          if (it == pair_out.end()) {
            oi = static_cast<uint32_t>(out.size());
            pair_out.emplace(key, oi);
            Account(n);
            out.push_back(SeriesVals{result_metric(many[i].metric, one[j].metric),
                                     std::vector<double>(n, kAbsent)});
            auto c = by_labels.try_emplace(out.back().metric.Hash(), oi).first;
            canon.push_back(c->second);
            canon_step.push_back(-1);
          } else {
            oi = it->second;
          }
          last_one[i] = j;
          last_out[i] = oi;
        }
        if (!one_to_one) {
          // Two pairs of one group with the same output labels at one step.
          const uint32_t c = canon[oi];
          if (canon_step[c] == k) {
            Fail("multiple matches for labels: grouping labels must ensure unique matches");
          }
          canon_step[c] = k;
        }
        out[oi].v[k] = value;
      }
    }
    MergeSameLabels(out, g, true);
    return out;
  }

  // --- range vectors at the top of an instant query --------------------------------------
  Matrix EvalMatrixInstant(const Expr& e, int64_t t) {
    Grid g{t, 1, 1};
    Matrix out;
    ForEachRangeSeries(e, g, [&](const Labels& l, std::span<const FPoint> pts, const Windows& w) {
      const int64_t wend = w.End(g, 0);
      const int64_t wstart = wend - w.range;
      MatrixSeries ms;
      for (const FPoint& p : pts) {
        if (p.t >= wstart && p.t <= wend) ms.points.push_back(p);
      }
      if (ms.points.empty()) return;
      Account(static_cast<int64_t>(ms.points.size()));
      ms.metric = l;
      out.push_back(std::move(ms));
    });
    return out;
  }

 private:
  const EngineOptions& opts_;
  Querier& querier_;
  const std::atomic<bool>* cancel_;
  int64_t query_start_;
  int64_t query_end_;
  std::chrono::steady_clock::time_point deadline_;
  uint64_t checks_ = 0;
  int64_t samples_ = 0;
  std::vector<Sample> buf_;             // see Decode
  std::unique_ptr<SeriesIterator> it_;  // see Decode
  std::vector<FPoint> pts_;
  std::vector<uint32_t> resets_;
};

QueryResult ErrorResult(QueryErrorKind kind, std::string message) {
  QueryResult r;
  r.error = QueryError{kind, std::move(message)};
  return r;
}

}  // namespace

Engine::Engine(EngineOptions options) : options_(options) {}

QueryResult Engine::Instant(Querier& querier, std::string_view expr, int64_t t_ms,
                            const std::atomic<bool>* cancel) const {
  auto parsed = ParseExpr(expr);
  if (!parsed.ok()) return ErrorResult(QueryErrorKind::kBadData, parsed.status().message());
  return Instant(querier, **parsed, t_ms, cancel);
}

QueryResult Engine::Instant(Querier& querier, const Expr& e, int64_t t_ms,
                            const std::atomic<bool>* cancel) const {
  Evaluator ev(options_, querier, cancel, t_ms, t_ms);
  QueryResult result;
  try {
    ev.CheckNow();
    Grid g{t_ms, 1, 1};
    switch (e.Type()) {
      case ValueType::kScalar:
        result.value = Scalar{t_ms, ev.EvalScalar(e, g)[0]};
        break;
      case ValueType::kString:
        result.value = String{t_ms, ev.EvalString(e)};
        break;
      case ValueType::kMatrix:
        result.value = ev.EvalMatrixInstant(e, t_ms);
        break;
      default: {
        SeriesList list = ev.EvalVector(e, g);
        Vector v;
        v.reserve(list.size());
        for (SeriesVals& s : list) {
          if (Has(s.v[0])) v.push_back(VectorSample{std::move(s.metric), t_ms, s.v[0]});
        }
        result.value = std::move(v);
        break;
      }
    }
    ev.CheckNow();
  } catch (const EvalError& err) {
    return ErrorResult(err.kind, err.message);
  }
  return result;
}

QueryResult Engine::Range(Querier& querier, std::string_view expr, int64_t start_ms, int64_t end_ms,
                          int64_t step_ms, const std::atomic<bool>* cancel) const {
  if (end_ms < start_ms) {
    return ErrorResult(QueryErrorKind::kBadData, "end timestamp must not be before start time");
  }
  if (step_ms <= 0) {
    return ErrorResult(QueryErrorKind::kBadData,
                       "zero or negative query resolution step widths are not accepted. Try a "
                       "positive integer");
  }
  const uint64_t span = static_cast<uint64_t>(end_ms) - static_cast<uint64_t>(start_ms);
  if (span / static_cast<uint64_t>(step_ms) >
      static_cast<uint64_t>(std::max<int64_t>(options_.max_points_per_series, 0))) {
    std::string limit = std::to_string(options_.max_points_per_series);
    for (int i = static_cast<int>(limit.size()) - 3; i > 0; i -= 3) limit.insert(i, ",");
    return ErrorResult(QueryErrorKind::kBadData,
                       "exceeded maximum resolution of " + limit +
                           " points per timeseries. Try decreasing the query resolution "
                           "(?step=XX)");
  }
  auto parsed = ParseExpr(expr);
  if (!parsed.ok()) return ErrorResult(QueryErrorKind::kBadData, parsed.status().message());
  const Expr& e = **parsed;
  if (e.Type() != ValueType::kScalar && e.Type() != ValueType::kVector) {
    return ErrorResult(QueryErrorKind::kBadData,
                       "invalid expression type \"" + std::string(DocumentedTypeName(e.Type())) +
                           "\" for range query, must be Scalar or instant Vector");
  }
  Evaluator ev(options_, querier, cancel, start_ms, end_ms);
  QueryResult result;
  try {
    ev.CheckNow();
    Grid g{start_ms, step_ms, static_cast<int64_t>(span / static_cast<uint64_t>(step_ms)) + 1};
    Matrix m;
    if (e.Type() == ValueType::kScalar) {
      auto v = ev.EvalScalar(e, g);
      MatrixSeries ms;
      ms.points.reserve(g.n);
      for (int64_t k = 0; k < g.n; ++k) ms.points.push_back(FPoint{g.T(k), v[k]});
      m.push_back(std::move(ms));
    } else {
      SeriesList list = ev.EvalVector(e, g);
      m.reserve(list.size());
      for (SeriesVals& s : list) {
        MatrixSeries ms;
        for (int64_t k = 0; k < g.n; ++k) {
          if (Has(s.v[k])) ms.points.push_back(FPoint{g.T(k), s.v[k]});
        }
        if (ms.points.empty()) continue;
        ms.metric = std::move(s.metric);
        m.push_back(std::move(ms));
      }
      std::sort(m.begin(), m.end(),
                [](const MatrixSeries& a, const MatrixSeries& b) { return a.metric < b.metric; });
    }
    result.value = std::move(m);
    ev.CheckNow();
  } catch (const EvalError& err) {
    return ErrorResult(err.kind, err.message);
  }
  return result;
}

}  // namespace andon::query
