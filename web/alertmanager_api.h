// web/alertmanager_api.h
//
// The alerts, status and receivers part of Alertmanager's API v2 (0.25), over the alert
// router (alerting::Dispatcher), so an existing Prometheus can send its alerts to Andon and
// amtool can query it (`amtool alert query|add`, `amtool config show`, `amtool cluster
// show`; web/silences_api.h serves the silences):
//
//   POST /api/v2/alerts          PostableAlerts; empty 200. An alert without startsAt starts
//                                now (or at its endsAt); one without endsAt is left to the
//                                router, which applies resolve_timeout. Valid alerts of a
//                                batch are kept even when others are invalid, as
//                                Alertmanager does; the invalid ones answer 400 with their
//                                errors joined by "; " as a JSON string.
//   GET  /api/v2/alerts          GettableAlerts, sorted by fingerprint
//   GET  /api/v2/alerts/groups   AlertGroups {alerts, labels, receiver {name}}
//   GET  /api/v2/status          AlertmanagerStatus {cluster {peers: [], status: "disabled"},
//                                config {original}, uptime, versionInfo}
//   GET  /api/v2/receivers       [{name}] in config order
//
// GET /api/v2/alerts[/groups] take Alertmanager's query parameters: active, silenced,
// inhibited (and, for alerts, unprocessed) — booleans, default true, that keep alerts in
// that state; filter=<matcher> (repeated; every matcher must match the alert's labels, a
// missing label reading as ""); receiver=<regex> (anchored; an alert is kept when one of its
// receivers matches, a group when its receiver does).
//
// A GettableAlert is {annotations, endsAt, fingerprint, receivers [{name}], startsAt, status
// {inhibitedBy, silencedBy, state}, updatedAt, generatorURL (when set), labels}; times are
// RFC 3339 UTC with milliseconds. Errors use Alertmanager's shapes: a JSON string for 400s
// from the handlers (bad filter or receiver regex, invalid alerts), go-openapi's
// {"code":N,"message":"..."} for request-level failures (400 undecodable body, 415 a body that
// is not application/json, 422 a missing or mistyped field). With `read_only` a POST answers
// 403 {"code":403,"message":"..."} and changes nothing.
//
// The handlers run on the server's threads; the Dispatcher is thread-safe and it and the
// sources' functions must outlive the server.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "alerting/dispatcher.h"
#include "web/http_server.h"

namespace andon::web {

// AlertmanagerStatus.versionInfo (Alertmanager prints its Go build's values here).
struct AlertmanagerVersionInfo {
  std::string branch;
  std::string build_date;
  std::string build_user;
  std::string go_version;
  std::string revision;
  std::string version;
};

struct AlertmanagerApiSources {
  alerting::Dispatcher* dispatcher = nullptr;  // required: receives POSTs, answers GETs
  // The router configuration as YAML (AlertmanagerStatus.config.original), read per request.
  std::function<std::string()> config_yaml;
  // The configured receivers' names in config order, read per request.
  std::function<std::vector<std::string>()> receivers;
  AlertmanagerVersionInfo version;
  int64_t start_time_ms = 0;  // AlertmanagerStatus.uptime: when the server started
  // Milliseconds since the epoch for filling a missing startsAt; empty: the system clock.
  // Pass the Dispatcher's clock.
  std::function<int64_t()> clock;
  bool read_only = false;  // refuse POST /api/v2/alerts with 403
};

void RegisterAlertmanagerApi(HttpServer& server, AlertmanagerApiSources sources);

}  // namespace andon::web
