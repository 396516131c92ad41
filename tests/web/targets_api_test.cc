// /api/v1/targets, /api/v1/targets/metadata and /api/v1/metadata over a real ScrapeManager
// scraping real loopback targets, in the shapes Prometheus 2.42 answers with (checked
// against Debian's prometheus binary scraping the same kind of target).
#include "web/targets_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "common/rfc3339.h"
#include "tests/integration/andon_process.h"
#include "tests/loopback_http_server.h"
#include "tests/scrape/recording_appender.h"

namespace andon::web {
namespace {

using andon::testing::HttpGet;
using andon::testing::LoopbackHttpServer;
using andon::testing::TestReply;
using andon::testing::TestRequest;
using nlohmann::json;
using namespace std::chrono_literals;

class TargetsApiTest : public ::testing::Test {
 protected:
  TargetsApiTest()
      : target_([](const TestRequest&) {
          return TestReply{.body =
                               "# HELP a_metric A gauge.\n# TYPE a_metric gauge\na_metric 1\n"
                               "# TYPE c_total counter\nc_total 3\n"};
        }),
        manager_(log_.Factory(), {}) {}

  void SetUp() override {
    refused_port_ = andon::testing::FreeLoopbackPort();
    std::string yaml =
        "scrape_configs:\n"
        "- job_name: t\n  scrape_interval: 100ms\n  scrape_timeout: 80ms\n"
        "  static_configs:\n  - targets: ['" +
        target_.address() + "', 'localhost:" + std::to_string(refused_port_) +
        "']\n"
        "- job_name: d\n  static_configs:\n  - targets: ['127.0.0.1:18778']\n"
        "  relabel_configs:\n  - action: drop\n    regex: '.*'\n    source_labels: [__address__]\n";
    auto cfg = config::ParseConfig(yaml, "test.yml", "");
    ASSERT_TRUE(cfg.ok()) << cfg.status().message();
    ASSERT_TRUE(manager_.ApplyConfig(*cfg).ok());
    server_ = std::make_unique<HttpServer>(HttpServerOptions{.listen_address = "127.0.0.1:0"});
    RegisterTargetsApi(*server_, manager_, {"http", "vm:9090", "9090"});
    ASSERT_TRUE(server_->Start().ok());
    // Wait until both targets have been scraped at least once.
    for (int i = 0; i < 500; ++i) {
      auto t = manager_.ActiveTargets();
      if (t.size() == 2 && t[0].health.health != "unknown" && t[1].health.health != "unknown") {
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
  }
  void TearDown() override {
    server_->Stop();
    manager_.Stop();
  }

  json Get(const std::string& target, int want_status = 200) {
    auto r = HttpGet(server_->port(), target);
    EXPECT_EQ(r.status, want_status) << target << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }

  LoopbackHttpServer target_;
  andon::testing::SampleLog log_;
  scrape::ScrapeManager manager_;
  std::unique_ptr<HttpServer> server_;
  uint16_t refused_port_ = 0;
};

TEST_F(TargetsApiTest, TargetsHaveThePrometheusShape) {
  json j = Get("/api/v1/targets");
  ASSERT_EQ(j["status"], "success");
  const json& active = j["data"]["activeTargets"];
  ASSERT_EQ(active.size(), 2u);
  const json* up = nullptr;
  const json* down = nullptr;
  for (const json& t : active) (t["health"] == "up" ? up : down) = &t;
  ASSERT_NE(up, nullptr);
  ASSERT_NE(down, nullptr);
  std::string addr = target_.address();
  EXPECT_EQ((*up)["discoveredLabels"], json({{"__address__", addr},
                                             {"__metrics_path__", "/metrics"},
                                             {"__scheme__", "http"},
                                             {"__scrape_interval__", "100ms"},
                                             {"__scrape_timeout__", "80ms"},
                                             {"job", "t"}}));
  EXPECT_EQ((*up)["labels"], json({{"instance", addr}, {"job", "t"}}));
  EXPECT_EQ((*up)["scrapePool"], "t");
  EXPECT_EQ((*up)["scrapeUrl"], "http://" + addr + "/metrics");
  EXPECT_EQ((*up)["globalUrl"], "http://vm:" + std::to_string(target_.port()) + "/metrics");
  EXPECT_EQ((*up)["lastError"], "");
  EXPECT_EQ((*up)["scrapeInterval"], "100ms");
  EXPECT_EQ((*up)["scrapeTimeout"], "80ms");
  EXPECT_TRUE((*up)["lastScrapeDuration"].is_number());
  std::string last = (*up)["lastScrape"];
  EXPECT_EQ(last.size() >= 20 && last.back() == 'Z' && last[10] == 'T', true) << last;
  // The same keys, in the same (sorted) order, as Prometheus 2.42 prints.
  std::vector<std::string> keys;
  for (auto it = up->begin(); it != up->end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"discoveredLabels", "globalUrl", "health", "labels",
                                            "lastError", "lastScrape", "lastScrapeDuration",
                                            "scrapeInterval", "scrapePool", "scrapeTimeout",
                                            "scrapeUrl"}));
  std::string port = std::to_string(refused_port_);
  EXPECT_EQ((*down)["lastError"], "Get \"http://localhost:" + port +
                                      "/metrics\": dial tcp 127.0.0.1:" + port +
                                      ": connect: connection refused");
  EXPECT_EQ((*down)["globalUrl"], "http://vm:" + port + "/metrics");
  const json& dropped = j["data"]["droppedTargets"];
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0]["discoveredLabels"]["__address__"], "127.0.0.1:18778");
  EXPECT_EQ(dropped[0]["discoveredLabels"]["job"], "d");
  EXPECT_EQ(dropped[0]["discoveredLabels"]["__scrape_interval__"], "1m");
}

