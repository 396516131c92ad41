// The team policy (rules/rule_policy.h): for every check a file that passes and one that
// breaks it, with the exact finding (position, rule context, message, check id); positions
// inside expressions; options that switch checks off; and the findings' renderings
// (rules/finding.h) and the duplicate-rules findings.
#include "rules/rule_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rules/finding.h"
#include "rules/rule_lint.h"

namespace andon::rules {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A file every default check accepts. Line 4 is the alert name (value at column 16), line 5
// the expression (value at column 15), line 6 `for` (column 14), 7 `labels` (column 9) with
// `team` and `severity` on 8 and 9 (column 11), 10 `annotations` with 11 and 12.
constexpr char kGood[] = R"(groups:
  - name: payments
    rules:
      - alert: PaymentsDown
        expr: rate(payments_errors_total[5m]) > 0
        for: 5m
        labels:
          team: payments
          severity: critical
        annotations:
          summary: Payments are failing
          runbook_url: https://runbooks.example.com/payments
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The findings of `yaml` (which must load) as text lines.
std::vector<std::string> Check(const std::string& yaml, const PolicyOptions& options = {}) {
  Result<RuleFile> file = ParseRuleFile(yaml, "r.yml");
  EXPECT_TRUE(file.ok()) << file.status().message() << "\n" << yaml;
  if (!file.ok()) return {"<did not load>"};
  std::vector<std::string> out;
  for (const Finding& f : CheckPolicy(*file, options)) out.push_back(FormatFindingText(f));
  return out;
}

TEST(RulePolicyTest, CompliantFileHasNoFindings) { EXPECT_THAT(Check(kGood), IsEmpty()); }

struct PolicyCase {
  const char* name;
  std::string good;  // passes the check
  std::string bad;   // breaks it once
  std::string want;  // the finding, as text
};

std::vector<PolicyCase> Cases() {
  const std::string g = kGood;
  const std::string ctx = "group \"payments\", rule 1, \"PaymentsDown\": ";
  return {
      {"AlertNameCase", Replace(g, "PaymentsDown", "HTTPPayments5xxHigh"),
       Replace(g, "PaymentsDown", "payments_down"),
       "r.yml:4:16: group \"payments\", rule 1, \"payments_down\": alert name \"payments_down\" "
       "is not CamelCase (e.g. \"PaymentsDown\") (alert-name-case)"},
      {"MissingLabel", g, Replace(g, "          team: payments\n", ""),
       "r.yml:7:9: " + ctx + "alerting rule has no label \"team\" (required-label)"},
      {"EmptyLabel", g, Replace(g, "team: payments", "team: \"\""),
       "r.yml:8:11: " + ctx + "label \"team\" is empty (required-label)"},
      {"SeverityValue", Replace(g, "severity: critical", "severity: info"),
       Replace(g, "severity: critical", "severity: page"),
       "r.yml:9:11: " + ctx +
           "label \"severity\" is \"page\", not one of the allowed values: critical, warning, "
           "info (severity-value)"},
      {"MissingAnnotation", g,
       Replace(g, "          runbook_url: https://runbooks.example.com/payments\n", ""),
       "r.yml:10:9: " + ctx +
           "alerting rule has no annotation \"runbook_url\" (required-annotation)"},
      {"EmptyAnnotation", g, Replace(g, "summary: Payments are failing", "summary:"),
       "r.yml:11:11: " + ctx + "annotation \"summary\" is empty (required-annotation)"},
      {"ForShorterThanInterval", Replace(g, "for: 5m", "for: 1m"),
       Replace(g, "for: 5m", "for: 30s"),
       "r.yml:6:14: " + ctx +
           "for 30s is shorter than the evaluation interval 1m (the alert can only fire at an "
           "evaluation, so it waits the whole interval) (for-too-short)"},
      {"ForShorterThanGroupInterval",
       Replace(Replace(g, "for: 5m", "for: 2m"), "    rules:", "    interval: 2m\n    rules:"),
       Replace(Replace(g, "for: 5m", "for: 90s"), "    rules:", "    interval: 2m\n    rules:"),
       "r.yml:7:14: " + ctx +
           "for 1m30s is shorter than the evaluation interval 2m (the alert can only fire at an "
           "evaluation, so it waits the whole interval) (for-too-short)"},
      {"RateRangeTooShort", Replace(g, "[5m]", "[4m]"), Replace(g, "[5m]", "[2m]"),
       "r.yml:5:20: " + ctx +
           "range [2m] of payments_errors_total under rate() is shorter than 4 x the scrape "
           "interval 1m (use at least [4m]) (rate-range-too-short)"},
      {"IncreaseInsideSubquery",
       Replace(g, "rate(payments_errors_total[5m])",
               "max_over_time(increase(payments_errors_total[10m])[1h:1m])"),
       Replace(g, "rate(payments_errors_total[5m])",
               "max_over_time(increase(payments_errors_total[1m])[1h:1m])"),
       "r.yml:5:38: " + ctx +
           "range [1m] of payments_errors_total under increase() is shorter than 4 x the scrape "
           "interval 1m (use at least [4m]) (rate-range-too-short)"},
      {"RateOverSubquery",
       Replace(g, "rate(payments_errors_total[5m])", "rate(sum(payments_errors_total)[8m:2m])"),
       Replace(g, "rate(payments_errors_total[5m])", "rate(sum(payments_errors_total)[5m:2m])"),
       "r.yml:5:20: " + ctx +
           "subquery range [5m] under rate() is shorter than 4 x its step 2m (use at least [8m]) "
           "(rate-range-too-short)"},
      {"IrateInParentheses", Replace(g, "rate(payments_errors_total[5m])", "(irate((x[4m])))"),
       Replace(g, "rate(payments_errors_total[5m])", "(irate((x[1m])))"),
       "r.yml:5:23: " + ctx +
           "range [1m] of x under irate() is shorter than 4 x the scrape interval 1m (use at "
           "least [4m]) (rate-range-too-short)"},
  };
}

TEST(RulePolicyTest, EveryCheckAcceptsTheGoodFileAndReportsTheBadOne) {
  for (const PolicyCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(Check(c.good), IsEmpty());
    EXPECT_THAT(Check(c.bad), ElementsAre(c.want));
  }
}

TEST(RulePolicyTest, RecordingRulesGetOnlyTheRangeCheck) {
  const std::string file = R"(groups:
  - name: rec
    rules:
      - record: job:errors:rate1m
        expr: sum by (job) (rate(errors_total[1m]))
      - record: job:errors:rate5m
        expr: sum by (job) (rate(errors_total[5m]))
)";
  EXPECT_THAT(Check(file),
              ElementsAre("r.yml:5:34: group \"rec\", rule 1, \"job:errors:rate1m\": range [1m] "
                          "of errors_total under rate() is shorter than 4 x the scrape interval "
                          "1m (use at least [4m]) (rate-range-too-short)"));
}

