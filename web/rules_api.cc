#include "web/rules_api.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "common/rfc3339.h"
#include "query/printer.h"
#include "templating/go_format.h"
#include "web/api_response.h"
#include "web/targets_api.h"

namespace andon::web {
namespace {

using nlohmann::json;

json MapJson(const std::map<std::string, std::string>& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

json AlertJson(const rules::RuleAlert& a) {
  return json{{"labels", LabelsJson(a.labels)},
              {"annotations", LabelsJson(a.annotations)},
              {"state", rules::AlertStateName(a.state)},
              {"activeAt", FormatRfc3339Trimmed(a.active_at_ms)},
              {"value", templating::FormatGoFloat(a.value, 'e', -1)}};
}

json RuleJson(const rules::RuleSnapshot& r) {
  json j;
  if (r.rule.alerting()) {
    j["state"] = rules::AlertStateName(r.state);
  }
  j["name"] = r.rule.name;
  j["query"] = r.rule.expr ? query::ToString(*r.rule.expr) : r.rule.expr_text;
  if (r.rule.alerting()) {
    j["duration"] = static_cast<double>(r.rule.for_ms) / 1000;
    j["keepFiringFor"] = static_cast<double>(r.rule.keep_firing_for_ms) / 1000;
    j["labels"] = MapJson(r.rule.labels);
    j["annotations"] = MapJson(r.rule.annotations);
    json alerts = json::array();
    for (const rules::RuleAlert& a : r.alerts) alerts.push_back(AlertJson(a));
    j["alerts"] = std::move(alerts);
  } else if (!r.rule.labels.empty()) {
    j["labels"] = MapJson(r.rule.labels);
  }
  j["health"] = rules::RuleHealthName(r.health);
  if (!r.last_error.empty()) j["lastError"] = r.last_error;
  j["evaluationTime"] = r.evaluation_seconds;
  j["lastEvaluation"] = FormatRfc3339Trimmed(r.last_evaluation_ms);
  j["type"] = r.rule.alerting() ? "alerting" : "recording";
  return j;
}

void Rules(const RuleGroupsSource& source, const HttpRequest& req, HttpResponse& res) {
  std::string type = req.Param("type");
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (!type.empty() && type != "alert" && type != "record") {
    return WriteApiError(res, ApiError::kBadData, "not supported value \"" + type + "\"");
  }
  json groups = json::array();
  for (const rules::GroupSnapshot& g : source()) {
    json rules_json = json::array();
    for (const rules::RuleSnapshot& r : g.rules) {
      if ((type == "alert" && !r.rule.alerting()) || (type == "record" && r.rule.alerting())) {
        continue;
      }
      rules_json.push_back(RuleJson(r));
    }
    groups.push_back(json{{"name", g.name},
                          {"file", g.file},
                          {"rules", std::move(rules_json)},
                          {"interval", static_cast<double>(g.interval_ms) / 1000},
                          {"limit", g.limit},
                          {"evaluationTime", g.evaluation_seconds},
                          {"lastEvaluation", FormatRfc3339Trimmed(g.last_evaluation_ms)}});
  }
  WriteApiSuccess(res, json{{"groups", std::move(groups)}});
}

void Alerts(const RuleGroupsSource& source, HttpResponse& res) {
  json alerts = json::array();
  for (const rules::GroupSnapshot& g : source()) {
    for (const rules::RuleSnapshot& r : g.rules) {
      for (const rules::RuleAlert& a : r.alerts) alerts.push_back(AlertJson(a));
    }
  }
  WriteApiSuccess(res, json{{"alerts", std::move(alerts)}});
}

}  // namespace

void RegisterRulesApi(HttpServer& server, RuleGroupsSource groups) {
  server.Handle("/api/v1/rules", {"GET", "POST"},
                [groups](const HttpRequest& req, HttpResponse& res) { Rules(groups, req, res); });
  server.Handle("/api/v1/alerts", {"GET", "POST"},
                [groups](const HttpRequest&, HttpResponse& res) { Alerts(groups, res); });
}

}  // namespace andon::web
