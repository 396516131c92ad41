// Rule unit tests (rules/rule_unit_test.h): the series-value notation, Go-style printing,
// the strict test-file reader, and the runner on real files in a temporary directory, with
// failure texts as Debian's promtool 2.42 prints them.
#include "rules/rule_unit_test.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "tsdb/sample.h"

namespace andon::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

constexpr double kInf = std::numeric_limits<double>::infinity();

// The expanded values of a values string, omitted slots as "_" and stale markers as "stale".
std::vector<std::string> Expand(const std::string& values) {
  Result<SeriesDescription> d = ParseSeriesDescription("m " + values);
  EXPECT_TRUE(d.ok()) << values << ": " << d.status().message();
  std::vector<std::string> out;
  if (!d.ok()) return out;
  for (const std::optional<double>& v : d->values) {
    if (!v) {
      out.push_back("_");
    } else if (IsStaleNaN(*v)) {
      out.push_back("stale");
    } else {
      out.push_back(FormatGoFloatE(*v));
    }
  }
  return out;
}

std::string ErrorOf(const std::string& line) {
  Result<SeriesDescription> d = ParseSeriesDescription(line);
  EXPECT_FALSE(d.ok()) << line;
  return d.ok() ? "" : d.status().message();
}

TEST(SeriesNotationTest, ExpandsEveryFormOfTheNotation) {
  struct Case {
    std::string values;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"1", {"1E+00"}},
      {"1 2 3", {"1E+00", "2E+00", "3E+00"}},
      {"1+2x3", {"1E+00", "3E+00", "5E+00", "7E+00"}},
      {"1-1x4", {"1E+00", "0E+00", "-1E+00", "-2E+00", "-3E+00"}},
      {"-1-1x1", {"-1E+00", "-2E+00"}},
      {"0x2", {"0E+00", "0E+00", "0E+00"}},
      {"_", {"_"}},
      {"_x3", {"_", "_", "_"}},
      {"stale", {"stale"}},
      {"0 stale", {"0E+00", "stale"}},
      {"0 _ _ 0", {"0E+00", "_", "_", "0E+00"}},
      {"NaN Inf -Inf +Inf nan", {"NaN", "+Inf", "-Inf", "+Inf", "NaN"}},
      {"1e3 .5 -2.5e-1", {"1E+03", "5E-01", "-2.5E-01"}},
      {"0+10x2 0+10x1", {"0E+00", "1E+01", "2E+01", "0E+00", "1E+01"}},
      {"", {}},
  };
  for (const Case& c : cases) EXPECT_EQ(Expand(c.values), c.want) << c.values;
}

TEST(SeriesNotationTest, AddsTheIncrementRepeatedlyInFloat64) {
  Result<SeriesDescription> d = ParseSeriesDescription("m 0+0.1x3");
  ASSERT_TRUE(d.ok());
  double v = 0;
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(std::bit_cast<uint64_t>(*d->values[i]), std::bit_cast<uint64_t>(v)) << i;
    v += 0.1;
  }
}

TEST(SeriesNotationTest, ReadsTheSeriesLabels) {
  Result<SeriesDescription> d =
      ParseSeriesDescription(R"(up{job="api", instance='a:1',path=`x\y`,} 1)");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->labels.ToString(), R"({__name__="up", instance="a:1", job="api", path="x\\y"})");
  Result<SeriesDescription> nameless = ParseSeriesDescription(R"({__name__="a:b", c="d\n"} 1)");
  ASSERT_TRUE(nameless.ok());
  EXPECT_EQ(nameless->labels.ToString(), R"({__name__="a:b", c="d\n"})");
}

TEST(SeriesNotationTest, ErrorsNameTheColumnAsPromtoolDoes) {
  // Texts and columns as Debian's promtool 2.42 prints them for the same input.
  EXPECT_EQ(ErrorOf(R"(up{job="prometheus", instance="localhost:9090" 0+0x1440)"),
            "1:48: parse error: unexpected character inside braces: '0'");
  EXPECT_EQ(ErrorOf(R"(ok{a="b"} 1 2 foo)"),
            "1:15: parse error: unexpected identifier \"foo\" in series values, expected number "
            "or \"stale\"");
  EXPECT_EQ(ErrorOf(R"(ok{a="b"} 1 x)"), "1:13: parse error: unexpected \"x\"");
  EXPECT_THAT(ErrorOf("m 1+2"), HasSubstr("1:6: parse error: unexpected end of input"));
  EXPECT_THAT(ErrorOf("m 1x2.5"), HasSubstr("1:5: parse error"));
  EXPECT_THAT(ErrorOf("m 0x100000000000"), HasSubstr("too many values"));
}

