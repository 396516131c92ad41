#include "web/silences_api.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/rfc3339.h"
#include "web/alertmanager_v2_http.h"

namespace andon::web {
namespace {

using alerting::Silence;
using alerting::Silences;
using config::Matcher;
using Json = nlohmann::ordered_json;

constexpr std::string_view kSilencePrefix = "/api/v2/silence/";

Json MatcherJson(const Matcher& m) {
  bool is_regex = m.op == Matcher::Op::kRegexMatch || m.op == Matcher::Op::kRegexNoMatch;
  bool is_equal = m.op == Matcher::Op::kEqual || m.op == Matcher::Op::kRegexMatch;
  return Json{{"isEqual", is_equal}, {"isRegex", is_regex}, {"name", m.name}, {"value", m.value}};
}

Json SilenceJson(const Silence& s, int64_t now_ms) {
  Json matchers = Json::array();
  for (const Matcher& m : s.matchers) matchers.push_back(MatcherJson(m));
  return Json{{"id", s.id},
              {"status", {{"state", alerting::SilenceStateName(s.StateAt(now_ms))}}},
              {"updatedAt", FormatRfc3339Millis(s.updated_at_ms)},
              {"comment", s.comment},
              {"createdBy", s.created_by},
              {"endsAt", FormatRfc3339Millis(s.ends_at_ms)},
              {"matchers", std::move(matchers)},
              {"startsAt", FormatRfc3339Millis(s.starts_at_ms)}};
}

// Go's name for a JSON value's kind in "cannot unmarshal <kind> into ...".
std::string_view JsonKind(const Json& j) {
  if (j.is_number()) return "number";
  if (j.is_string()) return "string";
  if (j.is_boolean()) return "bool";
  if (j.is_array()) return "array";
  return "object";
}

// A request-level failure: the go-openapi code and message.
struct RequestError {
  int code;
  std::string message;
};

RequestError ParseFailure(std::string_view reason) {
  return {400, fmt::format("parsing silence body from \"\" failed, because {}", reason)};
}

RequestError TypeFailure(const Json& value, std::string_view field, std::string_view type) {
  return ParseFailure(fmt::format("json: cannot unmarshal {} into Go struct field {} of type {}",
                                  JsonKind(value), field, type));
}

// Decodes a PostableSilence as Alertmanager's generated server does: JSON decoding (type
// errors and bad times, in document order) first, then required fields in the schema's
// (alphabetical) order. Unknown fields are ignored.
std::optional<RequestError> DecodeSilence(const std::string& body, Silence* out) {
  Json j;
  try {
    j = Json::parse(body);
  } catch (const Json::parse_error& e) {
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
      return RequestError{kOpenApiRequiredCode, "silence in body is required"};
    }
    return ParseFailure(e.what());
  }
  if (j.is_null()) return RequestError{kOpenApiRequiredCode, "silence in body is required"};
  if (!j.is_object()) {
    return ParseFailure(fmt::format(
        "json: cannot unmarshal {} into Go value of type models.PostableSilence", JsonKind(j)));
  }
  struct MatcherFields {
    std::optional<std::string> name, value;
    std::optional<bool> is_regex, is_equal;
  };
  std::optional<std::string> comment, created_by;
  std::optional<int64_t> starts_at, ends_at;
  std::optional<std::vector<MatcherFields>> matchers;

