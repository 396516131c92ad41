#include "scrape/static_discovery.h"

#include <boost/asio/post.hpp>
#include <string>
#include <utility>

namespace andon::scrape {

std::vector<TargetGroup> StaticTargetGroups(const std::vector<config::StaticConfig>& configs) {
  std::vector<TargetGroup> groups;
  groups.reserve(configs.size());
  for (size_t i = 0; i < configs.size(); ++i) {
    TargetGroup g;
    g.source = std::to_string(i);
    for (const std::string& t : configs[i].targets) g.targets.push_back(Labels{{"__address__", t}});
    LabelsBuilder b;
    for (const auto& [name, value] : configs[i].labels) b.Set(name, value);
    g.labels = b.Build();
    groups.push_back(std::move(g));
  }
  return groups;
}

StaticDiscoverer::StaticDiscoverer(boost::asio::any_io_executor executor,
                                   const std::vector<config::StaticConfig>& configs)
    : executor_(std::move(executor)), groups_(StaticTargetGroups(configs)) {}

StaticDiscoverer::~StaticDiscoverer() { Stop(); }

void StaticDiscoverer::Start(UpdateFn on_update) {
  on_update_ = std::move(on_update);
  if (!pending_.TryAdd()) return;
  boost::asio::post(executor_, [this] {
    if (!pending_.Stopping()) on_update_(groups_);
    pending_.Done();
  });
}

void StaticDiscoverer::Stop() {
  pending_.BeginStop();
  pending_.WaitIdle();
}

}  // namespace andon::scrape
