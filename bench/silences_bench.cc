// MutedBy over 10,000 alerts against 1,000 silences: the dispatcher asks once per alert per
// flush. The silences are shaped as teams write them (mostly alertname/team/instance
// equalities, some regexes and negations, a tenth expired, a tenth pending); Scan is the
// same question answered by checking every silence, the baseline the index has to beat.
//
//   cmake --build build --target silences_bench && ./build/silences_bench
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <random>

#include "alerting/silences.h"

namespace andon::alerting {
namespace {

using config::Matcher;
using Op = Matcher::Op;

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kHour = 3600 * 1000;

struct Fixture {
  std::string dir;
  MetricsRegistry registry;
  std::unique_ptr<Silences> silences;
  std::vector<Labels> alerts;
  std::vector<Silence> all;
  int64_t clock = kNow - 2 * kHour;  // the store's clock while the silences are made

  Fixture() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "silences_bench_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir = tmpl;
    SilencesOptions opts;
    opts.dir = dir;
    opts.registry = &registry;
    opts.now_ms = [this] { return clock; };
    silences = Silences::Open(opts).value();
    std::mt19937 rng(42);
    auto pick = [&](int n) { return static_cast<int>(rng() % n); };
    auto alertname = [&] { return "Alert" + std::to_string(pick(200)); };
    auto team = [&] { return "team" + std::to_string(pick(20)); };
    auto instance = [&] {
      return "10.0." + std::to_string(pick(40)) + "." + std::to_string(pick(250));
    };
    for (int i = 0; i < 1000; ++i) {
      Silence s;
      int kind = pick(20);
      if (kind < 10) {
        s.matchers = {Matcher{"alertname", Op::kEqual, alertname(), nullptr},
                      Matcher{"team", Op::kEqual, team(), nullptr}};
      } else if (kind < 16) {
        s.matchers = {Matcher{"instance", Op::kEqual, instance(), nullptr}};
      } else if (kind < 18) {
        s.matchers = {Matcher{"team", Op::kEqual, team(), nullptr},
                      Matcher{"severity", Op::kNotEqual, "critical", nullptr}};
      } else {
        s.matchers = {Matcher{"instance", Op::kRegexMatch,
                              "10\\.0\\." + std::to_string(pick(40)) + "\\..*", nullptr},
                      Matcher{"alertname", Op::kRegexMatch, "Alert1.*", nullptr}};
      }
      int when = pick(10);
      s.starts_at_ms = when == 0 ? kNow + kHour : kNow - kHour;        // a tenth pending
      s.ends_at_ms = when == 1 ? kNow - kHour / 2 : kNow + 4 * kHour;  // a tenth expired at kNow
      s.created_by = "bench";
      s.comment = "bench";
      if (!silences->Set(s).ok()) std::abort();
    }
    all = silences->List({}, kNow);
    const char* severities[] = {"critical", "warning", "info"};
    for (int i = 0; i < 10000; ++i) {
      alerts.push_back(Labels{{"alertname", alertname()},
                              {"team", team()},
                              {"severity", severities[pick(3)]},
                              {"instance", instance()},
                              {"namespace", "ns" + std::to_string(pick(30))},
                              {"job", "kubernetes-pods"}});
    }
  }
  ~Fixture() {
    silences.reset();
    std::filesystem::remove_all(dir);
  }
};

Fixture& Shared() {
  static Fixture f;
  return f;
}

void BM_MutedBy10kAlerts1kSilences(benchmark::State& state) {
  Fixture& f = Shared();
  size_t muted = 0;
  for (auto _ : state) {
    muted = 0;
    for (const Labels& a : f.alerts) muted += !f.silences->MutedBy(a, kNow).empty();
    benchmark::DoNotOptimize(muted);
  }
  state.counters["muted"] = static_cast<double>(muted);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(f.alerts.size()));
}
BENCHMARK(BM_MutedBy10kAlerts1kSilences)->Unit(benchmark::kMillisecond);

void BM_Scan10kAlerts1kSilences(benchmark::State& state) {
  Fixture& f = Shared();
  size_t muted = 0;
  for (auto _ : state) {
    muted = 0;
    for (const Labels& a : f.alerts) {
      std::vector<std::string> ids;
      for (const Silence& s : f.all) {
        if (s.StateAt(kNow) == SilenceState::kActive && s.Matches(a)) ids.push_back(s.id);
      }
      muted += !ids.empty();
    }
    benchmark::DoNotOptimize(muted);
  }
  state.counters["muted"] = static_cast<double>(muted);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(f.alerts.size()));
}
BENCHMARK(BM_Scan10kAlerts1kSilences)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace andon::alerting

BENCHMARK_MAIN();
