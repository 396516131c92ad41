// scrape/static_discovery.h
//
// `static_configs`: one target group per config, sources "0", "1", ... in config order,
// each target a label set {__address__="<target>"} and the config's labels as group labels.
// The discoverer reports all groups once, from its executor, and then nothing more.
// Threading as the Discoverer contract (scrape/target_group.h).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <vector>

#include "common/config.h"
#include "scrape/pending_handlers.h"
#include "scrape/target_group.h"

namespace andon::scrape {

// The groups a StaticDiscoverer reports.
std::vector<TargetGroup> StaticTargetGroups(const std::vector<config::StaticConfig>& configs);

class StaticDiscoverer final : public Discoverer {
 public:
  StaticDiscoverer(boost::asio::any_io_executor executor,
                   const std::vector<config::StaticConfig>& configs);
  ~StaticDiscoverer() override;  // calls Stop()

  void Start(UpdateFn on_update) override;
  void Stop() override;

 private:
  boost::asio::any_io_executor executor_;
  std::vector<TargetGroup> groups_;
  UpdateFn on_update_;  // set by Start() before the handler that uses it is posted
  PendingHandlers pending_;
};

}  // namespace andon::scrape
