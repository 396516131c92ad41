// Rule files: the upstream rulefmt fixtures (shared/conformance/rulefmt, expectations from
// its UPSTREAM.md), table tests of structure and validation messages, the duplicate-rules
// lint, and rule_files glob expansion.
#include "rules/rule_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "query/printer.h"
#include "rules/rule_lint.h"

namespace andon::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

const fs::path kRulefmtDir = fs::path(ANDON_SHARED_DIR) / "conformance" / "rulefmt";
const fs::path kPromtoolDir = fs::path(ANDON_SHARED_DIR) / "conformance" / "promtool";

Result<RuleFile> Parse(std::string_view yaml) { return ParseRuleFile(yaml, "r.yml"); }

// The error text of a file that must not load.
std::string ErrorOf(std::string_view yaml) {
  Result<RuleFile> r = Parse(yaml);
  EXPECT_FALSE(r.ok()) << "parsed, but should have failed:\n" << yaml;
  return r.ok() ? std::string() : r.status().message();
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Upstream fixtures.

// Every .bad.yaml with the substring Prometheus's own test demands of its error (UPSTREAM.md),
// plus the position Andon reports for it.
const std::map<std::string, std::pair<std::string, std::string>> kBadFixtures = {
    {"duplicate_grp.bad.yaml", {"groupname: \"yolo\" is repeated in the same file", ":3:5: "}},
    {"bad_expr.bad.yaml", {"parse error", ":5:15: "}},
    {"record_and_alert.bad.yaml", {"only one of 'record' and 'alert' must be set", ":4:17: "}},
    {"no_rec_alert.bad.yaml", {"one of 'record' or 'alert' must be set", ":4:9: "}},
    {"noexpr.bad.yaml", {"field 'expr' must be set in rule", ":4:9: "}},
    {"bad_lname.bad.yaml", {"invalid label name", ":7:11: "}},
    {"bad_annotation.bad.yaml", {"invalid annotation name", ":7:11: "}},
    {"invalid_record_name.bad.yaml", {"invalid recording rule name", ":4:17: "}},
    {"bad_field.bad.yaml", {"field annotation not found", ":8:9: "}},
    {"invalid_label_name.bad.yaml", {"invalid label name", ":7:11: "}},
    {"record_and_for.bad.yaml", {"invalid field 'for' in recording rule", ":4:17: "}},
    {"record_and_keep_firing_for.bad.yaml",
     {"invalid field 'keep_firing_for' in recording rule", ":4:17: "}},
};

TEST(RulefmtConformance, EveryFixtureIsAcceptedOrRejectedAsUpstreamExpects) {
  ASSERT_TRUE(fs::is_directory(kRulefmtDir)) << kRulefmtDir;
  size_t good = 0, bad = 0;
  for (const auto& entry : fs::directory_iterator(kRulefmtDir)) {
    std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".yaml") continue;
    Result<RuleFile> r = LoadRuleFile(entry.path().string());
    if (name.find(".bad.") == std::string::npos) {
      EXPECT_TRUE(r.ok()) << name << ": " << r.status().message();
      ++good;
      continue;
    }
    ++bad;
    auto want = kBadFixtures.find(name);
    ASSERT_NE(want, kBadFixtures.end()) << "fixture without an expectation: " << name;
    ASSERT_FALSE(r.ok()) << name << " was accepted";
    const std::string msg = r.status().message();
    EXPECT_THAT(msg, HasSubstr(want->second.first)) << name;
    // One problem, at the position of the offending node, prefixed by the file name.
    EXPECT_EQ(Lines(msg).size(), 1u) << msg;
    EXPECT_EQ(msg.rfind(entry.path().string() + want->second.second, 0), 0u) << msg;
  }
  EXPECT_EQ(good, 1u);
  EXPECT_EQ(bad, kBadFixtures.size());
}

