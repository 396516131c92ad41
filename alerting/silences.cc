// alerting/silences.cc
//
// The on-disk record is described in docs/storage-format.md, section "Silences".
#include "alerting/silences.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/labels.h"

namespace andon::alerting {
namespace {

using config::Matcher;

constexpr int kRecordVersion = 1;

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsRegex(Matcher::Op op) {
  return op == Matcher::Op::kRegexMatch || op == Matcher::Op::kRegexNoMatch;
}

// Alertmanager's matchesEmpty: = "" and =~ matching "" select alerts that lack the label.
bool MatchesEmpty(const Matcher& m) {
  switch (m.op) {
    case Matcher::Op::kEqual:
      return m.value.empty();
    case Matcher::Op::kRegexMatch:
      return m.Matches("");
    default:
      return false;
  }
}

bool SameMatchers(const std::vector<Matcher>& a, const std::vector<Matcher>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].op != b[i].op || a[i].value != b[i].value) return false;
  }
  return true;
}

// Compiles regexes not yet compiled and checks the silence as Alertmanager's validateSilence.
Status Validate(Silence& s) {
  auto invalid = [](const std::string& why) {
    return Status::InvalidArgument("silence invalid: " + why);
  };
  if (s.matchers.empty()) return invalid("at least one matcher required");
  bool all_match_empty = true;
  for (size_t i = 0; i < s.matchers.size(); ++i) {
    Matcher& m = s.matchers[i];
    std::string prefix = fmt::format("invalid label matcher {}: ", i);
    if (!IsValidLabelName(m.name)) {
      return invalid(prefix + fmt::format("invalid label name \"{}\"", m.name));
    }
    if (IsRegex(m.op)) {
      if (m.regex == nullptr) {
        Result<Matcher> compiled = config::MakeMatcher(m.name, m.op, m.value);
        if (!compiled.ok()) {
          return invalid(prefix + fmt::format("invalid regular expression \"{}\": {}", m.value,
                                              compiled.status().message()));
        }
        m = std::move(*compiled);
      }
    } else if (!IsValidUtf8(m.value)) {
      return invalid(prefix + fmt::format("invalid label value \"{}\"", m.value));
    }
    all_match_empty = all_match_empty && MatchesEmpty(m);
  }
  if (all_match_empty) return invalid("at least one matcher must not match the empty string");
  return Status::Ok();
}

// Alertmanager's canUpdate: can `next` replace `prev` in place without rewriting history?
bool CanUpdate(const Silence& prev, const Silence& next, int64_t now_ms) {
  if (!SameMatchers(prev.matchers, next.matchers)) return false;
  switch (prev.StateAt(now_ms)) {
    case SilenceState::kActive:
      return next.starts_at_ms == prev.starts_at_ms && next.ends_at_ms >= now_ms;
    case SilenceState::kPending:
      return next.starts_at_ms >= now_ms;
    case SilenceState::kExpired:
      return false;
  }
  return false;
}

