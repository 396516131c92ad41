// alerting/fan_out_sink.h
//
// FanOutSink: an AlertSink that hands every batch to several sinks, in the order given
// (the server: its own alert router, then the external Alertmanagers). Each sink gets its
// own copy of the alerts. The sinks are not owned and must outlive it. Thread-safe as the
// sinks are.
#pragma once

#include <utility>
#include <vector>

#include "alerting/sink.h"

namespace andon::alerting {

class FanOutSink final : public AlertSink {
 public:
  explicit FanOutSink(std::vector<AlertSink*> sinks) : sinks_(std::move(sinks)) {}
  void Send(std::vector<Alert> alerts) override;

 private:
  const std::vector<AlertSink*> sinks_;
};

}  // namespace andon::alerting