TEST(RulePolicyTest, JobScrapeIntervalIsUsedForSelectorsNamingTheJob) {
  PolicyOptions o;
  o.job_scrape_interval_ms["api"] = 15000;
  const std::string g = kGood;
  // 1m is 4 x api's 15s, but not 4 x the global 1m.
  EXPECT_THAT(Check(Replace(g, "payments_errors_total[5m]", "errors_total{job=\"api\"}[1m]"), o),
              IsEmpty());
  EXPECT_THAT(Check(Replace(g, "payments_errors_total[5m]", "errors_total{job=\"api\"}[30s]"), o),
              ElementsAre(HasSubstr("range [30s] of errors_total{job=\"api\"} under rate() is "
                                    "shorter than 4 x the scrape interval 15s of job \"api\" (use "
                                    "at least [1m])")));
  EXPECT_THAT(Check(Replace(g, "payments_errors_total[5m]", "errors_total{job=\"web\"}[1m]"), o),
              ElementsAre(HasSubstr("4 x the scrape interval 1m (use at least [4m])")));
}

TEST(RulePolicyTest, PositionsInsideLiteralBlocksPointAtTheSelector) {
  const std::string file = Replace(kGood, "expr: rate(payments_errors_total[5m]) > 0",
                                   "expr: |\n          sum(payments_errors_total)\n"
                                   "          /\n          sum(rate(requests_total[1m]))");
  EXPECT_THAT(Check(file), ElementsAre(HasSubstr("r.yml:8:20: group \"payments\"")));
}

