#include "web/status_api.h"

#include <dirent.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <memory>

#include "web/api_response.h"

namespace andon::web {
namespace {

std::string Rfc3339(double unix_seconds) {
  auto tp = std::chrono::system_clock::time_point(
      std::chrono::milliseconds(static_cast<int64_t>(std::llround(unix_seconds * 1000))));
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z",
                     std::chrono::time_point_cast<std::chrono::milliseconds>(tp));
}

int CountThreads() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(d);
  }
  return n;
}

std::string WorkingDirectory() {
  char buf[4096];
  return getcwd(buf, sizeof buf) != nullptr ? std::string(buf) : std::string();
}

nlohmann::json CountsJson(const TsdbStatus::Counts& counts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, value] : counts) out.push_back({{"name", name}, {"value", value}});
  return out;
}

}  // namespace

void RegisterStatusApi(HttpServer& server, StatusSources sources) {
  auto src = std::make_shared<const StatusSources>(std::move(sources));

  server.Handle("/-/healthy", {"GET", "HEAD"},
                [](const HttpRequest&, HttpResponse& res) { res.body = "Andon is Healthy.\n"; });
  server.Handle("/-/ready", {"GET", "HEAD"}, [src](const HttpRequest&, HttpResponse& res) {
    if (src->ready && !src->ready()) {
      res.status = 503;
      res.body = "Service Unavailable";
      return;
    }
    res.body = "Andon is Ready.\n";
  });
  server.Handle("/-/reload", {"POST", "PUT"}, [src](const HttpRequest&, HttpResponse& res) {
    if (!src->enable_lifecycle) {
      return SetJsonError(res, 403, "unavailable", "Lifecycle API is not enabled.");
    }
    Status s = src->reload ? src->reload() : Status::Ok();
    if (!s.ok()) {
      res.status = 500;
      res.body = "failed to reload config: " + s.message() + "\n";
    }
  });
  server.Handle("/-/quit", {"POST", "PUT"}, [src](const HttpRequest&, HttpResponse& res) {
    if (!src->enable_lifecycle) {
      return SetJsonError(res, 403, "unavailable", "Lifecycle API is not enabled.");
    }
    res.body = "Requesting termination... Goodbye!";
    if (src->quit) src->quit();
  });
  server.Handle("/metrics", {"GET"}, [src](const HttpRequest&, HttpResponse& res) {
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = src->metrics_text ? src->metrics_text() : "";
  });
  server.Handle("/api/v1/status/buildinfo", {"GET"}, [src](const HttpRequest&, HttpResponse& res) {
    const BuildInfo& b = src->build;
    WriteApiSuccess(res, {{"version", b.version},
                          {"revision", b.revision},
                          {"branch", b.branch},
                          {"buildUser", b.build_user},
                          {"buildDate", b.build_date},
                          {"compilerVersion", b.compiler}});
  });
  server.Handle("/api/v1/status/config", {"GET"}, [src](const HttpRequest&, HttpResponse& res) {
    WriteApiSuccess(res, {{"yaml", src->config_yaml ? src->config_yaml() : ""}});
  });
  server.Handle("/api/v1/status/flags", {"GET"},
                [src](const HttpRequest&, HttpResponse& res) { WriteApiSuccess(res, src->flags); });
  server.Handle(
      "/api/v1/status/runtimeinfo", {"GET"}, [src](const HttpRequest&, HttpResponse& res) {
        WriteApiSuccess(
            res, {{"startTime", Rfc3339(src->start_time_seconds)},
                  {"CWD", WorkingDirectory()},
                  {"reloadConfigSuccess", src->last_reload_ok ? src->last_reload_ok() : true},
                  {"lastConfigTime", Rfc3339(src->last_reload_time ? src->last_reload_time()
                                                                   : src->start_time_seconds)},
                  {"threadCount", CountThreads()},
                  {"hardwareConcurrency", std::thread::hardware_concurrency()},
                  {"storageRetention", src->storage_retention}});
      });
  if (src->tsdb_status) {
    server.Handle("/api/v1/status/tsdb", {"GET"}, [src](const HttpRequest&, HttpResponse& res) {
      TsdbStatus st = src->tsdb_status();
      WriteApiSuccess(
          res, {{"headStats",
                 {{"numSeries", st.num_series},
                  {"chunkCount", st.chunk_count},
                  {"minTime", st.min_time_ms},
                  {"maxTime", st.max_time_ms}}},
                {"seriesCountByMetricName", CountsJson(st.series_count_by_metric_name)},
                {"labelValueCountByLabelName", CountsJson(st.label_value_count_by_label_name)},
                {"memoryInBytesByLabelName", CountsJson(st.memory_in_bytes_by_label_name)},
                {"seriesCountByLabelValuePair", CountsJson(st.series_count_by_label_value_pair)}});
    });
  }
}

}  // namespace andon::web
