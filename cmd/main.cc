// cmd/main.cc: the `andon` executable. Parses flags, loads the configuration, wires the
// layers together, and runs until SIGTERM/SIGINT (graceful: in-flight requests finish,
// exit 0). SIGHUP and POST /-/reload re-read the configuration; a bad file keeps the old
// one. Subcommands: `andon [serve]`, `andon check config|rules FILE...` (cmd/check_rules.h),
// `andon check web-config FILE...` (cmd/check_web_config.h),
// `andon test rules FILE...` (cmd/test_rules.h),
// `andon tsdb import openmetrics FILE [DATA_DIR]` (cmd/tsdb_import.h), `andon --version`.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "alerting/alert_router.h"
#include "alerting/alertmanager_sink.h"
#include "alerting/fan_out_sink.h"
#include "alerting/relabeling_sink.h"
#include "cmd/check_rules.h"
#include "cmd/check_web_config.h"
#include "cmd/test_rules.h"
#include "cmd/tsdb_import.h"
#include "common/config.h"
#include "common/duration.h"
#include "common/flag_set.h"
#include "common/heap_release.h"
#include "common/logger.h"
#include "common/metrics_registry.h"
#include "common/process_metrics.h"
#include "common/router_config_yaml.h"
#include "common/text_exposition_writer.h"
#include "common/yaml_reader.h"
#include "query/engine.h"
#include "remote/remote_write_storage.h"
#include "rules/rule_manager.h"
#include "scrape/kubernetes_discovery.h"
#include "scrape/relabel.h"
#include "scrape/scrape_manager.h"
#include "tsdb/db.h"
#include "web/admin_api.h"
#include "web/alertmanager_api.h"
#include "web/federate_api.h"
#include "web/http_server.h"
#include "web/query_api.h"
#include "web/remote_write_api.h"
#include "web/rules_api.h"
#include "web/series_api.h"
#include "web/silences_api.h"
#include "web/status_api.h"
#include "web/targets_api.h"

#ifndef ANDON_REVISION
#define ANDON_REVISION "unknown"
#endif

namespace andon {
namespace {

using config::Config;
using config::LoadConfigFile;
using config::ParseConfig;

constexpr char kUsageHeader[] =
    "usage: andon [<flags>] [serve]\n"
    "       andon check config [--lint=duplicate-rules|all|none] [--lint-fatal] FILE...\n"
    "       andon check rules [--lint=duplicate-rules|all|none|policy] [--lint-fatal]\n"
    "                         [--format=text|json|github] [--config.file=FILE] [--lint.*]\n"
    "                         [FILE...]   (andon check rules --help lists the --lint.* flags)\n"
    "       andon check web-config FILE...\n"
    "       andon test rules FILE...\n"
    "       andon tsdb import openmetrics FILE [DATA_DIR]\n"
    "       andon --version\n\n"
    "The Andon monitoring and alerting server.\n\nFlags:\n";

// Every flag of `andon serve`, with Prometheus's names and defaults.
struct ServeFlags {
  std::string config_file;
  std::string alertmanager_config_file;
  std::string listen_address = ":9090";
  std::string web_config_file;
  std::string external_url;
  std::string tsdb_path = "data/";
  std::string retention_time = "15d";
  std::string retention_size = "0B";
  std::string log_level = "info";
  std::string log_format = "logfmt";
  std::string read_timeout = "5m";
  std::string max_connections = "512";
  std::string max_body_bytes = "10485760";
  std::string query_timeout = "2m";
  std::string query_max_samples = "50000000";
  std::string query_lookback_delta = "5m";
  std::string query_max_concurrency = "20";
  std::string max_series_per_metric = "0";
  std::string rules_max_groups = "0";
  std::string rules_outage_tolerance = "1h";
  std::string rules_grace_period = "10m";
  std::string rules_resend_delay = "1m";
  std::string notification_queue_capacity = "10000";
  bool enable_lifecycle = false;
  bool enable_remote_write_receiver = false;
  bool enable_admin_api = false;
  bool alerting_api_read_only = false;
  bool help = false;
  bool version = false;

