#include "web/api_response.h"

namespace andon::web {

void WriteApiSuccess(HttpResponse& res, const nlohmann::json& data) {
  res.status = 200;
  res.content_type = "application/json";
  // Prometheus's field order: "status" before "data" (a json object would sort them).
  res.body = R"({"status":"success","data":)";
  res.body += data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  res.body += '}';
}

void WriteApiError(HttpResponse& res, ApiError type, std::string_view message) {
  switch (type) {
    case ApiError::kBadData:
      return SetJsonError(res, 400, "bad_data", message);
    case ApiError::kExecution:
      return SetJsonError(res, 422, "execution", message);
    case ApiError::kCanceled:
      return SetJsonError(res, 503, "canceled", message);
    case ApiError::kTimeout:
      return SetJsonError(res, 503, "timeout", message);
    case ApiError::kInternal:
      return SetJsonError(res, 500, "internal", message);
    case ApiError::kNotFound:
      return SetJsonError(res, 404, "not_found", message);
    case ApiError::kUnavailable:
      return SetJsonError(res, 503, "unavailable", message);
  }
}

nlohmann::json LabelsJson(const Labels& labels) {
  nlohmann::json out = nlohmann::json::object();
  for (const Label& l : labels) out[std::string(l.name)] = std::string(l.value);
  return out;
}

}  // namespace andon::web
