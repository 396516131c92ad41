#include "rules/rule_file.h"

#include <glob.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>

#include "common/duration.h"
#include "common/file_reader.h"
#include "common/labels.h"
#include "common/yaml_reader.h"
#include "query/parser.h"
#include "templating/template.h"

namespace andon::rules {
namespace {

std::string Quoted(std::string_view s) { return QuoteLabelValue(s); }

FilePos PosOf(const YAML::Mark& m) {
  if (m.is_null()) return {};
  return {m.line + 1, m.column + 1};
}

// The mark of `value`, or of its key when the value has none (an empty value).
YAML::Mark MarkOf(const YAML::Node& key, const YAML::Node& value) {
  if (value.IsDefined() && !value.Mark().is_null()) return value.Mark();
  return key.IsDefined() ? key.Mark() : YAML::Mark::null_mark();
}

// An integer as Go's yaml decodes one into an int field: decimal with an optional sign,
// 0x/0o/0b prefixes, or a float (truncated) that fits.
std::optional<int64_t> ParseYamlInt(const std::string& text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
    base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
    s.remove_prefix(2);
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (!s.empty() && ec == std::errc() && p == s.data() + s.size()) {
    if (v > static_cast<uint64_t>(INT64_MAX) + (negative ? 1 : 0)) return std::nullopt;
    return negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  }
  if (base != 10) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(d > -9.2e18 && d < 9.2e18)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(d);
}

// The file position of each line of `expr`, the value of a scalar that starts at `mark` in
// `text`, when the value stands verbatim in the text (see Rule::expr_lines); else empty.
std::vector<FilePos> ExprLines(std::string_view text, const YAML::Mark& mark,
                               const std::string& expr) {
  if (mark.is_null() || mark.pos < 0 || static_cast<size_t>(mark.pos) >= text.size() ||
      expr.empty()) {
    return {};
  }
  size_t pos = static_cast<size_t>(mark.pos);
  const char c = text[pos];
  if (c == '>') return {};
  if (c != '|') {  // one-line plain or quoted scalar
    size_t skip = (c == '"' || c == '\'') ? 1 : 0;
    if (expr.find('\n') != std::string::npos || text.substr(pos + skip, expr.size()) != expr) {
      return {};
    }
    return {FilePos{mark.line + 1, mark.column + 1 + static_cast<int>(skip)}};
  }
  // A literal block: content starts on the line after the header, every line indented alike.
  size_t line_start = text.find('\n', pos);
  if (line_start == std::string_view::npos) return {};
  ++line_start;
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= expr.size();) {
    size_t nl = expr.find('\n', start);
    if (nl == std::string::npos) nl = expr.size();
    lines.push_back(std::string_view(expr).substr(start, nl - start));
    start = nl + 1;
  }
  size_t indent = std::string_view::npos;
  std::vector<FilePos> out;
  int file_line = mark.line + 2;
  for (std::string_view want : lines) {
    size_t end = text.find('\n', line_start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view got = text.substr(line_start, end - line_start);
    if (!got.empty() && got.back() == '\r') got.remove_suffix(1);
    if (!want.empty()) {
      if (indent == std::string_view::npos) indent = got.find_first_not_of(' ');
      if (indent == std::string_view::npos || got.size() < indent ||
          got.find_first_not_of(' ') < indent || got.substr(indent) != want) {
        return {};
      }
    }
    out.push_back(
        FilePos{file_line, static_cast<int>(indent == std::string_view::npos ? 0 : indent) + 1});
    ++file_line;
    if (end == text.size()) break;
    line_start = end + 1;
  }
  if (out.size() < lines.size()) {
    // The text ended early: only trailing empty lines (a kept final newline) may be missing.
    for (size_t i = out.size(); i < lines.size(); ++i) {
      if (!lines[i].empty()) return {};
      out.push_back(FilePos{file_line++, 1});
    }
  }
  // Empty lines before the first content line got column 1; give them the block's indent.
  for (FilePos& p : out) {
    if (indent != std::string_view::npos) p.column = static_cast<int>(indent) + 1;
  }
  return out;
}

// One key of a mapping: the key node (for its position) and the value.
struct Field {
  YAML::Node key;
  YAML::Node value;
};

// First pass: reads the YAML structure into RawRule/RawGroup, collecting every structural
// problem (unknown key, wrong type, bad duration) instead of stopping at the first, as
// Prometheus's strict YAML decoding reports all of them.
struct RawRule {
  Rule rule;
  std::optional<std::string> record;
  std::optional<std::string> alert;
  std::optional<std::string> expr;
  // Null marks (not the default, which is 1:1) until the field is seen.
  YAML::Mark mark = YAML::Mark::null_mark();  // the rule's mapping
  YAML::Mark record_mark = YAML::Mark::null_mark();
  YAML::Mark alert_mark = YAML::Mark::null_mark();
  YAML::Mark expr_mark = YAML::Mark::null_mark();
  std::map<std::string, YAML::Mark> label_marks;
  std::map<std::string, YAML::Mark> annotation_marks;
};

struct RawGroup {
  RuleGroup group;
  YAML::Mark mark;
  std::vector<RawRule> rules;
};

class StructureReader {
 public:
  StructureReader(const yaml::Source& src, std::string_view text) : src_(src), text_(text) {}