  void Declare(FlagSet& flags) {
    flags.String("config.file", &config_file,
                 "Andon configuration file path (empty: the embedded default).");
    flags.String("alertmanager.config.file", &alertmanager_config_file,
                 "An Alertmanager configuration file (alertmanager.yml) for the alert router, "
                 "used instead of the router under `alerting` (teams still apply).");
    flags.String("web.listen-address", &listen_address,
                 "Address to listen on for UI, API, and telemetry.");
    flags.String("web.config.file", &web_config_file,
                 "Path to a configuration file that can enable TLS or authentication "
                 "(docs/security.md).");
    flags.String("web.external-url", &external_url,
                 "The URL under which Andon is externally reachable.");
    flags.String("web.read-timeout", &read_timeout,
                 "Maximum duration before timing out read of the request.");
    flags.String("web.max-request-body-bytes", &max_body_bytes,
                 "Maximum size of a request body; larger requests get 413.");
    flags.String("web.max-connections", &max_connections,
                 "Maximum number of simultaneous connections; more are answered 503 and "
                 "closed (0 = no limit).");
    flags.Bool("web.enable-lifecycle", &enable_lifecycle,
               "Enable shutdown and reload via HTTP request.");
    flags.Bool("alerting.api.read-only", &alerting_api_read_only,
               "Refuse changes through the Alertmanager API v2 (posting alerts, creating and "
               "expiring silences) with 403; reads still work.");
    flags.Bool("web.enable-admin-api", &enable_admin_api,
               "Enable API endpoints for admin control actions (delete series, clean "
               "tombstones, snapshot).");
    flags.Bool("web.enable-remote-write-receiver", &enable_remote_write_receiver,
               "Enable the remote write receiver at /api/v1/write.");
    flags.String("storage.tsdb.path", &tsdb_path, "Base path for metrics storage.");
    flags.String("storage.tsdb.retention.time", &retention_time,
                 "How long to retain samples in storage.");
    flags.String("storage.tsdb.retention.size", &retention_size,
                 "Maximum number of bytes that can be stored for blocks (0 = no limit).");
    flags.String("storage.tsdb.max-series-per-metric", &max_series_per_metric,
                 "Maximum number of in-memory series per metric name; samples of further new "
                 "series are rejected (0 = no limit).");
    flags.String("query.timeout", &query_timeout,
                 "Maximum time a query may take before being aborted.");
    flags.String("query.max-samples", &query_max_samples,
                 "Maximum number of samples a single query can load into memory.");
    flags.String("query.lookback-delta", &query_lookback_delta,
                 "The maximum lookback duration for retrieving metrics during expression "
                 "evaluations.");
    flags.String("query.max-concurrency", &query_max_concurrency,
                 "Maximum number of queries executed concurrently.");
    flags.String("log.level", &log_level,
                 "Only log messages with the given severity or above: debug, info, warn, "
                 "error.");
    flags.String("log.format", &log_format, "Output format of log messages: logfmt, json.");
    flags.String("rules.alert.for-outage-tolerance", &rules_outage_tolerance,
                 "Max time to tolerate Andon outage for restoring \"for\" state of alert.");
    flags.String("rules.alert.for-grace-period", &rules_grace_period,
                 "Minimum duration between alert and restored \"for\" state. This is maintained "
                 "only for alerts with configured \"for\" time greater than grace period.");
    flags.String("rules.alert.resend-delay", &rules_resend_delay,
                 "Minimum amount of time to wait before resending an alert to Alertmanager.");
    flags.String("rules.max-groups", &rules_max_groups,
                 "Maximum number of rule groups over all rule files; a (re)load with more "
                 "fails and keeps the rules in force (0 = no limit).");
    flags.String("alertmanager.notification-queue-capacity", &notification_queue_capacity,
                 "The capacity of the queue for pending Alertmanager notifications.");
    flags.Bool("help", &help, "Show this help.");
    flags.Bool("version", &version, "Show application version.");
  }
};

// One io_context thread for outbound notifications; joined when it goes out of scope.
struct NotificationThread {
  boost::asio::io_context ioc;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{ioc.get_executor()};
  std::thread thread{[this] { ioc.run(); }};
  ~NotificationThread() {
    work.reset();
    thread.join();
  }
};

// The AlertSink of the rule manager: the Alertmanagers of the current `alerting.alertmanagers`
// (none: alerts go nowhere yet). Prepare() builds the sink of a new config without touching
// the running one; Commit() switches to it once the whole reload succeeded.
class AlertmanagerSinks : public alerting::AlertSink {
 public:
  AlertmanagerSinks(boost::asio::any_io_executor executor, size_t queue_capacity)
      : executor_(std::move(executor)), queue_capacity_(queue_capacity) {}
  ~AlertmanagerSinks() override { Stop(); }

