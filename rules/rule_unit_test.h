// rules/rule_unit_test.h
//
// Rule unit tests in the format of `promtool test rules` (Prometheus 2.42,
// cmd/promtool/unittest.go):
//
//   rule_files: [rules.yml]          # relative to the test file; globs allowed
//   evaluation_interval: 1m          # default 1m
//   group_eval_order: [g1, g2]       # optional; listed groups first, in this order
//   tests:
//     - interval: 1m                 # spacing of input samples (0 when absent)
//       name: optional name
//       external_labels: {region: eu}
//       external_url: http://example.com
//       input_series:
//         - series: 'up{job="api"}'
//           values: '1+2x3 _ stale 0x2' # expanding notation of the PromQL test language
//       alert_rule_test:
//         - eval_time: 5m
//           alertname: InstanceDown
//           exp_alerts: [{exp_labels: {...}, exp_annotations: {...}}]
//       promql_expr_test:
//         - expr: up
//           eval_time: 1m
//           exp_samples: [{labels: 'up{job="api"}', value: 1}]
//
// Each test group gets a fresh in-memory tsdb Head. Input sample i of a series lands at
// i*interval ms from the epoch. The rule groups are evaluated at 0, evaluation_interval, ...
// up to the largest eval_time of the group, in group order; before each evaluation the
// input samples up to that time are appended (lazily, as promtool does). Alerts are compared
// after the evaluation at or just before their eval_time; PromQL expressions are evaluated
// as instant queries after the last evaluation. Comparisons are exact (no epsilon; NaN never
// equals NaN), and failures are worded as promtool words them.
//
// Everything here is single-threaded; a runner owns its Head and Engine.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/labels.h"
#include "common/status.h"

namespace andon::rules {

// One line of a `load` block: a series and its expanded values.
struct SeriesDescription {
  Labels labels;
  std::vector<std::optional<double>> values;  // nullopt: an omitted slot ("_")
};

// Parses "<series> <values>", e.g. `up{job="a"} 0+1x3 _ stale`. The values notation: a
// number (decimal, scientific, Inf, NaN, optionally signed); `AxN` (N+1 copies of A);
// `A+BxN` / `A-BxN` (N+1 values from A, adding B in float64 each time); `_` (one omitted
// slot); `_xN` (N omitted slots); `stale` (a staleness marker). Errors read as Prometheus's
// "1:<column>: parse error: <message>", the column counted in bytes from 1.
Result<SeriesDescription> ParseSeriesDescription(std::string_view line);

// Parses a label set as exp_samples `labels` holds it: `name{a="b"}`, `{a="b"}`, `name`,
// or "" (the empty set). Errors as ParseSeriesDescription's.
Result<Labels> ParseSeriesLabels(std::string_view text);

// Go's strconv.FormatFloat(v, 'E', -1, 64): "1E+00", "1.5E-01", "+Inf", "NaN".
std::string FormatGoFloatE(double v);
// Go's time.Duration.String() of a millisecond count: "0s", "500ms", "1m0s", "2h0m1.5s".
std::string FormatGoDuration(int64_t ms);

// The test file, as read (strictly: unknown keys are errors).
struct InputSeries {
  std::string series;
  std::string values;
};
struct ExpectedAlert {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};
struct AlertTestCase {
  int64_t eval_time_ms = 0;
  std::string alertname;
  std::vector<ExpectedAlert> exp_alerts;
};
struct ExpectedSample {
  std::string labels;
  double value = 0;
};
struct PromqlTestCase {
  std::string expr;
  int64_t eval_time_ms = 0;
  std::vector<ExpectedSample> exp_samples;
};
struct TestGroup {
  int64_t interval_ms = 0;
  std::vector<InputSeries> input_series;
  std::vector<AlertTestCase> alert_rule_test;
  std::vector<PromqlTestCase> promql_expr_test;
  std::map<std::string, std::string> external_labels;
  std::string external_url;
  std::string name;
};
struct UnitTestFile {
  std::vector<std::string> rule_files;
  int64_t evaluation_interval_ms = 0;  // 0: not given (the runner uses 1m)
  std::vector<std::string> group_eval_order;
  std::vector<TestGroup> tests;
};

// Parses a test file. Errors are worded as promtool's YAML decoder words them:
// "yaml: unmarshal errors:\n  line 7: field extra not found in type main.series",
// `not a valid duration string: "abc"`, "yaml: line 3: <syntax problem>".
Result<UnitTestFile> ParseUnitTestFile(std::string_view text);

// The outcome of one test file.
struct UnitTestReport {
  bool unreadable = false;            // the test file could not be read
  std::vector<std::string> warnings;  // "  WARNING: no file match pattern x.yml"
  std::vector<std::string> failures;  // one entry per promtool error, possibly multi-line
  bool passed() const { return !unreadable && failures.empty(); }
};

// Reads, parses and runs every test group of the test file at `path`.
UnitTestReport RunRuleUnitTestFile(const std::string& path);

}  // namespace andon::rules
