// alerting/relabeling_sink.h
//
// RelabelingSink: an AlertSink that applies Prometheus's `alerting.alert_relabel_configs`
// to every alert (after the rules layer added the external labels, as Prometheus orders
// them) and hands the alerts that remain to the next sink. An alert the relabeling drops,
// or leaves without labels, is not forwarded. The typical use is an HA pair: both replicas
// drop their `replica` external label, so their alerts have the same fingerprint and the
// router they both send to notifies once.
//
// The relabel function comes from the caller (the server passes scrape::Relabel over the
// current config), so this layer does not depend on the scrape layer. SetRelabel() swaps it
// on a reload; an empty function forwards alerts unchanged. Thread-safe; `next` is not owned
// and must outlive the sink.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "alerting/sink.h"
#include "common/labels.h"

namespace andon::alerting {

class RelabelingSink final : public AlertSink {
 public:
  // Relabels the builder in place; false drops the alert.
  using Relabel = std::function<bool(LabelsBuilder&)>;

  explicit RelabelingSink(AlertSink* next) : next_(next) {}
  void SetRelabel(Relabel relabel);
  void Send(std::vector<Alert> alerts) override;

 private:
  AlertSink* const next_;
  std::mutex mu_;
  std::shared_ptr<const Relabel> relabel_;  // guarded by mu_; null: unchanged
};

}  // namespace andon::alerting
