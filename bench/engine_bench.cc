// PromQL engine benchmarks: dashboard range queries (3 h at a 15 s step, 721 steps) over a
// node_exporter-like head: per instance 32 node_cpu_seconds_total counters (4 cpus x 8
// modes), 4 memory gauges, 8 network counters and a 4-handler x 12-bucket request-duration
// histogram (with _sum and _count): 100 series per instance, 720 samples each at 15 s.
// Arg = instances (10 -> 1,000 series, 100 -> 10,000 series).
//
// For a side-by-side run against Prometheus 2.42, `engine_bench --write_om=<file> [--instances=N]`
// writes the same data as OpenMetrics (feed it to `promtool tsdb create-blocks-from
// openmetrics`) and exits; docs/promql.md shows the whole procedure. `--eval_stdin` runs the
// range queries read from stdin over the same data and prints their results.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "query/engine.h"
#include "tsdb/head.h"

namespace andon {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;  // ms
constexpr int64_t kStep = 15'000;
constexpr int kSamples = 720;

struct GenSeries {
  Labels labels;
  bool counter;
  double base;
  double rate;  // per sample increment (counters) or amplitude (gauges)
};

std::vector<GenSeries> Generate(int instances) {
  static const char* kModes[] = {"idle",    "iowait", "irq",    "nice",
                                 "softirq", "steal",  "system", "user"};
  static const char* kHandlers[] = {"/api/v1/query", "/api/v1/query_range", "/metrics",
                                    "/api/v1/series"};
  static const char* kLe[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                              "0.5",   "1",    "2.5",   "5",    "10",  "+Inf"};
  std::vector<GenSeries> out;
  for (int i = 0; i < instances; ++i) {
    std::string inst = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ":9100";
    for (int cpu = 0; cpu < 4; ++cpu) {
      for (int m = 0; m < 8; ++m) {
        out.push_back({Labels{{"__name__", "node_cpu_seconds_total"},
                              {"cpu", std::to_string(cpu)},
                              {"instance", inst},
                              {"job", "node"},
                              {"mode", kModes[m]}},
                       true, 1000.0 * (m + 1), m == 0 ? 14.0 : 0.1 * (m + 1)});
      }
    }
    for (const char* mem : {"node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes",
                            "node_memory_Cached_bytes", "node_memory_Buffers_bytes"}) {
      out.push_back({Labels{{"__name__", mem}, {"instance", inst}, {"job", "node"}}, false,
                     8e9 + i * 1e6, 1e8});
    }
    for (int d = 0; d < 4; ++d) {
      for (const char* net :
           {"node_network_receive_bytes_total", "node_network_transmit_bytes_total"}) {
        out.push_back({Labels{{"__name__", net},
                              {"device", "eth" + std::to_string(d)},
                              {"instance", inst},
                              {"job", "node"}},
                       true, 1e6, 1e5 * (d + 1)});
      }
    }
    for (int h = 0; h < 4; ++h) {
      for (int b = 0; b < 12; ++b) {
        out.push_back({Labels{{"__name__", "http_request_duration_seconds_bucket"},
                              {"handler", kHandlers[h]},
                              {"instance", inst},
                              {"job", "node"},
                              {"le", kLe[b]}},
                       true, 0, 2.0 * (b + 1)});
      }
      out.push_back({Labels{{"__name__", "http_request_duration_seconds_sum"},
                            {"handler", kHandlers[h]},
                            {"instance", inst},
                            {"job", "node"}},
                     true, 0, 3.0});
      out.push_back({Labels{{"__name__", "http_request_duration_seconds_count"},
                            {"handler", kHandlers[h]},
                            {"instance", inst},
                            {"job", "node"}},
                     true, 0, 24.0});
    }
  }
  return out;
}

// Calls f(series index, t_ms, value) in series-major order; deterministic.
template <typename F>
void ForEachSample(const std::vector<GenSeries>& series, F&& f) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  for (size_t s = 0; s < series.size(); ++s) {
    const GenSeries& g = series[s];
    double v = g.base;
    for (int k = 0; k < kSamples; ++k) {
      if (g.counter) {
        v += std::round(g.rate * jitter(rng) * 1000) / 1000;
      } else {
        v = g.base + std::round(g.rate * std::sin(k / 40.0 + s) * jitter(rng));
      }
      f(s, kStart + k * kStep, v);
    }
  }
}

Head* SharedHead(int instances) {
  static std::map<int, std::unique_ptr<Head>> heads;
  auto& h = heads[instances];
  if (h) return h.get();
  h = std::make_unique<Head>();
  auto series = Generate(instances);
  std::vector<SeriesRef> refs(series.size(), 0);
  auto app = h->NewAppender();
  // Time-major, like scrapes.
  std::vector<std::vector<double>> values(series.size());
  ForEachSample(series, [&](size_t s, int64_t, double v) { values[s].push_back(v); });
  for (int k = 0; k < kSamples; ++k) {
    for (size_t s = 0; s < series.size(); ++s) {
      auto r = app->Append(refs[s], series[s].labels, kStart + k * kStep, values[s][k]);
      if (r.ok()) refs[s] = *r;
    }
    (void)app->Commit();
  }
  return h.get();
}