  for (auto& [key, v] : j.items()) {
    if (v.is_null()) continue;
    if (key == "id" || key == "comment" || key == "createdBy") {
      if (!v.is_string()) {
        return TypeFailure(v, key == "id" ? "PostableSilence.id" : "Silence." + key, "string");
      }
      if (key == "id") out->id = v.get<std::string>();
      if (key == "comment") comment = v.get<std::string>();
      if (key == "createdBy") created_by = v.get<std::string>();
    } else if (key == "startsAt" || key == "endsAt") {
      if (!v.is_string()) return TypeFailure(v, "Silence." + key, "string");
      Result<int64_t> t = ParseApiTime(v.get<std::string>());
      if (!t.ok()) return ParseFailure(t.status().message());
      (key == "startsAt" ? starts_at : ends_at) = *t;
    } else if (key == "matchers") {
      if (!v.is_array()) return TypeFailure(v, "Silence.matchers", "models.Matchers");
      matchers.emplace();
      for (const Json& m : v) {
        MatcherFields f;
        if (!m.is_null() && !m.is_object()) {
          return ParseFailure(fmt::format(
              "json: cannot unmarshal {} into Go value of type models.Matcher", JsonKind(m)));
        }
        if (m.is_object()) {
          for (auto& [mk, mv] : m.items()) {
            if (mv.is_null()) continue;
            if (mk == "name" || mk == "value") {
              if (!mv.is_string()) return TypeFailure(mv, "Matcher.matchers." + mk, "string");
              (mk == "name" ? f.name : f.value) = mv.get<std::string>();
            } else if (mk == "isRegex" || mk == "isEqual") {
              if (!mv.is_boolean()) return TypeFailure(mv, "Matcher.matchers." + mk, "bool");
              (mk == "isRegex" ? f.is_regex : f.is_equal) = mv.get<bool>();
            }
          }
        }
        matchers->push_back(std::move(f));
      }
    }
  }

  auto required = [](std::string_view what) {
    return RequestError{kOpenApiRequiredCode, fmt::format("{} in body is required", what)};
  };
  if (!comment) return required("comment");
  if (!created_by) return required("createdBy");
  if (!ends_at) return required("endsAt");
  if (!matchers) return required("matchers");
  if (matchers->empty()) {
    return RequestError{kOpenApiTooFewItemsCode, "matchers in body should have at least 1 items"};
  }
  for (size_t i = 0; i < matchers->size(); ++i) {
    const MatcherFields& f = (*matchers)[i];
    if (!f.is_regex) return required(fmt::format("matchers.{}.isRegex", i));
    if (!f.name) return required(fmt::format("matchers.{}.name", i));
    if (!f.value) return required(fmt::format("matchers.{}.value", i));
  }
  if (!starts_at) return required("startsAt");

