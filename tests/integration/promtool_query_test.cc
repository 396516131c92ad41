// Debian's promtool (Prometheus 2.42) runs PromQL against a running andon through
// /api/v1/query and /api/v1/query_range: what it prints must be what it prints against
// Prometheus 2.42 holding the same samples (expected outputs taken from the real binary).
#include <gtest/gtest.h>

#include <fstream>

#include "tests/integration/andon_process.h"

namespace andon {
namespace {

using testing::AndonProcess;
using testing::HttpGet;
using testing::RunAndon;

// Runs a shell command; returns its exit code, stdout and stderr.
struct ShellResult {
  int code;
  std::string out;
  std::string err;
};

ShellResult Shell(const std::string& cmd, const std::filesystem::path& scratch) {
  std::string err_path = (scratch / "stderr").string();
  std::string out;
  FILE* p = popen((cmd + " 2>" + err_path).c_str(), "r");
  if (p == nullptr) return {-1, "", ""};
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int rc = pclose(p);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out, testing::ReadFile(err_path)};
}

class PromtoolQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Shell("command -v promtool", andon_.dir()).code, 0)
        << "promtool missing: scripts/install-deps.sh installs Debian's prometheus package";
    std::string om = (andon_.dir() / "history.om").string();
    std::ofstream(om) << "# TYPE up gauge\n"
                         "up{job=\"api\",instance=\"a:1\"} 1 1700000000\n"
                         "up{job=\"api\",instance=\"a:1\"} 1 1700000015\n"
                         "up{job=\"api\",instance=\"a:1\"} 1 1700000030\n"
                         "up{job=\"db\",instance=\"b:1\"} 0 1700000000\n"
                         "up{job=\"db\",instance=\"b:1\"} 0 1700000015\n"
                         "up{job=\"db\",instance=\"b:1\"} 0 1700000030\n"
                         "# TYPE http_requests counter\n"
                         "http_requests_total{job=\"api\",path=\"/<x>\"} 0 1700000000\n"
                         "http_requests_total{job=\"api\",path=\"/<x>\"} 15 1700000015\n"
                         "http_requests_total{job=\"api\",path=\"/<x>\"} 30.5 1700000030\n"
                         "# EOF\n";
    auto [code, out] =
        RunAndon({"tsdb", "import", "openmetrics", om, (andon_.dir() / "data").string()});
    ASSERT_EQ(code, 0) << out;
    ASSERT_TRUE(andon_.Start()) << andon_.Log();
    url_ = "http://127.0.0.1:" + std::to_string(andon_.port());
  }

  ShellResult Promtool(const std::string& args) {
    return Shell("promtool query " + args, andon_.dir());
  }

  AndonProcess andon_{{"--query.max-concurrency=4", "--query.lookback-delta=5m"}};
  std::string url_;
};

TEST_F(PromtoolQueryTest, InstantQueryPrintsEachSample) {
  ShellResult r = Promtool("instant --time=1700000030 " + url_ + " up");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "up{instance=\"a:1\", job=\"api\"} => 1 @[1700000030]\n"
            "up{instance=\"b:1\", job=\"db\"} => 0 @[1700000030]\n");
  ShellResult rate =
      Promtool("instant --time=1700000030.5 " + url_ + " 'rate(http_requests_total[1m])'");
  EXPECT_EQ(rate.code, 0) << rate.err;
  EXPECT_EQ(rate.out, "{job=\"api\", path=\"/<x>\"} => 0.5168055555555555 @[1700000030.5]\n");
}

// Grafana's "Save & test" of a Prometheus data source runs the instant query 1+1.
TEST_F(PromtoolQueryTest, GrafanasHealthCheckOnePlusOneIsTheScalarTwo) {
  ShellResult r = Promtool("instant --time=1700000030 " + url_ + " '1+1'");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "scalar: 2 @[1700000030]\n");
  ShellResult now = Promtool("instant " + url_ + " '1+1'");
  EXPECT_EQ(now.code, 0) << now.err;
  EXPECT_EQ(now.out.rfind("scalar: 2 @[", 0), 0u) << now.out;

  auto raw = HttpGet(andon_.port(), "/api/v1/query?query=1%2B1&time=1700000000");
  EXPECT_EQ(raw.status, 200);
  EXPECT_EQ(raw.body,
            R"({"status":"success","data":{"resultType":"scalar","result":[1700000000,"2"]}})");
}

