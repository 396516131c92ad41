// `andon check rules` and `andon check config` against Debian's real `promtool` 2.42 on the
// same files: the same verdict (exit code) for every upstream fixture and every case here,
// and, for validation errors, the same messages once the position prefixes are set aside
// (promtool writes "file: 5:15: msg", or no position at all; Andon always "file:5:15: msg").
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "tests/integration/andon_process.h"

namespace andon {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::MakeTempDir;
using ::testing::Not;
using testing::ReadFile;
using testing::WriteFile;

const fs::path kConformance = fs::path(ANDON_SOURCE_DIR) / ".." / "shared" / "conformance";

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `program args...` in `cwd`, capturing stdout and stderr separately.
Outcome Exec(const std::string& program, const std::vector<std::string>& args,
             const fs::path& cwd) {
  fs::path tmp = MakeTempDir("andon-check-run-");
  std::string cmd = "cd '" + cwd.string() + "' && '" + program + "'";
  for (const std::string& a : args) cmd += " '" + a + "'";
  cmd += " >'" + (tmp / "out").string() + "' 2>'" + (tmp / "err").string() + "' </dev/null";
  int rc = std::system(cmd.c_str());
  Outcome r;
  r.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = ReadFile(tmp / "out");
  r.err = ReadFile(tmp / "err");
  fs::remove_all(tmp);
  return r;
}

Outcome Andon(const std::vector<std::string>& args, const fs::path& cwd) {
  return Exec(ANDON_BINARY, args, cwd);
}
Outcome Promtool(const std::vector<std::string>& args, const fs::path& cwd) {
  return Exec("promtool", args, cwd);
}

// The problems reported for `file`, positions removed, sorted (promtool prints label
// problems in Go's random map order).
std::vector<std::string> Problems(const std::string& err, const std::string& file) {
  std::vector<std::string> out;
  std::regex andon_prefix("^" +
                          std::regex_replace(file, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                          R"(:\d+:\d+: )");
  std::regex prom_prefix("^" +
                         std::regex_replace(file, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                         R"(: (\d+:\d+: )*)");
  size_t start = 0;
  while (start < err.size()) {
    size_t nl = err.find('\n', start);
    if (nl == std::string::npos) nl = err.size();
    std::string line = err.substr(start, nl - start);
    start = nl + 1;
    std::smatch m;
    if (std::regex_search(line, m, andon_prefix) || std::regex_search(line, m, prom_prefix)) {
      out.push_back(m.suffix().str());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class CheckRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(std::system("command -v promtool >/dev/null"), 0)
        << "promtool missing: scripts/install-deps.sh installs Debian's prometheus package";
    dir_ = MakeTempDir("andon-check-rules-");
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

TEST_F(CheckRulesTest, UpstreamFixturesGetPromtoolsVerdict) {
  int compared = 0, messages = 0;
  for (const char* sub : {"rulefmt", "promtool"}) {
    fs::path folder = kConformance / sub;
    ASSERT_TRUE(fs::is_directory(folder)) << folder;
    for (const auto& entry : fs::directory_iterator(folder)) {
      std::string ext = entry.path().extension().string();
      if (ext != ".yml" && ext != ".yaml") continue;
      std::string name = entry.path().filename().string();
      Outcome want = Promtool({"check", "rules", name}, folder);
      Outcome got = Andon({"check", "rules", name}, folder);
      EXPECT_EQ(got.code, want.code) << sub << "/" << name << "\npromtool:\n"
                                     << want.out << want.err << "andon:\n"
                                     << got.out << got.err;
      EXPECT_EQ(got.out.rfind("Checking " + name + "\n", 0), 0u) << got.out;
      bool success = want.out.find("  SUCCESS: ") != std::string::npos;
      if (success) {
        EXPECT_EQ(got.out, want.out) << name;  // "Checking f\n  SUCCESS: N rules found\n\n"
      } else {
        EXPECT_THAT(got.err, HasSubstr("  FAILED:\n")) << name;
      }
      // Validation problems (not YAML decoding ones, whose layout differs) read the same.
      if (want.code == 1 && want.err.find(": yaml: ") == std::string::npos) {
        EXPECT_EQ(Problems(got.err, name), Problems(want.err, name)) << name << "\n"
                                                                     << want.err << got.err;
        EXPECT_FALSE(Problems(got.err, name).empty()) << got.err;
        ++messages;
      }
      ++compared;
    }
  }
  EXPECT_GE(compared, 30);
  EXPECT_GE(messages, 11);
}

TEST_F(CheckRulesTest, ValidationMessagesMatchPromtoolsWords) {
  struct Case {
    const char* file;
    const char* yaml;
  };
  const Case cases[] = {
      {"ok.yml",
       "groups:\n  - name: a\n    interval: 30s\n    rules:\n      - alert: Down\n"
       "        expr: up == 0\n        for: 5m\n        keep_firing_for: 10m\n"
       "        labels: {severity: page}\n        annotations: {summary: \"{{ $labels.job }}\"}\n"
       "      - record: job:up:sum\n        expr: sum by (job) (up)\n"},
      {"empty.yml", ""},
      {"multi.yml",
       "groups:\n  - name: \"\"\n    rules:\n      - alert: A\n        expr: \"\"\n"
       "      - record: a:b\n        expr: sum(\n        annotations: {x: y}\n"
       "        labels: {__name__: q, \"a-b\": c}\n  - name: g\n  - name: g\n"},
      {"record.yml",
       "groups:\n  - name: g\n    rules:\n      - record: \"1x\"\n        expr: rate(up)\n"
       "        for: 1m\n        keep_firing_for: 1m\n      - record: r\n        alert: A\n"
       "        expr: up\n      - expr: up\n"},
      {"templates.yml",
       "groups:\n  - name: g\n    rules:\n      - alert: \"A b\"\n        expr: up\n"
       "        labels: {a: \"{{ .Foo \", ok: \"{{ $labels.job }}\"}\n"
       "        annotations:\n          s: \"{{ if }}\"\n          t: \"{{ nosuch }}\"\n"
       "          u: \"{{ range $i := . }}{{ end }}{{ $value | humanize }}\"\n"
       "          v: \"{{ template \\\"x\\\" }}{{ end }}\"\n"},
      {"annotations.yml",
       "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n"
       "        annotations: {\"1x\": a, ok: b}\n"},
  };
  for (const Case& c : cases) {
    WriteFile(dir_ / c.file, c.yaml);
    Outcome want = Promtool({"check", "rules", c.file}, dir_);
    Outcome got = Andon({"check", "rules", c.file}, dir_);
    EXPECT_EQ(got.code, want.code) << c.file << "\n" << want.err << "\n---\n" << got.err;
    EXPECT_EQ(got.out, want.out) << c.file;
    EXPECT_EQ(Problems(got.err, c.file), Problems(want.err, c.file)) << c.file << "\npromtool:\n"
                                                                     << want.err << "andon:\n"
                                                                     << got.err;
    if (want.code != 0) {
      EXPECT_FALSE(Problems(got.err, c.file).empty()) << got.err;
    }
  }
}

TEST_F(CheckRulesTest, StructuralErrorsFailLikePromtool) {
  struct Case {
    const char* file;
    const char* yaml;
    const char* andon_says;
  };
  const Case cases[] = {
      {"unknown.yml",
       "groups:\n  - name: g\n    foo: 1\n    rules:\n      - alert: A\n        exprr: up\n",
       "unknown.yml:3:5: field foo not found in type rulefmt.RuleGroup\n"
       "unknown.yml:6:9: field exprr not found in type rulefmt.RuleNode\n"},
      {"types.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        labels: [a]\n",
       "types.yml:5:17: field \"labels\": expected a mapping of strings, got a sequence\n"},
      {"duration.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        for: 1x\n",
       "duration.yml:5:14: field \"for\": not a valid duration string: \"1x\"\n"},
      {"syntax.yml", "groups: [\n", "syntax.yml:2:1: yaml: "},
      {"seq.yml", "- a\n", "seq.yml:1:1: cannot unmarshal a sequence into rulefmt.RuleGroups\n"},
  };
  for (const Case& c : cases) {
    WriteFile(dir_ / c.file, c.yaml);
    Outcome want = Promtool({"check", "rules", c.file}, dir_);
    Outcome got = Andon({"check", "rules", c.file}, dir_);
    EXPECT_EQ(want.code, 1) << c.file << want.err;
    EXPECT_EQ(got.code, want.code) << c.file << "\n" << got.err;
    EXPECT_EQ(got.out, want.out) << c.file;
    EXPECT_EQ(got.err.rfind(std::string("  FAILED:\n") + c.andon_says, 0), 0u) << c.file << "\n"
                                                                               << got.err;
  }
}

TEST_F(CheckRulesTest, GoYamlDecodingQuirksGetPromtoolsVerdict) {
  const std::pair<const char*, const char*> cases[] = {
      {"null-items.yml", "groups:\n  - ~\n  - name: g\n    rules: [~, {record: r, expr: up}]\n"},
      {"limits.yml", "groups:\n  - name: a\n    limit: 0x10\n  - name: b\n    limit: 1.9\n"},
      {"quoted-limit.yml", "groups:\n  - name: a\n    limit: \"5\"\n"},
      {"quoted-for.yml",
       "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        for: "
       "\"5m\"\n"},
      {"scalar-names.yml",
       "groups:\n  - name: 123\n    rules:\n      - record: r\n        expr: true\n"
       "        labels: {a: 1, b: }\n"},
      {"aliases.yml",
       "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: &e up == 0\n"
       "      - alert: B\n        expr: *e\n"},
      {"merge.yml", "groups:\n  - name: g\n    rules:\n      - <<: {alert: A, expr: up}\n"},
      {"first-document.yml", "groups:\n  - name: g\n---\ngroups:\n  - name: g\n  - name: g\n"},
      {"null-fields.yml",
       "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n        for:\n"
       "        annotations: {}\n"},
      {"null-expr.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr:\n"},
      {"blank-expr.yml",
       "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: \"  \"\n"},
      {"tabs.yml", "groups:\n\t- name: g\n"},
      {"promql-features.yml",
       "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up @ start() offset "
       "-5m\n"
       "      - alert: A\n        expr: rate(up[5m:])\n        keep_firing_for: 0\n"},
  };
  for (const auto& [file, yaml] : cases) {
    WriteFile(dir_ / file, yaml);
    Outcome want = Promtool({"check", "rules", file}, dir_);
    Outcome got = Andon({"check", "rules", file}, dir_);
    EXPECT_EQ(got.code, want.code) << file << "\npromtool:\n"
                                   << want.out << want.err << "andon:\n"
                                   << got.out << got.err;
    EXPECT_EQ(got.out, want.out) << file;
  }
}

TEST_F(CheckRulesTest, DuplicateLintPrintsLikePromtoolAndIsFatalOnlyOnRequest) {
  fs::path folder = kConformance / "promtool";
  for (const char* file : {"rules_duplicates.yml", "prometheus-rules.lint.yml"}) {
    for (std::vector<std::string> flags : std::vector<std::vector<std::string>>{
             {}, {"--lint-fatal"}, {"--lint=none"}, {"--lint=all", "--lint-fatal"}}) {
      std::vector<std::string> args = {"check", "rules"};
      args.insert(args.end(), flags.begin(), flags.end());
      args.push_back(file);
      Outcome want = Promtool(args, folder);
      Outcome got = Andon(args, folder);
      std::string what = std::string(file) + " " + ::testing::PrintToString(flags);
      EXPECT_EQ(got.code, want.code) << what;
      EXPECT_EQ(got.out, want.out) << what;
      EXPECT_EQ(got.err, want.err) << what;
    }
  }
}

TEST_F(CheckRulesTest, SeveralFilesAreCheckedInOrderAndTheWorstVerdictWins) {
  WriteFile(dir_ / "good.yml",
            "groups:\n  - name: g\n    rules:\n      - record: r\n"
            "        expr: vector(1)\n");
  WriteFile(dir_ / "bad.yml", "groups:\n  - name: g\n    rules:\n      - record: r\n");
  Outcome want = Promtool({"check", "rules", "good.yml", "bad.yml", "good.yml"}, dir_);
  Outcome got = Andon({"check", "rules", "good.yml", "bad.yml", "good.yml"}, dir_);
  EXPECT_EQ(want.code, 1);
  EXPECT_EQ(got.code, 1);
  EXPECT_EQ(got.out, want.out);
  EXPECT_EQ(got.out,
            "Checking good.yml\n  SUCCESS: 1 rules found\n\nChecking bad.yml\n\n"
            "Checking good.yml\n  SUCCESS: 1 rules found\n\n");
  EXPECT_EQ(Problems(got.err, "bad.yml"), Problems(want.err, "bad.yml"));
}

TEST_F(CheckRulesTest, UnreadableFileExitsTwo) {
  Outcome got = Andon({"check", "rules", "nope.yml"}, dir_);
  EXPECT_EQ(got.code, 2);
  EXPECT_THAT(got.err, HasSubstr("nope.yml: cannot read file: No such file or directory"));
  // promtool refuses too (its argument parser exits 1 before checking anything).
  EXPECT_NE(Promtool({"check", "rules", "nope.yml"}, dir_).code, 0);
}

TEST_F(CheckRulesTest, HelpAndBadFlags) {
  Outcome help = Andon({"check", "rules", "--help"}, dir_);
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("--lint-fatal"));
  EXPECT_THAT(Andon({"check", "config", "-h"}, dir_).out, HasSubstr("--syntax-only"));
  Outcome bad = Andon({"check", "rules", "--lintt=none", "x.yml"}, dir_);
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("unknown flag '--lintt=none'"));
  WriteFile(dir_ / "ok.yml", "groups: []\n");
  Outcome warn = Andon({"check", "rules", "--lint=bogus", "ok.yml"}, dir_);
  EXPECT_EQ(warn.code, 0);
  EXPECT_EQ(warn.out, Promtool({"check", "rules", "--lint=bogus", "ok.yml"}, dir_).out);
}

TEST_F(CheckRulesTest, StandardInputIsCheckedWhenNoFileIsGiven) {
  WriteFile(dir_ / "in.yml",
            "groups:\n  - name: g\n    rules:\n      - record: r\n"
            "        expr: vector(1)\n");
  std::string cmd = "'" + std::string(ANDON_BINARY) + "' check rules <'" +
                    (dir_ / "in.yml").string() + "' >'" + (dir_ / "out").string() + "'";
  int rc = std::system(cmd.c_str());
  EXPECT_EQ(WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, 0);
  EXPECT_EQ(ReadFile(dir_ / "out"), "Checking standard input\n  SUCCESS: 1 rules found\n\n");
}

TEST_F(CheckRulesTest, ShippedExampleConfigsAreValid) {
  for (const char* example : {"examples/kubernetes.yml"}) {
    Outcome got = Andon({"check", "config", example}, ANDON_SOURCE_DIR);
    EXPECT_EQ(got.code, 0) << example << "\n" << got.out << got.err;
    EXPECT_THAT(got.out,
                HasSubstr(std::string(" SUCCESS: ") + example + " is valid config file syntax\n"));
  }
}

TEST_F(CheckRulesTest, CheckConfigAlsoChecksTheRuleFilesItReferences) {
  fs::path folder = kConformance / "promtool";
  // Upstream: exit 0 without --lint-fatal, 3 with it (the rule file has a duplicate alert).
  for (std::vector<std::string> flags :
       std::vector<std::vector<std::string>>{{}, {"--lint-fatal"}, {"--lint=none"}}) {
    std::vector<std::string> args = {"check", "config"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back("prometheus-config.lint.yml");
    Outcome want = Promtool(args, folder);
    Outcome got = Andon(args, folder);
    EXPECT_EQ(got.code, want.code) << ::testing::PrintToString(flags) << got.out << got.err;
    EXPECT_THAT(got.out, HasSubstr("  SUCCESS: 1 rule files found\n"));
    EXPECT_THAT(got.out, HasSubstr("Checking prometheus-rules.lint.yml\n"));
    if (flags.empty()) {
      EXPECT_EQ(want.code, 0);
      EXPECT_THAT(got.err, HasSubstr("  FAILED:\n     lint error 1 duplicate rule(s) found.\n"
                                     "Metric: HighRequestLatency\n"));
    }
  }

  // A config whose rule files are invalid fails, as in promtool; a missing literal file too.
  fs::create_directories(dir_ / "rules");
  WriteFile(dir_ / "rules" / "a.yml", "groups:\n  - name: g\n    rules:\n      - record: r\n");
  WriteFile(dir_ / "rules" / "b.yml",
            "groups:\n  - name: h\n    rules:\n      - alert: A\n"
            "        expr: up == 0\n");
  WriteFile(dir_ / "bad-rules.yml", "rule_files:\n  - rules/*.yml\n");
  WriteFile(dir_ / "missing.yml", "rule_files:\n  - nothere.yml\n");
  WriteFile(dir_ / "noglob.yml", "rule_files:\n  - none/*.yml\n");
  for (const char* cfg : {"bad-rules.yml", "missing.yml", "noglob.yml"}) {
    Outcome want = Promtool({"check", "config", cfg}, dir_);
    Outcome got = Andon({"check", "config", cfg}, dir_);
    EXPECT_EQ(got.code, want.code) << cfg << "\n" << got.out << got.err;
  }
  Outcome bad = Andon({"check", "config", "bad-rules.yml"}, dir_);
  EXPECT_THAT(bad.out, HasSubstr("  SUCCESS: 2 rule files found\n"));
  EXPECT_THAT(
      bad.err,
      HasSubstr("     rules/a.yml:4:9: group \"g\", rule 1, \"r\": field 'expr' must be set in "
                "rule\n"));
  EXPECT_THAT(bad.out, HasSubstr("Checking rules/b.yml\n  SUCCESS: 1 rules found\n"));
  Outcome missing = Andon({"check", "config", "missing.yml"}, dir_);
  EXPECT_THAT(missing.err,
              HasSubstr("  FAILED: \"nothere.yml\" does not point to an existing file\n"));
  // --syntax-only does not look at the rule files.
  EXPECT_EQ(Andon({"check", "config", "--syntax-only", "bad-rules.yml"}, dir_).code, 0);
}

// ---------------------------------------------------------------------------------------
// The team policy (issue 6): lint: section, --lint=policy, --lint.* flags, --format.

constexpr char kPolicyGood[] = R"(groups:
  - name: payments
    rules:
      - alert: PaymentsDown
        expr: rate(payments_errors_total[5m]) > 0
        for: 5m
        labels: {team: payments, severity: critical}
        annotations:
          summary: Payments are failing
          runbook_url: https://runbooks.example.com/payments
)";

// Breaks the policy twice: the range (line 5, selector at column 20) and the severity.
constexpr char kPolicyBad[] = R"(groups:
  - name: payments
    rules:
      - alert: PaymentsDown
        expr: rate(payments_errors_total[2m]) > 0
        for: 5m
        labels:
          team: payments
          severity: page
        annotations:
          summary: Payments are failing
          runbook_url: https://runbooks.example.com/payments
)";

TEST_F(CheckRulesTest, PolicyIsOffUnlessRequestedSoPromtoolParityHolds) {
  WriteFile(dir_ / "bad.yml", kPolicyBad);
  for (std::vector<std::string> flags : std::vector<std::vector<std::string>>{
           {}, {"--lint=all"}, {"--lint=all", "--lint-fatal"}, {"--lint=none"}}) {
    std::vector<std::string> args = {"check", "rules"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back("bad.yml");
    Outcome want = Promtool(args, dir_);
    Outcome got = Andon(args, dir_);
    EXPECT_EQ(got.code, 0);
    EXPECT_EQ(got.code, want.code);
    EXPECT_EQ(got.out, want.out);
    EXPECT_EQ(got.err, want.err);
  }
}

TEST_F(CheckRulesTest, PolicyTextFormatExitsOneWithFindings) {
  WriteFile(dir_ / "good.yml", kPolicyGood);
  WriteFile(dir_ / "bad.yml", kPolicyBad);
  Outcome good = Andon({"check", "rules", "--lint=policy", "good.yml"}, dir_);
  EXPECT_EQ(good.code, 0) << good.err;
  EXPECT_EQ(good.out, "Checking good.yml\n  SUCCESS: 1 rules found\n\n");
  Outcome bad = Andon({"check", "rules", "--lint=policy", "good.yml", "bad.yml"}, dir_);
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ(bad.out, "Checking good.yml\n  SUCCESS: 1 rules found\n\nChecking bad.yml\n\n");
  EXPECT_EQ(bad.err,
            "  FAILED:\n"
            "bad.yml:5:20: group \"payments\", rule 1, \"PaymentsDown\": range [2m] of "
            "payments_errors_total under rate() is shorter than 4 x the scrape interval 1m (use "
            "at least [4m]) (rate-range-too-short)\n"
            "bad.yml:9:11: group \"payments\", rule 1, \"PaymentsDown\": label \"severity\" is "
            "\"page\", not one of the allowed values: critical, warning, info (severity-value)\n");
  // Flags change the policy: `page` allowed, a 30s scrape interval makes [2m] long enough.
  Outcome flagged = Andon({"check", "rules", "--lint.severity-values=page,ticket",
                           "--lint.scrape-interval=30s", "bad.yml"},
                          dir_);
  EXPECT_EQ(flagged.code, 0) << flagged.err;
  Outcome disabled = Andon(
      {"check", "rules", "--lint.disable=severity-value,rate-range-too-short", "bad.yml"}, dir_);
  EXPECT_EQ(disabled.code, 0) << disabled.err;
}

TEST_F(CheckRulesTest, PolicyGithubFormatPrintsWorkflowAnnotations) {
  WriteFile(dir_ / "good.yml", kPolicyGood);
  WriteFile(dir_ / "bad.yml", kPolicyBad);
  Outcome good = Andon({"check", "rules", "--lint=policy", "--format=github", "good.yml"}, dir_);
  EXPECT_EQ(good.code, 0);
  EXPECT_EQ(good.out, "");
  Outcome bad = Andon({"check", "rules", "--lint=policy", "--format", "github", "bad.yml"}, dir_);
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ(bad.out,
            "::error file=bad.yml,line=5,col=20,title=andon rate-range-too-short::group "
            "\"payments\", rule 1, \"PaymentsDown\": range [2m] of payments_errors_total under "
            "rate() is shorter than 4 x the scrape interval 1m (use at least [4m])\n"
            "::error file=bad.yml,line=9,col=11,title=andon severity-value::group \"payments\", "
            "rule 1, \"PaymentsDown\": label \"severity\" is \"page\", not one of the allowed "
            "values: critical, warning, info\n");
  EXPECT_EQ(bad.err, "");
  // Invalid and unreadable files are annotated too, and keep their exit codes.
  WriteFile(dir_ / "invalid.yml", "groups:\n  - name: g\n    rules:\n      - record: r\n");
  Outcome invalid = Andon({"check", "rules", "--format=github", "invalid.yml"}, dir_);
  EXPECT_EQ(invalid.code, 1);
  EXPECT_EQ(invalid.out,
            "::error file=invalid.yml,line=4,col=9,title=andon invalid-rule-file::group \"g\", "
            "rule 1, \"r\": field 'expr' must be set in rule\n");
  Outcome missing = Andon({"check", "rules", "--format=github", "nope.yml", "bad.yml"}, dir_);
  EXPECT_EQ(missing.code, 2);
  EXPECT_EQ(missing.out,
            "::error file=nope.yml,title=andon unreadable-file::cannot read file: No such file "
            "or directory\n");
  // promtool's duplicate-rules lint is a warning, an error with --lint-fatal (exit 3).
  fs::path folder = kConformance / "promtool";
  Outcome dup = Andon({"check", "rules", "--format=github", "rules_duplicates.yml"}, folder);
  EXPECT_EQ(dup.code, 0);
  EXPECT_THAT(dup.out, HasSubstr("::warning file=rules_duplicates.yml,line="));
  EXPECT_THAT(dup.out, HasSubstr("title=andon duplicate-rules::"));
  Outcome fatal =
      Andon({"check", "rules", "--format=github", "--lint-fatal", "rules_duplicates.yml"}, folder);
  EXPECT_EQ(fatal.code, 3);
  EXPECT_THAT(fatal.out, HasSubstr("::error file=rules_duplicates.yml,line="));
}

TEST_F(CheckRulesTest, PolicyJsonFormatPrintsAnArrayOfFindings) {
  WriteFile(dir_ / "good.yml", kPolicyGood);
  WriteFile(dir_ / "bad.yml", kPolicyBad);
  Outcome good = Andon({"check", "rules", "--lint=policy", "--format=json", "good.yml"}, dir_);
  EXPECT_EQ(good.code, 0);
  EXPECT_EQ(good.out, "[]\n");
  Outcome bad = Andon({"check", "rules", "--lint=policy", "--format=json", "bad.yml"}, dir_);
  EXPECT_EQ(bad.code, 1);
  EXPECT_THAT(bad.out, HasSubstr(R"({
    "file": "bad.yml",
    "line": 9,
    "column": 11,
    "group": "payments",
    "rule_index": 1,
    "rule": "PaymentsDown",
    "check": "severity-value",
    "level": "error",
    "message": "label \"severity\" is \"page\", not one of the allowed values: critical, warning, info"
  })"));
  EXPECT_EQ(bad.out.rfind("[\n  {\n    \"file\": \"bad.yml\",\n    \"line\": 5,\n", 0), 0u)
      << bad.out;
  Outcome missing = Andon({"check", "rules", "--format=json", "nope.yml"}, dir_);
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.out, HasSubstr("\"check\": \"unreadable-file\""));
}

TEST_F(CheckRulesTest, PolicyFromConfigFileUsesItsLintSectionIntervalsAndRuleFiles) {
  fs::create_directories(dir_ / "rules");
  WriteFile(dir_ / "rules" / "bad.yml", kPolicyBad);
  // `page` is allowed here, and job "payments" is scraped every 15s: only the missing
  // `owner` label is a finding... and the range [2m] is fine for 15s but not for a 1m job.
  WriteFile(dir_ / "andon.yml", R"(global:
  scrape_interval: 1m
rule_files: [rules/*.yml]
scrape_configs:
  - job_name: payments
    scrape_interval: 15s
    static_configs: [{targets: ["p:80"]}]
lint:
  required_labels: [team, owner]
  allowed_severities: [page, ticket]
)");
  Outcome got = Andon({"check", "rules", "--config.file=andon.yml", "--format=github"}, dir_);
  EXPECT_EQ(got.code, 1) << got.err;
  EXPECT_EQ(got.out,
            "::error file=rules/bad.yml,line=5,col=20,title=andon rate-range-too-short::group "
            "\"payments\", rule 1, \"PaymentsDown\": range [2m] of payments_errors_total under "
            "rate() is shorter than 4 x the scrape interval 1m (use at least [4m])\n"
            "::error file=rules/bad.yml,line=7,col=9,title=andon required-label::group "
            "\"payments\", rule 1, \"PaymentsDown\": alerting rule has no label \"owner\"\n");
  // The job's own interval applies to selectors naming it.
  std::string text = ReadFile(dir_ / "rules" / "bad.yml");
  text.replace(text.find("payments_errors_total[2m]"), 25,
               "payments_errors_total{job=\"payments\"}[2m]");
  WriteFile(dir_ / "rules" / "bad.yml", text);
  Outcome job = Andon({"check", "rules", "--config.file", "andon.yml", "rules/bad.yml"}, dir_);
  EXPECT_EQ(job.code, 1);
  EXPECT_THAT(job.err, Not(HasSubstr("rate-range-too-short")));
  EXPECT_THAT(job.err, HasSubstr("rules/bad.yml:7:9: group \"payments\", rule 1, "
                                 "\"PaymentsDown\": alerting rule has no label \"owner\" "
                                 "(required-label)\n"));
  // A config with an unknown lint key is itself a finding; an unreadable one exits 2.
  WriteFile(dir_ / "typo.yml", "lint:\n  required_label: [team]\n");
  Outcome typo = Andon({"check", "rules", "--config.file=typo.yml", "--format=github"}, dir_);
  EXPECT_EQ(typo.code, 1);
  EXPECT_EQ(typo.out,
            "::error file=typo.yml,line=2,col=3,title=andon invalid-config::field "
            "\"required_label\" not found in type config.LintConfig\n");
  EXPECT_EQ(Andon({"check", "rules", "--config.file=absent.yml", "rules/bad.yml"}, dir_).code, 2);
}

TEST_F(CheckRulesTest, PolicyBadFlagsExitTwo) {
  WriteFile(dir_ / "good.yml", kPolicyGood);
  for (std::vector<std::string> flags :
       std::vector<std::vector<std::string>>{{"--format=xml"},
                                             {"--lint.scrape-interval=soon"},
                                             {"--lint.min-rate-range-intervals=-1"},
                                             {"--lint.rate-functions=abs"},
                                             {"--lint.disable=everything"},
                                             {"--format"}}) {
    std::vector<std::string> args = {"check", "rules"};
    args.insert(args.end(), flags.begin(), flags.end());
    if (flags[0] != "--format") args.push_back("good.yml");
    Outcome got = Andon(args, dir_);
    EXPECT_EQ(got.code, 2) << ::testing::PrintToString(flags) << got.out << got.err;
    EXPECT_THAT(got.err, HasSubstr("andon: error: ")) << ::testing::PrintToString(flags);
  }
}

}  // namespace
}  // namespace andon
