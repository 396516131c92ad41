// Parse throughput for the 11 dashboard queries of shared/bench/README.md, plus the cost of
// printing them back (String() and format_query's Prettify).
#include <benchmark/benchmark.h>

#include <array>
#include <string_view>

#include "query/lexer.h"
#include "query/parser.h"
#include "query/printer.h"

namespace andon::query {
namespace {

constexpr std::array<std::string_view, 11> kDashboardQueries = {
    R"(sum by (instance)(rate(node_cpu_seconds_total{mode!="idle"}[5m])))",
    R"(sum by (mode)(rate(node_cpu_seconds_total[5m])))",
    R"(histogram_quantile(0.99, sum by (le, handler)(rate(http_request_duration_seconds_bucket[5m]))))",
    R"(sum by (handler)(rate(http_request_duration_seconds_sum[5m])) / sum by (handler)(rate(http_request_duration_seconds_count[5m])))",
    R"(topk(10, sum by (instance, device)(rate(node_network_receive_bytes_total[5m]))))",
    R"(sum by (instance)(rate(node_disk_read_bytes_total[5m])) + sum by (instance)(rate(node_disk_written_bytes_total[5m])))",
    R"(avg_over_time(node_load1[5m]))",
    R"(1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)",
    R"(100 * (1 - node_filesystem_avail_bytes / node_filesystem_size_bytes))",
    R"(count by (instance)(node_cpu_seconds_total{mode="idle"}))",
    R"(max by (instance)(max_over_time(node_hwmon_temp_celsius[5m])))",
};

int64_t TotalBytes() {
  int64_t n = 0;
  for (auto q : kDashboardQueries) n += static_cast<int64_t>(q.size());
  return n;
}

// All 11 queries per iteration; items/s is queries parsed per second.
void BM_ParseDashboardQueries(benchmark::State& state) {
  for (auto _ : state) {
    for (auto q : kDashboardQueries) {
      auto r = ParseExpr(q);
      if (!r.ok()) state.SkipWithError(r.status().message().c_str());
      benchmark::DoNotOptimize(r);
    }
  }
  state.SetItemsProcessed(state.iterations() * kDashboardQueries.size());
  state.SetBytesProcessed(state.iterations() * TotalBytes());
}
BENCHMARK(BM_ParseDashboardQueries);

void BM_ParseOneQuery(benchmark::State& state) {
  std::string_view q = kDashboardQueries[static_cast<size_t>(state.range(0))];
  for (auto _ : state) {
    auto r = ParseExpr(q);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(q.size()));
}
BENCHMARK(BM_ParseOneQuery)->DenseRange(0, 10);

void BM_LexDashboardQueries(benchmark::State& state) {
  for (auto _ : state) {
    for (auto q : kDashboardQueries) {
      Lexer lexer(q);
      for (Token t = lexer.Next(); t.type != TokenType::kEof; t = lexer.Next()) {
        benchmark::DoNotOptimize(t);
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * kDashboardQueries.size());
  state.SetBytesProcessed(state.iterations() * TotalBytes());
}
BENCHMARK(BM_LexDashboardQueries);

void BM_StringDashboardQueries(benchmark::State& state) {
  std::vector<ExprPtr> parsed;
  for (auto q : kDashboardQueries) parsed.push_back(std::move(ParseExpr(q)).value());
  for (auto _ : state) {
    for (const auto& e : parsed) benchmark::DoNotOptimize(e->String());
  }
  state.SetItemsProcessed(state.iterations() * parsed.size());
}
BENCHMARK(BM_StringDashboardQueries);

void BM_PrettifyDashboardQueries(benchmark::State& state) {
  std::vector<ExprPtr> parsed;
  for (auto q : kDashboardQueries) parsed.push_back(std::move(ParseExpr(q)).value());
  for (auto _ : state) {
    for (const auto& e : parsed) benchmark::DoNotOptimize(Prettify(*e));
  }
  state.SetItemsProcessed(state.iterations() * parsed.size());
}
BENCHMARK(BM_PrettifyDashboardQueries);

}  // namespace
}  // namespace andon::query

BENCHMARK_MAIN();
