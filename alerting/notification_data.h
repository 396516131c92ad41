// alerting/notification_data.h
//
// NotificationData: what Alertmanager derives from one group's alerts for its notifiers
// and templates (Go's template.Data): the group's status, each alert's status, the labels
// and annotations all alerts share. The webhook payload is this data as JSON; Slack's
// default message and user templates read it. A plain value built by MakeNotificationData.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "alerting/notifier.h"
#include "common/labels.h"

namespace andon::alerting {

struct NotificationAlert {
  std::string status;  // "firing" or "resolved"
  const Alert* alert;  // points into the Notification
  std::string fingerprint;
};

struct NotificationData {
  std::string receiver;
  std::string status;  // "firing" when any alert fires, else "resolved"
  std::vector<NotificationAlert> alerts;
  Labels group_labels;
  Labels common_labels;       // label pairs every alert has
  Labels common_annotations;  // annotation pairs every alert has
  std::string external_url;
  std::string group_key;
  size_t truncated_alerts = 0;  // alerts left out by max_alerts

  size_t firing() const;
  size_t resolved() const { return alerts.size() - firing(); }
};

// Builds the data of `n`, keeping the first `max_alerts` alerts (0: all). The result
// points into `n`, which must outlive it.
NotificationData MakeNotificationData(const Notification& n, size_t max_alerts = 0);

// The pairs that every label set in `sets` has with the same value.
Labels CommonPairs(const std::vector<const Labels*>& sets);

}  // namespace andon::alerting
