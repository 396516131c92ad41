#include "scrape/kubernetes_discovery.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "common/http_authorization.h"
#include "common/logger.h"
#include "common/tls_client_context.h"
#include "common/url_escape.h"
#include "scrape/pending_handlers.h"
#include "scrape/target_labels.h"

namespace andon::scrape {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
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

std::string TrimSpace(std::string s) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && space(s.back())) s.pop_back();
  size_t i = 0;
  while (i < s.size() && space(s[i])) ++i;
  return s.substr(i);
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

// ---------------------------------------------------------------------------------------
// Where and how to reach the API server; resolved again for every request so that rotated
// tokens and certificates are picked up.

struct ApiServer {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;
  std::string path_prefix;  // no trailing '/'
  config::TlsConfig tls_config;
  std::string authorization;  // Authorization header value, "" for none
};

enum class Resource { kPods, kServices, kEndpoints, kNodes };

std::string_view ResourceName(Resource r) {
  switch (r) {
    case Resource::kPods:
      return "pods";
    case Resource::kServices:
      return "services";
    case Resource::kEndpoints:
      return "endpoints";
    case Resource::kNodes:
      return "nodes";
  }
  return "";
}

config::KubernetesRole SelectorRole(Resource r) {
  switch (r) {
    case Resource::kPods:
      return config::KubernetesRole::kPod;
    case Resource::kServices:
      return config::KubernetesRole::kService;
    case Resource::kEndpoints:
      return config::KubernetesRole::kEndpoints;
    case Resource::kNodes:
      return config::KubernetesRole::kNode;
  }
  return config::KubernetesRole::kPod;
}

class KubernetesDiscoverer;

// One list-then-watch loop for one resource in one namespace ("" = all namespaces). Runs
// entirely on the discoverer's strand; at most one request is in flight at a time.
class ResourceWatch {
 public:
  ResourceWatch(KubernetesDiscoverer* d, Resource resource, std::string ns,
                std::string label_selector, std::string field_selector);

  void Start() { Begin(Phase::kList); }
  // Cancels the request or retry in flight (the handlers then see the discoverer stopping).
  void Cancel();
  bool initial_done() const { return initial_done_; }

 private:
  enum class Phase { kList, kWatch };

  std::string Path() const;
  std::string RequestTarget(Phase phase) const;
  beast::tcp_stream& Lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  template <typename F>
  void WithStream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(*plain_);
    }
  }
  // Wraps a completion handler so that it is counted, skipped once stopping, and done.
  template <typename... Args, typename F>
  auto Handler(F f);

  void Begin(Phase phase);
  void OnResolved(const boost::system::error_code& ec, const tcp::resolver::results_type& r);
  void OnConnected(const boost::system::error_code& ec);
  void SendRequest();
  void OnWritten(const boost::system::error_code& ec);
  void OnHeader(const boost::system::error_code& ec);
  void OnListBody(const boost::system::error_code& ec);
  void ReadWatch();
  void OnWatchData(const boost::system::error_code& ec);
  // Handles the complete lines in lines_; false when the watch was ended (relist or error).
  bool ProcessWatchLines();
  void WatchEnded(const std::string& why);
  void Fail(const std::string& what, bool relist);
  void CloseConnection();
  void MarkInitialDone();

  KubernetesDiscoverer* const d_;
  const Resource resource_;
  const std::string namespace_;
  const std::string label_selector_;
  const std::string field_selector_;

  tcp::resolver resolver_;
  asio::steady_timer retry_timer_;
  std::shared_ptr<ssl::context> ssl_ctx_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<ssl::stream<beast::tcp_stream>> tls_;
  ApiServer api_;
  Phase phase_ = Phase::kList;
  beast::flat_buffer buffer_;
  http::request<http::empty_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::string lines_;  // watch stream bytes not yet handled
  // Appends a watch response's chunks to lines_ (the parser keeps a reference to it).
  std::function<uint64_t(uint64_t, beast::string_view, boost::system::error_code&)> on_chunk_ =
      [this](uint64_t, beast::string_view body, boost::system::error_code&) -> uint64_t {
    lines_.append(body.data(), body.size());
    return body.size();
  };
  std::vector<json> list_items_;
  std::string continue_;
  std::string resource_version_;  // last seen; "" before the first list
  std::chrono::milliseconds backoff_{0};
  size_t watch_events_ = 0;
  std::chrono::steady_clock::time_point watch_started_;
  bool initial_done_ = false;
};

