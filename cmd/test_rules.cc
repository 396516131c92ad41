#include "cmd/test_rules.h"

#include "common/logger.h"
#include "rules/rule_unit_test.h"

namespace andon {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUnreadable = 2;

constexpr char kUsage[] =
    "usage: andon test rules <test-rule-file>...\n\n"
    "Unit tests for rules, in the format of `promtool test rules`.\n";

}  // namespace

int TestRulesCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  std::vector<std::string> files;
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, out);
      return kExitOk;
    }
    if (a.size() > 1 && a[0] == '-') {
      std::fprintf(err, "andon: error: unknown flag '%s'\n", a.c_str());
      return kExitUnreadable;
    }
    files.push_back(a);
  }
  if (files.empty()) {
    std::fprintf(err, "andon test rules: at least one FILE is required\n");
    return kExitUnreadable;
  }
  // Rule evaluation errors are part of the report; the core's warning logs would only
  // repeat them (promtool runs its rule manager with a no-op logger).
  Logger::Global().Configure(LogLevel::kError, LogFormat::kLogfmt);
  bool failed = false;
  bool unreadable = false;
  for (const std::string& file : files) {
    std::fprintf(out, "Unit Testing:  %s\n", file.c_str());
    std::fflush(out);
    rules::UnitTestReport report = rules::RunRuleUnitTestFile(file);
    for (const std::string& w : report.warnings) std::fprintf(err, "%s\n", w.c_str());
    if (report.passed()) {
      std::fprintf(out, "  SUCCESS\n");
    } else {
      failed = true;
      unreadable = unreadable || report.unreadable;
      std::fprintf(err, "  FAILED:\n");
      for (const std::string& f : report.failures) {
        std::fprintf(err, "%s\n", f.c_str());
        std::fflush(err);
        std::fprintf(out, "\n");
        std::fflush(out);
      }
    }
    std::fflush(err);
    std::fprintf(out, "\n");
    std::fflush(out);
  }
  if (unreadable) return kExitUnreadable;
  return failed ? kExitFailed : kExitOk;
}

}  // namespace andon