std::string Encode(const Silence& s) {
  nlohmann::json matchers = nlohmann::json::array();
  for (const Matcher& m : s.matchers) {
    matchers.push_back(
        {{"name", m.name},
         {"value", m.value},
         {"isRegex", IsRegex(m.op)},
         {"isEqual", m.op == Matcher::Op::kEqual || m.op == Matcher::Op::kRegexMatch}});
  }
  nlohmann::json j = {{"v", kRecordVersion},       {"id", s.id},
                      {"matchers", matchers},      {"startsAt", s.starts_at_ms},
                      {"endsAt", s.ends_at_ms},    {"updatedAt", s.updated_at_ms},
                      {"createdBy", s.created_by}, {"comment", s.comment}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Silence> Decode(std::string_view key, std::string_view value) {
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption(fmt::format("silence record {}: {}", key, why));
  };
  try {
    nlohmann::json j = nlohmann::json::parse(value);
    if (j.at("v").get<int>() != kRecordVersion) return corrupt("unknown record version");
    Silence s;
    s.id = j.at("id").get<std::string>();
    if (s.id != key) return corrupt("id does not match the key");
    for (const nlohmann::json& m : j.at("matchers")) {
      bool is_regex = m.at("isRegex").get<bool>();
      bool is_equal = m.at("isEqual").get<bool>();
      Matcher::Op op = is_regex ? (is_equal ? Matcher::Op::kRegexMatch : Matcher::Op::kRegexNoMatch)
                                : (is_equal ? Matcher::Op::kEqual : Matcher::Op::kNotEqual);
      Result<Matcher> built = config::MakeMatcher(m.at("name").get<std::string>(), op,
                                                  m.at("value").get<std::string>());
      if (!built.ok()) return corrupt(built.status().message());
      s.matchers.push_back(std::move(*built));
    }
    s.starts_at_ms = j.at("startsAt").get<int64_t>();
    s.ends_at_ms = j.at("endsAt").get<int64_t>();
    s.updated_at_ms = j.at("updatedAt").get<int64_t>();
    s.created_by = j.at("createdBy").get<std::string>();
    s.comment = j.at("comment").get<std::string>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    return corrupt(e.what());
  }
}

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  return Status::IOError(fmt::format("silences: {}: {}", what, s.ToString()));
}

}  // namespace

std::string_view SilenceStateName(SilenceState state) {
  switch (state) {
    case SilenceState::kExpired:
      return "expired";
    case SilenceState::kActive:
      return "active";
    case SilenceState::kPending:
      return "pending";
  }
  return "expired";
}

SilenceState Silence::StateAt(int64_t now_ms) const {
  if (now_ms < starts_at_ms) return SilenceState::kPending;
  if (now_ms >= ends_at_ms) return SilenceState::kExpired;
  return SilenceState::kActive;
}

bool Silence::Matches(const Labels& labels) const {
  for (const Matcher& m : matchers) {
    if (!m.Matches(labels.Get(m.name))) return false;
  }
  return true;
}