class KubernetesDiscoverer final : public Discoverer {
 public:
  KubernetesDiscoverer(asio::any_io_executor executor, config::KubernetesSdConfig config,
                       KubernetesDiscoveryOptions options)
      : config_(std::move(config)),
        options_(std::move(options)),
        strand_(asio::make_strand(std::move(executor))) {}
  ~KubernetesDiscoverer() override { Stop(); }

  void Start(UpdateFn on_update) override {
    on_update_ = std::move(on_update);
    if (!pending_.TryAdd()) return;
    started_ = true;
    asio::post(strand_, [this] {
      if (!pending_.Stopping()) {
        CreateWatches();
        for (auto& w : watches_) w->Start();
        Flush();  // no watch at all (cannot happen) would still send the first update
      }
      pending_.Done();
    });
  }

  void Stop() override {
    pending_.BeginStop();
    if (started_) {
      pending_.Add();
      asio::post(strand_, [this] {
        for (auto& w : watches_) w->Cancel();
        pending_.Done();
      });
    }
    pending_.WaitIdle();
  }

  // --- for ResourceWatch (on the strand) ---
  asio::strand<asio::any_io_executor>& strand() { return strand_; }
  PendingHandlers& pending() { return pending_; }
  const KubernetesDiscoveryOptions& options() const { return options_; }
  Result<ApiServer> ResolveApiServer() const;
  void ReplaceObjects(Resource r, const std::string& ns, const std::vector<json>& items);
  void Upsert(Resource r, const json& obj);
  void Remove(Resource r, const json& obj);
  // Reports the groups changed since the last call (or, the first time every watch has
  // finished its first list attempt, all groups).
  void Flush();

 private:
  void CreateWatches();
  std::string SourceFor(const std::string& key) const;
  TargetGroup BuildGroup(const std::string& key) const;
  TargetGroup BuildEndpointsGroup(const std::string& source, const Endpoints& eps) const;
  void IndexEndpoints(const std::string& key, const Endpoints* eps);
  void PodChanged(const std::string& key);
  void ServiceChanged(const std::string& key);

  const config::KubernetesSdConfig config_;
  const KubernetesDiscoveryOptions options_;
  asio::strand<asio::any_io_executor> strand_;
  PendingHandlers pending_;
  UpdateFn on_update_;                // set by Start() before the first handler is posted
  std::atomic<bool> started_{false};  // read by Stop()

  // Used only on strand_.
  std::vector<std::unique_ptr<ResourceWatch>> watches_;
  std::map<std::string, Pod> pods_;  // by namespace/name
  std::map<std::string, Service> services_;
  std::map<std::string, Endpoints> endpoints_;
  std::map<std::string, Node> nodes_;  // by name
  // endpoints role: pod key -> keys of the endpoints whose addresses refer to it.
  std::map<std::string, std::set<std::string>> endpoints_by_pod_;
  std::set<std::string> dirty_;                 // keys of the role's objects to rebuild
  std::map<std::string, TargetGroup> emitted_;  // by source: last reported, non-empty
  bool initial_sent_ = false;
};

// ---------------------------------------------------------------------------------------
// ResourceWatch

ResourceWatch::ResourceWatch(KubernetesDiscoverer* d, Resource resource, std::string ns,
                             std::string label_selector, std::string field_selector)
    : d_(d),
      resource_(resource),
      namespace_(std::move(ns)),
      label_selector_(std::move(label_selector)),
      field_selector_(std::move(field_selector)),
      resolver_(d->strand()),
      retry_timer_(d->strand()) {}

template <typename... Args, typename F>
auto ResourceWatch::Handler(F f) {
  return [this, f = std::move(f)](Args... args) mutable {
    if (!d_->pending().Stopping()) f(args...);
    d_->pending().Done();
  };
}

std::string ResourceWatch::Path() const {
  std::string path = api_.path_prefix + "/api/v1/";
  if (!namespace_.empty()) path += "namespaces/" + namespace_ + "/";
  path += ResourceName(resource_);
  return path;
}

