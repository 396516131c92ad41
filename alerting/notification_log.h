// alerting/notification_log.h
//
// NotificationLog: what was last sent, per (receiver, integration, group), as
// Alertmanager's nflog: the fingerprints of the firing and resolved alerts of the last
// successful notification, when it was sent, and when the entry expires (sent +
// retention). The dispatcher's de-duplication reads it before notifying and writes it
// only after the integration accepted the notification. Persisted in its own RocksDB
// directory (e.g. <data>/alerting/nflog) so a restart does not re-send what was already
// sent within repeat_interval. All entries are also held in memory (there are few: one
// per group and integration); reads never touch disk.
//
// RocksDB layout (one default column family, format version 1):
//   key   = "n" u32be(len) receiver u32be(len) integration u32be(index) group_key
//   value = u8 version(1) i64be timestamp_ms i64be expires_at_ms
//           u32be n_firing  n_firing  x u64be fingerprint
//           u32be n_resolved n_resolved x u64be fingerprint
// A record that does not decode (wrong version, wrong length) is skipped at Open with an
// error log and counted in corrupt_entries(); it is overwritten by the next Log of its key.
//
// Thread-safe: Log, Query and GarbageCollect may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "common/status.h"

namespace rocksdb {
class DB;
}

namespace andon::alerting {

struct NotificationLogEntry {
  std::string receiver;     // receiver name
  std::string integration;  // "slack", "webhook"
  uint32_t integration_index = 0;
  std::string group_key;
  std::vector<uint64_t> firing;    // sorted fingerprints
  std::vector<uint64_t> resolved;  // sorted fingerprints
  int64_t timestamp_ms = 0;
  int64_t expires_at_ms = 0;

  // Whether every fingerprint of `fps` (sorted) is in firing / resolved.
  bool FiringContains(const std::vector<uint64_t>& fps) const;
  bool ResolvedContains(const std::vector<uint64_t>& fps) const;
  bool operator==(const NotificationLogEntry&) const = default;
};

struct NotificationLogOptions {
  int64_t retention_ms = 120LL * 3600 * 1000;  // Alertmanager's --data.retention default
  bool sync = false;  // fsync each Log; off: survives kill -9, not a power loss
};

class NotificationLog {
 public:
  // Opens (creating when missing, with parent directories) the log in `dir`.
  static Result<std::unique_ptr<NotificationLog>> Open(const std::string& dir,
                                                       NotificationLogOptions options = {});
  // A log kept only in memory (for a router without a data directory, and tests).
  static std::unique_ptr<NotificationLog> InMemory(NotificationLogOptions options = {});
  ~NotificationLog();
  NotificationLog(const NotificationLog&) = delete;
  NotificationLog& operator=(const NotificationLog&) = delete;

  // Records `entry` (replacing the one of its key); expires_at_ms 0 means
  // timestamp + retention.
  Status Log(NotificationLogEntry entry);
  std::optional<NotificationLogEntry> Query(const std::string& receiver,
                                            const std::string& integration,
                                            uint32_t integration_index,
                                            const std::string& group_key) const;
  // Deletes entries expired at now_ms; returns how many.
  Result<size_t> GarbageCollect(int64_t now_ms);

  size_t size() const;
  size_t corrupt_entries() const { return corrupt_entries_; }

  // The encodings (exposed for tests that write a corrupt record).
  static std::string EncodeKey(const std::string& receiver, const std::string& integration,
                               uint32_t integration_index, const std::string& group_key);
  static std::string EncodeValue(const NotificationLogEntry& entry);

 private:
  NotificationLog() = default;
  using Key = std::tuple<std::string, std::string, uint32_t, std::string>;

  std::unique_ptr<rocksdb::DB> db_;  // null: in memory only
  NotificationLogOptions options_;
  std::string dir_;
  size_t corrupt_entries_ = 0;
  mutable std::mutex mu_;
  std::map<Key, NotificationLogEntry> entries_;  // GUARDED_BY(mu_)
};

}  // namespace andon::alerting
