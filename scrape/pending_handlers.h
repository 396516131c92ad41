// scrape/pending_handlers.h
//
// Counts the handlers an object has posted or scheduled on an Asio executor, so that its
// Stop() can wait until none is pending or running before the object is destroyed. Add a
// handler with TryAdd() (refused once stopping) before posting it and call Done() as the
// handler's last action; StopAndWait() refuses new handlers and blocks until the count is
// zero. Thread-safe.
#pragma once

#include <condition_variable>
#include <mutex>

namespace andon::scrape {

class PendingHandlers {
 public:
  // Counts one more handler; false (nothing counted) once stopping.
  bool TryAdd() {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    ++pending_;
    return true;
  }
  // Counts one more handler even while stopping (for the cancellation Stop() posts).
  void Add() {
    std::lock_guard lock(mu_);
    ++pending_;
  }
  void Done() {
    std::lock_guard lock(mu_);
    if (--pending_ == 0) idle_.notify_all();
  }
  bool Stopping() const {
    std::lock_guard lock(mu_);
    return stopping_;
  }
  // Refuses new handlers from now on.
  void BeginStop() {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  // Waits until every counted handler has called Done(). Never call it from a handler.
  void WaitIdle() {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [this] { return pending_ == 0; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable idle_;
  int pending_ = 0;        // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
};

}  // namespace andon::scrape