std::string ResourceWatch::RequestTarget(Phase phase) const {
  std::map<std::string, std::string> params;  // sorted, as client-go sends them
  if (!label_selector_.empty()) params["labelSelector"] = label_selector_;
  if (!field_selector_.empty()) params["fieldSelector"] = field_selector_;
  if (phase == Phase::kList) {
    params["limit"] = "500";
    if (!continue_.empty()) params["continue"] = continue_;
  } else {
    params["watch"] = "true";
    params["allowWatchBookmarks"] = "true";
    params["resourceVersion"] = resource_version_;
    params["timeoutSeconds"] = std::to_string(d_->options().watch_timeout.count());
  }
  std::string target = Path();
  char sep = '?';
  for (const auto& [k, v] : params) {
    target += sep + k + "=";
    AppendUrlEscaped(v, /*query=*/true, &target);
    sep = '&';
  }
  return target;
}

void ResourceWatch::Begin(Phase phase) {
  phase_ = phase;
  auto api = d_->ResolveApiServer();
  if (!api.ok()) return Fail(api.status().message(), /*relist=*/phase == Phase::kList);
  api_ = std::move(api).value();
  plain_.reset();
  tls_.reset();
  if (api_.tls) {
    auto ctx = MakeTlsClientContext(api_.tls_config);
    if (!ctx.ok()) return Fail(ctx.status().message(), phase == Phase::kList);
    ssl_ctx_ = *ctx;
    tls_.emplace(d_->strand(), *ssl_ctx_);
    if (Status s = SetTlsHostname(*tls_, api_.tls_config, api_.host); !s.ok()) {
      return Fail(s.message(), phase == Phase::kList);
    }
  } else {
    plain_.emplace(d_->strand());
  }
  request_ = {};
  request_.method(http::verb::get);
  request_.version(11);
  request_.target(RequestTarget(phase));
  std::string host = api_.host.find(':') != std::string::npos ? "[" + api_.host + "]" : api_.host;
  request_.set(http::field::host, host + ":" + api_.port);
  request_.set(http::field::user_agent, "andon/kubernetes-sd");
  request_.set(http::field::accept, "application/json");
  if (!api_.authorization.empty()) request_.set(http::field::authorization, api_.authorization);
  if (!d_->pending().TryAdd()) return;
  resolver_.async_resolve(
      api_.host, api_.port,
      Handler<const boost::system::error_code&, const tcp::resolver::results_type&>(
          [this](const boost::system::error_code& ec, const tcp::resolver::results_type& r) {
            OnResolved(ec, r);
          }));
}

void ResourceWatch::OnResolved(const boost::system::error_code& ec,
                               const tcp::resolver::results_type& results) {
  if (ec) return Fail("resolve " + api_.host + ": " + ec.message(), phase_ == Phase::kList);
  Lowest().expires_after(d_->options().request_timeout);
  if (!d_->pending().TryAdd()) return;
  Lowest().async_connect(results, Handler<const boost::system::error_code&, const tcp::endpoint&>(
                                      [this](const boost::system::error_code& e,
                                             const tcp::endpoint&) { OnConnected(e); }));
}

void ResourceWatch::OnConnected(const boost::system::error_code& ec) {
  if (ec) return Fail("connect: " + ec.message(), phase_ == Phase::kList);
  if (!tls_) return SendRequest();
  Lowest().expires_after(d_->options().request_timeout);
  if (!d_->pending().TryAdd()) return;
  tls_->async_handshake(
      ssl::stream_base::client,
      Handler<const boost::system::error_code&>([this](const boost::system::error_code& e) {
        if (e) return Fail("TLS handshake: " + e.message(), phase_ == Phase::kList);
        SendRequest();
      }));
}

void ResourceWatch::SendRequest() {
  Lowest().expires_after(d_->options().request_timeout);
  if (!d_->pending().TryAdd()) return;
  WithStream([this](auto& stream) {
    http::async_write(stream, request_,
                      Handler<const boost::system::error_code&, size_t>(
                          [this](const boost::system::error_code& e, size_t) { OnWritten(e); }));
  });
}

