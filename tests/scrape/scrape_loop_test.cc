// ScrapeIngester (body -> appended samples) and ScrapeLoop (timing, failures, staleness)
// against real loopback HTTP targets, a recording appender and the real Db.
#include "scrape/scrape_loop.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <cmath>
#include <filesystem>
#include <thread>

#include "common/config.h"
#include "tests/allocation_count.h"
#include "tests/loopback_http_server.h"
#include "tests/scrape/recording_appender.h"
#include "tests/wait_for.h"
#include "tsdb/db.h"
#include "tsdb/label_matcher.h"
#include "tsdb/sample.h"

namespace andon::scrape {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::LoggedSample;
using testing::LoopbackHttpServer;
using testing::SampleLog;
using testing::TestReply;
using testing::TestRequest;
using testing::WaitFor;

constexpr std::string_view kText = "text/plain; version=0.0.4";

config::ScrapeConfig JobConfig(const std::string& yaml_body = "") {
  std::string yaml =
      "scrape_configs:\n- job_name: test\n  scrape_interval: 100ms\n"
      "  scrape_timeout: 80ms\n" +
      yaml_body;
  auto cfg = config::ParseConfig(yaml, "test.yml", "");
  EXPECT_TRUE(cfg.ok()) << cfg.status().message();
  return cfg->scrape_configs.at(0);
}

const Labels kTarget{{"job", "test"}, {"instance", "host:9100"}};

class IngesterTest : public ::testing::Test {
 protected:
  Result<IngestStats> Ingest(ScrapeIngester& ing, std::string_view body, int64_t t,
                             std::string_view ct = kText) {
    auto app = log_.Factory()();
    auto r = ing.Ingest(ct, body, t, *app);
    if (r.ok()) {
      EXPECT_TRUE(app->Commit().ok());
    } else {
      app->Rollback();
      ing.AppendFailure(t, *app);
      EXPECT_TRUE(app->Commit().ok());
    }
    return r;
  }
  SampleLog log_;
};

TEST_F(IngesterTest, AppendsSamplesWithTheTargetLabels) {
  config::ScrapeConfig cfg = JobConfig();
  ScrapeIngester ing(cfg, kTarget);
  auto r = Ingest(ing, "# TYPE a counter\na_total 1\nb{x=\"y\"} 2.5\n", 1000);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->scraped, 2u);
  EXPECT_EQ(r->post_relabeling, 2u);
  EXPECT_EQ(r->series_added, 2u);
  auto b = log_.Of("b");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].labels.ToString(), R"({__name__="b", instance="host:9100", job="test", x="y"})");
  EXPECT_EQ(b[0].t, 1000);
  EXPECT_EQ(b[0].v, 2.5);
  // Second scrape: every series from the cache, none added.
  r = Ingest(ing, "# TYPE a counter\na_total 2\nb{x=\"y\"} 3\n", 2000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->series_added, 0u);
  EXPECT_EQ(log_.Of("a_total").size(), 2u);
  EXPECT_EQ(ing.cache_size(), 2u);
}

TEST_F(IngesterTest, ConflictingScrapedLabelsBecomeExportedUnlessHonored) {
  config::ScrapeConfig cfg = JobConfig();
  ScrapeIngester ing(cfg, kTarget);
  ASSERT_TRUE(Ingest(ing, "m{job=\"inner\",exported_job=\"x\"} 1\n", 1000).ok());
  auto m = log_.Of("m");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].labels.Get("job"), "test");
  EXPECT_EQ(m[0].labels.Get("exported_exported_job"), "inner");
  EXPECT_EQ(m[0].labels.Get("exported_job"), "x");

  config::ScrapeConfig honor = JobConfig("  honor_labels: true\n");
  ScrapeIngester ing2(honor, kTarget);
  ASSERT_TRUE(Ingest(ing2, "n{job=\"inner\"} 1\n", 1000).ok());
  auto n = log_.Of("n");
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].labels.Get("job"), "inner");
  EXPECT_EQ(n[0].labels.Get("instance"), "host:9100");
}

