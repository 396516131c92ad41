// The admin and lifecycle endpoints of a real server: refused with a JSON 403 unless their
// flag is given; with it, delete_series hides exactly the deleted samples (also after a
// restart and in a snapshot), clean_tombstones keeps that answer, and /-/quit exits cleanly.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "tests/integration/andon_process.h"

namespace andon {
namespace {

namespace fs = std::filesystem;
using testing::AndonProcess;
using testing::HttpGet;
using testing::HttpRequestTo;
using testing::RunAndon;
using testing::WriteFile;

// demo_a and demo_b, 60 samples each at 15 s from t0 (Unix seconds), imported into dir/data.
void ImportDemo(const fs::path& dir, int64_t t0) {
  std::string om = "# TYPE demo_a gauge\n";
  for (int i = 0; i < 60; ++i) om += fmt::format("demo_a{{team=\"x\"}} {} {}\n", i, t0 + 15 * i);
  om += "# TYPE demo_b gauge\n";
  for (int i = 0; i < 60; ++i) om += fmt::format("demo_b{{team=\"x\"}} {} {}\n", i, t0 + 15 * i);
  om += "# EOF\n";
  WriteFile(dir / "demo.om", om);
  auto [code, out] = RunAndon(
      {"tsdb", "import", "openmetrics", (dir / "demo.om").string(), (dir / "data").string()});
  ASSERT_EQ(code, 0) << out;
}

// count_over_time(<metric>[1h]) at t (Unix seconds); -1 when the answer has no sample.
int Count(uint16_t port, const std::string& metric, int64_t t) {
  auto res =
      HttpGet(port, fmt::format("/api/v1/query?query=count_over_time({}[1h])&time={}", metric, t));
  EXPECT_EQ(res.status, 200) << res.body;
  auto j = nlohmann::json::parse(res.body, nullptr, false);
  if (j.is_discarded() || j["data"]["result"].empty()) return -1;
  return std::stoi(j["data"]["result"][0]["value"][1].get<std::string>());
}

TEST(AdminApiTest, AdminAndLifecycleEndpointsAnswer403WithoutTheirFlags) {
  AndonProcess andon;
  ASSERT_TRUE(andon.Start()) << andon.Log();
  for (const char* path : {"/api/v1/admin/tsdb/delete_series?match[]=up",
                           "/api/v1/admin/tsdb/clean_tombstones", "/api/v1/admin/tsdb/snapshot"}) {
    auto res = HttpRequestTo(andon.port(), "POST", path);
    EXPECT_EQ(res.status, 403) << path;
    EXPECT_EQ(res.content_type, "application/json") << path;
    EXPECT_EQ(res.body,
              R"({"status":"error","errorType":"unavailable","error":"admin APIs disabled"})")
        << path;
  }
  EXPECT_EQ(HttpGet(andon.port(), "/api/v1/admin/tsdb/snapshot").status, 405);
  for (const char* path : {"/-/quit", "/-/reload"}) {
    auto res = HttpRequestTo(andon.port(), "POST", path);
    EXPECT_EQ(res.status, 403) << path;
    EXPECT_NE(res.body.find("Lifecycle API is not enabled."), std::string::npos) << res.body;
  }
  EXPECT_FALSE(fs::exists(andon.dir() / "data" / "snapshots"));
  EXPECT_EQ(HttpGet(andon.port(), "/-/ready").status, 200);  // /-/quit did not stop it
  EXPECT_EQ(andon.StopWith(SIGTERM), 0);
}

TEST(AdminApiTest, DeleteSeriesSnapshotCleanTombstonesAndQuitWithTheFlags) {
  const int64_t t0 = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count() -
                     3600;
  const int64_t at = t0 + 900;  // every sample lies in (at - 1h, at]
  AndonProcess andon({"--web.enable-admin-api", "--web.enable-lifecycle"});
  ImportDemo(andon.dir(), t0);
  ASSERT_TRUE(andon.Start()) << andon.Log();
  const uint16_t port = andon.port();
  ASSERT_EQ(Count(port, "demo_a", at), 60);

  // No match[]: bad_data, nothing deleted.
  auto bad = HttpRequestTo(port, "POST", "/api/v1/admin/tsdb/delete_series");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("no match[] parameter provided"), std::string::npos) << bad.body;
  // The samples at t0+105 ... t0+390 (20 of them) of demo_a only.
  auto del = HttpRequestTo(port, "POST",
                           fmt::format("/api/v1/admin/tsdb/delete_series?match[]=demo_a&start={}&"
                                       "end={}",
                                       t0 + 100, t0 + 399));
  EXPECT_EQ(del.status, 204) << del.body;
  EXPECT_EQ(Count(port, "demo_a", at), 40);
  EXPECT_EQ(Count(port, "demo_b", at), 60);

  auto snap = HttpRequestTo(port, "POST", "/api/v1/admin/tsdb/snapshot");
  ASSERT_EQ(snap.status, 200) << snap.body;
  std::string name = nlohmann::json::parse(snap.body)["data"]["name"];
  const fs::path snapshot = andon.dir() / "data" / "snapshots" / name;
  EXPECT_TRUE(fs::exists(snapshot / "CURRENT")) << snapshot;
  EXPECT_EQ(HttpRequestTo(port, "POST", "/api/v1/admin/tsdb/snapshot?skip_head=maybe").status, 400);

  EXPECT_EQ(HttpRequestTo(port, "PUT", "/api/v1/admin/tsdb/clean_tombstones").status, 204);
  EXPECT_EQ(Count(port, "demo_a", at), 40);

  auto quit = HttpRequestTo(port, "POST", "/-/quit");
  EXPECT_EQ(quit.status, 200);
  EXPECT_EQ(quit.body, "Requesting termination... Goodbye!");
  EXPECT_EQ(andon.WaitForExit(), 0) << andon.Log();

  // The deletion holds after a restart, and in the snapshot opened as a data dir.
  ASSERT_TRUE(andon.Start()) << andon.Log();
  EXPECT_EQ(Count(andon.port(), "demo_a", at), 40);
  EXPECT_EQ(Count(andon.port(), "demo_b", at), 60);
  EXPECT_EQ(andon.StopWith(SIGTERM), 0);
  AndonProcess from_snapshot;
  fs::rename(snapshot, from_snapshot.dir() / "data");
  ASSERT_TRUE(from_snapshot.Start()) << from_snapshot.Log();
  EXPECT_EQ(Count(from_snapshot.port(), "demo_a", at), 40);
  EXPECT_EQ(Count(from_snapshot.port(), "demo_b", at), 60);
  EXPECT_EQ(from_snapshot.StopWith(SIGTERM), 0);
}

}  // namespace
}  // namespace andon
