// query/printer.h
//
// Turns a syntax tree back into PromQL text the way Prometheus 2.42 does:
//  - ToString (also Expr::String()) is the canonical one-line form: sorted label matchers
//    without spaces, `sum by (a) (x)`, `a + on (b) group_left () c`, numbers in Go's %v
//    form ("1e+06"), durations in Prometheus's form ("90d", "1h30m"). Parsing its output
//    yields an equal tree.
//  - Prettify is `/api/v1/format_query`: nodes longer than 100 characters are split over
//    lines with two-space indentation per level.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "query/ast.h"

namespace andon::query {

std::string ToString(const Expr& e);
std::string Prettify(const Expr& e);

// Prometheus's model.Duration String(): "0s", "5m", "1h30m", "90d", "2w" (years and weeks
// only when exact), "1s500ms".
std::string FormatPromDuration(int64_t ms);
// Go's %v for a float64: "1", "0.5", "1e+06", "1.5e-07", "+Inf", "-Inf", "NaN".
std::string FormatGoFloat(double v);

}  // namespace andon::query
