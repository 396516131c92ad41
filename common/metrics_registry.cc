#include "common/metrics_registry.h"

#include "common/labels.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

namespace andon {

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// ---- Counter, Gauge, Histogram ----

void Counter::Inc(double v) {
  if (!(v >= 0)) return;  // negative or NaN
  // Below 2^53 every whole double converts to uint64 exactly.
  if (v < 9007199254740992.0 && v == std::floor(v)) {
    whole_.fetch_add(static_cast<uint64_t>(v), std::memory_order_relaxed);
  } else {
    fraction_.fetch_add(v, std::memory_order_relaxed);
  }
}

double Counter::Value() const {
  return static_cast<double>(whole_.load(std::memory_order_relaxed)) +
         fraction_.load(std::memory_order_relaxed);
}

void Gauge::SetToCurrentTime() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  Set(std::chrono::duration<double>(now).count());
}

Histogram::Histogram(const std::vector<double>* upper_bounds)
    : upper_bounds_(upper_bounds),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(upper_bounds->size() + 1)) {}

void Histogram::Observe(double v) {
  // The first bucket whose bound is >= v; NaN matches no bound and lands in +Inf.
  auto it = std::partition_point(upper_bounds_->begin(), upper_bounds_->end(),
                                 [v](double bound) { return !(bound >= v); });
  counts_[it - upper_bounds_->begin()].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

void Histogram::Snapshot(MetricSnapshot* out) const {
  size_t n = upper_bounds_->size() + 1;
  out->cumulative_counts.resize(n);
  uint64_t running = 0;
  for (size_t i = 0; i < n; ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    out->cumulative_counts[i] = running;
  }
  out->sum = sum_.load(std::memory_order_relaxed);
}

std::vector<double> DefaultHistogramBuckets() {
  return {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
}

std::vector<double> LinearBuckets(double start, double width, int count) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i) out.push_back(start + width * i);
  return out;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> out;
  double bound = start;
  for (int i = 0; i < count; ++i, bound *= factor) out.push_back(bound);
  return out;
}

// ---- Families ----

MetricFamilyBase::MetricFamilyBase(std::string name, std::string help, MetricType type,
                                   std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {}

namespace {

template <typename Metric>
std::unique_ptr<Metric> MakeMetric(const std::vector<double>* upper_bounds) {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    return std::make_unique<Histogram>(upper_bounds);
  } else {
    return std::make_unique<Metric>();
  }
}

void FillHeader(const MetricFamilyBase& family, FamilySnapshot* out) {
  out->name = family.name();
  out->help = family.help();
  out->type = family.type();
  out->label_names = family.label_names();
}

}  // namespace

template <typename Metric>
MetricFamily<Metric>::MetricFamily(std::string name, std::string help, MetricType type,
                                   std::vector<std::string> label_names,
                                   std::vector<double> upper_bounds)
    : MetricFamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
      upper_bounds_(std::move(upper_bounds)) {
  if (this->label_names().empty()) Child({});
}

template <typename Metric>
Metric& MetricFamily<Metric>::WithLabels(std::initializer_list<std::string_view> values) {
  return Child(std::vector<std::string>(values.begin(), values.end()));
}

template <typename Metric>
Metric& MetricFamily<Metric>::WithLabels(std::span<const std::string> values) {
  return Child(std::vector<std::string>(values.begin(), values.end()));
}

