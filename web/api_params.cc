#include "web/api_params.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "common/duration.h"
#include "common/rfc3339.h"
#include "query/parser.h"

namespace andon::web {
namespace {

bool ParseFloat(const std::string& s, double* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && p == end;
}

Result<LabelMatcher> ToStorageMatcher(const query::LabelMatcher& m) {
  LabelMatcher::Type type = LabelMatcher::Type::kEqual;
  switch (m.op()) {
    case query::MatchOp::kEqual:
      type = LabelMatcher::Type::kEqual;
      break;
    case query::MatchOp::kNotEqual:
      type = LabelMatcher::Type::kNotEqual;
      break;
    case query::MatchOp::kRegexMatch:
      type = LabelMatcher::Type::kRegexMatch;
      break;
    case query::MatchOp::kRegexNoMatch:
      type = LabelMatcher::Type::kRegexNoMatch;
      break;
  }
  return LabelMatcher::Make(type, m.name(), m.value());
}

}  // namespace

Result<int64_t> ParseApiTime(const std::string& text) {
  double secs = 0;
  if (ParseFloat(text, &secs) && std::isfinite(secs)) {
    double whole = std::trunc(secs);
    double ms = std::round((secs - whole) * 1000);
    if (std::fabs(whole) < 9.2e15)
      return static_cast<int64_t>(whole) * 1000 + static_cast<int64_t>(ms);
  }
  if (Result<int64_t> ms = ParseRfc3339(text); ms.ok()) return ms;
  return Status::InvalidArgument("cannot parse \"" + text + "\" to a valid timestamp");
}

Result<int64_t> ParseApiDuration(const std::string& text) {
  double secs = 0;
  if (ParseFloat(text, &secs)) {
    double ms = secs * 1000;
    if (std::isfinite(ms) && std::fabs(ms) < 9.2e18) return static_cast<int64_t>(std::llround(ms));
  } else if (Result<int64_t> d = ParseDurationMs(text); d.ok()) {
    return *d;
  }
  return Status::InvalidArgument("cannot parse \"" + text + "\" to a valid duration");
}

Result<int64_t> TimeParam(const HttpRequest& req, const std::string& name, int64_t fallback) {
  if (!req.HasParam(name) || req.Param(name).empty()) return fallback;
  Result<int64_t> t = ParseApiTime(req.Param(name));
  if (!t.ok())
    return Status::InvalidArgument("invalid parameter \"" + name + "\": Invalid time value for '" +
                                   name + "': " + t.status().message());
  return t;
}

Result<size_t> LimitParam(const HttpRequest& req) {
  std::string text = req.Param("limit");
  if (text.empty()) return size_t{0};
  size_t limit = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return Status::InvalidArgument("invalid parameter \"limit\": cannot parse \"" + text +
                                   "\" to a valid limit");
  }
  return limit;
}

Result<std::vector<std::vector<LabelMatcher>>> MatchParams(const HttpRequest& req) {
  std::vector<std::vector<LabelMatcher>> sets;
  for (const std::string& text : req.Params("match[]")) {
    Result<std::vector<query::LabelMatcher>> parsed = query::ParseMetricSelector(text);
    if (!parsed.ok()) return parsed.status();
    std::vector<LabelMatcher> set;
    for (const query::LabelMatcher& m : *parsed) {
      Result<LabelMatcher> converted = ToStorageMatcher(m);
      if (!converted.ok()) return converted.status();
      set.push_back(std::move(converted).value());
    }
    sets.push_back(std::move(set));
  }
  return sets;
}

}  // namespace andon::web
