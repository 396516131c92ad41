// scrape/scrape_loop.h
//
// ScrapeIngester turns one scrape response body into appended samples for one target, as
// Prometheus 2.42's scrape loop does:
//   - the parser is picked by Content-Type (scrape/content_type.h) and reused across scrapes;
//   - each series' raw text `name{labels}` is looked up in a per-target cache; a hit
//     appends by tsdb series ref with no allocation at all, a miss decodes the labels, adds
//     the target labels (honor_labels: scraped labels win; otherwise conflicting scraped
//     labels are kept as exported_<name>), applies metric_relabel_configs, checks the label
//     limits and validity, and caches the result (a dropped series is cached as dropped);
//   - sample_limit counts samples left after relabeling; any limit or parse error fails
//     the whole scrape (the caller rolls back) with Prometheus's message;
//   - honor_timestamps: a sample's own timestamp is used, otherwise the scrape time;
//   - staleness: series seen (without an explicit timestamp) in the previous successful
//     scrape but not in this one get a StaleNaN (tsdb/sample.h); a failed scrape marks
//     every series of the last successful one stale;
//   - # TYPE / HELP / UNIT are kept as the target's metadata (thread-safe snapshot).
// Not thread-safe except Metadata(); used by one scrape loop at a time.
//
// ScrapeLoop scrapes one target every `scrape_interval`, on its executor, starting at an
// offset within the interval derived from the target's hash (so a server's targets are
// spread out, and a target keeps its phase across restarts). Each scrape is one Appender
// transaction holding the samples and the report series `up`, `scrape_duration_seconds`,
// `scrape_samples_scraped`, `scrape_samples_post_metric_relabeling` and
// `scrape_series_added` (with the target's labels). A failed scrape (transport error,
// timeout, bad status, oversized or unparsable body, limit) appends up=0 and staleness
// markers, and records the error as the target's lastError; it never affects another loop.
// A scrape failed by sample_limit, a label limit or body_size_limit is counted in the
// loop's ScrapeLimitCounters.
// Stop() ends the loop; with staleness markers, every series of the last scrape (and the
// report series) gets a StaleNaN, as when a target disappears.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/config.h"
#include "common/labels.h"
#include "common/metrics_registry.h"
#include "common/status.h"
#include "scrape/exposition_parser.h"
#include "scrape/openmetrics_parser.h"
#include "scrape/prometheus_text_parser.h"
#include "scrape/scrape_client.h"
#include "scrape/target_labels.h"
#include "tsdb/appender.h"

namespace andon::scrape {

// The error (ResourceExhausted) of a scrape past sample_limit, in Prometheus's words.
inline constexpr std::string_view kErrSampleLimitExceeded = "sample limit exceeded";

// Scrapes failed by a limit, as Prometheus's prometheus_target_scrapes_exceeded_*_total
// (under Andon's prefix). Null members count nothing; the counters outlive the loops.
struct ScrapeLimitCounters {
  Counter* sample_limit = nullptr;     // andon_target_scrapes_exceeded_sample_limit_total
  Counter* label_limits = nullptr;     // andon_target_scrapes_exceeded_label_limits_total
  Counter* body_size_limit = nullptr;  // andon_target_scrapes_exceeded_body_size_limit_total

  // Registers the three families in `registry`; all null when it is null.
  static ScrapeLimitCounters Register(MetricsRegistry* registry);
  // Counts `failure` when it is a limit's error.
  void Count(const Status& failure) const;
};

// Creates the Appender a scrape loop uses for its transactions (e.g. Db::NewAppender).
using AppenderFactory = std::function<std::unique_ptr<Appender>()>;

// One metric family's metadata as the target exposed it.
struct MetricMetadata {
  std::string metric;  // family name
  std::string type;    // "counter", ..., "unknown"
  std::string help;
  std::string unit;
};

struct IngestStats {
  uint64_t scraped = 0;          // sample lines in the body
  uint64_t post_relabeling = 0;  // of those, not dropped by metric_relabel_configs
  uint64_t series_added = 0;     // series new to the cache this scrape
  uint64_t append_errors = 0;    // out of order / duplicate / out of bounds / series limit
};

// Ingest() and AppendFailure() are called from one thread (the loop's); Metadata() may be
// called from any thread at the same time.
class ScrapeIngester {
 public:
  // `config` must outlive the ingester.
  ScrapeIngester(const config::ScrapeConfig& config, Labels target_labels);

  // Appends the samples of `body` at scrape time `t_ms` and the staleness markers of
  // series that disappeared. On error nothing is committed by the caller: it rolls back
  // and calls AppendFailure() in a new transaction.
  Result<IngestStats> Ingest(std::string_view content_type, std::string_view body, int64_t t_ms,
                             Appender& app);
  // After a failed scrape: StaleNaN for every series of the last successful scrape.
  void AppendFailure(int64_t t_ms, Appender& app);

  std::vector<MetricMetadata> Metadata() const;
  size_t cache_size() const { return cache_.size(); }
  const Labels& target_labels() const { return target_labels_; }