TEST_F(IngesterTest, HonorTimestampsDecidesWhichTimeIsUsed) {
  config::ScrapeConfig cfg = JobConfig();
  ScrapeIngester ing(cfg, kTarget);
  ASSERT_TRUE(Ingest(ing, "m 1 500\n", 1000).ok());
  EXPECT_EQ(log_.Of("m").at(0).t, 500);
  config::ScrapeConfig off = JobConfig("  honor_timestamps: false\n");
  ScrapeIngester ing2(off, kTarget);
  ASSERT_TRUE(Ingest(ing2, "n 1 500\n", 1000).ok());
  EXPECT_EQ(log_.Of("n").at(0).t, 1000);
}

TEST_F(IngesterTest, MetricRelabelingDropsAndRewrites) {
  config::ScrapeConfig cfg = JobConfig(
      "  metric_relabel_configs:\n"
      "  - source_labels: [__name__]\n    regex: go_.*\n    action: drop\n"
      "  - source_labels: [x]\n    target_label: y\n");
  ScrapeIngester ing(cfg, kTarget);
  auto r = Ingest(ing, "go_goroutines 5\ngo_threads 7\nkeep{x=\"1\"} 1\n", 1000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->scraped, 3u);
  EXPECT_EQ(r->post_relabeling, 1u);
  EXPECT_TRUE(log_.Of("go_goroutines").empty());
  ASSERT_EQ(log_.Of("keep").size(), 1u);
  EXPECT_EQ(log_.Of("keep")[0].labels.Get("y"), "1");
}

TEST_F(IngesterTest, SampleLimitFailsTheWholeScrape) {
  config::ScrapeConfig cfg = JobConfig("  sample_limit: 2\n");
  ScrapeIngester ing(cfg, kTarget);
  auto r = Ingest(ing, "a 1\nb 1\nc 1\n", 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "sample limit exceeded");
  EXPECT_TRUE(log_.All().empty());  // rolled back
  EXPECT_TRUE(Ingest(ing, "a 1\nb 1\n", 2000).ok());
}

TEST_F(IngesterTest, LabelLimitsFailWithPrometheusMessages) {
  {
    config::ScrapeConfig cfg = JobConfig("  label_limit: 3\n");
    ScrapeIngester ing(cfg, kTarget);
    auto r = Ingest(ing, "m{a=\"1\",b=\"2\"} 1\n", 1000);
    EXPECT_EQ(r.status().message(),
              "label_limit exceeded (metric: m, number of labels: 5, limit: 3)");
  }
  {
    // __name__ counts too, as in Prometheus.
    config::ScrapeConfig cfg = JobConfig("  label_name_length_limit: 8\n");
    ScrapeIngester ing(cfg, kTarget);
    auto r = Ingest(ing, "m{abcdefghi=\"1\"} 1\n", 1000);
    EXPECT_EQ(r.status().message(),
              "label_name_length_limit exceeded (metric: m, label name: abcdefghi, length: 9, "
              "limit: 8)");
  }
  {
    config::ScrapeConfig cfg = JobConfig("  label_value_length_limit: 10\n");
    ScrapeIngester ing(cfg, kTarget);
    auto r = Ingest(ing, "m{a=\"0123456789ab\"} 1\n", 1000);
    EXPECT_EQ(r.status().message(),
              "label_value_length_limit exceeded (metric: m, label name: a, value: "
              "\"0123456789ab\", length: 12, limit: 10)");
  }
}