TEST(RulePolicyTest, ExpressionsNotVerbatimInTheFileFallBackToTheExprValue) {
  // A folded block and a double-quoted scalar with an escape.
  const std::string folded = Replace(kGood, "expr: rate(payments_errors_total[5m]) > 0",
                                     "expr: >\n          rate(x[1m])\n          > 0");
  EXPECT_THAT(Check(folded), ElementsAre(HasSubstr("r.yml:5:15: ")));
  const std::string quoted = Replace(kGood, "expr: rate(payments_errors_total[5m]) > 0",
                                     "expr: \"rate(x{a=\\\"b\\\"}[1m]) > 0\"");
  EXPECT_THAT(Check(quoted), ElementsAre(HasSubstr("r.yml:5:15: ")));
  const std::string plain_quoted =
      Replace(kGood, "expr: rate(payments_errors_total[5m]) > 0", "expr: 'rate(x[1m]) > 0'");
  EXPECT_THAT(Check(plain_quoted), ElementsAre(HasSubstr("r.yml:5:21: ")));
}

TEST(RulePolicyTest, SeveralFindingsComeInFileOrder) {
  std::string bad = Replace(kGood, "PaymentsDown", "payments_down");
  bad = Replace(bad, "[5m]", "[1m]");
  bad = Replace(bad, "severity: critical", "severity: page");
  std::vector<std::string> got = Check(bad);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_THAT(got[0], HasSubstr("r.yml:4:16:"));
  EXPECT_THAT(got[1], HasSubstr("r.yml:5:20:"));
  EXPECT_THAT(got[2], HasSubstr("r.yml:9:11:"));
}

TEST(RulePolicyTest, EmptyListsZeroAndFalseSwitchChecksOff) {
  std::string bad = Replace(kGood, "PaymentsDown", "payments_down");
  bad = Replace(bad, "[5m]", "[1m]");
  bad = Replace(bad, "for: 5m", "for: 10s");
  bad = Replace(bad, "severity: critical", "severity: page");
  bad = Replace(bad, "          team: payments\n", "");
  bad = Replace(bad, "          summary: Payments are failing\n", "");
  EXPECT_EQ(Check(bad).size(), 6u);
  PolicyOptions off;
  off.lint.camel_case_alert_names = false;
  off.lint.min_rate_range_intervals = 0;
  off.lint.for_at_least_interval = false;
  off.lint.allowed_severities.clear();
  off.lint.required_labels.clear();
  off.lint.required_annotations.clear();
  EXPECT_THAT(Check(bad, off), IsEmpty());
  // Other settings: a custom severity label and set, fewer required keys, a wider range rule.
  PolicyOptions custom;
  custom.lint.severity_label = "priority";
  custom.lint.allowed_severities = {"P1", "P2"};
  custom.lint.required_labels = {"priority"};
  custom.lint.required_annotations = {"runbook_url"};
  custom.lint.min_rate_range_intervals = 1;
  custom.lint.camel_case_alert_names = false;
  custom.lint.for_at_least_interval = false;
  EXPECT_THAT(Check(Replace(bad, "severity: page", "priority: P3"), custom),
              ElementsAre(HasSubstr("label \"priority\" is \"P3\", not one of the allowed "
                                    "values: P1, P2 (severity-value)")));
}

TEST(RulePolicyTest, RateFunctionsAreConfigurable) {
  PolicyOptions o;
  o.lint.rate_functions = {"deriv"};
  const std::string g = kGood;
  EXPECT_THAT(Check(Replace(g, "[5m]", "[1m]"), o), IsEmpty());  // rate() no longer checked
  EXPECT_THAT(Check(Replace(g, "rate(payments_errors_total[5m])", "deriv(x[2m])"), o),
              ElementsAre(HasSubstr("range [2m] of x under deriv()")));
}

