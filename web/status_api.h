// web/status_api.h
//
// StatusApi serves the endpoints every Andon has regardless of which layers are wired:
// /-/healthy, /-/ready, /-/reload (POST, PUT), /metrics, and /api/v1/status/{buildinfo,
// config,flags,runtimeinfo}. It reads server state only through the provider functions in
// StatusSources, each called on the HTTP threads, so each must be thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>

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

struct StatusSources {
  BuildInfo build;
  std::map<std::string, std::string> flags;
  double start_time_seconds = 0;              // Unix time the process started
  std::string storage_retention;              // as shown in runtimeinfo, e.g. "15d"
  std::function<std::string()> config_yaml;   // the loaded config, secrets redacted
  std::function<std::string()> metrics_text;  // text exposition 0.0.4
  std::function<Status()> reload;             // reload the config file; error keeps the old config
  std::function<bool()> ready;                // false while starting up or shutting down
  std::function<bool()> last_reload_ok;
  std::function<double()> last_reload_time;  // Unix seconds of the last successful load
  bool enable_lifecycle = false;             // --web.enable-lifecycle: allow /-/reload over HTTP
};

void RegisterStatusApi(HttpServer& server, StatusSources sources);

}  // namespace andon::web