  out->comment = std::move(*comment);
  out->created_by = std::move(*created_by);
  out->starts_at_ms = *starts_at;
  out->ends_at_ms = *ends_at;
  for (MatcherFields& f : *matchers) {
    bool is_equal = f.is_equal.value_or(true);
    Matcher::Op op = *f.is_regex
                         ? (is_equal ? Matcher::Op::kRegexMatch : Matcher::Op::kRegexNoMatch)
                         : (is_equal ? Matcher::Op::kEqual : Matcher::Op::kNotEqual);
    // The regex is compiled (and rejected with Alertmanager's words) by Silences::Set.
    out->matchers.push_back(Matcher{std::move(*f.name), op, std::move(*f.value), nullptr});
  }
  return std::nullopt;
}

bool IsUuid(std::string_view s) {
  static const re2::RE2 re("(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
  return re2::RE2::FullMatch(s, re);
}

void ListSilences(Silences& silences, const HttpRequest& req, HttpResponse& res) {
  Result<std::vector<Matcher>> filter = ParseFilterParams(req);
  if (!filter.ok()) {
    WriteGoJson(res, 400, filter.status().message());
    return;
  }
  int64_t now = silences.Now();
  Json out = Json::array();
  for (const Silence& s : silences.List(*filter, now)) out.push_back(SilenceJson(s, now));
  WriteGoJson(res, 200, out);
}

void PostSilence(Silences& silences, const HttpRequest& req, HttpResponse& res) {
  if (!RequireJsonBody(req, res)) return;
  Silence s;
  if (std::optional<RequestError> err = DecodeSilence(req.body, &s)) {
    WriteOpenApiError(res, err->code, err->message);
    return;
  }
  Result<std::string> id = silences.Set(std::move(s));
  if (!id.ok()) {
    switch (id.status().code()) {
      case Status::Code::kInvalidArgument:
        WriteGoJson(res, 400, id.status().message());
        break;
      case Status::Code::kNotFound:
        WriteGoJson(res, 404, id.status().message());
        break;
      default:
        WriteGoJson(res, 500, id.status().message());
    }
    return;
  }
  WriteGoJson(res, 200, Json{{"silenceID", *id}});
}

void OneSilence(Silences& silences, const HttpRequest& req, HttpResponse& res) {
  std::string id = req.path.substr(kSilencePrefix.size());
  if (id.empty() || id.find('/') != std::string::npos) {
    WriteEmptyJson(res, 404);
    return;
  }
  if (!IsUuid(id)) {
    WriteOpenApiError(
        res, kOpenApiInvalidTypeCode,
        fmt::format("silenceID in path must be of type uuid: {}", GoJsonDump(Json(id))));
    return;
  }
  if (req.method == "DELETE") {
    Status st = silences.Expire(id);
    if (!st.ok()) {
      WriteGoJson(res, 500, st.message());  // Alertmanager 0.25: 500 "silence not found" too
      return;
    }
    WriteEmptyJson(res, 200);
    return;
  }
  std::optional<Silence> s = silences.Get(id);
  if (!s) {
    WriteEmptyJson(res, 404);
    return;
  }
  WriteGoJson(res, 200, SilenceJson(*s, silences.Now()));
}

}  // namespace

Result<int64_t> ParseApiTime(std::string_view text) {
  static const re2::RE2 re(
      R"((\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)"
      R"(([Zz]|[+-]\d{2}:?\d{2})?)");
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  std::string sec_text, frac, zone;
  auto bad = [&] {
    return Status::InvalidArgument(fmt::format("parsing time {}: not an RFC 3339 date-time",
                                               GoJsonDump(Json(std::string(text)))));
  };
  if (!re2::RE2::FullMatch(text, re, &y, &mo, &d, &h, &mi, &sec_text, &frac, &zone)) return bad();
  if (!sec_text.empty()) sec = std::stoi(sec_text);
  using namespace std::chrono;
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return bad();
  int64_t ms = duration_cast<milliseconds>(sys_days(ymd).time_since_epoch()).count() +
               ((h * 60LL + mi) * 60 + sec) * 1000;
  if (!frac.empty()) {
    frac.resize(3, '0');
    ms += std::stoi(frac.substr(0, 3));
  }
  if (!zone.empty() && zone != "Z" && zone != "z") {
    int zh = std::stoi(zone.substr(1, 2));
    int zm = std::stoi(zone.substr(zone.size() - 2));
    if (zh > 23 || zm > 59) return bad();
    int64_t offset = (zh * 60LL + zm) * 60 * 1000;
    ms += zone[0] == '+' ? -offset : offset;
  }
  return ms;
}

void RegisterSilencesApi(HttpServer& server, alerting::Silences& silences,
                         SilencesApiOptions options) {
  server.Handle("/api/v2/silences", {"GET", "POST"},
                [&silences, options](const HttpRequest& req, HttpResponse& res) {
                  if (req.method != "POST") {
                    ListSilences(silences, req, res);
                  } else if (options.read_only) {
                    WriteReadOnlyRefusal(req, res);
                  } else {
                    PostSilence(silences, req, res);
                  }
                });
  server.Handle(std::string(kSilencePrefix), {"GET", "DELETE"},
                [&silences, options](const HttpRequest& req, HttpResponse& res) {
                  if (req.method == "DELETE" && options.read_only) {
                    WriteReadOnlyRefusal(req, res);
                  } else {
                    OneSilence(silences, req, res);
                  }
                });
}

}  // namespace andon::web
