// web/api_response.h
//
// The Prometheus API v1 JSON envelope: {"status":"success","data":...} on success and
// {"status":"error","errorType":...,"error":...} on failure, with the HTTP status code
// Prometheus uses for each error type.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/labels.h"
#include "web/http_server.h"

namespace andon::web {

enum class ApiError {
  kBadData,
  kExecution,
  kCanceled,
  kTimeout,
  kInternal,
  kNotFound,
  kUnavailable
};

void WriteApiSuccess(HttpResponse& res, const nlohmann::json& data);

// A label set as a JSON object, {"name":"value",...}, as the API shows metrics.
nlohmann::json LabelsJson(const Labels& labels);
void WriteApiError(HttpResponse& res, ApiError type, std::string_view message);

}  // namespace andon::web
