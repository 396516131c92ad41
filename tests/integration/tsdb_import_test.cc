// `andon tsdb import openmetrics`: history loads bit-exact into a data dir the server then
// opens; bad input is refused with a message and exit code, never half-silently.
#include <gtest/gtest.h>

#include <bit>
#include <fstream>

#include "tests/integration/andon_process.h"
#include "tsdb/db.h"
#include "tsdb/label_matcher.h"

namespace andon {
namespace {

namespace fs = std::filesystem;
using testing::AndonProcess;
using testing::MakeTempDir;
using testing::RunAndon;

class TsdbImportTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("andon-import-"); }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::string data() const { return (dir_ / "data").string(); }

  fs::path dir_;
};

TEST_F(TsdbImportTest, LoadsEverySampleBitExact) {
  std::string om = Write("in.om",
                         "# TYPE node_load1 gauge\n"
                         "node_load1{instance=\"a:9100\",job=\"node\"} 0.1 1700000000\n"
                         "node_load1{instance=\"a:9100\",job=\"node\"} -0.0 1700000015\n"
                         "node_load1{instance=\"a:9100\",job=\"node\"} 1e300 1700000030.5\n"
                         "# TYPE http_requests counter\n"
                         "http_requests_total{path=\"/a\\\"b\"} 17 1700000000\n"
                         "http_requests_total{path=\"/a\\\"b\"} 19 1700000015\n"
                         "# EOF\n");
  auto [code, out] = RunAndon({"tsdb", "import", "openmetrics", om, data()});
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("imported 5 samples of 2 series"), std::string::npos) << out;

  auto db = Db::Open(data(), DbOptions{.background = false});
  ASSERT_TRUE(db.ok()) << db.status().message();
  auto q = (*db)->NewQuerier();
  std::vector<LabelMatcher> load1 = {
      LabelMatcher::MustMake(LabelMatcher::Type::kEqual, "__name__", "node_load1")};
  auto set = q->Select(load1, 0, std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(set->Next());
  EXPECT_EQ(set->At().labels().Get("instance"), "a:9100");
  auto it = set->At().Iterator();
  std::vector<std::pair<int64_t, uint64_t>> got;
  while (it->Next()) got.emplace_back(it->At().t, std::bit_cast<uint64_t>(it->At().v));
  EXPECT_EQ(got, (std::vector<std::pair<int64_t, uint64_t>>{
                     {1700000000000, std::bit_cast<uint64_t>(0.1)},
                     {1700000015000, std::bit_cast<uint64_t>(-0.0)},
                     {1700000030500, std::bit_cast<uint64_t>(1e300)}}));
  EXPECT_FALSE(set->Next());

  std::vector<LabelMatcher> escaped = {
      LabelMatcher::MustMake(LabelMatcher::Type::kEqual, "path", "/a\"b")};
  auto second = q->Select(escaped, 0, std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(second->Next());
  EXPECT_EQ(second->At().labels().Get("__name__"), "http_requests_total");
}

TEST_F(TsdbImportTest, RefusesOutOfOrderSamplesWithTheirPosition) {
  std::string om = Write("ooo.om",
                         "up{job=\"a\"} 1 1700000015\n"
                         "up{job=\"a\"} 1 1700000000\n"
                         "# EOF\n");
  auto [code, out] = RunAndon({"tsdb", "import", "openmetrics", om, data()});
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("line 2, column 1: timestamps of a label set go backwards"), std::string::npos)
      << out;

  // A family split into two runs (accepted, as promtool does) cannot hide a series going
  // back in time.
  std::string split = Write("split.om",
                            "a_total 1 1700000015\n"
                            "b 1 1700000000\n"
                            "a_total 1 1700000000\n"
                            "# EOF\n");
  auto [code2, out2] = RunAndon({"tsdb", "import", "openmetrics", split, data()});
  EXPECT_EQ(code2, 1);
  EXPECT_NE(out2.find("sample at timestamp 1700000000000 is not after 1700000015000 for series "
                      "a_total"),
            std::string::npos)
      << out2;
}

TEST_F(TsdbImportTest, AcceptsFamiliesSplitIntoSeveralRunsLikePromtool) {
  std::string om = Write("split.om",
                         "x_bucket{le=\"+Inf\"} 1 1700000000\n"
                         "x_sum 1 1700000000\n"
                         "x_bucket{le=\"+Inf\"} 2 1700000015\n"
                         "# EOF\n");
  auto [code, out] = RunAndon({"tsdb", "import", "openmetrics", om, data()});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("imported 3 samples of 2 series"), std::string::npos) << out;
}

TEST_F(TsdbImportTest, RefusesMalformedInputWithItsPosition) {
  std::string no_ts = Write("nots.om", "up 1\n# EOF\n");
  auto [code, out] = RunAndon({"tsdb", "import", "openmetrics", no_ts, data()});
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("sample without a timestamp"), std::string::npos) << out;

  std::string garbage = Write("bad.om", "up{job=\"a\" 1 1700000000\n# EOF\n");
  auto [code2, out2] = RunAndon({"tsdb", "import", "openmetrics", garbage, data()});
  EXPECT_EQ(code2, 1);
  EXPECT_NE(out2.find("line 1, column"), std::string::npos) << out2;

  auto [code3, out3] =
      RunAndon({"tsdb", "import", "openmetrics", (dir_ / "missing.om").string(), data()});
  EXPECT_EQ(code3, 2);
  EXPECT_NE(out3.find("cannot read"), std::string::npos) << out3;
}

TEST_F(TsdbImportTest, RefusesADataDirARunningServerHolds) {
  AndonProcess andon;
  ASSERT_TRUE(andon.Start()) << andon.Log();
  std::string om = Write("in.om", "up 1 1700000000\n# EOF\n");
  auto [code, out] =
      RunAndon({"tsdb", "import", "openmetrics", om, (andon.dir() / "data").string()});
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("in use by another andon"), std::string::npos) << out;
}

}  // namespace
}  // namespace andon
