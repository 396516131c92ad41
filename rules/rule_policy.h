// rules/rule_policy.h
//
// Andon's team policy for rule files (GitHub issue 6): checks that teams run in CI on top of
// promtool's validation, configured by the `lint:` section of andon.yml (config::LintConfig)
// or by `andon check rules --lint.*` flags. Each check has an id, printed with its findings:
//
//   alert-name-case       an alert name that is not CamelCase (^[A-Z][A-Za-z0-9]*$)
//   required-label        an alerting rule without one of `required_labels`, or with it empty
//   severity-value        the `severity_label` of an alerting rule not in `allowed_severities`
//   required-annotation   an alerting rule without one of `required_annotations`, or empty
//   for-too-short         an alerting rule whose `for` is set (non-zero) but shorter than its
//                         group's evaluation interval: pending can only end at an evaluation,
//                         so such a `for` waits a whole interval anyway. `for` unset (0) is
//                         allowed: it fires at the first evaluation on purpose (Watchdog).
//   rate-range-too-short  a range selector under one of `rate_functions` (default rate,
//                         increase, irate, delta, idelta) shorter than
//                         `min_rate_range_intervals` (default 4) x the scrape interval: the
//                         interval of the scrape job a `job="x"` matcher names when the config
//                         has that job, else the global one. For a subquery directly under such
//                         a function, the subquery's step (or the group's interval) takes the
//                         scrape interval's place. Selectors inside subqueries are checked too.
//   unknown-team          the `team` label of an alerting rule names no team of the config's
//                         `teams` section (whose routes match team="<name>"), so its alerts
//                         would fall through to the default receiver. Only when the config has
//                         teams; templated values ("{{ ... }}") are not checked.
//
// Recording rules get rate-range-too-short only (names, labels and annotations of recorded
// series follow other conventions). An empty list, 0 or false in LintConfig switches the
// corresponding check off. Findings point at the offending key (label, annotation, `for`,
// alert name) or, for a range selector, at the selector inside the expression when the
// expression stands verbatim in the file (Rule::ExprPos). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/status.h"
#include "rules/finding.h"
#include "rules/rule_file.h"

namespace andon::rules {

// The check ids above, in the order they are listed.
extern const std::vector<std::string> kPolicyChecks;

struct PolicyOptions {
  config::LintConfig lint;
  int64_t evaluation_interval_ms = 60 * 1000;             // for groups without `interval`
  int64_t scrape_interval_ms = 60 * 1000;                 // for selectors naming no known job
  std::map<std::string, int64_t> job_scrape_interval_ms;  // job_name -> scrape interval
  std::vector<std::string> known_teams;  // the config's `teams`; empty: unknown-team is off
};

// The policy of a loaded configuration: its `lint:` section (defaults when absent), global
// evaluation and scrape intervals, every scrape job's effective interval, and its teams.
PolicyOptions PolicyFromConfig(const config::Config& config);

// Fails (InvalidArgument, naming the setting) when `rate_functions` names something that is
// not a PromQL function over a range vector, or an interval is not positive.
Status ValidatePolicy(const PolicyOptions& options);

// Every policy finding of `file`, sorted by position (then by check order for one position).
std::vector<Finding> CheckPolicy(const RuleFile& file, const PolicyOptions& options);

// "high_cpu_usage" -> "HighCpuUsage", "apiDown" -> "ApiDown": the suggestion printed with
// alert-name-case findings.
std::string ToCamelCase(const std::string& name);

}  // namespace andon::rules
