// ScrapeManager: pools from a real config, reload diffs, file and plugged-in discovery,
// clean Stop(), all against real loopback targets.
#include "scrape/scrape_manager.h"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "scrape/pending_handlers.h"
#include "tests/loopback_http_server.h"
#include "tests/scrape/recording_appender.h"
#include "tests/wait_for.h"
#include "tsdb/sample.h"

namespace andon::scrape {

using andon::testing::WaitFor;
namespace {

using namespace std::chrono_literals;
using testing::LoopbackHttpServer;
using testing::SampleLog;
using testing::TestReply;
using testing::TestRequest;

config::Config ParseOrDie(const std::string& yaml, const std::string& dir = "") {
  auto cfg = config::ParseConfig(yaml, "test.yml", dir);
  EXPECT_TRUE(cfg.ok()) << cfg.status().message();
  return cfg.ok() ? std::move(cfg).value() : config::Config();
}

std::string StaticJob(const std::string& name, const std::vector<std::string>& targets,
                      const std::string& extra = "") {
  std::string y = "- job_name: " + name + "\n  scrape_interval: 100ms\n  scrape_timeout: 80ms\n" +
                  extra + "  static_configs:\n  - targets: [";
  for (size_t i = 0; i < targets.size(); ++i) y += (i ? ", " : "") + ("'" + targets[i] + "'");
  return y + "]\n";
}

class ManagerTest : public ::testing::Test {
 protected:
  ManagerTest()
      : a_([](const TestRequest&) {
          return TestReply{.body = "# HELP a_metric A.\n# TYPE a_metric gauge\na_metric 1\n"};
        }),
        b_([](const TestRequest&) { return TestReply{.body = "b_metric 2\n"}; }) {}

  bool StaleAfterLive(const std::string& metric) {
    auto s = log_.Of(metric);
    return !s.empty() && IsStaleNaN(s.back().v) && !IsStaleNaN(s.front().v);
  }

