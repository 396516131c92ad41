// common/text_exposition_writer.h
//
// Renders FamilySnapshots (common/metrics_registry.h) in the Prometheus text exposition
// format 0.0.4, the body served on /metrics:
//
//   # HELP <name> <help, with \ and newline escaped>
//   # TYPE <name> counter|gauge|histogram
//   <name>{<label>="<value, with \ " and newline escaped>",...} <value>
//
// Histograms write <name>_bucket{...,le="<bound>"} cumulatively ending with le="+Inf",
// then <name>_sum and <name>_count. Families and children are written in the order given
// (MetricsRegistry::Gather() sorts them). No timestamps are written. Stateless functions,
// safe to call from any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/metrics_registry.h"

namespace andon {

inline constexpr std::string_view kTextExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// Appends the exposition of `families` to `out`.
void AppendTextExposition(std::span<const FamilySnapshot> families, std::string* out);
std::string TextExposition(std::span<const FamilySnapshot> families);

// Formats a sample value as Go's strconv.FormatFloat(v, 'g', -1, 64) does, which is what
// Prometheus clients print: the shortest digits that read back as the same double, in
// exponent form when the decimal exponent is below -4 or at least 6 ("0.25", "123456",
// "1e+06", "1.5e-05"), and "+Inf", "-Inf", "NaN".
std::string FormatExpositionFloat(double v);
void AppendExpositionFloat(double v, std::string* out);

// Appends a label value escaped for the text format (\\, \" and newline), without quotes.
void AppendExpositionLabelValue(std::string_view value, std::string* out);

}  // namespace andon
