// rules/rule_file.h
//
// Alerting and recording rule files as Prometheus 2.42 reads them (the `groups:` YAML of
// model/rulefmt), with the same validation and the same words in its messages:
//
//   groups:
//     - name: payments            # required, unique within the file
//       interval: 30s             # optional; unset means the global evaluation_interval
//       limit: 0                  # optional; 0 means no limit on alerts/series
//       rules:
//         - alert: PaymentsDown   # exactly one of `alert` and `record`
//           expr: up{job="payments"} == 0
//           for: 5m               # alerting rules only
//           keep_firing_for: 10m  # alerting rules only (new in 2.42)
//           labels: {severity: page}
//           annotations: {summary: "{{ $labels.instance }} is down"}
//
// Parsing happens in two passes, as in Prometheus: first the YAML structure (syntax, unknown
// keys, wrong types, bad durations); when that is clean, the semantic checks run over every
// group and rule and *all* problems are reported, one per line, each starting with
// "file:line:column: " (1-based) and, for a rule, `group "g", rule N, "name": ` — e.g.
//   rules.yml:5:15: group "yolo", rule 1, "yolo": could not parse expression: 1:6: parse
//   error: expected type range vector in call to function "rate", got instant vector
// Label and annotation values of alerting rules must parse as templates (templating/template.h).
// Where Prometheus prints no position (label errors) or "0:0" (a missing field), Andon names
// the offending key, or the rule itself.
//
// Everything here is a plain value, immutable once loaded and safe to share between threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "query/ast.h"

namespace andon::rules {

// A position in a rule file; 1-based, 0 when unknown.
struct FilePos {
  int line = 0;
  int column = 0;
};

// One alerting or recording rule. `expr` is the parsed, type-checked form of `expr_text`
// (never null in a loaded file); copies share it.
struct Rule {
  enum class Kind { kAlerting, kRecording };
  Kind kind = Kind::kAlerting;
  std::string name;  // the `alert` or `record` value
  std::string expr_text;
  std::shared_ptr<const query::Expr> expr;
  int64_t for_ms = 0;              // alerting only
  int64_t keep_firing_for_ms = 0;  // alerting only
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;  // alerting only
  FilePos pos;                                     // the rule's mapping

  // Where the parts of the rule are written, for linters (rules/rule_policy.h); {0, 0} for a
  // part the rule does not have.
  FilePos name_pos;                               // the `alert` or `record` value
  FilePos expr_pos;                               // the `expr` value
  FilePos for_pos;                                // the `for` value
  FilePos labels_pos;                             // the `labels` key
  FilePos annotations_pos;                        // the `annotations` key
  std::map<std::string, FilePos> label_pos;       // each label's key
  std::map<std::string, FilePos> annotation_pos;  // each annotation's key
  // The file position of each line of expr_text when the text stands verbatim in the file
  // (a one-line plain or quoted scalar without escapes, or a literal block `|`); empty when
  // it does not (folded or multi-line plain scalars, escapes).
  std::vector<FilePos> expr_lines;

  bool alerting() const { return kind == Kind::kAlerting; }
  // The file position of byte `offset` of expr_text (e.g. a query::PosRange start): exact
  // when expr_lines is known, otherwise expr_pos.
  FilePos ExprPos(uint32_t offset) const;
};

struct RuleGroup {
  std::string name;
  std::optional<int64_t> interval_ms;  // unset: the global evaluation_interval
  int64_t limit = 0;                   // 0: no limit
  std::vector<Rule> rules;
  FilePos pos;
};

struct RuleFile {
  std::string filename;  // as given to the parser; prefixes messages
  std::vector<RuleGroup> groups;

  size_t RuleCount() const;
};

// Parses the text of one rule file. An empty document is a file with no groups. On failure
// the status is InvalidArgument and its message lists every problem found, one per line.
Result<RuleFile> ParseRuleFile(std::string_view text, std::string_view filename);

// Reads and parses `path`; a file that cannot be read is IOError ("path: cannot read file:
// No such file or directory").
Result<RuleFile> LoadRuleFile(const std::string& path);

// Expands `rule_files` patterns (Config::rule_files: shell globs with * ? [...], already
// resolved against the config directory) into file names, in pattern order, each pattern's
// matches sorted, duplicates dropped. A pattern without '*' must name an existing file, as
// `promtool check config` demands ("\"x.yml\" does not point to an existing file"); a glob
// matching nothing gives nothing.
Result<std::vector<std::string>> ExpandRuleFilePatterns(const std::vector<std::string>& patterns);

// Expands `patterns` and loads every file; stops at the first file that fails.
Result<std::vector<RuleFile>> LoadRuleFiles(const std::vector<std::string>& patterns);

}  // namespace andon::rules