  LoopbackHttpServer a_, b_;
  SampleLog log_;
};

TEST_F(ManagerTest, ScrapesStaticTargetsAndReportsThem) {
  ScrapeManager m(log_.Factory(), {});
  config::Config cfg =
      ParseOrDie("scrape_configs:\n" + StaticJob("j", {a_.address(), b_.address()}));
  ASSERT_TRUE(m.ApplyConfig(cfg).ok());
  ASSERT_TRUE(
      WaitFor([&] { return !log_.Of("a_metric").empty() && !log_.Of("b_metric").empty(); }));
  ASSERT_TRUE(WaitFor([&] {
    auto t = m.ActiveTargets();
    return t.size() == 2 && t[0].health.health == "up" && t[1].health.health == "up";
  }));
  auto targets = m.ActiveTargets();
  EXPECT_EQ(targets[0].scrape_pool, "j");
  EXPECT_EQ(targets[0].interval_ms, 100);
  EXPECT_EQ(targets[0].timeout_ms, 80);
  EXPECT_EQ(targets[0].discovered_labels.Get("__address__"), targets[0].labels.Get("instance"));
  EXPECT_EQ(targets[0].discovered_labels.Get("__metrics_path__"), "/metrics");
  auto meta = m.Metadata();
  ASSERT_EQ(meta.size(), 2u);
  bool found = false;
  for (const auto& tm : meta) {
    for (const auto& md : tm.metadata) {
      if (md.metric == "a_metric") {
        found = true;
        EXPECT_EQ(md.type, "gauge");
        EXPECT_EQ(md.help, "A.");
      }
    }
  }
  EXPECT_TRUE(found);
  m.Stop();
  // Shutting down writes no staleness markers.
  EXPECT_FALSE(IsStaleNaN(log_.Of("a_metric").back().v));
}

TEST_F(ManagerTest, ReloadKeepsUnchangedTargetsAndMarksRemovedOnesStale) {
  ScrapeManager m(log_.Factory(), {});
  std::string keep = StaticJob("keep", {a_.address()});
  ASSERT_TRUE(
      m.ApplyConfig(ParseOrDie("scrape_configs:\n" + keep + StaticJob("other", {b_.address()})))
          .ok());
  ASSERT_TRUE(
      WaitFor([&] { return log_.Of("a_metric").size() >= 2 && log_.Of("b_metric").size() >= 2; }));
  int a_conns = a_.connections();
  // Same config again: nothing restarts (a new loop would dial a new connection).
  ASSERT_TRUE(
      m.ApplyConfig(ParseOrDie("scrape_configs:\n" + keep + StaticJob("other", {b_.address()})))
          .ok());
  // Remove job "other".
  ASSERT_TRUE(m.ApplyConfig(ParseOrDie("scrape_configs:\n" + keep)).ok());
  ASSERT_TRUE(WaitFor([&] { return StaleAfterLive("b_metric"); }));
  size_t a_before = log_.Of("a_metric").size();
  ASSERT_TRUE(WaitFor([&] { return log_.Of("a_metric").size() >= a_before + 3; }));
  EXPECT_EQ(a_.connections(), a_conns);
  EXPECT_FALSE(IsStaleNaN(log_.Of("a_metric").back().v));
  EXPECT_EQ(m.ActiveTargets().size(), 1u);
  m.Stop();
}

TEST_F(ManagerTest, RemovingATargetFromAChangedJobMarksOnlyItStale) {
  ScrapeManager m(log_.Factory(), {});
  ASSERT_TRUE(
      m.ApplyConfig(ParseOrDie("scrape_configs:\n" + StaticJob("j", {a_.address(), b_.address()})))
          .ok());
  ASSERT_TRUE(
      WaitFor([&] { return log_.Of("a_metric").size() >= 2 && log_.Of("b_metric").size() >= 2; }));
  ASSERT_TRUE(m.ApplyConfig(ParseOrDie("scrape_configs:\n" + StaticJob("j", {a_.address()}))).ok());
  ASSERT_TRUE(WaitFor([&] { return StaleAfterLive("b_metric"); }));
  auto b_up = log_.Of("up", "instance", b_.address());
  ASSERT_FALSE(b_up.empty());
  EXPECT_TRUE(IsStaleNaN(b_up.back().v));
  size_t a_before = log_.Of("a_metric").size();
  ASSERT_TRUE(WaitFor([&] { return log_.Of("a_metric").size() >= a_before + 2; }));
  for (const auto& s : log_.Of("a_metric")) EXPECT_FALSE(IsStaleNaN(s.v));
  auto t = m.ActiveTargets();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].labels.Get("instance"), a_.address());
}

TEST_F(ManagerTest, RelabelingDropsTargetsAndShowsThemAsDropped) {
  ScrapeManager m(log_.Factory(), {});
  std::string relabel = "  relabel_configs:\n  - source_labels: [__address__]\n    regex: '" +
                        b_.address() + "'\n    action: drop\n";
  ASSERT_TRUE(m.ApplyConfig(ParseOrDie("scrape_configs:\n" +
                                       StaticJob("j", {a_.address(), b_.address()}, relabel)))
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return !log_.Of("a_metric").empty(); }));
  auto dropped = m.DroppedTargets();
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].discovered_labels.Get("__address__"), b_.address());
  EXPECT_EQ(dropped[0].discovered_labels.Get("job"), "j");
  EXPECT_EQ(m.ActiveTargets().size(), 1u);
  EXPECT_EQ(b_.requests(), 0);
}