  Result<std::shared_ptr<alerting::AlertmanagerSink>> Prepare(const Config& c) {
    if (c.alerting.alertmanagers.empty()) return std::shared_ptr<alerting::AlertmanagerSink>();
    alerting::AlertmanagerSinkOptions o;
    o.queue_capacity = queue_capacity_;
    auto sink = alerting::AlertmanagerSink::Create(executor_, c.alerting.alertmanagers, o);
    if (!sink.ok()) return sink.status().WithContext("alerting.alertmanagers");
    return std::shared_ptr<alerting::AlertmanagerSink>(std::move(*sink));
  }
  void Commit(std::shared_ptr<alerting::AlertmanagerSink> next) {
    std::shared_ptr<alerting::AlertmanagerSink> old;
    {
      std::lock_guard lock(mu_);
      old = std::exchange(current_, std::move(next));
    }
    if (old) old->Stop();
  }
  void Send(std::vector<alerting::Alert> alerts) override {
    std::shared_ptr<alerting::AlertmanagerSink> sink;
    {
      std::lock_guard lock(mu_);
      sink = current_;
    }
    if (sink) sink->Send(std::move(alerts));
  }
  void Stop() { Commit(nullptr); }

 private:
  boost::asio::any_io_executor executor_;
  size_t queue_capacity_;
  std::mutex mu_;
  std::shared_ptr<alerting::AlertmanagerSink> current_;
};

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The configuration currently in force and the outcome of the last (re)load.
class ConfigHolder {
 public:
  ConfigHolder(std::string path, config::ConfigLoadOptions options)
      : path_(std::move(path)), options_(options) {}

  // Parses the file and hands it to `apply` (when given); it becomes the current config only
  // when both succeed.
  Status Load(const std::function<Status(const Config&)>& apply = {}) {
    Result<Config> cfg =
        path_.empty() ? ParseConfig(config::kDefaultConfigYaml, "<embedded default>", ".", options_)
                      : LoadConfigFile(path_, options_);
    Status s = !cfg.ok() ? cfg.status() : apply ? apply(*cfg) : Status::Ok();
    std::lock_guard lock(mu_);
    if (!s.ok()) {
      last_ok_ = false;
      return s;
    }
    current_ = std::make_shared<const Config>(std::move(cfg).value());
    last_ok_ = true;
    last_time_ = NowSeconds();
    return Status::Ok();
  }

  std::shared_ptr<const Config> current() const {
    std::lock_guard lock(mu_);
    return current_;
  }
  bool last_ok() const {
    std::lock_guard lock(mu_);
    return last_ok_;
  }
  double last_time() const {
    std::lock_guard lock(mu_);
    return last_time_;
  }

