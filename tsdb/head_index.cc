#include "tsdb/head_index.h"

#include <algorithm>
#include <iterator>
#include <mutex>
#include <unordered_set>

namespace andon {
namespace {

void InsertSorted(Postings* p, SeriesRef ref) {
  if (p->empty() || p->back() < ref) {
    p->push_back(ref);
    return;
  }
  auto it = std::lower_bound(p->begin(), p->end(), ref);
  if (it == p->end() || *it != ref) p->insert(it, ref);
}

void RemoveSorted(Postings* p, const Postings& sorted_removed) {
  std::erase_if(*p, [&](SeriesRef r) {
    return std::binary_search(sorted_removed.begin(), sorted_removed.end(), r);
  });
}

std::vector<CardinalityEntry> TopN(std::vector<CardinalityEntry> v, size_t limit) {
  auto better = [](const CardinalityEntry& a, const CardinalityEntry& b) {
    return a.value != b.value ? a.value > b.value : a.name < b.name;
  };
  if (v.size() > limit) {
    std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(limit), v.end(), better);
    v.resize(limit);
  } else {
    std::sort(v.begin(), v.end(), better);
  }
  return v;
}

}  // namespace

Postings IntersectPostings(const Postings& a, const Postings& b) {
  Postings out;
  out.reserve(std::min(a.size(), b.size()));
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Postings SubtractPostings(const Postings& a, const Postings& b) {
  Postings out;
  out.reserve(a.size());
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Postings MergePostings(std::span<const Postings* const> lists) {
  Postings out;
  if (lists.empty()) return out;
  if (lists.size() == 1) return *lists[0];
  size_t total = 0;
  for (const Postings* p : lists) total += p->size();
  out.reserve(total);
  if (lists.size() <= 4) {
    Postings tmp;
    out = *lists[0];
    for (size_t i = 1; i < lists.size(); ++i) {
      tmp.clear();
      std::set_union(out.begin(), out.end(), lists[i]->begin(), lists[i]->end(),
                     std::back_inserter(tmp));
      out.swap(tmp);
    }
    return out;
  }
  for (const Postings* p : lists) out.insert(out.end(), p->begin(), p->end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void HeadIndex::Add(SeriesRef ref, const Labels& labels) {
  std::unique_lock lock(mu_);
  for (const Label& l : labels) {
    auto nit = names_.find(l.name);
    if (nit == names_.end()) nit = names_.emplace(std::string(l.name), ValueMap()).first;
    auto vit = nit->second.find(l.value);
    if (vit == nit->second.end()) vit = nit->second.emplace(std::string(l.value), Postings()).first;
    InsertSorted(&vit->second, ref);
  }
  InsertSorted(&all_, ref);
}

void HeadIndex::Remove(std::span<const SeriesRef> refs, std::span<const Labels> labels) {
  if (refs.empty()) return;
  Postings removed(refs.begin(), refs.end());
  std::sort(removed.begin(), removed.end());
  std::unique_lock lock(mu_);
  std::unordered_set<Postings*> touched;
  for (const Labels& ls : labels) {
    for (const Label& l : ls) {
      auto nit = names_.find(l.name);
      if (nit == names_.end()) continue;
      auto vit = nit->second.find(l.value);
      if (vit != nit->second.end()) touched.insert(&vit->second);
    }
  }
  for (Postings* p : touched) RemoveSorted(p, removed);
  RemoveSorted(&all_, removed);
  for (const Labels& ls : labels) {
    for (const Label& l : ls) {
      auto nit = names_.find(l.name);
      if (nit == names_.end()) continue;
      auto vit = nit->second.find(l.value);
      if (vit != nit->second.end() && vit->second.empty()) nit->second.erase(vit);
      if (nit->second.empty()) names_.erase(nit);
    }
  }
}

Postings HeadIndex::MatchingLocked(const LabelMatcher& m, bool want) const {
  auto nit = names_.find(m.name());
  if (nit == names_.end()) return {};
  const ValueMap& values = nit->second;
  std::vector<const Postings*> lists;
  if (want && m.type() == LabelMatcher::Type::kEqual) {
    auto vit = values.find(m.value());
    if (vit != values.end()) lists.push_back(&vit->second);
  } else if (!want && m.type() == LabelMatcher::Type::kNotEqual) {
    auto vit = values.find(m.value());
    if (vit != values.end()) lists.push_back(&vit->second);
  } else if (want && m.LiteralSet() != nullptr) {
    for (const std::string& lit : *m.LiteralSet()) {
      auto vit = values.find(lit);
      if (vit != values.end()) lists.push_back(&vit->second);
    }
  } else {
    for (const auto& [value, postings] : values) {
      if (m.Matches(value) == want) lists.push_back(&postings);
    }
  }
  return MergePostings(lists);
}

Postings HeadIndex::Select(std::span<const LabelMatcher> matchers) const {
  std::shared_lock lock(mu_);
  std::vector<Postings> positive;
  std::vector<Postings> negative;
  for (const LabelMatcher& m : matchers) {
    if (m.MatchesEmpty()) {
      // Series without the label match; reject those whose value does not match.
      negative.push_back(MatchingLocked(m, false));
    } else {
      positive.push_back(MatchingLocked(m, true));
      if (positive.back().empty()) return {};
    }
  }
  Postings result;
  if (positive.empty()) {
    result = all_;
  } else {
    std::sort(positive.begin(), positive.end(),
              [](const Postings& a, const Postings& b) { return a.size() < b.size(); });
    result = std::move(positive[0]);
    for (size_t i = 1; i < positive.size() && !result.empty(); ++i) {
      result = IntersectPostings(result, positive[i]);
    }
  }
  for (const Postings& n : negative) {
    if (result.empty()) break;
    if (!n.empty()) result = SubtractPostings(result, n);
  }
  return result;
}

std::vector<std::string> HeadIndex::LabelNames() const {
  std::vector<std::string> out;
  {
    std::shared_lock lock(mu_);
    out.reserve(names_.size());
    for (const auto& [name, values] : names_) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> HeadIndex::LabelValues(std::string_view name) const {
  std::vector<std::string> out;
  {
    std::shared_lock lock(mu_);
    auto nit = names_.find(name);
    if (nit == names_.end()) return out;
    out.reserve(nit->second.size());
    for (const auto& [value, postings] : nit->second) out.push_back(value);
  }
  std::sort(out.begin(), out.end());
  return out;
}

size_t HeadIndex::NumSeries() const {
  std::shared_lock lock(mu_);
  return all_.size();
}

size_t HeadIndex::NumSeriesWith(std::string_view name, std::string_view value) const {
  std::shared_lock lock(mu_);
  auto n = names_.find(name);
  if (n == names_.end()) return 0;
  auto v = n->second.find(value);
  return v == n->second.end() ? 0 : v->second.size();
}

IndexCardinality HeadIndex::Cardinality(size_t limit) const {
  IndexCardinality c;
  std::vector<CardinalityEntry> pairs;
  {
    std::shared_lock lock(mu_);
    for (const auto& [name, values] : names_) {
      uint64_t bytes = 0;
      for (const auto& [value, postings] : values) {
        bytes += value.size() * postings.size();
        pairs.push_back({name + "=" + value, postings.size()});
        if (name == kMetricNameLabel) {
          c.series_count_by_metric_name.push_back({value, postings.size()});
        }
      }
      c.label_value_count_by_label_name.push_back({name, values.size()});
      c.memory_in_bytes_by_label_name.push_back({name, bytes});
    }
  }
  c.series_count_by_metric_name = TopN(std::move(c.series_count_by_metric_name), limit);
  c.label_value_count_by_label_name = TopN(std::move(c.label_value_count_by_label_name), limit);
  c.memory_in_bytes_by_label_name = TopN(std::move(c.memory_in_bytes_by_label_name), limit);
  c.series_count_by_label_value_pair = TopN(std::move(pairs), limit);
  return c;
}

}  // namespace andon
