// Db benchmarks (the figures of issue 3), each a single heavy iteration; run them one per
// process (--benchmark_filter) so RSS figures are not skewed by an earlier one:
//   BM_BackfillOnDisk      loads the targets.py backfill (10 targets x 1000 series x 720
//                          samples at 15 s) through Db, closes, compacts, and reports
//                          bytes/sample of the whole data dir (chunks, index, series, WAL,
//                          RocksDB metadata) and the load rate; then Select + full decode
//                          of all series (10k x 3 h) through a reopened Db, samples/s.
//   BM_AppendByRef/N       one thread appends one sample to each of N series per round by
//                          ref through Db (WAL-logged commits of 1000 samples), samples/s.
//   BM_RssActiveSeries/N   process RSS with N active series after 30 min of 15 s samples
//                          with checkpoints.
// Environment: ANDON_BACKFILL_OM=<file> to use an existing backfill file, else it is
// generated with ANDON_BACKFILL_TARGETS targets (default 10) from ANDON_SHARED_DIR
// (default ../shared from the repo).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/openmetrics_series.h"
#include "tsdb/db.h"

namespace andon {
namespace {

namespace fs = std::filesystem;

std::string SharedDir() {
  if (const char* d = std::getenv("ANDON_SHARED_DIR")) return d;
  fs::path here(__FILE__);
  return (here.parent_path().parent_path().parent_path() / "shared").string();
}

std::string BackfillPath() {
  if (const char* p = std::getenv("ANDON_BACKFILL_OM")) return p;
  const char* t = std::getenv("ANDON_BACKFILL_TARGETS");
  fs::path dir = fs::temp_directory_path() / "andon_db_bench";
  fs::create_directories(dir);
  std::string targets = t ? t : "10";
  fs::path path = dir / ("backfill-" + targets + ".om");
  if (!fs::exists(path)) {
    std::string cmd = "python3 " + SharedDir() + "/bench/targets.py backfill --targets " + targets +
                      " --start 1700000000 --om " + path.string() + " --prom " +
                      (dir / "backfill.prom").string() + " >/dev/null";
    if (std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "failed: %s\n", cmd.c_str());
      std::exit(1);
    }
  }
  return path.string();
}

// Parses `name{a="b",c="d"}` (the form targets.py writes) into Labels.
Labels ParseSeriesName(std::string_view s) {
  LabelsBuilder b;
  size_t brace = s.find('{');
  b.Set("__name__", s.substr(0, brace));
  if (brace == std::string_view::npos) return b.Build();
  size_t i = brace + 1;
  while (i < s.size() && s[i] != '}') {
    size_t eq = s.find('=', i);
    std::string_view name = s.substr(i, eq - i);
    std::string value;
    size_t j = eq + 2;  // after ="
    for (; j < s.size() && s[j] != '"'; ++j) {
      if (s[j] == '\\' && j + 1 < s.size()) {
        ++j;
        value.push_back(s[j] == 'n' ? '\n' : s[j]);
      } else {
        value.push_back(s[j]);
      }
    }
    b.Set(name, value);
    i = j + 1;
    if (i < s.size() && s[i] == ',') ++i;
  }
  return b.Build();
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

size_t RssBytes() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

class BenchDir {
 public:
  BenchDir() {
    std::string tmpl = (fs::temp_directory_path() / "andon-dbbench-XXXXXX").string();
    root_ = mkdtemp(tmpl.data());
  }
  ~BenchDir() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::string data() const { return root_ + "/data"; }

 private:
  std::string root_;
};

void Check(const Status& st, benchmark::State& state) {
  if (!st.ok()) {
    state.SkipWithError(st.ToString().c_str());
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    std::exit(1);
  }
}

void BM_BackfillOnDisk(benchmark::State& state) {
  auto data = bench::ReadOpenMetricsSeries(BackfillPath());
  if (!data.ok()) Check(data.status(), state);
  std::vector<Labels> labels;
  size_t total = 0, steps = 0;
  for (const auto& s : *data) {
    labels.push_back(ParseSeriesName(s.name));
    total += s.t_ms.size();
    steps = std::max(steps, s.t_ms.size());
  }
  for (auto _ : state) {
    BenchDir dir;
    DbOptions o;
    o.background = false;
    double load_s = 0;
    {
      auto db = Db::Open(dir.data(), o);
      Check(db.status(), state);
      auto app = (*db)->NewAppender();
      std::vector<SeriesRef> refs(data->size(), 0);
      size_t pending = 0;
      auto start = std::chrono::steady_clock::now();
      for (size_t k = 0; k < steps; ++k) {  // time-major, as scrapes arrive
        for (size_t i = 0; i < data->size(); ++i) {
          const auto& s = (*data)[i];
          if (k >= s.t_ms.size()) continue;
          auto r = app->Append(refs[i], labels[i], s.t_ms[k], s.v[k]);
          if (r.ok()) refs[i] = *r;
          if (++pending == 1000) {
            Check(app->Commit(), state);
            pending = 0;
          }
        }
      }
      Check(app->Commit(), state);
      load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      Check((*db)->Close(), state);
    }
    {
      auto store = tsdb::RocksDbStore::Open(dir.data(), o.store);
      Check(store.status(), state);
      Check((*store)->Compact(), state);
    }
    uint64_t bytes = DirBytes(dir.data());
    state.counters["samples"] = static_cast<double>(total);
    state.counters["dir_bytes"] = static_cast<double>(bytes);
    state.counters["bytes_per_sample"] = static_cast<double>(bytes) / static_cast<double>(total);
    state.counters["load_samples_per_s"] = static_cast<double>(total) / load_s;

    // Select + full decode of every series over the whole range, from a reopened Db.
    auto db = Db::Open(dir.data(), o);
    Check(db.status(), state);
    auto start = std::chrono::steady_clock::now();
    auto q = (*db)->NewQuerier();
    auto set = q->Select(
        std::vector{LabelMatcher::MustMake(LabelMatcher::Type::kRegexMatch, "__name__", ".+")},
        std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
    size_t series = 0, decoded = 0;
    double sum = 0;
    while (set->Next()) {
      ++series;
      auto it = set->At().Iterator();
      while (it->Next()) {
        sum += it->At().v;
        ++decoded;
      }
    }
    double sel_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    benchmark::DoNotOptimize(sum);
    Check(set->Err(), state);
    state.counters["select_series"] = static_cast<double>(series);
    state.counters["select_decoded_samples"] = static_cast<double>(decoded);
    state.counters["select_samples_per_s"] = static_cast<double>(decoded) / sel_s;
    if (decoded != total) std::fprintf(stderr, "decoded %zu of %zu samples\n", decoded, total);
  }
}
BENCHMARK(BM_BackfillOnDisk)->Iterations(1)->Unit(benchmark::kSecond);

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

std::vector<SeriesRef> CreateSeries(Db& db, int n) {
  std::vector<SeriesRef> refs(n);
  auto app = db.NewAppender();
  for (int i = 0; i < n; ++i) {
    refs[i] = *app->Append(0, K8sSeries(i), 0, i);
    if (i % 1000 == 999) (void)app->Commit();
  }
  (void)app->Commit();
  return refs;
}

void BM_AppendByRef(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  BenchDir dir;
  DbOptions o;
  o.background = false;
  auto db = Db::Open(dir.data(), o);
  Check(db.status(), state);
  std::vector<SeriesRef> refs = CreateSeries(**db, n);
  auto app = (*db)->NewAppender();
  int64_t t = 15000;
  const Labels none;
  for (auto _ : state) {
    for (int i = 0; i < n; ++i) {
      auto r = app->Append(refs[i], none, t, static_cast<double>(i + t / 15000));
      benchmark::DoNotOptimize(r);
      if (i % 1000 == 999) (void)app->Commit();
    }
    (void)app->Commit();
    t += 15000;
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["series"] = n;
  // Leaked on purpose: Close()'s final checkpoint of N fresh series is not append cost
  // (and at 1M series it is slow, see the report). The process exits after the benchmarks.
  (void)db->release();
}
BENCHMARK(BM_AppendByRef)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->MinTime(1);

void BM_RssActiveSeries(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    BenchDir dir;
    DbOptions o;
    o.background = false;
    auto db = Db::Open(dir.data(), o);
    Check(db.status(), state);
    std::vector<SeriesRef> refs = CreateSeries(**db, n);
    auto app = (*db)->NewAppender();
    for (int k = 1; k <= 120; ++k) {
      for (int i = 0; i < n; ++i) {
        (void)app->Append(refs[i], Labels(), k * 15000, static_cast<double>(i + k));
        if (i % 1000 == 999) (void)app->Commit();
      }
      (void)app->Commit();
      if (k % 8 == 0) Check((*db)->Checkpoint(), state);  // every 2 min of sample time
    }
    state.counters["rss_MiB"] = static_cast<double>(RssBytes()) / (1 << 20);
    state.counters["head_chunks"] = static_cast<double>((*db)->Stats().head_chunks);
  }
}
BENCHMARK(BM_RssActiveSeries)->Arg(50000)->Arg(1000000)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace andon

BENCHMARK_MAIN();