  std::vector<RawGroup> ReadFile(const YAML::Node& root) {
    std::vector<RawGroup> groups;
    if (!root.IsDefined() || root.IsNull()) return groups;
    auto fields = Fields(root, "rulefmt.RuleGroups", {"groups"});
    if (!fields) return groups;
    if (auto it = fields->find("groups"); it != fields->end() && !it->second.value.IsNull()) {
      const YAML::Node& seq = it->second.value;
      if (!seq.IsSequence()) {
        TypeError(seq, "groups", "a sequence");
        return groups;
      }
      for (const YAML::Node& g : seq) {
        // Go's yaml drops null items of a sequence of structs.
        if (!g.IsNull()) groups.push_back(ReadGroup(g));
      }
    }
    return groups;
  }

  std::vector<std::string>& errors() { return errors_; }

 private:
  void Error(const YAML::Mark& at, const std::string& message) {
    errors_.push_back(src_.Position(at) + ": " + message);
  }

  void TypeError(const YAML::Node& node, std::string_view field, std::string_view expected) {
    Error(node.Mark(), "field \"" + std::string(field) + "\": expected " + std::string(expected) +
                           ", got " + std::string(yaml::KindName(node)));
  }

  // The keys of a mapping, checked against `known` with Prometheus's words for an unknown
  // one ("field annotation not found in type rulefmt.RuleNode"). Merge keys ("<<") are
  // expanded, explicit keys winning. nullopt when `node` is not a mapping.
  std::optional<std::map<std::string, Field>> Fields(
      const YAML::Node& node, std::string_view type,
      std::initializer_list<std::string_view> known) {
    if (node.IsNull()) return std::map<std::string, Field>{};
    if (!node.IsMap()) {
      Error(node.Mark(),
            "cannot unmarshal " + std::string(yaml::KindName(node)) + " into " + std::string(type));
      return std::nullopt;
    }
    std::map<std::string, Field> out;
    Collect(node, type, known, /*merged=*/false, 0, &out);
    return out;
  }

