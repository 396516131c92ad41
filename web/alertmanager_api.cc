#include "web/alertmanager_api.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "alerting/alert_json.h"
#include "alerting/inhibitor.h"
#include "common/rfc3339.h"
#include "web/alertmanager_v2_http.h"

namespace andon::web {
namespace {

using alerting::Alert;
using alerting::AlertGroupView;
using alerting::AlertStatusView;
using config::Matcher;
using Json = nlohmann::ordered_json;

constexpr std::string_view kParseFailurePrefix = "parsing alerts body failed, because ";
// Go's zero time.Time, 0001-01-01T00:00:00Z, which amtool sends for a time it was not given.
constexpr int64_t kGoZeroTimeMs = -62'135'596'800'000;

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Json LabelsJson(const Labels& labels) {
  Json out = Json::object();
  for (const Label& l : labels) out[std::string(l.name)] = std::string(l.value);
  return out;
}

// A decoding failure as go-openapi reports it: 422 for a missing field, else 400 naming the
// body it could not parse.
void WriteDecodeError(HttpResponse& res, std::string_view message) {
  if (message.ends_with(" in body is required")) {
    WriteOpenApiError(res, kOpenApiRequiredCode, message);
    return;
  }
  if (message.starts_with(kParseFailurePrefix)) message.remove_prefix(kParseFailurePrefix.size());
  WriteOpenApiError(res, 400,
                    fmt::format("parsing alerts body from \"\" failed, because {}", message));
}

void PostAlerts(const AlertmanagerApiSources& src, const HttpRequest& req, HttpResponse& res) {
  if (!RequireJsonBody(req, res)) return;
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    WriteOpenApiError(res, kOpenApiRequiredCode, "alerts in body is required");
    return;
  }
  Result<std::vector<Alert>> alerts = alerting::DecodePostableAlerts(req.body);
  if (!alerts.ok()) {
    WriteDecodeError(res, alerts.status().message());
    return;
  }
  const int64_t now = src.clock ? src.clock() : SystemNowMs();
  std::vector<Alert> valid;
  std::string errors;
  for (Alert& a : *alerts) {
    if (a.starts_at_ms == kGoZeroTimeMs) a.starts_at_ms = 0;
    if (a.ends_at_ms == kGoZeroTimeMs) a.ends_at_ms = 0;
    // A missing endsAt stays 0: the router's store applies resolve_timeout and marks the
    // alert as timing out, as Alertmanager's API does before it stores the alert.
    if (a.starts_at_ms == 0) a.starts_at_ms = a.ends_at_ms != 0 ? a.ends_at_ms : now;
    if (Status st = alerting::ValidateAlert(a); !st.ok()) {
      if (!errors.empty()) errors += "; ";
      errors += st.message();
      continue;
    }
    valid.push_back(std::move(a));
  }
  if (!valid.empty()) src.dispatcher->Send(std::move(valid));
  if (!errors.empty()) {
    WriteGoJson(res, 400, errors);
    return;
  }
  WriteEmptyJson(res, 200);
}

// Which alerts a GET keeps: Alertmanager's query parameters.
struct AlertFilter {
  bool active = true;
  bool silenced = true;
  bool inhibited = true;
  std::vector<Matcher> matchers;
  std::unique_ptr<re2::RE2> receiver;  // null: any

  bool Keeps(const AlertStatusView& v) const {
    if (!active && v.state == "active") return false;
    if (!silenced && !v.silenced_by.empty()) return false;
    if (!inhibited && !v.inhibited_by.empty()) return false;
    return alerting::MatchersMatch(matchers, v.alert.labels);
  }
  bool KeepsReceiver(std::string_view name) const {
    return receiver == nullptr || re2::RE2::FullMatch(name, *receiver);
  }
};

// go-openapi's reading of a boolean query parameter (swag.ConvertBool); empty: the default.
bool ParseBoolParam(const HttpRequest& req, const std::string& name, bool* out, HttpResponse& res) {
  std::string v = req.Param(name);
  if (v.empty()) return true;
  std::string lower = v;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* t :
       {"true", "1", "yes", "ok", "y", "on", "selected", "checked", "t", "enabled"}) {
    if (lower == t) {
      *out = true;
      return true;
    }
  }
  for (const char* f : {"false", "0", "no", "n", "off", "f", "disabled"}) {
    if (lower == f) {
      *out = false;
      return true;
    }
  }
  WriteOpenApiError(res, kOpenApiInvalidTypeCode,
                    fmt::format("{} in query must be of type bool: {}", name, GoJsonDump(v)));
  return false;
}

std::optional<AlertFilter> ParseAlertFilter(const HttpRequest& req, HttpResponse& res) {
  AlertFilter f;
  if (!ParseBoolParam(req, "active", &f.active, res) ||
      !ParseBoolParam(req, "silenced", &f.silenced, res) ||
      !ParseBoolParam(req, "inhibited", &f.inhibited, res)) {
    return std::nullopt;
  }
  bool unprocessed = true;  // the router has no unprocessed state: accepted, changes nothing
  if (!ParseBoolParam(req, "unprocessed", &unprocessed, res)) return std::nullopt;
  Result<std::vector<Matcher>> matchers = ParseFilterParams(req);
  if (!matchers.ok()) {
    WriteGoJson(res, 400, matchers.status().message());
    return std::nullopt;
  }
  f.matchers = std::move(*matchers);
  if (std::string r = req.Param("receiver"); !r.empty()) {
    re2::RE2::Options opts;
    opts.set_log_errors(false);
    f.receiver = std::make_unique<re2::RE2>("^(?:" + r + ")$", opts);
    if (!f.receiver->ok()) {
      WriteGoJson(res, 400, "error parsing regexp: " + f.receiver->error());
      return std::nullopt;
    }
  }
  return f;
}

