#include "web/targets_api.h"

#include <charconv>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "common/duration.h"
#include "common/rfc3339.h"
#include "query/parser.h"
#include "web/api_response.h"

namespace andon::web {
namespace {

using nlohmann::json;

// Splits "host:port" / "[v6]:port" into host and port ("" when absent).
std::pair<std::string, std::string> SplitHostPort(const std::string& hp) {
  if (!hp.empty() && hp[0] == '[') {
    size_t close = hp.find(']');
    if (close == std::string::npos) return {hp, ""};
    std::string port = close + 2 <= hp.size() ? hp.substr(close + 2) : "";
    return {hp.substr(1, close - 1), port};
  }
  size_t colon = hp.rfind(':');
  if (colon == std::string::npos) return {hp, ""};
  return {hp.substr(0, colon), hp.substr(colon + 1)};
}

// The "limit" parameter as Prometheus 2.42's metadata endpoints read it: -1 when absent.
Result<int64_t> MetadataLimit(const HttpRequest& req) {
  std::string text = req.Param("limit");
  if (text.empty()) return int64_t{-1};
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return Status::InvalidArgument("limit must be a number");
  }
  return v;
}

void Targets(const scrape::ScrapeManager& manager, const GlobalUrlOptions& opts,
             const HttpRequest& req, HttpResponse& res) {
  std::string state = req.Param("state", "any");
  for (char& c : state) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool any = state == "any" || state.empty();
  bool show_active = any || state == "active";
  bool show_dropped = any || state == "dropped";
  json active = json::array();
  json dropped = json::array();
  if (show_active) {
    for (const scrape::ActiveTarget& t : manager.ActiveTargets()) {
      json j;
      j["discoveredLabels"] = LabelsJson(t.discovered_labels);
      j["labels"] = LabelsJson(t.labels);
      j["scrapePool"] = t.scrape_pool;
      j["scrapeUrl"] = t.scrape_url;
      j["globalUrl"] = GlobalUrl(t.scrape_url, opts);
      j["lastError"] = t.health.last_error;
      j["lastScrape"] = FormatRfc3339Trimmed(t.health.last_scrape_ms);
      j["lastScrapeDuration"] = t.health.last_scrape_duration_seconds;
      j["health"] = t.health.health;
      j["scrapeInterval"] = FormatDurationMs(t.interval_ms);
      j["scrapeTimeout"] = FormatDurationMs(t.timeout_ms);
      active.push_back(std::move(j));
    }
  }
  if (show_dropped) {
    for (const scrape::DroppedTarget& t : manager.DroppedTargets()) {
      dropped.push_back(json{{"discoveredLabels", LabelsJson(t.discovered_labels)}});
    }
  }
  WriteApiSuccess(
      res, json{{"activeTargets", std::move(active)}, {"droppedTargets", std::move(dropped)}});
}

void TargetsMetadata(const scrape::ScrapeManager& manager, const HttpRequest& req,
                     HttpResponse& res) {
  auto limit = MetadataLimit(req);
  if (!limit.ok()) return WriteApiError(res, ApiError::kBadData, limit.status().message());
  std::vector<query::LabelMatcher> matchers;
  std::string match = req.Param("match_target");
  if (!match.empty()) {
    auto parsed = query::ParseMetricSelector(match);
    if (!parsed.ok()) {
      return WriteApiError(res, ApiError::kBadData,
                           "invalid parameter \"match_target\": " + parsed.status().message());
    }
    matchers = std::move(parsed).value();
  }
  std::string metric = req.Param("metric");
  json out = json::array();
  for (const scrape::TargetMetadata& t : manager.Metadata()) {
    if (*limit >= 0 && static_cast<int64_t>(out.size()) >= *limit) break;
    bool matches = true;
    for (const query::LabelMatcher& m : matchers) {
      if (!m.Matches(t.target_labels.Get(m.name()))) {
        matches = false;
        break;
      }
    }
    if (!matches) continue;
    for (const scrape::MetricMetadata& md : t.metadata) {
      if (!metric.empty() && md.metric != metric) continue;
      json j;
      j["target"] = LabelsJson(t.target_labels);
      if (metric.empty()) j["metric"] = md.metric;
      j["type"] = md.type;
      j["help"] = md.help;
      j["unit"] = md.unit;
      out.push_back(std::move(j));
    }
  }
  WriteApiSuccess(res, out);
}

void Metadata(const scrape::ScrapeManager& manager, const HttpRequest& req, HttpResponse& res) {
  auto limit = MetadataLimit(req);
  if (!limit.ok()) return WriteApiError(res, ApiError::kBadData, limit.status().message());
  std::string metric = req.Param("metric");
  std::map<std::string, std::set<std::tuple<std::string, std::string, std::string>>> metrics;
  for (const scrape::TargetMetadata& t : manager.Metadata()) {
    for (const scrape::MetricMetadata& md : t.metadata) {
      if (!metric.empty() && md.metric != metric) continue;
      metrics[md.metric].emplace(md.type, md.help, md.unit);
    }
  }
  json out = json::object();
  for (const auto& [name, set] : metrics) {
    if (*limit >= 0 && static_cast<int64_t>(out.size()) >= *limit) break;
    json list = json::array();
    for (const auto& [type, help, unit] : set) {
      list.push_back(json{{"type", type}, {"help", help}, {"unit", unit}});
    }
    out[name] = std::move(list);
  }
  WriteApiSuccess(res, out);
}

}  // namespace

std::string GlobalUrl(const std::string& scrape_url, const GlobalUrlOptions& options) {
  size_t scheme_end = scrape_url.find("://");
  if (scheme_end == std::string::npos || options.host.empty()) return scrape_url;
  size_t host_begin = scheme_end + 3;
  size_t path_begin = scrape_url.find('/', host_begin);
  std::string host_port = scrape_url.substr(
      host_begin, path_begin == std::string::npos ? std::string::npos : path_begin - host_begin);
  std::string rest = path_begin == std::string::npos ? "" : scrape_url.substr(path_begin);
  auto [host, port] = SplitHostPort(host_port);
  if (host != "127.0.0.1" && host != "localhost" && host != "::1") return scrape_url;
  if (port == options.listen_port) return options.scheme + "://" + options.host + rest;
  std::string external_host = SplitHostPort(options.host).first;
  if (external_host.find(':') != std::string::npos) external_host = "[" + external_host + "]";
  return scrape_url.substr(0, host_begin) + external_host + ":" + port + rest;
}

void RegisterTargetsApi(HttpServer& server, const scrape::ScrapeManager& manager,
                        GlobalUrlOptions options) {
  const scrape::ScrapeManager* m = &manager;
  server.Handle(
      "/api/v1/targets", {"GET"},
      [m, options](const HttpRequest& req, HttpResponse& res) { Targets(*m, options, req, res); });
  server.Handle("/api/v1/targets/metadata", {"GET"},
                [m](const HttpRequest& req, HttpResponse& res) { TargetsMetadata(*m, req, res); });
  server.Handle("/api/v1/metadata", {"GET"},
                [m](const HttpRequest& req, HttpResponse& res) { Metadata(*m, req, res); });
}

}  // namespace andon::web