  void Collect(const YAML::Node& map, std::string_view type,
               std::initializer_list<std::string_view> known, bool merged, int depth,
               std::map<std::string, Field>* out) {
    std::vector<YAML::Node> merges;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) {
        Error(kv.first.Mark(), "expected a string key in " + std::string(type) + ", got " +
                                   std::string(yaml::KindName(kv.first)));
        continue;
      }
      const std::string& key = kv.first.Scalar();
      if (key == "<<" && kv.first.Tag() != "!") {
        merges.push_back(kv.second);
        continue;
      }
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        if (!merged)
          Error(kv.first.Mark(), "field " + key + " not found in type " + std::string(type));
        continue;
      }
      if (out->count(key) != 0) {
        if (!merged) {
          Error(kv.first.Mark(), "key " + Quoted(key) + " already set in " + std::string(type));
        }
        continue;
      }
      out->emplace(key, Field{kv.first, kv.second});
    }
    if (depth > 8) return;  // merge chains deeper than this are not worth following
    for (const YAML::Node& m : merges) {
      if (m.IsMap()) {
        Collect(m, type, known, /*merged=*/true, depth + 1, out);
      } else if (m.IsSequence()) {
        for (const YAML::Node& item : m) {
          if (item.IsMap()) Collect(item, type, known, /*merged=*/true, depth + 1, out);
        }
      } else {
        Error(m.Mark(), "merge key \"<<\" expects a mapping or a sequence of mappings");
      }
    }
  }

  // A scalar as text; null reads as "" (as Go's yaml does for a string field).
  std::optional<std::string> Scalar(const Field& f, std::string_view field) {
    if (f.value.IsNull()) return std::string();
    if (!f.value.IsScalar()) {
      TypeError(f.value, field, "a string");
      return std::nullopt;
    }
    return f.value.Scalar();
  }

  std::optional<int64_t> Duration(const Field& f, std::string_view field) {
    if (f.value.IsNull()) return 0;
    std::optional<std::string> s = Scalar(f, field);
    if (!s) return std::nullopt;
    Result<int64_t> d = ParseDurationMs(*s);
    if (!d.ok()) {
      Error(f.value.Mark(), "field \"" + std::string(field) + "\": " + d.status().message());
      return std::nullopt;
    }
    return *d;
  }

  std::map<std::string, std::string> StringMap(const Field& f, std::string_view field,
                                               std::map<std::string, YAML::Mark>* marks) {
    std::map<std::string, std::string> out;
    if (f.value.IsNull()) return out;
    if (!f.value.IsMap()) {
      TypeError(f.value, field, "a mapping of strings");
      return out;
    }
    for (const auto& kv : f.value) {
      if (!kv.first.IsScalar() || !(kv.second.IsNull() || kv.second.IsScalar())) {
        TypeError(kv.first.IsScalar() ? kv.second : kv.first, field, "a mapping of strings");
        continue;
      }
      std::string value = kv.second.IsNull() ? std::string() : kv.second.Scalar();
      if (!out.emplace(kv.first.Scalar(), std::move(value)).second) {
        Error(kv.first.Mark(), "field \"" + std::string(field) + "\": key " +
                                   Quoted(kv.first.Scalar()) + " already set in map");
        continue;
      }
      (*marks)[kv.first.Scalar()] = kv.first.Mark();
    }
    return out;
  }

  RawGroup ReadGroup(const YAML::Node& node) {
    RawGroup g;
    g.mark = node.Mark();
    g.group.pos = PosOf(g.mark);
    auto fields = Fields(node, "rulefmt.RuleGroup", {"name", "interval", "limit", "rules"});
    if (!fields) return g;
    if (auto it = fields->find("name"); it != fields->end()) {
      if (auto s = Scalar(it->second, "name")) g.group.name = *s;
    }
    if (auto it = fields->find("interval"); it != fields->end()) {
      if (auto d = Duration(it->second, "interval"); d && *d > 0) g.group.interval_ms = *d;
    }
    if (auto it = fields->find("limit"); it != fields->end() && !it->second.value.IsNull()) {
      if (auto s = Scalar(it->second, "limit")) {
        std::optional<int64_t> v;
        if (it->second.value.Tag() != "!") v = ParseYamlInt(*s);  // quoted is a string
        if (!v) {
          Error(it->second.value.Mark(), "field \"limit\": not an integer: " + Quoted(*s));
        } else {
          g.group.limit = *v;
        }
      }
    }
    if (auto it = fields->find("rules"); it != fields->end() && !it->second.value.IsNull()) {
      const YAML::Node& seq = it->second.value;
      if (!seq.IsSequence()) {
        TypeError(seq, "rules", "a sequence");
      } else {
        for (const YAML::Node& r : seq) {
          if (!r.IsNull()) g.rules.push_back(ReadRule(r));
        }
      }
    }
    return g;
  }

  RawRule ReadRule(const YAML::Node& node) {
    RawRule r;
    r.mark = node.Mark();
    r.rule.pos = PosOf(r.mark);
    auto fields =
        Fields(node, "rulefmt.RuleNode",
               {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"});
    if (!fields) return r;
    auto text = [&](std::string_view key, std::optional<std::string>* out, YAML::Mark* mark) {
      auto it = fields->find(std::string(key));
      if (it == fields->end()) return;
      *mark = MarkOf(it->second.key, it->second.value);
      *out = Scalar(it->second, key);
    };
    text("record", &r.record, &r.record_mark);
    text("alert", &r.alert, &r.alert_mark);
    text("expr", &r.expr, &r.expr_mark);
    r.rule.name_pos = PosOf(r.alert ? r.alert_mark : r.record_mark);
    r.rule.expr_pos = PosOf(r.expr_mark);
    if (r.expr) r.rule.expr_lines = ExprLines(text_, r.expr_mark, *r.expr);
    if (auto it = fields->find("for"); it != fields->end()) {
      if (auto d = Duration(it->second, "for")) r.rule.for_ms = *d;
      r.rule.for_pos = PosOf(MarkOf(it->second.key, it->second.value));
    }
    if (auto it = fields->find("keep_firing_for"); it != fields->end()) {
      if (auto d = Duration(it->second, "keep_firing_for")) r.rule.keep_firing_for_ms = *d;
    }
    if (auto it = fields->find("labels"); it != fields->end()) {
      r.rule.labels = StringMap(it->second, "labels", &r.label_marks);
      r.rule.labels_pos = PosOf(it->second.key.Mark());
      for (const auto& [k, m] : r.label_marks) r.rule.label_pos[k] = PosOf(m);
    }
    if (auto it = fields->find("annotations"); it != fields->end()) {
      r.rule.annotations = StringMap(it->second, "annotations", &r.annotation_marks);
      r.rule.annotations_pos = PosOf(it->second.key.Mark());
      for (const auto& [k, m] : r.annotation_marks) r.rule.annotation_pos[k] = PosOf(m);
    }
    return r;
  }

  const yaml::Source& src_;
  std::string_view text_;
  std::vector<std::string> errors_;
};

// ------------------------------------------------------------------------------------------
// TEMPLATE HOOK: template syntax of an alerting rule's labels and annotations, checked with
// templating/template.h as Prometheus's testTemplateParsing does (parse only, named
// "__alert_<name>", with $labels/$externalLabels/$externalURL/$value defined). Each problem
// is the position of the label/annotation key and the message after the rule prefix:
// `label "x": template: __alert_A:1: unclosed action`.
std::vector<std::pair<YAML::Mark, std::string>> ValidateTemplates(const std::string& alert,
                                                                  const RawRule& raw) {
  std::vector<std::pair<YAML::Mark, std::string>> out;
  auto check = [&](const std::map<std::string, std::string>& texts,
                   const std::map<std::string, YAML::Mark>& marks, const char* what) {
    for (const auto& [key, text] : texts) {
      Result<templating::Template> t = templating::Template::ParseAlert(text, alert);
      if (t.ok()) continue;
      auto mark = marks.find(key);
      out.emplace_back(mark != marks.end() ? mark->second : raw.mark,
                       std::string(what) + " " + Quoted(key) + ": " + t.status().message());
    }
  };
  check(raw.rule.labels, raw.label_marks, "label");
  check(raw.rule.annotations, raw.annotation_marks, "annotation");
  return out;
}

// Second pass: Prometheus's semantic checks, in its order, all problems collected.
class Validator {
 public:
  explicit Validator(const yaml::Source& src) : src_(src) {}

  void Validate(std::vector<RawGroup>& groups) {
    std::set<std::string> names;
    for (RawGroup& g : groups) {
      if (g.group.name.empty()) Error(g.mark, "Groupname must not be empty");
      if (!names.insert(g.group.name).second) {
        Error(g.mark, "groupname: \"" + g.group.name + "\" is repeated in the same file");
      }
      for (size_t i = 0; i < g.rules.size(); ++i) ValidateRule(g, i);
    }
  }

  std::vector<std::string>& errors() { return errors_; }

 private:
  void Error(const YAML::Mark& at, const std::string& message) {
    errors_.push_back(src_.Position(at) + ": " + message);
  }

  void ValidateRule(RawGroup& g, size_t index) {
    RawRule& r = g.rules[index];
    std::string record = r.record.value_or("");
    std::string alert = r.alert.value_or("");
    const std::string& name = !alert.empty() ? alert : record;
    auto at = [&](const YAML::Mark& m) { return m.is_null() ? r.mark : m; };
    std::string prefix = "group " + Quoted(g.group.name) + ", rule " + std::to_string(index + 1) +
                         ", " + Quoted(name) + ": ";
    auto fail = [&](const YAML::Mark& m, const std::string& msg) { Error(at(m), prefix + msg); };

    if (!record.empty() && !alert.empty()) {
      fail(r.record_mark, "only one of 'record' and 'alert' must be set");
    }
    if (record.empty() && alert.empty()) {
      fail(r.record ? r.record_mark : r.alert_mark, "one of 'record' or 'alert' must be set");
    }
    std::string expr = r.expr.value_or("");
    if (expr.empty()) {
      fail(r.expr_mark, "field 'expr' must be set in rule");
    } else {
      Result<query::ExprPtr> parsed = query::ParseExpr(expr);
      if (!parsed.ok()) {
        fail(r.expr_mark, "could not parse expression: " + parsed.status().message());
      } else {
        r.rule.expr = std::shared_ptr<const query::Expr>(std::move(parsed).value());
      }
    }
    r.rule.expr_text = expr;
    if (!record.empty()) {
      if (!r.rule.annotations.empty()) {
        fail(r.record_mark, "invalid field 'annotations' in recording rule");
      }
      if (r.rule.for_ms != 0) fail(r.record_mark, "invalid field 'for' in recording rule");
      if (r.rule.keep_firing_for_ms != 0) {
        fail(r.record_mark, "invalid field 'keep_firing_for' in recording rule");
      }
      if (!IsValidMetricName(record)) {
        fail(r.record_mark, "invalid recording rule name: " + record);
      }
    }
    for (const auto& [k, v] : r.rule.labels) {
      if (!IsValidLabelName(k) || k == kMetricNameLabel) {
        fail(r.label_marks[k], "invalid label name: " + k);
      }
      if (!IsValidUtf8(v)) fail(r.label_marks[k], "invalid label value: " + v);
    }
    for (const auto& [k, v] : r.rule.annotations) {
      if (!IsValidLabelName(k)) fail(r.annotation_marks[k], "invalid annotation name: " + k);
    }
    if (!alert.empty()) {
      for (const auto& [m, msg] : ValidateTemplates(alert, r)) fail(m, msg);
    }
    r.rule.kind = alert.empty() ? Rule::Kind::kRecording : Rule::Kind::kAlerting;
    r.rule.name = name;
  }

  const yaml::Source& src_;
  std::vector<std::string> errors_;
};

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) {
    if (!out.empty()) out += '\n';
    out += l;
  }
  return out;
}

}  // namespace

