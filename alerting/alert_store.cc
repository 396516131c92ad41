// alerting/alert_store.cc
#include "alerting/alert_store.h"

#include <utility>

namespace andon::alerting {
namespace {

// Alertmanager's types.Alert.Merge with `older` stored before `newer`.
StoredAlert Merge(const StoredAlert& older, StoredAlert newer, int64_t now_ms) {
  StoredAlert res = std::move(newer);
  if (older.alert.starts_at_ms < res.alert.starts_at_ms) {
    res.alert.starts_at_ms = older.alert.starts_at_ms;
  }
  const int64_t older_end = older.alert.ends_at_ms;
  if (res.alert.ResolvedAt(now_ms)) {
    if (older.alert.ResolvedAt(now_ms) && older_end > res.alert.ends_at_ms) {
      res.alert.ends_at_ms = older_end;
      res.timeout = older.timeout;
    }
  } else if (older_end > res.alert.ends_at_ms && !older.timeout) {
    res.alert.ends_at_ms = older_end;
    res.timeout = false;
  }
  return res;
}

}  // namespace

const StoredAlert& AlertStore::Put(Alert alert, int64_t now_ms) {
  StoredAlert in;
  if (alert.starts_at_ms == 0) alert.starts_at_ms = now_ms;
  if (alert.ends_at_ms == 0) {
    alert.ends_at_ms = now_ms + resolve_timeout_ms_;
    in.timeout = true;
  }
  in.alert = std::move(alert);
  in.updated_ms = now_ms;
  in.version = next_version_++;
  auto it = alerts_.find(in.alert.labels);
  if (it == alerts_.end()) {
    Labels key = in.alert.labels;
    return alerts_.emplace(std::move(key), std::move(in)).first->second;
  }
  const StoredAlert& old = it->second;
  const Alert& a = in.alert;
  const bool overlaps =
      (a.ends_at_ms > old.alert.starts_at_ms && a.ends_at_ms < old.alert.ends_at_ms) ||
      (a.starts_at_ms > old.alert.starts_at_ms && a.starts_at_ms < old.alert.ends_at_ms);
  if (overlaps) {
    it->second = Merge(old, std::move(in), now_ms);
  } else {
    it->second = std::move(in);
  }
  return it->second;
}

const StoredAlert* AlertStore::Get(const Labels& labels) const {
  auto it = alerts_.find(labels);
  return it == alerts_.end() ? nullptr : &it->second;
}

std::vector<StoredAlert> AlertStore::List() const {
  std::vector<StoredAlert> out;
  out.reserve(alerts_.size());
  for (const auto& [labels, a] : alerts_) out.push_back(a);
  return out;
}

std::vector<Labels> AlertStore::GarbageCollect(int64_t now_ms) {
  std::vector<Labels> removed;
  for (auto it = alerts_.begin(); it != alerts_.end();) {
    if (it->second.alert.ResolvedAt(now_ms)) {
      removed.push_back(it->first);
      it = alerts_.erase(it);
    } else {
      ++it;
    }
  }
  return removed;
}

}  // namespace andon::alerting
