// Debian's Prometheus 2.42 (/usr/bin/prometheus) scrapes itself every second and
// remote-writes everything to a real andon started with --web.enable-remote-write-receiver;
// then both answer the same PromQL queries at the same instant with the same numbers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/url_escape.h"
#include "tests/integration/andon_process.h"
#include "tests/integration/prometheus_process.h"
#include "tests/integration/victoria_metrics_process.h"
#include "tests/wait_for.h"

namespace andon::testing {
namespace {

using json = nlohmann::json;

std::string Escaped(const std::string& s) {
  std::string out;
  AppendUrlEscaped(s, /*query=*/true, &out);
  return out;
}

// The `data` of an instant query at `time` (seconds), its result sorted by labels so the
// two servers' orders do not matter; null when the query failed.
json InstantQuery(uint16_t port, const std::string& query, const std::string& time) {
  std::string target = "/api/v1/query?query=" + Escaped(query);
  if (!time.empty()) target += "&time=" + time;
  HttpResult r = HttpGet(port, target);
  json j = json::parse(r.body, nullptr, false);
  if (r.status != 200 || j.is_discarded() || j["status"] != "success") return nullptr;
  json data = j["data"];
  if (data["result"].is_array()) {
    std::sort(data["result"].begin(), data["result"].end(),
              [](const json& a, const json& b) { return a["metric"].dump() < b["metric"].dump(); });
  }
  return data;
}

// "name{labels}" of each sample line of a /federate answer (values and timestamps differ
// between two servers asked at different instants).
std::set<std::string> FederatedSeries(uint16_t port, const std::string& match) {
  std::set<std::string> out;
  std::string body = HttpGet(port, "/federate?match[]=" + Escaped(match)).body;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find('\n', pos);
    if (eol == std::string::npos) eol = body.size();
    std::string line = body.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line[0] == '#') {
      out.insert(line);
      continue;
    }
    size_t brace = line.rfind('}');
    out.insert(line.substr(0, brace == std::string::npos ? line.find(' ') : brace + 1));
  }
  return out;
}

