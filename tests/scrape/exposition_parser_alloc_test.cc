// Proves the hot path allocates nothing per sample: global operator new is replaced by a
// counting one for this test binary, and a parse of the upstream fixture (410 samples)
// after a warm-up must not call it at all.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>
#include <string>

#include "scrape/openmetrics_parser.h"
#include "scrape/prometheus_text_parser.h"
#include "scrape/relabel.h"
#include "tests/counting_new.h"

namespace andon::scrape {
namespace {

namespace fs = std::filesystem;

fs::path SharedDir() {
  if (const char* env = std::getenv("ANDON_SHARED_DIR")) return env;
  fs::path dir = ANDON_SHARED_DIR;
  if (fs::is_directory(dir)) return dir;
  return fs::path(ANDON_SOURCE_DIR) / "../../shared";
}

std::string ReadFixture(const std::string& name) {
  std::ifstream in(SharedDir() / "conformance/textparse" / name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses the whole body, decoding the labels of every sample (every lookup a cache miss,
// the worst case) into one reused scratch. Returns the number of samples.
int ParseDecodingEverything(ExpositionParser& p, LabelsScratch& scratch) {
  int samples = 0;
  double sink = 0;
  for (ExpositionEntry e; (e = p.Next()) != ExpositionEntry::kEof;) {
    if (e == ExpositionEntry::kError) return -1;
    if (e != ExpositionEntry::kSeries) continue;
    p.DecodeLabels(&scratch);
    sink += p.value() + static_cast<double>(scratch.size());
    ++samples;
  }
  return sink != 0 ? samples : samples;
}

TEST(ExpositionParserAllocationTest, TextParserAllocatesNothingOnceWarm) {
  const std::string body = ReadFixture("promtestdata.txt");
  PrometheusTextParser p(body);
  LabelsScratch scratch;
  ASSERT_EQ(ParseDecodingEverything(p, scratch), 410);  // warm-up: scratch grows here
  p.Reset(body);
  long before = testing::AllocationCount();
  int samples = ParseDecodingEverything(p, scratch);
  long allocations = testing::AllocationCount() - before;
  EXPECT_EQ(samples, 410);
  EXPECT_EQ(allocations, 0);
}

TEST(ExpositionParserAllocationTest, OpenMetricsParserAllocatesNothingOnceWarm) {
  std::string body;
  for (int f = 0; f < 50; ++f) {
    std::string name = "family_" + std::to_string(f);
    body += "# TYPE " + name + " histogram\n# HELP " + name + " Help \\\"text\\\".\n";
    for (int g = 0; g < 4; ++g) {
      std::string labels = "job=\"j\\\\" + std::to_string(g) + "\",instance=\"host:9100\"";
      body += name + "_bucket{" + labels + ",le=\"0.1\"} 1 # {trace_id=\"abc\"} 0.05\n";
      body += name + "_bucket{" + labels + ",le=\"+Inf\"} 2\n";
      body += name + "_sum{" + labels + "} 0.3\n" + name + "_count{" + labels + "} 2\n";
    }
  }
  body += "# EOF\n";
  OpenMetricsParser p(body);
  LabelsScratch scratch;
  ASSERT_EQ(ParseDecodingEverything(p, scratch), 800) << p.status().message();
  p.Reset(body);
  long before = testing::AllocationCount();
  int samples = ParseDecodingEverything(p, scratch);
  long allocations = testing::AllocationCount() - before;
  EXPECT_EQ(samples, 800) << p.status().message();
  EXPECT_EQ(allocations, 0);
}

// metric_relabel_configs run per sample. Actions that only decide a match (and replace
// without $ references) allocate nothing once the builder and re2 are warm; rules that
// extract groups ($1, labelmap) may allocate inside re2.
TEST(ExpositionParserAllocationTest, MetricRelabelingWithoutGroupsAllocatesNothingOnceWarm) {
  auto cfg = config::ParseConfig(
      "scrape_configs:\n"
      "  - job_name: j\n"
      "    metric_relabel_configs:\n"
      "      - {source_labels: [__name__], regex: 'go_gc_.*', action: drop}\n"
      "      - {source_labels: [path], regex: '/api/.*', action: keep}\n"
      "      - {target_label: environment, replacement: production-eu-west}\n"
      "      - {source_labels: [instance], modulus: 16, target_label: shard, action: hashmod}\n"
      "      - {source_labels: [job], target_label: job, action: uppercase}\n"
      "      - {regex: 'pod_template_hash', action: labeldrop}\n",
      "test.yml", "");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const auto& rules = cfg->scrape_configs[0].metric_relabel_configs;
  std::vector<Labels> series;
  for (int i = 0; i < 64; ++i) {
    series.push_back(
        Labels{{"__name__", i % 8 == 0 ? "go_gc_duration_seconds" : "http_requests_total"},
               {"instance", "10.20.30." + std::to_string(i) + ":9100"},
               {"job", "kubernetes-pods-frontend"},
               {"path", i % 5 == 0 ? "/healthz" : "/api/v1/query_range/" + std::to_string(i)},
               {"pod_template_hash", "7d9f8c6b5-" + std::to_string(i)}});
  }
  LabelsBuilder builder;
  auto run = [&] {
    int kept = 0;
    for (const Labels& l : series) kept += Relabel(rules, builder.Reset(l)) ? 1 : 0;
    return kept;
  };
  int kept = run();  // warm-up
  EXPECT_EQ(kept, 45);
  long before = testing::AllocationCount();
  EXPECT_EQ(run(), kept);
  EXPECT_EQ(testing::AllocationCount() - before, 0);
}

}  // namespace
}  // namespace andon::scrape