TEST_F(PromtoolQueryTest, RangeQueryPrintsEachSeriesWithItsPoints) {
  ShellResult r = Promtool("range --start=1700000000 --end=1700000030 --step=15s " + url_ + " up");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "up{instance=\"a:1\", job=\"api\"} =>\n"
            "1 @[1700000000]\n"
            "1 @[1700000015]\n"
            "1 @[1700000030]\n"
            "up{instance=\"b:1\", job=\"db\"} =>\n"
            "0 @[1700000000]\n"
            "0 @[1700000015]\n"
            "0 @[1700000030]\n");
  ShellResult json = Promtool("instant -o json --time=1700000030 " + url_ + " 'sum(up)'");
  EXPECT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(json.out, "[{\"metric\":{},\"value\":[1700000030,\"1\"]}]\n");
}

TEST_F(PromtoolQueryTest, ErrorsAreReportedWithPrometheusWords) {
  ShellResult instant = Promtool("instant " + url_ + " 'up{'");
  EXPECT_EQ(instant.code, 1);
  EXPECT_EQ(instant.out, "");
  EXPECT_EQ(instant.err,
            "query error: bad_data: invalid parameter \"query\": 1:4: parse error: unexpected end "
            "of input inside braces\n");
  ShellResult range =
      Promtool("range --start=1700000000 --end=1700000030 --step=15s " + url_ + " 'up{'");
  EXPECT_EQ(range.code, 1);
  EXPECT_EQ(range.err,
            "query error: bad_data: 1:4: parse error: unexpected end of input inside braces\n");
}

TEST_F(PromtoolQueryTest, QueryFlagsAreServedAndBadOnesRefused) {
  auto flags = HttpGet(andon_.port(), "/api/v1/status/flags");
  EXPECT_NE(flags.body.find(R"("query.max-concurrency":"4")"), std::string::npos) << flags.body;
  EXPECT_NE(flags.body.find(R"("query.timeout":"2m")"), std::string::npos) << flags.body;
  EXPECT_NE(flags.body.find(R"("query.max-samples":"50000000")"), std::string::npos);
  auto [code, out] = RunAndon(
      {"--query.timeout=soon", "--storage.tsdb.path=" + (andon_.dir() / "other").string()});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("--query.timeout: invalid duration \"soon\""), std::string::npos) << out;
}

// Grafana reads /api/v1/status/buildinfo to detect the flavour: a Prometheus-shaped answer
// with no "features" (Mimir/Cortex ruler APIs) keeps it on the plain Prometheus path.
TEST_F(PromtoolQueryTest, BuildInfoHasPrometheusShapeWithoutFeatures) {
  auto r = HttpGet(andon_.port(), "/api/v1/status/buildinfo");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.rfind(R"({"status":"success","data":{)", 0), 0u) << r.body;
  for (const char* key :
       {"\"version\":", "\"revision\":", "\"branch\":", "\"buildUser\":", "\"buildDate\":"}) {
    EXPECT_NE(r.body.find(key), std::string::npos) << key << " in " << r.body;
  }
  EXPECT_EQ(r.body.find("features"), std::string::npos) << r.body;
}

// Debian's Prometheus 2.42 on a loopback port over blocks made by promtool from an
// OpenMetrics file: the reference the side-by-side test compares andon's bytes with.
class PrometheusProcess {
 public:
  explicit PrometheusProcess(std::filesystem::path dir) : dir_(std::move(dir)) {}
  ~PrometheusProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  bool Start(const std::string& openmetrics_file) {
    std::string blocks = (dir_ / "prom-data").string();
    if (Shell("promtool tsdb create-blocks-from openmetrics " + openmetrics_file + " " + blocks +
                  " >/dev/null",
              dir_)
            .code != 0) {
      return false;
    }
    testing::WriteFile(dir_ / "prometheus.yml", "global:\n  scrape_interval: 1h\n");
    port_ = testing::FreeLoopbackPort();
    std::vector<std::string> argv = {
        "/usr/bin/prometheus", "--config.file=" + (dir_ / "prometheus.yml").string(),
        "--storage.tsdb.path=" + blocks, "--storage.tsdb.retention.time=100y",
        "--web.listen-address=127.0.0.1:" + std::to_string(port_)};
    pid_ = testing::SpawnUntilReady(std::move(argv), dir_ / "prometheus.log",
                                    /*stdout_to_log=*/false, port_);
    return pid_ > 0;
  }
  uint16_t port() const { return port_; }
  std::string Log() const { return testing::ReadFile(dir_ / "prometheus.log"); }