TEST_F(IngesterTest, DisappearedSeriesGetStalenessMarkers) {
  config::ScrapeConfig cfg = JobConfig();
  ScrapeIngester ing(cfg, kTarget);
  ASSERT_TRUE(Ingest(ing, "a 1\nb 1\nts 1 100\n", 1000).ok());
  ASSERT_TRUE(Ingest(ing, "a 2\n", 2000).ok());
  auto b = log_.Of("b");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1].t, 2000);
  EXPECT_TRUE(IsStaleNaN(b[1].v));
  EXPECT_EQ(log_.Of("ts").size(), 1u);  // explicit timestamps are never marked stale
  // A failed scrape marks everything of the last good one stale.
  auto r = Ingest(ing, "a 3\nthis is { not valid\n", 3000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos) << r.status().message();
  auto a = log_.Of("a");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_TRUE(IsStaleNaN(a[2].v));
  EXPECT_EQ(a[2].t, 3000);
  // And it comes back.
  ASSERT_TRUE(Ingest(ing, "a 4\n", 4000).ok());
  EXPECT_EQ(log_.Of("a").back().v, 4);
}

// Lines are first looked up by their position in the previous scrape: a target that
// reorders, inserts, repeats or drops lines must still get every value on its own series.
TEST_F(IngesterTest, ReorderedInsertedAndRepeatedLinesLandOnTheirOwnSeries) {
  config::ScrapeConfig cfg = JobConfig();
  ScrapeIngester ing(cfg, kTarget);
  ASSERT_TRUE(Ingest(ing, "a 1\nb 2\nc 3\n", 1000).ok());
  auto r = Ingest(ing, "c 30\nnew 5\na 10\nb 20\n", 2000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->series_added, 1u);
  ASSERT_TRUE(Ingest(ing, "b 200\nb 201\na 100\n", 3000).ok());  // c disappears
  auto values = [&](const std::string& name) {
    std::vector<std::pair<int64_t, double>> out;
    for (const auto& smp : log_.Of(name)) out.emplace_back(smp.t, smp.v);
    return out;
  };
  EXPECT_EQ(values("a"),
            (std::vector<std::pair<int64_t, double>>{{1000, 1}, {2000, 10}, {3000, 100}}));
  ASSERT_EQ(values("b").size(), 4u);  // the repeated line is appended (and rejected by a tsdb)
  EXPECT_EQ(values("b")[1], (std::pair<int64_t, double>{2000, 20}));
  EXPECT_EQ(values("b")[2], (std::pair<int64_t, double>{3000, 200}));
  auto c = values("c");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[1], (std::pair<int64_t, double>{2000, 30}));
  EXPECT_TRUE(IsStaleNaN(c[2].second));
  EXPECT_EQ(values("new").size(), 2u);  // 5, then a staleness marker
}

TEST_F(IngesterTest, OpenMetricsContentTypePicksTheOpenMetricsParser) {
  config::ScrapeConfig cfg = JobConfig();
  ScrapeIngester ing(cfg, kTarget);
  std::string_view om =
      "# TYPE c_seconds counter\n# UNIT c_seconds seconds\n# HELP c_seconds Help \\\"q\\\".\n"
      "c_seconds_total 3\n# EOF\n";
  auto r = Ingest(ing, om, 1000, "application/openmetrics-text; version=1.0.0; charset=utf-8");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(log_.Of("c_seconds_total").size(), 1u);
  // Without "# EOF" OpenMetrics fails, the text format does not.
  EXPECT_FALSE(Ingest(ing, "c_seconds_total 3\n", 2000, "application/openmetrics-text").ok());
  auto meta = ing.Metadata();
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(meta[0].metric, "c_seconds");
  EXPECT_EQ(meta[0].type, "counter");
  EXPECT_EQ(meta[0].unit, "seconds");
  EXPECT_EQ(meta[0].help, "Help \"q\".");
}

TEST_F(IngesterTest, MetadataFollowsTheTargetWhenHelpOrTypeChanges) {
  config::ScrapeConfig cfg = JobConfig();
  ScrapeIngester ing(cfg, kTarget);
  ASSERT_TRUE(Ingest(ing, "# HELP m One.\n# TYPE m gauge\nm 1\n", 1000).ok());
  ASSERT_TRUE(Ingest(ing, "# HELP m One.\n# TYPE m gauge\nm 2\n", 2000).ok());
  ASSERT_TRUE(Ingest(ing, "# HELP m Two.\n# TYPE m counter\nm 3\n", 3000).ok());
  auto meta = ing.Metadata();
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(meta[0].type, "counter");
  EXPECT_EQ(meta[0].help, "Two.");
}

