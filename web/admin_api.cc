#include "web/admin_api.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <set>

#include "common/logger.h"
#include "web/api_params.h"
#include "web/api_response.h"

namespace andon::web {
namespace {

// "20261206T051440Z-2be650b6d019eb54": sorts by time, unique per call.
std::string SnapshotName() {
  static std::mutex mu;
  static std::mt19937_64 random{std::random_device{}()};
  uint64_t suffix;
  {
    std::lock_guard lock(mu);
    suffix = random() >> 1;
  }
  auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  return fmt::format("{:%Y%m%dT%H%M%SZ}-{:016x}", now, suffix);
}

void DeleteSeries(Db& db, const HttpRequest& req, HttpResponse& res) {
  auto sets = MatchParams(req);
  if (!sets.ok()) return WriteApiError(res, ApiError::kBadData, sets.status().message());
  if (sets->empty()) return WriteApiError(res, ApiError::kBadData, "no match[] parameter provided");
  Result<int64_t> start = TimeParam(req, "start", std::numeric_limits<int64_t>::min());
  if (!start.ok()) return WriteApiError(res, ApiError::kBadData, start.status().message());
  Result<int64_t> end = TimeParam(req, "end", std::numeric_limits<int64_t>::max());
  if (!end.ok()) return WriteApiError(res, ApiError::kBadData, end.status().message());
  uint64_t series = 0;
  for (const auto& matchers : *sets) {
    Result<uint64_t> n = db.DeleteSeries(matchers, *start, *end);
    if (!n.ok()) return WriteApiError(res, ApiError::kInternal, n.status().message());
    series += *n;
  }
  LogInfo("web", "admin API deleted series",
          {{"match", fmt::format("{}", fmt::join(req.Params("match[]"), " "))},
           {"series", std::to_string(series)}});
  res.status = 204;
}

void Snapshot(Db& db, const std::string& snapshots_dir, const HttpRequest& req, HttpResponse& res) {
  // Go's strconv.ParseBool spellings, as Prometheus parses the flag.
  static const std::set<std::string> kTrue = {"1", "t", "T", "TRUE", "true", "True"};
  static const std::set<std::string> kFalse = {"0", "f", "F", "FALSE", "false", "False"};
  const std::string skip = req.Param("skip_head", "false");
  if (kTrue.count(skip) == 0 && kFalse.count(skip) == 0) {
    return WriteApiError(res, ApiError::kBadData,
                         fmt::format("unable to parse boolean 'skip_head' argument: \"{}\"", skip));
  }
  std::error_code ec;
  std::filesystem::create_directories(snapshots_dir, ec);
  if (ec) {
    return WriteApiError(res, ApiError::kInternal,
                         fmt::format("create snapshot directory: {}", ec.message()));
  }
  const std::string name = SnapshotName();
  const std::string dir = (std::filesystem::path(snapshots_dir) / name).string();
  if (Status st = db.Snapshot(dir, kTrue.count(skip) != 0); !st.ok()) {
    return WriteApiError(res, ApiError::kInternal, "create snapshot: " + st.message());
  }
  LogInfo("web", "admin API created snapshot", {{"dir", dir}});
  WriteApiSuccess(res, {{"name", name}});
}

}  // namespace

void RegisterAdminApi(HttpServer& server, AdminApiOptions options) {
  auto opts = std::make_shared<const AdminApiOptions>(std::move(options));
  auto route = [&server, opts](const std::string& path,
                               std::function<void(const HttpRequest&, HttpResponse&)> serve) {
    server.Handle(path, {"POST", "PUT"},
                  [opts, serve = std::move(serve)](const HttpRequest& req, HttpResponse& res) {
                    if (!opts->enabled || opts->db == nullptr) {
                      return SetJsonError(res, 403, "unavailable", "admin APIs disabled");
                    }
                    serve(req, res);
                  });
  };
  route("/api/v1/admin/tsdb/delete_series",
        [opts](const HttpRequest& req, HttpResponse& res) { DeleteSeries(*opts->db, req, res); });
  route("/api/v1/admin/tsdb/clean_tombstones", [opts](const HttpRequest&, HttpResponse& res) {
    if (Status st = opts->db->CleanTombstones(); !st.ok()) {
      return WriteApiError(res, ApiError::kInternal, st.message());
    }
    res.status = 204;
  });
  route("/api/v1/admin/tsdb/snapshot", [opts](const HttpRequest& req, HttpResponse& res) {
    Snapshot(*opts->db, opts->snapshots_dir, req, res);
  });
}

}  // namespace andon::web
