#include "web/query_api.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "query/parser.h"
#include "query/printer.h"
#include "web/api_params.h"
#include "web/query_json.h"

namespace andon::web {
namespace {

using query::QueryErrorKind;
using Clock = std::chrono::steady_clock;

// Prometheus's API refuses range queries of more points than this, before evaluating.
constexpr int64_t kMaxPointsPerSeries = 11000;

int HttpStatusOf(QueryErrorKind kind) {
  switch (kind) {
    case QueryErrorKind::kBadData:
      return 400;
    case QueryErrorKind::kExecution:
      return 422;
    case QueryErrorKind::kTimeout:
    case QueryErrorKind::kCanceled:
      return 503;
    case QueryErrorKind::kInternal:
      return 500;
  }
  return 500;
}

// {"status":"error","errorType":...,"error":...}, escaped as Go's encoding/json does.
void WriteQueryError(HttpResponse& res, QueryErrorKind kind, std::string_view message) {
  res.status = HttpStatusOf(kind);
  res.content_type = "application/json";
  res.body = R"({"status":"error","errorType":")";
  res.body += query::QueryErrorTypeName(kind);
  res.body += R"(","error":)";
  AppendJsonString(res.body, message);
  res.body += '}';
}

void BadData(HttpResponse& res, std::string_view message) {
  WriteQueryError(res, QueryErrorKind::kBadData, message);
}

// `invalid parameter "name": <why>`, Prometheus's invalidParamError.
void InvalidParam(HttpResponse& res, std::string_view name, std::string_view why) {
  std::string message = "invalid parameter \"";
  message += name;
  message += "\": ";
  message += why;
  BadData(res, message);
}

// {"status":"success","data":<what append_data writes>[,"warnings":[...]]}.
template <typename AppendData>
void WriteSuccess(HttpResponse& res, AppendData&& append_data,
                  const std::vector<std::string>& warnings) {
  res.status = 200;
  res.content_type = "application/json";
  res.body = R"({"status":"success","data":)";
  append_data(res.body);  // straight into the body: a large matrix is written once
  if (!warnings.empty()) {
    res.body += R"(,"warnings":[)";
    for (size_t i = 0; i < warnings.size(); ++i) {
      if (i != 0) res.body += ',';
      AppendJsonString(res.body, warnings[i]);
    }
    res.body += ']';
  }
  res.body += '}';
}

}  // namespace

QuerySlots::QuerySlots(int slots) : free_(std::max(1, slots)) {}

QuerySlots::Outcome QuerySlots::Acquire(Clock::time_point deadline) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (shut_) return Outcome::kShutDown;
    if (Clock::now() >= deadline) return Outcome::kTimedOut;
    if (free_ > 0) {
      --free_;
      return Outcome::kAcquired;
    }
    cv_.wait_until(lock, deadline);
  }
}

void QuerySlots::Release() {
  {
    std::lock_guard lock(mu_);
    ++free_;
  }
  cv_.notify_one();
}

void QuerySlots::Shutdown() {
  {
    std::lock_guard lock(mu_);
    shut_ = true;
  }
  cv_.notify_all();
}

int QuerySlots::free() const {
  std::lock_guard lock(mu_);
  return free_;
}

QueryApi::QueryApi(QuerierFactory querier, const query::Engine& engine, QueryApiOptions options)
    : querier_(std::move(querier)),
      engine_(engine),
      options_(std::move(options)),
      slots_(options_.max_concurrency) {
  if (options_.metrics == nullptr) return;
  auto family = options_.metrics->RegisterCounter(
      "andon_query_limit_hits_total", "Queries of the HTTP API refused by a limit, by limit.",
      {"limit"});
  if (!family.ok()) return;
  limits_.timeout = &(*family)->WithLabels({"timeout"});
  limits_.queue_timeout = &(*family)->WithLabels({"queue_timeout"});
  limits_.max_samples = &(*family)->WithLabels({"max_samples"});
  limits_.max_points = &(*family)->WithLabels({"max_points"});
}

void QueryApi::Shutdown() {
  canceled_.store(true);
  slots_.Shutdown();
}