 private:
  std::filesystem::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// Same samples, same requests: andon's status code, Content-Type and body must equal
// Prometheus 2.42's byte for byte, for results and for errors.
TEST_F(PromtoolQueryTest, AnswersMatchPrometheusByteForByte) {
  ASSERT_EQ(access("/usr/bin/prometheus", X_OK), 0) << "Debian's prometheus package is needed";
  PrometheusProcess prometheus(andon_.dir());
  ASSERT_TRUE(prometheus.Start((andon_.dir() / "history.om").string())) << prometheus.Log();

  const std::string at = "&time=1700000030.5";
  const std::string range = "&start=1699999990&end=1700000100&step=7.5";
  const std::vector<std::string> targets = {
      "/api/v1/query?query=up" + at,
      "/api/v1/query?query=up%5B30s%5D" + at,
      "/api/v1/query?query=sum%20by%20(job)%20(up)" + at,
      "/api/v1/query?query=http_requests_total%20%2F%203" + at,
      "/api/v1/query?query=increase(http_requests_total%5B1m%5D)" + at,
      "/api/v1/query?query=up%20offset%2015s" + at,
      "/api/v1/query?query=1e300*10" + at,
      "/api/v1/query?query=2%5E70" + at,
      "/api/v1/query?query=-1%2F0" + at,
      "/api/v1/query?query=%22a%5Cu2028%3C%3E%22" + at,
      "/api/v1/query?query=up%5B1m%3A15s%5D" + at,
      "/api/v1/query?query=1&time=1700000000.05",
      "/api/v1/query?query=vector(1)&time=-1.5",
      "/api/v1/query_range?query=up" + range,
      "/api/v1/query_range?query=time()" + range,
      "/api/v1/query_range?query=up%20%40%20end()" + range,
      "/api/v1/query_range?query=max_over_time(up%5B20s%3A5s%5D)" + range,
      "/api/v1/query_range?query=vector(1)&start=-1.5&end=0&step=0.5",
      "/api/v1/format_query?query=sum(rate(x%5B5m%5D))%20by%20(a)%20%2F%20on(a)%20group_left%20y",
      // errors
      "/api/v1/query?query=up%7B",
      "/api/v1/query?query=rate(up)",
      "/api/v1/query?query=1&time=soon",
      "/api/v1/query?query=1&timeout=x",
      // Not timeout=0: Prometheus picks at random between "query timed out in query queue"
      // and "... in query execution" (a Go select with both cases ready); andon says "queue".
      "/api/v1/query?query=label_replace(vector(1)%2C%22a%22%2C%22b%22%2C%22c%22%2C%22(%22)" + at,
      "/api/v1/query_range?query=1",
      "/api/v1/query_range?query=1&start=10&end=5&step=1",
      "/api/v1/query_range?query=1&start=0&end=5&step=0",
      "/api/v1/query_range?query=1&start=0&end=11001&step=1",
      "/api/v1/query_range?query=up%5B5m%5D" + range,
      "/api/v1/query_range?query=%22s%22" + range,
      "/api/v1/query_range?query=1%2B" + range,
      "/api/v1/format_query?query=",
  };
  // Prometheus holds the samples too (else equal empty answers would prove nothing).
  EXPECT_NE(HttpGet(prometheus.port(), targets[0]).body.find(R"("job":"db")"), std::string::npos);
  for (const std::string& target : targets) {
    auto want = HttpGet(prometheus.port(), target);
    auto got = HttpGet(andon_.port(), target);
    ASSERT_NE(want.status, 0) << target << ": " << want.error;
    EXPECT_EQ(got.status, want.status) << target;
    EXPECT_EQ(got.content_type, want.content_type) << target;
    EXPECT_EQ(got.body, want.body) << target;
  }
}

}  // namespace
}  // namespace andon
