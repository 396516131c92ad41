// web/federate_api.cc: see federate_api.h.
#include "web/federate_api.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/labels.h"
#include "common/text_exposition_writer.h"
#include "web/api_params.h"

namespace andon::web {
namespace {

struct LatestSample {
  Labels labels;
  Sample sample;
};

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The latest sample of every series matching any of `sets` within [mint, maxt], each
// series once, ordered by metric name then labels.
Result<std::vector<LatestSample>> SelectLatest(Querier& querier,
                                               const std::vector<std::vector<LabelMatcher>>& sets,
                                               int64_t mint, int64_t maxt) {
  std::vector<LatestSample> out;
  for (const std::vector<LabelMatcher>& matchers : sets) {
    std::unique_ptr<SeriesSet> set = querier.Select(matchers, mint, maxt);
    while (set->Next()) {
      const Series& series = set->At();
      std::unique_ptr<SeriesIterator> it = series.Iterator();
      bool found = false;
      Sample last{};
      while (it->Next()) {
        Sample s = it->At();
        if (s.t > maxt) break;
        last = s;
        found = true;
      }
      if (Status s = it->Err(); !s.ok()) return s;
      if (found) out.push_back({series.labels(), last});
    }
    if (Status s = set->Err(); !s.ok()) return s;
  }
  std::sort(out.begin(), out.end(),
            [](const LatestSample& a, const LatestSample& b) { return a.labels < b.labels; });
  out.erase(std::unique(
                out.begin(), out.end(),
                [](const LatestSample& a, const LatestSample& b) { return a.labels == b.labels; }),
            out.end());
  std::stable_sort(out.begin(), out.end(), [](const LatestSample& a, const LatestSample& b) {
    return a.labels.MetricName() < b.labels.MetricName();
  });
  return out;
}

void AppendLabel(std::string_view name, std::string_view value, bool& first, std::string& out) {
  out.push_back(first ? '{' : ',');
  first = false;
  out.append(name);
  out.append("=\"");
  AppendExpositionLabelValue(value, &out);
  out.push_back('"');
}

std::string Render(const std::vector<LatestSample>& samples, config::LabelMap external) {
  external.try_emplace("instance", "");  // std::map: iterates sorted by name
  std::string out;
  std::string_view family;
  for (const LatestSample& s : samples) {
    if (std::bit_cast<uint64_t>(s.sample.v) == kStaleNaNBits) continue;
    std::string_view name = s.labels.MetricName();
    if (name.empty()) continue;
    if (name != family) {
      family = name;
      out.append("# TYPE ").append(name).append(" untyped\n");
    }
    out.append(name);
    bool first = true;
    for (const Label& l : s.labels) {
      if (l.name == kMetricNameLabel || l.value.empty()) continue;
      AppendLabel(l.name, l.value, first, out);
    }
    for (const auto& [ln, lv] : external) {
      if (!s.labels.Has(ln)) AppendLabel(ln, lv, first, out);
    }
    if (!first) out.push_back('}');
    out.push_back(' ');
    AppendExpositionFloat(s.sample.v, &out);
    out.push_back(' ');
    out.append(std::to_string(s.sample.t));
    out.push_back('\n');
  }
  return out;
}

}  // namespace

void RegisterFederateApi(HttpServer& server, QuerierFactory querier, FederateOptions options) {
  if (!options.now_ms) options.now_ms = WallClockMs;
  server.Handle("/federate", {"GET"},
                [querier = std::move(querier), options = std::move(options)](const HttpRequest& req,
                                                                             HttpResponse& res) {
                  Result<std::vector<std::vector<LabelMatcher>>> sets = MatchParams(req);
                  if (!sets.ok()) {
                    res.status = 400;
                    res.body = sets.status().message() + "\n";
                    return;
                  }
                  const int64_t maxt = options.now_ms();
                  const int64_t mint = maxt - options.lookback_ms;
                  std::unique_ptr<Querier> q = querier(mint, maxt);
                  Result<std::vector<LatestSample>> latest = SelectLatest(*q, *sets, mint, maxt);
                  if (!latest.ok()) {
                    res.status = 500;
                    res.body = "federation failed: " + latest.status().message() + "\n";
                    return;
                  }
                  config::LabelMap external;
                  if (options.external_labels) external = options.external_labels();
                  res.content_type = std::string(kTextExpositionContentType);
                  res.body = Render(*latest, std::move(external));
                });
}

}  // namespace andon::web
