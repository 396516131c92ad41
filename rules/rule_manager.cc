#include "rules/rule_manager.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <iterator>
#include <utility>

#include "common/logger.h"
#include "tsdb/db.h"

namespace andon::rules {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// FNV-1a, for a stable per-group offset within the interval.
uint64_t KeyHash(const std::string& key) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// The latest aligned evaluation time at or before now_ms: base + offset, as Prometheus's
// Group.EvalTimestamp.
int64_t AlignedTime(int64_t now_ms, int64_t interval_ms, const std::string& key) {
  const int64_t offset = static_cast<int64_t>(KeyHash(key) % static_cast<uint64_t>(interval_ms));
  const int64_t adjusted = now_ms - offset;
  int64_t base = adjusted - adjusted % interval_ms;
  if (adjusted % interval_ms < 0) base -= interval_ms;
  return base + offset;
}

}  // namespace

// Adds the external labels an alert lacks, then forwards to the configured sink.
class ExternalLabelsSink : public alerting::AlertSink {
 public:
  ExternalLabelsSink(alerting::AlertSink* next, std::function<Labels()> external)
      : next_(next), external_(std::move(external)) {}
  void Send(std::vector<alerting::Alert> alerts) override {
    if (next_ == nullptr) return;
    alerting::AddExternalLabels(external_(), &alerts);
    next_->Send(std::move(alerts));
  }

 private:
  alerting::AlertSink* next_;
  std::function<Labels()> external_;
};

// Each per-group metric: its family, and where its child goes in RuleGroupMetrics.
struct GroupMetricSpec {
  const char* name;
  const char* help;
  Counter* RuleGroupMetrics::*counter;  // set for counters
  Gauge* RuleGroupMetrics::*gauge;      // set for gauges
};

constexpr GroupMetricSpec kGroupMetrics[] = {
    {"andon_rule_evaluations_total", "The total number of rule evaluations.",
     &RuleGroupMetrics::evaluations, nullptr},
    {"andon_rule_evaluation_failures_total", "The total number of rule evaluation failures.",
     &RuleGroupMetrics::evaluation_failures, nullptr},
    {"andon_rule_group_iterations_total", "The total number of completed rule group evaluations.",
     &RuleGroupMetrics::iterations, nullptr},
    {"andon_rule_group_iterations_missed_total",
     "The total number of rule group evaluations missed due to slow rule group evaluation.",
     &RuleGroupMetrics::iterations_missed, nullptr},
    {"andon_rule_group_last_duration_seconds", "The duration of the last rule group evaluation.",
     nullptr, &RuleGroupMetrics::last_duration_seconds},
    {"andon_rule_group_last_evaluation_timestamp_seconds",
     "The timestamp of the last rule group evaluation in seconds.", nullptr,
     &RuleGroupMetrics::last_evaluation_timestamp_seconds},
    {"andon_rule_group_last_evaluation_samples",
     "The number of samples returned during the last rule group evaluation.", nullptr,
     &RuleGroupMetrics::last_evaluation_samples},
    {"andon_rule_group_interval_seconds", "The interval of a rule group.", nullptr,
     &RuleGroupMetrics::interval_seconds},
    {"andon_rule_group_rules", "The number of rules.", nullptr, &RuleGroupMetrics::rules},
};

struct RuleManager::Metrics {
  // Parallel to kGroupMetrics; null where registration failed.
  CounterFamily* counters[std::size(kGroupMetrics)] = {};
  GaugeFamily* gauges[std::size(kGroupMetrics)] = {};
  Counter* group_limit_exceeded = nullptr;
};

struct RuleManager::Runner {
  Runner(boost::asio::io_context& ioc, std::unique_ptr<RuleGroupEvaluator> g,
         std::unique_ptr<Appender> app)
      : group(std::move(g)), appender(std::move(app)), timer(ioc) {}
  std::string key() const { return group->Key(); }

  std::unique_ptr<RuleGroupEvaluator> group;
  std::unique_ptr<Appender> appender;
  boost::asio::steady_timer timer;
  std::mutex mu;  // held while evaluating and while stopping
  bool stopped = false;
  bool should_restore = false;
  int evaluations = 0;
  int64_t next_eval_ms = 0;
};