TEST_F(ManagerTest, FileDiscoveryAddsAndRemovesTargets) {
  auto dir =
      std::filesystem::temp_directory_path() / ("scrape_file_sd_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto file = dir / "targets.json";
  std::ofstream(file) << "[{\"targets\": [\"" << a_.address() << "\", \"" << b_.address()
                      << "\"], \"labels\": {\"team\": \"x\"}}]";
  ScrapeManagerOptions opts;
  opts.file_sd_poll_interval = 50ms;
  ScrapeManager m(log_.Factory(), opts);
  ASSERT_TRUE(m.ApplyConfig(ParseOrDie("scrape_configs:\n- job_name: f\n  scrape_interval: 100ms\n"
                                       "  scrape_timeout: 80ms\n  file_sd_configs:\n  - files: ['" +
                                       file.string() + "']\n"))
                  .ok());
  ASSERT_TRUE(
      WaitFor([&] { return !log_.Of("a_metric").empty() && !log_.Of("b_metric").empty(); }));
  EXPECT_EQ(log_.Of("a_metric")[0].labels.Get("team"), "x");
  std::this_thread::sleep_for(20ms);
  std::ofstream(file) << "[{\"targets\": [\"" << a_.address()
                      << "\"], \"labels\": {\"team\": \"x\"}}]\n";
  ASSERT_TRUE(WaitFor([&] { return StaleAfterLive("b_metric"); }));
  EXPECT_EQ(m.ActiveTargets().size(), 1u);
  m.Stop();
  std::filesystem::remove_all(dir);
}

// A discoverer plugged in through the factory, reporting one group from its executor.
class FixedDiscoverer : public Discoverer {
 public:
  FixedDiscoverer(boost::asio::any_io_executor ex, std::string address)
      : ex_(std::move(ex)), address_(std::move(address)) {}
  ~FixedDiscoverer() override { Stop(); }
  void Start(UpdateFn on_update) override {
    if (!pending_.TryAdd()) return;
    boost::asio::post(ex_, [this, on_update = std::move(on_update)] {
      on_update(
          {TargetGroup{"fixed", {Labels{{"__address__", address_}, {"__meta_fixed", "yes"}}}, {}}});
      pending_.Done();
    });
  }
  void Stop() override {
    pending_.BeginStop();
    pending_.WaitIdle();
  }

 private:
  boost::asio::any_io_executor ex_;
  std::string address_;
  PendingHandlers pending_;
};

TEST_F(ManagerTest, DiscovererFactoryPlugsInOtherDiscovery) {
  ScrapeManagerOptions opts;
  std::atomic<int> calls{0};
  opts.extra_discoverers = [&](const config::ScrapeConfig& cfg, boost::asio::any_io_executor ex) {
    ++calls;
    std::vector<std::unique_ptr<Discoverer>> out;
    if (cfg.job_name == "plugged")
      out.push_back(std::make_unique<FixedDiscoverer>(ex, b_.address()));
    return out;
  };
  ScrapeManager m(log_.Factory(), opts);
  ASSERT_TRUE(
      m.ApplyConfig(ParseOrDie("scrape_configs:\n- job_name: plugged\n  scrape_interval: 100ms\n"
                               "  scrape_timeout: 80ms\n  relabel_configs:\n"
                               "  - source_labels: [__meta_fixed]\n    target_label: fixed\n"))
          .ok());
  ASSERT_TRUE(WaitFor([&] { return !log_.Of("b_metric").empty(); }));
  EXPECT_EQ(log_.Of("b_metric")[0].labels.Get("fixed"), "yes");
  EXPECT_EQ(calls.load(), 1);
  auto t = m.ActiveTargets();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].discovered_labels.Get("__meta_fixed"), "yes");
}

TEST_F(ManagerTest, StopWithHangingTargetsIsPromptAndApplyAfterStopFails) {
  LoopbackHttpServer hanging(
      [](const TestRequest&) { return TestReply{.body = "h 1\n", .delay = 30s}; });
  ScrapeManager m(log_.Factory(), {});
  ASSERT_TRUE(m.ApplyConfig(ParseOrDie("scrape_configs:\n" +
                                       StaticJob("h", {hanging.address(), a_.address()})))
                  .ok());
  std::this_thread::sleep_for(150ms);
  auto start = std::chrono::steady_clock::now();
  m.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_FALSE(m.ApplyConfig(config::Config()).ok());
  m.Stop();  // idempotent
  hanging.Stop();
}

}  // namespace
}  // namespace andon::scrape
