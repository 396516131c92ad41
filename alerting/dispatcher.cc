// alerting/dispatcher.cc
#include "alerting/dispatcher.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "alerting/alert_json.h"
#include "alerting/alert_store.h"
#include "alerting/inhibitor.h"
#include "common/logger.h"

namespace andon::alerting {
namespace {

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Alertmanager's DedupStage.needsUpdate.
bool NeedsUpdate(const std::optional<NotificationLogEntry>& entry,
                 const std::vector<uint64_t>& firing, const std::vector<uint64_t>& resolved,
                 bool send_resolved, int64_t repeat_interval_ms, int64_t now_ms) {
  if (!entry) return !firing.empty();
  if (!entry->FiringContains(firing)) return true;
  if (firing.empty()) return !entry->firing.empty();
  if (send_resolved && !entry->ResolvedContains(resolved)) return true;
  return entry->timestamp_ms < now_ms - repeat_interval_ms;
}

using GroupId = std::pair<std::string, Labels>;  // route id, group labels
struct FlushState;

struct Group {
  const RouteNode* route = nullptr;
  Labels labels;
  std::string key;
  std::map<Labels, StoredAlert> alerts;
  int64_t next_flush_ms = 0;
  bool has_flushed = false;
  const FlushState* in_flight = nullptr;  // the flush awaiting its `done`s
};

// One flush's progress over its integrations.
struct FlushState {
  GroupId group;
  std::vector<std::pair<Labels, uint64_t>> resolved_versions;  // resolved at the flush
  size_t pending = 0;
  bool failed = false;
};

// One unit of work decided under the lock and run outside it.
struct Job {
  std::shared_ptr<Notifier> notifier;  // null: only log (nothing to send)
  Notification notification;
  NotificationLogEntry entry;
  std::shared_ptr<FlushState> flush;
};

// What a configuration compiles into; replaced as a whole by Reload. Immutable but for
// the inhibitor's source alerts (which it locks itself).
struct Routing {
  RouteTree tree;
  Integrations integrations;
  std::map<std::string, TimeIntervalMatcher> time_intervals;
  std::unique_ptr<Inhibitor> inhibitor;
};

Result<std::shared_ptr<const Routing>> CompileRouting(const config::RouterConfig& config,
                                                      Integrations integrations,
                                                      const std::string& zoneinfo_dir) {
  auto tree = RouteTree::Build(config.route);
  if (!tree.ok()) return tree.status();
  std::map<std::string, TimeIntervalMatcher> intervals;
  for (const config::TimeInterval& ti : config.time_intervals) {
    auto m = TimeIntervalMatcher::Compile(ti, zoneinfo_dir);
    if (!m.ok()) return m.status();
    intervals.emplace(ti.name, std::move(m).value());
  }
  for (const RouteNode* n : tree->AllNodes()) {
    const RouteOptions& o = n->options();
    if (config.FindReceiver(o.receiver) == nullptr) {
      return Status::InvalidArgument("undefined receiver \"" + o.receiver + "\" used in route " +
                                     n->key());
    }
    for (const auto* names : {&o.mute_time_intervals, &o.active_time_intervals}) {
      for (const std::string& name : *names) {
        if (intervals.count(name) == 0) {
          return Status::InvalidArgument("undefined time interval \"" + name + "\" used in route " +
                                         n->key());
        }
      }
    }
  }
  auto r = std::make_shared<Routing>(Routing{std::move(tree).value(), std::move(integrations),
                                             std::move(intervals),
                                             std::make_unique<Inhibitor>(config.inhibit_rules)});
  return std::shared_ptr<const Routing>(std::move(r));
}

}  // namespace

struct Dispatcher::Core : std::enable_shared_from_this<Dispatcher::Core> {
  explicit Core(int64_t resolve_timeout_ms) : store(resolve_timeout_ms) {}