FilePos Rule::ExprPos(uint32_t offset) const {
  if (expr_lines.empty()) return expr_pos;
  size_t line = 0;
  size_t line_start = 0;
  for (size_t i = 0; i < offset && i < expr_text.size(); ++i) {
    if (expr_text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  if (line >= expr_lines.size()) return expr_pos;
  return {expr_lines[line].line,
          expr_lines[line].column +
              static_cast<int>(std::min<size_t>(offset, expr_text.size()) - line_start)};
}

size_t RuleFile::RuleCount() const {
  size_t n = 0;
  for (const RuleGroup& g : groups) n += g.rules.size();
  return n;
}

Result<RuleFile> ParseRuleFile(std::string_view text, std::string_view filename) {
  Result<YAML::Node> doc = yaml::LoadYaml(text, filename);
  if (!doc.ok()) return doc.status();
  yaml::Source src{std::string(filename)};
  std::vector<RawGroup> raw;
  try {
    StructureReader reader(src, text);
    raw = reader.ReadFile(*doc);
    if (!reader.errors().empty()) return Status::InvalidArgument(Join(reader.errors()));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(src.Position(e.mark) + ": yaml: " + e.msg);
  }
  Validator validator(src);
  validator.Validate(raw);
  if (!validator.errors().empty()) return Status::InvalidArgument(Join(validator.errors()));

  RuleFile file;
  file.filename = std::string(filename);
  file.groups.reserve(raw.size());
  for (RawGroup& g : raw) {
    for (RawRule& r : g.rules) g.group.rules.push_back(std::move(r.rule));
    file.groups.push_back(std::move(g.group));
  }
  return file;
}

Result<RuleFile> LoadRuleFile(const std::string& path) {
  Result<std::string> text = ReadFileUpTo(path, kMaxConfigFileBytes);
  if (!text.ok()) return text.status().WithContext(path + ": cannot read file");
  return ParseRuleFile(*text, path);
}

Result<std::vector<std::string>> ExpandRuleFilePatterns(const std::vector<std::string>& patterns) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& pattern : patterns) {
    glob_t g{};
    int rc = glob(pattern.c_str(), 0, nullptr, &g);
    std::vector<std::string> matches;
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) matches.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH) {
      return Status::InvalidArgument("rule_files: cannot expand pattern " + Quoted(pattern));
    }
    if (pattern.find('*') == std::string::npos && matches.empty()) {
      return Status::NotFound(Quoted(pattern) + " does not point to an existing file");
    }
    for (std::string& m : matches) {
      if (seen.insert(m).second) out.push_back(std::move(m));
    }
  }
  return out;
}

Result<std::vector<RuleFile>> LoadRuleFiles(const std::vector<std::string>& patterns) {
  Result<std::vector<std::string>> files = ExpandRuleFilePatterns(patterns);
  if (!files.ok()) return files.status();
  std::vector<RuleFile> out;
  for (const std::string& f : *files) {
    Result<RuleFile> rf = LoadRuleFile(f);
    if (!rf.ok()) return rf.status();
    out.push_back(std::move(rf).value());
  }
  return out;
}

}  // namespace andon::rules
