// Starts the real andon binary on a loopback port and checks the foundation endpoints,
// protocol limits, configuration reload and graceful shutdown.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "tests/integration/andon_process.h"

namespace andon::testing {
namespace {

using nlohmann::json;

constexpr char kGoodConfig[] = R"(global:
  scrape_interval: 15s
scrape_configs:
  - job_name: first-job
    static_configs:
      - targets: ['localhost:9100']
)";

constexpr char kSecretConfig[] = R"(scrape_configs:
  - job_name: secret-job
    basic_auth:
      username: alice
      password: planted-secret-7f3a
    static_configs:
      - targets: ['localhost:9100']
)";

json ApiData(uint16_t port, const std::string& path) {
  HttpResult r = HttpGet(port, path);
  EXPECT_EQ(r.status, 200) << path << ": " << r.body << r.error;
  EXPECT_EQ(r.content_type, "application/json") << path;
  json j = json::parse(r.body, nullptr, false);
  EXPECT_EQ(j.value("status", ""), "success") << path << ": " << r.body;
  return j.contains("data") ? j["data"] : json();
}

TEST(ServerTest, ServesHealthReadinessStatusAndMetricsEndpoints) {
  AndonProcess andon;
  ASSERT_TRUE(andon.Start()) << andon.Log();
  uint16_t port = andon.port();

  EXPECT_EQ(HttpGet(port, "/-/healthy").status, 200);
  EXPECT_EQ(HttpGet(port, "/-/ready").status, 200);

  json build = ApiData(port, "/api/v1/status/buildinfo");
  EXPECT_FALSE(build.value("version", "").empty());
  EXPECT_TRUE(build.contains("revision"));

  json flags = ApiData(port, "/api/v1/status/flags");
  EXPECT_EQ(flags.value("web.listen-address", ""), "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(flags.value("storage.tsdb.retention.time", ""), "15d");

  json runtime = ApiData(port, "/api/v1/status/runtimeinfo");
  EXPECT_EQ(runtime.value("reloadConfigSuccess", false), true);
  EXPECT_EQ(runtime.value("storageRetention", ""), "15d");
  EXPECT_FALSE(runtime.value("startTime", "").empty());

  // No --config.file: the embedded default scrapes andon itself.
  json config = ApiData(port, "/api/v1/status/config");
  EXPECT_NE(config.value("yaml", "").find("job_name: andon"), std::string::npos) << config.dump();

  EXPECT_TRUE(ApiData(port, "/api/v1/labels").is_array());
  EXPECT_TRUE(ApiData(port, "/api/v1/series?match[]=up").is_array());

  json tsdb = ApiData(port, "/api/v1/status/tsdb");
  EXPECT_TRUE(tsdb["headStats"].contains("numSeries")) << tsdb.dump();
  EXPECT_TRUE(tsdb["seriesCountByMetricName"].is_array()) << tsdb.dump();

  HttpResult metrics = HttpGet(port, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.content_type.find("version=0.0.4"), std::string::npos);
  for (const char* want :
       {"# TYPE andon_build_info gauge", "process_cpu_seconds_total",
        "process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds",
        "andon_http_requests_total{code=\"200\",handler=\"/-/healthy\"} 1",
        "andon_http_request_duration_seconds_bucket{handler=\"/-/ready\","}) {
    EXPECT_NE(metrics.body.find(want), std::string::npos) << want << "\n" << metrics.body;
  }

  HttpResult missing = HttpGet(port, "/no/such/path");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json::parse(missing.body)["status"], "error");
  EXPECT_EQ(HttpRequestTo(port, "DELETE", "/api/v1/status/flags").status, 405);

  EXPECT_EQ(andon.StopWith(SIGTERM), 0) << andon.Log();
}

