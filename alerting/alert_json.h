// alerting/alert_json.h
//
// Alerts as JSON in Alertmanager's API v2 "postable alert" shape, which Prometheus POSTs to
// /api/v2/alerts and Andon's own /api/v2/alerts accepts:
//
//   [{"annotations": {"summary": "..."}, "endsAt": "2026-01-02T03:04:05.678Z",
//     "startsAt": "2026-01-02T03:00:00.000Z", "generatorURL": "http://...",
//     "labels": {"alertname": "Down", "job": "api"}}]
//
// Encoding writes the fields in the order Prometheus 2.42 does, times as RFC 3339 with
// milliseconds in UTC, and leaves out what is unset (no annotations, endsAt 0, empty
// generatorURL). Decoding accepts any RFC 3339 time (fraction and offset optional) and
// leaves missing times at 0; ValidateAlert then checks what Alertmanager checks, with
// Alertmanager's words ("at least one label pair required", "start time must be before end
// time", "invalid label set: invalid name \"1x\"").
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alerting/alert.h"
#include "common/status.h"

namespace andon::alerting {

// A JSON array of postable alerts.
std::string EncodePostableAlerts(std::span<const Alert> alerts);

// Parses a JSON array of postable alerts. Errors are worded as Alertmanager's API reports
// a body it cannot use: "parsing alerts body failed, because ..." for malformed JSON or a
// non-array, "0.labels in body is required", "1.startsAt in body must be of type
// date-time: \"yesterday\"".
Result<std::vector<Alert>> DecodePostableAlerts(std::string_view json);

// Alertmanager's checks of an alert it received (after it filled in missing times).
Status ValidateAlert(const Alert& alert);

// Alertmanager's fingerprint of a label set (FNV-1a over the sorted name/value pairs, as
// Prometheus' model package computes it), as 16 lower-case hex digits: what the webhook
// payload and Alertmanager's API call an alert's "fingerprint".
std::string AlertmanagerFingerprint(const Labels& labels);

}  // namespace andon::alerting