TEST(RulePolicyTest, ValidatePolicyRejectsFunctionsWithoutARangeArgument) {
  PolicyOptions o;
  EXPECT_TRUE(ValidatePolicy(o).ok());
  o.lint.rate_functions = {"rate", "abs"};
  EXPECT_EQ(ValidatePolicy(o).message(),
            "lint rate_functions: \"abs\" is not a PromQL function over a range vector");
  o.lint.rate_functions = {"ratee"};
  EXPECT_FALSE(ValidatePolicy(o).ok());
  o.lint.rate_functions = {"predict_linear", "holt_winters", "rate"};
  EXPECT_TRUE(ValidatePolicy(o).ok());
  o.scrape_interval_ms = 0;
  EXPECT_FALSE(ValidatePolicy(o).ok());
}

TEST(RulePolicyTest, PolicyFromConfigTakesLintSectionIntervalsAndJobs) {
  Result<config::Config> c = config::ParseConfig(R"(global:
  scrape_interval: 30s
  evaluation_interval: 15s
scrape_configs:
  - job_name: api
    scrape_interval: 10s
    static_configs: [{targets: ["a:80"]}]
  - job_name: web
    static_configs: [{targets: ["b:80"]}]
lint:
  required_labels: [team]
)",
                                                 "andon.yml", "");
  ASSERT_TRUE(c.ok()) << c.status().message();
  PolicyOptions o = PolicyFromConfig(*c);
  EXPECT_EQ(o.scrape_interval_ms, 30000);
  EXPECT_EQ(o.evaluation_interval_ms, 15000);
  EXPECT_EQ(o.job_scrape_interval_ms.at("api"), 10000);
  EXPECT_EQ(o.job_scrape_interval_ms.at("web"), 30000);
  EXPECT_THAT(o.lint.required_labels, ElementsAre("team"));
  EXPECT_TRUE(o.known_teams.empty());
  EXPECT_THAT(o.lint.required_annotations, ElementsAre("runbook_url", "summary"));  // default
  Result<config::Config> teams = config::ParseConfig(R"(alerting:
  global: {slack_api_url: "https://hooks.slack.example/x"}
  route: {receiver: default}
  receivers: [{name: default}]
teams:
  payments: {slack_channel: "#pay"}
  search: {slack_channel: "#search"}
)",
                                                     "andon.yml", "");
  ASSERT_TRUE(teams.ok()) << teams.status().message();
  EXPECT_THAT(PolicyFromConfig(*teams).known_teams, ElementsAre("payments", "search"));
  Result<config::Config> none = config::ParseConfig("", "andon.yml", "");
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(PolicyFromConfig(*none).lint.required_labels, ElementsAre("team", "severity"));
}

TEST(RulePolicyTest, TeamLabelMustNameAConfiguredTeamWhenTheConfigHasTeams) {
  const std::string g = kGood;
  EXPECT_THAT(Check(Replace(g, "team: payments", "team: paymnets")), IsEmpty());  // no teams
  PolicyOptions o;
  o.known_teams = {"payments", "search"};
  EXPECT_THAT(Check(g, o), IsEmpty());
  EXPECT_THAT(Check(Replace(g, "team: payments", "team: \"{{ $labels.team }}\""), o), IsEmpty());
  EXPECT_THAT(Check(Replace(g, "team: payments", "team: paymnets"), o),
              ElementsAre("r.yml:8:11: group \"payments\", rule 1, \"PaymentsDown\": label "
                          "\"team\" is \"paymnets\", which names no team of the config (its "
                          "alerts would go to the default receiver); teams: payments, search "
                          "(unknown-team)"));
}

TEST(RulePolicyTest, ToCamelCaseSuggestions) {
  EXPECT_EQ(ToCamelCase("high_cpu_usage"), "HighCpuUsage");
  EXPECT_EQ(ToCamelCase("apiDown"), "ApiDown");
  EXPECT_EQ(ToCamelCase("api-5xx rate"), "Api5xxRate");
  EXPECT_EQ(ToCamelCase("5xx"), "Alert5xx");
}

// ---------------------------------------------------------------------------------------
// Renderings.