void ResourceWatch::OnWritten(const boost::system::error_code& ec) {
  if (ec) return Fail("send request: " + ec.message(), phase_ == Phase::kList);
  buffer_.clear();
  lines_.clear();
  parser_.emplace();
  if (phase_ == Phase::kList) {
    parser_->body_limit(d_->options().max_response_bytes);
  } else {
    // Unlimited, spelled as a number: Beast compares a Content-Length against boost::none
    // as larger.
    parser_->body_limit(std::numeric_limits<uint64_t>::max());
    parser_->on_chunk_body(on_chunk_);
  }
  if (!d_->pending().TryAdd()) return;
  WithStream([this](auto& stream) {
    http::async_read_header(
        stream, buffer_, *parser_,
        Handler<const boost::system::error_code&, size_t>(
            [this](const boost::system::error_code& e, size_t) { OnHeader(e); }));
  });
}

void ResourceWatch::OnHeader(const boost::system::error_code& ec) {
  if (ec) return Fail("read response: " + ec.message(), phase_ == Phase::kList);
  if (phase_ == Phase::kList) {
    if (!d_->pending().TryAdd()) return;
    WithStream([this](auto& stream) {
      http::async_read(stream, buffer_, *parser_,
                       Handler<const boost::system::error_code&, size_t>(
                           [this](const boost::system::error_code& e, size_t) { OnListBody(e); }));
    });
    return;
  }
  unsigned status = parser_->get().result_int();
  if (status == 410) {  // our resourceVersion is too old: start over
    LogInfo(kComponent, "watch resource version expired, relisting",
            {{"path", Path()}, {"resource_version", resource_version_}});
    CloseConnection();
    resource_version_.clear();
    return Begin(Phase::kList);
  }
  if (status != 200) {
    return Fail("watch " + Path() + ": server returned HTTP status " + std::to_string(status) +
                    " " + std::string(parser_->get().reason()),
                /*relist=*/false);
  }
  backoff_ = std::chrono::milliseconds(0);
  watch_events_ = 0;
  watch_started_ = std::chrono::steady_clock::now();
  ReadWatch();
}

void ResourceWatch::OnListBody(const boost::system::error_code& ec) {
  if (ec) return Fail("read list response: " + ec.message(), /*relist=*/true);
  const auto& res = parser_->get();
  unsigned status = res.result_int();
  if (status != 200) {
    std::string body = res.body().substr(0, 512);
    std::string message;
    try {
      message = Str(json::parse(body), "message");
    } catch (const json::exception&) {
    }
    if (message.empty()) message = TrimSpace(body);
    continue_.clear();  // an expired continue token (410) restarts the list too
    return Fail("list " + Path() + ": server returned HTTP status " + std::to_string(status) + " " +
                    std::string(res.reason()) + (message.empty() ? "" : ": " + message),
                /*relist=*/true);
  }
  json doc;
  try {
    doc = json::parse(res.body());
  } catch (const json::exception& e) {
    continue_.clear();
    return Fail("list " + Path() + ": invalid JSON: " + e.what(), /*relist=*/true);
  }
  if (!Field(doc, "items").is_array() && !Field(doc, "items").is_null()) {
    continue_.clear();
    return Fail("list " + Path() + ": \"items\" is not a list", /*relist=*/true);
  }
  for (const json& item : Arr(doc, "items")) list_items_.push_back(item);
  CloseConnection();
  const json& meta = Field(doc, "metadata");
  continue_ = Str(meta, "continue");
  if (!continue_.empty()) return Begin(Phase::kList);  // next page
  resource_version_ = Str(meta, "resourceVersion");
  d_->ReplaceObjects(resource_, namespace_, list_items_);
  list_items_.clear();
  backoff_ = std::chrono::milliseconds(0);
  MarkInitialDone();
  Begin(Phase::kWatch);
}

void ResourceWatch::ReadWatch() {
  Lowest().expires_after(d_->options().watch_timeout + d_->options().request_timeout);
  if (!d_->pending().TryAdd()) return;
  WithStream([this](auto& stream) {
    http::async_read_some(
        stream, buffer_, *parser_,
        Handler<const boost::system::error_code&, size_t>(
            [this](const boost::system::error_code& e, size_t) { OnWatchData(e); }));
  });
}

