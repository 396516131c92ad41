// RocksDbStore throughput: WAL logging (batches of 1000 samples, as one scrape commits) and
// sealed-chunk writes and reads. Run: ./build/rocksdb_store_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "tsdb/rocksdb_store.h"

namespace andon::tsdb {
namespace {

namespace fs = std::filesystem;

class BenchDir {
 public:
  BenchDir() {
    std::string tmpl = (fs::temp_directory_path() / "andon-bench-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~BenchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string data() const { return path_ + "/data"; }

 private:
  std::string path_;
};

std::unique_ptr<RocksDbStore> OpenOrDie(const std::string& dir, StoreOptions o = {}) {
  auto s = RocksDbStore::Open(dir, o);
  if (!s.ok()) {
    fprintf(stderr, "%s\n", s.status().ToString().c_str());
    std::abort();
  }
  return std::move(s).value();
}

void CreateSeries(RocksDbStore& store, uint64_t n) {
  constexpr uint64_t kPerBatch = 1000;
  std::vector<std::string> strings;
  std::vector<LabelView> labels;
  std::vector<WalSeries> series;
  for (uint64_t first = 1; first <= n; first += kPerBatch) {
    uint64_t last = std::min(n, first + kPerBatch - 1);
    strings.clear();
    labels.clear();
    series.clear();
    strings.reserve(2 * kPerBatch);
    labels.reserve(3 * kPerBatch);
    for (uint64_t ref = first; ref <= last; ++ref) {
      strings.push_back("metric_" + std::to_string(ref % 100));
      strings.push_back("10.0." + std::to_string(ref / 250) + "." + std::to_string(ref % 250));
      labels.push_back({"__name__", strings[strings.size() - 2]});
      labels.push_back({"instance", strings.back()});
      labels.push_back({"job", "bench"});
      series.push_back({ref, std::span(labels).last(3)});
    }
    if (!store.LogBatch(series, {}).ok()) std::abort();
  }
}

// One scrape's worth: 1000 series at one timestamp, counters and gauges.
void BM_LogBatch1000(benchmark::State& state) {
  static BenchDir* dir;
  static std::unique_ptr<RocksDbStore> store;
  constexpr uint64_t kSeries = 100000;
  if (state.thread_index() == 0) {
    dir = new BenchDir();
    StoreOptions o;
    o.sync = state.range(0) != 0;
    store = OpenOrDie(dir->data(), o);
    CreateSeries(*store, kSeries);
  }
  std::vector<WalSample> samples(1000);
  int64_t t = 1700000000000;
  uint64_t base = static_cast<uint64_t>(state.thread_index()) * 50000;
  for (auto _ : state) {
    t += 15000;
    for (size_t i = 0; i < samples.size(); ++i) {
      uint64_t ref = 1 + (base + i) % kSeries;
      double v = i % 2 == 0 ? std::floor(static_cast<double>(t) / 1000 * (i + 1))
                            : 0.25 * std::sin(static_cast<double>(t + i));
      samples[i] = {ref, t, v};
    }
    base = (base + 1000) % kSeries;
    Status s = store->LogBatch({}, samples);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * samples.size());
  if (state.thread_index() == 0) {
    if (!store->Flush().ok()) std::abort();
    uint64_t samples_total = store->LastWalSeq() * 1000;
    state.counters["disk_B_per_sample"] =
        static_cast<double>(*store->DiskBytes()) / static_cast<double>(samples_total);
    store.reset();
    delete dir;
  }
}
BENCHMARK(BM_LogBatch1000)->ArgName("sync")->Arg(0)->Arg(1)->UseRealTime();
BENCHMARK(BM_LogBatch1000)->ArgName("sync")->Arg(0)->Threads(2)->UseRealTime();

// Chunk-sized payloads (~200 B: 120 samples at ~1.4 B each) with mildly compressible content.
std::string ChunkBytes(std::mt19937_64& rng, size_t n) {
  std::string b(n, '\0');
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<char>(i % 4 == 0 ? rng() : rng() % 16);
  return b;
}

void BM_PutChunk(benchmark::State& state) {
  BenchDir dir;
  auto store = OpenOrDie(dir.data());
  constexpr uint64_t kSeries = 10000;
  CreateSeries(*store, kSeries);
  std::mt19937_64 rng(1);
  std::vector<std::string> payloads;
  for (int i = 0; i < 64; ++i) payloads.push_back(ChunkBytes(rng, 200));
  uint64_t n = 0;
  for (auto _ : state) {
    uint64_t ref = 1 + n % kSeries;
    int64_t mint = static_cast<int64_t>(n / kSeries) * 1800000;  // 30 min chunks
    Status s = store->PutChunk(ref, mint, mint + 1799999, payloads[n % payloads.size()]);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    ++n;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * 200);
  if (!store->Flush().ok()) std::abort();
  state.counters["disk_B_per_chunk"] =
      static_cast<double>(*store->DiskBytes()) / static_cast<double>(n);
}
BENCHMARK(BM_PutChunk)->Iterations(200000);

// Reads every chunk of one series over 24h (48 chunks across 12 partitions of 2h).
void BM_ReadSeriesChunks24h(benchmark::State& state) {
  BenchDir dir;
  auto store = OpenOrDie(dir.data());
  constexpr uint64_t kSeries = 2000;
  CreateSeries(*store, kSeries);
  std::mt19937_64 rng(2);
  std::string payload = ChunkBytes(rng, 200);
  for (int64_t c = 0; c < 48; ++c) {
    for (uint64_t ref = 1; ref <= kSeries; ++ref) {
      if (!store->PutChunk(ref, c * 1800000, c * 1800000 + 1799999, payload).ok()) std::abort();
    }
  }
  if (!store->Flush().ok()) std::abort();
  uint64_t chunks = 0;
  for (auto _ : state) {
    uint64_t ref = 1 + rng() % kSeries;
    for (StoredChunkIterator it = store->Chunks(ref, 0, 48 * 1800000); it.Next();) {
      benchmark::DoNotOptimize(it.bytes().data());
      ++chunks;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(chunks));
  state.counters["chunks_per_query"] =
      static_cast<double>(chunks) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ReadSeriesChunks24h);

void BM_RefsForLabel(benchmark::State& state) {
  BenchDir dir;
  auto store = OpenOrDie(dir.data());
  constexpr uint64_t kSeries = 10000;
  CreateSeries(*store, kSeries);
  for (int64_t c = 0; c < 8; ++c) {
    for (uint64_t ref = 1; ref <= kSeries; ++ref) {
      if (!store->PutChunk(ref, c * 1800000, c * 1800000 + 1799999, "x").ok()) std::abort();
    }
  }
  if (!store->Flush().ok()) std::abort();
  size_t found = 0;
  for (auto _ : state) {
    auto refs = store->RefsForLabel("__name__", "metric_7", 0, 4 * 3600000);
    found = refs->size();
  }
  state.counters["refs"] = static_cast<double>(found);
}
BENCHMARK(BM_RefsForLabel);

}  // namespace
}  // namespace andon::tsdb

BENCHMARK_MAIN();
