// Chunk codecs on realistic data: bytes/sample of the Gorilla baseline and of Andon's chunk,
// and encode/decode throughput, over the node_exporter-like backfill of
// shared/bench/targets.py.
//
//   ANDON_BACKFILL_OM=<file>    an OpenMetrics file from `targets.py backfill` to read; if
//                               unset, the benchmark generates one in a temp dir with
//                               ANDON_BACKFILL_TARGETS targets (default 2) x 1000 series x
//                               720 samples at 15 s.
//   ANDON_SHARED_DIR=<dir>      where targets.py lives (default: ../shared from the repo)
//   ANDON_CHUNK_BENCH_REPORT=1  also print bytes/sample per metric family and per chunk size.
//
// Counters: bytes_per_sample (chunk bytes / samples), zstd_bytes_per_sample (the chunks
// packed into 4 KiB blocks and compressed with zstd, as RocksDB stores them),
// items_per_second (samples encoded or decoded per second).
#include <benchmark/benchmark.h>
#include <zstd.h>

#include <bit>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bench/openmetrics_series.h"
#include "tsdb/chunk.h"
#include "tsdb/xor_chunk.h"

namespace andon {
namespace {

using bench::SeriesSamples;
using tsdb::ChunkAppender;
using tsdb::ChunkIterator;
using tsdb::XorChunkAppender;
using tsdb::XorChunkIterator;

constexpr uint32_t kPrometheusChunkSamples = 120;

std::string SharedDir() {
  if (const char* d = std::getenv("ANDON_SHARED_DIR")) return d;
  std::filesystem::path here(__FILE__);
  return (here.parent_path().parent_path().parent_path() / "shared").string();
}

const std::vector<SeriesSamples>& Data() {
  static const std::vector<SeriesSamples> data = [] {
    std::string path;
    if (const char* p = std::getenv("ANDON_BACKFILL_OM")) {
      path = p;
    } else {
      const char* t = std::getenv("ANDON_BACKFILL_TARGETS");
      auto dir = std::filesystem::temp_directory_path() / "andon_chunk_bench";
      std::filesystem::create_directories(dir);
      path = (dir / "backfill.om").string();
      std::string cmd = "python3 " + SharedDir() + "/bench/targets.py backfill --targets " +
                        (t ? t : "2") + " --start 1700000000 --om " + path + " --prom " +
                        (dir / "backfill.prom").string() + " >/dev/null";
      if (std::system(cmd.c_str()) != 0) {
        std::fprintf(stderr, "failed: %s\n", cmd.c_str());
        std::exit(1);
      }
    }
    auto r = bench::ReadOpenMetricsSeries(path);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      std::exit(1);
    }
    return std::move(r).value();
  }();
  return data;
}

size_t TotalSamples(const std::vector<SeriesSamples>& data) {
  size_t n = 0;
  for (const auto& s : data) n += s.v.size();
  return n;
}

// Encodes one series into chunks of at most max_samples (Andon: also the seal policy).
template <typename Appender>
void EncodeSeries(const SeriesSamples& s, uint32_t max_samples,
                  std::vector<std::vector<uint8_t>>* chunks) {
  Appender app;
  for (size_t i = 0; i < s.v.size(); ++i) {
    bool seal = app.num_samples() >= max_samples;
    if constexpr (std::is_same_v<Appender, ChunkAppender>) {
      seal = seal || app.ShouldSealBefore(s.t_ms[i]);
    }
    if (seal) {
      if (chunks) chunks->emplace_back(app.bytes().begin(), app.bytes().end());
      app = Appender();
    }
    if (!app.Append(s.t_ms[i], s.v[i]).ok()) std::abort();
  }
  if (chunks && app.num_samples() > 0) chunks->emplace_back(app.bytes().begin(), app.bytes().end());
}

template <typename Appender>
std::vector<std::vector<uint8_t>> EncodeAll(const std::vector<SeriesSamples>& data,
                                            uint32_t max_samples) {
  std::vector<std::vector<uint8_t>> chunks;
  for (const auto& s : data) EncodeSeries<Appender>(s, max_samples, &chunks);
  return chunks;
}

size_t ChunkBytes(const std::vector<std::vector<uint8_t>>& chunks) {
  size_t n = 0;
  for (const auto& c : chunks) n += c.size();
  return n;
}

size_t ZstdBytes(const std::vector<std::vector<uint8_t>>& chunks) {
  constexpr size_t kBlock = 4096;
  std::vector<uint8_t> block, out(ZSTD_compressBound(kBlock * 4));
  size_t total = 0;
  auto flush = [&] {
    if (block.empty()) return;
    if (out.size() < ZSTD_compressBound(block.size())) out.resize(ZSTD_compressBound(block.size()));
    size_t n = ZSTD_compress(out.data(), out.size(), block.data(), block.size(), 3);
    total += ZSTD_isError(n) || n >= block.size() ? block.size() : n;
    block.clear();
  };
  for (const auto& c : chunks) {
    block.insert(block.end(), c.begin(), c.end());
    if (block.size() >= kBlock) flush();
  }
  flush();
  return total;
}

template <typename Appender>
void BM_Encode(benchmark::State& state) {
  const auto& data = Data();
  auto max_samples = static_cast<uint32_t>(state.range(0));
  for (auto _ : state) {
    for (const auto& s : data) EncodeSeries<Appender>(s, max_samples, nullptr);
  }
  size_t samples = TotalSamples(data);
  auto chunks = EncodeAll<Appender>(data, max_samples);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * samples));
  state.counters["bytes_per_sample"] = static_cast<double>(ChunkBytes(chunks)) / samples;
  state.counters["zstd_bytes_per_sample"] = static_cast<double>(ZstdBytes(chunks)) / samples;
}

