#include "common/labels.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>

namespace andon {
namespace {

constexpr uint64_t kMixA = 0x9e3779b97f4a7c15ULL;  // 2^64 / golden ratio
constexpr uint64_t kMixB = 0xd6e8feb86659fd93ULL;
constexpr uint64_t kMixC = 0xc2b2ae3d27d4eb4fULL;
constexpr uint64_t kMixD = 0x94d049bb133111ebULL;

inline uint64_t Fold(uint64_t a, uint64_t b) {
  unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t LoadLe(const uint8_t* p, size_t n) {  // n <= 8, zero-padded
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

inline uint64_t Load64(const uint8_t* p) {
  if constexpr (std::endian::native == std::endian::little) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  } else {
    return LoadLe(p, 8);
  }
}

char* PutVarint(char* p, uint32_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

size_t VarintLen(uint32_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Decodes a varint; returns nullptr on truncation or overflow.
const char* GetVarint(const char* p, const char* end, uint32_t* v) {
  uint32_t r = 0;
  for (int shift = 0; shift <= 28 && p < end; shift += 7) {
    uint32_t b = static_cast<uint8_t>(*p++);
    r |= (b & 0x7f) << shift;
    if (b < 0x80) {
      *v = r;
      return p;
    }
  }
  return nullptr;
}

bool InNameSet(std::string_view name, std::span<const std::string> names) {
  return std::binary_search(names.begin(), names.end(), name, [](auto a, auto b) {
    return std::string_view(a) < std::string_view(b);
  });
}

uint64_t HashLabel(uint64_t h, const Label& l) {
  h = Hash64(l.name.data(), l.name.size(), h ^ kMixC);
  return Hash64(l.value.data(), l.value.size(), h ^ kMixD);
}

}  // namespace

uint64_t Hash64(const void* data, size_t n, uint64_t seed) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t h = Fold(seed ^ kMixA, n ^ kMixB);
  size_t left = n;
  while (left >= 16) {
    h = Fold(Load64(p) ^ kMixC, Load64(p + 8) ^ h ^ kMixD);
    p += 16;
    left -= 16;
  }
  uint64_t a = 0, b = 0;
  if (left > 8) {
    a = Load64(p);
    b = LoadLe(p + 8, left - 8);
  } else if (left > 0) {
    a = LoadLe(p, left);
  }
  h = Fold(a ^ kMixA ^ left, b ^ h ^ kMixB);
  // Final avalanche so that every input bit reaches the low bits used for sharding.
  h ^= h >> 31;
  h *= kMixD;
  h ^= h >> 29;
  return h;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    uint8_t c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      n = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) < n) return false;
    for (size_t i = 1; i < n; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    p += n;
  }
  return true;
}

std::string QuoteLabelValue(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
  return out;
}

void Labels::Iterator::Decode() {
  if (p_ == end_) {
    next_ = p_;
    return;
  }
  // The packed form was validated on construction, so decoding cannot fail here.
  uint32_t n = 0;
  const char* p = GetVarint(p_, end_, &n);
  cur_.name = std::string_view(p, n);
  p += n;
  p = GetVarint(p, end_, &n);
  cur_.value = std::string_view(p, n);
  next_ = p + n;
}

Labels::Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  LabelsBuilder b;
  for (const auto& [n, v] : pairs) b.Set(n, v);
  *this = b.Build();
}

void Labels::Unref() {
  if (rep_ != nullptr && rep_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    ::operator delete(rep_);
  }
  rep_ = nullptr;
}

Labels Labels::FromSorted(std::span<const std::pair<std::string_view, std::string_view>> p) {
  Labels out;
  if (p.empty()) return out;
  size_t bytes = 0;
  for (const auto& [n, v] : p) {
    bytes += VarintLen(n.size()) + n.size() + VarintLen(v.size()) + v.size();
  }
  void* mem = ::operator new(sizeof(Rep) + bytes);
  Rep* rep = new (mem) Rep{};
  rep->refs.store(1, std::memory_order_relaxed);
  rep->size = static_cast<uint32_t>(bytes);
  char* w = rep->data();
  for (const auto& [n, v] : p) {
    w = PutVarint(w, n.size());
    std::memcpy(w, n.data(), n.size());
    w += n.size();
    w = PutVarint(w, v.size());
    std::memcpy(w, v.data(), v.size());
    w += v.size();
  }
  out.rep_ = rep;
  return out;
}

size_t Labels::size() const {
  size_t n = 0;
  for (auto it = begin(); it != end(); ++it) ++n;
  return n;
}

Labels::Iterator Labels::begin() const {
  if (rep_ == nullptr) return Iterator();
  return Iterator(rep_->data(), rep_->data() + rep_->size);
}

Labels::Iterator Labels::end() const {
  if (rep_ == nullptr) return Iterator();
  const char* e = rep_->data() + rep_->size;
  return Iterator(e, e);
}

std::string_view Labels::Get(std::string_view name) const {
  for (const Label& l : *this) {
    if (l.name == name) return l.value;
    if (l.name > name) break;  // sorted: it cannot come later
  }
  return {};
}

std::string_view Labels::Packed() const {
  if (rep_ == nullptr) return {};
  return std::string_view(rep_->data(), rep_->size);
}

size_t Labels::HeapBytes() const { return rep_ == nullptr ? 0 : sizeof(Rep) + rep_->size; }

uint64_t Labels::Hash() const {
  std::string_view p = Packed();
  return Hash64(p.data(), p.size());
}

uint64_t Labels::HashForLabels(std::span<const std::string> names) const {
  uint64_t h = kMixA;
  for (const Label& l : *this) {
    if (InNameSet(l.name, names)) h = HashLabel(h, l);
  }
  return h;
}

