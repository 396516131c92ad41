// web/query_json.h
//
// Writes PromQL results in the Prometheus API v1 JSON shape, byte for byte as Prometheus
// 2.42 does: {"resultType":"vector","result":[{"metric":{...},"value":[1700000000.5,"1"]}]},
// "matrix" with "values", "scalar" and "string" as a bare [time, "value"] pair. Timestamps
// are seconds with up to 3 decimals; sample values are strings in Go's shortest fixed
// notation ("0.1", "1000000", "NaN", "+Inf", "-Inf"). Written directly as text: large
// matrices never pass through a JSON tree.
#pragma once

#include <string>
#include <string_view>

#include "query/value.h"

namespace andon::web {

// Appends the "data" object of a query response (resultType + result).
void AppendQueryData(std::string& out, const query::Value& value);

// `s` as a JSON string the way Go's encoding/json writes it (Prometheus's encoder): <, >
// and & as \u003c \u003e \u0026, other control bytes as \u00XX except \n \r \t, U+2028
// and U+2029 escaped, each byte of invalid UTF-8 as \ufffd.
void AppendJsonString(std::string& out, std::string_view s);

// Go's strconv.FormatFloat(v, 'f', -1, 64), as the API prints sample values.
void AppendSampleValue(std::string& out, double v);

// Milliseconds as float seconds ("1700000000", "1700000000.5", "-0.001"), as scalar and
// string results print their time. Vector and matrix points print a fraction as exactly
// three digits ("1700000000.500"), as Prometheus's jsonutil.MarshalTimestamp does.
void AppendTimestamp(std::string& out, int64_t ms);

}  // namespace andon::web