void ResourceWatch::OnWatchData(const boost::system::error_code& ec) {
  // A body that is not chunked lands in the parser's string body.
  std::string& body = parser_->get().body();
  if (!body.empty()) {
    lines_.append(body);
    body.clear();
  }
  if (!ProcessWatchLines()) return;
  if (ec) return WatchEnded(ec.message());
  if (parser_->is_done()) return WatchEnded("end of stream");
  ReadWatch();
}

bool ResourceWatch::ProcessWatchLines() {
  size_t start = 0;
  bool changed = false;
  for (size_t nl; (nl = lines_.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(lines_.data() + start, nl - start);
    if (TrimSpace(std::string(line)).empty()) continue;
    json event;
    try {
      event = json::parse(line);
    } catch (const json::exception& e) {
      if (changed) d_->Flush();
      Fail("watch " + Path() + ": invalid event: " + e.what(), /*relist=*/true);
      return false;
    }
    ++watch_events_;
    std::string type = Str(event, "type");
    const json& object = Field(event, "object");
    if (type == "ERROR") {
      if (changed) d_->Flush();
      if (Int(object, "code") == 410) {
        LogInfo(kComponent, "watch resource version expired, relisting",
                {{"path", Path()}, {"resource_version", resource_version_}});
        CloseConnection();
        resource_version_.clear();
        Begin(Phase::kList);
        return false;
      }
      Fail("watch " + Path() + ": server sent error: " + Str(object, "message"), /*relist=*/true);
      return false;
    }
    std::string rv = Str(Field(object, "metadata"), "resourceVersion");
    if (type == "ADDED" || type == "MODIFIED") {
      d_->Upsert(resource_, object);
      changed = true;
    } else if (type == "DELETED") {
      d_->Remove(resource_, object);
      changed = true;
    } else if (type != "BOOKMARK") {
      LogWarn(kComponent, "ignoring watch event of unknown type", {{"type", type}});
    }
    if (!rv.empty()) resource_version_ = rv;
  }
  lines_.erase(0, start);
  if (lines_.size() > d_->options().max_response_bytes) {
    if (changed) d_->Flush();
    Fail("watch " + Path() + ": event exceeds the size limit", /*relist=*/true);
    return false;
  }
  if (changed) d_->Flush();
  return true;
}

void ResourceWatch::WatchEnded(const std::string& why) {
  CloseConnection();
  LogDebug(kComponent, "watch ended, resuming",
           {{"path", Path()}, {"reason", why}, {"resource_version", resource_version_}});
  // A watch that ends at once without events is retried after the backoff, not in a loop.
  if (watch_events_ == 0 &&
      std::chrono::steady_clock::now() - watch_started_ < std::chrono::seconds(1)) {
    return Fail("watch " + Path() + " ended at once: " + why, /*relist=*/false);
  }
  Begin(Phase::kWatch);
}

void ResourceWatch::Fail(const std::string& what, bool relist) {
  CloseConnection();
  list_items_.clear();
  if (relist || resource_version_.empty()) {
    continue_.clear();
    relist = true;
  }
  auto& opt = d_->options();
  backoff_ = backoff_.count() == 0 ? opt.initial_backoff : std::min(backoff_ * 2, opt.max_backoff);
  LogWarn(kComponent, "Kubernetes API request failed, retrying",
          {{"path", Path()}, {"err", what}, {"retry_in_ms", std::to_string(backoff_.count())}});
  if (!initial_done_) MarkInitialDone();
  if (!d_->pending().TryAdd()) return;
  retry_timer_.expires_after(backoff_);
  retry_timer_.async_wait(Handler<const boost::system::error_code&>(
      [this, relist](const boost::system::error_code& ec) {
        if (!ec) Begin(relist ? Phase::kList : Phase::kWatch);
      }));
}

// The first list of this resource has finished (or failed once): the discoverer may send its
// first update once every resource got here.
void ResourceWatch::MarkInitialDone() {
  initial_done_ = true;
  d_->Flush();
}

void ResourceWatch::CloseConnection() {
  boost::system::error_code ignored;
  if (tls_) beast::get_lowest_layer(*tls_).socket().close(ignored);
  if (plain_) plain_->socket().close(ignored);
}

void ResourceWatch::Cancel() {
  resolver_.cancel();
  retry_timer_.cancel();
  if (tls_) beast::get_lowest_layer(*tls_).cancel();
  if (plain_) plain_->cancel();
  CloseConnection();
}

// ---------------------------------------------------------------------------------------
// KubernetesDiscoverer

Result<ApiServer> KubernetesDiscoverer::ResolveApiServer() const {
  if (!config_.kubeconfig_file.empty()) {
    return Status::InvalidArgument("kubeconfig_file is not supported by andon; set api_server");
  }
  ApiServer api;
  if (config_.api_server.empty()) {  // in-cluster
    const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
    const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
    if (host == nullptr || port == nullptr || *host == '\0' || *port == '\0') {
      return Status::InvalidArgument(
          "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and "
          "KUBERNETES_SERVICE_PORT must be defined");
    }
    api.tls = true;
    api.host = host;
    api.port = port;
    api.tls_config.ca_file = options_.service_account_dir + "/ca.crt";
    auto token = ReadTrimmedFile(options_.service_account_dir + "/token");
    if (!token.ok()) return token.status();
    api.authorization = "Bearer " + *token;
    return api;
  }
  std::string_view url = config_.api_server;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return Status::InvalidArgument("api_server " + config_.api_server + ": not a URL");
  }
  std::string scheme = Lower(std::string(url.substr(0, scheme_end)));
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("api_server " + config_.api_server + ": scheme must be http(s)");
  }
  api.tls = scheme == "https";
  std::string_view rest = url.substr(scheme_end + 3);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    api.path_prefix = std::string(rest.substr(slash));
    while (!api.path_prefix.empty() && api.path_prefix.back() == '/') api.path_prefix.pop_back();
  }
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("api_server " + config_.api_server + ": bad IPv6 host");
    }
    api.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      api.port = std::string(authority.substr(close + 2));
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    api.host = std::string(authority.substr(0, colon));
    api.port = std::string(authority.substr(colon + 1));
  } else {
    api.host = std::string(authority);
  }
  if (api.host.empty()) {
    return Status::InvalidArgument("api_server " + config_.api_server + ": no host");
  }
  if (api.port.empty()) api.port = api.tls ? "443" : "80";
  const config::HttpClientConfig& hc = config_.http_client;
  api.tls_config = hc.tls_config;
  auto authorization = AuthorizationHeader(hc);
  if (!authorization.ok()) return authorization.status();
  api.authorization = std::move(authorization).value();
  return api;
}