 private:
  std::string path_;
  config::ConfigLoadOptions options_;
  mutable std::mutex mu_;
  std::shared_ptr<const Config> current_;
  bool last_ok_ = false;
  double last_time_ = 0;
};

web::TsdbStatus TsdbStatusOf(const DbStats& st) {
  web::TsdbStatus out;
  out.num_series = st.head.num_series;
  out.chunk_count = st.head_chunks;
  bool empty = st.head.min_time > st.head.max_time;
  out.min_time_ms = empty ? 0 : st.head.min_time;
  out.max_time_ms = empty ? 0 : st.head.max_time;
  auto copy = [](const std::vector<CardinalityEntry>& in, web::TsdbStatus::Counts& to) {
    for (const auto& e : in) to.emplace_back(e.name, e.value);
  };
  copy(st.cardinality.series_count_by_metric_name, out.series_count_by_metric_name);
  copy(st.cardinality.label_value_count_by_label_name, out.label_value_count_by_label_name);
  copy(st.cardinality.memory_in_bytes_by_label_name, out.memory_in_bytes_by_label_name);
  copy(st.cardinality.series_count_by_label_value_pair, out.series_count_by_label_value_pair);
  return out;
}

// Where the server is externally reachable, for the targets API's globalUrl: from
// --web.external-url, else this host's name and the listen port (as Prometheus).
web::GlobalUrlOptions GlobalUrlOptionsOf(const ServeFlags& flags) {
  web::GlobalUrlOptions o;
  auto listen = web::SplitListenAddress(flags.listen_address);
  if (listen.ok()) o.listen_port = std::to_string(listen->second);
  std::string url = flags.external_url;
  if (size_t p = url.find("://"); p != std::string::npos) {
    o.scheme = url.substr(0, p);
    std::string rest = url.substr(p + 3);
    o.host = rest.substr(0, rest.find('/'));
    return o;
  }
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
  o.host = std::string(host) + ":" + o.listen_port;
  return o;
}

// Parses a whole non-negative number flag into *out; prints the error and returns false.
bool ParseCountFlag(const char* flag, const std::string& text, int64_t* out) {
  try {
    size_t used = 0;
    *out = std::stoll(text, &used);
    if (used == text.size() && *out >= 0) return true;
  } catch (const std::exception&) {
  }
  std::fprintf(stderr, "andon: --%s: not a non-negative number: %s\n", flag, text.c_str());
  return false;
}

int Serve(const ServeFlags& flags, const FlagSet& flag_set) {
  auto retention = ParseDurationMs(flags.retention_time);
  if (!retention.ok()) {
    std::fprintf(stderr, "andon: --storage.tsdb.retention.time: %s\n",
                 retention.status().message().c_str());
    return 2;
  }
  auto read_timeout = ParseDurationMs(flags.read_timeout);
  if (!read_timeout.ok()) {
    std::fprintf(stderr, "andon: --web.read-timeout: %s\n",
                 read_timeout.status().message().c_str());
    return 2;
  }
  auto retention_bytes = yaml::ParseByteSize(flags.retention_size);
  if (!retention_bytes.ok() || *retention_bytes < 0) {
    std::fprintf(stderr, "andon: --storage.tsdb.retention.size: invalid size \"%s\"\n",
                 flags.retention_size.c_str());
    return 2;
  }
  uint64_t max_body = 0;
  try {
    max_body = std::stoull(flags.max_body_bytes);
  } catch (const std::exception&) {
    std::fprintf(stderr, "andon: --web.max-request-body-bytes: not a number: %s\n",
                 flags.max_body_bytes.c_str());
    return 2;
  }

  int64_t max_connections = 0, max_series_per_metric = 0, rules_max_groups = 0;
  if (!ParseCountFlag("web.max-connections", flags.max_connections, &max_connections) ||
      !ParseCountFlag("storage.tsdb.max-series-per-metric", flags.max_series_per_metric,
                      &max_series_per_metric) ||
      !ParseCountFlag("rules.max-groups", flags.rules_max_groups, &rules_max_groups)) {
    return 2;
  }

  query::EngineOptions engine_options;
  int query_max_concurrency = 0;
  {
    auto timeout = ParseDurationMs(flags.query_timeout);
    auto lookback = ParseDurationMs(flags.query_lookback_delta);
    if (!timeout.ok() || *timeout <= 0) {
      std::fprintf(stderr, "andon: --query.timeout: invalid duration \"%s\"\n",
                   flags.query_timeout.c_str());
      return 2;
    }
    if (!lookback.ok() || *lookback <= 0) {
      std::fprintf(stderr, "andon: --query.lookback-delta: invalid duration \"%s\"\n",
                   flags.query_lookback_delta.c_str());
      return 2;
    }
    engine_options.timeout_ms = *timeout;
    engine_options.lookback_delta_ms = *lookback;
    try {
      size_t used = 0;
      engine_options.max_samples = std::stoll(flags.query_max_samples, &used);
      if (used != flags.query_max_samples.size() || engine_options.max_samples <= 0) throw 0;
    } catch (...) {
      std::fprintf(stderr, "andon: --query.max-samples: not a positive number: %s\n",
                   flags.query_max_samples.c_str());
      return 2;
    }
    try {
      size_t used = 0;
      query_max_concurrency = std::stoi(flags.query_max_concurrency, &used);
      if (used != flags.query_max_concurrency.size() || query_max_concurrency <= 0) throw 0;
    } catch (...) {
      std::fprintf(stderr, "andon: --query.max-concurrency: not a positive number: %s\n",
                   flags.query_max_concurrency.c_str());
      return 2;
    }
  }
  size_t notification_queue_capacity = 0;
  try {
    size_t used = 0;
    notification_queue_capacity = std::stoul(flags.notification_queue_capacity, &used);
    if (used != flags.notification_queue_capacity.size() || notification_queue_capacity == 0) {
      throw 0;
    }
  } catch (...) {
    std::fprintf(stderr,
                 "andon: --alertmanager.notification-queue-capacity: not a positive number: %s\n",
                 flags.notification_queue_capacity.c_str());
    return 2;
  }
  rules::RuleManagerOptions rule_options;
  rule_options.max_groups = static_cast<size_t>(rules_max_groups);
  if (rule_options.external_url = flags.external_url; rule_options.external_url.empty()) {
    const web::GlobalUrlOptions global = GlobalUrlOptionsOf(flags);
    rule_options.external_url = global.scheme + "://" + global.host;
  }
  for (auto [flag, value, out] :
       {std::tuple{"rules.alert.for-outage-tolerance", &flags.rules_outage_tolerance,
                   &rule_options.outage_tolerance_ms},
        std::tuple{"rules.alert.for-grace-period", &flags.rules_grace_period,
                   &rule_options.for_grace_period_ms},
        std::tuple{"rules.alert.resend-delay", &flags.rules_resend_delay,
                   &rule_options.resend_delay_ms}}) {
    auto ms = ParseDurationMs(*value);
    if (!ms.ok()) {
      std::fprintf(stderr, "andon: --%s: %s\n", flag, ms.status().message().c_str());
      return 2;
    }
    *out = *ms;
  }

  ConfigHolder config(flags.config_file,
                      {.external_router = !flags.alertmanager_config_file.empty()});
  if (Status s = config.Load(); !s.ok()) {
    LogError("main", "error loading config", {{"file", flags.config_file}, {"err", s.message()}});
    return 1;
  }
  MetricsRegistry& registry = MetricsRegistry::Default();
  DbOptions db_options;
  db_options.retention_ms = *retention;
  db_options.retention_bytes = static_cast<uint64_t>(*retention_bytes);
  db_options.metrics = &registry;
  db_options.max_series_per_metric = static_cast<uint64_t>(max_series_per_metric);
  Result<std::unique_ptr<Db>> opened = Db::Open(flags.tsdb_path, db_options);
  if (!opened.ok()) {
    LogError("main", "opening storage failed",
             {{"path", flags.tsdb_path}, {"err", opened.status().message()}});
    return 1;
  }
  std::unique_ptr<Db> db = std::move(opened).value();
  LogInfo("main", "TSDB started", {{"path", flags.tsdb_path}});

  if (Status s = RegisterBuildInfo(registry, ANDON_VERSION, ANDON_REVISION); !s.ok()) {
    LogWarn("main", "build info metric not registered", {{"err", s.message()}});
  }
  if (Status s = RegisterProcessMetrics(registry); !s.ok()) {
    LogWarn("main", "process metrics not registered", {{"err", s.message()}});
  }
  if (Status s = RegisterHeapMetrics(registry); !s.ok()) {
    LogWarn("main", "heap metrics not registered", {{"err", s.message()}});
  }
  auto requests = registry.RegisterCounter("andon_http_requests_total", "Counter of HTTP requests.",
                                           {"code", "handler"});
  auto durations = registry.RegisterHistogram("andon_http_request_duration_seconds",
                                              "Histogram of latencies for HTTP requests.",
                                              {"handler"}, DefaultHistogramBuckets());
  auto reload_ok = registry.RegisterGauge("andon_config_last_reload_successful",
                                          "Whether the last configuration reload attempt was "
                                          "successful.",
                                          {});
  auto reload_time = registry.RegisterGauge("andon_config_last_reload_success_timestamp_seconds",
                                            "Timestamp of the last successful configuration "
                                            "reload.",
                                            {});
  auto refused = registry.RegisterCounter(
      "andon_http_requests_refused_total",
      "Requests and connections the HTTP server refused before any handler ran, by reason.",
      {"reason"});
  if (!requests.ok() || !durations.ok() || !reload_ok.ok() || !reload_time.ok() || !refused.ok()) {
    LogError("main", "registering self-metrics failed");
    return 1;
  }
  auto record_reload = [&] {
    (*reload_ok)->WithLabels({}).Set(config.last_ok() ? 1 : 0);
    (*reload_time)->WithLabels({}).Set(config.last_time());
  };
  record_reload();

  // remote_write: one queue per target tailing the WAL; stopped before the Db closes.
  remote::RemoteWriteStorage remote_storage(*db, &registry);
  // Scraping: one pool per scrape_config, on its own threads; reloads re-apply the config.
  scrape::ScrapeManager scrape_manager(*db, scrape::ScrapeManagerOptions{.metrics = &registry});
  const query::Engine engine(engine_options);  // outlives the server's handlers and the rules
  // Rules: every group on its interval; the rule files load all-or-nothing, so they are
  // applied first and a bad one fails the reload before anything changed.
  // The alert router (silences and notification log under <tsdb>/alerting), on the
  // blackhole default until the first apply(). Destroyed after its users, before the Db.
  alerting::AlertRouterOptions router_options;
  router_options.data_dir = (std::filesystem::path(flags.tsdb_path) / "alerting").string();
  router_options.external_url = rule_options.external_url;
  router_options.registry = &registry;
  Result<std::unique_ptr<alerting::AlertRouter>> opened_router =
      alerting::AlertRouter::Open(router_options);
  if (!opened_router.ok()) {
    LogError("main", "opening the alert router failed",
             {{"err", opened_router.status().message()}});
    return 1;
  }
  std::unique_ptr<alerting::AlertRouter> router = std::move(opened_router).value();
  // Outbound notifications (alerting.alertmanagers) run on their own io_context thread;
  // declared before their users, so that on every return the sinks stop first.
  NotificationThread notify;
  AlertmanagerSinks alertmanagers(notify.ioc.get_executor(), notification_queue_capacity);
  // Rule alerts go to the router and to the external Alertmanagers.
  // alert_relabel_configs apply to both (after the external labels).
  alerting::FanOutSink fan_out({router.get(), &alertmanagers});
  alerting::RelabelingSink rule_alerts(&fan_out);
  rules::RuleManager rule_manager(*db, engine, &rule_alerts, rule_options);
  auto apply = [&](const Config& c) {
    if (!flags.alertmanager_config_file.empty() && c.alerting.router) {
      LogWarn("main", "--alertmanager.config.file is set: the router under `alerting` is ignored",
              {{"file", flags.config_file}});
    }
    auto routing = alerting::EffectiveRouterConfig(c, flags.alertmanager_config_file);
    auto next_router =
        routing.ok() ? router->Prepare(*routing, c.teams)
                     : Result<std::shared_ptr<alerting::AlertRouter::Prepared>>(routing.status());
    if (!next_router.ok()) return next_router.status().WithContext("alert router");
    auto sink = alertmanagers.Prepare(c);
    if (!sink.ok()) return sink.status();
    auto queues = remote_storage.Prepare(c);
    if (!queues.ok()) return queues.status();
    Status s = rule_manager.ApplyConfig(c);
    if (s.ok()) s = scrape_manager.ApplyConfig(c);
    if (s.ok()) alertmanagers.Commit(std::move(*sink));
    if (s.ok()) s = remote_storage.Commit(std::move(*queues));
    if (s.ok()) {
      auto relabel = std::make_shared<const std::vector<config::RelabelConfig>>(
          c.alerting.alert_relabel_configs);
      rule_alerts.SetRelabel(
          relabel->empty() ? alerting::RelabelingSink::Relabel()
                           : [relabel](LabelsBuilder& b) { return scrape::Relabel(*relabel, b); });
    }
    if (s.ok()) s = router->Commit(std::move(*next_router));
    return s;
  };

  std::mutex reload_mu;
  auto reload = [&]() -> Status {
    std::lock_guard lock(reload_mu);
    Status s = config.Load(apply);
    record_reload();
    if (s.ok()) {
      LogInfo("main", "completed loading of configuration file", {{"file", flags.config_file}});
    } else {
      LogError("main", "error reloading config, keeping the old one",
               {{"file", flags.config_file}, {"err", s.message()}});
    }
    return s;
  };

  std::atomic<bool> ready{false};
  web::HttpServerOptions opts;
  opts.listen_address = flags.listen_address;
  opts.read_timeout = std::chrono::milliseconds(*read_timeout);
  opts.max_body_bytes = max_body;
  opts.max_connections = static_cast<int>(std::min<int64_t>(max_connections, 1 << 30));
  // Two io threads; handlers run on a pool, where queries block the thread that serves
  // them: enough threads that max-concurrency evaluations still leave some for health
  // checks, scrapes of /metrics and the rest.
  opts.threads = 2;
  opts.handler_threads = query_max_concurrency + 2;
  if (!flags.web_config_file.empty()) {
    auto web_config = web::LoadWebConfigFile(flags.web_config_file);
    if (!web_config.ok()) {
      LogError("main", "cannot load the web config", {{"err", web_config.status().message()}});
      return 1;
    }
    opts.web_config = std::make_shared<const web::WebConfig>(std::move(web_config).value());
  }
  web::HttpServer server(opts);
  server.SetObserver([&](std::string_view handler, int code, double secs) {
    (*requests)->WithLabels({std::to_string(code), std::string(handler)}).Inc();
    (*durations)->WithLabels({std::string(handler)}).Observe(secs);
  });
  std::array<Counter*, web::kHttpRefusalCount> refused_by_reason{};
  for (int i = 0; i < web::kHttpRefusalCount; ++i) {
    refused_by_reason[i] =
        &(*refused)->WithLabels({web::HttpRefusalName(static_cast<web::HttpRefusal>(i))});
  }
  server.SetRefusalObserver(
      [refused_by_reason](web::HttpRefusal r) { refused_by_reason[static_cast<int>(r)]->Inc(); });

  // The main thread waits for signals (below): SIGHUP reloads, SIGTERM/SIGINT and /-/quit stop.
  boost::asio::io_context signals_ioc;
  boost::asio::signal_set signals(signals_ioc, SIGTERM, SIGINT, SIGHUP);
  // Once a minute the same thread gives malloc's free pages back (common/heap_release.h).
  auto heap_released = registry.RegisterCounter(
      "andon_heap_released_bytes_total",
      "Bytes by which the resident set shrank when free heap pages were returned to the system.");
  boost::asio::steady_timer heap_release_timer(signals_ioc);
  std::function<void(const boost::system::error_code&)> on_heap_release_tick =
      [&](const boost::system::error_code& err) {
        if (err) return;
        const uint64_t released = ReleaseFreeHeap();
        if (heap_released.ok()) (*heap_released)->WithLabels({}).Inc(static_cast<double>(released));
        heap_release_timer.expires_after(std::chrono::minutes(1));
        heap_release_timer.async_wait(on_heap_release_tick);
      };
  heap_release_timer.expires_after(std::chrono::minutes(1));
  heap_release_timer.async_wait(on_heap_release_tick);

  web::StatusSources sources;
  sources.build = {ANDON_VERSION, ANDON_REVISION, "", "", "", std::string(CompilerVersion())};
  sources.flags = flag_set.Values();
  const double start_time_seconds = NowSeconds();
  sources.start_time_seconds = start_time_seconds;
  sources.storage_retention = flags.retention_time;
  sources.config_yaml = [&] { return config.current()->ToRedactedYaml(); };
  sources.metrics_text = [&] { return TextExposition(registry.Gather()); };
  sources.reload = reload;
  sources.ready = [&] { return ready.load(); };
  sources.last_reload_ok = [&] { return config.last_ok(); };
  sources.last_reload_time = [&] { return config.last_time(); };
  sources.enable_lifecycle = flags.enable_lifecycle;
  sources.quit = [&] {
    boost::asio::post(signals_ioc, [&] {
      LogInfo("main", "received termination request via web service, exiting gracefully");
      signals.cancel();
    });
  };
  sources.tsdb_status = [&db] { return TsdbStatusOf(db->Stats()); };
  web::RegisterStatusApi(server, std::move(sources));
  web::RegisterSeriesApi(server,
                         [&db](int64_t mint, int64_t maxt) { return db->NewQuerier(mint, maxt); });
  std::shared_ptr<web::QueryApi> query_api = web::RegisterQueryApi(
      server, [&db](int64_t mint, int64_t maxt) { return db->NewQuerier(mint, maxt); }, engine,
      {.max_concurrency = query_max_concurrency, .metrics = &registry});

  web::RegisterTargetsApi(server, scrape_manager, GlobalUrlOptionsOf(flags));
  web::RegisterRulesApi(server, [&rule_manager] { return rule_manager.Groups(); });
  web::RegisterSilencesApi(server, router->silences(), {.read_only = flags.alerting_api_read_only});
  web::RegisterRemoteWriteApi(
      server, [&db] { return db->NewAppender(); },
      {.enabled = flags.enable_remote_write_receiver, .metrics = &registry});
  web::RegisterAdminApi(
      server, {.enabled = flags.enable_admin_api,
               .db = db.get(),
               .snapshots_dir = (std::filesystem::path(flags.tsdb_path) / "snapshots").string()});
  web::RegisterFederateApi(
      server, [&db](int64_t mint, int64_t maxt) { return db->NewQuerier(mint, maxt); },
      {.lookback_ms = engine_options.lookback_delta_ms,
       .external_labels = [&config] { return config.current()->global.external_labels; }});
  web::AlertmanagerApiSources alertmanager_api;
  alertmanager_api.dispatcher = &router->dispatcher();
  alertmanager_api.config_yaml = [&router] {
    return config::RouterConfigToRedactedYaml(*router->config());
  };
  alertmanager_api.receivers = [&router] {
    std::vector<std::string> names;
    for (const config::Receiver& r : router->config()->receivers) names.push_back(r.name);
    return names;
  };
  alertmanager_api.version.version = ANDON_VERSION;
  alertmanager_api.version.revision = ANDON_REVISION;
  alertmanager_api.version.go_version = std::string(CompilerVersion());
  alertmanager_api.start_time_ms = static_cast<int64_t>(start_time_seconds * 1000);
  alertmanager_api.read_only = flags.alerting_api_read_only;
  web::RegisterAlertmanagerApi(server, std::move(alertmanager_api));

  if (Status s = server.Start(); !s.ok()) {
    LogError("main", "cannot start web server",
             {{"web_config_file", flags.web_config_file}, {"err", s.message()}});
    return 1;
  }
  if (Status s = apply(*config.current()); !s.ok()) {
    LogError("main", "error loading rules or starting scrape manager", {{"err", s.message()}});
    rule_manager.Stop();
    scrape_manager.Stop();
    return 1;
  }
  ready = true;
  LogInfo("main", "server is ready to receive web requests",
          {{"address", flags.listen_address}, {"port", std::to_string(server.port())}});

  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& err, int sig) {
        if (!err && sig == SIGHUP) {
          (void)reload();
          signals.async_wait(on_signal);
          return;
        }
        if (!err) {
          LogInfo("main", "received signal, exiting gracefully", {{"signal", strsignal(sig)}});
        }
        heap_release_timer.cancel();  // the last work on signals_ioc: run() returns
      };
  signals.async_wait(on_signal);
  signals_ioc.run();