TEST(ServerTest, RejectsOversizedAndMalformedRequestsAndKeepsServing) {
  AndonProcess andon({"--web.max-request-body-bytes=1024"});
  ASSERT_TRUE(andon.Start()) << andon.Log();
  uint16_t port = andon.port();

  // A body over the limit: 413 with a JSON error, before any handler sees it.
  HttpResult big =
      HttpRequestTo(port, "POST", "/-/reload", std::string(4096, 'x'), "application/octet-stream");
  EXPECT_EQ(big.status, 413) << big.body << big.error;
  EXPECT_EQ(json::parse(big.body, nullptr, false).value("status", ""), "error");

  // A header block over 16 KiB: 431.
  HttpResult huge_header =
      HttpRequestTo(port, "GET", "/-/healthy", "", "", {{"X-Filler", std::string(20000, 'h')}});
  EXPECT_EQ(huge_header.status, 431) << huge_header.body << huge_header.error;

  // Garbage instead of HTTP: 400, connection closed.
  std::string garbage = HttpRaw(port, "\x16\x03\x01 this is not http\r\n\r\n");
  EXPECT_NE(garbage.find("400 Bad Request"), std::string::npos) << garbage;

  // The server is still healthy afterwards.
  EXPECT_EQ(HttpGet(port, "/-/healthy").status, 200);
  EXPECT_EQ(andon.StopWith(SIGTERM), 0) << andon.Log();
}

TEST(ServerTest, LimitsAnswerWithClearErrorsAndCountEachRefusal) {
  auto dir = MakeTempDir("andon-limits-");
  WriteFile(dir / "andon.yml", "rule_files: ['rules.yml']\n");  // no scrapes: no connections
  const std::string one_group =
      "groups:\n- name: a\n  rules:\n  - record: x\n    expr: vector(1)\n";
  WriteFile(dir / "rules.yml", one_group);
  AndonProcess andon({"--config.file=" + (dir / "andon.yml").string(), "--web.enable-lifecycle",
                      "--web.max-connections=8", "--web.max-request-body-bytes=1024",
                      "--rules.max-groups=1"});
  ASSERT_TRUE(andon.Start()) << andon.Log();
  uint16_t port = andon.port();
  json flags = ApiData(port, "/api/v1/status/flags");
  EXPECT_EQ(flags.value("web.max-connections", ""), "8");
  EXPECT_EQ(flags.value("storage.tsdb.max-series-per-metric", ""), "0");
  EXPECT_EQ(flags.value("rules.max-groups", ""), "1");
  const std::string refused = "andon_http_requests_refused_total{reason=";
  // Right after the held connections close, the server may still count them for a moment:
  // read /metrics until it answers.
  auto metric = [port](const std::string& series) {
    double v = MetricValue(port, series);
    for (int i = 0; i < 100 && v < 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      v = MetricValue(port, series);
    }
    return v;
  };
  EXPECT_EQ(metric(refused + "\"too_many_connections\"}"), 0);

  // Eight idle keep-alive connections fill --web.max-connections: a ninth gets 503. (The
  // server may still count the connections of the requests above for a moment.)
  auto hold = [port] {
    auto c = std::make_unique<HeldConnection>(port, "/-/healthy");
    for (int i = 0; i < 100 && c->status() != 200; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      c = std::make_unique<HeldConnection>(port, "/-/healthy");
    }
    return c;
  };
  {
    std::vector<std::unique_ptr<HeldConnection>> held;
    for (int i = 0; i < 8; ++i) {
      held.push_back(hold());
      ASSERT_EQ(held.back()->status(), 200) << i;
    }
    HttpResult over = HttpGet(port, "/-/healthy");
    EXPECT_EQ(over.status, 503) << over.body << over.error;
    EXPECT_EQ(json::parse(over.body, nullptr, false).value("error", ""),
              "too many open connections (limit 8, --web.max-connections); try again later");
  }
  // Closed: a slot frees as soon as the server sees it.
  EXPECT_GE(metric(refused + "\"too_many_connections\"}"), 1);

  EXPECT_EQ(HttpRequestTo(port, "POST", "/-/reload", std::string(2048, 'x'), "text/plain").status,
            413);
  EXPECT_EQ(metric(refused + "\"body_too_large\"}"), 1);
  EXPECT_EQ(
      HttpRequestTo(port, "GET", "/-/healthy", "", "", {{"X-F", std::string(20000, 'h')}}).status,
      431);
  EXPECT_EQ(metric(refused + "\"header_too_large\"}"), 1);

  // A second rule group passes --rules.max-groups: the reload fails naming both numbers
  // and the one group keeps running.
  WriteFile(dir / "rules.yml",
            one_group + "- name: b\n  rules:\n  - record: y\n    expr: vector(2)\n");
  HttpResult reload = HttpRequestTo(port, "POST", "/-/reload");
  EXPECT_EQ(reload.status, 500);
  EXPECT_NE(reload.body.find("2 rule groups in 1 files exceed the limit of 1 (--rules.max-groups)"),
            std::string::npos)
      << reload.body;
  json groups = ApiData(port, "/api/v1/rules")["groups"];
  ASSERT_EQ(groups.size(), 1u) << groups.dump();
  EXPECT_EQ(groups[0].value("name", ""), "a");
  EXPECT_EQ(metric("andon_rule_group_limit_exceeded_total"), 1);
  // Present from the start, so dashboards see zeros rather than nothing.
  for (const char* name : {"andon_query_limit_hits_total{limit=\"max_samples\"}",
                           "andon_target_scrapes_exceeded_sample_limit_total",
                           "andon_tsdb_series_limit_samples_total"}) {
    EXPECT_EQ(metric(name), 0) << name;
  }
  EXPECT_EQ(andon.StopWith(SIGTERM), 0) << andon.Log();
  std::filesystem::remove_all(dir);
}

