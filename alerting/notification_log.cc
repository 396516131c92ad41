// alerting/notification_log.cc
#include "alerting/notification_log.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>

#include "common/logger.h"

namespace andon::alerting {
namespace {

constexpr char kKeyPrefix = 'n';
constexpr uint8_t kValueVersion = 1;

void PutU32(std::string* out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>((v >> s) & 0xff));
}
void PutU64(std::string* out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out->push_back(static_cast<char>((v >> s) & 0xff));
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool U32(uint32_t* v) {
    if (s_.size() < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) *v = (*v << 8) | static_cast<uint8_t>(s_[i]);
    s_.remove_prefix(4);
    return true;
  }
  bool U64(uint64_t* v) {
    if (s_.size() < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v = (*v << 8) | static_cast<uint8_t>(s_[i]);
    s_.remove_prefix(8);
    return true;
  }
  bool U8(uint8_t* v) {
    if (s_.empty()) return false;
    *v = static_cast<uint8_t>(s_[0]);
    s_.remove_prefix(1);
    return true;
  }
  bool Bytes(size_t n, std::string* out) {
    if (s_.size() < n) return false;
    out->assign(s_.substr(0, n));
    s_.remove_prefix(n);
    return true;
  }
  bool String(std::string* out) {
    uint32_t n;
    return U32(&n) && Bytes(n, out);
  }
  bool Fingerprints(std::vector<uint64_t>* out) {
    uint32_t n;
    if (!U32(&n) || s_.size() / 8 < n) return false;
    out->resize(n);
    for (uint64_t& v : *out) U64(&v);
    return std::is_sorted(out->begin(), out->end());
  }
  std::string_view rest() const { return s_; }

 private:
  std::string_view s_;
};

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  std::string m = what + ": " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(std::move(m));
  if (s.IsNoSpace()) return Status::ResourceExhausted(std::move(m));
  return Status::IOError(std::move(m));
}

bool Contains(const std::vector<uint64_t>& set, const std::vector<uint64_t>& fps) {
  return std::includes(set.begin(), set.end(), fps.begin(), fps.end());
}

bool DecodeEntry(std::string_view key, std::string_view value, NotificationLogEntry* e) {
  if (key.empty() || key[0] != kKeyPrefix) return false;
  Reader k(key.substr(1));
  if (!k.String(&e->receiver) || !k.String(&e->integration) || !k.U32(&e->integration_index)) {
    return false;
  }
  e->group_key.assign(k.rest());
  Reader v(value);
  uint8_t version;
  uint64_t ts, exp;
  if (!v.U8(&version) || version != kValueVersion || !v.U64(&ts) || !v.U64(&exp) ||
      !v.Fingerprints(&e->firing) || !v.Fingerprints(&e->resolved) || !v.rest().empty()) {
    return false;
  }
  e->timestamp_ms = static_cast<int64_t>(ts);
  e->expires_at_ms = static_cast<int64_t>(exp);
  return true;
}

}  // namespace

bool NotificationLogEntry::FiringContains(const std::vector<uint64_t>& fps) const {
  return Contains(firing, fps);
}
bool NotificationLogEntry::ResolvedContains(const std::vector<uint64_t>& fps) const {
  return Contains(resolved, fps);
}

std::string NotificationLog::EncodeKey(const std::string& receiver, const std::string& integration,
                                       uint32_t integration_index, const std::string& group_key) {
  std::string k(1, kKeyPrefix);
  PutU32(&k, static_cast<uint32_t>(receiver.size()));
  k += receiver;
  PutU32(&k, static_cast<uint32_t>(integration.size()));
  k += integration;
  PutU32(&k, integration_index);
  k += group_key;
  return k;
}

std::string NotificationLog::EncodeValue(const NotificationLogEntry& e) {
  std::string v(1, static_cast<char>(kValueVersion));
  PutU64(&v, static_cast<uint64_t>(e.timestamp_ms));
  PutU64(&v, static_cast<uint64_t>(e.expires_at_ms));
  PutU32(&v, static_cast<uint32_t>(e.firing.size()));
  for (uint64_t fp : e.firing) PutU64(&v, fp);
  PutU32(&v, static_cast<uint32_t>(e.resolved.size()));
  for (uint64_t fp : e.resolved) PutU64(&v, fp);
  return v;
}

