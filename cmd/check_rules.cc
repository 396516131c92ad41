#include "cmd/check_rules.h"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "common/config.h"
#include "rules/rule_file.h"
#include "rules/rule_lint.h"

namespace andon {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitInvalid = 1;
constexpr int kExitUnreadable = 2;
constexpr int kExitLint = 3;

// What the checked files amounted to; the exit code follows from it.
struct Outcome {
  bool unreadable = false;  // a file could not be read
  bool errors = false;      // a file is invalid
  bool lint = false;        // lint findings only

  int ExitCode(bool lint_fatal) const {
    if (unreadable) return kExitUnreadable;
    if (errors) return kExitInvalid;
    if (lint && lint_fatal) return kExitLint;
    return kExitOk;
  }
};

struct CommonFlags {
  rules::LintOptions lint;
  bool syntax_only = false;
  bool help = false;
  std::vector<std::string> files;
};

constexpr char kRulesUsage[] =
    "usage: andon check rules [<flags>] [<rule-files>...]\n\n"
    "Check if the rule files are valid or not (standard input when none is given).\n\n"
    "Flags:\n"
    "  --lint=\"duplicate-rules\"  Linting checks to apply: all, duplicate-rules, none.\n"
    "  --lint-fatal              Make lint errors exit with exit code 3.\n";
constexpr char kConfigUsage[] =
    "usage: andon check config [<flags>] <config-files>...\n\n"
    "Check if the config files, and the rule files they reference, are valid or not.\n\n"
    "Flags:\n"
    "  --syntax-only             Only check the config file, not the rule files it names.\n"
    "  --lint=\"duplicate-rules\"  Linting checks to apply to the rules: all, "
    "duplicate-rules, none.\n"
    "  --lint-fatal              Make lint errors exit with exit code 3.\n";

// Parses the flags shared by both commands; returns false (after printing why) on bad usage.
bool ParseFlags(const std::vector<std::string>& args, bool allow_syntax_only, std::FILE* out,
                std::FILE* err, CommonFlags* flags) {
  std::string lint = "duplicate-rules";
  bool fatal = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
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
  std::vector<std::string> warnings;
  flags->lint = rules::ParseLintOptions(lint, &warnings);
  flags->lint.fatal = fatal;
  for (const std::string& w : warnings) std::fprintf(out, "%s\n", w.c_str());
  return true;
}

// Prints the verdict on one parsed (or failed) rule file. `indent` prefixes each message,
// as promtool's check config does ("     ").
void Report(const Result<rules::RuleFile>& parsed, const rules::LintOptions& lint,
            const char* indent, std::FILE* out, std::FILE* err, Outcome* outcome) {
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
  if (!findings.empty()) {
    outcome->lint = true;
    std::fprintf(err, "  FAILED:\n");
    for (const std::string& f : findings) std::fprintf(err, "%s%s\n", indent, f.c_str());
    return;
  }
  std::fprintf(out, "  SUCCESS: %zu rules found\n", parsed->RuleCount());
}

void CheckRuleFiles(const std::vector<std::string>& files, const rules::LintOptions& lint,
                    const char* indent, std::FILE* out, std::FILE* err, Outcome* outcome) {
  for (const std::string& f : files) {
    std::fprintf(out, "Checking %s\n", f.c_str());
    std::fflush(out);
    Report(rules::LoadRuleFile(f), lint, indent, out, err, outcome);
    std::fflush(err);
    std::fprintf(out, "\n");
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
  if (!ParseFlags(args, /*allow_syntax_only=*/false, out, err, &flags)) return kExitUnreadable;
  if (flags.help) {
    std::fputs(kRulesUsage, out);
    return kExitOk;
  }
  Outcome outcome;
  if (flags.files.empty()) {
    std::fprintf(out, "Checking standard input\n");
    std::string text;
    char buf[65536];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, in)) > 0) text.append(buf, n);
    if (std::ferror(in)) {
      std::fprintf(err, "  FAILED: cannot read standard input\n");
      return kExitUnreadable;
    }
    Report(rules::ParseRuleFile(text, "<stdin>"), flags.lint, "", out, err, &outcome);
    std::fprintf(out, "\n");
  } else {
    CheckRuleFiles(flags.files, flags.lint, "", out, err, &outcome);
  }
  return outcome.ExitCode(flags.lint.fatal);
}

int CheckConfigCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  CommonFlags flags;
  if (!ParseFlags(args, /*allow_syntax_only=*/true, out, err, &flags)) return kExitUnreadable;
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
    CheckRuleFiles(rule_files, flags.lint, "     ", out, err, &outcome);
  }
  return outcome.ExitCode(flags.lint.fatal);
}

}  // namespace andon
