#include "cmd/check_rules.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "common/config.h"
#include "common/duration.h"
#include "rules/finding.h"
#include "rules/rule_file.h"
#include "rules/rule_lint.h"
#include "rules/rule_policy.h"

namespace andon {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitInvalid = 1;
constexpr int kExitUnreadable = 2;
constexpr int kExitLint = 3;

// What the checked files amounted to; the exit code follows from it.
struct Outcome {
  bool unreadable = false;  // a file could not be read
  bool errors = false;      // a file is invalid, or breaks the team policy
  bool lint = false;        // promtool lint findings (duplicate-rules)

  int ExitCode(bool lint_fatal) const {
    if (unreadable) return kExitUnreadable;
    if (errors) return kExitInvalid;
    if (lint && lint_fatal) return kExitLint;
    return kExitOk;
  }
};

enum class Format { kText, kJson, kGithub };

struct CommonFlags {
  rules::LintOptions lint;
  bool syntax_only = false;
  bool help = false;
  std::vector<std::string> files;
  // `check rules` only.
  Format format = Format::kText;
  std::string config_file;
  std::vector<std::pair<std::string, std::string>> policy_flags;  // "--lint.x", value
};

// The --lint.* flags of `check rules`; each one turns the team policy on.
constexpr const char* kPolicyFlags[] = {
    "--lint.required-labels",      "--lint.severity-label",           "--lint.severity-values",
    "--lint.required-annotations", "--lint.min-rate-range-intervals", "--lint.rate-functions",
    "--lint.scrape-interval",      "--lint.evaluation-interval",      "--lint.disable",
};

constexpr char kRulesUsage[] =
    "usage: andon check rules [<flags>] [<rule-files>...]\n\n"
    "Check if the rule files are valid or not (standard input when none is given, or the\n"
    "config's rule_files with --config.file).\n\n"
    "Flags:\n"
    "  --lint=\"duplicate-rules\"  Linting checks to apply: all, duplicate-rules, none, and\n"
    "                            Andon's policy (team policy; not part of all).\n"
    "  --lint-fatal              Make lint errors exit with exit code 3.\n"
    "  --format=text             Output: text, json, or github (workflow annotations).\n"
    "  --config.file=FILE        Apply the team policy of FILE's lint section, with its\n"
    "                            global evaluation_interval and scrape intervals.\n"
    "  --lint.required-labels=team,severity\n"
    "  --lint.severity-label=severity\n"
    "  --lint.severity-values=critical,warning,info\n"
    "  --lint.required-annotations=runbook_url,summary\n"
    "  --lint.min-rate-range-intervals=4\n"
    "  --lint.rate-functions=rate,increase,irate,delta,idelta\n"
    "  --lint.scrape-interval=1m  (replaces the config's global and per-job intervals)\n"
    "  --lint.evaluation-interval=1m\n"
    "  --lint.disable=CHECK,...  Switch checks off: alert-name-case, required-label,\n"
    "                            severity-value, required-annotation, for-too-short,\n"
    "                            rate-range-too-short, unknown-team.\n"
    "                            Any --lint.* flag turns the team policy on.\n";
constexpr char kConfigUsage[] =
    "usage: andon check config [<flags>] <config-files>...\n\n"
    "Check if the config files, and the rule files they reference, are valid or not.\n\n"
    "Flags:\n"
    "  --syntax-only             Only check the config file, not the rule files it names.\n"
    "  --lint=\"duplicate-rules\"  Linting checks to apply to the rules: all, "
    "duplicate-rules, none.\n"
    "  --lint-fatal              Make lint errors exit with exit code 3.\n";

// Splits "--name=value" / "--name value" for one of `names`; returns false when `a` is none
// of them. A missing value is reported on `err` and sets *bad.
bool TakeValue(const std::vector<std::string>& args, size_t* i, const std::string& name,
               std::FILE* err, std::string* value, bool* bad) {
  const std::string& a = args[*i];
  if (a.size() > name.size() && a.compare(0, name.size(), name) == 0 && a[name.size()] == '=') {
    *value = a.substr(name.size() + 1);
    return true;
  }
  if (a != name) return false;
  if (*i + 1 >= args.size()) {
    std::fprintf(err, "andon: error: expected argument for flag '%s'\n", name.c_str());
    *bad = true;
    return true;
  }
  *value = args[++*i];
  return true;
}

// Parses the flags shared by both commands (`allow_rules_flags`: also those of `check rules`
// only); returns false (after printing why) on bad usage.
bool ParseFlags(const std::vector<std::string>& args, bool allow_syntax_only,
                bool allow_rules_flags, std::FILE* out, std::FILE* err, CommonFlags* flags) {
  std::string lint = "duplicate-rules";
  bool fatal = false;
  bool bad = false;
  for (size_t i = 0; i < args.size() && !bad; ++i) {
    const std::string& a = args[i];
    std::string value;
    if (allow_rules_flags && TakeValue(args, &i, "--format", err, &value, &bad)) {
      if (bad) break;
      if (value == "text") {
        flags->format = Format::kText;
      } else if (value == "json") {
        flags->format = Format::kJson;
      } else if (value == "github") {
        flags->format = Format::kGithub;
      } else {
        std::fprintf(err, "andon: error: --format must be text, json or github, got '%s'\n",
                     value.c_str());
        return false;
      }
      continue;
    }
    if (allow_rules_flags && TakeValue(args, &i, "--config.file", err, &value, &bad)) {
      flags->config_file = value;
      continue;
    }
    bool policy_flag = false;
    for (const char* name : kPolicyFlags) {
      if (allow_rules_flags && TakeValue(args, &i, name, err, &value, &bad)) {
        flags->policy_flags.emplace_back(name, value);
        policy_flag = true;
        break;
      }
    }
    if (policy_flag) continue;
    if (a == "--help" || a == "-h") {
      flags->help = true;
    } else if (a == "--lint-fatal") {
      fatal = true;
    } else if (a == "--no-lint-fatal") {
      fatal = false;
    } else if (a.rfind("--lint=", 0) == 0) {
      lint = a.substr(7);
    } else if (a == "--lint") {
      if (i + 1 >= args.size()) {
        std::fprintf(err, "andon: error: expected argument for flag '--lint'\n");
        return false;
      }
      lint = args[++i];
    } else if (allow_syntax_only && a == "--syntax-only") {
      flags->syntax_only = true;
    } else if (a.size() > 1 && a[0] == '-' && a != "-") {
      std::fprintf(err, "andon: error: unknown flag '%s'\n", a.c_str());
      return false;
    } else {
      flags->files.push_back(a);
    }
  }
  if (bad) return false;
  std::vector<std::string> warnings;
  flags->lint = rules::ParseLintOptions(lint, &warnings);
  flags->lint.fatal = fatal;
  if (flags->lint.policy && !allow_rules_flags) {
    warnings.push_back("WARNING: lint option policy applies to `andon check rules` only");
  }
  // promtool prints its warnings on stdout; json and github output keep stdout for findings.
  std::FILE* warn = flags->format == Format::kText ? out : err;
  for (const std::string& w : warnings) std::fprintf(warn, "%s\n", w.c_str());
  return true;
}

// Prints the verdict on one parsed (or failed) rule file. `indent` prefixes each message,
// as promtool's check config does ("     "). `policy`, when set, adds the team policy's
// findings after promtool's.
void Report(const Result<rules::RuleFile>& parsed, const rules::LintOptions& lint,
            const rules::PolicyOptions* policy, const char* indent, std::FILE* out, std::FILE* err,
            Outcome* outcome) {
  if (!parsed.ok()) {
    if (parsed.status().code() == Status::Code::kIOError) {
      outcome->unreadable = true;
    } else {
      outcome->errors = true;
    }
    std::fprintf(err, "  FAILED:\n");
    const std::string msg = parsed.status().message();
    size_t start = 0;
    while (start <= msg.size()) {
      size_t nl = msg.find('\n', start);
      if (nl == std::string::npos) nl = msg.size();
      std::fprintf(err, "%s%s\n", indent, msg.substr(start, nl - start).c_str());
      start = nl + 1;
    }
    return;
  }
  std::vector<std::string> findings = rules::LintRuleFile(*parsed, lint);
  if (!findings.empty()) outcome->lint = true;
  if (policy != nullptr) {
    for (const rules::Finding& f : rules::CheckPolicy(*parsed, *policy)) {
      findings.push_back(rules::FormatFindingText(f));
      outcome->errors = true;
    }
  }
  if (!findings.empty()) {
    std::fprintf(err, "  FAILED:\n");
    for (const std::string& f : findings) std::fprintf(err, "%s%s\n", indent, f.c_str());
    return;
  }
  std::fprintf(out, "  SUCCESS: %zu rules found\n", parsed->RuleCount());
}

void CheckRuleFiles(const std::vector<std::string>& files, const rules::LintOptions& lint,
                    const rules::PolicyOptions* policy, const char* indent, std::FILE* out,
                    std::FILE* err, Outcome* outcome) {
  for (const std::string& f : files) {
    std::fprintf(out, "Checking %s\n", f.c_str());
    std::fflush(out);
    Report(rules::LoadRuleFile(f), lint, policy, indent, out, err, outcome);
    std::fflush(err);
    std::fprintf(out, "\n");
  }
}

bool ReadAll(std::FILE* in, std::string* text) {
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, in)) > 0) text->append(buf, n);
  return !std::ferror(in);
}

