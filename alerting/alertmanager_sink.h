// alerting/alertmanager_sink.h
//
// AlertmanagerSink: the AlertSink that posts alerts to external Alertmanagers, configured as
// Prometheus 2.42's `alerting.alertmanagers` (static_configs; scheme, path_prefix, timeout,
// api_version v2, http client settings), and behaving as its notifier does:
//
// - Send() appends to one queue of `queue_capacity` alerts (the
//   --alertmanager.notification-queue-capacity flag, 10000). When the queue would
//   overflow, the oldest alerts are dropped and counted.
// - A background loop takes batches of up to `max_batch` (64) alerts, oldest first, and
//   POSTs each batch as a JSON array of postable alerts (alerting/alert_json.h) to every
//   Alertmanager at <scheme>://<address><path_prefix>api/v2/alerts, concurrently, each
//   with its config's timeout. One batch is in flight at a time. A batch is not retried:
//   when no Alertmanager accepted it (2xx), its alerts are counted as dropped. Alerts are
//   re-sent anyway on the next rule evaluations.
// - External labels are added to each alert (an alert's own label wins), as Prometheus
//   does before queueing.
//
// Metrics (Prometheus's prometheus_notifications_* under andon_):
//   andon_notifications_queue_length, andon_notifications_queue_capacity,
//   andon_notifications_dropped_total, andon_notifications_alertmanagers_discovered,
//   andon_notifications_sent_total{alertmanager}, andon_notifications_errors_total
//   {alertmanager}, andon_notifications_latency_seconds{alertmanager} (a histogram),
// where `alertmanager` is the full URL posted to.
//
// Threading: Send() is thread-safe and never blocks on the network. Delivery runs on a
// strand of the executor given at creation. Stop() (also run by the destructor) cancels
// the request in flight and ends the loop; alerts still queued are discarded. The
// executor's io_context must keep running until the cancelled requests completed.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>
#include <vector>

#include "alerting/sink.h"
#include "common/config.h"
#include "common/labels.h"
#include "common/metrics_registry.h"
#include "common/status.h"

namespace andon::alerting {

struct AlertmanagerSinkOptions {
  size_t queue_capacity = 10000;  // --alertmanager.notification-queue-capacity
  size_t max_batch = 64;          // alerts per POST (Prometheus's maxBatchSize)
  Labels external_labels;         // global.external_labels
  MetricsRegistry* registry = &MetricsRegistry::Default();
};

class AlertmanagerSink final : public AlertSink {
 public:
  // Fails on a config Andon cannot send to: api_version other than v2, discovery other
  // than static_configs, an unknown scheme, or TLS files that cannot be loaded.
  static Result<std::unique_ptr<AlertmanagerSink>> Create(
      boost::asio::any_io_executor executor,
      const std::vector<config::AlertmanagerTargetConfig>& alertmanagers,
      AlertmanagerSinkOptions options = {});
  ~AlertmanagerSink() override;

  void Send(std::vector<Alert> alerts) override;
  void Stop();

  // The URLs alerts are posted to, in config order.
  std::vector<std::string> AlertmanagerUrls() const;
  size_t queue_length() const;

 private:
  class Impl;
  explicit AlertmanagerSink(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace andon::alerting
