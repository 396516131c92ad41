// alerting/notifier.h
//
// Notifier: one integration of a receiver (one entry of `slack_configs` or
// `webhook_configs`), which the dispatcher hands a Notification for one aggregation group
// when the group is due (group_wait, group_interval, repeat_interval elapsed).
//
// Notify never blocks: the notifier queues the notification (bounded, dropping and counting
// the oldest when full), delivers it with retries in the background and calls `done`
// exactly once, with Ok when the integration accepted it or the final error. The dispatcher
// records a successful delivery in the notification log only after `done(Ok)`.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "alerting/alert.h"
#include "common/labels.h"
#include "common/status.h"

namespace andon::alerting {

// What one integration receives for one aggregation group: every alert of the group, firing
// and resolved (resolved ones only when the integration sends resolved), as Alertmanager's
// template data sees them (.Receiver, .GroupLabels, .Alerts, ...).
struct Notification {
  std::string receiver;       // the receiver's name
  std::string group_key;      // stable id of the group: route path + group labels
  Labels group_labels;        // the labels named in group_by, with the alerts' values
  std::vector<Alert> alerts;  // sorted by labels
  std::string external_url;   // Andon's --web.external-url
  int64_t now_ms = 0;         // when the dispatcher flushed the group

  bool AnyFiring() const {
    for (const Alert& a : alerts) {
      if (!a.ResolvedAt(now_ms)) return true;
    }
    return false;
  }
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  // "slack" or "webhook": the `integration` label of the notification metrics.
  virtual std::string_view integration() const = 0;
  // The config's send_resolved: whether resolved alerts (and all-resolved groups) are sent.
  virtual bool send_resolved() const = 0;
  virtual void Notify(Notification notification, std::function<void(Status)> done) = 0;
};

}  // namespace andon::alerting
