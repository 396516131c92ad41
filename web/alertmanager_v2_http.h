// web/alertmanager_v2_http.h
//
// The request and response conventions Alertmanager 0.25's API v2 handlers share (its
// go-swagger server), used by web/silences_api.cc and web/alertmanager_api.cc:
//   - a handler's answer is Go's json.Encoder output: the JSON and a newline;
//   - request-level failures are go-openapi's {"code":N,"message":"..."} without a newline,
//     codes of 600 and up (validation) answering 422;
//   - bodies must be application/json (else 415);
//   - a read-only API refuses changes with 403 in go-openapi's shape;
//   - `filter` query parameters are one matcher each (labels.ParseMatcher), errors as a
//     400 JSON string.
// Pure functions, thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/status.h"
#include "web/http_server.h"

namespace andon::web {

constexpr int kOpenApiInvalidTypeCode = 601;  // a value of the wrong type or format
constexpr int kOpenApiRequiredCode = 602;     // a required value is missing
constexpr int kOpenApiTooFewItemsCode = 612;  // minItems

// JSON text as Go prints it (invalid UTF-8 replaced).
std::string GoJsonDump(const nlohmann::ordered_json& j);

void WriteGoJson(HttpResponse& res, int status, const nlohmann::ordered_json& body);
void WriteOpenApiError(HttpResponse& res, int code, std::string_view message);
void WriteEmptyJson(HttpResponse& res, int status);

// The answer of a read-only API to a request that would change something: 403
// {"code":403,"message":"the Alertmanager API is read-only: POST /api/v2/alerts refused"}.
void WriteReadOnlyRefusal(const HttpRequest& req, HttpResponse& res);

// Whether the body is application/json; otherwise writes go-openapi's 415 and returns false.
bool RequireJsonBody(const HttpRequest& req, HttpResponse& res);

// The request's `filter` parameters as matchers; the error is the 400 message.
Result<std::vector<config::Matcher>> ParseFilterParams(const HttpRequest& req);

}  // namespace andon::web
