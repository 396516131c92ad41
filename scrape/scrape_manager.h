// scrape/scrape_manager.h
//
// ScrapeManager runs the scrape pools of a configuration: one pool per scrape_config, each
// with its discoverers (static_configs and file_sd_configs built in, others from a
// DiscovererFactory) and one ScrapeLoop per discovered target, on `threads` threads that
// the manager owns, each running its own io_context: a loop stays on one thread (targets are
// dealt round-robin), so a scrape's reads complete where they started instead of waking
// another thread for nearly every completion (measured: ~55 context switches per scrape
// with 2 threads sharing one io_context). Discovery and the pools' bookkeeping run on the
// first.
//
// ApplyConfig() diffs against the running pools, as Prometheus 2.42's reload does:
//   - a scrape_config that did not change keeps its discoverers and loops untouched;
//   - a changed one gets new discoverers and restarts its loops with the new settings
//     (without staleness markers); once every new discoverer has reported, targets that
//     are no longer discovered are stopped with staleness markers;
//   - a removed one is stopped, its targets' series marked stale.
// Targets that disappear from discovery are likewise stopped with staleness markers.
// Stop() stops discoverers, then loops (no markers: the server is only shutting down),
// and joins the threads. Every method is thread-safe; ApplyConfig() calls are serialized.
//
// Discovery: static_configs, file_sd_configs and kubernetes_sd_configs are built in. Other
// mechanisms plug in through a DiscovererFactory, called for every (re)built scrape_config
// with the config and the manager's executor, returning extra discoverers for it (or none).
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/config.h"
#include "common/labels.h"
#include "common/status.h"
#include "scrape/pending_handlers.h"
#include "scrape/scrape_loop.h"
#include "scrape/target_group.h"

namespace andon {
class Db;
}

namespace andon::scrape {

using DiscovererFactory = std::function<std::vector<std::unique_ptr<Discoverer>>(
    const config::ScrapeConfig& config, boost::asio::any_io_executor executor)>;

struct ScrapeManagerOptions {
  int threads = 2;
  DiscovererFactory extra_discoverers;  // may be empty
  std::chrono::milliseconds file_sd_poll_interval{std::chrono::seconds(5)};
  // Registers andon_target_scrapes_exceeded_*_total (scrape/scrape_loop.h) when set.
  MetricsRegistry* metrics = nullptr;
};

struct ActiveTarget {
  std::string scrape_pool;
  Labels discovered_labels;
  Labels labels;
  std::string scrape_url;
  int64_t interval_ms = 0;
  int64_t timeout_ms = 0;
  TargetHealth health;
};

struct DroppedTarget {
  std::string scrape_pool;
  Labels discovered_labels;
};

struct TargetMetadata {
  std::string scrape_pool;
  Labels target_labels;
  std::vector<MetricMetadata> metadata;  // sorted by metric name
};

class ScrapePool;

class ScrapeManager {
 public:
  ScrapeManager(AppenderFactory appenders, ScrapeManagerOptions options);
  ScrapeManager(Db& db, ScrapeManagerOptions options);
  ~ScrapeManager();  // Stop()
  ScrapeManager(const ScrapeManager&) = delete;
  ScrapeManager& operator=(const ScrapeManager&) = delete;

  // Starts, keeps, restarts and stops pools to match `config`. Fails (changing nothing)
  // only after Stop().
  Status ApplyConfig(const config::Config& config);
  // Idempotent; blocks until every handler has finished and the threads are joined.
  void Stop();

  // Snapshots for the API, ordered by pool name, then target.
  std::vector<ActiveTarget> ActiveTargets() const;
  std::vector<DroppedTarget> DroppedTargets() const;
  std::vector<TargetMetadata> Metadata() const;

 private:
  std::vector<std::unique_ptr<Discoverer>> MakeDiscoverers(const config::ScrapeConfig& cfg);

  AppenderFactory appenders_;
  ScrapeManagerOptions options_;
  ScrapeLimitCounters limits_;
  // The executor for the next new loop, round-robin over iocs_.
  boost::asio::any_io_executor NextLoopExecutor();

  struct Worker {
    boost::asio::io_context ioc{1};
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
    std::thread thread;
  };
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<size_t> next_worker_{0};
  std::shared_ptr<PendingHandlers> loops_running_;

  std::mutex apply_mu_;  // serializes ApplyConfig() and Stop()
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<ScrapePool>> pools_;  // guarded by mu_
  bool stopped_ = false;                                      // guarded by apply_mu_
};

}  // namespace andon::scrape
