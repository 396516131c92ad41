// alerting/alert_store.h
//
// AlertStore: the router's current alerts (Alertmanager's alert provider), one per label
// set, merged as Alertmanager 0.25 merges a received alert into the one it has:
//   - an alert without starts_at starts at its arrival; one without ends_at gets
//     arrival + resolve_timeout and is marked `timeout` (it resolves unless re-sent);
//   - when the new alert's activity range overlaps the stored one's, they are merged: the
//     newer one wins (annotations, generator URL, ends_at), except that the earliest
//     starts_at is kept, a later ends_at of two resolved alerts is kept, and a later
//     explicit (non-timeout) ends_at of the older alert is kept over the newer one's;
//   - otherwise (a new activity period) the new alert replaces the stored one.
// Each stored version carries the time it was stored and a version number that changes
// on every Put, so the dispatcher can tell "not modified since I notified about it".
//
// GarbageCollect() drops alerts resolved at `now` (Alertmanager does this every 30 min;
// aggregation groups keep their own copies until they have notified the resolution).
//
// Not thread-safe: the Dispatcher guards its store with its own mutex.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "alerting/alert.h"
#include "common/labels.h"

namespace andon::alerting {

struct StoredAlert {
  Alert alert;
  bool timeout = false;    // ends_at came from resolve_timeout
  int64_t updated_ms = 0;  // when this version was stored
  uint64_t version = 0;    // unique per Put
};

class AlertStore {
 public:
  explicit AlertStore(int64_t resolve_timeout_ms) : resolve_timeout_ms_(resolve_timeout_ms) {}

  // Stores `alert` received at now_ms, merged with the stored one; returns the result.
  const StoredAlert& Put(Alert alert, int64_t now_ms);
  const StoredAlert* Get(const Labels& labels) const;
  // Every alert, sorted by labels.
  std::vector<StoredAlert> List() const;
  // Removes alerts resolved at now_ms; returns their labels.
  std::vector<Labels> GarbageCollect(int64_t now_ms);
  size_t size() const { return alerts_.size(); }
  // For alerts received from now on.
  void set_resolve_timeout_ms(int64_t ms) { resolve_timeout_ms_ = ms; }

 private:
  int64_t resolve_timeout_ms_;
  uint64_t next_version_ = 1;
  std::map<Labels, StoredAlert> alerts_;
};

}  // namespace andon::alerting
