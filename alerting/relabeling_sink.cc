// alerting/relabeling_sink.cc: see relabeling_sink.h.
#include "alerting/relabeling_sink.h"

#include <utility>

namespace andon::alerting {

void RelabelingSink::SetRelabel(Relabel relabel) {
  auto next = relabel ? std::make_shared<const Relabel>(std::move(relabel)) : nullptr;
  std::lock_guard lock(mu_);
  relabel_ = std::move(next);
}

void RelabelingSink::Send(std::vector<Alert> alerts) {
  std::shared_ptr<const Relabel> relabel;
  {
    std::lock_guard lock(mu_);
    relabel = relabel_;
  }
  if (relabel != nullptr) {
    LabelsBuilder b;
    std::erase_if(alerts, [&](Alert& a) {
      b.Reset(a.labels);
      if (!(*relabel)(b)) return true;
      a.labels = b.Build();
      return a.labels.empty();
    });
  }
  if (!alerts.empty()) next_->Send(std::move(alerts));
}

}  // namespace andon::alerting