std::vector<std::string> SplitList(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size() && !value.empty()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    if (comma > start) out.push_back(value.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// Applies the --lint.* flags over `policy` (they win over the config file), then validates.
Status ApplyPolicyFlags(const std::vector<std::pair<std::string, std::string>>& flags,
                        rules::PolicyOptions* policy) {
  config::LintConfig& l = policy->lint;
  for (const auto& [name, value] : flags) {
    auto duration = [&, &name = name, &value = value](int64_t* out) -> Status {
      Result<int64_t> d = ParseDurationMs(value);
      if (!d.ok()) return Status::InvalidArgument(name + ": " + d.status().message());
      if (*d <= 0) return Status::InvalidArgument(name + ": must be positive");
      *out = *d;
      return Status::Ok();
    };
    if (name == "--lint.required-labels") {
      l.required_labels = SplitList(value);
    } else if (name == "--lint.severity-label") {
      l.severity_label = value;
    } else if (name == "--lint.severity-values") {
      l.allowed_severities = SplitList(value);
    } else if (name == "--lint.required-annotations") {
      l.required_annotations = SplitList(value);
    } else if (name == "--lint.min-rate-range-intervals") {
      char* end = nullptr;
      unsigned long long n = std::strtoull(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || value[0] == '-') {
        return Status::InvalidArgument(name + ": not a non-negative integer: '" + value + "'");
      }
      l.min_rate_range_intervals = n;
    } else if (name == "--lint.rate-functions") {
      l.rate_functions = SplitList(value);
    } else if (name == "--lint.scrape-interval") {
      if (Status s = duration(&policy->scrape_interval_ms); !s.ok()) return s;
      policy->job_scrape_interval_ms.clear();
    } else if (name == "--lint.evaluation-interval") {
      if (Status s = duration(&policy->evaluation_interval_ms); !s.ok()) return s;
    } else if (name == "--lint.disable") {
      for (const std::string& check : SplitList(value)) {
        if (check == "alert-name-case") {
          l.camel_case_alert_names = false;
        } else if (check == "required-label") {
          l.required_labels.clear();
        } else if (check == "severity-value") {
          l.allowed_severities.clear();
        } else if (check == "required-annotation") {
          l.required_annotations.clear();
        } else if (check == "for-too-short") {
          l.for_at_least_interval = false;
        } else if (check == "rate-range-too-short") {
          l.min_rate_range_intervals = 0;
        } else if (check == "unknown-team") {
          policy->known_teams.clear();
        } else {
          return Status::InvalidArgument(name + ": unknown check '" + check + "'");
        }
      }
    }
  }
  return rules::ValidatePolicy(*policy);
}

// --format=json|github: the findings of one parsed (or failed) rule file.
void CollectFindings(const Result<rules::RuleFile>& parsed, const std::string& file,
                     const rules::LintOptions& lint, const rules::PolicyOptions* policy,
                     std::vector<rules::Finding>* findings, Outcome* outcome) {
  if (!parsed.ok()) {
    (parsed.status().code() == Status::Code::kIOError ? outcome->unreadable : outcome->errors) =
        true;
    for (rules::Finding& f :
         rules::FindingsFromStatus(parsed.status(), file, "invalid-rule-file")) {
      findings->push_back(std::move(f));
    }
    return;
  }
  if (lint.duplicate_rules) {
    for (rules::Finding& f : rules::DuplicateRuleFindings(*parsed)) {
      f.warning = !lint.fatal;
      findings->push_back(std::move(f));
      outcome->lint = true;
    }
  }
  if (policy != nullptr) {
    for (rules::Finding& f : rules::CheckPolicy(*parsed, *policy)) {
      findings->push_back(std::move(f));
      outcome->errors = true;
    }
  }
}

bool Readable(const std::string& file) {
  std::error_code ec;
  return std::filesystem::is_regular_file(file, ec) && access(file.c_str(), R_OK) == 0;
}

}  // namespace

int CheckRulesCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err,
                      std::FILE* in) {
  CommonFlags flags;
  if (!ParseFlags(args, /*allow_syntax_only=*/false, /*allow_rules_flags=*/true, out, err,
                  &flags)) {
    return kExitUnreadable;
  }
  if (flags.help) {
    std::fputs(kRulesUsage, out);
    return kExitOk;
  }
  Outcome outcome;
  std::vector<rules::Finding> findings;  // --format=json|github
  // A problem with the check's own input (config file, stdin): printed in the chosen format.
  auto fail_input = [&](const Status& s, const std::string& file, const char* check) {
    if (flags.format == Format::kText) {
      std::fprintf(err, "andon check rules: %s\n", s.message().c_str());
    } else {
      for (rules::Finding& f : rules::FindingsFromStatus(s, file, check)) {
        findings.push_back(std::move(f));
      }
    }
    (s.code() == Status::Code::kIOError ? outcome.unreadable : outcome.errors) = true;
  };

  // The team policy: from --config.file, --lint=policy, or any --lint.* flag.
  std::optional<rules::PolicyOptions> policy;
  std::vector<std::string> config_rule_files;
  if (!flags.config_file.empty()) {
    Result<config::Config> cfg = config::LoadConfigFile(flags.config_file);
    if (!cfg.ok()) {
      fail_input(cfg.status(), flags.config_file, "invalid-config");
    } else {
      policy = rules::PolicyFromConfig(*cfg);
      if (flags.files.empty()) {
        Result<std::vector<std::string>> expanded = rules::ExpandRuleFilePatterns(cfg->rule_files);
        if (expanded.ok()) {
          config_rule_files = std::move(expanded).value();
        } else {
          fail_input(
              Status::InvalidArgument(flags.config_file + ": " + expanded.status().message()),
              flags.config_file, "invalid-config");
        }
      }
    }
  } else if (flags.lint.policy || !flags.policy_flags.empty()) {
    policy = rules::PolicyOptions{};
  }
  if (policy) {
    if (Status s = ApplyPolicyFlags(flags.policy_flags, &*policy); !s.ok()) {
      std::fprintf(err, "andon: error: %s\n", s.message().c_str());
      return kExitUnreadable;
    }
  }
  const rules::PolicyOptions* policy_ptr = policy ? &*policy : nullptr;

  if (!outcome.unreadable && !outcome.errors) {
    if (flags.format == Format::kText) {
      if (!flags.config_file.empty() && flags.files.empty()) {
        CheckRuleFiles(config_rule_files, flags.lint, policy_ptr, "", out, err, &outcome);
      } else if (flags.files.empty()) {
        std::fprintf(out, "Checking standard input\n");
        std::string text;
        if (!ReadAll(in, &text)) {
          std::fprintf(err, "  FAILED: cannot read standard input\n");
          return kExitUnreadable;
        }
        Report(rules::ParseRuleFile(text, "<stdin>"), flags.lint, policy_ptr, "", out, err,
               &outcome);
        std::fprintf(out, "\n");
      } else {
        CheckRuleFiles(flags.files, flags.lint, policy_ptr, "", out, err, &outcome);
      }
    } else {
      auto collect = [&](const Result<rules::RuleFile>& parsed, const std::string& file) {
        CollectFindings(parsed, file, flags.lint, policy_ptr, &findings, &outcome);
      };
      if (!flags.config_file.empty() && flags.files.empty()) {
        for (const std::string& f : config_rule_files) collect(rules::LoadRuleFile(f), f);
      } else if (flags.files.empty()) {
        std::string text;
        if (!ReadAll(in, &text)) {
          fail_input(Status::IOError("<stdin>: cannot read standard input"), "<stdin>", "");
        } else {
          collect(rules::ParseRuleFile(text, "<stdin>"), "<stdin>");
        }
      } else {
        for (const std::string& f : flags.files) collect(rules::LoadRuleFile(f), f);
      }
    }
  }
  if (flags.format == Format::kJson) {
    std::fputs(rules::FindingsToJson(findings).c_str(), out);
  } else if (flags.format == Format::kGithub) {
    for (rules::Finding& f : findings) {
      if (flags.lint.fatal) f.warning = false;
      std::fprintf(out, "%s\n", rules::FormatFindingGithub(f).c_str());
    }
  }
  return outcome.ExitCode(flags.lint.fatal);
}

int CheckConfigCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  CommonFlags flags;
  if (!ParseFlags(args, /*allow_syntax_only=*/true, /*allow_rules_flags=*/false, out, err,
                  &flags)) {
    return kExitUnreadable;
  }
  if (flags.help) {
    std::fputs(kConfigUsage, out);
    return kExitOk;
  }
  if (flags.files.empty()) {
    std::fprintf(err, "andon check config: at least one FILE is required\n");
    return kExitUnreadable;
  }
  Outcome outcome;
  for (const std::string& file : flags.files) {
    std::fprintf(out, "Checking %s\n", file.c_str());
    std::fflush(out);
    if (!Readable(file)) {
      std::fprintf(err, "  FAILED: %s: cannot read file\n", file.c_str());
      std::fflush(err);
      std::fprintf(out, "\n");
      outcome.unreadable = true;
      continue;
    }
    Result<config::Config> cfg = config::LoadConfigFile(file);
    std::vector<std::string> rule_files;
    Status status = cfg.status();
    if (status.ok() && !flags.syntax_only) {
      Result<std::vector<std::string>> expanded = rules::ExpandRuleFilePatterns(cfg->rule_files);
      if (expanded.ok()) {
        rule_files = std::move(expanded).value();
      } else {
        status = expanded.status();
      }
    }
    if (!status.ok()) {
      std::fprintf(err, "  FAILED: %s\n", status.message().c_str());
      std::fflush(err);
      std::fprintf(out, "\n");
      outcome.errors = true;
      continue;
    }
    if (!rule_files.empty())
      std::fprintf(out, "  SUCCESS: %zu rule files found\n", rule_files.size());
    std::fprintf(out, " SUCCESS: %s is valid config file syntax\n\n", file.c_str());
    CheckRuleFiles(rule_files, flags.lint, nullptr, "     ", out, err, &outcome);
  }
  return outcome.ExitCode(flags.lint.fatal);
}

}  // namespace andon
