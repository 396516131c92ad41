// web/status_api.h
//
// StatusApi serves the endpoints every Andon has regardless of which layers are wired:
// /-/healthy, /-/ready, /-/reload and /-/quit (POST, PUT; 403 with a JSON error unless
// --web.enable-lifecycle), /metrics, and /api/v1/status/{buildinfo,
// config,flags,runtimeinfo}. It reads server state only through the provider functions in
// StatusSources, each called on the HTTP threads, so each must be thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "web/http_server.h"

namespace andon::web {

struct BuildInfo {
  std::string version;
  std::string revision;
  std::string branch;
  std::string build_user;
  std::string build_date;
  std::string compiler;
};

// What /api/v1/status/tsdb reports (Prometheus's shape): head figures and top-10 lists.
struct TsdbStatus {
  uint64_t num_series = 0;
  uint64_t chunk_count = 0;
  int64_t min_time_ms = 0;
  int64_t max_time_ms = 0;
  using Counts = std::vector<std::pair<std::string, uint64_t>>;
  Counts series_count_by_metric_name;
  Counts label_value_count_by_label_name;
  Counts memory_in_bytes_by_label_name;
  Counts series_count_by_label_value_pair;
};

struct StatusSources {
  BuildInfo build;
  std::map<std::string, std::string> flags;
  double start_time_seconds = 0;              // Unix time the process started
  std::string storage_retention;              // as shown in runtimeinfo, e.g. "15d"
  std::function<std::string()> config_yaml;   // the loaded config, secrets redacted
  std::function<std::string()> metrics_text;  // text exposition 0.0.4
  std::function<Status()> reload;             // reload the config file; error keeps the old config
  std::function<void()> quit;                 // start a graceful shutdown; returns at once
  std::function<bool()> ready;                // false while starting up or shutting down
  std::function<bool()> last_reload_ok;
  std::function<double()> last_reload_time;  // Unix seconds of the last successful load
  std::function<TsdbStatus()> tsdb_status;   // absent: /api/v1/status/tsdb is not served
  bool enable_lifecycle = false;             // --web.enable-lifecycle: allow /-/reload and /-/quit
};

void RegisterStatusApi(HttpServer& server, StatusSources sources);

}  // namespace andon::web
