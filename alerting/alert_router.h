// alerting/alert_router.h
//
// AlertRouter: the alert router as the server runs it. It owns
// - Silences in <data_dir>/silences and the NotificationLog in <data_dir>/nflog (the server
//   passes <storage.tsdb.path>/alerting), both RocksDB, both surviving restarts;
// - the notifiers built from the receivers of the RouterConfig in force (a SlackNotifier per
//   `slack_configs` entry, a WebhookNotifier per `webhook_configs` entry; the Slack receiver
//   a `teams` entry became, "team-<name>", gets that team's runbook_base_url), all on one
//   io_context thread of the router's own;
// - the Dispatcher (grouping, inhibition, silences, de-duplication), which exists from
//   Open() on, so the API v2 handlers can be registered before the first configuration is
//   applied; until then (and whenever no router is configured) it runs the blackhole
//   default of BlackholeRouterConfig(): alerts are held, grouped and visible, and sent
//   nowhere;
// - a timer that runs Silences::GC every `silences_gc_interval_ms` (Alertmanager: 15m).
//
// Reload is two-phase, like the rest of the server's configuration: Prepare() builds the
// notifiers of a new RouterConfig and checks that the dispatcher accepts it, touching
// nothing that runs; Commit() switches the dispatcher to it (alerts are kept, groups are
// rebuilt, the notification log keeps what was already sent from being re-sent) and stops
// the previous notifiers. A Prepared router that is dropped without Commit() stops its
// notifiers.
//
// Shutdown (Stop(), also run by the destructor): the dispatcher stops first (no more
// notifications start), then the notifiers (deliveries in flight are cancelled), then the
// GC timer and the io_context thread; Silences and the NotificationLog close last.
//
// Thread-safety: Send(), Prepare(), Commit() and the accessors may be called from any
// thread; Prepare()/Commit() pairs must not interleave (the server serializes reloads).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alerting/dispatcher.h"
#include "alerting/notification_log.h"
#include "alerting/notifier.h"
#include "alerting/silences.h"
#include "alerting/sink.h"
#include "common/config.h"
#include "common/metrics_registry.h"
#include "common/status.h"

namespace andon::alerting {

// The router of a server with none configured: the root route sends every alert to the
// receiver "blackhole", which has no integrations.
config::RouterConfig BlackholeRouterConfig();

// The RouterConfig the server runs for `config`: the unchanged alertmanager.yml at
// `alertmanager_file` (when not empty) with config.teams expanded into it, else the
// router under `alerting` (teams already expanded by the loader), else the blackhole
// default. Errors name the file.
Result<config::RouterConfig> EffectiveRouterConfig(const config::Config& config,
                                                   const std::string& alertmanager_file);

struct AlertRouterOptions {
  std::string data_dir;      // silences/ and nflog/ are created under it
  std::string external_url;  // --web.external-url, for notifications' links
  MetricsRegistry* registry = &MetricsRegistry::Default();
  int64_t silences_gc_interval_ms = 15 * 60 * 1000;
};

class AlertRouter final : public AlertSink {
 public:
  // The notifiers and routes of one RouterConfig, built but not running anything yet.
  class Prepared;

  // Opens the silences and the notification log and starts the dispatcher on the blackhole
  // default. Fails when either store cannot be opened (the error names the directory).
  static Result<std::unique_ptr<AlertRouter>> Open(AlertRouterOptions options);
  ~AlertRouter() override;
  AlertRouter(const AlertRouter&) = delete;
  AlertRouter& operator=(const AlertRouter&) = delete;

  // Builds the notifiers of `config` and checks its routes, receivers, inhibit rules and
  // time intervals. `teams` gives the runbook_base_url of the "team-<name>" receivers.
  Result<std::shared_ptr<Prepared>> Prepare(const config::RouterConfig& config,
                                            const std::vector<config::TeamConfig>& teams);
  // Makes `prepared` the running router; the previous notifiers are stopped.
  Status Commit(std::shared_ptr<Prepared> prepared);

  void Send(std::vector<Alert> alerts) override;

  // The RouterConfig in force (the blackhole default before the first Commit()).
  std::shared_ptr<const config::RouterConfig> config() const;

  Dispatcher& dispatcher() { return *dispatcher_; }
  Silences& silences() { return *silences_; }
  NotificationLog& notification_log() { return *nflog_; }

  void Stop();

 private:
  explicit AlertRouter(AlertRouterOptions options);
  void ScheduleSilencesGc();

  const AlertRouterOptions options_;
  // Declared first: destroyed after everything that holds its executor.
  boost::asio::io_context ioc_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::unique_ptr<boost::asio::steady_timer> gc_timer_;  // used on the io thread only
  bool gc_stopped_ = false;                              // used on the io thread only
  std::unique_ptr<Silences> silences_;
  std::unique_ptr<NotificationLog> nflog_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::thread io_thread_;

  mutable std::mutex mu_;
  std::shared_ptr<Prepared> current_;  // GUARDED_BY(mu_)
  bool stopped_ = false;               // GUARDED_BY(mu_)
};

}  // namespace andon::alerting