 private:
  struct Entry {
    SeriesRef ref = 0;
    Labels labels;
    uint64_t seen_iter = 0;  // last scrape that had the series
    bool dropped = false;
    std::string_view key;  // the cache's key (node-based map: stable)
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return Hash64(s.data(), s.size()); }
  };
  struct Meta {
    MetricType type = MetricType::kUnknown;
    std::string help;
    std::string unit;
  };

  // Builds, relabels and checks the labels of the parser's current series.
  Status NewEntry(const ExpositionParser& p, Entry* e);
  void RecordMetadata(const ExpositionParser& p, ExpositionEntry kind);
  void Evict();

  const config::ScrapeConfig& config_;
  Labels target_labels_;
  PrometheusTextParser text_parser_{""};
  OpenMetricsParser om_parser_{""};
  LabelsScratch scratch_;
  LabelsBuilder builder_;
  std::string help_scratch_;
  std::string name_scratch_;
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> cache_;
  // Every series line of the last successful scrape, in body order: targets repeat their
  // order, so line k is looked up as order_[k] first (one compare instead of a hash and a
  // bucket walk over a cache that is cold between scrapes), and its key is the parser's
  // hint for that line (its labels are not parsed again).
  std::vector<Entry*> order_;
  const ExpositionParser* order_parser_ = nullptr;  // the parser order_'s keys came from
  std::vector<Entry*> next_order_;
  std::vector<Entry*> prev_seen_;  // series of the last successful scrape
  std::vector<Entry*> cur_seen_;
  uint64_t iter_ = 0;

  mutable std::mutex meta_mu_;
  // Changed under meta_mu_ by the ingesting thread only, which may read it without the lock.
  std::map<std::string, Meta, std::less<>> meta_;
};

// What /api/v1/targets shows of a loop.
struct TargetHealth {
  std::string health = "unknown";  // "up", "down", "unknown"
  std::string last_error;
  int64_t last_scrape_ms = 0;  // wall-clock start of the last scrape, 0 = never
  double last_scrape_duration_seconds = 0;
  uint64_t last_samples = 0;
};

// The offset of a target's scrapes within its interval: Prometheus's scheme, hash modulo
// interval, relative to the interval-aligned wall clock.
std::chrono::milliseconds ScrapeOffset(uint64_t target_hash, int64_t interval_ms, int64_t now_ms);

class ScrapeLoop : public std::enable_shared_from_this<ScrapeLoop> {
 public:
  // `config` is shared with the pool; `target` is the populated target (not dropped).
  // `executor` must run one handler at a time (an io_context run by one thread, or a
  // strand): the loop's state lives on it without a strand of its own.
  static Result<std::shared_ptr<ScrapeLoop>> Create(
      boost::asio::any_io_executor executor, std::shared_ptr<const config::ScrapeConfig> config,
      TargetLabels target, AppenderFactory appenders, ScrapeLimitCounters limits = {});
  ~ScrapeLoop();

  // Schedules the first scrape at the target's offset. Call once.
  void Start();
  // Ends the loop: the in-flight scrape is aborted (its result discarded), and with
  // `stale_markers` every series of the last scrape gets a StaleNaN. `on_stopped` runs on
  // the loop's executor when it is done. Thread-safe, idempotent (later calls' callbacks are
  // run too).
  void Stop(bool stale_markers, std::function<void()> on_stopped);

  const TargetLabels& target() const { return target_; }
  TargetHealth Health() const;
  std::vector<MetricMetadata> Metadata() const { return ingester_.Metadata(); }
  uint64_t hash() const { return hash_; }

 private:
  ScrapeLoop(boost::asio::any_io_executor executor,
             std::shared_ptr<const config::ScrapeConfig> config, TargetLabels target,
             AppenderFactory appenders, ScrapeLimitCounters limits);

  void Schedule();
  void RunScrape();
  void OnScraped(Status s, std::chrono::steady_clock::time_point started, int64_t start_ms);
  void AppendReport(Appender& app, int64_t t_ms, double up, double duration,
                    const IngestStats& stats, bool stale);
  void Finish();

  boost::asio::any_io_executor executor_;
  std::shared_ptr<const config::ScrapeConfig> config_;
  TargetLabels target_;
  AppenderFactory appenders_;
  const ScrapeLimitCounters limits_;
  uint64_t hash_;
  // Used only on executor_:
  boost::asio::steady_timer timer_;
  std::unique_ptr<ScrapeClient> client_;
  std::unique_ptr<Appender> app_;
  ScrapeIngester ingester_;
  std::chrono::steady_clock::time_point next_;
  bool in_flight_ = false;
  bool stopping_ = false;
  bool finished_ = false;
  bool stale_on_stop_ = false;
  int64_t last_t_ms_ = 0;
  std::vector<std::function<void()>> on_stopped_;
  std::array<SeriesRef, 5> report_refs_{};
  std::array<Labels, 5> report_labels_;

  mutable std::mutex health_mu_;
  TargetHealth health_;  // guarded by health_mu_
};

}  // namespace andon::scrape
