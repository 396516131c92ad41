// Parses the upstream text-format fixtures (shared/conformance/textparse, see its
// UPSTREAM.md): every file must parse, with the sample counts Prometheus 2.42 expects.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "scrape/prometheus_text_parser.h"

namespace andon::scrape {
namespace {

namespace fs = std::filesystem;

// ANDON_SHARED_DIR is <source>/../shared, right for /work/main; a worktree under
// /work/wt/<name> finds the same folder one level further up.
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

struct Sample {
  std::string series;
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value;
  std::optional<int64_t> ts;
};

struct Parsed {
  std::vector<Sample> samples;
  std::map<std::string, std::string> help;
  std::map<std::string, MetricType> types;
  int comments = 0;
  std::string error;
};

Parsed ParseAll(const std::string& body) {
  PrometheusTextParser p(body);
  LabelsScratch scratch;
  std::string help_scratch;
  Parsed out;
  for (ExpositionEntry e; (e = p.Next()) != ExpositionEntry::kEof;) {
    switch (e) {
      case ExpositionEntry::kSeries: {
        p.DecodeLabels(&scratch);
        Sample s{
            std::string(p.series()), std::string(p.metric_name()), {}, p.value(), p.timestamp_ms()};
        for (const LabelPair& l : scratch.labels()) s.labels.emplace_back(l.name, l.value);
        out.samples.push_back(std::move(s));
        break;
      }
      case ExpositionEntry::kHelp:
        out.help[std::string(p.metadata_name())] = p.help(&help_scratch);
        break;
      case ExpositionEntry::kType:
        out.types[std::string(p.metadata_name())] = p.type();
        break;
      case ExpositionEntry::kComment:
        ++out.comments;
        break;
      case ExpositionEntry::kError:
        out.error = p.status().message();
        return out;
      default:
        break;
    }
  }
  return out;
}

TEST(PrometheusTextConformanceTest, PromTestDataHas410SamplesAnd59Families) {
  const std::string body = ReadFixture("promtestdata.txt");
  ASSERT_EQ(body.size(), 33364u);
  Parsed r = ParseAll(body);
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.samples.size(), 410u);
  EXPECT_EQ(r.help.size(), 59u);
  EXPECT_EQ(r.types.size(), 59u);
  EXPECT_EQ(r.comments, 1);  // the final "# EOF" is a plain comment here
  int counters = 0, gauges = 0, summaries = 0;
  for (const auto& [name, type] : r.types) {
    counters += type == MetricType::kCounter;
    gauges += type == MetricType::kGauge;
    summaries += type == MetricType::kSummary;
  }
  EXPECT_EQ(counters, 21);
  EXPECT_EQ(gauges, 25);
  EXPECT_EQ(summaries, 13);

  const Sample& first = r.samples[0];
  EXPECT_EQ(first.series, "go_gc_duration_seconds{quantile=\"0\"}");
  EXPECT_EQ(first.name, "go_gc_duration_seconds");
  ASSERT_EQ(first.labels.size(), 1u);
  EXPECT_EQ(first.labels[0].first, "quantile");
  EXPECT_EQ(first.labels[0].second, "0");
  EXPECT_EQ(first.value, 4.9351e-05);
  EXPECT_FALSE(first.ts.has_value());
  EXPECT_EQ(r.samples[1].value, 7.424100000000001e-05);
  EXPECT_EQ(r.help["go_goroutines"], "Number of goroutines that currently exist.");

  bool saw_nan = false;
  for (const Sample& s : r.samples) {
    if (s.series == "http_request_duration_microseconds{handler=\"alerts\",quantile=\"0.5\"}") {
      saw_nan = true;
      EXPECT_TRUE(std::isnan(s.value));
      EXPECT_EQ(std::bit_cast<uint64_t>(s.value), 0x7ff8000000000001ULL);
      ASSERT_EQ(s.labels.size(), 2u);
      EXPECT_EQ(s.labels[0], (std::pair<std::string, std::string>("handler", "alerts")));
    }
    if (s.name == "go_memstats_alloc_bytes_total") {
      EXPECT_EQ(s.value, 8.3062296e+08);
    }
  }
  EXPECT_TRUE(saw_nan);
}

TEST(PrometheusTextConformanceTest, PromTestDataWithoutMetadataHasTheSame410Samples) {
  Parsed with = ParseAll(ReadFixture("promtestdata.txt"));
  Parsed without = ParseAll(ReadFixture("promtestdata.nometa.txt"));
  ASSERT_EQ(without.error, "");
  EXPECT_TRUE(without.help.empty());
  EXPECT_TRUE(without.types.empty());
  ASSERT_EQ(without.samples.size(), 410u);
  ASSERT_EQ(with.samples.size(), 410u);
  for (size_t i = 0; i < 410; ++i) {
    EXPECT_EQ(with.samples[i].series, without.samples[i].series);
    EXPECT_EQ(std::bit_cast<uint64_t>(with.samples[i].value),
              std::bit_cast<uint64_t>(without.samples[i].value));
  }
}

TEST(PrometheusTextConformanceTest, MetricsTestPromHas27SamplesByFamily) {
  Parsed r = ParseAll(ReadFixture("metrics-test.prom"));
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.samples.size(), 27u);
  std::map<std::string, int> by_family;
  for (const Sample& s : r.samples) {
    std::string family = s.name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (family.ends_with(suffix) && !r.types.count(family)) {
        family.resize(family.size() - std::string(suffix).size());
      }
    }
    ++by_family[family];
  }
  EXPECT_EQ(by_family["prometheus_tsdb_compaction_chunk_size_bytes"], 15);
  EXPECT_EQ(by_family["go_gc_duration_seconds"], 7);
  EXPECT_EQ(by_family["net_conntrack_dialer_conn_attempted_total"], 4);
  EXPECT_EQ(by_family["go_info"], 1);
  EXPECT_EQ(r.types["prometheus_tsdb_compaction_chunk_size_bytes"], MetricType::kHistogram);

  const Sample* inf_bucket = nullptr;
  for (const Sample& s : r.samples) {
    if (s.series == "prometheus_tsdb_compaction_chunk_size_bytes_bucket{le=\"+Inf\"}") {
      inf_bucket = &s;
    }
  }
  ASSERT_NE(inf_bucket, nullptr);
  EXPECT_EQ(inf_bucket->value, 13867);
  EXPECT_EQ(r.samples.back().series, "go_info{version=\"go1.17\"}");
  EXPECT_EQ(r.samples.back().value, 1);
}

}  // namespace
}  // namespace andon::scrape
