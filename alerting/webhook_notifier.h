// alerting/webhook_notifier.h
//
// WebhookNotifier: one `webhook_configs` entry. POSTs Alertmanager's webhook payload
// (version "4") as JSON to the configured URL, through a NotificationSender (queue,
// retries, metrics with integration="webhook"):
//
//   {"receiver": "team-x", "status": "firing",
//    "alerts": [{"status": "firing", "labels": {...}, "annotations": {...},
//                "startsAt": "2026-01-02T03:04:05.678Z", "endsAt": "0001-01-01T00:00:00Z",
//                "generatorURL": "...", "fingerprint": "c4d3e2f1a0b9c8d7"}],
//    "groupLabels": {...}, "commonLabels": {...}, "commonAnnotations": {...},
//    "externalURL": "http://andon:9090", "version": "4",
//    "groupKey": "{}:{alertname=\"X\"}", "truncatedAlerts": 0}
//
// Times are Go's time.Time JSON; a firing alert's endsAt is Go's zero time, as
// Alertmanager sends it. With max_alerts > 0 only the first max_alerts alerts are sent and
// truncatedAlerts counts the rest. The URL is a secret: it never appears in errors or logs.
// Thread-safe.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "alerting/notification_data.h"
#include "alerting/notification_sender.h"
#include "alerting/notifier.h"
#include "common/config.h"

namespace andon::alerting {

// The webhook payload of `data` (exposed for tests and the API).
std::string WebhookPayload(const NotificationData& data);

class WebhookNotifier final : public Notifier {
 public:
  // `sender_options.integration` is set to "webhook".
  static Result<std::unique_ptr<WebhookNotifier>> Create(boost::asio::any_io_executor executor,
                                                         const config::WebhookConfig& config,
                                                         NotificationSenderOptions sender_options);

  std::string_view integration() const override { return "webhook"; }
  bool send_resolved() const override { return config_.send_resolved; }
  void Notify(Notification notification, std::function<void(Status)> done) override;
  // Cancels deliveries in flight; see NotificationSender::Stop.
  void Stop() { sender_->Stop(); }

 private:
  WebhookNotifier(config::WebhookConfig config, std::unique_ptr<NotificationSender> sender)
      : config_(std::move(config)), sender_(std::move(sender)) {}
  config::WebhookConfig config_;
  std::unique_ptr<NotificationSender> sender_;
};

}  // namespace andon::alerting
