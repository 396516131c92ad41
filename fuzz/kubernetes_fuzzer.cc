// libFuzzer target for the Kubernetes API decoding of kubernetes_sd_configs
// (scrape/kubernetes_objects.h). Build and run: fuzz/run.sh.
// The input's first line names the role (pod, service, endpoints or node; anything else is
// pod); the rest is read twice: as a list response body, and line by line as a watch
// stream whose events go to the resource their object's "kind" names (the role's own
// resource when it names none).
// Properties: decoding never crashes or hangs; every group built has a source and every
// target an `__address__`; a group of a source that is gone comes back empty.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "scrape/kubernetes_objects.h"

namespace {

using andon::config::KubernetesRole;
using andon::scrape::KubernetesResource;

void Check(bool ok) {
  if (!ok) std::abort();
}

KubernetesResource ResourceOf(KubernetesRole role) {
  switch (role) {
    case KubernetesRole::kService:
      return KubernetesResource::kServices;
    case KubernetesRole::kEndpoints:
      return KubernetesResource::kEndpoints;
    case KubernetesRole::kNode:
      return KubernetesResource::kNodes;
    default:
      return KubernetesResource::kPods;
  }
}

KubernetesResource ResourceOfKind(const nlohmann::json& object, KubernetesResource fallback) {
  auto kind = object.is_object() ? object.find("kind") : object.end();
  if (kind == object.end() || !kind->is_string()) return fallback;
  const auto& k = kind->get_ref<const std::string&>();
  if (k == "Pod") return KubernetesResource::kPods;
  if (k == "Service") return KubernetesResource::kServices;
  if (k == "Endpoints") return KubernetesResource::kEndpoints;
  if (k == "Node") return KubernetesResource::kNodes;
  return fallback;
}

void CheckGroups(const std::vector<andon::scrape::TargetGroup>& groups) {
  for (const auto& g : groups) {
    Check(!g.source.empty());
    for (const andon::Labels& t : g.targets) Check(!t.Get("__address__").empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string_view role_name = std::string_view(input).substr(0, nl);
  std::string_view rest = nl == std::string::npos ? "" : std::string_view(input).substr(nl + 1);
  KubernetesRole role = role_name == "service"     ? KubernetesRole::kService
                        : role_name == "endpoints" ? KubernetesRole::kEndpoints
                        : role_name == "node"      ? KubernetesRole::kNode
                                                   : KubernetesRole::kPod;
  KubernetesResource own = ResourceOf(role);
  andon::scrape::KubernetesObjectStore store(role);

  if (auto page = andon::scrape::ParseKubernetesList(rest); page.ok()) {
    store.ReplaceObjects(own, "", page->items);
    CheckGroups(store.TakeChangedGroups());
  }
  for (size_t start = 0; start < rest.size();) {
    size_t end = rest.find('\n', start);
    if (end == std::string_view::npos) end = rest.size();
    auto event = andon::scrape::ParseKubernetesWatchEvent(rest.substr(start, end - start));
    start = end + 1;
    if (!event.ok()) continue;
    store.Apply(ResourceOfKind(event->object, own), *event);
    CheckGroups(store.TakeChangedGroups());
  }
  // Relisting nothing removes every object: every group left comes back empty.
  for (KubernetesResource r : {KubernetesResource::kPods, KubernetesResource::kServices,
                               KubernetesResource::kEndpoints, KubernetesResource::kNodes}) {
    store.ReplaceObjects(r, "", {});
  }
  for (const auto& g : store.TakeChangedGroups()) Check(g.targets.empty() && g.labels.empty());
  Check(store.Groups().empty());
  return 0;
}
