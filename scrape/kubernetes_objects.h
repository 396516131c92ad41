// scrape/kubernetes_objects.h
//
// The Kubernetes objects behind `kubernetes_sd_configs` as the API server sends them (list
// pages and watch events, JSON) and the target groups that Prometheus 2.42 builds from them
// for one role: the group sources and `__meta_kubernetes_*` labels that
// scrape/kubernetes_discovery.h describes. The discoverer does the HTTP and keeps one
// store; this part has no I/O, so tests and fuzz/kubernetes_fuzzer.cc drive it directly.
//
// Decoding never throws. Invalid JSON is an error; in valid JSON, fields that are missing
// or of another type read as empty (a port as 0), and objects without a name are ignored.
// Not thread-safe: the discoverer uses its store on its strand only.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/status.h"
#include "scrape/target_group.h"

namespace andon::scrape {

enum class KubernetesResource { kPods, kServices, kEndpoints, kNodes };

// One page of a list response (GET /api/v1/<resource>?limit=...).
struct KubernetesListPage {
  std::vector<nlohmann::json> items;
  std::string continue_token;    // "" on the last page
  std::string resource_version;  // the list's, where the watch starts
};

// Decodes a list response body. Fails on invalid JSON ("invalid JSON: ...") and on
// "items" that is neither a list nor null.
Result<KubernetesListPage> ParseKubernetesList(std::string_view body);

// One line of a watch stream.
struct KubernetesWatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR or whatever was sent
  nlohmann::json object;
  std::string resource_version;  // object.metadata.resourceVersion, "" when absent
  int64_t error_code = 0;        // ERROR only: the Status object's code (410: relist)
  std::string error_message;     // ERROR only
};

// Decodes one line of a watch stream. Fails on invalid JSON ("invalid event: ...").
Result<KubernetesWatchEvent> ParseKubernetesWatchEvent(std::string_view line);

// The objects seen so far for one discoverer and the groups last returned for them.
class KubernetesObjectStore {
 public:
  explicit KubernetesObjectStore(config::KubernetesRole role);
  ~KubernetesObjectStore();
  KubernetesObjectStore(const KubernetesObjectStore&) = delete;
  KubernetesObjectStore& operator=(const KubernetesObjectStore&) = delete;

  // An object added or modified (a list item or a watch event's object), or deleted.
  void Upsert(KubernetesResource r, const nlohmann::json& obj);
  void Remove(KubernetesResource r, const nlohmann::json& obj);
  // Applies an ADDED, MODIFIED or DELETED event and returns true; other types change
  // nothing and return false.
  bool Apply(KubernetesResource r, const KubernetesWatchEvent& event);
  // A complete list of `r` in namespace ns ("" = all namespaces): upserts the items and
  // removes the objects of ns that the list does not hold.
  void ReplaceObjects(KubernetesResource r, const std::string& ns,
                      const std::vector<nlohmann::json>& items);

  // The groups changed since the last call: each group of a changed object that differs
  // from the one last returned, and, for a source that is gone or now has nothing to
  // scrape, a group with no targets and no labels.
  std::vector<TargetGroup> TakeChangedGroups();
  // Every non-empty group as last returned by TakeChangedGroups, ordered by source.
  std::vector<TargetGroup> Groups() const;

 private:
  class State;
  std::unique_ptr<State> state_;
};

}  // namespace andon::scrape