TEST(RulefmtConformance, TestYamlLoadsTwoGroupsOfMixedRules) {
  Result<RuleFile> r = LoadRuleFile((kRulefmtDir / "test.yaml").string());
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->groups.size(), 2u);
  EXPECT_EQ(r->RuleCount(), 6u);
  const RuleGroup& g = r->groups[0];
  EXPECT_EQ(g.name, "my-group-name");
  EXPECT_EQ(g.interval_ms, 30000);
  EXPECT_EQ(g.pos.line, 2);
  ASSERT_EQ(g.rules.size(), 3u);
  const Rule& alert = g.rules[0];
  EXPECT_TRUE(alert.alerting());
  EXPECT_EQ(alert.name, "HighErrors");
  EXPECT_EQ(alert.for_ms, 5 * 60 * 1000);
  EXPECT_EQ(alert.labels, (std::map<std::string, std::string>{{"severity", "critical"}}));
  EXPECT_EQ(alert.annotations.at("description"), "stuff's happening with {{ $.labels.service }}");
  EXPECT_THAT(alert.expr_text, HasSubstr("sum without(instance) (rate(errors_total[5m]))\n/\n"));
  ASSERT_NE(alert.expr, nullptr);
  EXPECT_EQ(alert.expr->kind, query::NodeKind::kBinary);
  const Rule& record = g.rules[1];
  EXPECT_FALSE(record.alerting());
  EXPECT_EQ(record.name, "new_metric");
  EXPECT_EQ(record.labels.size(), 2u);
  EXPECT_TRUE(record.annotations.empty());
  // The same alert name twice is allowed by the parser; the lint flags it.
  std::vector<DuplicateRule> dups = FindDuplicateRules(*r);
  ASSERT_EQ(dups.size(), 1u);
  EXPECT_EQ(dups[0].name, "HighErrors");
  EXPECT_THAT(dups[0].labels,
              ElementsAre(std::make_pair(std::string("severity"), std::string("critical"))));
}

TEST(RulefmtConformance, PromtoolRuleFixturesLoad) {
  for (const char* name :
       {"rules.yml", "bad-rules-error.yml", "at-modifier.yml", "negative-offset.yml",
        "rules_duplicates.yml", "prometheus-rules.lint.yml"}) {
    Result<RuleFile> r = LoadRuleFile((kPromtoolDir / name).string());
    EXPECT_TRUE(r.ok()) << name << ": " << r.status().message();
  }
  std::string err =
      LoadRuleFile((kPromtoolDir / "bad-rules-syntax.yml").string()).status().message();
  EXPECT_THAT(err,
              HasSubstr("could not parse expression: 1:7: parse error: unexpected end of input"));
}

TEST(RulefmtConformance, DuplicateFixtureReportsExactlyOneDuplicate) {
  Result<RuleFile> r = LoadRuleFile((kPromtoolDir / "rules_duplicates.yml").string());
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::vector<DuplicateRule> dups = FindDuplicateRules(*r);
  ASSERT_EQ(dups.size(), 1u);
  EXPECT_EQ(dups[0].name, "job:test:count_over_time1m");
  EXPECT_TRUE(dups[0].labels.empty());
  EXPECT_TRUE(FindDuplicateRules(*LoadRuleFile((kPromtoolDir / "rules.yml").string())).empty());
}

