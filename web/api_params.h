// web/api_params.h
//
// Parsing of the request parameters the Prometheus API v1 shares: timestamps (`time`,
// `start`, `end`: RFC 3339 or Unix seconds with a fraction), durations (`step`, `timeout`:
// float seconds or a Prometheus duration), `limit`, and `match[]` series selectors turned
// into storage matchers. Errors carry Prometheus's wording so clients see the same text.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/status.h"
#include "tsdb/label_matcher.h"
#include "web/http_server.h"

namespace andon::web {

inline constexpr int64_t kMinApiTime = std::numeric_limits<int64_t>::min() / 2;
inline constexpr int64_t kMaxApiTime = std::numeric_limits<int64_t>::max() / 2;

// Milliseconds since the epoch. Accepts "1700000000", "1700000000.123" and RFC 3339
// ("2023-11-14T22:13:20Z", "2023-11-14T22:13:20.5+01:00"). Error: cannot parse "x" to a
// valid timestamp.
Result<int64_t> ParseApiTime(const std::string& text);

// Milliseconds. Accepts "15", "0.5" (seconds) and durations ("1m30s"). Error: cannot
// parse "x" to a valid duration.
Result<int64_t> ParseApiDuration(const std::string& text);

// The parameter `name` as a time, `fallback` when absent. Error: invalid parameter "name":
// Invalid time value for 'name': cannot parse ...
Result<int64_t> TimeParam(const HttpRequest& req, const std::string& name, int64_t fallback);

// `limit`: 0 (no limit) when absent; a negative or non-integer value is an error.
Result<size_t> LimitParam(const HttpRequest& req);

// Every `match[]` parameter parsed as a series selector, converted to storage matchers.
Result<std::vector<std::vector<LabelMatcher>>> MatchParams(const HttpRequest& req);

}  // namespace andon::web
