// rules/rule_lint.h
//
// The lint checks `promtool check rules --lint=...` runs (Prometheus 2.42). There is one:
// duplicate-rules, which reports rules of one file that share the same name (alert or record)
// and the same labels — across all groups of the file, whatever their expressions — since
// they write or fire the same series. Lint findings are warnings: `andon check rules` prints
// them like promtool and fails only with --lint-fatal. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "rules/finding.h"
#include "rules/rule_file.h"

namespace andon::rules {

// Which lint checks run. Parsed from promtool's --lint value: a comma-separated list of
// "all", "duplicate-rules", "none" (default "duplicate-rules"), and Andon's "policy" (the team
// policy of rules/rule_policy.h). "all" keeps promtool's meaning (duplicate-rules only), so
// a CI job that ran `promtool check rules --lint=all` gets the same verdict from Andon.
struct LintOptions {
  bool duplicate_rules = true;
  bool policy = false;  // "policy": the team policy (findings exit 1)
  bool fatal = false;   // --lint-fatal: lint findings fail the check (exit code 3)
};

// Parses a --lint value. Unknown items are ignored but named in *warnings, as promtool does
// ("WARNING: unknown lint option foo").
LintOptions ParseLintOptions(std::string_view value, std::vector<std::string>* warnings);

// One name + label set that occurs more than once.
struct DuplicateRule {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by name
};

// Every duplicated name + label set of `file`, each reported once, sorted by name then
// labels (as promtool lists them).
std::vector<DuplicateRule> FindDuplicateRules(const RuleFile& file);

// promtool's text for duplicates, without a trailing newline:
//   "2 duplicate rule(s) found.\nMetric: A\nLabel(s):\n\tseverity: page\n...
//    Might cause inconsistency while recording expressions"
std::string FormatDuplicateRules(const std::vector<DuplicateRule>& duplicates);

// Runs the selected checks over `file`; each finding is one message, already prefixed
// "lint error " as promtool prints it. Empty when the file is clean.
std::vector<std::string> LintRuleFile(const RuleFile& file, const LintOptions& options);

// The duplicate-rules lint as findings for --format=json|github: one per rule that repeats
// the name and labels of an earlier rule of the file, at its name, check "duplicate-rules",
// a warning (the caller clears `warning` under --lint-fatal).
std::vector<Finding> DuplicateRuleFindings(const RuleFile& file);

}  // namespace andon::rules
