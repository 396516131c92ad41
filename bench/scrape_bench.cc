// CPU cost of scraping, per million samples, on node_exporter-like payloads from
// shared/bench/targets.py (1000 series per target):
//   BM_Ingest/null      parse -> metric relabel -> series cache -> append, NullAppender
//   BM_Ingest/db        the same into a real Db (commit per scrape)
//   BM_Scrape/null      + HTTP: a keep-alive GET to `targets.py serve` (a separate Python
//                       process, not counted) through ScrapeClient on an io thread
//   BM_Scrape/db        the same into a real Db
// The counter cpu_s_per_M_samples is CPU seconds of this process per million samples
// (process CPU time: the io thread counts). Prometheus 2.42 spends ~1.56 there.
// Run: ./build/scrape_bench [--benchmark_filter=...]   (ANDON_SHARED_DIR locates targets.py)
#include <benchmark/benchmark.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <cstdio>
#include <filesystem>
#include <future>
#include <thread>

#include "common/config.h"
#include "scrape/scrape_client.h"
#include "scrape/scrape_loop.h"
#include "tests/scrape/recording_appender.h"
#include "tsdb/db.h"

extern char** environ;

namespace andon::scrape {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;

fs::path TargetsPy() {
  if (const char* env = std::getenv("ANDON_SHARED_DIR")) return fs::path(env) / "bench/targets.py";
  for (fs::path p : {fs::path(__FILE__).parent_path() / "../../shared/bench/targets.py",
                     fs::path("/work/wt/shared/bench/targets.py")}) {
    if (fs::exists(p)) return p;
  }
  return "targets.py";
}

const std::string& Payload() {
  static const std::string payload = [] {
    std::string cmd = "python3 '" + TargetsPy().string() + "' sample --series 1000";
    std::string out;
    if (FILE* f = popen(cmd.c_str(), "r")) {
      char buf[65536];
      size_t n;
      while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
      pclose(f);
    }
    return out;
  }();
  return payload;
}

config::ScrapeConfig BenchConfig() {
  auto cfg = config::ParseConfig(
      "scrape_configs:\n- job_name: node\n  metric_relabel_configs:\n"
      "  - source_labels: [__name__]\n    regex: 'go_gc_.*'\n    action: drop\n",
      "bench.yml", "");
  return cfg->scrape_configs.at(0);
}

const Labels kTarget{{"job", "node"}, {"instance", "host000:9100"}};

void SetCounters(benchmark::State& state, uint64_t samples) {
  state.SetItemsProcessed(static_cast<int64_t>(samples));
  state.counters["cpu_s_per_M_samples"] =
      benchmark::Counter(static_cast<double>(samples) / 1e6,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

struct TempDb {
  TempDb() {
    dir = fs::temp_directory_path() / ("scrape_bench_" + std::to_string(getpid()));
    fs::remove_all(dir);
    DbOptions o;
    db = std::move(Db::Open(dir.string(), o)).value();
  }
  ~TempDb() {
    (void)db->Close();
    db.reset();
    fs::remove_all(dir);
  }
  fs::path dir;
  std::unique_ptr<Db> db;
};

void BM_Ingest(benchmark::State& state) {
  const std::string& body = Payload();
  if (body.empty()) return state.SkipWithError("no payload: python3 targets.py sample failed");
  config::ScrapeConfig cfg = BenchConfig();
  ScrapeIngester ing(cfg, kTarget);
  std::unique_ptr<TempDb> db;
  std::unique_ptr<Appender> app;
  if (state.range(0) == 1) {
    db = std::make_unique<TempDb>();
    app = db->db->NewAppender();
  } else {
    app = std::make_unique<testing::NullAppender>();
  }
  int64_t t = 1'700'000'000'000;
  uint64_t samples = 0;
  for (auto _ : state) {
    auto r = ing.Ingest("text/plain; version=0.0.4", body, t, *app);
    if (!r.ok()) return state.SkipWithError(r.status().message().c_str());
    if (!app->Commit().ok()) return state.SkipWithError("commit failed");
    samples += r->scraped;
    t += 15000;
  }
  SetCounters(state, samples);
  state.SetLabel(state.range(0) == 1 ? "db" : "null");
}
BENCHMARK(BM_Ingest)->Arg(0)->Arg(1)->MeasureProcessCPUTime()->Unit(benchmark::kMicrosecond);

// The live workload's shape: 50 targets' ingesters in turn (50k series caches, colder than
// one target's), into a Db. One iteration = one scrape of every target.
void BM_IngestFarm(benchmark::State& state) {
  const std::string& body = Payload();
  if (body.empty()) return state.SkipWithError("no payload: python3 targets.py sample failed");
  config::ScrapeConfig cfg = BenchConfig();
  std::vector<std::unique_ptr<ScrapeIngester>> ingesters;
  for (int i = 0; i < 50; ++i) {
    ingesters.push_back(std::make_unique<ScrapeIngester>(
        cfg, Labels{{"job", "node"}, {"instance", "host" + std::to_string(i) + ":9100"}}));
  }
  TempDb db;
  auto app = db.db->NewAppender();
  int64_t t = 1'700'000'000'000;
  uint64_t samples = 0;
  for (auto _ : state) {
    for (auto& ing : ingesters) {
      auto r = ing->Ingest("text/plain; version=0.0.4", body, t, *app);
      if (!r.ok()) return state.SkipWithError(r.status().message().c_str());
      if (!app->Commit().ok()) return state.SkipWithError("commit failed");
      samples += r->scraped;
    }
    t += 1000;
  }
  SetCounters(state, samples);
}
BENCHMARK(BM_IngestFarm)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);

// `python3 targets.py serve` with one target, for the lifetime of the benchmark.
class TargetFarm {
 public:
  explicit TargetFarm(int port) {
    std::string py = TargetsPy().string();
    std::string port_s = std::to_string(port);
    std::vector<std::string> args = {"python3", py,           "serve", "--targets",
                                     "1",       "--series",   "1000",  "--base-port",
                                     port_s,    "--interval", "0.2"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "python3", nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  ~TargetFarm() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }

 private:
  pid_t pid_ = -1;
};

void BM_Scrape(benchmark::State& state) {
  const int port = 29700 + static_cast<int>(state.range(0));
  TargetFarm farm(port);
  asio::io_context ioc;
  auto work = asio::make_work_guard(ioc);
  std::thread io([&] { ioc.run(); });
  auto client = ScrapeClient::Create(
      asio::make_strand(ioc), "http://127.0.0.1:" + std::to_string(port) + "/metrics", {}, 0);
  config::ScrapeConfig cfg = BenchConfig();
  ScrapeIngester ing(cfg, kTarget);
  std::unique_ptr<TempDb> db;
  std::unique_ptr<Appender> app;
  if (state.range(0) == 1) {
    db = std::make_unique<TempDb>();
    app = db->db->NewAppender();
  } else {
    app = std::make_unique<testing::NullAppender>();
  }
  auto scrape_once = [&]() -> Status {
    std::promise<Status> done;
    asio::post(ioc, [&] {
      (*client)->Scrape(std::chrono::seconds(5), [&](Status s) { done.set_value(s); });
    });
    return done.get_future().get();
  };
  // Wait for the farm to listen.
  Status s;
  for (int i = 0; i < 100 && !(s = scrape_once()).ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  int64_t t = 1'700'000'000'000;
  uint64_t samples = 0;
  if (s.ok()) {
    for (auto _ : state) {
      Status st = scrape_once();
      if (!st.ok()) {
        state.SkipWithError(st.message().c_str());
        break;
      }
      auto r = ing.Ingest((*client)->content_type(), (*client)->body(), t, *app);
      if (!r.ok() || !app->Commit().ok()) {
        state.SkipWithError("ingest failed");
        break;
      }
      samples += r->scraped;
      t += 15000;
    }
  } else {
    state.SkipWithError(("targets.py serve unreachable: " + s.message()).c_str());
  }
  client->reset();
  work.reset();
  io.join();
  SetCounters(state, samples);
  state.SetLabel(state.range(0) == 1 ? "db" : "null");
}
BENCHMARK(BM_Scrape)->Arg(0)->Arg(1)->MeasureProcessCPUTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace andon::scrape

BENCHMARK_MAIN();
