// Head benchmarks: append throughput by ref (the scrape cache's fast path), resident
// memory per series, and Select with regex matchers. Series carry Kubernetes-like labels
// (9 labels, ~190 bytes of text, pod/instance unique per series).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tsdb/head.h"

namespace andon {
namespace {

Labels K8sSeries(int i) {
  LabelsBuilder b;
  b.Set("__name__", "http_requests_total");
  b.Set("code", std::to_string(200 + (i % 5) * 100));
  b.Set("container", "app");
  b.Set("endpoint", "http");
  b.Set("instance", "10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) +
                        "." + std::to_string(i & 255) + ":8080");
  b.Set("job", "kubernetes-pods");
  b.Set("method", (i % 2) ? "GET" : "POST");
  b.Set("namespace", "team-" + std::to_string(i % 20));
  b.Set("pod", "api-" + std::to_string(i / 5) + "-7d9f8b6c5-xk2lp");
  return b.Build();
}

size_t RssBytes() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

std::vector<SeriesRef> CreateSeries(Head& head, int n, int samples_each) {
  std::vector<SeriesRef> refs(n);
  auto app = head.NewAppender();
  for (int i = 0; i < n; ++i) {
    refs[i] = *app->Append(0, K8sSeries(i), 0, i);
    if (i % 1000 == 999) (void)app->Commit();
  }
  (void)app->Commit();
  for (int k = 1; k < samples_each; ++k) {
    for (int i = 0; i < n; ++i) {
      (void)app->Append(refs[i], Labels(), k * 15000, i + k);
      if (i % 1000 == 999) (void)app->Commit();
    }
    (void)app->Commit();
  }
  return refs;
}

// Bytes of RSS per series: labels, series struct, map, ref table and index, plus
// `samples` raw samples per series (16 bytes each until the compressed chunk lands).
void BM_MemoryPerSeries(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int samples = static_cast<int>(state.range(1));
  double per_series = 0;
  for (auto _ : state) {
    size_t before = RssBytes();
    auto head = std::make_unique<Head>();
    CreateSeries(*head, n, samples);
    size_t after = RssBytes();
    per_series = static_cast<double>(after - before) / n;
    state.PauseTiming();
    head.reset();
    state.ResumeTiming();
  }
  state.counters["bytes_per_series"] = per_series;
  state.counters["label_bytes"] = static_cast<double>(K8sSeries(12345).HeapBytes());
}
BENCHMARK(BM_MemoryPerSeries)
    ->Args({100000, 1})
    ->Args({100000, 120})
    ->Args({1000000, 1})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// One thread appends one sample to every series per round, committing every 1000 samples
// (a scrape-sized transaction).
void BM_AppendByRef(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Head head;
  std::vector<SeriesRef> refs = CreateSeries(head, n, 1);
  auto app = head.NewAppender();
  int64_t t = 15000;
  const Labels none;
  for (auto _ : state) {
    for (int i = 0; i < n; ++i) {
      auto r = app->Append(refs[i], none, t, static_cast<double>(i));
      benchmark::DoNotOptimize(r);
      if (i % 1000 == 999) (void)app->Commit();
    }
    (void)app->Commit();
    t += 15000;
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["series"] = n;
}
BENCHMARK(BM_AppendByRef)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond);

// Scrape path with a cache miss: append by labels (hash + map lookup + compare).
void BM_AppendByLabels(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Head head;
  CreateSeries(head, n, 1);
  std::vector<Labels> labels;
  labels.reserve(n);
  for (int i = 0; i < n; ++i) labels.push_back(K8sSeries(i));
  auto app = head.NewAppender();
  int64_t t = 15000;
  for (auto _ : state) {
    for (int i = 0; i < n; ++i) {
      auto r = app->Append(0, labels[i], t, static_cast<double>(i));
      benchmark::DoNotOptimize(r);
      if (i % 1000 == 999) (void)app->Commit();
    }
    (void)app->Commit();
    t += 15000;
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_AppendByLabels)->Arg(100000)->Unit(benchmark::kMillisecond);

class SelectFixture {
 public:
  static SelectFixture& Get() {
    static SelectFixture f;
    return f;
  }
  Head head;

 private:
  SelectFixture() { CreateSeries(head, 100000, 4); }
};

void RunSelect(benchmark::State& state, std::vector<LabelMatcher> ms) {
  Head& head = SelectFixture::Get().head;
  size_t n = 0;
  for (auto _ : state) {
    auto q = head.NewQuerier();
    auto set = q->Select(ms, 0, 1 << 30);
    n = 0;
    while (set->Next()) ++n;
  }
  state.counters["series_selected"] = static_cast<double>(n);
}

void BM_SelectRegexOver100k(benchmark::State& state) {
  RunSelect(state,
            {LabelMatcher::MustMake(LabelMatcher::Type::kEqual, "__name__", "http_requests_total"),
             LabelMatcher::MustMake(LabelMatcher::Type::kRegexMatch, "pod", "api-1.*")});
}
BENCHMARK(BM_SelectRegexOver100k)->Unit(benchmark::kMillisecond);

void BM_SelectRegexSetOver100k(benchmark::State& state) {
  RunSelect(state,
            {LabelMatcher::MustMake(LabelMatcher::Type::kRegexMatch, "namespace", "team-1|team-2"),
             LabelMatcher::MustMake(LabelMatcher::Type::kNotEqual, "code", "500")});
}
BENCHMARK(BM_SelectRegexSetOver100k)->Unit(benchmark::kMillisecond);

void BM_SelectEqualOneSeries(benchmark::State& state) {
  RunSelect(state,
            {LabelMatcher::MustMake(LabelMatcher::Type::kEqual, "instance", "10.0.48.57:8080")});
}
BENCHMARK(BM_SelectEqualOneSeries)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace andon

BENCHMARK_MAIN();
