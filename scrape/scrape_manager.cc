#include "scrape/scrape_manager.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <future>
#include <set>

#include "common/logger.h"
#include "scrape/file_discovery.h"
#include "scrape/kubernetes_discovery.h"
#include "scrape/static_discovery.h"
#include "scrape/target_labels.h"
#include "tsdb/db.h"

namespace andon::scrape {
namespace {

namespace asio = boost::asio;

// Two scrape configs with equal fingerprints scrape identically: the effective YAML plus
// the credentials the YAML dump redacts.
std::string Fingerprint(const config::ScrapeConfig& sc) {
  config::Config c;
  c.scrape_configs.push_back(sc);
  std::string fp = c.ToRedactedYaml();
  const auto& h = sc.http_client;
  if (h.basic_auth) fp += "\nbasic:" + h.basic_auth->password.Reveal();
  if (h.authorization) fp += "\nauthz:" + h.authorization->credentials.Reveal();
  return fp;
}

std::string TargetKey(const TargetLabels& t) { return t.labels.ToString() + "\n" + t.url; }

}  // namespace

// One scrape_config's targets. Discovery updates, reconfiguration and target sync run on
// the pool's strand; loops_ and dropped_ are also read by API snapshots under mu_.
// discoverers_ belong to the ApplyConfig()/Stop() caller.
class ScrapePool : public std::enable_shared_from_this<ScrapePool> {
 public:
  using LoopExecutors = std::function<asio::any_io_executor()>;

  ScrapePool(asio::any_io_executor ex, LoopExecutors loop_executors, std::string name,
             AppenderFactory appenders, ScrapeLimitCounters limits,
             std::shared_ptr<PendingHandlers> loops_running)
      : loop_executors_(std::move(loop_executors)),
        strand_(asio::make_strand(ex)),
        name_(std::move(name)),
        appenders_(std::move(appenders)),
        limits_(limits),
        loops_running_(std::move(loops_running)) {}

  const std::string& fingerprint() const { return fingerprint_; }

  // Caller thread: replaces the discoverers and (on the strand) the config.
  void Reconfigure(std::shared_ptr<const config::ScrapeConfig> cfg, std::string fingerprint,
                   std::vector<std::unique_ptr<Discoverer>> discoverers) {
    StopDiscoverers();
    fingerprint_ = std::move(fingerprint);
    uint64_t gen = ++generation_counter_;
    size_t n = discoverers.size();
    asio::post(strand_,
               [self = shared_from_this(), cfg, gen, n] { self->OnReconfigure(cfg, gen, n); });
    discoverers_ = std::move(discoverers);
    for (size_t i = 0; i < discoverers_.size(); ++i) {
      discoverers_[i]->Start([weak = weak_from_this(), gen, i](std::vector<TargetGroup> groups) {
        auto self = weak.lock();
        if (!self) return;
        asio::post(self->strand_, [self, gen, i, groups = std::move(groups)]() mutable {
          self->OnUpdate(gen, i, std::move(groups));
        });
      });
    }
  }

  void StopDiscoverers() {
    for (auto& d : discoverers_) d->Stop();
    discoverers_.clear();
  }

  // Caller thread: stops discoverers, then (on the strand) every loop. `done` runs when
  // the pool has issued all stops.
  void Close(bool stale_markers, std::function<void()> done) {
    StopDiscoverers();
    asio::post(strand_, [self = shared_from_this(), stale_markers, done = std::move(done)] {
      self->closed_ = true;
      std::lock_guard lock(self->mu_);
      for (auto& [key, loop] : self->loops_) self->StopLoop(loop, stale_markers);
      self->loops_.clear();
      self->dropped_.clear();
      if (done) done();
    });
  }

  void Snapshot(std::vector<ActiveTarget>* active, std::vector<DroppedTarget>* dropped,
                std::vector<TargetMetadata>* metadata) const {
    std::lock_guard lock(mu_);
    for (const auto& [key, loop] : loops_) {
      const TargetLabels& t = loop->target();
      if (active) {
        active->push_back(
            {name_, t.discovered, t.labels, t.url, t.interval_ms, t.timeout_ms, loop->Health()});
      }
      if (metadata) metadata->push_back({name_, t.labels, loop->Metadata()});
    }
    if (dropped) {
      for (const Labels& l : dropped_) dropped->push_back({name_, l});
    }
  }

 private:
  void StopLoop(const std::shared_ptr<ScrapeLoop>& loop, bool stale) {
    loop->Stop(stale, [running = loops_running_] { running->Done(); });
  }