Finding Sample() {
  Finding f;
  f.file = "rules/pay,ments.yml";
  f.pos = {7, 9};
  f.group = "payments";
  f.rule_index = 2;
  f.rule = "PaymentsDown";
  f.check = "required-label";
  f.message = "alerting rule has no label \"team\" (100% sure)\nsecond line";
  return f;
}

TEST(FindingTest, TextGithubAndJsonRenderings) {
  Finding f = Sample();
  EXPECT_EQ(FormatFindingText(f),
            "rules/pay,ments.yml:7:9: group \"payments\", rule 2, \"PaymentsDown\": alerting rule "
            "has no label \"team\" (100% sure)\nsecond line (required-label)");
  EXPECT_EQ(FormatFindingGithub(f),
            "::error file=rules/pay%2Cments.yml,line=7,col=9,title=andon required-label::group "
            "\"payments\", rule 2, \"PaymentsDown\": alerting rule has no label \"team\" (100%25 "
            "sure)%0Asecond line");
  f.warning = true;
  f.pos = {};
  EXPECT_EQ(FormatFindingGithub(f).rfind("::warning file=rules/pay%2Cments.yml,title=andon "
                                         "required-label::",
                                         0),
            0u);
  nlohmann::json j = nlohmann::json::parse(FindingsToJson({Sample(), f}));
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["file"], "rules/pay,ments.yml");
  EXPECT_EQ(j[0]["line"], 7);
  EXPECT_EQ(j[0]["column"], 9);
  EXPECT_EQ(j[0]["group"], "payments");
  EXPECT_EQ(j[0]["rule_index"], 2);
  EXPECT_EQ(j[0]["rule"], "PaymentsDown");
  EXPECT_EQ(j[0]["check"], "required-label");
  EXPECT_EQ(j[0]["level"], "error");
  EXPECT_EQ(j[0]["message"], Sample().message);
  EXPECT_TRUE(j[1]["line"].is_null());
  EXPECT_EQ(j[1]["level"], "warning");
  EXPECT_EQ(FindingsToJson({}), "[]\n");
}

TEST(FindingTest, StatusMessagesBecomeFindingsWithTheirPositions) {
  Result<RuleFile> bad = ParseRuleFile(
      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(x)\n"
      "      - alert: B\n        expr: up\n        labels: {1x: y}\n",
      "r.yml");
  ASSERT_FALSE(bad.ok());
  std::vector<Finding> got = FindingsFromStatus(bad.status(), "r.yml", "invalid-rule-file");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].pos.line, 5);
  EXPECT_EQ(got[0].pos.column, 15);
  EXPECT_EQ(got[0].check, "invalid-rule-file");
  EXPECT_THAT(got[0].message, HasSubstr("group \"g\", rule 1, \"A\": could not parse expression"));
  EXPECT_EQ(got[1].pos.line, 8);
  std::vector<Finding> io =
      FindingsFromStatus(Status::IOError("x.yml: cannot read file: No such file or directory"),
                         "x.yml", "invalid-rule-file");
  ASSERT_EQ(io.size(), 1u);
  EXPECT_EQ(io[0].check, "unreadable-file");
  EXPECT_EQ(io[0].pos.line, 0);
  EXPECT_EQ(io[0].message, "cannot read file: No such file or directory");
}

TEST(FindingTest, DuplicateRulesPointAtTheRepeatedRule) {
  Result<RuleFile> r = ParseRuleFile(R"(groups:
  - name: a
    rules:
      - alert: X
        expr: up == 0
        labels: {severity: page}
  - name: b
    rules:
      - alert: Y
        expr: up
      - alert: X
        expr: up > 1
        labels: {severity: page}
)",
                                     "r.yml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::vector<Finding> got = DuplicateRuleFindings(*r);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(FormatFindingText(got[0]),
            "r.yml:11:16: group \"b\", rule 2, \"X\": same name and labels as group \"a\", rule 1 "
            "(both write or fire the same series) (duplicate-rules)");
  EXPECT_TRUE(got[0].warning);
}

}  // namespace
}  // namespace andon::rules
