#include "alerting/notification_data.h"

#include "alerting/alert_json.h"

namespace andon::alerting {

size_t NotificationData::firing() const {
  size_t n = 0;
  for (const NotificationAlert& a : alerts) n += a.status == "firing";
  return n;
}

Labels CommonPairs(const std::vector<const Labels*>& sets) {
  if (sets.empty()) return Labels();
  LabelsBuilder b;
  for (const Label& l : *sets[0]) {
    bool everywhere = true;
    for (size_t i = 1; i < sets.size() && everywhere; ++i) {
      everywhere = sets[i]->Get(l.name) == l.value;
    }
    if (everywhere) b.Set(l.name, l.value);
  }
  return b.Build();
}

NotificationData MakeNotificationData(const Notification& n, size_t max_alerts) {
  NotificationData d;
  d.receiver = n.receiver;
  d.group_labels = n.group_labels;
  d.external_url = n.external_url;
  d.group_key = n.group_key;
  size_t keep = n.alerts.size();
  if (max_alerts > 0 && keep > max_alerts) {
    d.truncated_alerts = keep - max_alerts;
    keep = max_alerts;
  }
  std::vector<const Labels*> labels, annotations;
  bool any_firing = false;
  for (size_t i = 0; i < keep; ++i) {
    const Alert& a = n.alerts[i];
    bool resolved = a.ResolvedAt(n.now_ms);
    any_firing |= !resolved;
    d.alerts.push_back({resolved ? "resolved" : "firing", &a, AlertmanagerFingerprint(a.labels)});
    labels.push_back(&a.labels);
    annotations.push_back(&a.annotations);
  }
  // The group's status covers every alert, also those max_alerts left out.
  for (size_t i = keep; i < n.alerts.size() && !any_firing; ++i) {
    any_firing = !n.alerts[i].ResolvedAt(n.now_ms);
  }
  d.status = any_firing ? "firing" : "resolved";
  d.common_labels = CommonPairs(labels);
  d.common_annotations = CommonPairs(annotations);
  return d;
}

}  // namespace andon::alerting