TEST_F(IngesterTest, SeriesThatSwapPlacesBetweenScrapesKeepTheirOwnLabels) {
  config::ScrapeConfig cfg = JobConfig();
  ScrapeIngester ing(cfg, kTarget);
  ASSERT_TRUE(Ingest(ing, "m{a=\"1\"} 1\nm{a=\"2\"} 2\n", 1000).ok());
  // The hint for line 1 is m{a="1"}: a prefix of neither line.
  ASSERT_TRUE(Ingest(ing, "m{a=\"2\"} 20\nm{a=\"1\"} 10\nm{a=\"1\",b=\"x\"} 5\n", 2000).ok());
  auto a1 = log_.Of("m", "a", "1");
  ASSERT_EQ(a1.size(), 3u);
  EXPECT_EQ(a1[1].v, 10);
  EXPECT_EQ(a1[2].labels.Get("b"), "x");
  auto a2 = log_.Of("m", "a", "2");
  ASSERT_EQ(a2.size(), 2u);
  EXPECT_EQ(a2[1].v, 20);
}

TEST_F(IngesterTest, WarmScrapeAllocatesNothingPerSample) {
  std::string body;
  for (int i = 0; i < 1000; ++i) {
    if (i % 10 == 0)
      body += "# HELP fam" + std::to_string(i / 10) + " Some help.\n# TYPE fam" +
              std::to_string(i / 10) + " gauge\n";
    body += "fam" + std::to_string(i / 10) + "{cpu=\"" + std::to_string(i % 10) +
            "\",mode=\"idle\"} " + std::to_string(i) + ".5\n";
  }
  config::ScrapeConfig cfg = JobConfig(
      "  metric_relabel_configs:\n  - source_labels: [mode]\n    regex: nothing\n    action: "
      "drop\n");
  ScrapeIngester ing(cfg, kTarget);
  testing::NullAppender app;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ing.Ingest(kText, body, 1000 + i, app).ok());
  long before = testing::AllocationCount();
  auto r = ing.Ingest(kText, body, 5000, app);
  long allocations = testing::AllocationCount() - before;
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->post_relabeling, 1000u);
  EXPECT_EQ(allocations, 0);
}

// ---------------------------------------------------------------------------------------

class LoopTest : public ::testing::Test {
 protected:
  LoopTest() : work_(ioc_.get_executor()), thread_([this] { ioc_.run(); }) {}
  ~LoopTest() override {
    work_.reset();
    thread_.join();
  }

  std::shared_ptr<ScrapeLoop> MakeLoop(const std::string& address,
                                       std::shared_ptr<const config::ScrapeConfig> cfg,
                                       AppenderFactory appenders) {
    TargetGroup g{"0", {Labels{{"__address__", address}}}, {}};
    GroupTargets gt = TargetsFromGroup(g, *cfg);
    EXPECT_EQ(gt.targets.size(), 1u);
    auto loop =
        ScrapeLoop::Create(ioc_.get_executor(), cfg, gt.targets.at(0), std::move(appenders));
    EXPECT_TRUE(loop.ok());
    return *loop;
  }
  void StopAndWait(ScrapeLoop& loop, bool stale) {
    std::promise<void> done;
    loop.Stop(stale, [&] { done.set_value(); });
    done.get_future().wait();
  }
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  SampleLog log_;
};