template <typename Metric>
Metric& MetricFamily<Metric>::Child(std::vector<std::string> key) {
  if (key.size() != label_names().size()) {
    throw std::invalid_argument(fmt::format("metric {}: got {} label values for labels [{}]",
                                            name(), key.size(), fmt::join(label_names(), ", ")));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = children_.find(key);
  if (it == children_.end()) {
    it = children_.emplace(std::move(key), MakeMetric<Metric>(&upper_bounds_)).first;
  }
  return *it->second;
}

template <typename Metric>
void MetricFamily<Metric>::Collect(FamilySnapshot* out) const {
  FillHeader(*this, out);
  out->upper_bounds = upper_bounds_;
  std::lock_guard<std::mutex> lock(mu_);
  out->metrics.reserve(children_.size());
  for (const auto& [values, metric] : children_) {
    MetricSnapshot& m = out->metrics.emplace_back();
    m.label_values = values;
    if constexpr (std::is_same_v<Metric, Histogram>) {
      metric->Snapshot(&m);
    } else {
      m.value = metric->Value();
    }
  }
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

namespace {

// An unlabeled family whose one value comes from a function at Gather() time.
class CallbackFamily final : public MetricFamilyBase {
 public:
  CallbackFamily(std::string name, std::string help, MetricType type, std::function<double()> fn)
      : MetricFamilyBase(std::move(name), std::move(help), type, {}), fn_(std::move(fn)) {}

  void Collect(FamilySnapshot* out) const override {
    FillHeader(*this, out);
    out->metrics.emplace_back().value = fn_();
  }

 private:
  std::function<double()> fn_;
};

// The sample names a family writes: its own name, or name_bucket/_sum/_count.
std::vector<std::string> SampleNames(std::string_view name, MetricType type) {
  if (type != MetricType::kHistogram) return {std::string(name)};
  return {fmt::format("{}_bucket", name), fmt::format("{}_sum", name),
          fmt::format("{}_count", name)};
}

// Whether two different families would write samples of the same name.
bool SampleNamesCollide(std::string_view a, MetricType a_type, std::string_view b,
                        MetricType b_type) {
  for (const auto& x : SampleNames(a, a_type)) {
    for (const auto& y : SampleNames(b, b_type)) {
      if (x == y) return true;
    }
  }
  return false;
}

Status ValidateNames(std::string_view name, MetricType type,
                     const std::vector<std::string>& label_names) {
  if (!IsValidMetricName(name)) {
    return Status::InvalidArgument(fmt::format("invalid metric name \"{}\"", name));
  }
  for (size_t i = 0; i < label_names.size(); ++i) {
    const std::string& label = label_names[i];
    if (!IsValidLabelName(label) || label.starts_with("__")) {
      return Status::InvalidArgument(
          fmt::format("metric {}: invalid label name \"{}\"", name, label));
    }
    if (type == MetricType::kHistogram && label == "le") {
      return Status::InvalidArgument(
          fmt::format("metric {}: label name \"le\" is reserved for histogram buckets", name));
    }
    for (size_t j = 0; j < i; ++j) {
      if (label_names[j] == label) {
        return Status::InvalidArgument(
            fmt::format("metric {}: duplicate label name \"{}\"", name, label));
      }
    }
  }
  return Status::Ok();
}

Status NormalizeBounds(std::string_view name, std::vector<double>* bounds) {
  if (!bounds->empty() && bounds->back() == std::numeric_limits<double>::infinity()) {
    bounds->pop_back();
  }
  for (size_t i = 0; i < bounds->size(); ++i) {
    double b = (*bounds)[i];
    if (std::isnan(b) || (i > 0 && !((*bounds)[i - 1] < b))) {
      return Status::InvalidArgument(
          fmt::format("metric {}: histogram buckets must be strictly increasing numbers, got [{}]",
                      name, fmt::join(*bounds, ", ")));
    }
  }
  return Status::Ok();
}

}  // namespace

// ---- Registry ----

MetricsRegistry& MetricsRegistry::Default() {
  static MetricsRegistry* registry = new MetricsRegistry();
  return *registry;
}

template <typename Family>
Result<Family*> MetricsRegistry::RegisterFamily(std::string_view name, std::string_view help,
                                                MetricType type,
                                                std::vector<std::string> label_names,
                                                std::vector<double> upper_bounds) {
  if (Status s = ValidateNames(name, type, label_names); !s.ok()) return s;
  if (type == MetricType::kHistogram) {
    if (Status s = NormalizeBounds(name, &upper_bounds); !s.ok()) return s;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = families_.find(name); it != families_.end()) {
    auto* existing = dynamic_cast<Family*>(it->second.get());
    if (existing == nullptr || existing->type() != type) {
      return Status::InvalidArgument(
          fmt::format("metric {} already registered as a {}{}, cannot register it as a {}", name,
                      it->second->type() == type ? "callback " : "",
                      MetricTypeName(it->second->type()), MetricTypeName(type)));
    }
    if (existing->help() != help || existing->label_names() != label_names ||
        existing->upper_bounds() != upper_bounds) {
      return Status::InvalidArgument(fmt::format(
          "metric {} already registered with different help, label names or buckets", name));
    }
    return existing;
  }
  for (const auto& [other_name, other] : families_) {
    if (SampleNamesCollide(name, type, other_name, other->type())) {
      return Status::InvalidArgument(
          fmt::format("metric {} ({}) would write samples named like metric {} ({})", name,
                      MetricTypeName(type), other_name, MetricTypeName(other->type())));
    }
  }
  auto family = std::make_unique<Family>(std::string(name), std::string(help), type,
                                         std::move(label_names), std::move(upper_bounds));
  Family* out = family.get();
  families_.emplace(std::string(name), std::move(family));
  return out;
}

Result<CounterFamily*> MetricsRegistry::RegisterCounter(std::string_view name,
                                                        std::string_view help,
                                                        std::vector<std::string> label_names) {
  return RegisterFamily<CounterFamily>(name, help, MetricType::kCounter, std::move(label_names),
                                       {});
}

Result<GaugeFamily*> MetricsRegistry::RegisterGauge(std::string_view name, std::string_view help,
                                                    std::vector<std::string> label_names) {
  return RegisterFamily<GaugeFamily>(name, help, MetricType::kGauge, std::move(label_names), {});
}

Result<HistogramFamily*> MetricsRegistry::RegisterHistogram(std::string_view name,
                                                            std::string_view help,
                                                            std::vector<std::string> label_names,
                                                            std::vector<double> upper_bounds) {
  return RegisterFamily<HistogramFamily>(name, help, MetricType::kHistogram, std::move(label_names),
                                         std::move(upper_bounds));
}

Status MetricsRegistry::RegisterCallback(std::string_view name, std::string_view help,
                                         MetricType type, std::function<double()> fn) {
  if (Status s = ValidateNames(name, type, {}); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  if (families_.contains(name)) {
    return Status::AlreadyExists(fmt::format("metric {} is already registered", name));
  }
  for (const auto& [other_name, other] : families_) {
    if (SampleNamesCollide(name, type, other_name, other->type())) {
      return Status::InvalidArgument(
          fmt::format("metric {} ({}) would write samples named like metric {} ({})", name,
                      MetricTypeName(type), other_name, MetricTypeName(other->type())));
    }
  }
  families_.emplace(
      std::string(name),
      std::make_unique<CallbackFamily>(std::string(name), std::string(help), type, std::move(fn)));
  return Status::Ok();
}

Status MetricsRegistry::RegisterCallbackGauge(std::string_view name, std::string_view help,
                                              std::function<double()> fn) {
  return RegisterCallback(name, help, MetricType::kGauge, std::move(fn));
}

Status MetricsRegistry::RegisterCallbackCounter(std::string_view name, std::string_view help,
                                                std::function<double()> fn) {
  return RegisterCallback(name, help, MetricType::kCounter, std::move(fn));
}

bool MetricsRegistry::Unregister(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return false;
  families_.erase(it);
  return true;
}

std::vector<FamilySnapshot> MetricsRegistry::Gather() const {
  std::vector<FamilySnapshot> out;
  std::lock_guard<std::mutex> lock(mu_);
  out.reserve(families_.size());
  for (const auto& [name, family] : families_) {
    FamilySnapshot snapshot;
    family->Collect(&snapshot);
    if (!snapshot.metrics.empty()) out.push_back(std::move(snapshot));
  }
  return out;
}

}  // namespace andon
