// Runs every case of the OpenMetrics parser test suite (shared/conformance/openmetrics,
// layout in its FORMAT.md): a case parses when the whole input is consumed without an
// error, and must match the case's shouldParse.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "scrape/openmetrics_parser.h"

namespace andon::scrape {
namespace {

namespace fs = std::filesystem;

// ANDON_SHARED_DIR is <source>/../shared, right for /work/main; a worktree under
// /work/wt/<name> finds the same folder one level further up.
fs::path SharedDir() {
  if (const char* env = std::getenv("ANDON_SHARED_DIR")) return env;
  fs::path dir = ANDON_SHARED_DIR;
  if (fs::is_directory(dir)) return dir;
  return fs::path(ANDON_SOURCE_DIR) / "../../shared";
}

const fs::path kCasesDir = SharedDir() / "conformance/openmetrics/parsers";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  if (!fs::is_directory(kCasesDir)) return names;
  for (const auto& e : fs::directory_iterator(kCasesDir)) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

struct Outcome {
  bool parsed = false;
  std::string error;
  int line = 0;
  int column = 0;
  int samples = 0;
};

Outcome ParseAll(const std::string& body) {
  OpenMetricsParser p(body);
  Outcome o;
  while (true) {
    ExpositionEntry e = p.Next();
    if (e == ExpositionEntry::kEof) {
      o.parsed = true;
      return o;
    }
    if (e == ExpositionEntry::kError) {
      o.error = p.status().message();
      o.line = p.error_line();
      o.column = p.error_column();
      return o;
    }
    if (e == ExpositionEntry::kSeries) ++o.samples;
  }
}

class OpenMetricsConformanceTest : public testing::TestWithParam<std::string> {};

TEST_P(OpenMetricsConformanceTest, VerdictMatchesShouldParse) {
  const fs::path dir = kCasesDir / GetParam();
  nlohmann::json spec = nlohmann::json::parse(ReadFile(dir / "test.json"));
  ASSERT_EQ(spec.at("type"), "text");
  const bool should_parse = spec.at("shouldParse").get<bool>();
  const std::string body = ReadFile(dir / spec.at("file").get<std::string>());

  Outcome o = ParseAll(body);
  if (should_parse) {
    EXPECT_TRUE(o.parsed) << "rejected: " << o.error;
  } else {
    ASSERT_FALSE(o.parsed) << "accepted a case that must be rejected"
                           << (spec.contains("comment") ? ": " + spec["comment"].get<std::string>()
                                                        : std::string());
    // The error names where: "line L, column C: ..." with a position inside the input.
    EXPECT_TRUE(o.error.starts_with("line " + std::to_string(o.line) + ", column " +
                                    std::to_string(o.column) + ": "))
        << o.error;
    int lines = 1 + static_cast<int>(std::count(body.begin(), body.end(), '\n'));
    EXPECT_GE(o.line, 1);
    EXPECT_LE(o.line, lines);
    EXPECT_GE(o.column, 1);
  }
}

INSTANTIATE_TEST_SUITE_P(Suite, OpenMetricsConformanceTest, testing::ValuesIn(CaseNames()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(OpenMetricsConformanceSuite, HasAll211CasesWith44ToParse) {
  int total = 0, positive = 0;
  for (const std::string& name : CaseNames()) {
    nlohmann::json spec = nlohmann::json::parse(ReadFile(kCasesDir / name / "test.json"));
    ++total;
    positive += spec.at("shouldParse").get<bool>();
  }
  EXPECT_EQ(total, 211);
  EXPECT_EQ(positive, 44);
}

}  // namespace
}  // namespace andon::scrape
