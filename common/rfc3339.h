// common/rfc3339.h: RFC 3339 times as the APIs Andon mimics print and read them, in Unix
// milliseconds, UTC. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace andon {

// "2026-01-02T03:04:05.678Z": always three fraction digits (go-openapi's strfmt.DateTime, as
// Alertmanager's API v2 prints times).
std::string FormatRfc3339Millis(int64_t unix_ms);
// "2026-01-02T03:04:05.6Z": the fraction without trailing zeros (Go's time.Time in JSON, as
// Prometheus's API and Alertmanager's webhook print times); 0 is Go's zero time,
// "0001-01-01T00:00:00Z".
std::string FormatRfc3339Trimmed(int64_t unix_ms);
// Strict RFC 3339 ("2026-01-02T03:04:05Z", "...05.5+02:00"; fractions beyond milliseconds
// truncated). The error reads `parsing time "x" as RFC 3339 failed`.
Result<int64_t> ParseRfc3339(std::string_view s);

}  // namespace andon
