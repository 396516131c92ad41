// Cost of updating a cached metric child: the figure every instrumented hot path pays.
#include <benchmark/benchmark.h>

#include "common/metrics_registry.h"

namespace andon {
namespace {

MetricsRegistry& BenchRegistry() {
  static MetricsRegistry* registry = new MetricsRegistry();
  return *registry;
}

Counter& CachedCounter() {
  static Counter& c =
      (*BenchRegistry().RegisterCounter("bench_ops_total", "Ops.", {"method", "handler"}))
          ->WithLabels({"GET", "/metrics"});
  return c;
}

Histogram& CachedHistogram() {
  static Histogram& h =
      (*BenchRegistry().RegisterHistogram("bench_latency_seconds", "Latency.", {"handler"}))
          ->WithLabels({"/api/v1/query"});
  return h;
}

void BM_CounterInc(benchmark::State& state) {
  Counter& c = CachedCounter();
  for (auto _ : state) c.Inc();
  benchmark::DoNotOptimize(c.Value());
}
BENCHMARK(BM_CounterInc)->Threads(1)->Threads(2);

void BM_CounterIncFraction(benchmark::State& state) {
  Counter& c = CachedCounter();
  for (auto _ : state) c.Inc(0.5);
  benchmark::DoNotOptimize(c.Value());
}
BENCHMARK(BM_CounterIncFraction)->Threads(1)->Threads(2);

void BM_GaugeAdd(benchmark::State& state) {
  static Gauge& g = (*BenchRegistry().RegisterGauge("bench_level", "Level."))->WithLabels();
  for (auto _ : state) g.Add(1);
  benchmark::DoNotOptimize(g.Value());
}
BENCHMARK(BM_GaugeAdd);

void BM_HistogramObserve(benchmark::State& state) {
  Histogram& h = CachedHistogram();
  double v = 0.0001;
  for (auto _ : state) {
    h.Observe(v);
    v = v < 20 ? v * 1.5 : 0.0001;  // walks all default buckets
  }
}
BENCHMARK(BM_HistogramObserve)->Threads(1)->Threads(2);

// For contrast: the lookup a hot path avoids by caching the child.
void BM_WithLabelsLookup(benchmark::State& state) {
  CounterFamily* family =
      *BenchRegistry().RegisterCounter("bench_ops_total", "Ops.", {"method", "handler"});
  for (auto _ : state) family->WithLabels({"GET", "/metrics"}).Inc();
}
BENCHMARK(BM_WithLabelsLookup);

}  // namespace
}  // namespace andon

BENCHMARK_MAIN();
