#include "alerting/fan_out_sink.h"

#include <utility>

namespace andon::alerting {

void FanOutSink::Send(std::vector<Alert> alerts) {
  for (size_t i = 0; i < sinks_.size(); ++i) {
    if (i + 1 == sinks_.size()) {
      sinks_[i]->Send(std::move(alerts));
    } else {
      sinks_[i]->Send(alerts);
    }
  }
}

}  // namespace andon::alerting
