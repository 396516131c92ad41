// The alert router's steady state: what one rule evaluation's Send() costs when Prometheus
// re-sends its firing alerts, how fast the routing tree matches, and what a flush of
// unchanged groups (de-duplicated, nothing sent) costs. 20 team routes; alerts spread
// over them; a notifier that accepts at once.
//
//   ./build/dispatcher_bench
//
// Counters: items_per_second (alerts sent / matched, groups flushed per second).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "alerting/dispatcher.h"
#include "common/config.h"

namespace andon::alerting {
namespace {

constexpr int kTeams = 20;
constexpr int64_t kT0 = 1705312800000;

class AcceptingNotifier : public Notifier {
 public:
  std::string_view integration() const override { return "slack"; }
  bool send_resolved() const override { return true; }
  void Notify(Notification, std::function<void(Status)> done) override { done(Status::Ok()); }
};

config::RouterConfig Config() {
  std::string yaml =
      "route:\n  receiver: default\n  group_by: [alertname, team]\n  group_wait: 30s\n"
      "  group_interval: 5m\n  repeat_interval: 4h\n  routes:\n";
  std::string receivers = "receivers:\n  - name: default\n";
  for (int t = 0; t < kTeams; ++t) {
    std::string team = "team" + std::to_string(t);
    yaml += "    - matchers: ['team=\"" + team + "\"']\n      receiver: " + team + "\n";
    receivers += "  - name: " + team + "\n";
  }
  auto r = config::ParseAlertmanagerConfig(yaml + receivers, "bench.yml", "");
  if (!r.ok()) std::abort();
  return *r;
}

std::vector<Alert> MakeAlerts(int n, int alertnames) {
  std::vector<Alert> out;
  for (int i = 0; i < n; ++i) {
    Alert a;
    a.labels = Labels{
        {"alertname", "Alert" + std::to_string(i % alertnames)},
        {"team", "team" + std::to_string(i % kTeams)},
        {"instance", "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ":9100"},
        {"job", "node"},
        {"severity", "warning"}};
    a.annotations = Labels{{"summary", "something is wrong"}};
    a.starts_at_ms = kT0;
    a.ends_at_ms = kT0 + 100LL * 365 * 24 * 3600 * 1000;  // firing throughout
    out.push_back(std::move(a));
  }
  return out;
}

std::unique_ptr<Dispatcher> MakeDispatcher(int64_t* now) {
  Integrations in;
  auto n = std::make_shared<AcceptingNotifier>();
  in["default"] = {n};
  for (int t = 0; t < kTeams; ++t) in["team" + std::to_string(t)] = {n};
  DispatcherOptions o;
  o.clock = [now] { return *now; };
  auto d = Dispatcher::Create(Config(), in, nullptr, nullptr, o);
  if (!d.ok()) std::abort();
  return std::move(d).value();
}

void BM_RouteMatch(benchmark::State& state) {
  auto tree = RouteTree::Build(Config().route);
  Labels l{{"alertname", "Down"}, {"team", "team17"}, {"instance", "x:1"}};
  for (auto _ : state) benchmark::DoNotOptimize(tree->Match(l));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteMatch);

// Re-sending already known firing alerts (what every rule evaluation does).
void BM_DispatcherResend(benchmark::State& state) {
  int64_t now = kT0;
  auto d = MakeDispatcher(&now);
  const int n = static_cast<int>(state.range(0));
  std::vector<Alert> alerts = MakeAlerts(n, 10);
  d->Send(alerts);
  for (auto _ : state) {
    d->Send(alerts);  // copies the batch, as a caller handing it over would
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_DispatcherResend)->Arg(1000)->Arg(10000);

// A group_interval tick over 1000 groups that all were notified already (every 49th tick
// is a repeat_interval re-send of all of them, to the accepting notifier).
void BM_DispatcherFlushUnchanged(benchmark::State& state) {
  int64_t now = kT0;
  auto d = MakeDispatcher(&now);
  const int n = static_cast<int>(state.range(0));
  d->Send(MakeAlerts(n, 50));  // 50 alertnames x 20 teams = 1000 groups
  now += 30 * 1000;
  d->RunDue();
  size_t groups = 0;
  for (auto _ : state) {
    now += 5 * 60 * 1000;
    groups += d->RunDue();
  }
  state.SetItemsProcessed(static_cast<int64_t>(groups));
}
BENCHMARK(BM_DispatcherFlushUnchanged)->Arg(10000);

}  // namespace
}  // namespace andon::alerting

BENCHMARK_MAIN();