  // Immutable after Create.
  const Silencer* silencer = nullptr;
  NotificationLog* nflog = nullptr;
  std::unique_ptr<NotificationLog> own_nflog;  // when none was given
  DispatcherOptions options;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::shared_ptr<const Routing> routing;            // GUARDED_BY(mu)
  AlertStore store;                                  // GUARDED_BY(mu)
  std::map<GroupId, std::unique_ptr<Group>> groups;  // GUARDED_BY(mu)
  int64_t next_gc_ms = 0;                            // GUARDED_BY(mu)
  uint64_t wakeups = 0;                              // GUARDED_BY(mu)
  bool stopping = false;                             // GUARDED_BY(mu)

  // Metrics (null without a registry); updated under mu.
  Counter* received_firing = nullptr;
  Counter* received_resolved = nullptr;
  Gauge* alerts_gauge = nullptr;
  Gauge* groups_gauge = nullptr;

  int64_t Now() const { return options.clock(); }

  void UpdateGaugesLocked() {
    if (alerts_gauge != nullptr) alerts_gauge->Set(static_cast<double>(store.size()));
    if (groups_gauge != nullptr) groups_gauge->Set(static_cast<double>(groups.size()));
  }

  bool InAny(const std::vector<std::string>& names, int64_t now_ms) const {
    for (const std::string& n : names) {
      auto it = routing->time_intervals.find(n);
      if (it != routing->time_intervals.end() && it->second.Contains(now_ms)) return true;
    }
    return false;
  }

  void Insert(const RouteNode* route, const StoredAlert& a, int64_t now_ms) {
    Labels group_labels = route->GroupLabels(a.alert.labels);
    GroupId id{route->id(), group_labels};
    auto it = groups.find(id);
    if (it == groups.end()) {
      auto g = std::make_unique<Group>();
      g->route = route;
      g->labels = group_labels;
      g->key = route->GroupKey(group_labels);
      g->next_flush_ms = now_ms + route->options().group_wait_ms;
      it = groups.emplace(std::move(id), std::move(g)).first;
    }
    Group& g = *it->second;
    g.alerts[a.alert.labels] = a;
    // An alert that started more than group_wait ago flushes a new group at once.
    if (!g.has_flushed && a.alert.starts_at_ms + route->options().group_wait_ms < now_ms) {
      g.next_flush_ms = std::min(g.next_flush_ms, now_ms);
    }
  }

  // Removes the resolved alerts unchanged since the flush; drops an empty group. A group
  // rebuilt by a Reload meanwhile is not this flush's and is left alone.
  void FinishFlushLocked(const FlushState& st) {
    auto it = groups.find(st.group);
    if (it == groups.end() || it->second->in_flight != &st) return;
    Group& g = *it->second;
    g.in_flight = nullptr;
    if (st.failed) return;
    for (const auto& [labels, version] : st.resolved_versions) {
      auto a = g.alerts.find(labels);
      if (a != g.alerts.end() && a->second.version == version) g.alerts.erase(a);
    }
    if (g.alerts.empty()) groups.erase(it);
  }