void RunQuery(benchmark::State& state, const char* expr) {
  Head* head = SharedHead(static_cast<int>(state.range(0)));
  query::EngineOptions opts;
  query::Engine engine(opts);
  const int64_t end = kStart + (kSamples - 1) * kStep;
  size_t series = 0;
  for (auto _ : state) {
    auto q = head->NewQuerier();
    auto r = engine.Range(*q, expr, kStart, end, kStep);
    if (r.error) {
      state.SkipWithError(r.error->message.c_str());
      return;
    }
    series = std::get<query::Matrix>(r.value).size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["result_series"] = static_cast<double>(series);
  state.counters["input_series"] = static_cast<double>(state.range(0) * 100);
}

void BM_SumByInstanceRateCpu(benchmark::State& state) {
  RunQuery(state, "sum by (instance) (rate(node_cpu_seconds_total{mode!=\"idle\"}[5m]))");
}
void BM_HistogramQuantileOfRates(benchmark::State& state) {
  RunQuery(state,
           "histogram_quantile(0.99, sum by (le, handler) "
           "(rate(http_request_duration_seconds_bucket[5m])))");
}
void BM_MemoryRatioOnInstance(benchmark::State& state) {
  RunQuery(state,
           "100 * (1 - node_memory_MemAvailable_bytes / on(instance) "
           "node_memory_MemTotal_bytes)");
}
void BM_TopkNetworkRate(benchmark::State& state) {
  RunQuery(state, "topk(5, rate(node_network_receive_bytes_total[5m]))");
}
void BM_CpuIdleAvgRatio(benchmark::State& state) {
  RunQuery(state, "1 - avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[5m]))");
}

BENCHMARK(BM_SumByInstanceRateCpu)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HistogramQuantileOfRates)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MemoryRatioOnInstance)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TopkNetworkRate)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CpuIdleAvgRatio)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond);

int WriteOpenMetrics(const char* path, int instances) {
  std::FILE* f = std::fopen(path, "w");
  if (f == nullptr) {
    std::perror(path);
    return 1;
  }
  auto series = Generate(instances);
  std::vector<std::string> names;
  for (const GenSeries& s : series) {
    std::string text(s.labels.MetricName());
    text += "{";
    bool first = true;
    for (const Label& l : s.labels) {
      if (l.name == "__name__") continue;
      if (!first) text += ",";
      first = false;
      text += std::string(l.name) + "=\"" + std::string(l.value) + "\"";
    }
    text += "}";
    names.push_back(std::move(text));
  }
  ForEachSample(series, [&](size_t s, int64_t t, double v) {
    std::fprintf(f, "%s %.17g %lld.%03lld\n", names[s].c_str(), v, static_cast<long long>(t / 1000),
                 static_cast<long long>(t % 1000));
  });
  std::fprintf(f, "# EOF\n");
  std::fclose(f);
  std::printf("wrote %zu series x %d samples to %s; query range [%lld, %lld] step 15s\n",
              series.size(), kSamples, path, static_cast<long long>(kStart / 1000),
              static_cast<long long>((kStart + (kSamples - 1) * kStep) / 1000));
  return 0;
}

// Reads queries from stdin, one a line, and prints each range query's result over the
// benchmark's data (`R <labels> <t> <value>` lines, then `E <error>` or `.`), for comparing
// results with Prometheus's.
int EvalQueries(int instances) {
  Head* head = SharedHead(instances);
  query::Engine engine;
  const int64_t end = kStart + (kSamples - 1) * kStep;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    auto q = head->NewQuerier();
    auto r = engine.Range(*q, line, kStart, end, kStep);
    std::printf("Q %s\n", line.c_str());
    if (r.error) {
      std::printf("E %s\n", r.error->message.c_str());
      continue;
    }
    for (const auto& s : std::get<query::Matrix>(r.value)) {
      for (const auto& p : s.points) {
        std::printf("R %s %lld %.17g\n", s.metric.ToString().c_str(), static_cast<long long>(p.t),
                    p.v);
      }
    }
    std::printf(".\n");
  }
  return 0;
}

}  // namespace
}  // namespace andon

int main(int argc, char** argv) {
  int instances = 10;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--instances=", 12) == 0) instances = std::atoi(argv[i] + 12);
  }
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--write_om=", 11) == 0) {
      return andon::WriteOpenMetrics(argv[i] + 11, instances);
    }
  }
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--eval_stdin") == 0) return andon::EvalQueries(instances);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
