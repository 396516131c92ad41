#include "common/duration.h"

#include <gtest/gtest.h>

namespace andon {
namespace {

TEST(DurationTest, ParsesEveryUnitAndCombinations) {
  EXPECT_EQ(*ParseDurationMs("15s"), 15000);
  EXPECT_EQ(*ParseDurationMs("1h30m"), 5400000);
  EXPECT_EQ(*ParseDurationMs("1d"), 86400000);
  EXPECT_EQ(*ParseDurationMs("2w"), 14LL * 86400000);
  EXPECT_EQ(*ParseDurationMs("1y"), 365LL * 86400000);
  EXPECT_EQ(*ParseDurationMs("500ms"), 500);
  EXPECT_EQ(*ParseDurationMs("1m500ms"), 60500);
  EXPECT_EQ(*ParseDurationMs("0"), 0);
  EXPECT_EQ(*ParseDurationMs("0s"), 0);
}

TEST(DurationTest, RejectsMalformedInputWithQuotedText) {
  for (const char* bad : {"", "s", "1", "1.5s", "-1s", "1x", "30m1h", "1s1s", "1 s", "1h ",
                          "99999999999999999999y"}) {
    auto r = ParseDurationMs(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(),
              std::string("not a valid duration string: \"") + bad + "\"");
  }
}

TEST(DurationTest, FormatsLargestUnitsFirst) {
  EXPECT_EQ(FormatDurationMs(0), "0s");
  EXPECT_EQ(FormatDurationMs(5400000), "1h30m");
  EXPECT_EQ(FormatDurationMs(15000), "15s");
  EXPECT_EQ(FormatDurationMs(86400000), "1d");
  EXPECT_EQ(FormatDurationMs(60500), "1m500ms");
  for (int64_t ms : {1LL, 999LL, 3600000LL, 123456789LL}) {
    EXPECT_EQ(*ParseDurationMs(FormatDurationMs(ms)), ms);
  }
}

}  // namespace
}  // namespace andon
