// Throughput of the exposition parsers on a real /metrics body (promtestdata.txt, 410
// samples) and on a synthetic OpenMetrics body: samples/s, bytes/s and heap allocations
// per sample (global operator new is counted in this binary).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>
#include <string>

#include "scrape/exposition_parser.h"
#include "scrape/openmetrics_parser.h"
#include "scrape/prometheus_text_parser.h"
#include "tests/counting_new.h"

namespace andon::scrape {
namespace {

namespace fs = std::filesystem;

std::string ReadFixture(const std::string& name) {
  fs::path shared = "/work/shared";
  if (const char* env = std::getenv("ANDON_SHARED_DIR")) shared = env;
  std::ifstream in(shared / "conformance/textparse" / name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string SyntheticOpenMetrics() {
  std::string body;
  for (int f = 0; f < 50; ++f) {
    std::string name = "family_" + std::to_string(f) + "_seconds";
    body += "# TYPE " + name + " histogram\n# UNIT " + name + " seconds\n# HELP " + name +
            " Request latency.\n";
    for (int g = 0; g < 4; ++g) {
      std::string labels = "job=\"api\",instance=\"10.0.0." + std::to_string(g) + ":9100\"";
      const char* les[] = {"0.005", "0.01", "0.1", "1", "10", "+Inf"};
      for (int b = 0; b < 6; ++b) {
        body +=
            name + "_bucket{" + labels + ",le=\"" + les[b] + "\"} " + std::to_string(b * 10) + "\n";
      }
      body += name + "_sum{" + labels + "} 12.5\n" + name + "_count{" + labels + "} 50\n";
    }
  }
  body += "# EOF\n";
  return body;
}

template <typename Parser>
void RunParse(benchmark::State& state, const std::string& body, bool decode_labels) {
  if (body.empty()) {
    state.SkipWithError("fixture not found (set ANDON_SHARED_DIR)");
    return;
  }
  Parser p(body);
  LabelsScratch scratch;
  int64_t samples = 0;
  long allocations_before = andon::testing::AllocationCount();
  for (auto _ : state) {
    p.Reset(body);
    for (ExpositionEntry e; (e = p.Next()) != ExpositionEntry::kEof;) {
      if (e == ExpositionEntry::kError) {
        state.SkipWithError(p.status().message().c_str());
        return;
      }
      if (e != ExpositionEntry::kSeries) continue;
      if (decode_labels) p.DecodeLabels(&scratch);
      benchmark::DoNotOptimize(p.value());
      benchmark::DoNotOptimize(p.series().data());
      ++samples;
    }
  }
  long allocations = andon::testing::AllocationCount() - allocations_before;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(body.size()));
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  state.counters["allocs/sample"] =
      samples ? static_cast<double>(allocations) / static_cast<double>(samples) : 0;
}

void BM_PrometheusText_PromTestData(benchmark::State& state) {
  static const std::string body = ReadFixture("promtestdata.txt");
  RunParse<PrometheusTextParser>(state, body, /*decode_labels=*/false);
}
BENCHMARK(BM_PrometheusText_PromTestData);

// Every sample a series-cache miss: labels decoded each time.
void BM_PrometheusText_PromTestData_DecodeLabels(benchmark::State& state) {
  static const std::string body = ReadFixture("promtestdata.txt");
  RunParse<PrometheusTextParser>(state, body, /*decode_labels=*/true);
}
BENCHMARK(BM_PrometheusText_PromTestData_DecodeLabels);

void BM_OpenMetrics_Histograms(benchmark::State& state) {
  static const std::string body = SyntheticOpenMetrics();
  RunParse<OpenMetricsParser>(state, body, /*decode_labels=*/false);
}
BENCHMARK(BM_OpenMetrics_Histograms);

void BM_OpenMetrics_Histograms_DecodeLabels(benchmark::State& state) {
  static const std::string body = SyntheticOpenMetrics();
  RunParse<OpenMetricsParser>(state, body, /*decode_labels=*/true);
}
BENCHMARK(BM_OpenMetrics_Histograms_DecodeLabels);

// The same OpenMetrics body read as text format (no family checks): the cost of strictness.
void BM_PrometheusText_Histograms(benchmark::State& state) {
  static const std::string body = SyntheticOpenMetrics();
  RunParse<PrometheusTextParser>(state, body, /*decode_labels=*/false);
}
BENCHMARK(BM_PrometheusText_Histograms);

}  // namespace
}  // namespace andon::scrape

BENCHMARK_MAIN();
