// tests/scrape/recording_appender.h
//
// SampleLog: a thread-safe in-memory record of committed samples, with an AppenderFactory
// whose Appenders buffer samples and publish them to the log on Commit() (discard on
// Rollback()), assigning series refs per label set like the head does. For tests that
// check exactly what a scrape loop appended; tests that need the real tsdb use Db.
// NullAppender accepts everything and allocates nothing (for allocation tests and benches).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "common/labels.h"
#include "scrape/scrape_loop.h"
#include "tsdb/appender.h"
#include "tsdb/sample.h"

namespace andon::testing {

struct LoggedSample {
  Labels labels;
  int64_t t;
  double v;
};

class SampleLog {
 public:
  std::vector<LoggedSample> All() const {
    std::lock_guard lock(mu_);
    return samples_;
  }
  // Samples of the series whose metric name is `name` (and, if given, label l=v).
  std::vector<LoggedSample> Of(std::string_view name, std::string_view l = "",
                               std::string_view v = "") const {
    std::lock_guard lock(mu_);
    std::vector<LoggedSample> out;
    for (const auto& s : samples_) {
      if (s.labels.MetricName() != name) continue;
      if (!l.empty() && s.labels.Get(l) != v) continue;
      out.push_back(s);
    }
    return out;
  }
  int commits() const {
    std::lock_guard lock(mu_);
    return commits_;
  }
  scrape::AppenderFactory Factory() {
    return [this] { return std::unique_ptr<Appender>(new LogAppender(this)); };
  }

 private:
  class LogAppender : public Appender {
   public:
    explicit LogAppender(SampleLog* log) : log_(log) {}
    Result<SeriesRef> Append(SeriesRef ref, const Labels& labels, int64_t t, double v) override {
      SeriesRef r = log_->RefOf(labels);
      if (ref != 0 && ref != r) return Status::Internal("appender got a wrong ref");
      pending_.push_back({labels, t, v});
      return r;
    }
    Status Commit() override {
      std::lock_guard lock(log_->mu_);
      for (auto& s : pending_) log_->samples_.push_back(std::move(s));
      pending_.clear();
      ++log_->commits_;
      return Status::Ok();
    }
    void Rollback() override { pending_.clear(); }

   private:
    SampleLog* log_;
    std::vector<LoggedSample> pending_;
  };

  SeriesRef RefOf(const Labels& l) {
    std::lock_guard lock(mu_);
    auto [it, added] = refs_.emplace(l, refs_.size() + 1);
    return it->second;
  }

  mutable std::mutex mu_;
  std::vector<LoggedSample> samples_;
  std::map<Labels, SeriesRef> refs_;
  int commits_ = 0;
};

// Accepts every sample; hands out refs 1, 2, ... for ref 0. Allocates nothing.
class NullAppender : public Appender {
 public:
  Result<SeriesRef> Append(SeriesRef ref, const Labels&, int64_t, double v) override {
    sink_ += v;
    ++appended_;
    return ref != 0 ? ref : ++next_;
  }
  Status Commit() override { return Status::Ok(); }
  void Rollback() override {}
  uint64_t appended() const { return appended_; }

 private:
  SeriesRef next_ = 0;
  uint64_t appended_ = 0;
  double sink_ = 0;
};

}  // namespace andon::testing