TEST(RulefmtConformance, MutatedFixturesNeverCrashAndFailWithAPosition) {
  // Deterministic mutations (drop, insert or swap bytes among YAML's syntax characters) of
  // every fixture: each either loads or is InvalidArgument naming the file.
  const std::string alphabet = ":-{}[]\"'|>&*!#%@`,? \n\t\\$";
  uint64_t state = 42;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  size_t loaded = 0, rejected = 0;
  for (const auto& entry : fs::directory_iterator(kRulefmtDir)) {
    if (entry.path().extension() != ".yaml") continue;
    std::ifstream in(entry.path());
    std::string original((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(original.empty());
    for (int i = 0; i < 300; ++i) {
      std::string text = original;
      for (int edits = 1 + next() % 3; edits > 0; --edits) {
        size_t at = next() % text.size();
        switch (next() % 3) {
          case 0:
            text.erase(at, 1);
            break;
          case 1:
            text.insert(at, 1, alphabet[next() % alphabet.size()]);
            break;
          default:
            std::swap(text[at], text[next() % text.size()]);
        }
        if (text.empty()) text = "x";
      }
      Result<RuleFile> r = ParseRuleFile(text, "m.yml");
      if (r.ok()) {
        ++loaded;
        for (const RuleGroup& g : r->groups) {
          for (const Rule& rule : g.rules) EXPECT_NE(rule.expr, nullptr) << text;
        }
      } else {
        ++rejected;
        EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << text;
        EXPECT_EQ(r.status().message().rfind("m.yml:", 0), 0u) << r.status().message();
      }
    }
  }
  EXPECT_GT(loaded, 0u);
  EXPECT_GT(rejected, 0u);
}

// ---------------------------------------------------------------------------------------
// Structure.

TEST(RuleFileTest, EmptyDocumentsAreFilesWithoutGroups) {
  for (const char* text : {"", "# nothing\n", "groups:\n", "groups: []\n"}) {
    Result<RuleFile> r = Parse(text);
    ASSERT_TRUE(r.ok()) << text << ": " << r.status().message();
    EXPECT_TRUE(r->groups.empty());
    EXPECT_EQ(r->RuleCount(), 0u);
  }
}

TEST(RuleFileTest, GroupFieldsAndDefaults) {
  Result<RuleFile> r = Parse(
      "groups:\n"
      "  - name: a\n"
      "    interval: 1m30s\n"
      "    limit: 10\n"
      "    rules:\n"
      "      - alert: Down\n"
      "        expr: up == 0\n"
      "        for: 2m\n"
      "        keep_firing_for: 10m\n"
      "  - name: b\n"
      "    interval: 0\n"
      "  - name: c\n"
      "    rules: []\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->groups.size(), 3u);
  EXPECT_EQ(r->groups[0].interval_ms, 90000);
  EXPECT_EQ(r->groups[0].limit, 10);
  EXPECT_EQ(r->groups[0].rules[0].for_ms, 120000);
  EXPECT_EQ(r->groups[0].rules[0].keep_firing_for_ms, 600000);
  EXPECT_EQ(r->groups[0].rules[0].pos.line, 6);
  EXPECT_EQ(r->groups[0].rules[0].pos.column, 9);
  EXPECT_FALSE(r->groups[1].interval_ms.has_value()) << "0 means the global interval";
  EXPECT_FALSE(r->groups[2].interval_ms.has_value());
  EXPECT_TRUE(r->groups[2].rules.empty());
}

TEST(RuleFileTest, DecodesLikeGoYaml) {
  // Null items of `groups` and `rules` are dropped; `limit` takes any YAML integer, and a
  // float is truncated, but a quoted string is no integer.
  Result<RuleFile> r = Parse(
      "groups:\n"
      "  - ~\n"
      "  - name: a\n"
      "    limit: 0x10\n"
      "    rules: [~, {record: r, expr: up}, ~]\n"
      "  - name: b\n"
      "    limit: 1.9\n"
      "  - name: c\n"
      "    limit: -1e3\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->groups.size(), 3u);
  EXPECT_EQ(r->groups[0].limit, 16);
  EXPECT_EQ(r->groups[0].rules.size(), 1u);
  EXPECT_EQ(r->groups[1].limit, 1);
  EXPECT_EQ(r->groups[2].limit, -1000);
  EXPECT_EQ(ErrorOf("groups:\n  - name: a\n    limit: \"5\"\n"),
            "r.yml:3:12: field \"limit\": not an integer: \"5\"");
  EXPECT_EQ(ErrorOf("groups:\n  - name: a\n    limit: 99999999999999999999\n"),
            "r.yml:3:12: field \"limit\": not an integer: \"99999999999999999999\"");
}

TEST(RuleFileTest, KeepsExpressionTextAndParsedTree) {
  Result<RuleFile> r = Parse(
      "groups:\n"
      "  - name: a\n"
      "    rules:\n"
      "      - record: job:up:sum\n"
      "        expr: sum by (job) (up)\n"
      "      - record: one\n"
      "        expr: 1\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Rule& sum = r->groups[0].rules[0];
  EXPECT_EQ(sum.expr_text, "sum by (job) (up)");
  ASSERT_NE(sum.expr, nullptr);
  EXPECT_EQ(sum.expr->kind, query::NodeKind::kAggregate);
  EXPECT_EQ(query::ToString(*sum.expr), "sum by (job) (up)");
  const Rule& one = r->groups[0].rules[1];
  EXPECT_EQ(one.expr_text, "1");
  ASSERT_NE(one.expr, nullptr);
  EXPECT_EQ(one.expr->kind, query::NodeKind::kNumberLiteral);
  // Copies share the tree.
  RuleFile copy = *r;
  EXPECT_EQ(copy.groups[0].rules[0].expr.get(), sum.expr.get());
}

TEST(RuleFileTest, AlertNamesAreNotRestricted) {
  // Prometheus 2.42 validates recording rule names only.
  Result<RuleFile> r = Parse(
      "groups:\n  - name: a\n    rules:\n      - alert: \"Disk full! (sda)\"\n        expr: up\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->groups[0].rules[0].name, "Disk full! (sda)");
}

TEST(RuleFileTest, MergeKeysShareLabels) {
  Result<RuleFile> r = Parse(
      "groups:\n"
      "  - name: a\n"
      "    rules:\n"
      "      - &base\n"
      "        alert: A\n"
      "        expr: up == 0\n"
      "        labels: {severity: page}\n"
      "      - <<: *base\n"
      "        alert: B\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Rule& b = r->groups[0].rules[1];
  EXPECT_EQ(b.name, "B");
  EXPECT_EQ(b.expr_text, "up == 0");
  EXPECT_EQ(b.labels.at("severity"), "page");
}

struct StructureCase {
  const char* name;
  const char* yaml;
  std::vector<std::string> errors;  // the whole message, one entry per line
};

class StructureErrorTest : public ::testing::TestWithParam<StructureCase> {};

TEST_P(StructureErrorTest, ReportsEveryProblemWithItsPosition) {
  EXPECT_EQ(Lines(ErrorOf(GetParam().yaml)), GetParam().errors);
}

INSTANTIATE_TEST_SUITE_P(
    RuleFile, StructureErrorTest,
    ::testing::Values(
        StructureCase{"UnknownKeysAtEveryLevel",
                      "groupz: []\ngroups:\n  - name: g\n    foo: 1\n    rules:\n"
                      "      - alert: A\n        exprr: up\n",
                      {"r.yml:1:1: field groupz not found in type rulefmt.RuleGroups",
                       "r.yml:4:5: field foo not found in type rulefmt.RuleGroup",
                       "r.yml:7:9: field exprr not found in type rulefmt.RuleNode"}},
        StructureCase{"TopLevelSequence",
                      "- a\n- b\n",
                      {"r.yml:1:1: cannot unmarshal a sequence into rulefmt.RuleGroups"}},
        StructureCase{"GroupsNotASequence",
                      "groups: {a: 1}\n",
                      {"r.yml:1:9: field \"groups\": expected a sequence, got a mapping"}},
        StructureCase{"LabelsNotAMapping",
                      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n"
                      "        labels: [a]\n",
                      {"r.yml:6:17: field \"labels\": expected a mapping of strings, got a "
                       "sequence"}},
        StructureCase{"ExprNotAString",
                      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: {a: b}\n",
                      {"r.yml:5:15: field \"expr\": expected a string, got a mapping"}},
        StructureCase{"BadDurations",
                      "groups:\n  - name: g\n    interval: 1x\n    rules:\n      - alert: A\n"
                      "        expr: up\n        for: 5\n        keep_firing_for: -1m\n",
                      {"r.yml:3:15: field \"interval\": not a valid duration string: \"1x\"",
                       "r.yml:7:14: field \"for\": not a valid duration string: \"5\"",
                       "r.yml:8:26: field \"keep_firing_for\": not a valid duration string: "
                       "\"-1m\""}},
        StructureCase{"BadLimit",
                      "groups:\n  - name: g\n    limit: many\n",
                      {"r.yml:3:12: field \"limit\": not an integer: \"many\""}},
        StructureCase{"DuplicateKeys",
                      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n"
                      "        labels: {a: x, a: y}\n        expr: down\n",
                      {"r.yml:7:9: key \"expr\" already set in rulefmt.RuleNode",
                       "r.yml:6:24: field \"labels\": key \"a\" already set in map"}},
        StructureCase{
            "YamlSyntax", "groups: [\n", {"r.yml:2:1: yaml: end of sequence flow not found"}}),
    [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------------------
// Validation, with Prometheus's words.

TEST(RuleFileValidationTest, CollectsEveryProblemInPrometheusOrder) {
  std::string err = ErrorOf(
      "groups:\n"
      "  - name: \"\"\n"
      "    rules:\n"
      "      - alert: \"bad name!\"\n"
      "        expr: \"\"\n"
      "      - record: a:b\n"
      "        expr: sum(\n"
      "        annotations:\n"
      "          x: y\n"
      "        labels:\n"
      "          __name__: q\n"
      "  - name: g\n"
      "  - name: g\n");
  EXPECT_THAT(
      Lines(err),
      ElementsAre("r.yml:2:5: Groupname must not be empty",
                  "r.yml:5:15: group \"\", rule 1, \"bad name!\": field 'expr' must be set in rule",
                  "r.yml:7:15: group \"\", rule 2, \"a:b\": could not parse expression: 1:5: parse "
                  "error: unclosed left parenthesis",
                  "r.yml:6:17: group \"\", rule 2, \"a:b\": invalid field 'annotations' in "
                  "recording rule",
                  "r.yml:11:11: group \"\", rule 2, \"a:b\": invalid label name: __name__",
                  "r.yml:13:5: groupname: \"g\" is repeated in the same file"));
}

TEST(RuleFileValidationTest, RecordingRuleRestrictions) {
  std::string err = ErrorOf(
      "groups:\n"
      "  - name: g\n"
      "    rules:\n"
      "      - record: \"1bad\"\n"
      "        expr: up\n"
      "        for: 1m\n"
      "        keep_firing_for: 1m\n");
  EXPECT_THAT(Lines(err),
              ElementsAre("r.yml:4:17: group \"g\", rule 1, \"1bad\": invalid field 'for' in "
                          "recording rule",
                          "r.yml:4:17: group \"g\", rule 1, \"1bad\": invalid field "
                          "'keep_firing_for' in recording rule",
                          "r.yml:4:17: group \"g\", rule 1, \"1bad\": invalid recording rule "
                          "name: 1bad"));
  // `for: 0` is no `for` at all.
  EXPECT_TRUE(Parse("groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n"
                    "        for: 0s\n")
                  .ok());
}

TEST(RuleFileValidationTest, BothOrNeitherOfRecordAndAlert) {
  EXPECT_EQ(ErrorOf("groups:\n  - name: g\n    rules:\n      - record: r\n        alert: A\n"
                    "        expr: up\n"),
            "r.yml:4:17: group \"g\", rule 1, \"A\": only one of 'record' and 'alert' must be set");
  EXPECT_EQ(ErrorOf("groups:\n  - name: g\n    rules:\n      - record: \"\"\n        expr: up\n"),
            "r.yml:4:17: group \"g\", rule 1, \"\": one of 'record' or 'alert' must be set");
  EXPECT_EQ(ErrorOf("groups:\n  - name: g\n    rules:\n      - expr: up\n"),
            "r.yml:4:9: group \"g\", rule 1, \"\": one of 'record' or 'alert' must be set");
}

TEST(RuleFileValidationTest, ExpressionErrorsCarryTheParserMessage) {
  EXPECT_EQ(ErrorOf("groups:\n  - name: g\n    rules:\n      - record: r\n        expr: rate(x)\n"),
            "r.yml:5:15: group \"g\", rule 1, \"r\": could not parse expression: 1:6: parse "
            "error: expected type range vector in call to function \"rate\", got instant vector");
  EXPECT_THAT(ErrorOf("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: |\n"
                      "          up ==\n"),
              HasSubstr("r.yml:5:15: group \"g\", rule 1, \"A\": could not parse expression: "));
}

TEST(RuleFileValidationTest, LabelAndAnnotationNamesAndValues) {
  EXPECT_EQ(ErrorOf("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n"
                    "        labels:\n          ok: \"x\"\n          \"a.b\": \"y\"\n"
                    "        annotations:\n          \"1x\": z\n          __ok: z\n"),
            "r.yml:8:11: group \"g\", rule 1, \"A\": invalid label name: a.b\n"
            "r.yml:10:11: group \"g\", rule 1, \"A\": invalid annotation name: 1x");
  std::string bad_utf8 =
      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n"
      "        labels: {a: \"x\xffy\"}\n";
  EXPECT_THAT(ErrorOf(bad_utf8), HasSubstr("\"A\": invalid label value: "));
}

TEST(RuleFileValidationTest, TemplateSyntaxOfAlertingRules) {
  EXPECT_EQ(ErrorOf("groups:\n  - name: g\n    rules:\n      - alert: \"bad name!\"\n"
                    "        expr: up\n        labels:\n          a: \"{{ .Foo \"\n"
                    "          ok: \"{{ $labels.job }} {{ $value }} {{ $externalURL }}\"\n"
                    "        annotations:\n          summary: \"{{ if }}\"\n"
                    "          d: \"{{ humanize $value }} {{ $externalLabels.x }}\"\n"),
            "r.yml:7:11: group \"g\", rule 1, \"bad name!\": label \"a\": template: __alert_bad "
            "name!:1: unclosed action\n"
            "r.yml:10:11: group \"g\", rule 1, \"bad name!\": annotation \"summary\": template: "
            "__alert_bad name!:1: missing value for if");
  EXPECT_THAT(ErrorOf("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n"
                      "        annotations: {x: \"{{ nosuchfunc 1 }}\"}\n"),
              HasSubstr("annotation \"x\": template: __alert_A:1: function \"nosuchfunc\" not "
                        "defined"));
  // Recording rules' labels are not templates.
  EXPECT_TRUE(Parse("groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n"
                    "        labels: {a: \"{{ \"}\n")
                  .ok());
}

TEST(RuleFileValidationTest, ErrorsNameTheFileGivenToTheParser) {
  Result<RuleFile> r = ParseRuleFile("groups:\n  - name: g\n  - name: g\n", "team/payments.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "team/payments.yml:3:5: groupname: \"g\" is repeated in the same file");
}

// ---------------------------------------------------------------------------------------
// Lint.

TEST(RuleLintTest, DuplicatesAcrossGroupsAreReportedOnceSorted) {
  Result<RuleFile> r = Parse(
      "groups:\n"
      "  - name: g\n"
      "    rules:\n"
      "      - alert: Z\n        expr: up\n"
      "      - alert: Z\n        expr: down\n"
      "      - record: r\n        expr: up\n        labels: {c: d, a: b}\n"
      "  - name: h\n"
      "    rules:\n"
      "      - alert: Z\n        expr: up\n"
      "      - record: r\n        expr: up\n        labels: {a: b, c: d}\n"
      "      - record: r\n        expr: up\n        labels: {a: b}\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::vector<DuplicateRule> dups = FindDuplicateRules(*r);
  ASSERT_EQ(dups.size(), 2u);
  EXPECT_EQ(FormatDuplicateRules(dups),
            "2 duplicate rule(s) found.\n"
            "Metric: Z\nLabel(s):\n"
            "Metric: r\nLabel(s):\n\ta: b\n\tc: d\n"
            "Might cause inconsistency while recording expressions");
  EXPECT_THAT(LintRuleFile(*r, LintOptions{}),
              ElementsAre(HasSubstr("lint error 2 duplicate rule(s) found.\nMetric: Z")));
  EXPECT_TRUE(LintRuleFile(*r, LintOptions{.duplicate_rules = false}).empty());
}

TEST(RuleLintTest, LintOptionsParseLikePromtool) {
  std::vector<std::string> warnings;
  EXPECT_TRUE(ParseLintOptions("duplicate-rules", &warnings).duplicate_rules);
  EXPECT_TRUE(ParseLintOptions("all", &warnings).duplicate_rules);
  EXPECT_FALSE(ParseLintOptions("none", &warnings).duplicate_rules);
  EXPECT_TRUE(warnings.empty());
  EXPECT_TRUE(ParseLintOptions("none,bogus,all", &warnings).duplicate_rules);
  EXPECT_THAT(warnings, ElementsAre("WARNING: unknown lint option bogus"));
}

// ---------------------------------------------------------------------------------------
// Files and globs.

class RuleFilesOnDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "andon-rules-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "team");
    Write("team/b.yml", "groups:\n  - name: b\n    rules:\n      - record: b\n        expr: 1\n");
    Write("team/a.yml", "groups:\n  - name: a\n    rules:\n      - record: a\n        expr: 1\n");
    Write("team/notes.txt", "not a rule file");
    Write("single.yml", "groups: []\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }
  std::string P(const std::string& rel) const { return (dir_ / rel).string(); }

  fs::path dir_;
};

TEST_F(RuleFilesOnDisk, GlobsExpandSortedAndDeduplicated) {
  Result<std::vector<std::string>> files =
      ExpandRuleFilePatterns({P("team/*.yml"), P("single.yml"), P("team/a.yml"), P("none/*.yml")});
  ASSERT_TRUE(files.ok()) << files.status().message();
  EXPECT_THAT(*files, ElementsAre(P("team/a.yml"), P("team/b.yml"), P("single.yml")));
}

TEST_F(RuleFilesOnDisk, ALiteralPathMustExist) {
  Result<std::vector<std::string>> files = ExpandRuleFilePatterns({P("missing.yml")});
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().message(),
            "\"" + P("missing.yml") + "\" does not point to an existing file");
}

TEST_F(RuleFilesOnDisk, LoadRuleFilesReadsEveryMatch) {
  Result<std::vector<RuleFile>> loaded = LoadRuleFiles({P("team/*.yml")});
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0].filename, P("team/a.yml"));
  EXPECT_EQ((*loaded)[0].groups[0].rules[0].name, "a");
  EXPECT_EQ((*loaded)[1].groups[0].name, "b");

  Write("team/c.yml", "groups:\n  - name: c\n    rules:\n      - record: c\n");
  Result<std::vector<RuleFile>> bad = LoadRuleFiles({P("team/*.yml")});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            P("team/c.yml") + ":4:9: group \"c\", rule 1, \"c\": field 'expr' must be set in rule");
}

TEST_F(RuleFilesOnDisk, UnreadableFilesAreIOErrors) {
  Result<RuleFile> missing = LoadRuleFile(P("nope.yml"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kIOError);
  EXPECT_EQ(missing.status().message(),
            P("nope.yml") + ": cannot read file: No such file or directory");
  Result<RuleFile> dir = LoadRuleFile(P("team"));
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), Status::Code::kIOError);
}

}  // namespace
}  // namespace andon::rules
