// cmd/check_rules.h
//
// `andon check rules` and `andon check config`, printing what `promtool check rules|config`
// (Prometheus 2.42) prints: "Checking <file>" on stdout, then "  SUCCESS: N rules found" on
// stdout or "  FAILED:" and one problem per line on stderr, and a blank line per file.
// `check config` also checks every rule file the configuration's `rule_files` globs match.
//
// Flags, as promtool: --lint=all|duplicate-rules|none (default duplicate-rules),
// --lint-fatal; `check config` also takes --syntax-only (skip the rule files).
// Exit codes: 0 clean (lint findings are printed but do not fail), 1 an invalid file,
// 2 a file that cannot be read (or bad usage), 3 lint findings with --lint-fatal.
// With no FILE, `check rules` reads the rule file from standard input.
//
// `check rules` also applies Andon's team policy (rules/rule_policy.h) when asked for, and
// only then: --config.file=andon.yml (its `lint:` section and intervals; with no FILE, its
// rule_files), --lint=policy ("all" keeps promtool's meaning), or any --lint.* flag. Policy
// findings exit 1. --format=json|github prints findings (rules/finding.h) on stdout instead
// of promtool's layout, invalid and unreadable files included, with the same exit codes.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace andon {

// `args` are the words after "check rules" / "check config".
int CheckRulesCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err,
                      std::FILE* in);
int CheckConfigCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

}  // namespace andon