TEST_F(LoopTest, ScrapesEveryIntervalAndReportsUp) {
  LoopbackHttpServer server([](const TestRequest&) { return TestReply{.body = "m 1\n"}; });
  auto cfg = std::make_shared<const config::ScrapeConfig>(JobConfig());
  auto loop = MakeLoop(server.address(), cfg, log_.Factory());
  loop->Start();
  ASSERT_TRUE(WaitFor([&] { return log_.Of("up").size() >= 3; }));
  StopAndWait(*loop, false);
  auto up = log_.Of("up");
  EXPECT_EQ(up[0].v, 1);
  EXPECT_EQ(up[0].labels.Get("instance"), server.address());
  EXPECT_EQ(up[0].labels.Get("job"), "test");
  // Samples carry the scrape's start time, ~100ms apart.
  int64_t gap = up[2].t - up[1].t;
  EXPECT_GE(gap, 50);
  EXPECT_LE(gap, 300);
  EXPECT_EQ(log_.Of("scrape_samples_scraped").at(0).v, 1);
  EXPECT_EQ(log_.Of("scrape_samples_post_metric_relabeling").at(0).v, 1);
  EXPECT_EQ(log_.Of("scrape_series_added").at(0).v, 1);
  EXPECT_EQ(log_.Of("scrape_series_added").at(1).v, 0);
  EXPECT_GT(log_.Of("scrape_duration_seconds").at(0).v, 0);
  TargetHealth h = loop->Health();
  EXPECT_EQ(h.health, "up");
  EXPECT_EQ(h.last_error, "");
  EXPECT_EQ(server.connections(), 1);  // keep-alive across scrapes
}

TEST_F(LoopTest, HangingTargetCostsOnlyItsOwnScrape) {
  LoopbackHttpServer hanging(
      [](const TestRequest&) { return TestReply{.body = "h 1\n", .delay = 30s}; });
  LoopbackHttpServer garbage(
      [](const TestRequest&) { return TestReply{.raw = "\x01\x02garbage\r\n\r\n"}; });
  LoopbackHttpServer good([](const TestRequest&) { return TestReply{.body = "g 1\n"}; });
  auto cfg = std::make_shared<const config::ScrapeConfig>(JobConfig());
  // All three share one io thread: a blocked loop would starve the others.
  auto l1 = MakeLoop(hanging.address(), cfg, log_.Factory());
  auto l2 = MakeLoop(garbage.address(), cfg, log_.Factory());
  auto l3 = MakeLoop(good.address(), cfg, log_.Factory());
  l1->Start();
  l2->Start();
  l3->Start();
  ASSERT_TRUE(WaitFor([&] { return log_.Of("g").size() >= 8; }));
  ASSERT_TRUE(WaitFor([&] { return l1->Health().health == "down"; }));
  EXPECT_EQ(l1->Health().last_error,
            "Get \"http://" + hanging.address() + "/metrics\": context deadline exceeded");
  EXPECT_EQ(l2->Health().health, "down");
  EXPECT_NE(l2->Health().last_error.find("malformed HTTP response"), std::string::npos);
  EXPECT_EQ(l3->Health().health, "up");
  for (const auto& s : log_.Of("up", "instance", hanging.address())) EXPECT_EQ(s.v, 0);
  EXPECT_TRUE(log_.Of("h").empty());
  StopAndWait(*l1, false);
  StopAndWait(*l2, false);
  StopAndWait(*l3, false);
  hanging.Stop();
}

