// Debian's promtool (Prometheus 2.42) as a real API client of a running andon: what it
// prints must be what it prints against Prometheus for the same data.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/integration/andon_process.h"

namespace andon {
namespace {

using testing::AndonProcess;
using testing::RunAndon;
using testing::RunShell;

class PromtoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(RunShell("command -v promtool").first, 0)
        << "promtool missing: scripts/install-deps.sh installs Debian's prometheus package";
    std::string om = (andon_.dir() / "history.om").string();
    std::ofstream(om) << "up{job=\"api\",instance=\"a:1\"} 1 1700000000\n"
                         "up{job=\"db\",instance=\"b:1\"} 0 1700000000\n"
                         "node_load1{job=\"api\",instance=\"a:1\"} 0.5 1700000000\n"
                         "# EOF\n";
    auto [code, out] =
        RunAndon({"tsdb", "import", "openmetrics", om, (andon_.dir() / "data").string()});
    ASSERT_EQ(code, 0) << out;
    ASSERT_TRUE(andon_.Start()) << andon_.Log();
    url_ = "http://127.0.0.1:" + std::to_string(andon_.port());
  }

  std::pair<int, std::string> Promtool(const std::string& args) {
    return RunShell("promtool query " + args);
  }

  AndonProcess andon_;
  std::string url_;
  const std::string range_ = " --start=1699999000 --end=1700001000";
};

TEST_F(PromtoolTest, QuerySeriesPrintsEveryMatchingSeries) {
  auto [code, out] = Promtool("series " + url_ + " --match=up" + range_);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out,
            "{__name__=\"up\", instance=\"a:1\", job=\"api\"}\n"
            "{__name__=\"up\", instance=\"b:1\", job=\"db\"}\n");
}

TEST_F(PromtoolTest, QueryLabelsPrintsTheValuesOfALabel) {
  auto [code, out] = Promtool("labels " + url_ + " job" + range_);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "api\ndb\n");
  auto [code2, names] = Promtool("labels " + url_ + " __name__" + range_);
  EXPECT_EQ(code2, 0) << names;
  EXPECT_EQ(names, "node_load1\nup\n");
}

TEST_F(PromtoolTest, ABadSelectorIsReportedAsBadData) {
  auto [code, out] = Promtool("series " + url_ + " '--match=up{'");
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("bad_data: 1:4: parse error: unexpected end of input inside braces"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace andon
