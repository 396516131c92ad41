#include "web/api_params.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "common/duration.h"
#include "query/parser.h"

namespace andon::web {
namespace {

// "2006-01-02T15:04:05[.frac](Z|±hh:mm)" to milliseconds.
bool ParseRfc3339(const std::string& s, int64_t* out) {
  int y, mo, d, h, mi, sec, consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &consumed) !=
          6 ||
      consumed != 19) {
    return false;
  }
  size_t i = 19;
  int64_t frac_ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    int64_t scale = 100;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (digits < 3) frac_ms += (s[i] - '0') * scale;
      scale /= 10;
      ++digits;
      ++i;
    }
    if (digits == 0) return false;
  }
  int64_t offset_s = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) return false;
    offset_s = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return false;
  }
  if (i != s.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
    return false;
  }
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(mo),
                                  std::chrono::day(d)};
  if (!ymd.ok()) return false;
  int64_t days = std::chrono::sys_days(ymd).time_since_epoch().count();
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  *out = secs * 1000 + frac_ms;
  return true;
}

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
  int64_t ms = 0;
  if (ParseRfc3339(text, &ms)) return ms;
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