TEST(ServerTest, BadReloadKeepsOldConfigAndGoodReloadAppliesNewOne) {
  auto dir = MakeTempDir("andon-cfg-");
  auto cfg = dir / "andon.yml";
  WriteFile(cfg, kGoodConfig);
  AndonProcess andon({"--config.file=" + cfg.string(), "--web.enable-lifecycle"});
  ASSERT_TRUE(andon.Start()) << andon.Log();
  uint16_t port = andon.port();
  EXPECT_NE(ApiData(port, "/api/v1/status/config").value("yaml", "").find("first-job"),
            std::string::npos);

  // Broken file via HTTP reload: 500 naming the problem, old config still served.
  WriteFile(cfg, "scrape_configs:\n  - job_name: second-job\n    scrape_intervall: 5s\n");
  HttpResult r = HttpRequestTo(port, "POST", "/-/reload");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("scrape_intervall"), std::string::npos) << r.body;
  EXPECT_NE(ApiData(port, "/api/v1/status/config").value("yaml", "").find("first-job"),
            std::string::npos);
  EXPECT_EQ(ApiData(port, "/api/v1/status/runtimeinfo").value("reloadConfigSuccess", true), false);
  EXPECT_NE(HttpGet(port, "/metrics").body.find("andon_config_last_reload_successful 0"),
            std::string::npos);

  // Fixed file via SIGHUP: the new config is in force.
  WriteFile(cfg,
            "scrape_configs:\n  - job_name: second-job\n    static_configs:\n"
            "      - targets: ['localhost:9100']\n");
  andon.Signal(SIGHUP);
  bool applied = false;
  for (int i = 0; i < 100 && !applied; ++i) {
    applied = ApiData(port, "/api/v1/status/config").value("yaml", "").find("second-job") !=
              std::string::npos;
    if (!applied) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(applied) << andon.Log();
  EXPECT_EQ(ApiData(port, "/api/v1/status/runtimeinfo").value("reloadConfigSuccess", false), true);
  EXPECT_EQ(andon.StopWith(SIGINT), 0) << andon.Log();
  std::filesystem::remove_all(dir);
}

TEST(ServerTest, ReloadOverHttpNeedsLifecycleFlag) {
  AndonProcess andon;
  ASSERT_TRUE(andon.Start()) << andon.Log();
  EXPECT_EQ(HttpRequestTo(andon.port(), "POST", "/-/reload").status, 403);
  EXPECT_EQ(andon.StopWith(SIGTERM), 0);
}

