// Parses every expression of the upstream PromQL test scripts (shared/conformance/promql,
// Prometheus v2.42.0) and round-trips it through both printers.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include "query/parser.h"
#include "query/printer.h"

namespace andon::query {
namespace {

struct EvalLine {
  std::string file;
  int line;
  std::string command;  // eval, eval_ordered, eval_fail
  std::string expr;
};

std::vector<EvalLine> LoadEvalLines() {
  std::vector<EvalLine> out;
  const char* env = std::getenv("ANDON_SHARED_DIR");  // overrides the build-time location
  std::filesystem::path dir =
      std::filesystem::path(env ? env : ANDON_SHARED_DIR) / "conformance" / "promql";
  if (!std::filesystem::is_directory(dir)) return out;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".test") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  const std::regex header(R"(^\s*(eval|eval_ordered|eval_fail)\s+instant\s+at\s+\S+\s+(.+?)\s*$)");
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string text;
    int n = 0;
    while (std::getline(in, text)) {
      ++n;
      std::smatch m;
      if (std::regex_match(text, m, header)) {
        out.push_back({f.filename().string(), n, m[1].str(), m[2].str()});
      }
    }
  }
  return out;
}

TEST(ConformanceParseTest, EveryEvalExpressionParsesAndRoundTrips) {
  auto lines = LoadEvalLines();
  ASSERT_GT(lines.size(), 500u) << "conformance scripts not found under " << ANDON_SHARED_DIR;
  int evals = 0;
  int fails = 0;
  int fails_at_parse = 0;
  for (const EvalLine& l : lines) {
    SCOPED_TRACE(l.file + ":" + std::to_string(l.line) + ": " + l.expr);
    auto parsed = ParseExpr(l.expr);
    if (l.command == "eval_fail") {
      ++fails;
      if (!parsed.ok()) {
        ++fails_at_parse;
        continue;
      }
    } else {
      ++evals;
      ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    }
    std::string canonical = (*parsed)->String();
    auto again = ParseExpr(canonical);
    ASSERT_TRUE(again.ok()) << canonical << ": " << again.status().message();
    EXPECT_TRUE(Equal(**parsed, **again)) << canonical;
    EXPECT_EQ((*again)->String(), canonical);

    std::string pretty = Prettify(**parsed);
    auto from_pretty = ParseExpr(pretty);
    ASSERT_TRUE(from_pretty.ok()) << pretty << ": " << from_pretty.status().message();
    EXPECT_TRUE(Equal(**parsed, **from_pretty)) << pretty;
  }
  RecordProperty("evals", evals);
  RecordProperty("eval_fails", fails);
  RecordProperty("eval_fails_at_parse", fails_at_parse);
  std::cout << "[conformance] " << evals << " eval/eval_ordered expressions parsed and "
            << "round-tripped; " << fails << " eval_fail expressions, " << fails_at_parse
            << " of them fail at parse time\n";
  // Upstream parses eval_fail expressions when loading the script, so they must parse too.
  EXPECT_EQ(fails_at_parse, 0);
}

TEST(ConformanceParseTest, TruncatedAndMutatedExpressionsFailCleanlyWithinBounds) {
  auto lines = LoadEvalLines();
  ASSERT_GT(lines.size(), 500u);
  const std::string kInserts[] = {"(", ")", "[", "]",  "{", "}",        "\"", "'",    "`", ":",
                                  ",", "@", "-", "=~", "!", " offset ", "\\", "\xff", "#", "5m"};
  size_t inputs = 0;
  size_t rejected = 0;
  auto check = [&](const std::string& q) {
    ++inputs;
    ParseError err;
    auto r = ParseExpr(q, &err);
    if (r.ok()) {
      auto again = ParseExpr((*r)->String());
      ASSERT_TRUE(again.ok()) << q << " -> " << (*r)->String();
      EXPECT_TRUE(Equal(**r, **again)) << q;
      return;
    }
    ++rejected;
    EXPECT_LE(err.pos.start, q.size()) << q;
    EXPECT_GE(err.line, 1) << q;
    EXPECT_GE(err.column, 1) << q;
    EXPECT_FALSE(err.message.empty()) << q;
  };
  for (const EvalLine& l : lines) {
    const std::string& e = l.expr;
    for (size_t n = 0; n < e.size(); ++n) check(e.substr(0, n));
    for (size_t i = 0; i < e.size(); i += 3) {
      check(e.substr(0, i) + e.substr(i + 1));
      check(e.substr(0, i) + kInserts[i % std::size(kInserts)] + e.substr(i));
    }
  }
  EXPECT_GT(rejected, inputs / 2);
  std::cout << "[robustness] " << inputs << " truncated/mutated inputs, " << rejected
            << " rejected with an in-bounds error\n";
}

}  // namespace
}  // namespace andon::query
