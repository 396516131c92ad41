// rules/finding.h
//
// One problem `andon check rules` reports about a rule file, in a shape every output format
// can print: the team policy's findings (rules/rule_policy.h), promtool's duplicate-rules
// lint (rules/rule_lint.h) and the validation errors of a file that does not load. Three
// renderings, chosen with `andon check rules --format=text|json|github`:
//
//   text    r.yml:7:9: group "g", rule 1, "high_cpu": alert name ... (alert-name-case)
//   json    a JSON array of objects with the fields of Finding (see FindingsToJson)
//   github  ::error file=r.yml,line=7,col=9,title=andon alert-name-case::group "g", ...
//
// Plain values and pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "rules/rule_file.h"

namespace andon::rules {

struct Finding {
  std::string file;
  FilePos pos;            // {0, 0} when the problem has no position
  std::string group;      // empty when the problem is not about one rule
  size_t rule_index = 0;  // 1-based within the group; 0 when not about one rule
  std::string rule;       // the rule's alert or record name
  std::string check;      // the check id: "required-label", "invalid-rule-file", ...
  std::string message;    // without position, rule context or check id
  bool warning = false;   // a lint warning that does not fail the check (duplicate-rules)

  // `group "g", rule N, "name": ` when the finding is about a rule, else "".
  std::string RuleContext() const;
};

// "file:line:col: group "g", rule N, "name": message (check)"; the position is left out when
// unknown ("file: ...").
std::string FormatFindingText(const Finding& f);

// A GitHub Actions workflow command, one line: `::error file=F,line=L,col=C,title=andon
// <check>::<rule context><message>` (`::warning` for warnings; line and col only when known).
// Property values escape % \r \n : , and the message escapes % \r \n, as the runner expects.
std::string FormatFindingGithub(const Finding& f);

// A JSON array (pretty-printed, trailing newline) of objects with the stable fields
//   file, line, column, group, rule_index, rule, check, level ("error"|"warning"), message
// where line/column/group/rule_index/rule are null when unknown.
std::string FindingsToJson(const std::vector<Finding>& findings);

// The findings of a file that failed to load: one per line of the status message (each
// "file:line:col: ..." as ParseRuleFile writes them; the position is parsed back out), with
// check "unreadable-file" for an IOError and `invalid_check` otherwise.
std::vector<Finding> FindingsFromStatus(const Status& status, std::string_view file,
                                        std::string_view invalid_check);

}  // namespace andon::rules
