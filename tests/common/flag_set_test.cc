#include "common/flag_set.h"

#include <gtest/gtest.h>

namespace andon {
namespace {

class FlagSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    flags_.String("web.listen-address", &listen_, "Address to listen on.");
    flags_.String("config.file", &config_, "Configuration file path.");
    flags_.Bool("web.enable-lifecycle", &lifecycle_, "Enable shutdown and reload via HTTP.");
  }
  FlagSet flags_;
  std::string listen_ = ":9090";
  std::string config_;
  bool lifecycle_ = false;
};

TEST_F(FlagSetTest, AcceptsEqualsAndSpaceFormsAndKeepsPositionals) {
  ASSERT_TRUE(flags_
                  .Parse({"check", "--web.listen-address=:9999", "--config.file", "a.yml",
                          "--web.enable-lifecycle", "config"})
                  .ok());
  EXPECT_EQ(listen_, ":9999");
  EXPECT_EQ(config_, "a.yml");
  EXPECT_TRUE(lifecycle_);
  EXPECT_EQ(flags_.positional(), (std::vector<std::string>{"check", "config"}));
  EXPECT_EQ(flags_.Values().at("web.listen-address"), ":9999");
}

TEST_F(FlagSetTest, NegatesBooleansAndRejectsUnknownOrIncompleteFlags) {
  lifecycle_ = true;
  ASSERT_TRUE(flags_.Parse({"--no-web.enable-lifecycle"}).ok());
  EXPECT_FALSE(lifecycle_);
  EXPECT_EQ(flags_.Parse({"--web.listen"}).message(), "unknown long flag '--web.listen'");
  EXPECT_EQ(flags_.Parse({"--config.file"}).message(),
            "expected argument for flag '--config.file'");
  EXPECT_FALSE(flags_.Parse({"--web.enable-lifecycle=maybe"}).ok());
}

TEST_F(FlagSetTest, UsageListsEveryFlagWithDefault) {
  std::string usage = flags_.Usage();
  EXPECT_NE(usage.find("--web.listen-address=\":9090\""), std::string::npos) << usage;
  EXPECT_NE(usage.find("--config.file=\"\""), std::string::npos);
  EXPECT_NE(usage.find("--[no-]web.enable-lifecycle"), std::string::npos);
}

}  // namespace
}  // namespace andon