TEST(SeriesNotationTest, ParsesExpectedLabelSets) {
  Result<Labels> l = ParseSeriesLabels(R"(job:x{job="test"})");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->ToString(), R"({__name__="job:x", job="test"})");
  EXPECT_TRUE(ParseSeriesLabels("")->empty());
  EXPECT_TRUE(ParseSeriesLabels("{}")->empty());
  Result<Labels> bad = ParseSeriesLabels(R"(ok{a="b")");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "1:9: parse error: unexpected end of input inside braces");
  EXPECT_FALSE(ParseSeriesLabels("a b").ok());
}

TEST(GoFormattingTest, FloatsPrintAsStrconvFormatFloatE) {
  EXPECT_EQ(FormatGoFloatE(1), "1E+00");
  EXPECT_EQ(FormatGoFloatE(0), "0E+00");
  EXPECT_EQ(FormatGoFloatE(1.5), "1.5E+00");
  EXPECT_EQ(FormatGoFloatE(0.1), "1E-01");
  EXPECT_EQ(FormatGoFloatE(9218880000), "9.21888E+09");
  EXPECT_EQ(FormatGoFloatE(1e300), "1E+300");
  EXPECT_EQ(FormatGoFloatE(-kInf), "-Inf");
  EXPECT_EQ(FormatGoFloatE(kInf), "+Inf");
  EXPECT_EQ(FormatGoFloatE(std::nan("")), "NaN");
}

