#include "common/logger.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace andon {
namespace {

TEST(LoggerTest, LogfmtQuotesValuesThatNeedIt) {
  Logger logger;
  logger.Configure(LogLevel::kInfo, LogFormat::kLogfmt);
  std::string line = logger.Format(LogLevel::kWarn, "web", "bad request",
                                   {{"path", "/a b"}, {"code", "413"}, {"q", "say \"hi\""}});
  EXPECT_NE(line.find(" level=warn component=web msg=\"bad request\" path=\"/a b\" code=413 "
                      "q=\"say \\\"hi\\\"\"\n"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.rfind("ts=", 0), 0u);
}

TEST(LoggerTest, JsonLinesParseBackWithFieldsInOrder) {
  Logger logger;
  logger.Configure(LogLevel::kInfo, LogFormat::kJson);
  std::string line = logger.Format(LogLevel::kError, "tsdb", "commit failed",
                                   {{"err", "disk full\n"}});
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["component"], "tsdb");
  EXPECT_EQ(j["msg"], "commit failed");
  EXPECT_EQ(j["err"], "disk full\n");
}

TEST(LoggerTest, ParsesLevelsAndFormatsAndRejectsOthers) {
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("error"), LogLevel::kError);
  EXPECT_FALSE(ParseLogLevel("verbose").ok());
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_FALSE(ParseLogFormat("xml").ok());
}

TEST(LoggerTest, DropsLinesBelowConfiguredLevel) {
  Logger logger;
  logger.Configure(LogLevel::kWarn, LogFormat::kLogfmt);
  EXPECT_FALSE(logger.Enabled(LogLevel::kInfo));
  EXPECT_TRUE(logger.Enabled(LogLevel::kError));
}

}  // namespace
}  // namespace andon