Json GettableAlertJson(const AlertStatusView& v) {
  Json receivers = Json::array();
  for (const std::string& r : v.receivers) receivers.push_back(Json{{"name", r}});
  Json j =
      Json{{"annotations", LabelsJson(v.alert.annotations)},
           {"endsAt", FormatRfc3339Millis(v.alert.ends_at_ms)},
           {"fingerprint", v.fingerprint},
           {"receivers", std::move(receivers)},
           {"startsAt", FormatRfc3339Millis(v.alert.starts_at_ms)},
           {"status",
            {{"inhibitedBy", v.inhibited_by}, {"silencedBy", v.silenced_by}, {"state", v.state}}},
           {"updatedAt", FormatRfc3339Millis(v.updated_at_ms)}};
  if (!v.alert.generator_url.empty()) j["generatorURL"] = v.alert.generator_url;
  j["labels"] = LabelsJson(v.alert.labels);
  return j;
}

void GetAlerts(const AlertmanagerApiSources& src, const HttpRequest& req, HttpResponse& res) {
  std::optional<AlertFilter> filter = ParseAlertFilter(req, res);
  if (!filter) return;
  std::vector<AlertStatusView> alerts = src.dispatcher->Alerts();
  std::vector<Json> kept;
  for (const AlertStatusView& v : alerts) {
    if (!filter->Keeps(v)) continue;
    if (filter->receiver != nullptr &&
        std::none_of(v.receivers.begin(), v.receivers.end(),
                     [&](const std::string& r) { return filter->KeepsReceiver(r); })) {
      continue;
    }
    kept.push_back(GettableAlertJson(v));
  }
  std::sort(kept.begin(), kept.end(), [](const Json& a, const Json& b) {
    return a["fingerprint"].get_ref<const std::string&>() <
           b["fingerprint"].get_ref<const std::string&>();
  });
  Json out = Json::array();
  for (Json& j : kept) out.push_back(std::move(j));
  WriteGoJson(res, 200, out);
}

void GetAlertGroups(const AlertmanagerApiSources& src, const HttpRequest& req, HttpResponse& res) {
  std::optional<AlertFilter> filter = ParseAlertFilter(req, res);
  if (!filter) return;
  Json out = Json::array();
  for (const AlertGroupView& g : src.dispatcher->Groups()) {
    if (!filter->KeepsReceiver(g.receiver)) continue;
    Json alerts = Json::array();
    for (const AlertStatusView& v : g.alerts) {
      if (filter->Keeps(v)) alerts.push_back(GettableAlertJson(v));
    }
    if (alerts.empty()) continue;
    out.push_back(Json{{"alerts", std::move(alerts)},
                       {"labels", LabelsJson(g.labels)},
                       {"receiver", {{"name", g.receiver}}}});
  }
  WriteGoJson(res, 200, out);
}

void GetStatus(const AlertmanagerApiSources& src, HttpResponse& res) {
  const AlertmanagerVersionInfo& v = src.version;
  WriteGoJson(res, 200,
              Json{{"cluster", {{"peers", Json::array()}, {"status", "disabled"}}},
                   {"config", {{"original", src.config_yaml ? src.config_yaml() : ""}}},
                   {"uptime", FormatRfc3339Millis(src.start_time_ms)},
                   {"versionInfo",
                    {{"branch", v.branch},
                     {"buildDate", v.build_date},
                     {"buildUser", v.build_user},
                     {"goVersion", v.go_version},
                     {"revision", v.revision},
                     {"version", v.version}}}});
}

void GetReceivers(const AlertmanagerApiSources& src, HttpResponse& res) {
  Json out = Json::array();
  if (src.receivers) {
    for (const std::string& name : src.receivers()) out.push_back(Json{{"name", name}});
  }
  WriteGoJson(res, 200, out);
}

}  // namespace

void RegisterAlertmanagerApi(HttpServer& server, AlertmanagerApiSources sources) {
  auto src = std::make_shared<const AlertmanagerApiSources>(std::move(sources));
  server.Handle("/api/v2/alerts", {"GET", "POST"},
                [src](const HttpRequest& req, HttpResponse& res) {
                  if (req.method != "POST") {
                    GetAlerts(*src, req, res);
                  } else if (src->read_only) {
                    WriteReadOnlyRefusal(req, res);
                  } else {
                    PostAlerts(*src, req, res);
                  }
                });
  server.Handle("/api/v2/alerts/groups", {"GET"}, [src](const HttpRequest& req, HttpResponse& res) {
    GetAlertGroups(*src, req, res);
  });
  server.Handle("/api/v2/status", {"GET"},
                [src](const HttpRequest&, HttpResponse& res) { GetStatus(*src, res); });
  server.Handle("/api/v2/receivers", {"GET"},
                [src](const HttpRequest&, HttpResponse& res) { GetReceivers(*src, res); });
}

}  // namespace andon::web
