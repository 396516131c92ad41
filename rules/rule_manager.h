// rules/rule_manager.h
//
// RuleManager evaluates the rule files of the configuration in the server: every group on
// its own interval (its `interval`, else the global evaluation_interval), at timestamps
// aligned to multiples of the interval plus an offset derived from the group's key (so
// groups spread over the interval, as in Prometheus), on an io_context pool the manager
// owns. An evaluation that overruns its interval skips the missed slots and counts them in
// andon_rule_group_iterations_missed_total.
//
// ApplyConfig() is all-or-nothing: when any rule file fails to load, or the files hold more
// groups than --rules.max-groups (counted in andon_rule_group_limit_exceeded_total), the
// error names it and the running groups stay untouched. Otherwise, as Prometheus's reload does:
//   - a group whose definition did not change keeps running with its state;
//   - a changed group restarts with the alerts and staleness state of rules that kept their
//     name and labels;
//   - a removed group stops, and every series it wrote gets a staleness marker.
// Groups loaded at start-up restore their alerts' `for` progress from ALERTS_FOR_STATE
// after their second evaluation (--rules.alert.for-outage-tolerance,
// --rules.alert.for-grace-period) and only then write ALERTS/ALERTS_FOR_STATE.
//
// Alerts go to the AlertSink (may be null) with the external labels added where the alert
// lacks them, re-sent every --rules.alert.resend-delay while firing.
//
// Thread-safe; ApplyConfig calls are serialized. Stop() (also run by the destructor) stops
// every group and joins the threads; the Db must outlive the manager.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alerting/sink.h"
#include "common/config.h"
#include "common/metrics_registry.h"
#include "common/status.h"
#include "query/engine.h"
#include "rules/rule_group.h"

namespace andon {
class Db;
}

namespace andon::rules {

struct RuleManagerOptions {
  int64_t resend_delay_ms = 60 * 1000;           // --rules.alert.resend-delay
  int64_t for_grace_period_ms = 10 * 60 * 1000;  // --rules.alert.for-grace-period
  int64_t outage_tolerance_ms = 60 * 60 * 1000;  // --rules.alert.for-outage-tolerance
  std::string external_url;                      // --web.external-url
  int threads = 1;
  size_t max_groups = 0;                // --rules.max-groups; 0 = no limit
  MetricsRegistry* registry = nullptr;  // null: MetricsRegistry::Default()
};

class RuleManager {
 public:
  RuleManager(Db& db, const query::Engine& engine, alerting::AlertSink* sink,
              RuleManagerOptions options);
  ~RuleManager();
  RuleManager(const RuleManager&) = delete;
  RuleManager& operator=(const RuleManager&) = delete;

  Status ApplyConfig(const config::Config& config);
  void Stop();

  // Every group's state, in the order of the rule files and their groups.
  std::vector<GroupSnapshot> Groups() const;

 private:
  struct Runner;
  struct Metrics;
  void Schedule(const std::shared_ptr<Runner>& runner);
  void RunOnce(const std::shared_ptr<Runner>& runner);
  RuleGroupMetrics MetricsFor(const std::string& key);

  Db& db_;
  const query::Engine& engine_;
  RuleManagerOptions options_;
  std::unique_ptr<alerting::AlertSink> sink_;  // adds external labels, forwards to the sink
  std::unique_ptr<Metrics> metrics_;

  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;

  std::atomic<bool> stopping_{false};
  std::mutex apply_mu_;    // serializes ApplyConfig and Stop
  mutable std::mutex mu_;  // guards the fields below
  std::shared_ptr<const RuleContext> context_;
  std::vector<std::shared_ptr<Runner>> runners_;  // in file and group order
  bool loaded_once_ = false;
  bool stopped_ = false;
};

}  // namespace andon::rules
