// scrape/target_group.h
//
// What service discovery produces and the scrape manager consumes. A discoverer reports
// groups of targets; each group has a source name unique within that discoverer, and a
// report with a source replaces that source's earlier group entirely (a group with no
// targets means the source is gone). Target label sets carry `__address__` and the
// discoverer's `__meta_*` labels; the group's labels apply to every target in it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/labels.h"

namespace andon::scrape {

struct TargetGroup {
  std::string source;  // e.g. "pod/default/api-7d9f", "/etc/andon/sd.json:0", "0"
  std::vector<Labels> targets;
  Labels labels;
};

// A source of target groups (static list, files, the Kubernetes API).
//
// Threading: Start() returns at once; the discoverer runs on the Asio executor it was
// built with and calls `on_update` from it, never concurrently with itself, first with
// every group it knows at start (possibly none), then with changed groups. Stop() may be
// called from any other thread; it blocks until no handler of the discoverer is running
// or pending and `on_update` will not be called again. After Stop() the object may be
// destroyed.
class Discoverer {
 public:
  using UpdateFn = std::function<void(std::vector<TargetGroup> changed)>;
  virtual ~Discoverer() = default;
  virtual void Start(UpdateFn on_update) = 0;
  virtual void Stop() = 0;
};

}  // namespace andon::scrape