template <typename Appender, typename Iterator>
void BM_Decode(benchmark::State& state) {
  const auto& data = Data();
  auto chunks = EncodeAll<Appender>(data, static_cast<uint32_t>(state.range(0)));
  size_t samples = TotalSamples(data);
  for (auto _ : state) {
    double sum = 0;
    int64_t tsum = 0;
    for (const auto& c : chunks) {
      Iterator it(c);
      while (it.Next()) {
        tsum += it.At().t_ms;
        sum += it.At().v;
      }
      if (!it.status().ok()) std::abort();
    }
    benchmark::DoNotOptimize(sum);
    benchmark::DoNotOptimize(tsum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * samples));
}

void BM_EncodeGorilla(benchmark::State& state) { BM_Encode<XorChunkAppender>(state); }
void BM_EncodeAndon(benchmark::State& state) { BM_Encode<ChunkAppender>(state); }
void BM_DecodeGorilla(benchmark::State& state) {
  BM_Decode<XorChunkAppender, XorChunkIterator>(state);
}
void BM_DecodeAndon(benchmark::State& state) { BM_Decode<ChunkAppender, ChunkIterator>(state); }

// The query path: every chunk appended to a reused sample vector (ChunkIterator::AppendUpTo).
void BM_DecodeAndonAppend(benchmark::State& state) {
  const auto& data = Data();
  auto chunks = EncodeAll<ChunkAppender>(data, static_cast<uint32_t>(state.range(0)));
  size_t samples = TotalSamples(data);
  std::vector<andon::Sample> out;
  for (auto _ : state) {
    for (const auto& c : chunks) {
      out.clear();
      ChunkIterator it(c);
      if (it.Next()) it.AppendUpTo(std::numeric_limits<int64_t>::max(), &out);
      if (!it.status().ok()) std::abort();
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * samples));
}

BENCHMARK(BM_EncodeGorilla)
    ->Arg(kPrometheusChunkSamples)
    ->Arg(tsdb::kMaxSamplesPerChunk)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeAndon)->Arg(tsdb::kMaxSamplesPerChunk)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeGorilla)->Arg(kPrometheusChunkSamples)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeAndon)->Arg(tsdb::kMaxSamplesPerChunk)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeAndonAppend)->Arg(tsdb::kMaxSamplesPerChunk)->Unit(benchmark::kMillisecond);

// Per metric family and per chunk size, printed once (ANDON_CHUNK_BENCH_REPORT=1).
void PrintReport() {
  const auto& data = Data();
  struct Acc {
    size_t samples = 0, gorilla = 0, andon = 0;
  };
  std::map<std::string, Acc> fam;
  for (const auto& s : data) {
    std::string name = s.name.substr(0, s.name.find('{'));
    std::vector<std::vector<uint8_t>> g, a;
    EncodeSeries<XorChunkAppender>(s, kPrometheusChunkSamples, &g);
    EncodeSeries<ChunkAppender>(s, tsdb::kMaxSamplesPerChunk, &a);
    size_t i = 0;
    for (const auto& c : a) {
      ChunkIterator it(c);
      while (it.Next()) {
        if (it.At().t_ms != s.t_ms[i] ||
            std::bit_cast<uint64_t>(it.At().v) != std::bit_cast<uint64_t>(s.v[i])) {
          std::fprintf(stderr, "MISMATCH %s sample %zu\n", s.name.c_str(), i);
          std::exit(1);
        }
        ++i;
      }
      if (!it.status().ok()) std::fprintf(stderr, "%s\n", it.status().ToString().c_str());
    }
    if (i != s.v.size()) std::fprintf(stderr, "COUNT MISMATCH %s\n", s.name.c_str());
    auto& acc = fam[name];
    acc.samples += s.v.size();
    acc.gorilla += ChunkBytes(g);
    acc.andon += ChunkBytes(a);
  }
  size_t total = TotalSamples(data);
  std::printf("%-48s %8s %9s %9s %9s\n", "family", "samples", "gorilla", "andon", "share");
  size_t andon_total = 0;
  for (const auto& [_, acc] : fam) andon_total += acc.andon;
  for (const auto& [name, acc] : fam) {
    std::printf("%-48s %8zu %9.3f %9.3f %8.1f%%\n", name.c_str(), acc.samples,
                double(acc.gorilla) / acc.samples, double(acc.andon) / acc.samples,
                100.0 * acc.andon / andon_total);
  }
  std::printf("\nchunk size   gorilla B/sample   andon B/sample   andon+zstd B/sample\n");
  for (uint32_t n : {60u, 120u, 240u, 360u, 480u, 720u}) {
    auto g = EncodeAll<XorChunkAppender>(data, n);
    std::vector<std::vector<uint8_t>> a;
    for (const auto& s : data) {
      ChunkAppender app;
      for (size_t i = 0; i < s.v.size(); ++i) {
        if (app.num_samples() >= n) {
          a.emplace_back(app.bytes().begin(), app.bytes().end());
          app = ChunkAppender();
        }
        (void)app.Append(s.t_ms[i], s.v[i]);
      }
      a.emplace_back(app.bytes().begin(), app.bytes().end());
    }
    std::printf("%10u   %16.3f   %14.3f   %19.3f\n", n, double(ChunkBytes(g)) / total,
                double(ChunkBytes(a)) / total, double(ZstdBytes(a)) / total);
  }
  std::printf("\n%zu series, %zu samples\n\n", data.size(), total);
}

}  // namespace
}  // namespace andon

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (const char* r = std::getenv("ANDON_CHUNK_BENCH_REPORT"); r && std::string(r) == "1") {
    andon::PrintReport();
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