size_t Silences::KeyHash::Hash(std::string_view name, std::string_view value) {
  size_t h = std::hash<std::string_view>()(name);
  return h ^ (std::hash<std::string_view>()(value) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

Silences::Silences(SilencesOptions options)
    : options_(std::move(options)),
      now_ms_(options_.now_ms ? options_.now_ms : std::function<int64_t()>(SystemNowMs)),
      rng_(std::random_device{}()) {}

Silences::~Silences() = default;

Result<std::unique_ptr<Silences>> Silences::Open(SilencesOptions options) {
  std::unique_ptr<Silences> s(new Silences(std::move(options)));
  MetricsRegistry* registry =
      s->options_.registry != nullptr ? s->options_.registry : &MetricsRegistry::Default();
  Result<GaugeFamily*> fam =
      registry->RegisterGauge("andon_silences", "How many silences by state.", {"state"});
  if (!fam.ok()) return fam.status();
  s->gauge_ = *fam;
  s->active_ = &s->gauge_->WithLabels({"active"});
  s->pending_ = &s->gauge_->WithLabels({"pending"});
  s->expired_ = &s->gauge_->WithLabels({"expired"});

  std::error_code ec;
  std::filesystem::create_directories(s->options_.dir, ec);
  if (ec) {
    return Status::IOError(fmt::format("silences: create {}: {}", s->options_.dir, ec.message()));
  }
  rocksdb::Options opts;
  opts.create_if_missing = true;
  opts.keep_log_file_num = 2;
  rocksdb::DB* raw = nullptr;
  Status st = FromRocks(rocksdb::DB::Open(opts, s->options_.dir, &raw), "open " + s->options_.dir);
  if (!st.ok()) return st;
  s->db_.reset(raw);
  st = s->Load();
  if (!st.ok()) return st;
  return s;
}

Status Silences::Load() {
  std::unique_lock lock(mu_);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Result<Silence> s = Decode(it->key().ToStringView(), it->value().ToStringView());
    if (!s.ok()) return s.status().WithContext(options_.dir);
    std::string id = s->id;
    silences_.emplace(std::move(id), std::move(*s));
  }
  Status st = FromRocks(it->status(), "read " + options_.dir);
  if (!st.ok()) return st;
  int64_t now = now_ms_();
  RebuildIndex(now);
  RefreshMetrics(now);
  return Status::Ok();
}

Status Silences::Commit(const std::vector<const Silence*>& put,
                        const std::vector<std::string>& del) {
  rocksdb::WriteBatch batch;
  for (const Silence* s : put) batch.Put(s->id, Encode(*s));
  for (const std::string& id : del) batch.Delete(id);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  Status st = FromRocks(db_->Write(wo, &batch), "write");
  if (!st.ok()) return st;
  for (const Silence* s : put) silences_[s->id] = *s;
  for (const std::string& id : del) silences_.erase(id);
  int64_t now = now_ms_();
  RebuildIndex(now);
  RefreshMetrics(now);
  return Status::Ok();
}

void Silences::RebuildIndex(int64_t now_ms) {
  index_.clear();
  unindexed_.clear();
  for (const auto& [id, s] : silences_) {
    if (s.StateAt(now_ms) == SilenceState::kExpired) continue;
    const Matcher* anchor = nullptr;
    for (const Matcher& m : s.matchers) {
      if (m.op == Matcher::Op::kEqual && !m.value.empty()) {
        anchor = &m;
        break;
      }
    }
    if (anchor == nullptr) {
      unindexed_.push_back(&s);
    } else {
      index_[Key{anchor->name, anchor->value}].push_back(&s);
    }
  }
}

void Silences::RefreshMetrics(int64_t now_ms) {
  double counts[3] = {0, 0, 0};
  for (const auto& [id, s] : silences_) counts[static_cast<int>(s.StateAt(now_ms))] += 1;
  expired_->Set(counts[static_cast<int>(SilenceState::kExpired)]);
  active_->Set(counts[static_cast<int>(SilenceState::kActive)]);
  pending_->Set(counts[static_cast<int>(SilenceState::kPending)]);
}

std::string Silences::NewId() {
  for (;;) {
    uint64_t hi = rng_();
    uint64_t lo = rng_();
    hi = (hi & ~0xf000ULL) | 0x4000ULL;        // version 4
    lo = (lo & ~(3ULL << 62)) | (2ULL << 62);  // variant 10
    std::string id =
        fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                    hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
    if (silences_.count(id) == 0) return id;
  }
}

Result<std::string> Silences::Set(Silence silence) {
  std::unique_lock lock(mu_);
  int64_t now = now_ms_();
  // The API-level checks of Alertmanager come first, with its words.
  if (silence.starts_at_ms >= silence.ends_at_ms) {
    return Status::InvalidArgument("Failed to create silence: start time must be before end time");
  }
  if (silence.ends_at_ms < now) {
    return Status::InvalidArgument("Failed to create silence: end time can't be in the past");
  }
  const Silence* prev = nullptr;
  if (!silence.id.empty()) {
    auto it = silences_.find(silence.id);
    if (it == silences_.end()) return Status::NotFound("silence not found");
    prev = &it->second;
  }
  // Validated before anything changes (Alertmanager expires the old silence first and may
  // then reject the new one, losing both).
  Status st = Validate(silence);
  if (!st.ok()) return st;

  silence.updated_at_ms = now;
  if (prev != nullptr && CanUpdate(*prev, silence, now)) {
    st = Commit({&silence}, {});
    if (!st.ok()) return st;
    return silence.id;
  }
  std::optional<Silence> expired_prev;
  if (prev != nullptr && prev->StateAt(now) != SilenceState::kExpired) {
    expired_prev = *prev;
    if (prev->StateAt(now) == SilenceState::kPending) expired_prev->starts_at_ms = now;
    expired_prev->ends_at_ms = now;
    expired_prev->updated_at_ms = now;
  }
  silence.id = NewId();
  if (silence.starts_at_ms < now) silence.starts_at_ms = now;
  std::vector<const Silence*> put = {&silence};
  if (expired_prev) put.push_back(&*expired_prev);
  st = Commit(put, {});
  if (!st.ok()) return st;
  return silence.id;
}

Status Silences::Expire(const std::string& id) {
  std::unique_lock lock(mu_);
  auto it = silences_.find(id);
  if (it == silences_.end()) return Status::NotFound("silence not found");
  int64_t now = now_ms_();
  SilenceState state = it->second.StateAt(now);
  if (state == SilenceState::kExpired) return Status::Ok();
  Silence s = it->second;
  if (state == SilenceState::kPending) s.starts_at_ms = now;
  s.ends_at_ms = now;
  s.updated_at_ms = now;
  return Commit({&s}, {});
}

std::optional<Silence> Silences::Get(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = silences_.find(id);
  if (it == silences_.end()) return std::nullopt;
  return it->second;
}

std::vector<Silence> Silences::List(const std::vector<config::Matcher>& filter,
                                    int64_t now_ms) const {
  std::vector<Silence> out;
  {
    std::shared_lock lock(mu_);
    for (const auto& [id, s] : silences_) {
      bool keep = std::all_of(filter.begin(), filter.end(), [&](const Matcher& f) {
        return std::any_of(s.matchers.begin(), s.matchers.end(), [&](const Matcher& m) {
          return m.name == f.name && m.op == f.op && m.value == f.value;
        });
      });
      if (keep) out.push_back(s);
    }
  }
  auto rank = [](SilenceState st) {
    return st == SilenceState::kActive ? 0 : st == SilenceState::kPending ? 1 : 2;
  };
  std::sort(out.begin(), out.end(), [&](const Silence& a, const Silence& b) {
    SilenceState sa = a.StateAt(now_ms), sb = b.StateAt(now_ms);
    if (sa != sb) return rank(sa) < rank(sb);
    int64_t ka = 0, kb = 0;
    switch (sa) {
      case SilenceState::kActive:
        ka = a.ends_at_ms, kb = b.ends_at_ms;
        break;
      case SilenceState::kPending:
        ka = a.starts_at_ms, kb = b.starts_at_ms;
        break;
      case SilenceState::kExpired:
        ka = -a.ends_at_ms, kb = -b.ends_at_ms;
        break;
    }
    if (ka != kb) return ka < kb;
    return a.id < b.id;
  });
  return out;
}

std::vector<std::string> Silences::MutedBy(const Labels& labels, int64_t now_ms) const {
  std::vector<std::string> out;
  std::shared_lock lock(mu_);
  auto check = [&](const Silence* s) {
    if (s->StateAt(now_ms) == SilenceState::kActive && s->Matches(labels)) out.push_back(s->id);
  };
  if (!index_.empty()) {
    for (const Label& l : labels) {
      auto it = index_.find(KeyView{l.name, l.value});
      if (it == index_.end()) continue;
      for (const Silence* s : it->second) check(s);
    }
  }
  for (const Silence* s : unindexed_) check(s);
  if (out.size() > 1) std::sort(out.begin(), out.end());
  return out;
}

Result<size_t> Silences::GC() {
  std::unique_lock lock(mu_);
  int64_t now = now_ms_();
  std::vector<std::string> del;
  for (const auto& [id, s] : silences_) {
    if (s.ends_at_ms + options_.retention_ms < now) del.push_back(id);
  }
  if (del.empty()) {
    RebuildIndex(now);
    RefreshMetrics(now);
    return size_t{0};
  }
  Status st = Commit({}, del);
  if (!st.ok()) return st;
  return del.size();
}

size_t Silences::size() const {
  std::shared_lock lock(mu_);
  return silences_.size();
}

}  // namespace andon::alerting
