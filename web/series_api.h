// web/series_api.h
//
// The metadata half of Prometheus's query API, answered from storage without the PromQL
// engine: /api/v1/series (match[] required), /api/v1/labels and
// /api/v1/label/<name>/values, each with optional match[], start, end and limit (Grafana
// sends limit; results are cut after sorting). GET and form-encoded POST (label values:
// GET only, as Prometheus). Errors are bad_data (400) for bad parameters and execution
// (422) for storage errors.
#pragma once

#include <functional>
#include <memory>

#include "tsdb/querier.h"
#include "web/http_server.h"

namespace andon::web {

// Opens a Querier over [mint, maxt] (milliseconds, inclusive).
using QuerierFactory = std::function<std::unique_ptr<Querier>(int64_t mint, int64_t maxt)>;

void RegisterSeriesApi(HttpServer& server, QuerierFactory querier);

}  // namespace andon::web
