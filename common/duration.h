// common/duration.h
//
// Prometheus duration syntax: one or more <integer><unit> pairs, units in descending order
// and each at most once, units y w d h m s ms ("1h30m", "15s", "1d", "500ms"). A year is
// 365 days, a week 7 days. "0" alone is allowed. Durations are held in milliseconds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace andon {

// Parses a duration; the error message quotes the input ("not a valid duration string").
Result<int64_t> ParseDurationMs(std::string_view text);

// Formats milliseconds the way Prometheus prints durations: largest units first, zero parts
// omitted ("1h30m", "15s", "0s").
std::string FormatDurationMs(int64_t ms);

}  // namespace andon