RuleManager::RuleManager(Db& db, const query::Engine& engine, alerting::AlertSink* sink,
                         RuleManagerOptions options)
    : db_(db),
      engine_(engine),
      options_(std::move(options)),
      metrics_(std::make_unique<Metrics>()),
      work_(boost::asio::make_work_guard(ioc_)) {
  sink_ = std::make_unique<ExternalLabelsSink>(sink, [this] {
    std::lock_guard lock(mu_);
    return context_ ? context_->external_labels : Labels();
  });
  MetricsRegistry& r =
      options_.registry != nullptr ? *options_.registry : MetricsRegistry::Default();
  for (size_t i = 0; i < std::size(kGroupMetrics); ++i) {
    const GroupMetricSpec& m = kGroupMetrics[i];
    if (m.counter != nullptr) {
      auto f = r.RegisterCounter(m.name, m.help, {"rule_group"});
      if (f.ok()) metrics_->counters[i] = *f;
    } else {
      auto f = r.RegisterGauge(m.name, m.help, {"rule_group"});
      if (f.ok()) metrics_->gauges[i] = *f;
    }
  }
  auto limit = r.RegisterCounter("andon_rule_group_limit_exceeded_total",
                                 "Rule file (re)loads refused for holding more groups than "
                                 "--rules.max-groups.",
                                 {});
  if (limit.ok()) metrics_->group_limit_exceeded = &(*limit)->WithLabels({});

  const int n = std::max(options_.threads, 1);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { ioc_.run(); });
}

RuleManager::~RuleManager() { Stop(); }

RuleGroupMetrics RuleManager::MetricsFor(const std::string& key) {
  RuleGroupMetrics m;
  for (size_t i = 0; i < std::size(kGroupMetrics); ++i) {
    if (CounterFamily* f = metrics_->counters[i])
      m.*kGroupMetrics[i].counter = &f->WithLabels({key});
    if (GaugeFamily* f = metrics_->gauges[i]) m.*kGroupMetrics[i].gauge = &f->WithLabels({key});
  }
  return m;
}

Status RuleManager::ApplyConfig(const config::Config& config) {
  std::lock_guard apply_lock(apply_mu_);
  if (stopped_) return Status::Unavailable("rule manager is stopped");
  Result<std::vector<RuleFile>> files = LoadRuleFiles(config.rule_files);
  if (!files.ok()) return files.status();
  if (options_.max_groups > 0) {
    size_t groups = 0;
    for (const RuleFile& file : *files) groups += file.groups.size();
    if (groups > options_.max_groups) {
      if (metrics_->group_limit_exceeded != nullptr) metrics_->group_limit_exceeded->Inc();
      return Status::ResourceExhausted(
          "rule_files: " + std::to_string(groups) + " rule groups in " +
          std::to_string(files->size()) + " files exceed the limit of " +
          std::to_string(options_.max_groups) + " (--rules.max-groups)");
    }
  }

  LabelsBuilder ext;
  for (const auto& [name, value] : config.global.external_labels) ext.Set(name, value);
  auto context = std::make_shared<const RuleContext>(EngineRuleContext(
      engine_, [this] { return db_.NewQuerier(); }, ext.Build(), options_.external_url,
      &stopping_));

  std::map<std::string, std::shared_ptr<Runner>> old;
  bool first_load;
  {
    std::lock_guard lock(mu_);
    for (const auto& r : runners_) old[r->key()] = r;
    first_load = !loaded_once_;
  }

  std::vector<std::shared_ptr<Runner>> next;
  std::vector<std::shared_ptr<Runner>> started;
  for (const RuleFile& file : *files) {
    for (const RuleGroup& g : file.groups) {
      const int64_t interval = g.interval_ms.value_or(config.global.evaluation_interval_ms);
      RuleGroupOptions opts;
      opts.resend_delay_ms = options_.resend_delay_ms;
      opts.external_url = options_.external_url;
      const std::string key = file.filename + ";" + g.name;
      opts.metrics = MetricsFor(key);
      auto evaluator =
          std::make_unique<RuleGroupEvaluator>(file.filename, g, interval, std::move(opts));
      auto it = old.find(key);
      if (it != old.end() && it->second->group->SameDefinition(*evaluator)) {
        next.push_back(it->second);  // unchanged: keeps running
        old.erase(it);
        continue;
      }
      auto runner = std::make_shared<Runner>(ioc_, std::move(evaluator), db_.NewAppender());
      if (it != old.end()) {
        {
          std::lock_guard stop_lock(it->second->mu);
          it->second->stopped = true;
          it->second->timer.cancel();
        }
        runner->group->CopyStateFrom(*it->second->group);
        runner->group->SetRestored();
        old.erase(it);
      } else if (first_load) {
        runner->should_restore = true;
      } else {
        runner->group->SetRestored();
      }
      next.push_back(runner);
      started.push_back(runner);
    }
  }
  // Removed groups: stop, then end their series.
  const int64_t now = NowMs();
  for (auto& [key, r] : old) {
    std::lock_guard stop_lock(r->mu);
    r->stopped = true;
    r->timer.cancel();
    r->group->MarkStale(now, *r->appender);
  }
  {
    std::lock_guard lock(mu_);
    context_ = context;
    runners_ = next;
    loaded_once_ = true;
  }
  for (const auto& r : started) {
    r->next_eval_ms = AlignedTime(now, r->group->interval_ms(), r->key()) + r->group->interval_ms();
    Schedule(r);
  }
  return Status::Ok();
}