TEST(ServerTest, SecretsAreRedactedInConfigApiAndLogs) {
  auto dir = MakeTempDir("andon-secret-");
  auto cfg = dir / "andon.yml";
  WriteFile(cfg, kSecretConfig);
  AndonProcess andon({"--config.file=" + cfg.string(), "--log.level=debug"});
  ASSERT_TRUE(andon.Start()) << andon.Log();
  std::string yaml = ApiData(andon.port(), "/api/v1/status/config").value("yaml", "");
  EXPECT_EQ(yaml.find("planted-secret-7f3a"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("<secret>"), std::string::npos) << yaml;
  EXPECT_EQ(andon.StopWith(SIGTERM), 0);
  EXPECT_EQ(andon.Log().find("planted-secret-7f3a"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(ServerTest, RefusesToStartOnBadConfigOrBusyPort) {
  auto dir = MakeTempDir("andon-bad-");
  auto cfg = dir / "andon.yml";
  WriteFile(cfg, "global:\n  scrape_interval: 1x\n");
  auto [rc, out] =
      RunAndon({"--config.file=" + cfg.string(), "--storage.tsdb.path=" + (dir / "data").string(),
                "--web.listen-address=127.0.0.1:" + std::to_string(FreeLoopbackPort())});
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("not a valid duration string"), std::string::npos) << out;

  AndonProcess first;
  ASSERT_TRUE(first.Start());
  auto [rc2, out2] = RunAndon({"--storage.tsdb.path=" + (dir / "data2").string(),
                               "--web.listen-address=127.0.0.1:" + std::to_string(first.port())});
  EXPECT_EQ(rc2, 1);
  EXPECT_NE(out2.find("already in use"), std::string::npos) << out2;
  std::filesystem::remove_all(dir);
}

TEST(ServerTest, SecondServerOnTheSameDataDirIsRefused) {
  AndonProcess first;
  ASSERT_TRUE(first.Start()) << first.Log();
  auto [rc, out] =
      RunAndon({"--storage.tsdb.path=" + (first.dir() / "data").string(),
                "--web.listen-address=127.0.0.1:" + std::to_string(FreeLoopbackPort())});
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("in use by another andon"), std::string::npos) << out;
  // The first server is unaffected.
  EXPECT_EQ(HttpGet(first.port(), "/-/ready").status, 200);
  EXPECT_EQ(first.StopWith(SIGTERM), 0) << first.Log();
}

TEST(ServerTest, InFlightKeepAliveConnectionsDoNotBlockShutdown) {
  AndonProcess andon;
  ASSERT_TRUE(andon.Start());
  // An idle keep-alive connection that never sends a request.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket idle(ioc);
  idle.connect({boost::asio::ip::make_address("127.0.0.1"), andon.port()});
  EXPECT_EQ(andon.StopWith(SIGTERM, std::chrono::seconds(15)), 0) << andon.Log();
}

TEST(CliTest, CheckConfigExitCodesAndMessages) {
  auto dir = MakeTempDir("andon-check-");
  WriteFile(dir / "good.yml", kGoodConfig);
  WriteFile(dir / "bad.yml", "scrape_configs:\n  - job_name: x\n    scrape_intervall: 5s\n");
  auto [ok_rc, ok_out] = RunAndon({"check", "config", (dir / "good.yml").string()});
  EXPECT_EQ(ok_rc, 0) << ok_out;
  EXPECT_NE(ok_out.find("SUCCESS"), std::string::npos);

  auto [bad_rc, bad_out] = RunAndon({"check", "config", (dir / "bad.yml").string()});
  EXPECT_EQ(bad_rc, 1);
  EXPECT_NE(bad_out.find("bad.yml:3:5"), std::string::npos) << bad_out;
  EXPECT_NE(bad_out.find("scrape_intervall"), std::string::npos) << bad_out;

  auto [missing_rc, missing_out] = RunAndon({"check", "config", (dir / "nope.yml").string()});
  EXPECT_EQ(missing_rc, 2) << missing_out;
  std::filesystem::remove_all(dir);
}

TEST(CliTest, HelpListsFlagsWithDefaultsAndVersionPrints) {
  auto [rc, out] = RunAndon({"--help"});
  EXPECT_EQ(rc, 0);
  for (const char* flag :
       {"--config.file", "--web.listen-address=\":9090\"", "--web.external-url",
        "--storage.tsdb.path", "--storage.tsdb.retention.time=\"15d\"",
        "--storage.tsdb.retention.size", "--log.level=\"info\"", "--log.format=\"logfmt\""}) {
    EXPECT_NE(out.find(flag), std::string::npos) << flag << "\n" << out;
  }
  auto [vrc, vout] = RunAndon({"--version"});
  EXPECT_EQ(vrc, 0);
  EXPECT_EQ(vout.rfind("andon, version ", 0), 0u) << vout;
  auto [urc, uout] = RunAndon({"--no-such-flag"});
  EXPECT_EQ(urc, 2);
  EXPECT_NE(uout.find("unknown long flag '--no-such-flag'"), std::string::npos);
}

}  // namespace
}  // namespace andon::testing