  // Runs the pipeline of one due group; appends the work to do outside the lock.
  void FlushLocked(const GroupId& id, Group& g, int64_t now_ms, std::vector<Job>* jobs) {
    const RouteOptions& ro = g.route->options();
    g.next_flush_ms = now_ms + ro.group_interval_ms;
    if (g.in_flight != nullptr) return;
    g.has_flushed = true;

    auto st = std::make_shared<FlushState>();
    st->group = id;
    std::vector<Alert> alerts;
    std::vector<uint64_t> firing, resolved;
    for (const auto& [labels, sa] : g.alerts) {
      Alert a = sa.alert;
      if (a.ResolvedAt(now_ms)) {
        st->resolved_versions.emplace_back(labels, sa.version);
      } else {
        a.ends_at_ms = 0;  // alerts do not resolve while the notification travels
      }
      if (routing->inhibitor->Mutes(labels, now_ms)) continue;
      if (silencer != nullptr && !silencer->MutedBy(labels, now_ms).empty()) continue;
      (a.ends_at_ms == 0 ? firing : resolved).push_back(a.Fingerprint());
      alerts.push_back(std::move(a));
    }
    if (InAny(ro.mute_time_intervals, now_ms)) alerts.clear();
    if (!ro.active_time_intervals.empty() && !InAny(ro.active_time_intervals, now_ms)) {
      alerts.clear();
    }
    std::sort(firing.begin(), firing.end());
    std::sort(resolved.begin(), resolved.end());

    size_t before = jobs->size();
    auto recv = routing->integrations.find(ro.receiver);
    if (!alerts.empty() && recv != routing->integrations.end()) {
      for (size_t i = 0; i < recv->second.size(); ++i) {
        const std::shared_ptr<Notifier>& n = recv->second[i];
        NotificationLogEntry entry;
        entry.receiver = ro.receiver;
        entry.integration = std::string(n->integration());
        entry.integration_index = static_cast<uint32_t>(i);
        entry.group_key = g.key;
        std::optional<NotificationLogEntry> last =
            nflog ? nflog->Query(entry.receiver, entry.integration, entry.integration_index,
                                 entry.group_key)
                  : std::nullopt;
        if (!NeedsUpdate(last, firing, resolved, n->send_resolved(), ro.repeat_interval_ms,
                         now_ms)) {
          continue;
        }
        entry.firing = firing;
        entry.resolved = resolved;
        Job job;
        job.flush = st;
        if (n->send_resolved() || !firing.empty()) {
          job.notifier = n;
          Notification& nt = job.notification;
          nt.receiver = ro.receiver;
          nt.group_key = g.key;
          nt.group_labels = g.labels;
          nt.external_url = options.external_url;
          nt.now_ms = now_ms;
          for (const Alert& a : alerts) {
            if (n->send_resolved() || a.ends_at_ms == 0) nt.alerts.push_back(a);
          }
        }
        job.entry = std::move(entry);
        jobs->push_back(std::move(job));
      }
    }
    st->pending = jobs->size() - before;
    g.in_flight = st.get();
    if (st->pending == 0) FinishFlushLocked(*st);  // may erase g
  }

