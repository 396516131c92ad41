#include "alerting/webhook_notifier.h"

#include <nlohmann/json.hpp>

#include "alerting/alert_json.h"
#include "common/rfc3339.h"

namespace andon::alerting {
namespace {

using json = nlohmann::ordered_json;

json LabelsJson(const Labels& labels) {
  json out = json::object();
  for (const Label& l : labels) out[std::string(l.name)] = std::string(l.value);
  return out;
}

}  // namespace

std::string WebhookPayload(const NotificationData& data) {
  json alerts = json::array();
  for (const NotificationAlert& na : data.alerts) {
    const Alert& a = *na.alert;
    json j = json::object();
    j["status"] = na.status;
    j["labels"] = LabelsJson(a.labels);
    j["annotations"] = LabelsJson(a.annotations);
    j["startsAt"] = FormatRfc3339Trimmed(a.starts_at_ms);
    j["endsAt"] = FormatRfc3339Trimmed(na.status == "firing" ? 0 : a.ends_at_ms);
    j["generatorURL"] = a.generator_url;
    j["fingerprint"] = na.fingerprint;
    alerts.push_back(std::move(j));
  }
  json msg = json::object();
  msg["receiver"] = data.receiver;
  msg["status"] = data.status;
  msg["alerts"] = std::move(alerts);
  msg["groupLabels"] = LabelsJson(data.group_labels);
  msg["commonLabels"] = LabelsJson(data.common_labels);
  msg["commonAnnotations"] = LabelsJson(data.common_annotations);
  msg["externalURL"] = data.external_url;
  msg["version"] = "4";
  msg["groupKey"] = data.group_key;
  msg["truncatedAlerts"] = data.truncated_alerts;
  return msg.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::unique_ptr<WebhookNotifier>> WebhookNotifier::Create(
    boost::asio::any_io_executor executor, const config::WebhookConfig& config,
    NotificationSenderOptions sender_options) {
  if (config.url.empty()) return Status::InvalidArgument("webhook_config: url is required");
  sender_options.integration = "webhook";
  auto sender = NotificationSender::Create(std::move(executor), config.http_config, sender_options);
  if (!sender.ok()) return sender.status().WithContext("webhook_config");
  return std::unique_ptr<WebhookNotifier>(new WebhookNotifier(config, std::move(sender).value()));
}

void WebhookNotifier::Notify(Notification notification, std::function<void(Status)> done) {
  NotificationData data = MakeNotificationData(notification, config_.max_alerts);
  HttpRequest req;
  req.method = "POST";
  req.url = config_.url.Reveal();
  req.headers = {{"Content-Type", "application/json"}};
  req.body = WebhookPayload(data);
  sender_->Enqueue(std::move(req), notification.receiver, std::move(done));
}

}  // namespace andon::alerting
