// alerting/dispatcher.h
//
// Dispatcher: the alert router's core (Alertmanager 0.25's dispatcher, aggregation groups
// and notification pipeline). It is the in-process AlertSink: alerts from the rules layer
// and from POST /api/v2/alerts enter through Send(), are merged into the AlertStore, and
// are placed, for every route the routing tree matches, into the aggregation group of
// (route, values of the route's group_by labels).
//
// Timing per group, as Alertmanager: the first flush comes group_wait after the group was
// created (at once when the alert that created it started more than group_wait ago, e.g.
// alerts re-sent after a restart), then a flush every group_interval. At each flush the
// group's alerts (firing ones with ends_at cleared, as Alertmanager sends them) go through
//   inhibition -> silences (Silencer, optional) -> the route's mute_time_intervals /
//   active_time_intervals -> per integration of the route's receiver: de-duplication
//   against the NotificationLog -> Notifier::Notify
// stopping when nothing is left. De-duplication (Alertmanager's DedupStage) notifies when
// nothing was sent yet and something fires; when the firing set is not a subset of what
// was last sent; when everything resolved and the last notification had firing alerts;
// when the integration sends resolved and the resolved set is not a subset of the last
// one; or when the last notification is older than repeat_interval. Integrations without
// send_resolved get only the firing alerts (an all-resolved flush is logged, not sent).
// The NotificationLog entry is written only after done(Ok). When every integration of a
// flush succeeded, the resolved alerts that did not change since the flush leave the
// group, and an empty group is removed. A group whose previous flush is still in flight
// skips a flush (its next one comes group_interval later).
//
// Time comes from an injectable clock. Flushes run in RunDue() (what is due at the
// clock's now), either called by the caller (tests, with a fake clock) or by the
// background thread of Start(), which sleeps until the next due flush or Wake(). Resolved
// alerts are garbage-collected from the store, and expired notification log entries
// deleted, every gc_interval.
//
// Snapshots for the API v2 (GET /api/v2/alerts and /api/v2/alerts/groups) are plain data:
// Alerts() and Groups().
//
// Send() does its in-memory work (merge, route, group) at once under the dispatcher's
// lock: there is no queue, nothing is dropped, and it never waits on the network.
//
// Thread-safety: all public methods may be called from any thread. Notifier::Notify is
// called without the dispatcher's lock held, and `done` may be called from any thread,
// also after the Dispatcher is gone (it is then ignored). The Silencer is asked under the
// dispatcher's lock, so it must not call into the Dispatcher. The Silencer,
// NotificationLog and Notifiers must outlive the Dispatcher and every pending `done`.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "alerting/alert.h"
#include "alerting/inhibitor.h"
#include "alerting/notification_log.h"
#include "alerting/notifier.h"
#include "alerting/route_tree.h"
#include "alerting/silencer.h"
#include "alerting/sink.h"
#include "alerting/time_interval.h"
#include "common/config.h"
#include "common/metrics_registry.h"
#include "common/status.h"

namespace andon::alerting {

struct DispatcherOptions {
  // Milliseconds since the epoch; empty: the system clock.
  std::function<int64_t()> clock;
  std::string external_url;  // Notification::external_url
  int64_t gc_interval_ms = 30 * 60 * 1000;
  std::string zoneinfo_dir = std::string(kZoneinfoDir);
  // Where to register the router's metrics (none when null):
  //   andon_alerts_received_total{status="firing|resolved"}  alerts received by Send
  //   andon_alerts                       alerts held (firing and not yet collected)
  //   andon_alert_aggregation_groups     aggregation groups
  // (Alertmanager's alertmanager_alerts_received_total, _alerts and
  // _dispatcher_aggregation_groups.) Re-registering in the same registry reuses them.
  MetricsRegistry* registry = nullptr;
};

// Receiver name -> its integrations in config order (Notifier::integration() and the
// position among the receiver's integrations key the notification log). A receiver that
// is absent has no integrations: its groups flush to nobody.
using Integrations = std::map<std::string, std::vector<std::shared_ptr<Notifier>>>;

// One alert as GET /api/v2/alerts shows it.
struct AlertStatusView {
  Alert alert;              // ends_at as stored (resolve_timeout applied)
  std::string fingerprint;  // AlertmanagerFingerprint(alert.labels)
  int64_t updated_at_ms = 0;
  std::string state;                      // "active" or "suppressed"
  std::vector<std::string> silenced_by;   // silence ids
  std::vector<std::string> inhibited_by;  // Alertmanager fingerprints of inhibiting alerts
  std::vector<std::string> receivers;     // of every matching route, in route order
};

// One aggregation group as GET /api/v2/alerts/groups shows it.
struct AlertGroupView {
  Labels labels;  // the group labels
  std::string receiver;
  std::string group_key;
  std::string route_id;
  std::vector<AlertStatusView> alerts;  // not resolved, sorted by labels
};

class Dispatcher : public AlertSink {
 public:
  // Compiles the routing tree, inhibit rules and time intervals. Fails on a route naming
  // an undefined receiver or time interval, or an invalid time interval. Without an
  // `nflog` the dispatcher keeps an in-memory one (nothing survives a restart).
  static Result<std::unique_ptr<Dispatcher>> Create(const config::RouterConfig& config,
                                                    Integrations integrations,
                                                    const Silencer* silencer,
                                                    NotificationLog* nflog,
                                                    DispatcherOptions options = {});
  ~Dispatcher() override;  // Stop()s

  void Send(std::vector<Alert> alerts) override;

  // Flushes every group due at the clock's now (and collects garbage when due); returns
  // the number of groups flushed.
  size_t RunDue();
  // When the earliest group flush is due; none without groups.
  std::optional<int64_t> NextFlushMs() const;

  // Background thread running RunDue() when due. Stop() joins it; both idempotent.
  void Start();
  void Stop();
  // Makes the background thread re-read the clock (after a fake clock moved).
  void Wake();

  // Applies a new configuration (SIGHUP) as Alertmanager does: the alerts are kept, the
  // aggregation groups are rebuilt from them under the new routes (alerts older than
  // group_wait flush at once; the notification log keeps that from re-sending what was
  // sent). On error the old configuration stays.
  Status Reload(const config::RouterConfig& config, Integrations integrations);

  std::vector<AlertStatusView> Alerts() const;
  std::vector<AlertGroupView> Groups() const;
  // The routing tree in use (kept alive by the pointer across a Reload).
  std::shared_ptr<const RouteTree> route_tree() const;
  size_t group_count() const;

  struct Core;  // the state shared with pending `done` callbacks

 private:
  explicit Dispatcher(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  void Loop();

  std::shared_ptr<Core> core_;
  std::mutex thread_mu_;
  std::thread thread_;  // GUARDED_BY(thread_mu_)
};

}  // namespace andon::alerting
