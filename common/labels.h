// common/labels.h
//
// Labels: an immutable, sorted set of (name, value) pairs identifying a series. Names are
// unique, values are never empty (an empty value means "label absent", as in Prometheus).
//
// Memory layout: one heap block per label set, shared by reference count between copies:
//   [uint32 refcount][uint32 byte size][pairs...], each pair = varint(len) name varint(len)
//   value, sorted by name. A Labels object is a single pointer (8 bytes); the empty set is a
//   null pointer and allocates nothing. A packed block was chosen over a symbol table: it
//   needs no global lock, no symbol garbage collection when pods churn, and for typical
//   Kubernetes series (5-10 labels, ~150 bytes of text, half of it unique per pod) it costs
//   ~text+10 bytes per series, within a few dozen bytes of interning, with one allocation.
//
// Thread-safety: a Labels is immutable; copies may be used and destroyed from any thread
// (the reference count is atomic). LabelsBuilder is not thread-safe.
//
// Hash(): a stable 64-bit hash of the canonical packed bytes (our own multiply-mix hash,
// Hash64 below). It is stable across processes and versions: tests pin its values, so it
// may be persisted. Equal label sets always have equal hashes; collisions are possible and
// users of Hash() must compare labels to confirm a match.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace andon {

inline constexpr std::string_view kMetricNameLabel = "__name__";

// A 64-bit hash of n bytes (multiply-fold mixing over 16-byte stripes, little-endian
// loads). Stable across platforms of either endianness and across versions.
uint64_t Hash64(const void* data, size_t n, uint64_t seed = 0);

// Prometheus naming rules: label names [a-zA-Z_][a-zA-Z0-9_]*, metric names
// [a-zA-Z_:][a-zA-Z0-9_:]*. Names starting with "__" are reserved but valid.
bool IsValidLabelName(std::string_view name);
bool IsValidMetricName(std::string_view name);
bool IsValidUtf8(std::string_view s);

// Quotes s the way Prometheus prints label values: double quotes, with \\ \" \n \r \t and
// other control characters escaped; valid UTF-8 is kept as is.
std::string QuoteLabelValue(std::string_view s);

struct Label {
  std::string_view name;
  std::string_view value;
};

class Labels {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Label;
    using difference_type = std::ptrdiff_t;
    using pointer = const Label*;
    using reference = const Label&;

    Iterator() = default;
    Iterator(const char* p, const char* end) : p_(p), end_(end) { Decode(); }
    const Label& operator*() const { return cur_; }
    const Label* operator->() const { return &cur_; }
    Iterator& operator++() {
      p_ = next_;
      Decode();
      return *this;
    }
    Iterator operator++(int) {
      Iterator r = *this;
      ++*this;
      return r;
    }
    bool operator==(const Iterator& o) const { return p_ == o.p_; }

   private:
    void Decode();
    const char* p_ = nullptr;
    const char* end_ = nullptr;
    const char* next_ = nullptr;
    Label cur_;
  };

  Labels() = default;
  // Builds from pairs in any order: sorted by name, later duplicates win, empty values
  // dropped. Meant for tests and constants; hot paths use LabelsBuilder.
  Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);
  Labels(const Labels& o) : rep_(o.rep_) { Ref(); }
  Labels(Labels&& o) noexcept : rep_(std::exchange(o.rep_, nullptr)) {}
  Labels& operator=(const Labels& o) {
    if (rep_ != o.rep_) {
      Unref();
      rep_ = o.rep_;
      Ref();
    }
    return *this;
  }
  Labels& operator=(Labels&& o) noexcept {
    if (this != &o) {
      Unref();
      rep_ = std::exchange(o.rep_, nullptr);
    }
    return *this;
  }
  ~Labels() { Unref(); }

  bool empty() const { return rep_ == nullptr; }
  // Number of labels (a scan; not for hot loops).
  size_t size() const;
  Iterator begin() const;
  Iterator end() const;

  // The value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const { return !Get(name).empty(); }
  std::string_view MetricName() const { return Get(kMetricNameLabel); }

  uint64_t Hash() const;
  // Hash of only the labels named in `names` (sorted, unique), or of all labels except
  // those, for grouping by/without in the query engine. Same value for equal subsets.
  uint64_t HashForLabels(std::span<const std::string> names) const;
  uint64_t HashWithoutLabels(std::span<const std::string> names) const;

  // {__name__="up", job="x"}; "{}" for the empty set.
  std::string ToString() const;
  // Checks names and the metric name against the Prometheus rules and values for UTF-8.
  Status Validate() const;

  // The canonical packed bytes (the hash input; also usable as a persistent key).
  std::string_view Packed() const;
  static Result<Labels> FromPacked(std::string_view packed);
  // Heap bytes held by this label set (shared between copies), incl. the block header.
  size_t HeapBytes() const;

  friend bool operator==(const Labels& a, const Labels& b);
  // Label by label: name, then value; a prefix sorts first.
  friend int Compare(const Labels& a, const Labels& b);
  friend bool operator<(const Labels& a, const Labels& b) { return Compare(a, b) < 0; }

 private:
  friend class LabelsBuilder;
  struct Rep {
    std::atomic<uint32_t> refs;
    uint32_t size;
    char* data() { return reinterpret_cast<char*>(this + 1); }
    const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  };
  static_assert(sizeof(Rep) == 8);

  void Ref() const {
    if (rep_ != nullptr) rep_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void Unref();
  // Takes pairs sorted by name, unique, non-empty values.
  static Labels FromSorted(std::span<const std::pair<std::string_view, std::string_view>> p);

  Rep* rep_ = nullptr;
};

// Builds label sets, starting empty or from a base. Set() with an empty value deletes.
// Build() can be called repeatedly; the builder reuses its buffers.
class LabelsBuilder {
 public:
  LabelsBuilder() = default;
  explicit LabelsBuilder(const Labels& base) { Reset(base); }

  LabelsBuilder& Reset(const Labels& base);
  LabelsBuilder& Clear();
  LabelsBuilder& Set(std::string_view name, std::string_view value);
  LabelsBuilder& Del(std::string_view name);
  // Current value of name in the builder, "" if absent.
  std::string_view Get(std::string_view name) const;
  // Calls f(Label) for each current label, in no particular order. f must not modify the
  // builder.
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t i = 0; i < size_; ++i) {
      if (!pairs_[i].first.empty()) f(Label{pairs_[i].first, pairs_[i].second});
    }
  }
  // Deletes every current label for which pred(Label) returns true.
  template <typename P>
  LabelsBuilder& DelIf(P&& pred) {
    for (size_t i = 0; i < size_;) {
      if (pred(Label{pairs_[i].first, pairs_[i].second})) {
        Remove(i);
      } else {
        ++i;
      }
    }
    return *this;
  }
  Labels Build();

 private:
  // Adds a label known to be absent.
  void Append(std::string_view name, std::string_view value);
  // Moves pair i past the live ones, keeping its strings' capacity for reuse.
  void Remove(size_t i) {
    std::swap(pairs_[i], pairs_[size_ - 1]);
    --size_;
  }

  // The first size_ pairs are the labels (unsorted, unique names); the rest are spare
  // strings kept so that Reset() and Set() on a warm builder allocate nothing.
  std::vector<std::pair<std::string, std::string>> pairs_;
  size_t size_ = 0;
  std::vector<std::pair<std::string_view, std::string_view>> scratch_;
};

}  // namespace andon