TEST(GoFormattingTest, DurationsPrintAsTimeDurationString) {
  EXPECT_EQ(FormatGoDuration(0), "0s");
  EXPECT_EQ(FormatGoDuration(500), "500ms");
  EXPECT_EQ(FormatGoDuration(60'000), "1m0s");
  EXPECT_EQ(FormatGoDuration(3'600'000), "1h0m0s");
  EXPECT_EQ(FormatGoDuration(179'999), "2m59.999s");
  EXPECT_EQ(FormatGoDuration(86'400'000 + 1500), "24h0m1.5s");
}

TEST(UnitTestFileTest, ReadsEveryKey) {
  Result<UnitTestFile> f = ParseUnitTestFile(R"(
rule_files: [a.yml, "b/*.yml"]
evaluation_interval: 30s
group_eval_order: [g2, g1]
tests:
  - interval: 1m
    name: t1
    external_labels: {region: eu}
    external_url: http://example.com
    input_series:
      - series: 'up{job="a"}'
        values: 1+1x3
      - series: x
        values: 5
    alert_rule_test:
      - eval_time: 5m
        alertname: Down
        exp_alerts:
          - exp_labels: {severity: page}
            exp_annotations: {summary: s}
    promql_expr_test:
      - expr: up
        eval_time: 1h1m
        exp_samples:
          - labels: 'up{job="a"}'
            value: 1.5
          - value: .nan
)");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_THAT(f->rule_files, ElementsAre("a.yml", "b/*.yml"));
  EXPECT_EQ(f->evaluation_interval_ms, 30'000);
  EXPECT_THAT(f->group_eval_order, ElementsAre("g2", "g1"));
  ASSERT_EQ(f->tests.size(), 1u);
  const TestGroup& g = f->tests[0];
  EXPECT_EQ(g.interval_ms, 60'000);
  EXPECT_EQ(g.name, "t1");
  EXPECT_EQ(g.external_labels.at("region"), "eu");
  EXPECT_EQ(g.external_url, "http://example.com");
  ASSERT_EQ(g.input_series.size(), 2u);
  EXPECT_EQ(g.input_series[1].values, "5");
  ASSERT_EQ(g.alert_rule_test.size(), 1u);
  EXPECT_EQ(g.alert_rule_test[0].eval_time_ms, 300'000);
  EXPECT_EQ(g.alert_rule_test[0].exp_alerts[0].labels.at("severity"), "page");
  EXPECT_EQ(g.alert_rule_test[0].exp_alerts[0].annotations.at("summary"), "s");
  ASSERT_EQ(g.promql_expr_test[0].exp_samples.size(), 2u);
  EXPECT_EQ(g.promql_expr_test[0].eval_time_ms, 3'660'000);
  EXPECT_EQ(g.promql_expr_test[0].exp_samples[0].value, 1.5);
  EXPECT_TRUE(std::isnan(g.promql_expr_test[0].exp_samples[1].value));
}

TEST(UnitTestFileTest, ErrorsReadAsGoYamlErrors) {
  auto error_of = [](std::string_view text) {
    Result<UnitTestFile> f = ParseUnitTestFile(text);
    EXPECT_FALSE(f.ok()) << text;
    return f.ok() ? "" : f.status().message();
  };
  EXPECT_EQ(error_of("tests:\n  - interval: 1m\n    foo: 1\n"),
            "yaml: unmarshal errors:\n  line 3: field foo not found in type main.testGroup");
  EXPECT_EQ(error_of("tests:\n  - input_series:\n      - series: a\n        extra: 2\n"),
            "yaml: unmarshal errors:\n  line 4: field extra not found in type main.series");
  EXPECT_EQ(error_of("tests:\n  - promql_expr_test:\n      - exp_samples:\n"
                     "          - value: NaN\n          - value: '1'\n"),
            "yaml: unmarshal errors:\n  line 4: cannot unmarshal !!str `NaN` into float64\n"
            "  line 5: cannot unmarshal !!str `1` into float64");
  EXPECT_EQ(error_of("evaluation_interval: abc\n"), "not a valid duration string: \"abc\"");
  EXPECT_EQ(error_of("tests: {}\n"),
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!map into []main.testGroup");
  EXPECT_THAT(error_of("tests: [\n"), HasSubstr("yaml: line"));
  EXPECT_TRUE(ParseUnitTestFile("").ok());
}

// A temporary directory holding test and rule files.
class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/andon_rule_unit_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }

  fs::path dir_;
};

TEST_F(RunnerTest, PromqlExpressionsPassAndFailWithPromtoolsWords) {
  std::string file = Write("t.yml", R"(
tests:
  - interval: 1m
    input_series:
      - series: 'ok{a="b"}'
        values: "1 NaN Inf -Inf _x2 1e3"
    promql_expr_test:
      - expr: ok
        eval_time: 0
        exp_samples:
          - labels: 'ok{a="b"}'
            value: 1
      - expr: ok
        eval_time: 1m
        exp_samples:
          - labels: 'ok{a="b"}'
            value: .nan
      - expr: ok
        eval_time: 2m
        exp_samples:
          - labels: 'ok{a="b"}'
            value: 1.5
          - labels: 'x{a="b"}'
            value: -.inf
      - expr: scalar(ok)
        eval_time: 90s
        exp_samples:
          - labels: '{}'
            value: 1e300
      - expr: ok
        eval_time: 1h1m1s
        exp_samples:
          - labels: 'ok{a="b"'
            value: 1
      - expr: sum(ok)
        eval_time: 2h
)");
  UnitTestReport r = RunRuleUnitTestFile(file);
  EXPECT_FALSE(r.unreadable);
  // The same texts Debian's promtool prints for this file.
  EXPECT_THAT(
      r.failures,
      ElementsAre(
          "    expr: \"ok\", time: 1m,\n"
          "        exp: {__name__=\"ok\", a=\"b\"} NaN\n"
          "        got: {__name__=\"ok\", a=\"b\"} NaN",
          "    expr: \"ok\", time: 2m,\n"
          "        exp: {__name__=\"ok\", a=\"b\"} 1.5E+00, {__name__=\"x\", a=\"b\"} -Inf\n"
          "        got: {__name__=\"ok\", a=\"b\"} +Inf",
          "    expr: \"scalar(ok)\", time: 1m30s,\n"
          "        exp: {} 1E+300\n"
          "        got: {} NaN",
          "    expr: \"ok\", time: 1h1m1s, err: labels \"ok{a=\\\"b\\\"\": 1:9: parse "
          "error: unexpected end of input inside braces"));
}

TEST_F(RunnerTest, RecordingRulesRunAtEveryEvaluationStepInGroupOrder) {
  Write("rules.yml", R"(
groups:
  - name: second
    rules:
      - record: doubled
        expr: base * 2
  - name: first
    rules:
      - record: base
        expr: src + 1
)");
  std::string file = Write("t.yml", R"(
rule_files: [rules.yml]
evaluation_interval: 1m
group_eval_order: [first, second]
tests:
  - interval: 30s
    input_series:
      - series: src
        values: 0+1x20
    promql_expr_test:
      - expr: doubled
        eval_time: 2m
        exp_samples:
          - labels: doubled
            value: 10
      - expr: timestamp(doubled)
        eval_time: 2m50s
        exp_samples:
          - value: 120
      - expr: count_over_time(base[10m])
        eval_time: 3m
        exp_samples:
          - value: 4
)");
  UnitTestReport r = RunRuleUnitTestFile(file);
  EXPECT_TRUE(r.passed()) << ::testing::PrintToString(r.failures);
}

TEST_F(RunnerTest, AlertsAreComparedAfterTheLastEvaluationAtOrBeforeEvalTime) {
  Write("alerts.yml", R"(
groups:
  - name: g
    rules:
      - alert: Down
        expr: up == 0
        for: 2m
        labels: {severity: page}
        annotations:
          summary: '{{ $labels.job }} down, value {{ $value }}'
)");
  std::string file = Write("t.yml", R"(
rule_files: [alerts.yml]
tests:
  - interval: 1m
    name: down
    input_series:
      - series: 'up{job="api"}'
        values: 0x10
    alert_rule_test:
      - eval_time: 1m59s
        alertname: Down
        exp_alerts: []
      - eval_time: 2m30s
        alertname: Down
        exp_alerts:
          - exp_labels: {job: api, severity: page}
            exp_annotations: {summary: 'api down, value 0'}
      - eval_time: 3m
        alertname: Down
        exp_alerts: []
    promql_expr_test:
      - expr: ALERTS
        eval_time: 1m
        exp_samples:
          - labels: 'ALERTS{alertname="Down",alertstate="pending",job="api",severity="page"}'
            value: 1
)");
  UnitTestReport r = RunRuleUnitTestFile(file);
  EXPECT_THAT(r.failures, ElementsAre("    name: down,\n"
                                      "    alertname: Down, time: 3m, \n"
                                      "        exp:[], \n"
                                      "        got:[\n"
                                      "            0:\n"
                                      "              Labels:{alertname=\"Down\", job=\"api\", "
                                      "severity=\"page\"}\n"
                                      "              Annotations:{summary=\"api down, value 0\"}\n"
                                      "            ]"));
}

TEST_F(RunnerTest, AnEvaluationErrorStopsTheGroup) {
  Write("rules.yml",
        "groups:\n  - name: g\n    rules:\n      - record: j\n"
        "        expr: a + on(x) b\n");
  std::string file = Write("t.yml", R"(
rule_files: [rules.yml]
tests:
  - input_series:
      - series: 'a{x="1"}'
        values: 1
      - series: 'b{x="1",y="1"}'
        values: 1
      - series: 'b{x="1",y="2"}'
        values: 1
    promql_expr_test:
      - expr: j
        eval_time: 5m
)");
  UnitTestReport r = RunRuleUnitTestFile(file);
  ASSERT_EQ(r.failures.size(), 1u) << ::testing::PrintToString(r.failures);
  EXPECT_THAT(r.failures[0], HasSubstr("    rule: j, time: 0s, err: "));
  EXPECT_THAT(r.failures[0], HasSubstr("many-to-many matching not allowed"));
}

TEST_F(RunnerTest, RuleFileProblemsAreReportedPerTestGroup) {
  Write("bad.yml", "groups:\n  - name: g\n    rules:\n      - record: x\n        expr: 'a +'\n");
  std::string file = Write("t.yml", "rule_files: [bad.yml, 'none*.yml']\ntests: [{}, {}]\n");
  UnitTestReport r = RunRuleUnitTestFile(file);
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_THAT(r.failures[0], HasSubstr((dir_ / "bad.yml").string() + ": 5:15: group \"g\""));
  EXPECT_THAT(r.warnings,
              ElementsAre("  WARNING: no file match pattern " + (dir_ / "none*.yml").string()));
}

TEST_F(RunnerTest, FileLevelProblems) {
  EXPECT_TRUE(RunRuleUnitTestFile((dir_ / "missing.yml").string()).unreadable);
  UnitTestReport dup = RunRuleUnitTestFile(Write("d.yml", "group_eval_order: [a, a]\ntests: []\n"));
  EXPECT_THAT(dup.failures, ElementsAre("group name repeated in evaluation order: a"));
  UnitTestReport noname = RunRuleUnitTestFile(
      Write("n.yml", "tests:\n  - name: grp\n    alert_rule_test:\n      - eval_time: 1m\n"));
  EXPECT_THAT(noname.failures, ElementsAre("an item under alert_rule_test misses required "
                                           "attribute alertname at eval_time 1m (in TestGroup "
                                           "grp)"));
  UnitTestReport bad_series =
      RunRuleUnitTestFile(Write("s.yml",
                                "tests:\n  - input_series:\n      - series: 'up{a=\"b\"'\n"
                                "        values: 1\n"));
  EXPECT_THAT(bad_series.failures,
              ElementsAre("1:10: parse error: unexpected character inside braces: '1'"));
  EXPECT_TRUE(RunRuleUnitTestFile(Write("e.yml", "")).passed());
}

}  // namespace
}  // namespace andon::rules
