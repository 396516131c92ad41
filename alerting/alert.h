// alerting/alert.h
//
// Alert: one alert as the rules layer hands it over and as Alertmanager's API v2 carries it
// (`labels`, `annotations`, `startsAt`, `endsAt`, `generatorURL`). The labels identify the
// alert (its fingerprint); everything else may change between sends. A plain value.
//
// Timing follows Prometheus -> Alertmanager: a firing alert is re-sent periodically with
// `ends_at_ms` a few evaluation intervals ahead (it resolves by itself if the sender dies);
// a resolved alert is sent with `ends_at_ms` set to when it resolved. `ends_at_ms` 0 means
// "unset" (the receiver applies its resolve_timeout).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/labels.h"

namespace andon::alerting {

struct Alert {
  Labels labels;       // includes alertname
  Labels annotations;  // name -> rendered text, sorted by name
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;  // 0: unset
  std::string generator_url;

  // Resolved at `now_ms`: ends_at is set and not after now.
  bool ResolvedAt(int64_t now_ms) const { return ends_at_ms != 0 && ends_at_ms <= now_ms; }
  // Identity for grouping, silencing and de-duplication: the hash of the labels.
  uint64_t Fingerprint() const { return labels.Hash(); }
};

// Adds to every alert the external labels it does not have (an alert's own label wins), as
// Prometheus does before alerts leave the server.
void AddExternalLabels(const Labels& external, std::vector<Alert>* alerts);

}  // namespace andon::alerting
