// web/query_api.h
//
// The PromQL half of Prometheus's query API, as Grafana and promtool use it:
//  - /api/v1/query        query, time (default now), timeout
//  - /api/v1/query_range  query, start, end, step (float seconds or a duration), timeout
//  - /api/v1/format_query query, answered with query::Prettify's text
// GET and form-encoded POST. Responses are byte-compatible with Prometheus 2.42: the data
// object of web/query_json.h, "warnings" when the engine reports any, and errors
// {"status":"error","errorType":...,"error":...} with 400 bad_data (bad parameters and
// parse errors, worded as Prometheus: `invalid parameter "query": 1:5: parse error: ...`),
// 422 execution, 503 timeout/canceled, 500 internal.
//
// Concurrency: at most `max_concurrency` evaluations run at once; a query waits for a
// slot (Prometheus's query queue) within its deadline, the smaller of the engine's
// timeout and the request's `timeout`, and fails with "query timed out in query queue"
// when the deadline passes first. With a registry, andon_query_limit_hits_total{limit}
// counts the queries refused by a limit: "timeout" (--query.timeout or the request's
// `timeout` during evaluation), "queue_timeout" (no slot of --query.max-concurrency
// before the deadline), "max_samples" (--query.max-samples), "max_points" (more than
// 11,000 steps in a range query). Shutdown() makes waiting and running queries end as
// canceled, so a server can stop without waiting out long evaluations.
//
// Thread-safety: handlers run concurrently on the server's threads; QueryApi is
// thread-safe. The Engine and the QuerierFactory must outlive the server's handlers.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "common/metrics_registry.h"
#include "query/engine.h"
#include "web/http_server.h"
#include "web/series_api.h"

namespace andon::web {

struct QueryApiOptions {
  int max_concurrency = 20;                   // --query.max-concurrency
  std::function<int64_t()> now_ms = nullptr;  // default `time`; system clock when empty
  MetricsRegistry* metrics = nullptr;         // registers andon_query_limit_hits_total
};

// The andon_query_limit_hits_total children; null when no registry was given.
struct QueryLimitCounters {
  Counter* timeout = nullptr;
  Counter* queue_timeout = nullptr;
  Counter* max_samples = nullptr;
  Counter* max_points = nullptr;
};

// A counting semaphore whose waits end at a deadline or at Shutdown().
class QuerySlots {
 public:
  enum class Outcome { kAcquired, kTimedOut, kShutDown };

  explicit QuerySlots(int slots);

  // Takes a slot, waiting until `deadline` at most. A deadline already past times out even
  // when a slot is free (as Prometheus's expired context does).
  Outcome Acquire(std::chrono::steady_clock::time_point deadline);
  void Release();
  // Wakes every waiter with kShutDown; later Acquire() calls fail the same way.
  void Shutdown();

  int free() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int free_;           // guarded by mu_
  bool shut_ = false;  // guarded by mu_
};

// Returned by RegisterQueryApi; the handlers share it.
class QueryApi {
 public:
  QueryApi(QuerierFactory querier, const query::Engine& engine, QueryApiOptions options);

  // Cancels waiting and running evaluations (they answer 503 canceled) and every later one.
  void Shutdown();

  // The evaluation slots (exposed for tests and self-metrics).
  QuerySlots& slots() { return slots_; }

  void Instant(const HttpRequest& req, HttpResponse& res);
  void Range(const HttpRequest& req, HttpResponse& res);
  void Format(const HttpRequest& req, HttpResponse& res);

 private:
  int64_t NowMs() const;

  QuerierFactory querier_;
  const query::Engine& engine_;
  QueryApiOptions options_;
  QuerySlots slots_;
  QueryLimitCounters limits_;
  std::atomic<bool> canceled_{false};
};

std::shared_ptr<QueryApi> RegisterQueryApi(HttpServer& server, QuerierFactory querier,
                                           const query::Engine& engine,
                                           QueryApiOptions options = {});

}  // namespace andon::web