TEST_F(LoopTest, StoppingWithStalenessMarksEverySeriesIntoTheRealDb) {
  auto dir =
      std::filesystem::temp_directory_path() / ("scrape_loop_db_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto db = Db::Open(dir.string(), DbOptions());
  ASSERT_TRUE(db.ok()) << db.status().message();
  LoopbackHttpServer server([](const TestRequest&) {
    return TestReply{.body = "# TYPE node_load1 gauge\nnode_load1 0.5\nother{a=\"1\"} 2\n",
                     .gzip = true};
  });
  auto cfg = std::make_shared<const config::ScrapeConfig>(JobConfig());
  Db* raw = db->get();
  auto loop = MakeLoop(server.address(), cfg, [raw] { return raw->NewAppender(); });
  loop->Start();
  ASSERT_TRUE(WaitFor([&] { return loop->Health().health == "up"; }));
  StopAndWait(*loop, true);

  auto q = (*db)->NewQuerier();
  std::vector<LabelMatcher> ms{
      LabelMatcher::MustMake(LabelMatcher::Type::kEqual, "instance", server.address())};
  auto set = q->Select(ms, 0, std::numeric_limits<int64_t>::max());
  std::map<std::string, std::vector<Sample>> got;
  while (set->Next()) {
    auto it = set->At().Iterator();
    auto& v = got[std::string(set->At().labels().MetricName())];
    while (it->Next()) v.push_back(it->At());
  }
  for (const char* name :
       {"node_load1", "other", "up", "scrape_duration_seconds", "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling", "scrape_series_added"}) {
    ASSERT_GE(got[name].size(), 2u) << name;
    EXPECT_TRUE(IsStaleNaN(got[name].back().v)) << name;
    EXPECT_FALSE(IsStaleNaN(got[name].front().v)) << name;
  }
  EXPECT_EQ(got["node_load1"].front().v, 0.5);
  set.reset();  // a SeriesSet must not outlive its Querier (tsdb/querier.h)
  q.reset();
  ASSERT_TRUE((*db)->Close().ok());
  std::filesystem::remove_all(dir);
}

TEST_F(LoopTest, ScrapesFailedByALimitAreCountedPerLimit) {
  std::string big;
  for (int i = 0; i < 200; ++i) big += "metric_" + std::to_string(i) + " 1\n";
  LoopbackHttpServer two([](const TestRequest&) { return TestReply{.body = "a 1\nb 1\n"}; });
  LoopbackHttpServer large([&big](const TestRequest&) { return TestReply{.body = big}; });
  MetricsRegistry registry;
  ScrapeLimitCounters limits = ScrapeLimitCounters::Register(&registry);
  ASSERT_NE(limits.sample_limit, nullptr);
  ASSERT_NE(limits.label_limits, nullptr);
  ASSERT_NE(limits.body_size_limit, nullptr);
  std::vector<std::shared_ptr<ScrapeLoop>> loops;
  for (auto [address, limit] : {std::pair{two.address(), "  sample_limit: 1\n"},
                                std::pair{two.address(), "  label_limit: 2\n"},
                                std::pair{large.address(), "  body_size_limit: 1KB\n"}}) {
    auto cfg = std::make_shared<const config::ScrapeConfig>(JobConfig(limit));
    TargetGroup g{"0", {Labels{{"__address__", address}}}, {}};
    auto loop = ScrapeLoop::Create(ioc_.get_executor(), cfg,
                                   TargetsFromGroup(g, *cfg).targets.at(0), log_.Factory(), limits);
    ASSERT_TRUE(loop.ok());
    (*loop)->Start();
    loops.push_back(*loop);
  }
  ASSERT_TRUE(WaitFor([&] {
    return limits.sample_limit->Value() >= 1 && limits.label_limits->Value() >= 1 &&
           limits.body_size_limit->Value() >= 1;
  }));
  for (auto& loop : loops) StopAndWait(*loop, false);
  EXPECT_EQ(loops[0]->Health().last_error, "sample limit exceeded");
  EXPECT_EQ(loops[1]->Health().last_error,
            "label_limit exceeded (metric: a, number of labels: 3, limit: 2)");
  EXPECT_EQ(loops[2]->Health().last_error, "body size limit exceeded");
  ScrapeLimitCounters none;
  none.Count(Status::ResourceExhausted("sample limit exceeded"));  // null counters: no-op
  double before = limits.sample_limit->Value();
  limits.Count(Status::InvalidArgument("sample limit exceeded"));  // not a limit's code
  EXPECT_EQ(limits.sample_limit->Value(), before);
}

TEST(ScrapeOffsetTest, SpreadsTargetsWithinTheInterval) {
  // Two targets with different hashes get different phases; the same hash keeps its phase.
  auto a = ScrapeOffset(1234, 15000, 1'000'000);
  auto b = ScrapeOffset(98765, 15000, 1'000'000);
  EXPECT_NE(a, b);
  EXPECT_LE(a.count(), 15000);
  EXPECT_EQ((1'000'000 + a.count()) % 15000, 1234 % 15000);
  EXPECT_EQ((1'000'000 + b.count()) % 15000, 98765 % 15000);
}

}  // namespace
}  // namespace andon::scrape