void KubernetesDiscoverer::CreateWatches() {
  if (!config_.http_client.proxy_url.empty()) {
    LogWarn(kComponent, "proxy_url is not supported for the Kubernetes API, connecting directly");
  }
  std::vector<std::string> namespaces = config_.namespaces;
  if (config_.own_namespace) {
    auto own = ReadTrimmedFile(options_.service_account_dir + "/namespace");
    if (own.ok()) {
      namespaces.push_back(*own);
    } else {
      LogError(kComponent, "cannot read own namespace", {{"err", own.status().message()}});
    }
  }
  std::sort(namespaces.begin(), namespaces.end());
  namespaces.erase(std::unique(namespaces.begin(), namespaces.end()), namespaces.end());
  if (namespaces.empty()) namespaces.push_back("");  // all namespaces

  std::vector<Resource> resources;
  switch (config_.role) {
    case config::KubernetesRole::kPod:
      resources = {Resource::kPods};
      break;
    case config::KubernetesRole::kService:
      resources = {Resource::kServices};
      break;
    case config::KubernetesRole::kEndpoints:
      resources = {Resource::kEndpoints, Resource::kServices, Resource::kPods};
      break;
    case config::KubernetesRole::kNode:
      resources = {Resource::kNodes};
      break;
    default:
      LogError(kComponent, "role is not supported by andon, no targets will be discovered",
               {{"role", std::string(config::KubernetesRoleName(config_.role))}});
      return;
  }
  for (Resource r : resources) {
    std::string label_selector, field_selector;
    for (const config::KubernetesSelector& sel : config_.selectors) {
      if (sel.role == SelectorRole(r)) {
        label_selector = sel.label;
        field_selector = sel.field;
      }
    }
    if (r == Resource::kNodes) {  // cluster-scoped
      watches_.push_back(
          std::make_unique<ResourceWatch>(this, r, "", label_selector, field_selector));
      continue;
    }
    for (const std::string& ns : namespaces) {
      watches_.push_back(
          std::make_unique<ResourceWatch>(this, r, ns, label_selector, field_selector));
    }
  }
}