  void JobDone(const std::shared_ptr<FlushState>& st, bool ok) {
    std::lock_guard lock(mu);
    if (!ok) st->failed = true;
    if (--st->pending == 0) {
      FinishFlushLocked(*st);
      UpdateGaugesLocked();
    }
  }
};

namespace {

// Logs the successful delivery, then reports to the flush (when the dispatcher lives).
void CompleteJob(const std::weak_ptr<Dispatcher::Core>& weak, NotificationLog* nflog,
                 const std::function<int64_t()>& clock, NotificationLogEntry entry,
                 const std::shared_ptr<FlushState>& st, Status status) {
  std::shared_ptr<Dispatcher::Core> core = weak.lock();
  if (!status.ok()) {
    LogWarn(
        "alerting", "notify for alerts failed",
        {{"receiver", entry.receiver},
         {"integration", entry.integration + "[" + std::to_string(entry.integration_index) + "]"},
         {"group_key", entry.group_key},
         {"err", status.message()}});
  } else if (nflog != nullptr && core) {
    entry.timestamp_ms = clock();
    Status s = nflog->Log(std::move(entry));
    if (!s.ok()) {
      LogError("alerting", "recording notification failed", {{"err", s.message()}});
      status = s;
    }
  }
  if (core) core->JobDone(st, status.ok());
}

}  // namespace

Result<std::unique_ptr<Dispatcher>> Dispatcher::Create(const config::RouterConfig& config,
                                                       Integrations integrations,
                                                       const Silencer* silencer,
                                                       NotificationLog* nflog,
                                                       DispatcherOptions options) {
  auto routing = CompileRouting(config, std::move(integrations), options.zoneinfo_dir);
  if (!routing.ok()) return routing.status();
  if (!options.clock) options.clock = SystemNowMs;
  auto core = std::make_shared<Core>(config.global.resolve_timeout_ms);
  core->routing = std::move(routing).value();
  core->silencer = silencer;
  if (nflog == nullptr) {
    core->own_nflog = NotificationLog::InMemory();
    nflog = core->own_nflog.get();
  }
  core->nflog = nflog;
  core->options = std::move(options);
  if (MetricsRegistry* reg = core->options.registry) {
    auto received = reg->RegisterCounter("andon_alerts_received_total",
                                         "Alerts received by the alert router.", {"status"});
    auto alerts = reg->RegisterGauge("andon_alerts",
                                     "Alerts held by the alert router (firing, and resolved "
                                     "ones not yet garbage-collected).");
    auto groups =
        reg->RegisterGauge("andon_alert_aggregation_groups", "Aggregation groups of the router.");
    if (!received.ok()) return received.status();
    if (!alerts.ok()) return alerts.status();
    if (!groups.ok()) return groups.status();
    core->received_firing = &(*received)->WithLabels({"firing"});
    core->received_resolved = &(*received)->WithLabels({"resolved"});
    core->alerts_gauge = &(*alerts)->WithLabels();
    core->groups_gauge = &(*groups)->WithLabels();
  }
  core->next_gc_ms = core->Now() + core->options.gc_interval_ms;
  return std::unique_ptr<Dispatcher>(new Dispatcher(std::move(core)));
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Send(std::vector<Alert> alerts) {
  Core& c = *core_;
  const int64_t now = c.Now();
  {
    std::lock_guard lock(c.mu);
    for (Alert& a : alerts) {
      if (a.labels.empty()) continue;
      if (c.received_firing != nullptr) {
        (a.ResolvedAt(now) ? c.received_resolved : c.received_firing)->Inc();
      }
      const StoredAlert& stored = c.store.Put(std::move(a), now);
      c.routing->inhibitor->Observe(stored.alert);
      for (const RouteNode* route : c.routing->tree.Match(stored.alert.labels)) {
        c.Insert(route, stored, now);
      }
    }
    c.UpdateGaugesLocked();
    ++c.wakeups;
  }
  c.cv.notify_all();
}

size_t Dispatcher::RunDue() {
  Core& c = *core_;
  const int64_t now = c.Now();
  std::vector<Job> jobs;
  size_t flushed = 0;
  bool gc = false;
  {
    std::lock_guard lock(c.mu);
    if (now >= c.next_gc_ms) {
      gc = true;
      c.next_gc_ms = now + c.options.gc_interval_ms;
      for (const Labels& l : c.store.GarbageCollect(now)) c.routing->inhibitor->Remove(l);
    }
    std::vector<std::pair<int64_t, const GroupId*>> due;
    for (const auto& [id, g] : c.groups) {
      if (g->next_flush_ms <= now) due.emplace_back(g->next_flush_ms, &id);
    }
    std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : *a.second < *b.second;
    });
    std::vector<GroupId> ids;
    for (const auto& [t, id] : due) ids.push_back(*id);
    for (const GroupId& id : ids) {
      auto it = c.groups.find(id);
      if (it == c.groups.end()) continue;
      c.FlushLocked(id, *it->second, now, &jobs);  // may erase the group
      ++flushed;
    }
    c.UpdateGaugesLocked();
  }
  if (gc && c.nflog != nullptr) {
    auto n = c.nflog->GarbageCollect(now);
    if (!n.ok())
      LogError("alerting", "notification log gc failed", {{"err", n.status().message()}});
  }
  std::weak_ptr<Core> weak = core_;
  for (Job& job : jobs) {
    auto done = [weak, nflog = c.nflog, clock = c.options.clock, entry = job.entry,
                 st = job.flush](Status s) mutable {
      CompleteJob(weak, nflog, clock, std::move(entry), st, std::move(s));
    };
    if (job.notifier) {
      job.notifier->Notify(std::move(job.notification), std::move(done));
    } else {
      done(Status::Ok());
    }
  }
  return flushed;
}

std::optional<int64_t> Dispatcher::NextFlushMs() const {
  std::lock_guard lock(core_->mu);
  std::optional<int64_t> next;
  for (const auto& [id, g] : core_->groups) {
    if (!next || g->next_flush_ms < *next) next = g->next_flush_ms;
  }
  return next;
}

void Dispatcher::Start() {
  std::lock_guard tl(thread_mu_);
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(core_->mu);
    core_->stopping = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void Dispatcher::Stop() {
  std::lock_guard tl(thread_mu_);
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(core_->mu);
    core_->stopping = true;
  }
  core_->cv.notify_all();
  thread_.join();
}

void Dispatcher::Wake() {
  {
    std::lock_guard lock(core_->mu);
    ++core_->wakeups;
  }
  core_->cv.notify_all();
}

