// `andon test rules` against Debian's real `promtool test rules` (Prometheus 2.42), both run
// live on the same files: every upstream unit-test fixture in shared/conformance/promtool/
// and the cases below must give the same exit code, and the same stdout and stderr byte for
// byte (the failure reports print expected vs got exactly as promtool does; only the series
// list of a many-to-many error, which promtool prints in random order, is sorted first).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/integration/andon_process.h"

namespace andon {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::MakeTempDir;
using testing::ReadFile;
using testing::WriteFile;

const fs::path kPromtoolDir =
    fs::path(ANDON_SOURCE_DIR) / ".." / "shared" / "conformance" / "promtool";

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `program test rules FILE` in `cwd`, capturing stdout and stderr separately.
Outcome TestRules(const std::string& program, const std::string& file, const fs::path& cwd) {
  fs::path tmp = MakeTempDir("andon-test-rules-");
  std::string cmd = "cd '" + cwd.string() + "' && '" + program + "' test rules '" + file + "' >'" +
                    (tmp / "out").string() + "' 2>'" + (tmp / "err").string() + "' </dev/null";
  int rc = std::system(cmd.c_str());
  Outcome r;
  r.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = ReadFile(tmp / "out");
  r.err = ReadFile(tmp / "err");
  fs::remove_all(tmp);
  return r;
}

// Promtool lists the series of a many-to-many error in Go's random map order: sorts the
// list "[{...}, {...}]" after "operation: " so that the texts compare.
std::string NormalizeSeriesLists(std::string text) {
  const std::string marker = "operation: [";
  size_t pos = 0;
  while ((pos = text.find(marker, pos)) != std::string::npos) {
    size_t begin = pos + marker.size();
    size_t end = text.find("];", begin);
    if (end == std::string::npos) break;
    std::vector<std::string> items;
    std::string list = text.substr(begin, end - begin);
    size_t start = 0;
    while (true) {
      size_t sep = list.find("}, {", start);
      if (sep == std::string::npos) {
        items.push_back(list.substr(start));
        break;
      }
      items.push_back(list.substr(start, sep + 1 - start));
      start = sep + 3;
    }
    std::sort(items.begin(), items.end());
    std::string joined;
    for (size_t i = 0; i < items.size(); ++i) joined += (i ? ", " : "") + items[i];
    text.replace(begin, end - begin, joined);
    pos = begin + joined.size();
  }
  return text;
}

void ExpectSameAsPromtool(const std::string& file, const fs::path& cwd) {
  Outcome prom = TestRules("promtool", file, cwd);
  Outcome andon = TestRules(ANDON_BINARY, file, cwd);
  EXPECT_EQ(andon.code, prom.code) << file << "\nandon stderr:\n"
                                   << andon.err << "\npromtool stderr:\n"
                                   << prom.err;
  EXPECT_EQ(andon.out, prom.out) << file;
  EXPECT_EQ(NormalizeSeriesLists(andon.err), NormalizeSeriesLists(prom.err)) << file;
}

class TestRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(std::system("command -v promtool >/dev/null"), 0)
        << "promtool missing: scripts/install-deps.sh installs Debian's prometheus package";
    dir_ = MakeTempDir("andon-test-rules-cases-");
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

TEST_F(TestRulesTest, EveryUpstreamFixtureGetsPromtoolsVerdictAndReport) {
  // The unit-test files among the fixtures (the others are the rule files they load).
  const std::vector<std::string> fixtures = {"unittest.yml",
                                             "long-period.yml",
                                             "failing.yml",
                                             "bad-input-series.yml",
                                             "bad-promql.yml",
                                             "bad-rules-syntax-test.yml",
                                             "bad-rules-error-test.yml",
                                             "at-modifier-test.yml",
                                             "negative-offset-test.yml"};
  int passing = 0;
  for (const std::string& f : fixtures) {
    ASSERT_TRUE(fs::exists(kPromtoolDir / f)) << f;
    ExpectSameAsPromtool(f, kPromtoolDir);
    if (TestRules(ANDON_BINARY, f, kPromtoolDir).code == 0) ++passing;
  }
  // UPSTREAM.md: four pass (unittest, long-period, at-modifier, negative-offset), five fail.
  EXPECT_EQ(passing, 4);
  // Run from elsewhere: rule files resolve against the test file's directory, and errors
  // name them by that path.
  ExpectSameAsPromtool("promtool/bad-rules-syntax-test.yml", kPromtoolDir.parent_path());
  ExpectSameAsPromtool("promtool/unittest.yml", kPromtoolDir.parent_path());
}

TEST_F(TestRulesTest, AlertsTemplatesAndRecordedSeriesMatchPromtool) {
  WriteFile(dir_ / "alerts.yml", R"(groups:
  - name: a
    rules:
      - alert: HighValue
        expr: metric > 5
        for: 2m
        keep_firing_for: 3m
        labels:
          severity: '{{ if gt $value 8.0 }}critical{{ else }}warning{{ end }}'
        annotations:
          summary: 'value {{ $value }} on {{ $labels.instance }} ({{ $externalLabels.region }}) {{ $externalURL }}'
          human: '{{ humanize $value }}'
      - record: metric:doubled
        expr: metric * 2
        labels:
          kind: derived
  - name: b
    rules:
      - alert: FromRecorded
        expr: metric:doubled > 12
)");
  WriteFile(dir_ / "t.yml", R"(rule_files: [alerts.yml]
evaluation_interval: 1m
group_eval_order: [b, a]
tests:
  - interval: 1m
    name: alerts
    external_labels: {region: eu}
    external_url: http://andon.example
    input_series:
      - series: 'metric{instance="i1"}'
        values: '1 6 7 9 10 1 1 1 1 1 1 1'
      - series: 'metric{instance="i2"}'
        values: '6x20'
    alert_rule_test:
      - eval_time: 2m
        alertname: HighValue
        exp_alerts: []
      - eval_time: 3m30s
        alertname: HighValue
        exp_alerts:
          - exp_labels: {instance: i1, severity: critical}
            exp_annotations: {summary: 'value 9 on i1 (eu) http://andon.example', human: '9'}
      - eval_time: 9m
        alertname: HighValue
        exp_alerts: []
      - eval_time: 4m
        alertname: FromRecorded
        exp_alerts:
          - exp_labels: {instance: i1, kind: derived}
    promql_expr_test:
      - expr: ALERTS
        eval_time: 1m
        exp_samples:
          - labels: 'ALERTS{alertname="HighValue",alertstate="pending",instance="i1",severity="warning"}'
            value: 1
      - expr: metric:doubled
        eval_time: 4m
        exp_samples:
          - labels: 'metric:doubled{instance="i2",kind="derived"}'
            value: 12
          - labels: 'metric:doubled{instance="i1",kind="derived"}'
            value: 20
      - expr: metric[2m]
        eval_time: 4m
      - expr: 'sum(metric'
        eval_time: 4m
  - interval: 1m
    input_series:
      - series: 'metric{instance="i3"}'
        values: '9x10'
    alert_rule_test:
      - eval_time: 3m
        alertname: HighValue
        exp_alerts:
          - exp_labels: {instance: i3, severity: critical}
            exp_annotations: {summary: 'value 9 on i3 () ', human: '9'}
)");
  ExpectSameAsPromtool("t.yml", dir_);
  Outcome andon = TestRules(ANDON_BINARY, "t.yml", dir_);
  EXPECT_EQ(andon.code, 1);
  EXPECT_THAT(andon.err, HasSubstr("    alertname: HighValue, time: 9m, \n        exp:[], "));

  // A rule file named twice (directly and by a glob) is loaded once.
  WriteFile(dir_ / "dup.yml", R"(rule_files: [alerts.yml, "a*.yml", alerts.yml]
tests:
  - interval: 1m
    input_series:
      - series: 'metric{instance="i2"}'
        values: '6x20'
    alert_rule_test:
      - eval_time: 5m
        alertname: HighValue
        exp_alerts:
          - exp_labels: {instance: i2, severity: warning}
            exp_annotations: {summary: 'value 6 on i2 () ', human: '6'}
)");
  ExpectSameAsPromtool("dup.yml", dir_);
  EXPECT_EQ(TestRules(ANDON_BINARY, "dup.yml", dir_).code, 0);
}

TEST_F(TestRulesTest, FileAndSeriesProblemsMatchPromtool) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"unclosed.yml",
       "tests:\n  - input_series:\n      - series: 'ok{a=\"b\"}'\n        values: \"1 2\"\n"
       "      - series: 'up{job=\"prometheus\"'\n        values: \"0+0x1440\"\n"},
      {"ident.yml",
       "tests:\n  - input_series:\n      - series: 'ok{a=\"b\"}'\n"
       "        values: \"1 2 foo\"\n"},
      {"times.yml", "tests:\n  - input_series:\n      - series: 'ok'\n        values: \"1 x\"\n"},
      {"unknown-key.yml", "tests:\n  - interval: 1m\n    foo: 1\n"},
      {"bad-float.yml",
       "tests:\n  - promql_expr_test:\n      - expr: '1'\n        exp_samples:\n"
       "          - value: NaN\n"},
      {"bad-duration.yml", "evaluation_interval: abc\ntests: []\n"},
      {"repeated-group.yml", "rule_files: [nothere.yml]\ngroup_eval_order: [a, a]\ntests: []\n"},
      {"no-alertname.yml", "tests:\n  - alert_rule_test:\n      - eval_time: 1m\n"},
      {"values.yml",
       "tests:\n  - interval: 1m\n    input_series:\n      - series: 'v'\n"
       "        values: '1 NaN Inf -Inf _x2 1e3 1-1x4 .5 0x2 stale +3'\n"
       "    promql_expr_test:\n"
       "      - {expr: v, eval_time: 1m, exp_samples: [{labels: v, value: .nan}]}\n"
       "      - {expr: v, eval_time: 9m, exp_samples: [{labels: v, value: 0}]}\n"
       "      - {expr: v, eval_time: 16m, exp_samples: []}\n"
       "      - {expr: v, eval_time: 17m, exp_samples: [{labels: v, value: 3}]}\n"
       "      - {expr: 'scalar(v)', eval_time: 5m, exp_samples: [{value: -.inf}]}\n"
       "      - {expr: v, eval_time: 1h, exp_samples: [{labels: 'v{', value: 1}]}\n"},
      {"empty.yml", ""},
  };
  for (const auto& [name, text] : cases) {
    WriteFile(dir_ / name, text);
    ExpectSameAsPromtool(name, dir_);
  }
}