void RuleManager::Schedule(const std::shared_ptr<Runner>& runner) {
  const int64_t delay = std::max<int64_t>(runner->next_eval_ms - NowMs(), 0);
  runner->timer.expires_after(std::chrono::milliseconds(delay));
  runner->timer.async_wait([this, runner](const boost::system::error_code& err) {
    if (err) return;
    RunOnce(runner);
  });
}

void RuleManager::RunOnce(const std::shared_ptr<Runner>& runner) {
  std::lock_guard lock(runner->mu);
  if (runner->stopped) return;
  std::shared_ptr<const RuleContext> context;
  {
    std::lock_guard l(mu_);
    context = context_;
  }
  const int64_t interval = runner->group->interval_ms();
  const int64_t now = NowMs();
  // Slots that passed while the previous evaluation ran (or the process was stalled).
  const int64_t missed = (now - runner->next_eval_ms) / interval;
  if (missed > 0) {
    if (Counter* c = runner->group->metrics().iterations_missed)
      c->Inc(static_cast<double>(missed));
    runner->next_eval_ms += missed * interval;
  }
  runner->group->Eval(runner->next_eval_ms, *context, *runner->appender, sink_.get());
  if (runner->should_restore && ++runner->evaluations >= 2) {
    std::unique_ptr<Querier> q = db_.NewQuerier();
    runner->group->RestoreForState(NowMs(), options_.for_grace_period_ms,
                                   options_.outage_tolerance_ms, *q);
    runner->should_restore = false;
  }
  runner->next_eval_ms += interval;
  Schedule(runner);
}

void RuleManager::Stop() {
  std::lock_guard apply_lock(apply_mu_);
  if (stopped_) return;
  stopped_ = true;
  stopping_ = true;  // queries in flight end as canceled
  std::vector<std::shared_ptr<Runner>> runners;
  {
    std::lock_guard lock(mu_);
    runners.swap(runners_);
  }
  for (const auto& r : runners) {
    std::lock_guard stop_lock(r->mu);
    r->stopped = true;
    r->timer.cancel();
  }
  work_.reset();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

std::vector<GroupSnapshot> RuleManager::Groups() const {
  std::vector<std::shared_ptr<Runner>> runners;
  {
    std::lock_guard lock(mu_);
    runners = runners_;
  }
  std::vector<GroupSnapshot> out;
  out.reserve(runners.size());
  for (const auto& r : runners) out.push_back(r->group->Snapshot());
  return out;
}

}  // namespace andon::rules
