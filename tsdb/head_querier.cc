#include "tsdb/head_querier.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <shared_mutex>

#include "tsdb/head.h"

namespace andon {
namespace {

struct SelectedSeries {
  Labels labels;
  SeriesRef ref;
};

}  // namespace

// Decodes the series' samples in [mint, maxt] under its stripe lock on the first read.
class HeadSeriesIterator final : public SeriesIterator {
 public:
  HeadSeriesIterator(const Head* head, SeriesRef ref, int64_t mint, int64_t maxt)
      : head_(head), ref_(ref), mint_(mint), maxt_(maxt) {}

  bool Next() override {
    Load();
    return it_.Next();
  }
  bool Seek(int64_t t) override {
    Load();
    return it_.Seek(t);
  }
  Sample At() const override { return it_.At(); }
  Status Err() const override { return Status::Ok(); }
  bool ReadAll(std::vector<Sample>* out) override {
    if (loaded_) return it_.ReadAll(out);
    loaded_ = true;  // it_ stays empty: everything goes to *out
    Copy(out);
    return true;
  }

 private:
  void Load() {
    if (loaded_) return;
    loaded_ = true;
    std::vector<Sample> samples;
    Copy(&samples);
    it_ = SampleVectorIterator(std::move(samples));
  }
  void Copy(std::vector<Sample>* out) const { head_->CopySeriesSamples(ref_, mint_, maxt_, out); }

  const Head* head_;
  SeriesRef ref_;
  int64_t mint_, maxt_;
  bool loaded_ = false;
  SampleVectorIterator it_{{}};
};

class HeadSeriesSet final : public SeriesSet {
 public:
  HeadSeriesSet(const Head* head, std::vector<SelectedSeries> series, int64_t mint, int64_t maxt)
      : series_(std::move(series)), current_(head, mint, maxt) {}

  bool Next() override {
    if (next_ >= series_.size()) return false;
    current_.entry = &series_[next_++];
    return true;
  }
  const Series& At() const override { return current_; }
  Status Err() const override { return Status::Ok(); }

 private:
  struct Current final : public Series {
    Current(const Head* h, int64_t lo, int64_t hi) : head(h), mint(lo), maxt(hi) {}
    const Labels& labels() const override { return entry->labels; }
    std::unique_ptr<SeriesIterator> Iterator() const override {
      return std::make_unique<HeadSeriesIterator>(head, entry->ref, mint, maxt);
    }
    const Head* head;
    int64_t mint, maxt;
    const SelectedSeries* entry = nullptr;
  };

  std::vector<SelectedSeries> series_;
  size_t next_ = 0;
  Current current_;
};

bool SampleVectorIterator::Next() {
  if (pos_ != static_cast<size_t>(-1) && pos_ >= samples_.size()) return false;
  ++pos_;
  return pos_ < samples_.size();
}

bool SampleVectorIterator::ReadAll(std::vector<Sample>* out) {
  size_t from = pos_ == static_cast<size_t>(-1) ? 0 : pos_ + 1;
  if (from < samples_.size()) {
    out->insert(out->end(), samples_.begin() + static_cast<std::ptrdiff_t>(from), samples_.end());
  }
  pos_ = samples_.size();
  return true;
}

bool SampleVectorIterator::Seek(int64_t t) {
  if (pos_ == static_cast<size_t>(-1)) pos_ = 0;
  if (pos_ >= samples_.size()) return false;
  if (samples_[pos_].t >= t) return true;
  auto it = std::lower_bound(samples_.begin() + static_cast<std::ptrdiff_t>(pos_), samples_.end(),
                             t, [](const Sample& s, int64_t x) { return s.t < x; });
  pos_ = static_cast<size_t>(it - samples_.begin());
  return pos_ < samples_.size();
}

std::unique_ptr<SeriesSet> HeadQuerier::Select(std::span<const LabelMatcher> matchers, int64_t mint,
                                               int64_t maxt) {
  mint = std::max(mint, head_->MinValidTime());  // samples before it are truncated
  Postings refs = head_->index_.Select(matchers);
  std::vector<SelectedSeries> selected;
  selected.reserve(refs.size());
  for (SeriesRef ref : refs) {
    std::shared_lock lock(head_->DataStripeFor(ref).mu);
    const HeadSeries* s = head_->Lookup(ref);
    if (s != nullptr && s->HasSamplesIn(mint, maxt)) selected.push_back({s->labels(), ref});
  }
  std::sort(selected.begin(), selected.end(),
            [](const SelectedSeries& a, const SelectedSeries& b) { return a.labels < b.labels; });
  return std::make_unique<HeadSeriesSet>(head_, std::move(selected), mint, maxt);
}

std::vector<Labels> HeadQuerier::MatchingLabels(std::span<const LabelMatcher> matchers) const {
  Postings refs = head_->index_.Select(matchers);
  std::vector<Labels> out;
  out.reserve(refs.size());
  for (SeriesRef ref : refs) {
    Labels l = head_->LabelsForRef(ref);
    if (!l.empty()) out.push_back(std::move(l));
  }
  return out;
}

Result<std::vector<std::string>> HeadQuerier::LabelNames(std::span<const LabelMatcher> matchers) {
  if (matchers.empty()) return head_->index_.LabelNames();
  std::set<std::string, std::less<>> names;
  for (const Labels& ls : MatchingLabels(matchers)) {
    for (const Label& l : ls) {
      if (names.find(l.name) == names.end()) names.emplace(l.name);
    }
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<std::string>> HeadQuerier::LabelValues(std::string_view name,
                                                          std::span<const LabelMatcher> matchers) {
  if (matchers.empty()) return head_->index_.LabelValues(name);
  std::set<std::string, std::less<>> values;
  for (const Labels& ls : MatchingLabels(matchers)) {
    std::string_view v = ls.Get(name);
    if (!v.empty() && values.find(v) == values.end()) values.emplace(v);
  }
  return std::vector<std::string>(values.begin(), values.end());
}

}  // namespace andon