int64_t QueryApi::NowMs() const {
  if (options_.now_ms) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// The query's deadline: the engine's timeout, shortened by the request's `timeout`.
// Returns false (after writing the error) when `timeout` does not parse.
bool Deadline(const HttpRequest& req, const query::Engine& engine, HttpResponse& res,
              Clock::time_point* deadline) {
  int64_t timeout_ms = engine.options().timeout_ms;
  std::string text = req.Param("timeout");
  if (!text.empty()) {
    Result<int64_t> t = ParseApiDuration(text);
    if (!t.ok()) {
      InvalidParam(res, "timeout", t.status().message());
      return false;
    }
    timeout_ms = std::min(timeout_ms, *t);
  }
  *deadline = Clock::now() + std::chrono::milliseconds(std::max<int64_t>(timeout_ms, 0));
  return true;
}

void Hit(Counter* counter) {
  if (counter != nullptr) counter->Inc();
}

// Waits for a slot, runs `eval` with an engine bounded by what is left of the deadline and
// writes its result.
template <typename Eval>
void Evaluate(QuerySlots& slots, const query::Engine& engine, Clock::time_point deadline,
              const QuerierFactory& open, const QueryLimitCounters& limits, HttpResponse& res,
              Eval&& eval) {
  switch (slots.Acquire(deadline)) {
    case QuerySlots::Outcome::kTimedOut:
      Hit(limits.queue_timeout);
      return WriteQueryError(res, QueryErrorKind::kTimeout, "query timed out in query queue");
    case QuerySlots::Outcome::kShutDown:
      return WriteQueryError(res, QueryErrorKind::kCanceled, "query was canceled in query queue");
    case QuerySlots::Outcome::kAcquired:
      break;
  }
  struct Release {
    QuerySlots& s;
    ~Release() { s.Release(); }
  } release{slots};

  // What is left of the deadline bounds the evaluation; a shorter-lived engine carries it.
  int64_t left_ms = std::max<int64_t>(
      1, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
  std::optional<query::Engine> bounded;
  const query::Engine* use = &engine;
  if (left_ms < engine.options().timeout_ms) {
    query::EngineOptions o = engine.options();
    o.timeout_ms = left_ms;
    use = &bounded.emplace(o);
  }
  std::unique_ptr<Querier> querier =
      open(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
  if (querier == nullptr) {
    return WriteQueryError(res, QueryErrorKind::kInternal, "storage is not available");
  }
  query::QueryResult result = eval(*use, *querier);
  if (result.error) {
    if (result.error->kind == QueryErrorKind::kTimeout) Hit(limits.timeout);
    if (result.error->message == query::kErrTooManySamples) Hit(limits.max_samples);
    return WriteQueryError(res, result.error->kind, result.error->message);
  }
  WriteSuccess(
      res, [&](std::string& out) { AppendQueryData(out, result.value); }, result.warnings);
}

}  // namespace

void QueryApi::Instant(const HttpRequest& req, HttpResponse& res) {
  Result<int64_t> time = TimeParam(req, "time", NowMs());
  if (!time.ok()) return BadData(res, time.status().message());
  const int64_t t = *time;
  Clock::time_point deadline;
  if (!Deadline(req, engine_, res, &deadline)) return;
  std::string expr = req.Param("query");
  if (Result<query::ExprPtr> parsed = query::ParseExpr(expr); !parsed.ok()) {
    return InvalidParam(res, "query", parsed.status().message());
  }
  Evaluate(slots_, engine_, deadline, querier_, limits_, res,
           [&](const query::Engine& engine, Querier& querier) {
             return engine.Instant(querier, expr, t, &canceled_);
           });
}

void QueryApi::Range(const HttpRequest& req, HttpResponse& res) {
  Result<int64_t> start = ParseApiTime(req.Param("start"));
  if (!start.ok()) return InvalidParam(res, "start", start.status().message());
  Result<int64_t> end = ParseApiTime(req.Param("end"));
  if (!end.ok()) return InvalidParam(res, "end", end.status().message());
  if (*end < *start) return InvalidParam(res, "end", "end timestamp must not be before start time");
  Result<int64_t> step = ParseApiDuration(req.Param("step"));
  if (!step.ok()) return InvalidParam(res, "step", step.status().message());
  if (*step <= 0) {
    return InvalidParam(res, "step",
                        "zero or negative query resolution step widths are not accepted. Try a "
                        "positive integer");
  }
  // Prometheus's integer (end - start) / step; unsigned, as end - start may exceed int64.
  if ((static_cast<uint64_t>(*end) - static_cast<uint64_t>(*start)) / static_cast<uint64_t>(*step) >
      static_cast<uint64_t>(kMaxPointsPerSeries)) {
    Hit(limits_.max_points);
    return BadData(res,
                   "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing "
                   "the query resolution (?step=XX)");
  }
  Clock::time_point deadline;
  if (!Deadline(req, engine_, res, &deadline)) return;
  std::string expr = req.Param("query");
  Result<query::ExprPtr> parsed = query::ParseExpr(expr);
  if (!parsed.ok()) return BadData(res, parsed.status().message());
  query::ValueType type = (*parsed)->Type();
  if (type != query::ValueType::kScalar && type != query::ValueType::kVector) {
    return BadData(res, "invalid expression type \"" +
                            std::string(query::DocumentedTypeName(type)) +
                            "\" for range query, must be Scalar or instant Vector");
  }
  Evaluate(slots_, engine_, deadline, querier_, limits_, res,
           [&](const query::Engine& engine, Querier& querier) {
             return engine.Range(querier, expr, *start, *end, *step, &canceled_);
           });
}

void QueryApi::Format(const HttpRequest& req, HttpResponse& res) {
  Result<query::ExprPtr> parsed = query::ParseExpr(req.Param("query"));
  if (!parsed.ok()) return InvalidParam(res, "query", parsed.status().message());
  std::string pretty = query::Prettify(**parsed);
  WriteSuccess(res, [&](std::string& out) { AppendJsonString(out, pretty); }, {});
}

std::shared_ptr<QueryApi> RegisterQueryApi(HttpServer& server, QuerierFactory querier,
                                           const query::Engine& engine, QueryApiOptions options) {
  auto api = std::make_shared<QueryApi>(std::move(querier), engine, std::move(options));
  server.Handle("/api/v1/query", {"GET", "POST"},
                [api](const HttpRequest& req, HttpResponse& res) { api->Instant(req, res); });
  server.Handle("/api/v1/query_range", {"GET", "POST"},
                [api](const HttpRequest& req, HttpResponse& res) { api->Range(req, res); });
  server.Handle("/api/v1/format_query", {"GET", "POST"},
                [api](const HttpRequest& req, HttpResponse& res) { api->Format(req, res); });
  return api;
}

}  // namespace andon::web