uint64_t Labels::HashWithoutLabels(std::span<const std::string> names) const {
  uint64_t h = kMixA;
  for (const Label& l : *this) {
    if (l.name != kMetricNameLabel && !InNameSet(l.name, names)) h = HashLabel(h, l);
  }
  return h;
}

std::string Labels::ToString() const {
  std::string out = "{";
  bool first = true;
  for (const Label& l : *this) {
    if (!first) out += ", ";
    first = false;
    out.append(l.name);
    out.push_back('=');
    out += QuoteLabelValue(l.value);
  }
  out.push_back('}');
  return out;
}

Status Labels::Validate() const {
  for (const Label& l : *this) {
    if (!IsValidLabelName(l.name)) {
      return Status::InvalidArgument("invalid label name " + QuoteLabelValue(l.name) + " in " +
                                     ToString());
    }
    if (!IsValidUtf8(l.value)) {
      return Status::InvalidArgument("invalid UTF-8 in value of label " + std::string(l.name) +
                                     " in " + ToString());
    }
    if (l.name == kMetricNameLabel && !IsValidMetricName(l.value)) {
      return Status::InvalidArgument("invalid metric name " + QuoteLabelValue(l.value));
    }
  }
  return Status::Ok();
}

Result<Labels> Labels::FromPacked(std::string_view packed) {
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  const char* p = packed.data();
  const char* end = p + packed.size();
  while (p < end) {
    uint32_t n = 0;
    const char* q = GetVarint(p, end, &n);
    if (q == nullptr || static_cast<size_t>(end - q) < n) {
      return Status::Corruption("packed labels: truncated name");
    }
    std::string_view name(q, n);
    q += n;
    q = GetVarint(q, end, &n);
    if (q == nullptr || static_cast<size_t>(end - q) < n) {
      return Status::Corruption("packed labels: truncated value");
    }
    std::string_view value(q, n);
    p = q + n;
    if (name.empty() || value.empty()) return Status::Corruption("packed labels: empty string");
    if (!pairs.empty() && pairs.back().first >= name) {
      return Status::Corruption("packed labels: names not sorted and unique");
    }
    pairs.emplace_back(name, value);
  }
  return FromSorted(pairs);
}

bool operator==(const Labels& a, const Labels& b) {
  if (a.rep_ == b.rep_) return true;
  return a.Packed() == b.Packed();
}

int Compare(const Labels& a, const Labels& b) {
  if (a.rep_ == b.rep_) return 0;
  std::string_view pa = a.Packed(), pb = b.Packed();
  // Labels wholly before the first differing byte are equal: skip them without comparing,
  // then compare the label pair that holds the difference.
  size_t n = std::min(pa.size(), pb.size());
  size_t diff = 0;
  while (diff + 8 <= n && std::memcmp(pa.data() + diff, pb.data() + diff, 8) == 0) diff += 8;
  while (diff < n && pa[diff] == pb[diff]) ++diff;
  if (diff == n && pa.size() == pb.size()) return 0;
  Labels::Iterator ia(pa.data(), pa.data() + pa.size());
  Labels::Iterator ib(pb.data(), pb.data() + pb.size());
  Labels::Iterator ea(pa.data() + pa.size(), pa.data() + pa.size());
  Labels::Iterator eb(pb.data() + pb.size(), pb.data() + pb.size());
  while (ia != ea && ib != eb) {
    const char* end_a = ia->value.data() + ia->value.size();
    if (static_cast<size_t>(end_a - pa.data()) <= diff) {
      ++ia;
      ++ib;
      continue;
    }
    if (int c = ia->name.compare(ib->name); c != 0) return c < 0 ? -1 : 1;
    if (int c = ia->value.compare(ib->value); c != 0) return c < 0 ? -1 : 1;
    ++ia;
    ++ib;
  }
  if (ia == ea && ib == eb) return 0;
  return ia == ea ? -1 : 1;
}

LabelsBuilder& LabelsBuilder::Reset(const Labels& base) {
  size_ = 0;
  for (const Label& l : base) Append(l.name, l.value);
  return *this;
}

LabelsBuilder& LabelsBuilder::Clear() {
  size_ = 0;
  return *this;
}

void LabelsBuilder::Append(std::string_view name, std::string_view value) {
  if (size_ < pairs_.size()) {
    pairs_[size_].first.assign(name);
    pairs_[size_].second.assign(value);
  } else {
    pairs_.emplace_back(name, value);
  }
  ++size_;
}

LabelsBuilder& LabelsBuilder::Set(std::string_view name, std::string_view value) {
  if (value.empty()) return Del(name);
  for (size_t i = 0; i < size_; ++i) {
    if (pairs_[i].first == name) {
      pairs_[i].second.assign(value);
      return *this;
    }
  }
  Append(name, value);
  return *this;
}

LabelsBuilder& LabelsBuilder::Del(std::string_view name) {
  for (size_t i = 0; i < size_; ++i) {
    if (pairs_[i].first == name) {
      Remove(i);
      break;
    }
  }
  return *this;
}

std::string_view LabelsBuilder::Get(std::string_view name) const {
  for (size_t i = 0; i < size_; ++i) {
    if (pairs_[i].first == name) return pairs_[i].second;
  }
  return {};
}

Labels LabelsBuilder::Build() {
  scratch_.clear();
  for (size_t i = 0; i < size_; ++i) {
    if (!pairs_[i].first.empty()) scratch_.emplace_back(pairs_[i].first, pairs_[i].second);
  }
  std::sort(scratch_.begin(), scratch_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return Labels::FromSorted(scratch_);
}

}  // namespace andon
