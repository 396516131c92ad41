// web/federate_api.h
//
// GET /federate?match[]=<selector>...: the latest sample of every series matching any
// selector, within the lookback window before now, in the text exposition format 0.0.4,
// as Prometheus 2.42 serves it:
//   - series merged over all match[] (each at most once), ordered by metric name (then by
//     labels); series whose latest sample is a staleness marker, and nameless series, are
//     left out;
//   - one "# TYPE <name> untyped" line per metric name, no HELP;
//   - each sample with its own labels (sorted, __name__ excluded), then every external
//     label the series does not have (sorted by name; `instance` is always among them,
//     with an empty value when external_labels lacks it), the value as Go prints it and
//     the timestamp in milliseconds.
// No match[] yields an empty 200; a bad selector is 400 with the parser's message (plain
// text). The answer is always the text format (protobuf negotiation is not offered).
#pragma once

#include <cstdint>
#include <functional>

#include "common/config.h"
#include "web/http_server.h"
#include "web/series_api.h"

namespace andon::web {

struct FederateOptions {
  int64_t lookback_ms = 5 * 60 * 1000;  // --query.lookback-delta
  // global.external_labels of the current config; called once per request.
  std::function<config::LabelMap()> external_labels;
  // Milliseconds since the epoch; the wall clock when unset (tests pin it).
  std::function<int64_t()> now_ms;
};

void RegisterFederateApi(HttpServer& server, QuerierFactory querier, FederateOptions options);

}  // namespace andon::web