Result<std::unique_ptr<NotificationLog>> NotificationLog::Open(const std::string& dir,
                                                               NotificationLogOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("notification log: create " + dir + ": " + ec.message());
  rocksdb::Options ro;
  ro.create_if_missing = true;
  ro.max_background_jobs = 1;
  ro.keep_log_file_num = 2;
  ro.write_buffer_size = 4 << 20;
  rocksdb::DB* raw = nullptr;
  Status s = FromRocks(rocksdb::DB::Open(ro, dir, &raw), "notification log: open " + dir);
  if (!s.ok()) return s;
  std::unique_ptr<NotificationLog> log(new NotificationLog());
  log->db_.reset(raw);
  log->options_ = options;
  log->dir_ = dir;
  std::unique_ptr<rocksdb::Iterator> it(log->db_->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    NotificationLogEntry e;
    if (!DecodeEntry(it->key().ToStringView(), it->value().ToStringView(), &e)) {
      ++log->corrupt_entries_;
      LogError("alerting", "skipping corrupt notification log entry",
               {{"dir", dir},
                {"key_bytes", std::to_string(it->key().size())},
                {"value_bytes", std::to_string(it->value().size())}});
      continue;
    }
    Key key{e.receiver, e.integration, e.integration_index, e.group_key};
    log->entries_.emplace(std::move(key), std::move(e));
  }
  s = FromRocks(it->status(), "notification log: read " + dir);
  if (!s.ok()) return s;
  return log;
}

std::unique_ptr<NotificationLog> NotificationLog::InMemory(NotificationLogOptions options) {
  std::unique_ptr<NotificationLog> log(new NotificationLog());
  log->options_ = options;
  log->dir_ = "(memory)";
  return log;
}

NotificationLog::~NotificationLog() {
  if (db_) db_->Close().PermitUncheckedError();
}

Status NotificationLog::Log(NotificationLogEntry entry) {
  std::sort(entry.firing.begin(), entry.firing.end());
  std::sort(entry.resolved.begin(), entry.resolved.end());
  if (entry.expires_at_ms == 0) entry.expires_at_ms = entry.timestamp_ms + options_.retention_ms;
  std::string key =
      EncodeKey(entry.receiver, entry.integration, entry.integration_index, entry.group_key);
  std::string value = EncodeValue(entry);
  std::lock_guard lock(mu_);
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  if (db_) {
    Status s = FromRocks(db_->Put(wo, key, value), "notification log: write " + dir_);
    if (!s.ok()) return s;
  }
  Key k{entry.receiver, entry.integration, entry.integration_index, entry.group_key};
  entries_[std::move(k)] = std::move(entry);
  return Status::Ok();
}

std::optional<NotificationLogEntry> NotificationLog::Query(const std::string& receiver,
                                                           const std::string& integration,
                                                           uint32_t integration_index,
                                                           const std::string& group_key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(Key{receiver, integration, integration_index, group_key});
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

Result<size_t> NotificationLog::GarbageCollect(int64_t now_ms) {
  std::lock_guard lock(mu_);
  rocksdb::WriteBatch batch;
  std::vector<std::map<Key, NotificationLogEntry>::iterator> expired;
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const NotificationLogEntry& e = it->second;
    if (e.expires_at_ms > now_ms) continue;
    batch.Delete(EncodeKey(e.receiver, e.integration, e.integration_index, e.group_key))
        .PermitUncheckedError();
    expired.push_back(it);
  }
  if (expired.empty()) return size_t{0};
  if (db_) {
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync;
    Status s = FromRocks(db_->Write(wo, &batch), "notification log: delete expired in " + dir_);
    if (!s.ok()) return s;
  }
  for (auto it : expired) entries_.erase(it);
  return expired.size();
}

size_t NotificationLog::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace andon::alerting