  ready = false;
  query_api->Shutdown();  // queries in flight end as canceled instead of holding the stop
  server.Stop();
  scrape_manager.Stop();  // before the Db closes: loops stop appending
  rule_manager.Stop();
  router->Stop();  // the dispatcher, then its notifiers, then their io_context
  alertmanagers.Stop();
  remote_storage.Stop();
  if (Status s = db->Close(); !s.ok()) {
    LogError("main", "closing storage failed", {{"err", s.message()}});
    return 1;
  }
  LogInfo("main", "see you next time!");
  return 0;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // `check` takes promtool's flags (--lint, --lint-fatal), not the server's.
  if (args.size() >= 2 && args[0] == "check" && args[1] == "rules") {
    return CheckRulesCommand({args.begin() + 2, args.end()}, stdout, stderr, stdin);
  }
  if (args.size() >= 2 && args[0] == "check" && args[1] == "config") {
    return CheckConfigCommand({args.begin() + 2, args.end()}, stdout, stderr);
  }
  if (args.size() >= 2 && args[0] == "check" && args[1] == "web-config") {
    return CheckWebConfigCommand({args.begin() + 2, args.end()}, stdout, stderr);
  }
  if (args.size() >= 2 && args[0] == "test" && args[1] == "rules") {
    return TestRulesCommand({args.begin() + 2, args.end()}, stdout, stderr);
  }
  ServeFlags flags;
  FlagSet flag_set;
  flags.Declare(flag_set);
  if (Status s = flag_set.Parse(args); !s.ok()) {
    std::fprintf(stderr, "andon: error: %s, try --help\n", s.message().c_str());
    return 2;
  }
  if (flags.help) {
    std::printf("%s%s", kUsageHeader, flag_set.Usage().c_str());
    return 0;
  }
  if (flags.version) {
    std::printf("andon, version %s (revision: %s)\n  compiler: %s\n", ANDON_VERSION, ANDON_REVISION,
                __VERSION__);
    return 0;
  }
  auto level = ParseLogLevel(flags.log_level);
  auto format = ParseLogFormat(flags.log_format);
  if (!level.ok() || !format.ok()) {
    std::fprintf(stderr, "andon: error: %s\n",
                 (!level.ok() ? level.status() : format.status()).message().c_str());
    return 2;
  }
  Logger::Global().Configure(*level, *format);

  const auto& pos = flag_set.positional();
  if (pos.empty() || pos[0] == "serve") return Serve(flags, flag_set);
  if (pos[0] == "check" && pos.size() >= 2 && pos[1] == "config") {
    return CheckConfigCommand({pos.begin() + 2, pos.end()}, stdout, stderr);
  }
  if (pos[0] == "check" && pos.size() >= 2 && pos[1] == "rules") {
    return CheckRulesCommand({pos.begin() + 2, pos.end()}, stdout, stderr, stdin);
  }
  if (pos[0] == "tsdb" && pos.size() >= 2 && pos[1] == "import") {
    if (pos.size() < 4 || pos.size() > 5 || pos[2] != "openmetrics") {
      std::fprintf(stderr, "usage: andon tsdb import openmetrics FILE [DATA_DIR]\n");
      return 2;
    }
    return ImportOpenMetrics(pos[3], pos.size() == 5 ? pos[4] : flags.tsdb_path);
  }
  std::fprintf(stderr, "andon: error: unknown command \"%s\", try --help\n", pos[0].c_str());
  return 2;
}

}  // namespace
}  // namespace andon

int main(int argc, char** argv) { return andon::Main(argc, argv); }
