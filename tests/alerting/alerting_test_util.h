// tests/alerting/alerting_test_util.h
//
// Fixtures for the router tests: a fake clock, a Notifier that records what it is given
// (answering done at once, or holding it until the test releases it), a temporary
// directory, and the router config parsed from alertmanager.yml text by the real parser.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "alerting/alert.h"
#include "alerting/notifier.h"
#include "alerting/silencer.h"
#include "common/config.h"

namespace andon::alerting::testing {

// 2024-01-15 10:00:00 UTC, a Monday.
inline constexpr int64_t kT0 = 1705312800000;
inline constexpr int64_t kSec = 1000;
inline constexpr int64_t kMin = 60 * kSec;
inline constexpr int64_t kHour = 60 * kMin;

class FakeClock {
 public:
  explicit FakeClock(int64_t now_ms = kT0) : now_(now_ms) {}
  int64_t Now() const { return now_.load(); }
  void Set(int64_t t) { now_.store(t); }
  void Advance(int64_t d) { now_.fetch_add(d); }
  std::function<int64_t()> AsFunction() {
    return [this] { return Now(); };
  }

 private:
  std::atomic<int64_t> now_;
};

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "andon-alerting-XXXXXX").string();
    root_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  std::string path(const std::string& sub) const { return root_ + "/" + sub; }

 private:
  std::string root_;
};

// Records every Notification. With hold(), `done` is kept until Release*(); otherwise it
// is called at once with the configured status.
class RecordingNotifier : public Notifier {
 public:
  RecordingNotifier(std::string integration = "webhook", bool send_resolved = true)
      : integration_(std::move(integration)), send_resolved_(send_resolved) {}

  std::string_view integration() const override { return integration_; }
  bool send_resolved() const override { return send_resolved_; }
  void Notify(Notification n, std::function<void(Status)> done) override {
    std::unique_lock lock(mu_);
    sent_.push_back(std::move(n));
    cv_.notify_all();
    if (hold_) {
      held_.push_back(std::move(done));
      return;
    }
    Status s = status_;
    lock.unlock();
    done(s);
  }

  void set_status(Status s) {
    std::lock_guard lock(mu_);
    status_ = std::move(s);
  }
  void hold(bool h) {
    std::lock_guard lock(mu_);
    hold_ = h;
  }
  void ReleaseAll(Status s) {
    std::vector<std::function<void(Status)>> held;
    {
      std::lock_guard lock(mu_);
      held.assign(held_.begin(), held_.end());
      held_.clear();
    }
    for (auto& d : held) d(s);
  }
  std::vector<Notification> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  size_t count() const {
    std::lock_guard lock(mu_);
    return sent_.size();
  }
  // Waits (bounded) until at least n notifications arrived; for the threaded tests.
  bool WaitForCount(size_t n, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return sent_.size() >= n; });
  }

 private:
  const std::string integration_;
  const bool send_resolved_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Notification> sent_;
  std::deque<std::function<void(Status)>> held_;
  Status status_;
  bool hold_ = false;
};

// A Silencer muting every label set that has `label`=`value`, with id "silence-1".
class LabelSilencer : public Silencer {
 public:
  LabelSilencer(std::string label, std::string value)
      : label_(std::move(label)), value_(std::move(value)) {}
  std::vector<std::string> MutedBy(const Labels& labels, int64_t) const override {
    if (labels.Get(label_) == value_) return {"silence-1"};
    return {};
  }

 private:
  std::string label_, value_;
};

inline config::RouterConfig RouterFromYaml(const std::string& yaml) {
  auto r = config::ParseAlertmanagerConfig(yaml, "alertmanager.yml", "");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : config::RouterConfig{};
}

inline Alert MakeAlert(Labels labels, int64_t starts_at, int64_t ends_at = 0) {
  Alert a;
  a.labels = std::move(labels);
  a.starts_at_ms = starts_at;
  a.ends_at_ms = ends_at;
  return a;
}

// "alertname/instance" of each alert of a notification, for compact assertions.
inline std::vector<std::string> Names(const Notification& n) {
  std::vector<std::string> out;
  for (const Alert& a : n.alerts) {
    std::string s(a.labels.Get("alertname"));
    if (a.labels.Has("instance")) s += "/" + std::string(a.labels.Get("instance"));
    if (a.ResolvedAt(n.now_ms)) s += "(resolved)";
    out.push_back(s);
  }
  return out;
}

}  // namespace andon::alerting::testing
