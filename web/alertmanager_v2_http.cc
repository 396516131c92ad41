#include "web/alertmanager_v2_http.h"

#include <fmt/format.h>

#include <cctype>

namespace andon::web {

std::string GoJsonDump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void WriteGoJson(HttpResponse& res, int status, const nlohmann::ordered_json& body) {
  res.status = status;
  res.content_type = "application/json";
  res.body = GoJsonDump(body) + "\n";
}

void WriteOpenApiError(HttpResponse& res, int code, std::string_view message) {
  res.status = code >= 600 ? 422 : code;
  res.content_type = "application/json";
  res.body = GoJsonDump(nlohmann::ordered_json{{"code", code}, {"message", message}});
}

void WriteEmptyJson(HttpResponse& res, int status) {
  res.status = status;
  res.content_type = "application/json";
  res.body.clear();
}

void WriteReadOnlyRefusal(const HttpRequest& req, HttpResponse& res) {
  WriteOpenApiError(
      res, 403,
      fmt::format("the Alertmanager API is read-only: {} {} refused", req.method, req.path));
}

bool RequireJsonBody(const HttpRequest& req, HttpResponse& res) {
  auto ct = req.headers.find("content-type");
  std::string media = ct == req.headers.end() ? "application/octet-stream" : ct->second;
  media = media.substr(0, media.find(';'));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  std::string lower = media;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "application/json") return true;
  WriteOpenApiError(
      res, 415,
      fmt::format("unsupported media type \"{}\", only [application/json] are allowed", media));
  return false;
}

Result<std::vector<config::Matcher>> ParseFilterParams(const HttpRequest& req) {
  std::vector<config::Matcher> filter;
  for (const std::string& text : req.Params("filter")) {
    Result<std::vector<config::Matcher>> parsed = config::ParseMatchers(text);
    if (!parsed.ok()) return parsed.status();
    // Each filter value is one matcher, as Alertmanager's labels.ParseMatcher reads it.
    if (parsed->size() != 1 || text.find('{') == 0) {
      return Status::InvalidArgument("bad matcher format: " + text);
    }
    filter.push_back(std::move((*parsed)[0]));
  }
  return filter;
}

}  // namespace andon::web
