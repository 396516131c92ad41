// query/engine.h
//
// Evaluates PromQL against a tsdb Querier, with Prometheus 2.42's semantics: lookback
// delta and staleness markers for instant selectors, offset and @ modifiers, subqueries,
// aggregations, vector matching, and every function of query/functions.h. An instant
// query yields any Value; a range query yields a Matrix (or a Scalar/String evaluated at
// each step, returned as a one-series Matrix without labels, as Prometheus does).
//
// Errors are returned, never thrown: a parse error, a timeout, a cancellation, too many
// samples, or an execution error (e.g. "vector cannot contain metrics with the same
// labelset") each come back as a QueryError whose kind maps to the API's errorType.
//
// Evaluation runs each node once over the whole grid of steps (docs/promql.md,
// "Evaluation"): selectors read each series once per query, range functions slide their
// windows over the decoded samples, aggregations group by hashes computed once per series.
//
// Thread-safety: an Engine is immutable after construction and may run many queries at
// once; each query uses its own Querier from one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "query/ast.h"
#include "query/value.h"
#include "tsdb/querier.h"

namespace andon::query {

struct EngineOptions {
  int64_t lookback_delta_ms = 5 * 60 * 1000;  // --query.lookback-delta
  int64_t timeout_ms = 2 * 60 * 1000;         // --query.timeout
  // --query.max-samples: points held at once (the decoded samples of the series being
  // read, plus one point per step for each intermediate series or group kept in memory).
  int64_t max_samples = 50'000'000;
  int64_t max_points_per_series = 11'000;        // range queries: (end-start)/step+1 limit
  int64_t default_subquery_step_ms = 60 * 1000;  // [5m:] uses this step (Prometheus 1m)
};

// The error message of a query that exceeds max_samples, as Prometheus words it.
inline constexpr std::string_view kErrTooManySamples =
    "query processing would load too many samples into memory in query execution";

// The API's errorType values, as Prometheus names them.
enum class QueryErrorKind { kBadData, kTimeout, kCanceled, kExecution, kInternal };

// "bad_data", "timeout", "canceled", "execution", "internal".
std::string_view QueryErrorTypeName(QueryErrorKind kind);

struct QueryError {
  QueryErrorKind kind;
  std::string message;  // as Prometheus words it, e.g. "1:5: parse error: unexpected ..."
};

struct QueryResult {
  Value value;                        // meaningful only when !error
  std::vector<std::string> warnings;  // e.g. from the querier
  std::optional<QueryError> error;
};

class Engine {
 public:
  explicit Engine(EngineOptions options = {});

  // Evaluates `expr` at `t_ms`. `cancel`, when given, is polled during evaluation; setting
  // it makes the query end with kCanceled.
  QueryResult Instant(Querier& querier, std::string_view expr, int64_t t_ms,
                      const std::atomic<bool>* cancel = nullptr) const;
  // The same for an expression parsed already (rules evaluate theirs many times).
  QueryResult Instant(Querier& querier, const Expr& expr, int64_t t_ms,
                      const std::atomic<bool>* cancel = nullptr) const;

  // Evaluates `expr` at start, start+step, ... <= end. Bad ranges (end < start, step <= 0,
  // more than max_points_per_series steps) are kBadData errors with Prometheus's words.
  QueryResult Range(Querier& querier, std::string_view expr, int64_t start_ms, int64_t end_ms,
                    int64_t step_ms, const std::atomic<bool>* cancel = nullptr) const;

  const EngineOptions& options() const { return options_; }

 private:
  EngineOptions options_;
};

}  // namespace andon::query