void KubernetesDiscoverer::PodChanged(const std::string& key) {
  if (config_.role == config::KubernetesRole::kPod) {
    dirty_.insert(key);
  } else if (config_.role == config::KubernetesRole::kEndpoints) {
    auto it = endpoints_by_pod_.find(key);
    if (it != endpoints_by_pod_.end()) dirty_.insert(it->second.begin(), it->second.end());
  }
}

void KubernetesDiscoverer::ServiceChanged(const std::string& key) {
  // The service role's groups and the endpoints of the same name use the service.
  if (config_.role == config::KubernetesRole::kService ||
      (config_.role == config::KubernetesRole::kEndpoints && endpoints_.contains(key))) {
    dirty_.insert(key);
  }
}

void KubernetesDiscoverer::IndexEndpoints(const std::string& key, const Endpoints* eps) {
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

void KubernetesDiscoverer::Upsert(Resource r, const json& obj) {
  ObjectMeta meta = ParseMeta(obj);
  std::string key = meta.Key();
  if (meta.name.empty()) return;
  switch (r) {
    case Resource::kPods:
      pods_[key] = ParsePod(obj);
      PodChanged(key);
      break;
    case Resource::kServices:
      services_[key] = ParseService(obj);
      ServiceChanged(key);
      break;
    case Resource::kEndpoints: {
      Endpoints& eps = endpoints_[key] = ParseEndpoints(obj);
      IndexEndpoints(key, &eps);
      dirty_.insert(key);
      break;
    }
    case Resource::kNodes:
      nodes_[key] = ParseNode(obj);
      dirty_.insert(key);
      break;
  }
}

void KubernetesDiscoverer::Remove(Resource r, const json& obj) {
  std::string key = ParseMeta(obj).Key();
  switch (r) {
    case Resource::kPods:
      pods_.erase(key);
      PodChanged(key);
      break;
    case Resource::kServices:
      services_.erase(key);
      ServiceChanged(key);
      break;
    case Resource::kEndpoints:
      endpoints_.erase(key);
      IndexEndpoints(key, nullptr);
      dirty_.insert(key);
      break;
    case Resource::kNodes:
      nodes_.erase(key);
      dirty_.insert(key);
      break;
  }
}

void KubernetesDiscoverer::ReplaceObjects(Resource r, const std::string& ns,
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
    case Resource::kPods:
      remove_missing(pods_);
      break;
    case Resource::kServices:
      remove_missing(services_);
      break;
    case Resource::kEndpoints:
      remove_missing(endpoints_);
      break;
    case Resource::kNodes:
      remove_missing(nodes_);
      break;
  }
}

std::string KubernetesDiscoverer::SourceFor(const std::string& key) const {
  switch (config_.role) {
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

TargetGroup KubernetesDiscoverer::BuildGroup(const std::string& key) const {
  std::string source = SourceFor(key);
  switch (config_.role) {
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

TargetGroup KubernetesDiscoverer::BuildEndpointsGroup(const std::string& source,
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

void KubernetesDiscoverer::Flush() {
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
  if (!initial_sent_) {
    for (const auto& w : watches_) {
      if (!w->initial_done()) return;
    }
    initial_sent_ = true;
    std::vector<TargetGroup> all;
    all.reserve(emitted_.size());
    for (const auto& [source, g] : emitted_) all.push_back(g);
    on_update_(std::move(all));
    return;
  }
  if (!changed.empty()) on_update_(std::move(changed));
}

}  // namespace

std::unique_ptr<Discoverer> MakeKubernetesDiscoverer(boost::asio::any_io_executor executor,
                                                     const config::KubernetesSdConfig& config,
                                                     KubernetesDiscoveryOptions options) {
  return std::make_unique<KubernetesDiscoverer>(std::move(executor), config, std::move(options));
}

}  // namespace andon::scrape
