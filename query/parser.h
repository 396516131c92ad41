// query/parser.h
//
// PromQL parser (Prometheus 2.42 grammar, no native histograms): a hand-written
// recursive-descent parser with precedence climbing over query/lexer.h, followed by the
// same type checks Prometheus runs after parsing. It stops at the first error and reports
// it with its position and Prometheus's wording, e.g. `1:14: parse error: unexpected
// <op:+>` or `1:1: parse error: expected type range vector in call to function "rate", got
// instant vector`. Trees deeper than 1000 levels are rejected ("expression nests deeper
// than 1000 levels") so that no input can exhaust the stack. Stateless functions; safe to
// call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "query/ast.h"

namespace andon::query {

struct ParseError {
  PosRange pos;         // byte offsets into the query
  int line = 1;         // 1-based
  int column = 1;       // 1-based, in bytes from the start of the line
  std::string message;  // Prometheus's core message: "unexpected end of input"

  // "<line>:<column>: parse error: <message>", as Prometheus's ParseErr prints.
  std::string ToString() const;
};

// Parses and type-checks an expression. On failure the Status message is
// error->ToString(), and *error (when given) holds the details.
Result<ExprPtr> ParseExpr(std::string_view input, ParseError* error = nullptr);

// Parses a bare series selector as used by /api/v1/series match[] and federation
// (`up{job="x"}`, `{__name__=~"a.*"}`); no offset, @ or range allowed. Returns its
// matchers, the metric-name matcher included.
Result<std::vector<LabelMatcher>> ParseMetricSelector(std::string_view input,
                                                      ParseError* error = nullptr);

}  // namespace andon::query
