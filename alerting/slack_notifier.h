// alerting/slack_notifier.h
//
// SlackNotifier: one `slack_configs` entry (also what a `teams` entry becomes). POSTs a
// Slack incoming-webhook message to api_url through a NotificationSender (queue, retries,
// Retry-After on 429, metrics with integration="slack"):
//
//   {"channel": "#payments-alerts", "username": "Andon",
//    "attachments": [{"title": "[FIRING:2] PaymentsDown", "title_link": "<generatorURL>",
//                     "text": "...", "fallback": "...", "color": "danger",
//                     "actions": [{"type": "button", "text": "Runbook", "url": "..."}, ...],
//                     "mrkdwn_in": ["fallback", "pretext", "text"]}]}
//
// The default message (what a config that leaves the strings empty gets, as teams do; each
// string left empty keeps its default):
// - title "[FIRING:<n firing>] <name>" or "[RESOLVED] <name>", where <name> is the group's
//   alertname (else the group labels' values); title_link the first alert's generatorURL,
//   the link back to the expression;
// - text: per alert (firing first), its severity, summary and description annotations
//   and its labels;
// - actions: a "Runbook" button to the `runbook_url` annotation (else runbook_base_url +
//   alertname, when a base URL is given) and a "Query" button to the generatorURL;
// - color "danger" while any alert fires, "good" when all resolved.
// Configured strings (title, text, pretext, fallback, color, channel, username, fields,
// actions, ...) replace the defaults; those containing "{{" are Go templates executed with
// Alertmanager's notification data (.Receiver .Status .Alerts .GroupLabels .CommonLabels
// .CommonAnnotations .ExternalURL; per alert .Status .Labels .Annotations .StartsAt .EndsAt
// .GeneratorURL .Fingerprint). A template that fails makes the notification fail (no
// retry). The api_url is a secret: it never appears in errors or logs. Thread-safe.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "alerting/notification_data.h"
#include "alerting/notification_sender.h"
#include "alerting/notifier.h"
#include "common/config.h"

namespace andon::alerting {

struct SlackNotifierOptions {
  std::string runbook_base_url;  // the team's runbook_base_url; "" for none
  std::string default_username = "Andon";
};

// The Slack message for `data` (exposed for tests); an error when a template fails.
Result<std::string> SlackPayload(const config::SlackConfig& config,
                                 const SlackNotifierOptions& options, const NotificationData& data);

class SlackNotifier final : public Notifier {
 public:
  // `sender_options.integration` is set to "slack".
  static Result<std::unique_ptr<SlackNotifier>> Create(boost::asio::any_io_executor executor,
                                                       const config::SlackConfig& config,
                                                       SlackNotifierOptions options,
                                                       NotificationSenderOptions sender_options);

  std::string_view integration() const override { return "slack"; }
  bool send_resolved() const override { return config_.send_resolved; }
  void Notify(Notification notification, std::function<void(Status)> done) override;
  // Cancels deliveries in flight; see NotificationSender::Stop.
  void Stop() { sender_->Stop(); }

 private:
  SlackNotifier(config::SlackConfig config, SlackNotifierOptions options,
                std::unique_ptr<NotificationSender> sender)
      : config_(std::move(config)), options_(std::move(options)), sender_(std::move(sender)) {}
  config::SlackConfig config_;
  SlackNotifierOptions options_;
  std::unique_ptr<NotificationSender> sender_;
};

}  // namespace andon::alerting
