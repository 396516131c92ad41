// The real `andon` binary scrapes two real HTTP targets from a config file: the series
// appear in /api/v1/series, /api/v1/targets shows their health, and after a reload that
// removes one target, its series end with staleness markers (read back from the data dir
// with the tsdb once the server has stopped).
#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/andon_process.h"
#include "tests/loopback_http_server.h"
#include "tests/stored_samples.h"
#include "tests/wait_for.h"
#include "tsdb/db.h"
#include "tsdb/label_matcher.h"
#include "tsdb/sample.h"

namespace andon::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string Config(const std::vector<std::string>& targets) {
  std::string y =
      "global:\n  scrape_interval: 200ms\n  scrape_timeout: 150ms\n"
      "scrape_configs:\n- job_name: farm\n  static_configs:\n  - targets: [";
  for (size_t i = 0; i < targets.size(); ++i) y += (i ? ", '" : "'") + targets[i] + "'";
  return y + "]\n    labels:\n      env: it\n";
}

json GetJson(uint16_t port, const std::string& target) {
  auto r = HttpGet(port, target);
  return json::parse(r.body, nullptr, false);
}

TEST(ScrapeIntegrationTest, ScrapesTargetsShowsHealthAndMarksRemovedTargetStale) {
  LoopbackHttpServer a([](const TestRequest&) {
    return TestReply{.body = "# TYPE farm_a gauge\nfarm_a{kind=\"x\"} 1\n", .gzip = true};
  });
  LoopbackHttpServer b(
      [](const TestRequest&) { return TestReply{.body = "# EOF-less text format\nfarm_b 2\n"}; });
  auto cfg_dir = MakeTempDir("andon-scrape-it-");
  auto cfg = cfg_dir / "andon.yml";
  WriteFile(cfg, Config({a.address(), b.address()}));
  AndonProcess andon({"--config.file=" + cfg.string(), "--web.enable-lifecycle"});
  ASSERT_TRUE(andon.Start()) << andon.Log();

  ASSERT_TRUE(WaitFor([&] {
    json s = GetJson(andon.port(), "/api/v1/series?match[]=%7Bjob%3D%22farm%22%7D");
    return s["data"].size() >= 2 * 6;  // 2 metrics + 2 x 5 report series
  })) << andon.Log();
  json series = GetJson(andon.port(), "/api/v1/series?match[]=farm_a");
  ASSERT_EQ(series["data"].size(), 1u);
  EXPECT_EQ(series["data"][0], json({{"__name__", "farm_a"},
                                     {"env", "it"},
                                     {"instance", a.address()},
                                     {"job", "farm"},
                                     {"kind", "x"}}));
  EXPECT_EQ(GetJson(andon.port(), "/api/v1/series?match[]=up%7Bjob%3D%22farm%22%7D")["data"].size(),
            2u);

  ASSERT_TRUE(WaitFor([&] {
    json t = GetJson(andon.port(), "/api/v1/targets?state=active")["data"]["activeTargets"];
    int up = 0;
    for (const json& x : t) up += x["health"] == "up" && x["scrapePool"] == "farm";
    return up == 2;
  }));
  json meta = GetJson(andon.port(), "/api/v1/metadata?metric=farm_a");
  EXPECT_EQ(meta["data"]["farm_a"][0]["type"], "gauge");

  // Reload without b: its series are marked stale, a keeps being scraped.
  WriteFile(cfg, Config({a.address()}));
  auto reload = HttpRequestTo(andon.port(), "POST", "/-/reload");
  ASSERT_EQ(reload.status, 200) << reload.body;
  ASSERT_TRUE(WaitFor([&] {
    json t = GetJson(andon.port(), "/api/v1/targets")["data"]["activeTargets"];
    return t.size() == 1 && t[0]["labels"]["instance"] == a.address();
  }));
  int b_requests = b.requests();
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(b.requests(), b_requests);
  ASSERT_EQ(andon.StopWith(SIGTERM), 0) << andon.Log();

  auto db = Db::Open((andon.dir() / "data").string(), DbOptions());
  ASSERT_TRUE(db.ok()) << db.status().message();
  auto q = (*db)->NewQuerier();
  auto last_of = [&](const std::string& name, const std::string& instance) {
    return StoredSamples(*q, {{"__name__", name}, {"instance", instance}});
  };
  auto fb = last_of("farm_b", b.address());
  ASSERT_GE(fb.size(), 2u);
  EXPECT_TRUE(IsStaleNaN(fb.back().v));
  EXPECT_EQ(fb.front().v, 2);
  auto up_b = last_of("up", b.address());
  ASSERT_FALSE(up_b.empty());
  EXPECT_TRUE(IsStaleNaN(up_b.back().v));
  auto fa = last_of("farm_a", a.address());
  ASSERT_GE(fa.size(), 2u);
  EXPECT_FALSE(IsStaleNaN(fa.back().v));  // shutdown writes no markers
  EXPECT_EQ(fa.back().v, 1);
  q.reset();
  ASSERT_TRUE((*db)->Close().ok());
  std::filesystem::remove_all(cfg_dir);
}

}  // namespace
}  // namespace andon::testing
