// scrape/content_type.h
//
// Content negotiation for scrapes: the Accept header a scrape sends (the one Prometheus
// 2.42 sends: OpenMetrics 1.0.0 preferred, then OpenMetrics 0.0.1, then text 0.0.4) and
// the choice of parser from the response's Content-Type. Like Prometheus, only the media
// type decides (case-insensitive, parameters such as version are ignored):
// "application/openmetrics-text" is OpenMetrics, anything else, a missing header or one
// that does not parse as a media type is the Prometheus text format. Stateless,
// thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "scrape/exposition_parser.h"

namespace andon::scrape {

inline constexpr std::string_view kScrapeAcceptHeader =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

enum class ExpositionFormat { kPrometheusText, kOpenMetrics };

ExpositionFormat FormatFromContentType(std::string_view content_type);

// A parser of `body` (which must outlive it) for the format named by `content_type`.
std::unique_ptr<ExpositionParser> NewExpositionParser(std::string_view content_type,
                                                      std::string_view body);

}  // namespace andon::scrape
