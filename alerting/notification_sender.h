// alerting/notification_sender.h
//
// NotificationSender: the delivery core every notifier (Slack, webhook) shares. A notifier
// turns a Notification into an HTTP request and hands it over with its `done`; the sender
// queues it, POSTs it, retries, and calls `done` exactly once with the outcome.
//
// - Queue: at most `queue_capacity` notifications wait; when a new one arrives at a full
//   queue the oldest waiting one is dropped: its `done` gets ResourceExhausted and it
//   counts as failed. At most `max_in_flight` notifications are being delivered at once.
// - Retries, as Alertmanager's notify pipeline does: a network error or a 5xx is retried
//   with exponential backoff (`initial_backoff`, x1.5, up to `max_backoff`) with +-50%
//   jitter; a 429 is retried after its `Retry-After` (seconds or an HTTP date) when that
//   is longer than the backoff; any other status is final and not retried. Retrying stops
//   when the next attempt would start after `give_up_after` from the first one; `done`
//   then gets the last error.
// - Errors read like Alertmanager's: "unexpected status code 400: <response body>"; the
//   request URL is treated as a secret (Slack and webhook URLs carry tokens) and shows
//   as "<redacted>". Final failures are logged at error level with the integration, the
//   receiver, the attempts and that error.
// - Metrics (Alertmanager's alertmanager_notifications_* under andon_):
//   andon_notifications_total{integration} (one per notification),
//   andon_notifications_failed_total{integration} (one per notification that finally
//   failed or was dropped), andon_notification_latency_seconds{integration} (a histogram
//   of every attempt's duration), andon_notification_queue_length{integration}.
//
// Threading: Enqueue() and Stop() may be called from any thread; delivery and every `done`
// run on a strand of the executor given at creation. Stop() (also run by the destructor)
// cancels requests in flight and backoff waits, and completes every queued notification
// with an error; later Enqueue() calls complete at once with an error. The io_context
// must keep running until those completions have run.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/config.h"
#include "common/http_client.h"
#include "common/metrics_registry.h"
#include "common/status.h"

namespace andon::alerting {

struct NotificationSenderOptions {
  std::string integration;  // "slack", "webhook": the metrics' and logs' integration label
  size_t queue_capacity = 1000;
  size_t max_in_flight = 4;
  std::chrono::milliseconds request_timeout{10000};  // per attempt
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{60000};
  std::chrono::milliseconds give_up_after{300000};
  int64_t response_body_limit_bytes = 1 << 20;
  MetricsRegistry* registry = &MetricsRegistry::Default();
};

class NotificationSender {
 public:
  using Done = std::function<void(Status)>;

  // `http` configures authorization and TLS of every request; fails when its TLS files
  // cannot be loaded.
  static Result<std::unique_ptr<NotificationSender>> Create(boost::asio::any_io_executor executor,
                                                            const config::HttpClientConfig& http,
                                                            NotificationSenderOptions options);
  ~NotificationSender();
  NotificationSender(const NotificationSender&) = delete;
  NotificationSender& operator=(const NotificationSender&) = delete;

  // Queues `request` (its timeout is replaced by request_timeout, its URL redacted in
  // errors). `receiver` only labels log lines.
  void Enqueue(HttpRequest request, std::string receiver, Done done);
  // A notification the notifier could not even build (a template error): counted and
  // logged as failed, `done` gets `error` on the strand.
  void Reject(std::string receiver, Status error, Done done);
  void Stop();

  // Notifications waiting (not counting those in flight).
  size_t queue_length() const;

 private:
  class Impl;
  explicit NotificationSender(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// The delay a Retry-After header asks for: delta-seconds ("120") or an HTTP date ("Wed, 21
// Oct 2015 07:28:00 GMT", relative to now_unix_ms). Negative when absent or unparsable;
// 0 for a date in the past.
int64_t ParseRetryAfterMs(std::string_view value, int64_t now_unix_ms);

}  // namespace andon::alerting