  void OnReconfigure(std::shared_ptr<const config::ScrapeConfig> cfg, uint64_t gen, size_t n) {
    if (closed_) return;
    // The running loops keep the old settings until every new discoverer has reported;
    // then they are all replaced at once, so a target that is gone is marked stale by the
    // loop that scraped it.
    restart_pending_ = cfg_ != nullptr;
    cfg_ = std::move(cfg);
    generation_ = gen;
    groups_.clear();
    reported_.assign(n, false);
    awaiting_ = n;
    if (n == 0) SyncAfterReports();
  }

  void SyncAfterReports() {
    Sync(restart_pending_);
    restart_pending_ = false;
  }

  void OnUpdate(uint64_t gen, size_t idx, std::vector<TargetGroup> groups) {
    if (closed_ || gen != generation_ || idx >= reported_.size()) return;
    for (TargetGroup& g : groups) {
      auto key = std::make_pair(idx, g.source);
      if (g.targets.empty()) {
        groups_.erase(key);
      } else {
        groups_[key] = std::move(g);
      }
    }
    if (!reported_[idx]) {
      reported_[idx] = true;
      --awaiting_;
    }
    if (awaiting_ == 0) SyncAfterReports();
  }

  // Matches the loops to the targets of groups_. With `restart` every loop is replaced
  // (the config changed); loops of targets still wanted stop without staleness markers.
  void Sync(bool restart) {
    std::map<std::string, TargetLabels> want;
    std::vector<Labels> dropped;
    for (const auto& [key, group] : groups_) {
      GroupTargets gt = TargetsFromGroup(group, *cfg_);
      for (const Status& err : gt.errors) {
        LogWarn("scrape", "creating target failed",
                {{"scrape_pool", name_}, {"err", err.message()}});
      }
      for (TargetLabels& t : gt.targets) {
        if (t.dropped) {
          dropped.push_back(std::move(t.discovered));
        } else {
          std::string k = TargetKey(t);
          want.emplace(std::move(k), std::move(t));
        }
      }
    }
    std::lock_guard lock(mu_);
    for (auto it = loops_.begin(); it != loops_.end();) {
      bool wanted = want.count(it->first) > 0;
      if (restart || !wanted) {
        StopLoop(it->second, /*stale=*/!wanted);
        it = loops_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [k, t] : want) {
      if (loops_.count(k) > 0) continue;
      auto loop = ScrapeLoop::Create(loop_executors_(), cfg_, std::move(t), appenders_, limits_);
      if (!loop.ok()) {
        LogWarn("scrape", "creating scrape loop failed",
                {{"scrape_pool", name_}, {"err", loop.status().message()}});
        continue;
      }
      loops_running_->Add();
      (*loop)->Start();
      loops_.emplace(k, std::move(loop).value());
    }
    dropped_ = std::move(dropped);
  }

  LoopExecutors loop_executors_;
  asio::strand<asio::any_io_executor> strand_;
  const std::string name_;
  AppenderFactory appenders_;
  const ScrapeLimitCounters limits_;
  std::shared_ptr<PendingHandlers> loops_running_;

  // Caller thread only.
  std::string fingerprint_;
  std::vector<std::unique_ptr<Discoverer>> discoverers_;
  uint64_t generation_counter_ = 0;

  // Strand only.
  std::shared_ptr<const config::ScrapeConfig> cfg_;
  uint64_t generation_ = 0;
  std::map<std::pair<size_t, std::string>, TargetGroup> groups_;
  std::vector<bool> reported_;
  size_t awaiting_ = 0;
  bool restart_pending_ = false;
  bool closed_ = false;

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<ScrapeLoop>> loops_;  // guarded by mu_
  std::vector<Labels> dropped_;                               // guarded by mu_
};

ScrapeManager::ScrapeManager(AppenderFactory appenders, ScrapeManagerOptions options)
    : appenders_(std::move(appenders)),
      options_(std::move(options)),
      limits_(ScrapeLimitCounters::Register(options_.metrics)),
      loops_running_(std::make_shared<PendingHandlers>()) {
  const int n = std::max(1, options_.threads);
  for (int i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->work.emplace(w->ioc.get_executor());
    w->thread = std::thread([ioc = &w->ioc] { ioc->run(); });
    workers_.push_back(std::move(w));
  }
}

asio::any_io_executor ScrapeManager::NextLoopExecutor() {
  return workers_[next_worker_.fetch_add(1) % workers_.size()]->ioc.get_executor();
}

ScrapeManager::ScrapeManager(Db& db, ScrapeManagerOptions options)
    : ScrapeManager([&db] { return db.NewAppender(); }, std::move(options)) {}

ScrapeManager::~ScrapeManager() { Stop(); }

std::vector<std::unique_ptr<Discoverer>> ScrapeManager::MakeDiscoverers(
    const config::ScrapeConfig& cfg) {
  std::vector<std::unique_ptr<Discoverer>> out;
  auto ex = workers_.front()->ioc.get_executor();
  if (!cfg.static_configs.empty()) {
    out.push_back(std::make_unique<StaticDiscoverer>(ex, cfg.static_configs));
  }
  for (const auto& f : cfg.file_sd_configs) {
    FileDiscoverer::Options o;
    o.poll_interval = options_.file_sd_poll_interval;
    out.push_back(std::make_unique<FileDiscoverer>(ex, f, o));
  }
  for (const auto& k : cfg.kubernetes_sd_configs) {
    out.push_back(MakeKubernetesDiscoverer(ex, k));
  }
  if (options_.extra_discoverers) {
    for (auto& d : options_.extra_discoverers(cfg, ex)) {
      if (d) out.push_back(std::move(d));
    }
  }
  return out;
}

Status ScrapeManager::ApplyConfig(const config::Config& config) {
  std::lock_guard apply(apply_mu_);
  if (stopped_) return Status::Unavailable("scrape manager is stopped");
  std::map<std::string, std::shared_ptr<ScrapePool>> next;
  std::map<std::string, std::shared_ptr<ScrapePool>> current;
  {
    std::lock_guard lock(mu_);
    current = pools_;
  }
  for (const config::ScrapeConfig& sc : config.scrape_configs) {
    std::string fp = Fingerprint(sc);
    std::shared_ptr<ScrapePool> pool;
    if (auto it = current.find(sc.job_name); it != current.end()) {
      pool = it->second;
      current.erase(it);
      if (pool->fingerprint() == fp) {
        next[sc.job_name] = pool;
        continue;
      }
    } else {
      pool = std::make_shared<ScrapePool>(
          workers_.front()->ioc.get_executor(), [this] { return NextLoopExecutor(); }, sc.job_name,
          appenders_, limits_, loops_running_);
    }
    auto cfg = std::make_shared<const config::ScrapeConfig>(sc);
    pool->Reconfigure(cfg, std::move(fp), MakeDiscoverers(sc));
    next[sc.job_name] = pool;
  }
  for (auto& [name, pool] : current) pool->Close(/*stale_markers=*/true, nullptr);
  std::lock_guard lock(mu_);
  pools_ = std::move(next);
  return Status::Ok();
}

void ScrapeManager::Stop() {
  std::lock_guard apply(apply_mu_);
  if (stopped_) return;
  stopped_ = true;
  std::map<std::string, std::shared_ptr<ScrapePool>> pools;
  {
    std::lock_guard lock(mu_);
    pools.swap(pools_);
  }
  std::vector<std::future<void>> closed;
  for (auto& [name, pool] : pools) {
    auto done = std::make_shared<std::promise<void>>();
    closed.push_back(done->get_future());
    pool->Close(/*stale_markers=*/false, [done] { done->set_value(); });
  }
  for (auto& f : closed) f.wait();
  loops_running_->WaitIdle();
  pools.clear();
  for (auto& w : workers_) w->work.reset();
  for (auto& w : workers_) w->thread.join();
}

std::vector<ActiveTarget> ScrapeManager::ActiveTargets() const {
  std::lock_guard lock(mu_);
  std::vector<ActiveTarget> out;
  for (const auto& [name, pool] : pools_) pool->Snapshot(&out, nullptr, nullptr);
  return out;
}

std::vector<DroppedTarget> ScrapeManager::DroppedTargets() const {
  std::lock_guard lock(mu_);
  std::vector<DroppedTarget> out;
  for (const auto& [name, pool] : pools_) pool->Snapshot(nullptr, &out, nullptr);
  return out;
}

std::vector<TargetMetadata> ScrapeManager::Metadata() const {
  std::lock_guard lock(mu_);
  std::vector<TargetMetadata> out;
  for (const auto& [name, pool] : pools_) pool->Snapshot(nullptr, nullptr, &out);
  return out;
}

}  // namespace andon::scrape
