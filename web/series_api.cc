#include "web/series_api.h"

#include <nlohmann/json.hpp>
#include <set>

#include "common/labels.h"
#include "web/api_params.h"
#include "web/api_response.h"

namespace andon::web {
namespace {

struct Range {
  int64_t start;
  int64_t end;
};

Result<Range> RangeParams(const HttpRequest& req) {
  Result<int64_t> start = TimeParam(req, "start", kMinApiTime);
  if (!start.ok()) return start.status();
  Result<int64_t> end = TimeParam(req, "end", kMaxApiTime);
  if (!end.ok()) return end.status();
  return Range{*start, *end};  // end < start is no error: it matches nothing (Prometheus)
}

// Sorted, de-duplicated union of `lists`, cut to `limit` (0 = all).
nlohmann::json SortedUnion(std::set<std::string> all, size_t limit) {
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& s : all) {
    if (limit != 0 && out.size() == limit) break;
    out.push_back(s);
  }
  return out;
}

void Series(const QuerierFactory& open, const HttpRequest& req, HttpResponse& res) {
  auto sets = MatchParams(req);
  if (!sets.ok()) return WriteApiError(res, ApiError::kBadData, sets.status().message());
  if (sets->empty()) return WriteApiError(res, ApiError::kBadData, "no match[] parameter provided");
  auto range = RangeParams(req);
  if (!range.ok()) return WriteApiError(res, ApiError::kBadData, range.status().message());
  auto limit = LimitParam(req);
  if (!limit.ok()) return WriteApiError(res, ApiError::kBadData, limit.status().message());
  if (range->end < range->start) return WriteApiSuccess(res, nlohmann::json::array());

  std::unique_ptr<Querier> q = open(range->start, range->end);
  std::set<Labels, decltype([](const Labels& a, const Labels& b) { return Compare(a, b) < 0; })>
      found;
  for (const auto& matchers : *sets) {
    std::unique_ptr<SeriesSet> ss = q->Select(matchers, range->start, range->end);
    while (ss->Next()) found.insert(ss->At().labels());
    if (Status s = ss->Err(); !s.ok()) {
      return WriteApiError(res, ApiError::kExecution, s.message());
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (const Labels& l : found) {
    if (*limit != 0 && out.size() == *limit) break;
    out.push_back(LabelsJson(l));
  }
  WriteApiSuccess(res, out);
}

void LabelNames(const QuerierFactory& open, const HttpRequest& req, HttpResponse& res) {
  auto sets = MatchParams(req);
  if (!sets.ok()) return WriteApiError(res, ApiError::kBadData, sets.status().message());
  auto range = RangeParams(req);
  if (!range.ok()) return WriteApiError(res, ApiError::kBadData, range.status().message());
  auto limit = LimitParam(req);
  if (!limit.ok()) return WriteApiError(res, ApiError::kBadData, limit.status().message());
  if (range->end < range->start) return WriteApiSuccess(res, nlohmann::json::array());

  std::unique_ptr<Querier> q = open(range->start, range->end);
  if (sets->empty()) sets->emplace_back();  // all series
  std::set<std::string> names;
  for (const auto& matchers : *sets) {
    auto got = q->LabelNames(matchers);
    if (!got.ok()) return WriteApiError(res, ApiError::kExecution, got.status().message());
    names.insert(got->begin(), got->end());
  }
  WriteApiSuccess(res, SortedUnion(std::move(names), *limit));
}

void LabelValues(const QuerierFactory& open, const std::string& name, const HttpRequest& req,
                 HttpResponse& res) {
  if (!IsValidLabelName(name)) {
    return WriteApiError(res, ApiError::kBadData, "invalid label name: \"" + name + "\"");
  }
  auto sets = MatchParams(req);
  if (!sets.ok()) return WriteApiError(res, ApiError::kBadData, sets.status().message());
  auto range = RangeParams(req);
  if (!range.ok()) return WriteApiError(res, ApiError::kBadData, range.status().message());
  auto limit = LimitParam(req);
  if (!limit.ok()) return WriteApiError(res, ApiError::kBadData, limit.status().message());
  if (range->end < range->start) return WriteApiSuccess(res, nlohmann::json::array());

  std::unique_ptr<Querier> q = open(range->start, range->end);
  if (sets->empty()) sets->emplace_back();
  std::set<std::string> values;
  for (const auto& matchers : *sets) {
    auto got = q->LabelValues(name, matchers);
    if (!got.ok()) return WriteApiError(res, ApiError::kExecution, got.status().message());
    values.insert(got->begin(), got->end());
  }
  WriteApiSuccess(res, SortedUnion(std::move(values), *limit));
}

}  // namespace

void RegisterSeriesApi(HttpServer& server, QuerierFactory querier) {
  auto open = std::make_shared<const QuerierFactory>(std::move(querier));
  server.Handle("/api/v1/series", {"GET", "POST"},
                [open](const HttpRequest& req, HttpResponse& res) { Series(*open, req, res); });
  server.Handle("/api/v1/labels", {"GET", "POST"},
                [open](const HttpRequest& req, HttpResponse& res) { LabelNames(*open, req, res); });
  server.Handle("/api/v1/label/", {"GET"}, [open](const HttpRequest& req, HttpResponse& res) {
    constexpr std::string_view kPrefix = "/api/v1/label/";
    constexpr std::string_view kSuffix = "/values";
    std::string_view rest = std::string_view(req.path).substr(kPrefix.size());
    if (!rest.ends_with(kSuffix)) {
      return WriteApiError(res, ApiError::kNotFound, "path " + req.path + " not found");
    }
    LabelValues(*open, std::string(rest.substr(0, rest.size() - kSuffix.size())), req, res);
  });
}

}  // namespace andon::web