// YAML single-quoted scalar.
std::string Quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

TEST_F(TestRulesTest, SeriesNotationAndItsErrorsMatchPromtool) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"sum", "1 2"},
      {"on{a='x'}", "1"},
      {"bool", "1"},
      {"atan2", "1"},
      {"Inf", "1"},
      {"{}", "1"},
      {"x", "1+1x"},
      {"x", "1e"},
      {"x", "1 2,3"},
      {"x", ""},
      {"x", "_x"},
      {"x", "stale stale"},
      {"x", "1x2x3"},
      {"x", "0x1f"},
      {"x", "+1+-1x2"},
      {"x", "-Inf+1x2"},
      {"x", "1.5e+2x1"},
      {"x", "1 . 2"},
      {"x{a=\"b\",}", "1"},
      {"x{a=\"b\" b=\"c\"}", "1"},
      {"x{a=b}", "1"},
      {"x{a}", "1"},
      {"x{,}", "1"},
      {"x{a=\"\\u00e9\"}", "1"},
      {"x{a=\"b\"}{c=\"d\"}", "1"},
      {"\"x y\"", "1"},
      {"x", "NAN inf -inF"},
      {"x", "1_000"},
      {"x", "0x0"},
      {"x", "1 _x0"},
      {"x", "1x0"},
      {"x", "- 1"},
      {"x", "1+"},
      {"x{a=1}", "1"},
      {"x{a==\"1\"}", "1"},
      {"x{a!=\"1\"}", "1"},
      {"x{1=\"1\"}", "1"},
      {"x{a=\"1\"", "1"},
      {"x", "1 +2"},
      {"x", "stalex2"},
      {"x", "_ _x2 1"},
      {"x", "1e3x1"},
      {"x", "0.1+0.2x3"},
      {"x", "1-+1x1"},
      {"x", "Infx2"},
      {"x", "1+Infx2"},
      {"x:y:", "1"},
      {":x", "1"},
      {"x", "1x-2"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string name = "series" + std::to_string(i) + ".yml";
    WriteFile(dir_ / name,
              "tests:\n  - interval: 1m\n    input_series:\n      - series: " +
                  Quoted(cases[i].first) + "\n        values: " + Quoted(cases[i].second) +
                  "\n    promql_expr_test:\n      - expr: count({__name__!=\"\"})\n"
                  "        eval_time: 2m\n        exp_samples: [{value: 1}]\n"
                  "      - expr: 'sum_over_time({__name__!=\"\"}[10m])'\n        eval_time: 2m\n");
    SCOPED_TRACE(cases[i].first + " " + cases[i].second);
    ExpectSameAsPromtool(name, dir_);
  }
}

TEST_F(TestRulesTest, AnUnreadableFileExitsWithTwo) {
  Outcome r = TestRules(ANDON_BINARY, "missing.yml", dir_);
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.out, HasSubstr("Unit Testing:  missing.yml\n"));
  EXPECT_THAT(r.err, HasSubstr("  FAILED:\n"));
  EXPECT_THAT(r.err, HasSubstr("missing.yml"));
}

}  // namespace
}  // namespace andon