TEST(RemoteWriteIntegrationTest, PrometheusRemoteWritesIntoAndonAndBothAnswerTheSame) {
  if (!std::filesystem::exists(kPrometheusBinary)) {
    GTEST_SKIP() << "prometheus missing: scripts/install-deps.sh installs Debian's package";
  }
  // Andon scrapes nothing itself: everything it holds came over remote write.
  const std::filesystem::path config_dir = MakeTempDir("andon-rw-config-");
  WriteFile(config_dir / "andon.yml", "scrape_configs: []\n");
  AndonProcess andon({"--web.enable-remote-write-receiver",
                      "--config.file=" + (config_dir / "andon.yml").string()});
  ASSERT_TRUE(andon.Start()) << andon.Log();
  PrometheusProcess prom;
  // It scrapes itself every second and remote-writes everything to andon.
  ASSERT_TRUE(
      prom.Start("global:\n"
                 "  scrape_interval: 1s\n"
                 "scrape_configs:\n"
                 "  - job_name: prometheus\n"
                 "    static_configs: [{targets: ['127.0.0.1:" +
                 std::to_string(prom.port()) +
                 "']}]\n"
                 "remote_write:\n"
                 "  - url: http://127.0.0.1:" +
                 std::to_string(andon.port()) +
                 "/api/v1/write\n"
                 "    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, "
                 "max_backoff: 1s}\n"
                 "    metadata_config: {send_interval: 1s}\n"))
      << prom.Log();

  // Several scrapes have arrived in andon.
  json latest;
  ASSERT_TRUE(WaitFor(
      [&] {
        latest = InstantQuery(andon.port(), "count_over_time(up[1h])", "");
        return latest != nullptr && latest["result"].size() == 1 &&
               std::stoi(latest["result"][0]["value"][1].get<std::string>()) >= 6;
      },
      std::chrono::seconds(60), std::chrono::milliseconds(200)))
      << latest.dump() << "\n"
      << prom.Log() << andon.Log();

  // An instant a few scrapes back from andon's newest `up`, so every sample up to it has
  // been sent (batch_send_deadline is 1 s).
  json ts = InstantQuery(andon.port(), "timestamp(up)", "");
  ASSERT_FALSE(ts == nullptr || ts["result"].empty()) << ts.dump();
  const double newest = std::stod(ts["result"][0]["value"][1].get<std::string>());
  const std::string at = std::to_string(newest - 2.5);

  const std::vector<std::string> queries = {
      "up",
      "count_over_time(up[4s])",
      "scrape_samples_scraped",
      "count({__name__=~\".+\"})",
      "sum(prometheus_tsdb_head_series)",
      "rate(prometheus_tsdb_head_samples_appended_total[4s])",
      "sum by (handler) (prometheus_http_requests_total)",
      "histogram_quantile(0.9, sum by (le) (prometheus_http_request_duration_seconds_bucket))",
  };
  for (const std::string& q : queries) {
    json got, want;
    EXPECT_TRUE(WaitFor(
        [&] {
          got = InstantQuery(andon.port(), q, at);
          want = InstantQuery(prom.port(), q, at);
          return got != nullptr && got == want && !want["result"].empty();
        },
        std::chrono::seconds(20), std::chrono::milliseconds(250)))
        << q << " at " << at << "\nandon:      " << got.dump() << "\nprometheus: " << want.dump();
  }

  std::set<std::string> andon_up, prom_up;
  EXPECT_TRUE(WaitFor([&] {
    andon_up = FederatedSeries(andon.port(), "{job=\"prometheus\",__name__=~\"up|scrape_.*\"}");
    prom_up = FederatedSeries(prom.port(), "{job=\"prometheus\",__name__=~\"up|scrape_.*\"}");
    return andon_up == prom_up && andon_up.size() > 2;
  })) << ::testing::PrintToString(andon_up)
      << "\n"
      << ::testing::PrintToString(prom_up);

  // Metadata arrives every send_interval; the receiver counts it.
  EXPECT_TRUE(WaitFor(
      [&] {
        std::string m = HttpGet(andon.port(), "/metrics").body;
        size_t p = m.find("\nandon_remote_write_metadata_received_total ");
        return p != std::string::npos && std::stod(m.substr(p + 44)) > 0;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(200)));
  EXPECT_EQ(andon.Log().find("request rejected"), std::string::npos) << andon.Log();
  std::filesystem::remove_all(config_dir);
}

// Raw samples (ms -> value) of one series: from andon by a range selector at `at`, from
// VictoriaMetrics by its export API up to `at`. Stale markers (NaN) are left out of both.
using RawSamples = std::map<int64_t, double>;

RawSamples AndonRaw(uint16_t port, const std::string& selector, double at) {
  RawSamples out;
  json data = InstantQuery(port, selector + "[1h]", std::to_string(at));
  if (data == nullptr || data["result"].size() != 1) return out;
  for (const json& v : data["result"][0]["values"]) {
    double value = std::stod(v[1].get<std::string>());
    if (!std::isnan(value)) out[std::llround(v[0].get<double>() * 1000)] = value;
  }
  return out;
}

RawSamples VictoriaRaw(uint16_t port, const std::string& selector, double at) {
  RawSamples out;
  HttpResult r = HttpGet(
      port, "/api/v1/export?match[]=" + Escaped(selector) + "&start=0&end=" + std::to_string(at));
  std::istringstream lines(r.body);
  for (std::string line; std::getline(lines, line);) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    for (size_t i = 0; i < j["timestamps"].size() && i < j["values"].size(); ++i) {
      const json& v = j["values"][i];
      double value = v.is_number() ? v.get<double>() : std::nan("");
      if (!std::isnan(value)) out[j["timestamps"][i].get<int64_t>()] = value;
    }
  }
  return out;
}

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Andon scrapes VictoriaMetrics every second and remote-writes to it. Tried: the receiver
// stops (andon keeps scraping: `up` 0, sends retried), andon itself restarts during the
// outage, then the receiver comes back. What must survive: every sample andon stored,
// before, during and after, queried back from VictoriaMetrics with the same values.
TEST(RemoteWriteIntegrationTest, AndonRemoteWritesToVictoriaMetricsAcrossRestartsOfBoth) {
  if (!std::filesystem::exists(kVictoriaMetricsBinary)) {
    GTEST_SKIP() << "victoria-metrics missing: scripts/install-deps.sh installs Debian's package";
  }
  VictoriaMetricsProcess vm;
  ASSERT_TRUE(vm.Start()) << vm.Log();
  const std::string vm_address = "127.0.0.1:" + std::to_string(vm.port());
  const std::filesystem::path config_dir = MakeTempDir("andon-rw-config-");
  WriteFile(config_dir / "andon.yml",
            "global: {scrape_interval: 1s, scrape_timeout: 500ms}\n"
            "scrape_configs:\n"
            "  - job_name: victoria\n"
            "    static_configs: [{targets: ['" +
                vm_address +
                "']}]\n"
                "remote_write:\n"
                "  - url: http://" +
                vm_address +
                "/api/v1/write\n"
                "    name: vm\n"
                "    queue_config: {batch_send_deadline: 500ms, min_backoff: 100ms, max_backoff: "
                "500ms}\n");
  AndonProcess andon({"--config.file=" + (config_dir / "andon.yml").string()});
  ASSERT_TRUE(andon.Start()) << andon.Log();
  const std::string up = "up{job=\"victoria\"}";
  ASSERT_TRUE(WaitFor([&] { return VictoriaRaw(vm.port(), up, NowSeconds()).size() >= 3; },
                      std::chrono::seconds(30), std::chrono::milliseconds(200)))
      << andon.Log() << vm.Log();

  vm.Stop();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ASSERT_EQ(andon.StopWith(SIGTERM), 0) << andon.Log();
  ASSERT_TRUE(andon.Start()) << andon.Log();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_TRUE(vm.Start()) << vm.Log();

  // Wait for a few scrapes after the receiver's return, then for everything up to the
  // newest of them to be sent.
  double at = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        RawSamples a = AndonRaw(andon.port(), up, NowSeconds());
        int ones_after_return = 0;
        for (auto it = a.rbegin(); it != a.rend() && it->second == 1; ++it) ++ones_after_return;
        if (ones_after_return < 3) return false;
        at = static_cast<double>(a.rbegin()->first) / 1000;
        return true;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(200)))
      << andon.Log();
  ASSERT_TRUE(WaitFor(
      [&] {
        return MetricValue(andon.port(),
                           "andon_remote_storage_queue_highest_sent_timestamp_seconds{"
                           "remote_name=\"vm\",url=\"http://" +
                               vm_address + "/api/v1/write\"}") >= at;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(200)))
      << andon.Log();

  for (const std::string& selector :
       {up, std::string("scrape_samples_scraped{job=\"victoria\"}")}) {
    RawSamples want, got;
    EXPECT_TRUE(WaitFor(
        [&] {
          want = AndonRaw(andon.port(), selector, at);
          got = VictoriaRaw(vm.port(), selector, at);
          return !want.empty() && got == want;
        },
        std::chrono::seconds(20), std::chrono::milliseconds(250)))
        << selector << "\nandon: " << ::testing::PrintToString(want)
        << "\nvictoria-metrics: " << ::testing::PrintToString(got);
  }
  // The outage is in the data: scrapes that failed while VictoriaMetrics was down.
  RawSamples all_up = AndonRaw(andon.port(), up, at);
  EXPECT_TRUE(std::any_of(all_up.begin(), all_up.end(), [](auto& s) { return s.second == 0; }))
      << ::testing::PrintToString(all_up);
  EXPECT_NE(andon.Log().find("retrying"), std::string::npos) << andon.Log();
  std::filesystem::remove_all(config_dir);
}

TEST(RemoteWriteIntegrationTest, WithoutTheFlagTheReceiverRefusesNamingIt) {
  AndonProcess andon;
  ASSERT_TRUE(andon.Start()) << andon.Log();
  HttpResult r = HttpRequestTo(andon.port(), "POST", "/api/v1/write", "x");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body,
            "remote write receiver needs to be enabled with "
            "--web.enable-remote-write-receiver\n");
}

}  // namespace
}  // namespace andon::testing