TEST_F(TargetsApiTest, StateSelectsActiveOrDropped) {
  json a = Get("/api/v1/targets?state=active")["data"];
  EXPECT_EQ(a["activeTargets"].size(), 2u);
  EXPECT_EQ(a["droppedTargets"], json::array());
  json d = Get("/api/v1/targets?state=dropped")["data"];
  EXPECT_EQ(d["activeTargets"], json::array());
  EXPECT_EQ(d["droppedTargets"].size(), 1u);
  json x = Get("/api/v1/targets?state=bogus")["data"];
  EXPECT_EQ(x, json({{"activeTargets", json::array()}, {"droppedTargets", json::array()}}));
}

TEST_F(TargetsApiTest, TargetsMetadataListsFamiliesPerTarget) {
  json all = Get("/api/v1/targets/metadata?match_target=%7Bjob%3D%22t%22%7D")["data"];
  json labels = {{"instance", target_.address()}, {"job", "t"}};
  EXPECT_EQ(all,
            json::parse(R"([
    {"target": )" + labels.dump() +
                        R"(, "metric": "a_metric", "type": "gauge", "help": "A gauge.", "unit": ""},
    {"target": )" + labels.dump() +
                        R"(, "metric": "c_total", "type": "counter", "help": "", "unit": ""}])"));
  json one = Get("/api/v1/targets/metadata?metric=a_metric")["data"];
  EXPECT_EQ(one, json::parse(R"([{"target": )" + labels.dump() +
                             R"(, "type": "gauge", "help": "A gauge.", "unit": ""}])"));
  EXPECT_EQ(Get("/api/v1/targets/metadata?metric=nope")["data"], json::array());
  EXPECT_EQ(Get("/api/v1/targets/metadata?match_target=%7Bjob%3D%22x%22%7D")["data"],
            json::array());
  json bad = Get("/api/v1/targets/metadata?match_target=bad%7B", 400);
  EXPECT_EQ(bad["errorType"], "bad_data");
  EXPECT_EQ(bad["error"].get<std::string>().rfind("invalid parameter \"match_target\": ", 0), 0u);
  EXPECT_EQ(Get("/api/v1/targets/metadata?limit=x", 400)["error"], "limit must be a number");
}

TEST_F(TargetsApiTest, MetadataIsDeduplicatedPerMetric) {
  EXPECT_EQ(Get("/api/v1/metadata")["data"], json::parse(R"({
    "a_metric": [{"type": "gauge", "help": "A gauge.", "unit": ""}],
    "c_total": [{"type": "counter", "help": "", "unit": ""}]})"));
  EXPECT_EQ(Get("/api/v1/metadata?metric=c_total")["data"].size(), 1u);
  EXPECT_EQ(Get("/api/v1/metadata?limit=1")["data"].size(), 1u);
  EXPECT_EQ(Get("/api/v1/metadata?metric=nope")["data"], json::object());
}

TEST(GlobalUrlTest, RewritesLocalhostAsPrometheusDoes) {
  GlobalUrlOptions o{"https", "andon.example:443", "9090"};
  EXPECT_EQ(GlobalUrl("http://localhost:9090/metrics", o), "https://andon.example:443/metrics");
  EXPECT_EQ(GlobalUrl("http://127.0.0.1:9100/metrics?x=1", o),
            "http://andon.example:9100/metrics?x=1");
  EXPECT_EQ(GlobalUrl("http://[::1]:9100/metrics", o), "http://andon.example:9100/metrics");
  EXPECT_EQ(GlobalUrl("http://10.0.0.1:9100/metrics", o), "http://10.0.0.1:9100/metrics");
}

TEST(Rfc3339Test, FormatsMillisecondsLikeGo) {
  EXPECT_EQ(FormatRfc3339Trimmed(0), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Trimmed(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(FormatRfc3339Trimmed(1'700'000'000'100), "2023-11-14T22:13:20.1Z");
  EXPECT_EQ(FormatRfc3339Trimmed(1'700'000'000'000), "2023-11-14T22:13:20Z");
}

}  // namespace
}  // namespace andon::web
