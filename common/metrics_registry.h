// common/metrics_registry.h
//
// Andon's self-instrumentation: a registry of metric families (Counter, Gauge, Histogram,
// and callback gauges/counters computed at scrape time) that Gather() turns into plain
// snapshots; common/text_exposition_writer.h renders those as the text format served on
// /metrics.
//
// Usage: register a family once at start-up, resolve the children a hot path needs once,
// keep the reference, and update it lock-free:
//
//   auto fam = MetricsRegistry::Default().RegisterCounter(
//       "andon_http_requests_total", "HTTP requests served.", {"method", "handler"});
//   Counter& get_metrics = (*fam)->WithLabels({"GET", "/metrics"});
//   get_metrics.Inc();  // one atomic add, no lock, no allocation
//
// Registration returns Result<Family*>: registering a name again with the same type,
// help, label names (and buckets) returns the existing family; any difference is an
// InvalidArgument error, as are invalid metric or label names. Families and children live
// as long as the registry (or until Unregister), so returned pointers and references stay
// valid and never move.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace andon {

enum class MetricType { kCounter, kGauge, kHistogram };

// The name the text format uses for a type: "counter", "gauge", "histogram".
std::string_view MetricTypeName(MetricType type);

// One child's values at Gather() time.
struct MetricSnapshot {
  std::vector<std::string> label_values;  // same order as FamilySnapshot::label_names
  double value = 0;                       // counter and gauge
  // Histogram only: cumulative counts, one per upper bound and a last one for +Inf
  // (which is also the observation count), and the sum of observations.
  std::vector<uint64_t> cumulative_counts;
  double sum = 0;
};

// One family's state at Gather() time; children are sorted by label values.
struct FamilySnapshot {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<std::string> label_names;
  std::vector<double> upper_bounds;  // histogram only, ascending, without +Inf
  std::vector<MetricSnapshot> metrics;
};

// A monotonically increasing value. Thread-safe and lock-free. Increments by whole numbers
// are a single atomic integer add; other increments use a compare-exchange on a double.
// Negative and NaN increments are ignored (a counter never goes down).
class Counter {
 public:
  void Inc() { whole_.fetch_add(1, std::memory_order_relaxed); }
  void Inc(double v);
  double Value() const;

 private:
  std::atomic<uint64_t> whole_{0};
  std::atomic<double> fraction_{0};
};

// A value that goes up and down. Thread-safe and lock-free.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  void Sub(double v) { value_.fetch_add(-v, std::memory_order_relaxed); }
  void Inc() { Add(1); }
  void Dec() { Add(-1); }
  void SetToCurrentTime();  // seconds since the Unix epoch
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations into buckets with fixed upper bounds (inclusive, "le") plus +Inf,
// and sums them. Thread-safe and lock-free: Observe() is a binary search over the bounds,
// one atomic integer add and one compare-exchange add on the sum. The reported count is
// the +Inf bucket, so count and buckets always agree; the sum may lag or lead them by the
// observations in flight during a Gather().
class Histogram {
 public:
  // `upper_bounds` must outlive the histogram (the owning family keeps them).
  explicit Histogram(const std::vector<double>* upper_bounds);
  void Observe(double v);
  // Cumulative counts (one per bound, then +Inf) and the sum, as Gather() reports them.
  void Snapshot(MetricSnapshot* out) const;

 private:
  const std::vector<double>* upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, not cumulative
  std::atomic<double> sum_{0};
};

// Prometheus' default buckets: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10.
std::vector<double> DefaultHistogramBuckets();
// `count` bounds start, start+width, ...
std::vector<double> LinearBuckets(double start, double width, int count);
// `count` bounds start, start*factor, ...
std::vector<double> ExponentialBuckets(double start, double factor, int count);

// What every family has: name, help, type, label names. Thread-safe.
class MetricFamilyBase {
 public:
  MetricFamilyBase(std::string name, std::string help, MetricType type,
                   std::vector<std::string> label_names);
  virtual ~MetricFamilyBase() = default;
  MetricFamilyBase(const MetricFamilyBase&) = delete;
  MetricFamilyBase& operator=(const MetricFamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Fills name, help, type, label names and the current children into `out`.
  virtual void Collect(FamilySnapshot* out) const = 0;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

// A family of Counter, Gauge or Histogram children, one per distinct tuple of label
// values. WithLabels() takes a mutex and may allocate the first time a tuple is seen;
// the returned reference is stable for the family's lifetime, so callers on hot paths
// resolve it once. A family without label names has its single child from the start,
// reached with WithLabels() (and exported as 0 before any update).
template <typename Metric>
class MetricFamily final : public MetricFamilyBase {
 public:
  MetricFamily(std::string name, std::string help, MetricType type,
               std::vector<std::string> label_names, std::vector<double> upper_bounds);

  // Throws std::invalid_argument if the number of values differs from the number of
  // label names: that is a programming error, not an input error.
  Metric& WithLabels(std::initializer_list<std::string_view> values = {});
  Metric& WithLabels(std::span<const std::string> values);

  // Histogram families only: the upper bounds without +Inf.
  const std::vector<double>& upper_bounds() const { return upper_bounds_; }

  void Collect(FamilySnapshot* out) const override;

 private:
  Metric& Child(std::vector<std::string> key);

  const std::vector<double> upper_bounds_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;  // guarded by mu_
};

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;

// The set of families exported on /metrics. Thread-safe: registration, Unregister and
// Gather serialize on one mutex; metric updates never touch it. Gather() runs callbacks
// while holding that mutex, so a callback must not call into the same registry, and once
// Unregister() returns its callback is never called again (a component that registers a
// callback capturing itself unregisters it before it is destroyed).
class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // The process-wide registry served on /metrics. Never destroyed.
  static MetricsRegistry& Default();

  Result<CounterFamily*> RegisterCounter(std::string_view name, std::string_view help,
                                         std::vector<std::string> label_names = {});
  Result<GaugeFamily*> RegisterGauge(std::string_view name, std::string_view help,
                                     std::vector<std::string> label_names = {});
  // `upper_bounds` must be strictly increasing and not NaN; a trailing +Inf is dropped
  // (it is always implied). The label name "le" is reserved.
  Result<HistogramFamily*> RegisterHistogram(
      std::string_view name, std::string_view help, std::vector<std::string> label_names = {},
      std::vector<double> upper_bounds = DefaultHistogramBuckets());

  // A single unlabeled sample whose value `fn` computes at every Gather(). Registering a
  // name that already exists, callback or not, is AlreadyExists.
  Status RegisterCallbackGauge(std::string_view name, std::string_view help,
                               std::function<double()> fn);
  Status RegisterCallbackCounter(std::string_view name, std::string_view help,
                                 std::function<double()> fn);

  // Removes a family; returns false if there was none by that name. Pointers to the
  // family and its children dangle afterwards.
  bool Unregister(std::string_view name);

  // Snapshots of all families that have at least one child, sorted by name.
  std::vector<FamilySnapshot> Gather() const;

 private:
  template <typename Family>
  Result<Family*> RegisterFamily(std::string_view name, std::string_view help, MetricType type,
                                 std::vector<std::string> label_names,
                                 std::vector<double> upper_bounds);
  Status RegisterCallback(std::string_view name, std::string_view help, MetricType type,
                          std::function<double()> fn);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<MetricFamilyBase>, std::less<>>
      families_;  // guarded by mu_
};

}  // namespace andon
