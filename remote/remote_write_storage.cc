// remote/remote_write_storage.cc: see remote_write_storage.h.
#include "remote/remote_write_storage.h"

#include <algorithm>
#include <string>
#include <utility>

#include "common/logger.h"

namespace andon::remote {

RemoteWriteStorage::RemoteWriteStorage(Db& db, MetricsRegistry* registry)
    : db_(db), registry_(registry), work_(boost::asio::make_work_guard(io_)) {
  thread_ = std::thread([this] { io_.run(); });
}

RemoteWriteStorage::~RemoteWriteStorage() { Stop(); }

Result<std::unique_ptr<RemoteWriteStorage::Prepared>> RemoteWriteStorage::Prepare(
    const config::Config& config) {
  auto next = std::make_unique<Prepared>();
  for (size_t i = 0; i < config.remote_write.size(); ++i) {
    const config::RemoteWriteConfig& rw = config.remote_write[i];
    const std::string cursor = WriteQueue::CursorName(rw);
    if (std::find(next->cursors.begin(), next->cursors.end(), cursor) != next->cursors.end()) {
      return Status::InvalidArgument("remote_write[" + std::to_string(i) +
                                     "]: duplicate remote name " + WriteQueue::RemoteName(rw) +
                                     " (set a distinct `name`)");
    }
    WriteQueueOptions o;
    o.external_labels = config.global.external_labels;
    o.registry = registry_;
    auto queue = WriteQueue::Create(io_.get_executor(), db_, rw, o);
    if (!queue.ok()) return queue.status().WithContext("remote_write[" + std::to_string(i) + "]");
    next->queues.push_back(std::move(*queue));
    next->cursors.push_back(cursor);
  }
  return next;
}

Status RemoteWriteStorage::Commit(std::unique_ptr<Prepared> next) {
  for (auto& q : running_) q->Stop();
  running_.clear();
  Status result = Status::Ok();
  for (const std::string& name : db_.WalCursorNames()) {
    if (name.starts_with("remote_write/") &&
        std::find(next->cursors.begin(), next->cursors.end(), name) == next->cursors.end()) {
      if (Status st = db_.RemoveWalCursor(name); !st.ok()) result = st;
    }
  }
  for (auto& q : next->queues) {
    if (Status st = q->Start(); !st.ok()) {
      result = st;
      continue;
    }
    running_.push_back(std::move(q));
  }
  return result;
}

void RemoteWriteStorage::Stop() {
  for (auto& q : running_) q->Stop();
  running_.clear();
  if (work_) {
    work_.reset();
    thread_.join();
  }
}

}  // namespace andon::remote
