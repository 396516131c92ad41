// alerting/silences.h
//
// Silences: the silence store of the alert router, with Alertmanager 0.25's rules.
//
// A Silence mutes every alert whose labels match all its matchers while it is active. Its
// state follows from the clock: pending before starts_at, active on [starts_at, ends_at),
// expired from ends_at on. (Alertmanager keeps a silence active through the ends_at instant
// itself; at millisecond resolution that would leave an expired-just-now silence active for a
// millisecond, so the end is exclusive here.)
//
// Set() creates or updates, as Alertmanager's silences.Set does: a silence with an id is
// updated in place when only its times, author or comment change in a way that does not
// rewrite history (same matchers; an active one keeps its start and does not end in the
// past; a pending one does not start in the past); otherwise the old one is expired (if it
// was not already) and a new one with a fresh UUID v4 replaces it. A new silence starting in
// the past starts now. Errors carry Alertmanager's words ("silence invalid: ...",
// "Failed to create silence: ...", "silence not found") so the API can pass them through.
//
// Persistence: one RocksDB database in its own directory (e.g. <data>/alerting/silences),
// key = silence id, value = the JSON record described in docs/storage-format.md ("Silences").
// Every change is written with a synced WAL before the call returns; Open() reloads them.
// GC() deletes silences that expired more than `retention` ago (Alertmanager's
// --data.retention, 120h by default); the caller runs it periodically (Alertmanager: every
// 15 minutes). The gauge andon_silences{state="active|pending|expired"} is refreshed after
// every change and every GC().
//
// MutedBy() is the hot path (every alert of every dispatch): silences are indexed by one of
// their non-empty `name="value"` matchers, so an alert only looks at the silences indexed
// under one of its own labels plus the few without such a matcher. Silences already expired
// when the index was last rebuilt (at every change and GC) are left out of it, so MutedBy()
// asked about a time before the latest change may miss a silence that had ended by then.
// Thread-safe: reads share a lock, changes take it exclusively.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alerting/silencer.h"
#include "common/config.h"
#include "common/metrics_registry.h"
#include "common/status.h"

namespace rocksdb {
class DB;
}

namespace andon::alerting {

enum class SilenceState { kExpired, kActive, kPending };
// "expired", "active", "pending": the words of the API's status.state.
std::string_view SilenceStateName(SilenceState state);

struct Silence {
  std::string id;  // UUID v4; empty in Set() for a new silence
  // In the order given. config::Matcher: = != =~ !~ (API v2: isEqual/isRegex).
  std::vector<config::Matcher> matchers;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  int64_t updated_at_ms = 0;  // set by Set()/Expire()
  std::string created_by;
  std::string comment;

  SilenceState StateAt(int64_t now_ms) const;
  // All matchers match `labels` (an absent label reads as "").
  bool Matches(const Labels& labels) const;
};

struct SilencesOptions {
  std::string dir;                             // the RocksDB directory (created if absent)
  int64_t retention_ms = 120LL * 3600 * 1000;  // how long expired silences are kept
  std::function<int64_t()> now_ms;             // clock; empty: the system clock
  MetricsRegistry* registry = nullptr;         // empty: MetricsRegistry::Default()
};

class Silences final : public Silencer {
 public:
  // Opens (or creates) the store in options.dir and loads every silence. Fails on an
  // unreadable directory or a corrupt record (the error names the key).
  static Result<std::unique_ptr<Silences>> Open(SilencesOptions options);
  ~Silences() override;
  Silences(const Silences&) = delete;
  Silences& operator=(const Silences&) = delete;

  // Creates (empty id) or updates (existing id) a silence; returns the id now holding it
  // (a new one when the update had to replace the silence). InvalidArgument for validation
  // failures, NotFound ("silence not found") for an unknown id, IOError when the write fails.
  Result<std::string> Set(Silence silence);
  // Ends a silence now (a pending one becomes expired without ever being active). Expiring
  // an expired silence is a no-op, as in Alertmanager 0.25. NotFound for an unknown id.
  Status Expire(const std::string& id);
  std::optional<Silence> Get(const std::string& id) const;
  // Silences every `filter` matcher of which equals (name, operator, value) one of the
  // silence's matchers (Alertmanager's API filter), in the API's order: active by ends_at,
  // then pending by starts_at, then expired, most recently ended first.
  std::vector<Silence> List(const std::vector<config::Matcher>& filter, int64_t now_ms) const;

  std::vector<std::string> MutedBy(const Labels& labels, int64_t now_ms) const override;

  // Deletes silences whose ends_at is more than the retention before now; returns how many.
  Result<size_t> GC();

  int64_t Now() const { return now_ms_(); }
  size_t size() const;

 private:
  struct Key {  // an index key: one name="value" matcher
    std::string name;
    std::string value;
  };
  struct KeyView {
    std::string_view name;
    std::string_view value;
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(const Key& k) const { return Hash(k.name, k.value); }
    size_t operator()(const KeyView& k) const { return Hash(k.name, k.value); }
    static size_t Hash(std::string_view name, std::string_view value);
  };
  struct KeyEq {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return a.name == b.name && a.value == b.value;
    }
  };

  explicit Silences(SilencesOptions options);
  Status Load();
  // Writes `put` silences and deletes `del` ids in one synced batch, then applies them to
  // the in-memory state. REQUIRES: mu_ held exclusively.
  Status Commit(const std::vector<const Silence*>& put, const std::vector<std::string>& del);
  void RebuildIndex(int64_t now_ms);    // REQUIRES: mu_ held exclusively
  void RefreshMetrics(int64_t now_ms);  // REQUIRES: mu_ held
  std::string NewId();                  // REQUIRES: mu_ held exclusively

  const SilencesOptions options_;
  const std::function<int64_t()> now_ms_;
  GaugeFamily* gauge_ = nullptr;
  Gauge* active_ = nullptr;
  Gauge* pending_ = nullptr;
  Gauge* expired_ = nullptr;

  mutable std::shared_mutex mu_;
  std::unique_ptr<rocksdb::DB> db_;                    // guarded by mu_ for writes
  std::unordered_map<std::string, Silence> silences_;  // guarded by mu_; by id
  // Not-yet-expired silences (as of the last rebuild), by their first name="value" matcher
  // with a non-empty value; the rest in unindexed_. Pointers into silences_.
  std::unordered_map<Key, std::vector<const Silence*>, KeyHash, KeyEq> index_;  // mu_
  std::vector<const Silence*> unindexed_;                                       // mu_
  std::mt19937_64 rng_;                                                         // mu_
};

}  // namespace andon::alerting
