// alerting/sink.h
//
// AlertSink: where the rules layer delivers alerts. Implementations are the in-process
// alert router (alerting/) and a client posting to external Alertmanagers (Prometheus's
// `alerting.alertmanagers`). The rules layer calls Send after each group evaluation with
// the alerts due for (re)sending: firing ones with ends_at in the future, and recently
// resolved ones with ends_at at their resolution time.
//
// Send must not block on the network: implementations queue and deliver in the background,
// dropping (and counting) the oldest alerts when their queue is full. Thread-safe: several
// rule groups may call Send concurrently.
#pragma once

#include <vector>

#include "alerting/alert.h"

namespace andon::alerting {

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual void Send(std::vector<Alert> alerts) = 0;
};

}  // namespace andon::alerting
