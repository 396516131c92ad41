// scrape/kubernetes_objects.cc: see kubernetes_objects.h.
#include "scrape/kubernetes_objects.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "common/logger.h"

namespace andon::scrape {
namespace {

using json = nlohmann::json;
using StringMap = std::map<std::string, std::string>;

constexpr std::string_view kComponent = "kubernetes_sd";
const std::string kMeta = "__meta_kubernetes_";
const std::string kNamespaceLabel = kMeta + "namespace";

// ---------------------------------------------------------------------------------------
// Small helpers.

const json& NullJson() {
  static const json kNull;
  return kNull;
}

const json& Field(const json& j, const char* key) {
  if (!j.is_object()) return NullJson();
  auto it = j.find(key);
  return it == j.end() ? NullJson() : *it;
}

std::string Str(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

int64_t Int(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_number_integer() ? v.get<int64_t>() : 0;
}

// The elements of an array field (none when absent or not an array).
const json& Arr(const json& j, const char* key) {
  static const json kEmpty = json::array();
  const json& v = Field(j, key);
  return v.is_array() ? v : kEmpty;
}

StringMap StrMap(const json& j) {
  StringMap m;
  if (!j.is_object()) return m;
  for (const auto& [k, v] : j.items()) {
    if (v.is_string()) m[k] = v.get<std::string>();
  }
  return m;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Prometheus's strutil.SanitizeLabelName: every character outside [a-zA-Z0-9_] becomes '_'.
std::string SanitizeLabelName(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  }
  return out;
}

std::string JoinHostPort(std::string_view host, int64_t port) {
  std::string h(host);
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return h + ":" + std::to_string(port);
}

// ---------------------------------------------------------------------------------------
// The parts of the Kubernetes objects that the labels are made of.

struct ObjectMeta {
  std::string ns;
  std::string name;
  std::string uid;
  StringMap labels;
  StringMap annotations;
  std::string controller_kind;  // from the ownerReference with controller: true
  std::string controller_name;

  std::string Key() const { return ns.empty() ? name : ns + "/" + name; }
};

struct Port {
  std::string name;
  int64_t number = 0;
  std::string protocol;
};

struct Container {
  std::string name;
  std::string image;
  std::string id;  // containerID from the matching container status
  std::vector<Port> ports;
};

struct Pod {
  ObjectMeta meta;
  std::string ip;
  std::string phase;
  std::string node_name;
  std::string host_ip;
  std::string ready = "unknown";
  std::vector<Container> containers;
  std::vector<Container> init_containers;
};

struct Service {
  ObjectMeta meta;
  std::string type;
  std::string cluster_ip;
  std::string external_name;
  std::vector<Port> ports;
};

struct EndpointAddress {
  std::string ip;
  std::string hostname;
  std::optional<std::string> node_name;
  bool has_target_ref = false;
  std::string ref_kind;
  std::string ref_name;
  std::string ref_namespace;
};

struct EndpointSubset {
  std::vector<EndpointAddress> addresses;
  std::vector<EndpointAddress> not_ready_addresses;
  std::vector<Port> ports;
};

struct Endpoints {
  ObjectMeta meta;
  std::vector<EndpointSubset> subsets;
};

struct Node {
  ObjectMeta meta;
  std::string provider_id;
  std::vector<std::pair<std::string, std::string>> addresses;  // (type, address)
  int64_t kubelet_port = 0;
};

ObjectMeta ParseMeta(const json& obj) {
  const json& m = Field(obj, "metadata");
  ObjectMeta meta;
  meta.ns = Str(m, "namespace");
  meta.name = Str(m, "name");
  meta.uid = Str(m, "uid");
  meta.labels = StrMap(Field(m, "labels"));
  meta.annotations = StrMap(Field(m, "annotations"));
  for (const json& ref : Arr(m, "ownerReferences")) {
    const json& controller = Field(ref, "controller");
    if (controller.is_boolean() && controller.get<bool>()) {
      meta.controller_kind = Str(ref, "kind");
      meta.controller_name = Str(ref, "name");
      break;
    }
  }
  return meta;
}

std::vector<Container> ParseContainers(const json& specs, const json& statuses) {
  std::vector<Container> out;
  for (const json& c : specs) {
    Container container;
    container.name = Str(c, "name");
    container.image = Str(c, "image");
    for (const json& p : Arr(c, "ports")) {
      container.ports.push_back(Port{Str(p, "name"), Int(p, "containerPort"), Str(p, "protocol")});
    }
    for (const json& s : statuses) {
      if (Str(s, "name") == container.name) {
        container.id = Str(s, "containerID");
        break;
      }
    }
    out.push_back(std::move(container));
  }
  return out;
}

Pod ParsePod(const json& obj) {
  Pod pod;
  pod.meta = ParseMeta(obj);
  const json& spec = Field(obj, "spec");
  const json& status = Field(obj, "status");
  pod.ip = Str(status, "podIP");
  pod.phase = Str(status, "phase");
  pod.host_ip = Str(status, "hostIP");
  pod.node_name = Str(spec, "nodeName");
  for (const json& cond : Arr(status, "conditions")) {
    if (Str(cond, "type") == "Ready") {
      pod.ready = Lower(Str(cond, "status"));
      break;
    }
  }
  pod.containers = ParseContainers(Arr(spec, "containers"), Arr(status, "containerStatuses"));
  pod.init_containers =
      ParseContainers(Arr(spec, "initContainers"), Arr(status, "initContainerStatuses"));
  return pod;
}

Service ParseService(const json& obj) {
  Service svc;
  svc.meta = ParseMeta(obj);
  const json& spec = Field(obj, "spec");
  svc.type = Str(spec, "type");
  svc.cluster_ip = Str(spec, "clusterIP");
  svc.external_name = Str(spec, "externalName");
  for (const json& p : Arr(spec, "ports")) {
    svc.ports.push_back(Port{Str(p, "name"), Int(p, "port"), Str(p, "protocol")});
  }
  return svc;
}

std::vector<EndpointAddress> ParseAddresses(const json& list) {
  std::vector<EndpointAddress> out;
  for (const json& a : list) {
    EndpointAddress addr;
    addr.ip = Str(a, "ip");
    addr.hostname = Str(a, "hostname");
    if (Field(a, "nodeName").is_string()) addr.node_name = Str(a, "nodeName");
    const json& ref = Field(a, "targetRef");
    if (ref.is_object()) {
      addr.has_target_ref = true;
      addr.ref_kind = Str(ref, "kind");
      addr.ref_name = Str(ref, "name");
      addr.ref_namespace = Str(ref, "namespace");
    }
    out.push_back(std::move(addr));
  }
  return out;
}

Endpoints ParseEndpoints(const json& obj) {
  Endpoints eps;
  eps.meta = ParseMeta(obj);
  for (const json& s : Arr(obj, "subsets")) {
    EndpointSubset subset;
    subset.addresses = ParseAddresses(Arr(s, "addresses"));
    subset.not_ready_addresses = ParseAddresses(Arr(s, "notReadyAddresses"));
    for (const json& p : Arr(s, "ports")) {
      subset.ports.push_back(Port{Str(p, "name"), Int(p, "port"), Str(p, "protocol")});
    }
    eps.subsets.push_back(std::move(subset));
  }
  return eps;
}

Node ParseNode(const json& obj) {
  Node node;
  node.meta = ParseMeta(obj);
  node.provider_id = Str(Field(obj, "spec"), "providerID");
  const json& status = Field(obj, "status");
  for (const json& a : Arr(status, "addresses")) {
    node.addresses.emplace_back(Str(a, "type"), Str(a, "address"));
  }
  node.kubelet_port = Int(Field(Field(status, "daemonEndpoints"), "kubeletEndpoint"), "Port");
  return node;
}

// ---------------------------------------------------------------------------------------
// Labels, as Prometheus 2.42 builds them.

// `<role>_label_<name>`, `<role>_labelpresent_<name>` and the same for annotations.
void AddObjectLabels(LabelsBuilder& b, const std::string& role, const ObjectMeta& meta) {
  for (const auto& [k, v] : meta.labels) {
    std::string name = SanitizeLabelName(k);
    b.Set(kMeta + role + "_label_" + name, v);
    b.Set(kMeta + role + "_labelpresent_" + name, "true");
  }
  for (const auto& [k, v] : meta.annotations) {
    std::string name = SanitizeLabelName(k);
    b.Set(kMeta + role + "_annotation_" + name, v);
    b.Set(kMeta + role + "_annotationpresent_" + name, "true");
  }
}

// Prometheus's podLabels(): everything about the pod except its namespace and containers.
void AddPodLabels(LabelsBuilder& b, const Pod& pod) {
  b.Set(kMeta + "pod_name", pod.meta.name);
  b.Set(kMeta + "pod_ip", pod.ip);
  b.Set(kMeta + "pod_ready", pod.ready);
  b.Set(kMeta + "pod_phase", pod.phase);
  b.Set(kMeta + "pod_node_name", pod.node_name);
  b.Set(kMeta + "pod_host_ip", pod.host_ip);
  b.Set(kMeta + "pod_uid", pod.meta.uid);
  b.Set(kMeta + "pod_controller_kind", pod.meta.controller_kind);
  b.Set(kMeta + "pod_controller_name", pod.meta.controller_name);
  AddObjectLabels(b, "pod", pod.meta);
}

TargetGroup BuildPodGroup(const std::string& source, const Pod& pod) {
  TargetGroup g;
  g.source = source;
  if (pod.ip.empty()) return g;  // starting or evicted: nothing to scrape
  LabelsBuilder b;
  AddPodLabels(b, pod);
  b.Set(kNamespaceLabel, pod.meta.ns);
  g.labels = b.Build();
  auto add = [&](const Container& c, bool init) {
    auto base = [&](LabelsBuilder& t) {
      t.Set(kMeta + "pod_container_name", c.name);
      t.Set(kMeta + "pod_container_image", c.image);
      t.Set(kMeta + "pod_container_id", c.id);
      t.Set(kMeta + "pod_container_init", init ? "true" : "false");
    };
    if (c.ports.empty()) {  // one target without a port: relabeling has to add one
      LabelsBuilder t;
      t.Set("__address__", pod.ip);
      base(t);
      g.targets.push_back(t.Build());
      return;
    }
    for (const Port& p : c.ports) {
      LabelsBuilder t;
      t.Set("__address__", JoinHostPort(pod.ip, p.number));
      base(t);
      t.Set(kMeta + "pod_container_port_name", p.name);
      t.Set(kMeta + "pod_container_port_number", std::to_string(p.number));
      t.Set(kMeta + "pod_container_port_protocol", p.protocol);
      g.targets.push_back(t.Build());
    }
  };
  for (const Container& c : pod.containers) add(c, false);
  for (const Container& c : pod.init_containers) add(c, true);
  return g;
}

void AddServiceLabels(LabelsBuilder& b, const Service& svc) {
  b.Set(kMeta + "service_name", svc.meta.name);
  b.Set(kNamespaceLabel, svc.meta.ns);
  AddObjectLabels(b, "service", svc.meta);
}

TargetGroup BuildServiceGroup(const std::string& source, const Service& svc) {
  TargetGroup g;
  g.source = source;
  LabelsBuilder b;
  AddServiceLabels(b, svc);
  g.labels = b.Build();
  for (const Port& p : svc.ports) {
    LabelsBuilder t;
    t.Set("__address__", JoinHostPort(svc.meta.name + "." + svc.meta.ns + ".svc", p.number));
    t.Set(kMeta + "service_port_name", p.name);
    t.Set(kMeta + "service_port_number", std::to_string(p.number));
    t.Set(kMeta + "service_port_protocol", p.protocol);
    t.Set(kMeta + "service_type", svc.type);
    if (svc.type == "ExternalName") {
      t.Set(kMeta + "service_external_name", svc.external_name);
    } else {
      t.Set(kMeta + "service_cluster_ip", svc.cluster_ip);
    }
    g.targets.push_back(t.Build());
  }
  return g;
}

TargetGroup BuildNodeGroup(const std::string& source, const Node& node) {
  TargetGroup g;
  g.source = source;
  // The first address of the first type present, in client-go's order of preference.
  static const char* kPreference[] = {"InternalIP",  "InternalDNS",  "ExternalIP",
                                      "ExternalDNS", "LegacyHostIP", "Hostname"};
  std::string address;
  for (const char* type : kPreference) {
    for (const auto& [t, a] : node.addresses) {
      if (t == type) {
        address = a;
        break;
      }
    }
    if (!address.empty()) break;
  }
  if (address.empty()) {
    LogWarn(kComponent, "no node address found", {{"node", node.meta.name}});
    return g;
  }
  LabelsBuilder b;
  b.Set(kMeta + "node_name", node.meta.name);
  b.Set(kMeta + "node_provider_id", node.provider_id);
  AddObjectLabels(b, "node", node.meta);
  g.labels = b.Build();
  LabelsBuilder t;
  t.Set("__address__", JoinHostPort(address, node.kubelet_port));
  t.Set("instance", node.meta.name);
  std::set<std::string> seen;
  for (const auto& [type, a] : node.addresses) {
    if (!seen.insert(type).second) continue;  // first address of each type
    t.Set(SanitizeLabelName(kMeta + "node_address_" + type), a);
  }
  g.targets.push_back(t.Build());
  return g;
}

bool SameGroup(const TargetGroup& a, const TargetGroup& b) {
  return a.labels == b.labels && a.targets == b.targets;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// The store.

class KubernetesObjectStore::State {
 public:
  explicit State(config::KubernetesRole role) : role_(role) {}

  void Upsert(KubernetesResource r, const json& obj);
  void Remove(KubernetesResource r, const json& obj);
  void ReplaceObjects(KubernetesResource r, const std::string& ns, const std::vector<json>& items);
  std::vector<TargetGroup> TakeChangedGroups();
  std::vector<TargetGroup> Groups() const;

 private:
  std::string SourceFor(const std::string& key) const;
  TargetGroup BuildGroup(const std::string& key) const;
  TargetGroup BuildEndpointsGroup(const std::string& source, const Endpoints& eps) const;
  void IndexEndpoints(const std::string& key, const Endpoints* eps);
  void PodChanged(const std::string& key);
  void ServiceChanged(const std::string& key);

  const config::KubernetesRole role_;
  std::map<std::string, Pod> pods_;  // by namespace/name
  std::map<std::string, Service> services_;
  std::map<std::string, Endpoints> endpoints_;
  std::map<std::string, Node> nodes_;  // by name
  // endpoints role: pod key -> keys of the endpoints whose addresses refer to it.
  std::map<std::string, std::set<std::string>> endpoints_by_pod_;
  std::set<std::string> dirty_;                 // keys of the role's objects to rebuild
  std::map<std::string, TargetGroup> emitted_;  // by source: last returned, non-empty
};

void KubernetesObjectStore::State::PodChanged(const std::string& key) {
  if (role_ == config::KubernetesRole::kPod) {
    dirty_.insert(key);
  } else if (role_ == config::KubernetesRole::kEndpoints) {
    auto it = endpoints_by_pod_.find(key);
    if (it != endpoints_by_pod_.end()) dirty_.insert(it->second.begin(), it->second.end());
  }
}

void KubernetesObjectStore::State::ServiceChanged(const std::string& key) {
  // The service role's groups and the endpoints of the same name use the service.
  if (role_ == config::KubernetesRole::kService ||
      (role_ == config::KubernetesRole::kEndpoints && endpoints_.contains(key))) {
    dirty_.insert(key);
  }
}

void KubernetesObjectStore::State::IndexEndpoints(const std::string& key, const Endpoints* eps) {
  for (auto it = endpoints_by_pod_.begin(); it != endpoints_by_pod_.end();) {
    it->second.erase(key);
    it = it->second.empty() ? endpoints_by_pod_.erase(it) : std::next(it);
  }
  if (eps == nullptr) return;
  for (const EndpointSubset& s : eps->subsets) {
    for (const auto* list : {&s.addresses, &s.not_ready_addresses}) {
      for (const EndpointAddress& a : *list) {
        if (a.has_target_ref && a.ref_kind == "Pod") {
          endpoints_by_pod_[a.ref_namespace + "/" + a.ref_name].insert(key);
        }
      }
    }
  }
}

void KubernetesObjectStore::State::Upsert(KubernetesResource r, const json& obj) {
  ObjectMeta meta = ParseMeta(obj);
  std::string key = meta.Key();
  if (meta.name.empty()) return;
  switch (r) {
    case KubernetesResource::kPods:
      pods_[key] = ParsePod(obj);
      PodChanged(key);
      break;
    case KubernetesResource::kServices:
      services_[key] = ParseService(obj);
      ServiceChanged(key);
      break;
    case KubernetesResource::kEndpoints: {
      Endpoints& eps = endpoints_[key] = ParseEndpoints(obj);
      IndexEndpoints(key, &eps);
      dirty_.insert(key);
      break;
    }
    case KubernetesResource::kNodes:
      nodes_[key] = ParseNode(obj);
      dirty_.insert(key);
      break;
  }
}

void KubernetesObjectStore::State::Remove(KubernetesResource r, const json& obj) {
  std::string key = ParseMeta(obj).Key();
  switch (r) {
    case KubernetesResource::kPods:
      pods_.erase(key);
      PodChanged(key);
      break;
    case KubernetesResource::kServices:
      services_.erase(key);
      ServiceChanged(key);
      break;
    case KubernetesResource::kEndpoints:
      endpoints_.erase(key);
      IndexEndpoints(key, nullptr);
      dirty_.insert(key);
      break;
    case KubernetesResource::kNodes:
      nodes_.erase(key);
      dirty_.insert(key);
      break;
  }
}

void KubernetesObjectStore::State::ReplaceObjects(KubernetesResource r, const std::string& ns,
                                                  const std::vector<json>& items) {
  std::set<std::string> present;
  for (const json& item : items) {
    present.insert(ParseMeta(item).Key());
    Upsert(r, item);
  }
  auto remove_missing = [&](auto& store) {
    std::vector<std::string> gone;
    for (const auto& [key, obj] : store) {
      if ((ns.empty() || obj.meta.ns == ns) && !present.contains(key)) gone.push_back(key);
    }
    for (const std::string& key : gone) {
      json stub = {
          {"metadata", {{"namespace", store.at(key).meta.ns}, {"name", store.at(key).meta.name}}}};
      Remove(r, stub);
    }
  };
  switch (r) {
    case KubernetesResource::kPods:
      remove_missing(pods_);
      break;
    case KubernetesResource::kServices:
      remove_missing(services_);
      break;
    case KubernetesResource::kEndpoints:
      remove_missing(endpoints_);
      break;
    case KubernetesResource::kNodes:
      remove_missing(nodes_);
      break;
  }
}

std::string KubernetesObjectStore::State::SourceFor(const std::string& key) const {
  switch (role_) {
    case config::KubernetesRole::kPod:
      return "pod/" + key;
    case config::KubernetesRole::kService:
      return "svc/" + key;
    case config::KubernetesRole::kEndpoints:
      return "endpoints/" + key;
    case config::KubernetesRole::kNode:
      return "node/" + key;
    default:
      return key;
  }
}

TargetGroup KubernetesObjectStore::State::BuildGroup(const std::string& key) const {
  std::string source = SourceFor(key);
  switch (role_) {
    case config::KubernetesRole::kPod:
      if (auto it = pods_.find(key); it != pods_.end()) return BuildPodGroup(source, it->second);
      break;
    case config::KubernetesRole::kService:
      if (auto it = services_.find(key); it != services_.end()) {
        return BuildServiceGroup(source, it->second);
      }
      break;
    case config::KubernetesRole::kEndpoints:
      if (auto it = endpoints_.find(key); it != endpoints_.end()) {
        return BuildEndpointsGroup(source, it->second);
      }
      break;
    case config::KubernetesRole::kNode:
      if (auto it = nodes_.find(key); it != nodes_.end()) return BuildNodeGroup(source, it->second);
      break;
    default:
      break;
  }
  return TargetGroup{source, {}, {}};
}

TargetGroup KubernetesObjectStore::State::BuildEndpointsGroup(const std::string& source,
                                                              const Endpoints& eps) const {
  TargetGroup g;
  g.source = source;
  LabelsBuilder gb;
  gb.Set(kNamespaceLabel, eps.meta.ns);
  gb.Set(kMeta + "endpoints_name", eps.meta.name);
  if (auto it = services_.find(eps.meta.Key()); it != services_.end()) {
    AddServiceLabels(gb, it->second);
  }
  g.labels = gb.Build();

  struct SeenPod {
    const Pod* pod;
    std::vector<int64_t> ports;  // endpoint ports that already have a target
  };
  std::map<std::string, SeenPod> seen;  // ordered, so extra targets come in a stable order

  auto add = [&](const EndpointAddress& addr, const Port& port, const char* ready) {
    LabelsBuilder t;
    t.Set("__address__", JoinHostPort(addr.ip, port.number));
    t.Set(kMeta + "endpoint_port_name", port.name);
    t.Set(kMeta + "endpoint_port_protocol", port.protocol);
    t.Set(kMeta + "endpoint_ready", ready);
    if (addr.has_target_ref) {
      t.Set(kMeta + "endpoint_address_target_kind", addr.ref_kind);
      t.Set(kMeta + "endpoint_address_target_name", addr.ref_name);
    }
    if (addr.node_name) t.Set(kMeta + "endpoint_node_name", *addr.node_name);
    t.Set(kMeta + "endpoint_hostname", addr.hostname);
    const Pod* pod = nullptr;
    if (addr.has_target_ref && addr.ref_kind == "Pod") {
      auto it = pods_.find(addr.ref_namespace + "/" + addr.ref_name);
      if (it != pods_.end()) pod = &it->second;
    }
    if (pod != nullptr) {
      SeenPod& sp = seen.try_emplace(pod->meta.Key(), SeenPod{pod, {}}).first->second;
      AddPodLabels(t, *pod);
      for (const Container& c : pod->containers) {
        auto cp = std::find_if(c.ports.begin(), c.ports.end(),
                               [&](const Port& p) { return p.number == port.number; });
        if (cp == c.ports.end()) continue;
        t.Set(kMeta + "pod_container_name", c.name);
        t.Set(kMeta + "pod_container_image", c.image);
        t.Set(kMeta + "pod_container_port_name", cp->name);
        t.Set(kMeta + "pod_container_port_number", std::to_string(port.number));
        t.Set(kMeta + "pod_container_port_protocol", port.protocol);
      }
      sp.ports.push_back(port.number);
    }
    g.targets.push_back(t.Build());
  };
  for (const EndpointSubset& s : eps.subsets) {
    for (const Port& port : s.ports) {
      for (const EndpointAddress& a : s.addresses) add(a, port, "true");
      for (const EndpointAddress& a : s.not_ready_addresses) add(a, port, "false");
    }
  }
  // Container ports of the pods seen above that no endpoint port covers get a target too.
  for (const auto& [key, sp] : seen) {
    if (sp.pod->ip.empty()) continue;
    for (const Container& c : sp.pod->containers) {
      for (const Port& cp : c.ports) {
        if (std::find(sp.ports.begin(), sp.ports.end(), cp.number) != sp.ports.end()) continue;
        LabelsBuilder t;
        t.Set("__address__", JoinHostPort(sp.pod->ip, cp.number));
        t.Set(kMeta + "pod_container_name", c.name);
        t.Set(kMeta + "pod_container_image", c.image);
        t.Set(kMeta + "pod_container_port_name", cp.name);
        t.Set(kMeta + "pod_container_port_number", std::to_string(cp.number));
        t.Set(kMeta + "pod_container_port_protocol", cp.protocol);
        AddPodLabels(t, *sp.pod);
        g.targets.push_back(t.Build());
      }
    }
  }
  return g;
}

std::vector<TargetGroup> KubernetesObjectStore::State::TakeChangedGroups() {
  std::vector<TargetGroup> changed;
  for (const std::string& key : dirty_) {
    TargetGroup g = BuildGroup(key);
    bool empty = g.targets.empty() && g.labels.empty();
    auto it = emitted_.find(g.source);
    if (it == emitted_.end()) {
      if (empty) continue;
      changed.push_back(g);
      emitted_.emplace(g.source, std::move(g));
    } else if (empty) {
      emitted_.erase(it);
      changed.push_back(TargetGroup{g.source, {}, {}});
    } else if (!SameGroup(it->second, g)) {
      it->second = g;
      changed.push_back(std::move(g));
    }
  }
  dirty_.clear();
  return changed;
}

std::vector<TargetGroup> KubernetesObjectStore::State::Groups() const {
  std::vector<TargetGroup> all;
  all.reserve(emitted_.size());
  for (const auto& [source, g] : emitted_) all.push_back(g);
  return all;
}

// ---------------------------------------------------------------------------------------
// Decoding and the public face.

namespace {

// The document in `text`, or an error starting with `what` and nlohmann's message.
Result<json> ParseJson(std::string_view text, const char* what) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(what + std::string(e.what()));
  }
}

}  // namespace

Result<KubernetesListPage> ParseKubernetesList(std::string_view body) {
  auto parsed = ParseJson(body, "invalid JSON: ");
  if (!parsed.ok()) return parsed.status();
  const json& doc = *parsed;
  if (!Field(doc, "items").is_array() && !Field(doc, "items").is_null()) {
    return Status::InvalidArgument("\"items\" is not a list");
  }
  KubernetesListPage page;
  for (const json& item : Arr(doc, "items")) page.items.push_back(item);
  const json& meta = Field(doc, "metadata");
  page.continue_token = Str(meta, "continue");
  page.resource_version = Str(meta, "resourceVersion");
  return page;
}

Result<KubernetesWatchEvent> ParseKubernetesWatchEvent(std::string_view line) {
  auto parsed = ParseJson(line, "invalid event: ");
  if (!parsed.ok()) return parsed.status();
  const json& doc = *parsed;
  KubernetesWatchEvent event;
  event.type = Str(doc, "type");
  event.object = Field(doc, "object");
  event.resource_version = Str(Field(event.object, "metadata"), "resourceVersion");
  if (event.type == "ERROR") {
    event.error_code = Int(event.object, "code");
    event.error_message = Str(event.object, "message");
  }
  return event;
}

KubernetesObjectStore::KubernetesObjectStore(config::KubernetesRole role)
    : state_(std::make_unique<State>(role)) {}

KubernetesObjectStore::~KubernetesObjectStore() = default;

void KubernetesObjectStore::Upsert(KubernetesResource r, const nlohmann::json& obj) {
  state_->Upsert(r, obj);
}

void KubernetesObjectStore::Remove(KubernetesResource r, const nlohmann::json& obj) {
  state_->Remove(r, obj);
}

bool KubernetesObjectStore::Apply(KubernetesResource r, const KubernetesWatchEvent& event) {
  if (event.type == "ADDED" || event.type == "MODIFIED") {
    state_->Upsert(r, event.object);
    return true;
  }
  if (event.type == "DELETED") {
    state_->Remove(r, event.object);
    return true;
  }
  return false;
}

void KubernetesObjectStore::ReplaceObjects(KubernetesResource r, const std::string& ns,
                                           const std::vector<nlohmann::json>& items) {
  state_->ReplaceObjects(r, ns, items);
}

std::vector<TargetGroup> KubernetesObjectStore::TakeChangedGroups() {
  return state_->TakeChangedGroups();
}

std::vector<TargetGroup> KubernetesObjectStore::Groups() const { return state_->Groups(); }

}  // namespace andon::scrape
