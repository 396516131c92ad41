// remote/remote_write_storage.h
//
// RemoteWriteStorage: the server's `remote_write` section, one WriteQueue
// (remote/write_queue.h) per entry, all on one io_context thread that it owns.
//
// A (re)load is two steps, so that a config that fails anywhere changes nothing:
// Prepare() builds the queues of a new config (TLS files, metrics) without starting them;
// Commit() stops the running queues, starts the prepared ones (each resumes from its WAL
// cursor, so a reload re-sends at most the segment that was in flight) and removes the WAL
// cursors of remote names no longer configured, so their WAL is no longer held back.
//
// Threading: Prepare/Commit/Stop from one controlling thread (the server's reload path).
// Stop() (also run by the destructor) must come before the Db closes.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "common/config.h"
#include "common/metrics_registry.h"
#include "common/status.h"
#include "remote/write_queue.h"
#include "tsdb/db.h"

namespace andon::remote {

class RemoteWriteStorage {
 public:
  struct Prepared {
    std::vector<std::unique_ptr<WriteQueue>> queues;
    std::vector<std::string> cursors;  // WAL cursor names of the new config
  };

  RemoteWriteStorage(Db& db, MetricsRegistry* registry = &MetricsRegistry::Default());
  ~RemoteWriteStorage();
  RemoteWriteStorage(const RemoteWriteStorage&) = delete;
  RemoteWriteStorage& operator=(const RemoteWriteStorage&) = delete;

  Result<std::unique_ptr<Prepared>> Prepare(const config::Config& config);
  Status Commit(std::unique_ptr<Prepared> next);
  void Stop();

 private:
  Db& db_;
  MetricsRegistry* registry_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::vector<std::unique_ptr<WriteQueue>> running_;
};

}  // namespace andon::remote