void Dispatcher::Loop() {
  Core& c = *core_;
  std::unique_lock lock(c.mu);
  while (!c.stopping) {
    const int64_t now = c.Now();
    int64_t next = c.next_gc_ms;
    for (const auto& [id, g] : c.groups) next = std::min(next, g->next_flush_ms);
    if (next <= now) {
      lock.unlock();
      RunDue();
      lock.lock();
      continue;
    }
    // At most a second at a time, so a clock that jumps is noticed.
    const uint64_t seen = c.wakeups;
    c.cv.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(next - now, 1000)),
                  [&] { return c.stopping || c.wakeups != seen; });
  }
}

namespace {

AlertStatusView MakeView(const Dispatcher::Core& c, const StoredAlert& sa, int64_t now_ms) {
  AlertStatusView v;
  v.alert = sa.alert;
  v.fingerprint = AlertmanagerFingerprint(sa.alert.labels);
  v.updated_at_ms = sa.updated_ms;
  if (c.silencer != nullptr) v.silenced_by = c.silencer->MutedBy(sa.alert.labels, now_ms);
  if (auto by = c.routing->inhibitor->InhibitedBy(sa.alert.labels, now_ms)) {
    v.inhibited_by.push_back(std::move(*by));
  }
  v.state = v.silenced_by.empty() && v.inhibited_by.empty() ? "active" : "suppressed";
  for (const RouteNode* r : c.routing->tree.Match(sa.alert.labels)) {
    v.receivers.push_back(r->options().receiver);
  }
  return v;
}

}  // namespace

std::vector<AlertStatusView> Dispatcher::Alerts() const {
  const Core& c = *core_;
  const int64_t now = c.Now();
  std::lock_guard lock(c.mu);
  std::vector<AlertStatusView> out;
  for (const StoredAlert& sa : c.store.List()) {
    if (sa.alert.ResolvedAt(now)) continue;
    out.push_back(MakeView(c, sa, now));
  }
  return out;
}

std::vector<AlertGroupView> Dispatcher::Groups() const {
  const Core& c = *core_;
  const int64_t now = c.Now();
  std::lock_guard lock(c.mu);
  std::vector<AlertGroupView> out;
  for (const auto& [id, g] : c.groups) {
    AlertGroupView v;
    for (const auto& [labels, sa] : g->alerts) {
      if (sa.alert.ResolvedAt(now)) continue;
      v.alerts.push_back(MakeView(c, sa, now));
    }
    if (v.alerts.empty()) continue;
    v.labels = g->labels;
    v.receiver = g->route->options().receiver;
    v.group_key = g->key;
    v.route_id = g->route->id();
    out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end(), [](const AlertGroupView& a, const AlertGroupView& b) {
    if (a.labels == b.labels) return a.receiver < b.receiver;
    return a.labels < b.labels;
  });
  return out;
}

Status Dispatcher::Reload(const config::RouterConfig& config, Integrations integrations) {
  Core& c = *core_;
  auto routing = CompileRouting(config, std::move(integrations), c.options.zoneinfo_dir);
  if (!routing.ok()) return routing.status();
  const int64_t now = c.Now();
  {
    std::lock_guard lock(c.mu);
    c.routing = std::move(routing).value();
    c.store.set_resolve_timeout_ms(config.global.resolve_timeout_ms);
    c.groups.clear();
    for (const StoredAlert& sa : c.store.List()) {
      c.routing->inhibitor->Observe(sa.alert);
      for (const RouteNode* route : c.routing->tree.Match(sa.alert.labels)) {
        c.Insert(route, sa, now);
      }
    }
    c.UpdateGaugesLocked();
    ++c.wakeups;
  }
  c.cv.notify_all();
  return Status::Ok();
}

std::shared_ptr<const RouteTree> Dispatcher::route_tree() const {
  std::lock_guard lock(core_->mu);
  return std::shared_ptr<const RouteTree>(core_->routing, &core_->routing->tree);
}

size_t Dispatcher::group_count() const {
  std::lock_guard lock(core_->mu);
  return core_->groups.size();
}

}  // namespace andon::alerting
