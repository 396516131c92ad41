// cmd/test_rules.h
//
// `andon test rules FILE...`: runs rule unit tests (rules/rule_unit_test.h) and prints what
// `promtool test rules` (Prometheus 2.42) prints: "Unit Testing:  <file>" on stdout, then
// "  SUCCESS" on stdout, or "  FAILED:" and each failure (expected vs got) on stderr, each
// followed by a blank line on stdout; a blank line after every file.
//
// Exit codes: 0 every test passed, 1 a test failed (or a file is invalid), 2 a test file that
// cannot be read, or bad usage.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace andon {

// `args` are the words after "test rules".
int TestRulesCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

}  // namespace andon
