#include "common/config.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>

#include "common/duration.h"
#include "common/file_reader.h"
#include "common/labels.h"
#include "common/yaml_reader.h"

namespace andon::config {
namespace {

using yaml::MapReader;
using yaml::ParseError;

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string ToLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

bool HasHttpScheme(std::string_view url) {
  return (url.rfind("http://", 0) == 0 && url.size() > 7) ||
         (url.rfind("https://", 0) == 0 && url.size() > 8);
}

// A config or router file; the error reads as Prometheus's ("open <path>: <reason>").
Result<std::string> ReadConfigFile(const std::string& path) {
  Result<std::string> data = ReadFileUpTo(path, kMaxConfigFileBytes);
  if (!data.ok()) return Status::IOError("open " + path + ": " + data.status().message());
  return data;
}

std::shared_ptr<const re2::RE2> CompileAnchored(std::string_view pattern, std::string* error) {
  re2::RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>("^(?:" + std::string(pattern) + ")$", opts);
  if (!re->ok()) {
    // Report the problem against the pattern as written, not the anchored wrapper.
    re2::RE2 raw(pattern, opts);
    *error = raw.ok() ? re->error() : raw.error();
    return nullptr;
  }
  return re;
}

const re2::RE2& RelabelTargetRegex() {
  static const re2::RE2 re(R"(^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$)");
  return re;
}

const re2::RE2& FileSdPatternRegex() {
  static const re2::RE2 re(R"(^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$)");
  return re;
}

struct ActionName {
  RelabelAction action;
  std::string_view name;
};
constexpr ActionName kActions[] = {
    {RelabelAction::kReplace, "replace"},     {RelabelAction::kKeep, "keep"},
    {RelabelAction::kDrop, "drop"},           {RelabelAction::kHashMod, "hashmod"},
    {RelabelAction::kLabelMap, "labelmap"},   {RelabelAction::kLabelDrop, "labeldrop"},
    {RelabelAction::kLabelKeep, "labelkeep"}, {RelabelAction::kLowercase, "lowercase"},
    {RelabelAction::kUppercase, "uppercase"}, {RelabelAction::kKeepEqual, "keepequal"},
    {RelabelAction::kDropEqual, "dropequal"},
};

struct RoleName {
  KubernetesRole role;
  std::string_view name;
};
constexpr RoleName kRoles[] = {
    {KubernetesRole::kPod, "pod"},
    {KubernetesRole::kService, "service"},
    {KubernetesRole::kEndpoints, "endpoints"},
    {KubernetesRole::kEndpointSlice, "endpointslice"},
    {KubernetesRole::kNode, "node"},
    {KubernetesRole::kIngress, "ingress"},
};

std::optional<KubernetesRole> ParseRole(std::string_view s) {
  for (const RoleName& r : kRoles) {
    if (r.name == s) return r.role;
  }
  return std::nullopt;
}

bool IsDefaultHttpClient(const HttpClientConfig& h) {
  const TlsConfig& t = h.tls_config;
  return !h.basic_auth && !h.authorization && h.proxy_url.empty() && t.ca_file.empty() &&
         t.cert_file.empty() && t.key_file.empty() && t.server_name.empty() &&
         !t.insecure_skip_verify && t.min_version.empty();
}

// Service discovery mechanisms and other prometheus.yml options Andon does not implement.
#define ANDON_UNSUPPORTED_SD                                                                     \
  "azure_sd_configs", "consul_sd_configs", "digitalocean_sd_configs", "docker_sd_configs",       \
      "dockerswarm_sd_configs", "dns_sd_configs", "ec2_sd_configs", "eureka_sd_configs",         \
      "gce_sd_configs", "hetzner_sd_configs", "http_sd_configs", "ionos_sd_configs",             \
      "kuma_sd_configs", "lightsail_sd_configs", "linode_sd_configs", "marathon_sd_configs",     \
      "nerve_sd_configs", "nomad_sd_configs", "openstack_sd_configs", "ovhcloud_sd_configs",     \
      "puppetdb_sd_configs", "scaleway_sd_configs", "serverset_sd_configs", "triton_sd_configs", \
      "uyuni_sd_configs", "vultr_sd_configs"

// Reads one configuration document. Throws yaml::ParseError; the entry points convert it.
class Parser {
 public:
  Parser(const yaml::Source& src, std::string_view base_dir) : src_(src), base_dir_(base_dir) {}

  Config ReadConfig(const YAML::Node& root, const ConfigLoadOptions& options) {
    Config c;
    c.source_file = src_.filename();
    MapReader m(src_, root, "config.Config");
    m.Unsupported({"remote_read", "storage", "tracing", "scrape_config_files"});
    if (const YAML::Node* n = m.Get("global")) c.global = ReadGlobal(*n);
    m.Sequence("scrape_configs", [&](const YAML::Node& n) {
      c.scrape_configs.push_back(ReadScrapeConfig(n, c.global));
      for (size_t i = 0; i + 1 < c.scrape_configs.size(); ++i) {
        if (c.scrape_configs[i].job_name == c.scrape_configs.back().job_name) {
          src_.Fail(n, "found multiple scrape configs with job name " +
                           Quoted(c.scrape_configs.back().job_name));
        }
      }
    });
    if (const YAML::Node* n = m.Get("rule_files")) {
      for (std::string& f : yaml::ReadStringList(src_, *n, "rule_files")) {
        if (f.empty()) src_.Fail(*n, "invalid rule file path \"\"");
        c.rule_files.push_back(ResolvePath(f));
      }
    }
    std::set<std::string> rw_names;
    m.Sequence("remote_write", [&](const YAML::Node& n) {
      c.remote_write.push_back(ReadRemoteWrite(n));
      const std::string& name = c.remote_write.back().name;
      if (!name.empty() && !rw_names.insert(name).second) {
        src_.Fail(n, "found multiple remote_write configs with name " + Quoted(name));
      }
    });
    if (const YAML::Node* n = m.Get("alerting")) c.alerting = ReadAlerting(*n);
    YAML::Mark teams_mark = m.KeyMark("teams");
    if (const YAML::Node* n = m.Get("teams")) c.teams = ReadTeams(*n);
    if (const YAML::Node* n = m.Get("lint")) c.lint = ReadLint(*n);
    m.Finish();

    if (!c.teams.empty() && !options.external_router) {
      if (!c.alerting.router) {
        src_.Fail(teams_mark,
                  "teams need alerting.route with a default receiver for alerts of no team");
      }
      Status s = ExpandTeams(c.teams, &*c.alerting.router);
      if (!s.ok()) src_.Fail(teams_mark, s.message());
    }
    if (c.alerting.router) CheckReferences(*c.alerting.router);
    return c;
  }

  // An alertmanager.yml document, or the router keys inside `alerting`.
  RouterConfig ReadRouterDocument(const YAML::Node& root) {
    MapReader m(src_, root, "config.RouterConfig");
    std::optional<RouterConfig> r = ReadRouterKeys(m);
    m.Finish();
    if (!r) src_.Fail(root, "no route provided in config");
    CheckReferences(*r);
    return *r;
  }

 private:
  std::string ResolvePath(const std::string& p) const {
    if (p.empty() || base_dir_.empty() || base_dir_ == "." || p[0] == '/') return p;
    return (std::filesystem::path(base_dir_) / p).lexically_normal().string();
  }

  Secret ReadSecretFile(const YAML::Mark& at, std::string_view field, const std::string& path) {
    Result<std::string> data = ReadFileUpTo(path, kMaxSecretFileBytes);
    if (!data.ok()) {
      src_.Fail(at, "unable to read " + std::string(field) + " " + Quoted(path) + ": " +
                        data.status().message());
    }
    return Secret(Trim(*data));
  }

  // Reads a secret given either inline (`key`) or as a file (`key_file`). Returns false when
  // neither is set.
  bool ReadSecretPair(MapReader& m, std::string_view key, std::string_view file_key,
                      std::string_view what, Secret* secret, std::string* file) {
    std::string inline_value;
    bool has_inline = m.String(key, &inline_value);
    std::string path;
    bool has_file = m.String(file_key, &path);
    if (has_inline && has_file) {
      src_.Fail(m.KeyMark(file_key), "at most one of " + std::string(what) + std::string(key) +
                                         " & " + std::string(file_key) + " must be configured");
    }
    if (has_inline) *secret = Secret(inline_value);
    if (has_file) {
      *file = ResolvePath(path);
      *secret = ReadSecretFile(m.KeyMark(file_key), file_key, *file);
    }
    return has_inline || has_file;
  }

  // -------------------------------------------------------------------------------------
  // prometheus.yml sections

  GlobalConfig ReadGlobal(const YAML::Node& node) {
    GlobalConfig g;
    MapReader m(src_, node, "config.GlobalConfig");
    bool has_timeout = m.DurationMs("scrape_timeout", &g.scrape_timeout_ms);
    m.DurationMs("scrape_interval", &g.scrape_interval_ms);
    m.DurationMs("evaluation_interval", &g.evaluation_interval_ms);
    m.StringMap("external_labels", &g.external_labels);
    if (m.String("query_log_file", &g.query_log_file)) {
      g.query_log_file = ResolvePath(g.query_log_file);
    }
    m.ByteSize("body_size_limit", &g.body_size_limit_bytes);
    m.Uint("sample_limit", &g.sample_limit);
    m.Uint("label_limit", &g.label_limit);
    m.Uint("label_name_length_limit", &g.label_name_length_limit);
    m.Uint("label_value_length_limit", &g.label_value_length_limit);
    m.Finish();
    if (g.scrape_interval_ms <= 0) src_.Fail(node, "global scrape_interval must be positive");
    if (g.evaluation_interval_ms <= 0) {
      src_.Fail(node, "global evaluation_interval must be positive");
    }
    if (!has_timeout) {
      g.scrape_timeout_ms = std::min(g.scrape_timeout_ms, g.scrape_interval_ms);
    } else if (g.scrape_timeout_ms > g.scrape_interval_ms) {
      src_.Fail(node, "global scrape timeout greater than scrape interval");
    }
    for (const auto& [name, value] : g.external_labels) {
      if (!IsValidLabelName(name)) {
        src_.Fail(node, Quoted(name) + " is not a valid label name in external_labels");
      }
    }
    return g;
  }

  void ReadHttpClientInline(MapReader& m, HttpClientConfig* h) {
    m.Unsupported({"oauth2", "no_proxy", "proxy_from_environment", "proxy_connect_header"});
    if (const YAML::Node* n = m.Get("basic_auth")) {
      BasicAuth b;
      MapReader r(src_, *n, "config.BasicAuth");
      r.String("username", &b.username);
      ReadSecretPair(r, "password", "password_file", "basic_auth ", &b.password, &b.password_file);
      r.Finish();
      h->basic_auth = std::move(b);
    }
    if (const YAML::Node* n = m.Get("authorization")) {
      Authorization a;
      MapReader r(src_, *n, "config.Authorization");
      r.String("type", &a.type);
      ReadSecretPair(r, "credentials", "credentials_file", "authorization ", &a.credentials,
                     &a.credentials_file);
      r.Finish();
      if (a.type.empty()) a.type = "Bearer";
      if (ToLower(a.type) == "basic") {
        src_.Fail(*n, "authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
      }
      h->authorization = std::move(a);
    }
    Authorization bearer;
    bool has_bearer = ReadSecretPair(m, "bearer_token", "bearer_token_file", "",
                                     &bearer.credentials, &bearer.credentials_file);
    if (has_bearer) {
      YAML::Mark at = m.KeyMark(m.Has("bearer_token") ? "bearer_token" : "bearer_token_file");
      if (h->authorization) {
        src_.Fail(at, "authorization is not compatible with bearer_token & bearer_token_file");
      }
      if (h->basic_auth) {
        src_.Fail(at,
                  "at most one of basic_auth, bearer_token & bearer_token_file must be "
                  "configured");
      }
      h->authorization = std::move(bearer);
    } else if (h->basic_auth && h->authorization) {
      src_.Fail(m.KeyMark("authorization"),
                "at most one of basic_auth & authorization must be configured");
    }
    if (const YAML::Node* n = m.Get("tls_config")) h->tls_config = ReadTls(*n);
    m.String("proxy_url", &h->proxy_url);
    if (!h->proxy_url.empty() && !HasHttpScheme(h->proxy_url)) {
      src_.Fail(m.KeyMark("proxy_url"), "proxy_url must be an http:// or https:// URL");
    }
    m.Bool("follow_redirects", &h->follow_redirects);
    m.Bool("enable_http2", &h->enable_http2);
  }

  HttpClientConfig ReadHttpClientMap(const YAML::Node& node) {
    HttpClientConfig h;
    MapReader m(src_, node, "config.HttpClientConfig");
    ReadHttpClientInline(m, &h);
    m.Finish();
    return h;
  }

  TlsConfig ReadTls(const YAML::Node& node) {
    TlsConfig t;
    MapReader m(src_, node, "config.TlsConfig");
    m.Unsupported({"ca", "cert", "key", "max_version"});
    if (m.String("ca_file", &t.ca_file)) t.ca_file = ResolvePath(t.ca_file);
    if (m.String("cert_file", &t.cert_file)) t.cert_file = ResolvePath(t.cert_file);
    if (m.String("key_file", &t.key_file)) t.key_file = ResolvePath(t.key_file);
    m.String("server_name", &t.server_name);
    m.Bool("insecure_skip_verify", &t.insecure_skip_verify);
    if (m.String("min_version", &t.min_version)) {
      static const std::set<std::string> kVersions = {"TLS10", "TLS11", "TLS12", "TLS13"};
      if (kVersions.count(t.min_version) == 0) {
        src_.Fail(*m.Get("min_version"),
                  "unknown TLS version: " + t.min_version + " (one of TLS10, TLS11, TLS12, TLS13)");
      }
    }
    m.Finish();
    if (t.cert_file.empty() != t.key_file.empty()) {
      src_.Fail(node, "tls_config: cert_file and key_file must be configured together");
    }
    return t;
  }

  RelabelConfig ReadRelabel(const YAML::Node& node) {
    RelabelConfig r;
    MapReader m(src_, node, "config.RelabelConfig");
    m.StringList("source_labels", &r.source_labels);
    m.String("separator", &r.separator);
    m.String("regex", &r.regex);
    m.Uint("modulus", &r.modulus);
    m.String("target_label", &r.target_label);
    m.String("replacement", &r.replacement);
    std::string action = "replace";
    m.String("action", &action);
    const YAML::Node* regex_node = m.Get("regex");
    const YAML::Node* action_node = m.Get("action");
    m.Finish();

    bool known = false;
    for (const ActionName& a : kActions) {
      if (a.name == ToLower(action)) {
        r.action = a.action;
        known = true;
      }
    }
    if (!known) {
      if (action.empty()) src_.Fail(node, "relabel action cannot be empty");
      src_.Fail(*action_node, "unknown relabel action " + Quoted(action));
    }
    std::string error;
    r.compiled = CompileAnchored(r.regex, &error);
    if (r.compiled == nullptr) {
      src_.Fail(*regex_node, "invalid regex " + Quoted(r.regex) + ": " + error);
    }
    for (const std::string& l : r.source_labels) {
      if (!IsValidLabelName(l)) src_.Fail(node, Quoted(l) + " is not a valid label name");
    }

    const RelabelConfig defaults;
    std::string act(RelabelActionName(r.action));
    using A = RelabelAction;
    A a = r.action;
    if (a == A::kHashMod && r.modulus == 0) {
      src_.Fail(node, "relabel configuration for hashmod requires non-zero modulus");
    }
    if ((a == A::kReplace || a == A::kHashMod || a == A::kLowercase || a == A::kUppercase ||
         a == A::kKeepEqual || a == A::kDropEqual) &&
        r.target_label.empty()) {
      src_.Fail(node, "relabel configuration for " + act + " action requires 'target_label' value");
    }
    if ((a == A::kReplace || a == A::kLowercase || a == A::kUppercase) &&
        !re2::RE2::FullMatch(r.target_label, RelabelTargetRegex())) {
      src_.Fail(node, Quoted(r.target_label) + " is invalid 'target_label' for " + act + " action");
    }
    if ((a == A::kHashMod || a == A::kKeepEqual || a == A::kDropEqual) &&
        !IsValidLabelName(r.target_label)) {
      src_.Fail(node, Quoted(r.target_label) + " is invalid 'target_label' for " + act + " action");
    }
    if ((a == A::kLowercase || a == A::kUppercase) && r.replacement != defaults.replacement) {
      src_.Fail(node, "'replacement' can not be set for " + act + " action");
    }
    if (a == A::kLabelMap && !re2::RE2::FullMatch(r.replacement, RelabelTargetRegex())) {
      src_.Fail(node, Quoted(r.replacement) + " is invalid 'replacement' for " + act + " action");
    }
    if ((a == A::kKeepEqual || a == A::kDropEqual) &&
        (r.regex != defaults.regex || r.modulus != 0 || r.separator != defaults.separator ||
         r.replacement != defaults.replacement)) {
      src_.Fail(node, act +
                          " action requires only 'source_labels' and 'target_label', and no "
                          "other fields");
    }
    if ((a == A::kLabelDrop || a == A::kLabelKeep) &&
        (!r.source_labels.empty() || !r.target_label.empty() || r.modulus != 0 ||
         r.separator != defaults.separator || r.replacement != defaults.replacement)) {
      src_.Fail(node, act + " action requires only 'regex', and no other fields");
    }
    return r;
  }

  std::vector<RelabelConfig> ReadRelabelList(MapReader& m, std::string_view key) {
    std::vector<RelabelConfig> out;
    m.Sequence(key, [&](const YAML::Node& n) { out.push_back(ReadRelabel(n)); });
    return out;
  }

  void CheckLabels(const LabelMap& labels, const YAML::Node& at) {
    for (const auto& [name, value] : labels) {
      if (!IsValidLabelName(name)) src_.Fail(at, Quoted(name) + " is not a valid label name");
    }
  }

  StaticConfig ReadStatic(const YAML::Node& node) {
    StaticConfig s;
    MapReader m(src_, node, "config.StaticConfig");
    m.StringList("targets", &s.targets);
    m.StringMap("labels", &s.labels);
    m.Finish();
    for (const std::string& t : s.targets) {
      if (t.find('/') != std::string::npos) {
        src_.Fail(node, Quoted(t) + " is not a valid hostname");
      }
    }
    CheckLabels(s.labels, node);
    return s;
  }

  FileSdConfig ReadFileSd(const YAML::Node& node) {
    FileSdConfig f;
    MapReader m(src_, node, "config.FileSdConfig");
    m.StringList("files", &f.files);
    m.DurationMs("refresh_interval", &f.refresh_interval_ms);
    m.Finish();
    if (f.files.empty())
      src_.Fail(node,
                "file service discovery config must contain at least "
                "one path name");
    for (std::string& file : f.files) {
      if (!re2::RE2::FullMatch(file, FileSdPatternRegex())) {
        src_.Fail(node, "path name " + Quoted(file) + " is not valid for file discovery");
      }
      file = ResolvePath(file);
    }
    return f;
  }

  KubernetesSdConfig ReadKubernetesSd(const YAML::Node& node) {
    KubernetesSdConfig k;
    MapReader m(src_, node, "config.KubernetesSdConfig");
    std::string role;
    m.String("role", &role);
    m.String("api_server", &k.api_server);
    if (m.String("kubeconfig_file", &k.kubeconfig_file)) {
      k.kubeconfig_file = ResolvePath(k.kubeconfig_file);
    }
    if (const YAML::Node* n = m.Get("namespaces")) {
      MapReader ns(src_, *n, "config.KubernetesNamespaces");
      ns.StringList("names", &k.namespaces);
      ns.Bool("own_namespace", &k.own_namespace);
      ns.Finish();
    }
    std::vector<std::pair<std::string, YAML::Node>> selector_roles;
    m.Sequence("selectors", [&](const YAML::Node& n) {
      MapReader s(src_, n, "config.KubernetesSelector");
      KubernetesSelector sel;
      std::string srole;
      s.String("role", &srole);
      s.String("label", &sel.label);
      s.String("field", &sel.field);
      s.Finish();
      std::optional<KubernetesRole> r = ParseRole(srole);
      if (!r) src_.Fail(n, "invalid selector role " + Quoted(srole) + " in kubernetes_sd_config");
      sel.role = *r;
      for (const KubernetesSelector& prev : k.selectors) {
        if (prev.role == sel.role) src_.Fail(n, "duplicated selector role: " + srole);
      }
      k.selectors.push_back(sel);
    });
    if (const YAML::Node* n = m.Get("attach_metadata")) {
      MapReader a(src_, *n, "config.KubernetesAttachMetadata");
      a.Bool("node", &k.attach_node_metadata);
      a.Finish();
    }
    ReadHttpClientInline(m, &k.http_client);
    m.Finish();

    if (role.empty()) {
      src_.Fail(node,
                "role missing (one of: pod, service, endpoints, endpointslice, node, ingress)");
    }
    std::optional<KubernetesRole> r = ParseRole(role);
    if (!r) src_.Fail(*m.Get("role"), "unknown Kubernetes SD role " + Quoted(role));
    k.role = *r;
    if (!k.api_server.empty() && !HasHttpScheme(k.api_server)) {
      src_.Fail(node, "api_server must be an http:// or https:// URL");
    }
    if (!k.api_server.empty() && !k.kubeconfig_file.empty()) {
      src_.Fail(node, "cannot use 'kubeconfig_file' and 'api_server' simultaneously");
    }
    if (k.api_server.empty() && !IsDefaultHttpClient(k.http_client)) {
      src_.Fail(node,
                "to use custom HTTP client configuration please provide the 'api_server' "
                "URL explicitly");
    }
    for (const KubernetesSelector& sel : k.selectors) {
      std::vector<KubernetesRole> allowed;
      switch (k.role) {
        case KubernetesRole::kEndpoints:
          allowed = {KubernetesRole::kPod, KubernetesRole::kService, KubernetesRole::kEndpoints};
          break;
        case KubernetesRole::kEndpointSlice:
          allowed = {KubernetesRole::kPod, KubernetesRole::kService,
                     KubernetesRole::kEndpointSlice};
          break;
        default:
          allowed = {k.role};
      }
      if (std::find(allowed.begin(), allowed.end(), sel.role) == allowed.end()) {
        std::string names;
        for (KubernetesRole a : allowed) {
          names += (names.empty() ? "" : ", ") + std::string(KubernetesRoleName(a));
        }
        src_.Fail(node, std::string(KubernetesRoleName(k.role)) + " role supports only " + names +
                            " selectors");
      }
    }
    return k;
  }

  // The target-discovery keys shared by scrape configs and Alertmanager targets.
  template <typename T>
  void ReadDiscovery(MapReader& m, T* out) {
    m.Unsupported({ANDON_UNSUPPORTED_SD});
    m.Sequence("static_configs",
               [&](const YAML::Node& n) { out->static_configs.push_back(ReadStatic(n)); });
    m.Sequence("file_sd_configs",
               [&](const YAML::Node& n) { out->file_sd_configs.push_back(ReadFileSd(n)); });
    m.Sequence("kubernetes_sd_configs", [&](const YAML::Node& n) {
      out->kubernetes_sd_configs.push_back(ReadKubernetesSd(n));
    });
  }

  ScrapeConfig ReadScrapeConfig(const YAML::Node& node, const GlobalConfig& g) {
    ScrapeConfig s;
    s.body_size_limit_bytes = g.body_size_limit_bytes;
    s.sample_limit = g.sample_limit;
    s.label_limit = g.label_limit;
    s.label_name_length_limit = g.label_name_length_limit;
    s.label_value_length_limit = g.label_value_length_limit;
    MapReader m(src_, node, "config.ScrapeConfig");
    m.String("job_name", &s.job_name);
    bool has_interval = m.DurationMs("scrape_interval", &s.scrape_interval_ms);
    bool has_timeout = m.DurationMs("scrape_timeout", &s.scrape_timeout_ms);
    m.String("metrics_path", &s.metrics_path);
    m.String("scheme", &s.scheme);
    if (const YAML::Node* n = m.Get("params")) {
      MapReader p(src_, *n, "url.Values");
      for (const auto& kv : *n) {
        const std::string key = kv.first.as<std::string>();
        s.params[key] = yaml::ReadStringList(src_, kv.second, key);
        p.Get(key);
      }
      p.Finish();
    }
    m.Bool("honor_labels", &s.honor_labels);
    m.Bool("honor_timestamps", &s.honor_timestamps);
    ReadHttpClientInline(m, &s.http_client);
    m.ByteSize("body_size_limit", &s.body_size_limit_bytes);
    m.Uint("sample_limit", &s.sample_limit);
    m.Uint("target_limit", &s.target_limit);
    m.Uint("label_limit", &s.label_limit);
    m.Uint("label_name_length_limit", &s.label_name_length_limit);
    m.Uint("label_value_length_limit", &s.label_value_length_limit);
    ReadDiscovery(m, &s);
    s.relabel_configs = ReadRelabelList(m, "relabel_configs");
    s.metric_relabel_configs = ReadRelabelList(m, "metric_relabel_configs");
    m.Finish();

    if (s.job_name.empty()) src_.Fail(node, "job_name is empty");
    if (s.scheme != "http" && s.scheme != "https") {
      src_.Fail(*m.Get("scheme"), "scheme must be \"http\" or \"https\", got " + Quoted(s.scheme));
    }
    if (s.metrics_path.empty() || s.metrics_path[0] != '/') {
      src_.Fail(*m.Get("metrics_path"),
                "metrics_path must start with \"/\", got " + Quoted(s.metrics_path));
    }
    if (!has_interval) s.scrape_interval_ms = g.scrape_interval_ms;
    if (s.scrape_interval_ms <= 0) {
      src_.Fail(node, "scrape_interval must be positive for scrape config with job name " +
                          Quoted(s.job_name));
    }
    if (has_timeout && s.scrape_timeout_ms > s.scrape_interval_ms) {
      src_.Fail(node,
                "scrape timeout greater than scrape interval for scrape config with job "
                "name " +
                    Quoted(s.job_name));
    }
    if (!has_timeout) s.scrape_timeout_ms = std::min(g.scrape_timeout_ms, s.scrape_interval_ms);
    return s;
  }

  RemoteWriteConfig ReadRemoteWrite(const YAML::Node& node) {
    RemoteWriteConfig r;
    MapReader m(src_, node, "config.RemoteWriteConfig");
    m.Unsupported({"sigv4", "azuread"});
    m.String("url", &r.url);
    m.String("name", &r.name);
    m.DurationMs("remote_timeout", &r.remote_timeout_ms);
    m.StringMap("headers", &r.headers);
    r.write_relabel_configs = ReadRelabelList(m, "write_relabel_configs");
    ReadHttpClientInline(m, &r.http_client);
    if (const YAML::Node* n = m.Get("queue_config")) {
      QueueConfig& q = r.queue_config;
      MapReader qm(src_, *n, "config.QueueConfig");
      qm.Uint("capacity", &q.capacity);
      qm.Uint("max_shards", &q.max_shards);
      qm.Uint("min_shards", &q.min_shards);
      qm.Uint("max_samples_per_send", &q.max_samples_per_send);
      qm.DurationMs("batch_send_deadline", &q.batch_send_deadline_ms);
      qm.DurationMs("min_backoff", &q.min_backoff_ms);
      qm.DurationMs("max_backoff", &q.max_backoff_ms);
      qm.Bool("retry_on_http_429", &q.retry_on_http_429);
      qm.Finish();
      if (q.min_shards > q.max_shards) {
        src_.Fail(*n, "queue_config: min_shards greater than max_shards");
      }
    }
    if (const YAML::Node* n = m.Get("metadata_config")) {
      MetadataConfig& md = r.metadata_config;
      MapReader mm(src_, *n, "config.MetadataConfig");
      mm.Bool("send", &md.send);
      mm.DurationMs("send_interval", &md.send_interval_ms);
      mm.Uint("max_samples_per_send", &md.max_samples_per_send);
      mm.Finish();
    }
    m.Bool("send_exemplars", &r.send_exemplars);
    m.Bool("send_native_histograms", &r.send_native_histograms);
    m.Finish();
    if (r.url.empty()) src_.Fail(node, "url for remote_write is empty");
    if (!HasHttpScheme(r.url)) {
      src_.Fail(*m.Get("url"), "remote_write url must be an http:// or https:// URL");
    }
    static const std::set<std::string> kReserved = {"authorization",
                                                    "host",
                                                    "content-encoding",
                                                    "content-length",
                                                    "content-type",
                                                    "user-agent",
                                                    "connection",
                                                    "keep-alive",
                                                    "proxy-authenticate",
                                                    "proxy-authorization",
                                                    "www-authenticate",
                                                    "accept-encoding",
                                                    "x-prometheus-remote-write-version",
                                                    "x-prometheus-remote-read-version"};
    for (const auto& [name, value] : r.headers) {
      if (kReserved.count(ToLower(name)) != 0) {
        src_.Fail(*m.Get("headers"), name + " is a reserved header. It must not be changed");
      }
    }
    return r;
  }

  AlertmanagerTargetConfig ReadAlertmanagerTarget(const YAML::Node& node) {
    AlertmanagerTargetConfig a;
    MapReader m(src_, node, "config.AlertmanagerTargetConfig");
    m.Unsupported({"sigv4"});
    m.String("scheme", &a.scheme);
    m.String("path_prefix", &a.path_prefix);
    m.DurationMs("timeout", &a.timeout_ms);
    m.String("api_version", &a.api_version);
    ReadHttpClientInline(m, &a.http_client);
    ReadDiscovery(m, &a);
    a.relabel_configs = ReadRelabelList(m, "relabel_configs");
    m.Finish();
    if (a.scheme != "http" && a.scheme != "https") {
      src_.Fail(node, "scheme must be \"http\" or \"https\", got " + Quoted(a.scheme));
    }
    if (a.api_version != "v1" && a.api_version != "v2") {
      src_.Fail(node, "expected Alertmanager api version to be one of [v1 v2] but got " +
                          Quoted(a.api_version));
    }
    return a;
  }

  AlertingConfig ReadAlerting(const YAML::Node& node) {
    AlertingConfig a;
    MapReader m(src_, node, "config.AlertingConfig");
    a.alert_relabel_configs = ReadRelabelList(m, "alert_relabel_configs");
    m.Sequence("alertmanagers",
               [&](const YAML::Node& n) { a.alertmanagers.push_back(ReadAlertmanagerTarget(n)); });
    a.router = ReadRouterKeys(m);
    m.Finish();
    return a;
  }

  std::vector<TeamConfig> ReadTeams(const YAML::Node& node) {
    std::vector<TeamConfig> teams;
    MapReader outer(src_, node, "teams");  // rejects non-mappings and duplicate team names
    for (const auto& kv : node) {
      TeamConfig t;
      t.name = yaml::ReadString(src_, kv.first, "teams");
      if (t.name.empty()) src_.Fail(kv.first, "team name is empty");
      outer.Get(t.name);
      MapReader m(src_, kv.second, "config.TeamConfig");
      m.String("slack_channel", &t.slack_channel);
      m.String("runbook_base_url", &t.runbook_base_url);
      m.Finish();
      if (t.slack_channel.empty()) {
        src_.Fail(kv.first, "team " + Quoted(t.name) + " has no slack_channel");
      }
      teams.push_back(std::move(t));
    }
    outer.Finish();
    return teams;
  }

  LintConfig ReadLint(const YAML::Node& node) {
    LintConfig l;
    MapReader m(src_, node, "config.LintConfig");
    // Label-name lists: each entry must be a valid label name.
    auto names = [&](std::string_view key, std::vector<std::string>* out) {
      if (!m.StringList(key, out)) return;
      for (const std::string& name : *out) {
        if (!IsValidLabelName(name)) {
          src_.Fail(m.KeyMark(key), "lint." + std::string(key) + ": " + Quoted(name) +
                                        " is not a valid label name");
        }
      }
    };
    names("required_labels", &l.required_labels);
    if (m.String("severity_label", &l.severity_label) && !IsValidLabelName(l.severity_label)) {
      src_.Fail(m.KeyMark("severity_label"),
                "lint.severity_label: " + Quoted(l.severity_label) + " is not a valid label name");
    }
    m.StringList("allowed_severities", &l.allowed_severities);
    names("required_annotations", &l.required_annotations);
    m.Bool("for_at_least_interval", &l.for_at_least_interval);
    m.Uint("min_rate_range_intervals", &l.min_rate_range_intervals);
    names("rate_functions", &l.rate_functions);
    m.Bool("camel_case_alert_names", &l.camel_case_alert_names);
    m.Finish();
    return l;
  }

  // -------------------------------------------------------------------------------------
  // alertmanager.yml sections

  // Reads the router keys from `m` (the alerting section or an alertmanager.yml root).
  // Returns nullopt when none is present.
  std::optional<RouterConfig> ReadRouterKeys(MapReader& m) {
    if (!m.Has("global") && !m.Has("route") && !m.Has("receivers") && !m.Has("inhibit_rules") &&
        !m.Has("time_intervals") && !m.Has("mute_time_intervals") && !m.Has("templates")) {
      for (std::string_view k : {"global", "route", "receivers", "inhibit_rules", "time_intervals",
                                 "mute_time_intervals", "templates"}) {
        m.Get(k);  // present but null
      }
      return std::nullopt;
    }
    RouterConfig r;
    if (const YAML::Node* n = m.Get("global")) r.global = ReadRouterGlobal(*n);
    auto read_intervals = [&](const YAML::Node& n) {
      TimeInterval ti = ReadTimeInterval(n);
      for (const TimeInterval& prev : r.time_intervals) {
        if (prev.name == ti.name)
          src_.Fail(n, "time interval " + Quoted(ti.name) + " is not unique");
      }
      r.time_intervals.push_back(std::move(ti));
    };
    m.Sequence("time_intervals", read_intervals);
    m.Sequence("mute_time_intervals", read_intervals);
    m.Sequence("receivers", [&](const YAML::Node& n) {
      Receiver rec = ReadReceiver(n, r.global);
      if (r.FindReceiver(rec.name) != nullptr) {
        src_.Fail(n, "notification config name " + Quoted(rec.name) + " is not unique");
      }
      r.receivers.push_back(std::move(rec));
    });
    m.Sequence("inhibit_rules",
               [&](const YAML::Node& n) { r.inhibit_rules.push_back(ReadInhibitRule(n)); });
    if (const YAML::Node* n = m.Get("templates")) {
      for (const std::string& t : yaml::ReadStringList(src_, *n, "templates")) {
        r.templates.push_back(ResolvePath(t));
      }
    }
    const YAML::Node* route = m.Get("route");
    if (route == nullptr) src_.Fail(m.node(), "no route provided in config");
    r.route = ReadRoute(*route, /*root=*/true);
    return r;
  }

  RouterGlobalConfig ReadRouterGlobal(const YAML::Node& node) {
    RouterGlobalConfig g;
    MapReader m(src_, node, "config.RouterGlobalConfig");
    m.DurationMs("resolve_timeout", &g.resolve_timeout_ms);
    if (const YAML::Node* n = m.Get("http_config")) g.http_config = ReadHttpClientMap(*n);
    if (ReadSecretPair(m, "slack_api_url", "slack_api_url_file", "", &g.slack_api_url,
                       &g.slack_api_url_file) &&
        g.slack_api_url_file.empty() && !HasHttpScheme(g.slack_api_url.Reveal())) {
      src_.Fail(m.KeyMark("slack_api_url"), "slack_api_url must be an http:// or https:// URL");
    }
    // Defaults for integrations Andon has no receivers for: harmless without such receivers
    // (which are rejected), so accepted to let existing alertmanager.yml files load.
    for (std::string_view k : {"smtp_from",
                               "smtp_hello",
                               "smtp_smarthost",
                               "smtp_auth_username",
                               "smtp_auth_password",
                               "smtp_auth_password_file",
                               "smtp_auth_secret",
                               "smtp_auth_identity",
                               "smtp_require_tls",
                               "pagerduty_url",
                               "opsgenie_api_url",
                               "opsgenie_api_key",
                               "opsgenie_api_key_file",
                               "wechat_api_url",
                               "wechat_api_secret",
                               "wechat_api_corp_id",
                               "victorops_api_url",
                               "victorops_api_key",
                               "victorops_api_key_file",
                               "telegram_api_url",
                               "webex_api_url"}) {
      m.Get(k);
    }
    m.Finish();
    if (g.resolve_timeout_ms <= 0) src_.Fail(node, "resolve_timeout must be positive");
    return g;
  }

  std::vector<Matcher> ReadMatcherStrings(const YAML::Node& node, std::string_view field) {
    std::vector<Matcher> out;
    if (!node.IsSequence()) {
      src_.Fail(node, "field " + Quoted(field) + ": expected a sequence of strings, got " +
                          std::string(yaml::KindName(node)));
    }
    for (const YAML::Node& item : node) {
      Result<std::vector<Matcher>> ms = ParseMatchers(yaml::ReadString(src_, item, field));
      if (!ms.ok()) src_.Fail(item, ms.status().message());
      for (Matcher& mt : *ms) out.push_back(std::move(mt));
    }
    return out;
  }

  // `match` (regex=false) or `match_re` (regex=true) maps, converted to matchers.
  void ReadMatchMap(MapReader& m, std::string_view key, bool regex, std::vector<Matcher>* out) {
    const YAML::Node* n = m.Get(key);
    if (n == nullptr) return;
    for (const auto& [name, value] : yaml::ReadStringMap(src_, *n, key)) {
      if (!IsValidLabelName(name)) src_.Fail(*n, "invalid label name " + Quoted(name));
      Matcher mt;
      mt.name = name;
      mt.value = value;
      mt.op = regex ? Matcher::Op::kRegexMatch : Matcher::Op::kEqual;
      if (regex) {
        std::string error;
        mt.regex = CompileAnchored(value, &error);
        if (mt.regex == nullptr) {
          src_.Fail(*n, "invalid regex " + Quoted(value) + " for " + Quoted(name) + ": " + error);
        }
      }
      out->push_back(std::move(mt));
    }
  }

  Route ReadRoute(const YAML::Node& node, bool root) {
    Route r;
    MapReader m(src_, node, "config.Route");
    if (const YAML::Node* n = m.Get("receiver")) {
      r.receiver = yaml::ReadString(src_, *n, "receiver");
      receiver_refs_.emplace_back(r.receiver, n->Mark());
    }
    if (const YAML::Node* n = m.Get("group_by")) {
      r.group_by = yaml::ReadStringList(src_, *n, "group_by");
      std::set<std::string> seen;
      for (const std::string& l : *r.group_by) {
        if (l == "...") {
          if (r.group_by->size() != 1) {
            src_.Fail(*n,
                      "cannot have wildcard group_by ('...') and other labels at the same "
                      "time");
          }
        } else if (!IsValidLabelName(l)) {
          src_.Fail(*n, "invalid label name " + Quoted(l) + " in group_by list");
        }
        if (!seen.insert(l).second) src_.Fail(*n, "duplicated label " + Quoted(l) + " in group_by");
      }
    }
    if (const YAML::Node* n = m.Get("matchers")) r.matchers = ReadMatcherStrings(*n, "matchers");
    ReadMatchMap(m, "match", false, &r.matchers);
    ReadMatchMap(m, "match_re", true, &r.matchers);
    m.Bool("continue", &r.continue_matching);
    m.DurationMs("group_wait", &r.group_wait_ms);
    m.DurationMs("group_interval", &r.group_interval_ms);
    m.DurationMs("repeat_interval", &r.repeat_interval_ms);
    for (auto [key, list] : {std::pair{"mute_time_intervals", &r.mute_time_intervals},
                             std::pair{"active_time_intervals", &r.active_time_intervals}}) {
      if (const YAML::Node* n = m.Get(key)) {
        *list = yaml::ReadStringList(src_, *n, key);
        for (const std::string& name : *list) time_interval_refs_.emplace_back(name, n->Mark());
      }
    }
    m.Sequence("routes", [&](const YAML::Node& n) { r.routes.push_back(ReadRoute(n, false)); });
    m.Finish();

    if (r.group_interval_ms && *r.group_interval_ms == 0) {
      src_.Fail(*m.Get("group_interval"), "group_interval cannot be zero");
    }
    if (r.repeat_interval_ms && *r.repeat_interval_ms == 0) {
      src_.Fail(*m.Get("repeat_interval"), "repeat_interval cannot be zero");
    }
    if (root) {
      if (r.receiver.empty()) src_.Fail(node, "root route must specify a default receiver");
      if (!r.matchers.empty()) src_.Fail(node, "root route must not have any matchers");
      if (r.continue_matching) src_.Fail(node, "cannot have continue in root route");
      if (!r.mute_time_intervals.empty()) {
        src_.Fail(node, "root route must not have any mute time intervals");
      }
      if (!r.active_time_intervals.empty()) {
        src_.Fail(node, "root route must not have any active time intervals");
      }
      if (!r.group_by) r.group_by.emplace();
      if (!r.group_wait_ms) r.group_wait_ms = 30 * 1000;
      if (!r.group_interval_ms) r.group_interval_ms = 5 * 60 * 1000;
      if (!r.repeat_interval_ms) r.repeat_interval_ms = 4 * 3600 * 1000;
    }
    return r;
  }

  void CheckReferences(const RouterConfig& r) {
    for (const auto& [name, mark] : receiver_refs_) {
      if (r.FindReceiver(name) == nullptr) {
        src_.Fail(mark, "undefined receiver " + Quoted(name) + " used in route");
      }
    }
    for (const auto& [name, mark] : time_interval_refs_) {
      // Captured by name: Debian's clang 14 (the fuzz build) cannot capture a structured binding.
      bool found = std::any_of(r.time_intervals.begin(), r.time_intervals.end(),
                               [&name = name](const TimeInterval& t) { return t.name == name; });
      if (!found) src_.Fail(mark, "undefined time interval " + Quoted(name) + " used in route");
    }
  }

  SlackConfig ReadSlack(const YAML::Node& node, const RouterGlobalConfig& g) {
    SlackConfig s;
    MapReader m(src_, node, "config.SlackConfig");
    m.Bool("send_resolved", &s.send_resolved);
    if (const YAML::Node* n = m.Get("http_config")) {
      s.http_config = ReadHttpClientMap(*n);
    } else {
      s.http_config = g.http_config;
    }
    bool has_url = ReadSecretPair(m, "api_url", "api_url_file", "", &s.api_url, &s.api_url_file);
    if (has_url && s.api_url_file.empty() && !HasHttpScheme(s.api_url.Reveal())) {
      src_.Fail(m.KeyMark("api_url"), "slack api_url must be an http:// or https:// URL");
    }
    for (auto [key, field] : {std::pair{"channel", &s.channel},
                              {"username", &s.username},
                              {"color", &s.color},
                              {"title", &s.title},
                              {"title_link", &s.title_link},
                              {"pretext", &s.pretext},
                              {"text", &s.text},
                              {"footer", &s.footer},
                              {"fallback", &s.fallback},
                              {"callback_id", &s.callback_id},
                              {"icon_emoji", &s.icon_emoji},
                              {"icon_url", &s.icon_url},
                              {"image_url", &s.image_url},
                              {"thumb_url", &s.thumb_url}}) {
      m.String(key, field);
    }
    m.Bool("short_fields", &s.short_fields);
    m.Bool("link_names", &s.link_names);
    m.StringList("mrkdwn_in", &s.mrkdwn_in);
    m.Sequence("fields", [&](const YAML::Node& n) {
      SlackField f;
      MapReader fm(src_, n, "config.SlackField");
      fm.String("title", &f.title);
      fm.String("value", &f.value);
      bool short_field = false;
      if (fm.Bool("short", &short_field)) f.short_field = short_field;
      fm.Finish();
      if (f.title.empty()) src_.Fail(n, "missing title in Slack field configuration");
      if (f.value.empty()) src_.Fail(n, "missing value in Slack field configuration");
      s.fields.push_back(std::move(f));
    });
    m.Sequence("actions", [&](const YAML::Node& n) { s.actions.push_back(ReadSlackAction(n)); });
    m.Finish();
    if (!has_url) {
      if (g.slack_api_url.empty()) src_.Fail(node, "no global Slack API URL set");
      s.api_url = g.slack_api_url;
      s.api_url_file = g.slack_api_url_file;
    }
    return s;
  }

  SlackAction ReadSlackAction(const YAML::Node& node) {
    SlackAction a;
    MapReader m(src_, node, "config.SlackAction");
    for (auto [key, field] : {std::pair{"type", &a.type},
                              {"text", &a.text},
                              {"url", &a.url},
                              {"style", &a.style},
                              {"name", &a.name},
                              {"value", &a.value}}) {
      m.String(key, field);
    }
    if (const YAML::Node* n = m.Get("confirm")) {
      SlackConfirmation c;
      MapReader cm(src_, *n, "config.SlackConfirmation");
      cm.String("title", &c.title);
      cm.String("text", &c.text);
      cm.String("ok_text", &c.ok_text);
      cm.String("dismiss_text", &c.dismiss_text);
      cm.Finish();
      if (c.text.empty()) src_.Fail(*n, "missing text in Slack confirmation configuration");
      a.confirm = std::move(c);
    }
    m.Finish();
    if (a.type.empty()) src_.Fail(node, "missing type in Slack action configuration");
    if (a.text.empty()) src_.Fail(node, "missing text in Slack action configuration");
    if (a.url.empty() && a.name.empty()) {
      src_.Fail(node, "missing name or url in Slack action configuration");
    }
    return a;
  }

  WebhookConfig ReadWebhook(const YAML::Node& node, const RouterGlobalConfig& g) {
    WebhookConfig w;
    MapReader m(src_, node, "config.WebhookConfig");
    m.Bool("send_resolved", &w.send_resolved);
    if (const YAML::Node* n = m.Get("http_config")) {
      w.http_config = ReadHttpClientMap(*n);
    } else {
      w.http_config = g.http_config;
    }
    bool has_url = ReadSecretPair(m, "url", "url_file", "", &w.url, &w.url_file);
    m.Uint("max_alerts", &w.max_alerts);
    m.Finish();
    if (!has_url) src_.Fail(node, "one of url or url_file must be configured");
    if (w.url_file.empty() && !HasHttpScheme(w.url.Reveal())) {
      src_.Fail(node, "webhook url must be an http:// or https:// URL");
    }
    return w;
  }

  Receiver ReadReceiver(const YAML::Node& node, const RouterGlobalConfig& g) {
    Receiver r;
    MapReader m(src_, node, "config.Receiver");
    m.Unsupported({"email_configs", "pagerduty_configs", "pushover_configs", "opsgenie_configs",
                   "wechat_configs", "victorops_configs", "sns_configs", "telegram_configs",
                   "webex_configs", "discord_configs", "msteams_configs"});
    m.String("name", &r.name);
    m.Sequence("slack_configs",
               [&](const YAML::Node& n) { r.slack_configs.push_back(ReadSlack(n, g)); });
    m.Sequence("webhook_configs",
               [&](const YAML::Node& n) { r.webhook_configs.push_back(ReadWebhook(n, g)); });
    m.Finish();
    if (r.name.empty()) src_.Fail(node, "missing name in receiver");
    return r;
  }

  InhibitRule ReadInhibitRule(const YAML::Node& node) {
    InhibitRule r;
    MapReader m(src_, node, "config.InhibitRule");
    if (const YAML::Node* n = m.Get("source_matchers")) {
      r.source_matchers = ReadMatcherStrings(*n, "source_matchers");
    }
    ReadMatchMap(m, "source_match", false, &r.source_matchers);
    ReadMatchMap(m, "source_match_re", true, &r.source_matchers);
    if (const YAML::Node* n = m.Get("target_matchers")) {
      r.target_matchers = ReadMatcherStrings(*n, "target_matchers");
    }
    ReadMatchMap(m, "target_match", false, &r.target_matchers);
    ReadMatchMap(m, "target_match_re", true, &r.target_matchers);
    m.StringList("equal", &r.equal);
    m.Finish();
    for (const std::string& l : r.equal) {
      if (!IsValidLabelName(l))
        src_.Fail(node, "invalid label name " + Quoted(l) + " in equal list");
    }
    return r;
  }

  TimeInterval ReadTimeInterval(const YAML::Node& node) {
    TimeInterval t;
    MapReader m(src_, node, "config.TimeInterval");
    m.String("name", &t.name);
    m.Sequence("time_intervals", [&](const YAML::Node& n) {
      TimeIntervalSpec spec;
      MapReader sm(src_, n, "config.TimeIntervalSpec");
      sm.Sequence("times", [&](const YAML::Node& tn) {
        TimeRange tr;
        MapReader tm(src_, tn, "config.TimeRange");
        tm.String("start_time", &tr.start_time);
        tm.String("end_time", &tr.end_time);
        tm.Finish();
        if (tr.start_time.empty() || tr.end_time.empty()) {
          src_.Fail(tn, "time range needs both start_time and end_time");
        }
        spec.times.push_back(tr);
      });
      sm.StringList("weekdays", &spec.weekdays);
      sm.StringList("days_of_month", &spec.days_of_month);
      sm.StringList("months", &spec.months);
      sm.StringList("years", &spec.years);
      sm.String("location", &spec.location);
      sm.Finish();
      t.time_intervals.push_back(std::move(spec));
    });
    m.Finish();
    if (t.name.empty()) src_.Fail(node, "missing name in time interval");
    return t;
  }

  const yaml::Source& src_;
  std::string base_dir_;
  std::vector<std::pair<std::string, YAML::Mark>> receiver_refs_;
  std::vector<std::pair<std::string, YAML::Mark>> time_interval_refs_;
};

#undef ANDON_UNSUPPORTED_SD

std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string_view RelabelActionName(RelabelAction action) {
  for (const ActionName& a : kActions) {
    if (a.action == action) return a.name;
  }
  return "replace";
}

std::string_view KubernetesRoleName(KubernetesRole role) {
  for (const RoleName& r : kRoles) {
    if (r.role == role) return r.name;
  }
  return "pod";
}

// -----------------------------------------------------------------------------------------
// Matchers

bool Matcher::Matches(std::string_view label_value) const {
  switch (op) {
    case Op::kEqual:
      return label_value == value;
    case Op::kNotEqual:
      return label_value != value;
    case Op::kRegexMatch:
      return re2::RE2::FullMatch(label_value, *regex);
    case Op::kRegexNoMatch:
      return !re2::RE2::FullMatch(label_value, *regex);
  }
  return false;
}

std::string Matcher::ToString() const {
  static constexpr std::string_view kOps[] = {"=", "!=", "=~", "!~"};
  std::string out = name;
  out += kOps[static_cast<int>(op)];
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

namespace {

Result<Matcher> ParseOneMatcher(std::string_view text) {
  auto bad = [&] { return Status::InvalidArgument("bad matcher format: " + std::string(text)); };
  std::string s = Trim(text);
  size_t i = 0;
  auto is_name_char = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && c >= '0' && c <= '9');
  };
  while (i < s.size() && is_name_char(s[i], i == 0)) ++i;
  if (i == 0) return bad();
  Matcher m;
  m.name = s.substr(0, i);
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  std::string_view rest = std::string_view(s).substr(i);
  if (rest.substr(0, 2) == "=~") {
    m.op = Matcher::Op::kRegexMatch;
  } else if (rest.substr(0, 2) == "!=") {
    m.op = Matcher::Op::kNotEqual;
  } else if (rest.substr(0, 2) == "!~") {
    m.op = Matcher::Op::kRegexNoMatch;
  } else if (rest.substr(0, 1) == "=") {
    m.op = Matcher::Op::kEqual;
  } else {
    return bad();
  }
  rest.remove_prefix(m.op == Matcher::Op::kEqual ? 1 : 2);
  std::string raw = Trim(rest);
  if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"') {
    for (size_t j = 1; j + 1 < raw.size(); ++j) {
      char c = raw[j];
      if (c == '\\') {
        if (j + 2 >= raw.size()) return bad();
        char n = raw[++j];
        if (n == 'n') {
          m.value += '\n';
        } else if (n == '"' || n == '\\') {
          m.value += n;
        } else {
          return Status::InvalidArgument("invalid escape sequence in matcher: " +
                                         std::string(text));
        }
      } else if (c == '"') {
        return bad();
      } else {
        m.value += c;
      }
    }
  } else {
    if (raw.find('"') != std::string::npos) return bad();
    m.value = raw;
  }
  if (m.op == Matcher::Op::kRegexMatch || m.op == Matcher::Op::kRegexNoMatch) {
    std::string error;
    m.regex = CompileAnchored(m.value, &error);
    if (m.regex == nullptr) {
      return Status::InvalidArgument("invalid regex " + Quoted(m.value) + " in matcher " +
                                     std::string(text) + ": " + error);
    }
  }
  return m;
}

}  // namespace

Result<Matcher> MakeMatcher(std::string name, Matcher::Op op, std::string value) {
  Matcher m;
  m.name = std::move(name);
  m.op = op;
  m.value = std::move(value);
  if (op == Matcher::Op::kRegexMatch || op == Matcher::Op::kRegexNoMatch) {
    std::string error;
    m.regex = CompileAnchored(m.value, &error);
    if (m.regex == nullptr) return Status::InvalidArgument(error);
  }
  return m;
}

Result<std::vector<Matcher>> ParseMatchers(std::string_view text) {
  std::string s = Trim(text);
  std::string_view body = s;
  if (!body.empty() && body.front() == '{') {
    if (body.back() != '}') return Status::InvalidArgument("missing closing '}': " + s);
    body = body.substr(1, body.size() - 2);
  }
  std::vector<Matcher> out;
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i <= body.size(); ++i) {
    if (i < body.size()) {
      char c = body[i];
      if (c == '\\' && quoted) {
        ++i;
        continue;
      }
      if (c == '"') quoted = !quoted;
      if (c != ',' || quoted) continue;
    }
    std::string_view part = body.substr(start, i - start);
    start = i + 1;
    if (Trim(part).empty()) {
      if (i == body.size() && !out.empty()) break;  // a trailing comma
      return Status::InvalidArgument("bad matcher format: " + s);
    }
    Result<Matcher> m = ParseOneMatcher(part);
    if (!m.ok()) return m.status();
    out.push_back(std::move(*m));
  }
  return out;
}

// -----------------------------------------------------------------------------------------
// Entry points

const Receiver* RouterConfig::FindReceiver(std::string_view name) const {
  for (const Receiver& r : receivers) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

Status ExpandTeams(const std::vector<TeamConfig>& teams, RouterConfig* router) {
  if (teams.empty()) return Status::Ok();
  if (router->global.slack_api_url.empty()) {
    return Status::InvalidArgument(
        "teams are configured but alerting.global sets neither slack_api_url nor "
        "slack_api_url_file");
  }
  std::vector<Route> team_routes;
  for (const TeamConfig& team : teams) {
    std::string receiver_name = "team-" + team.name;
    if (router->FindReceiver(receiver_name) != nullptr) {
      return Status::InvalidArgument("team " + Quoted(team.name) + ": a receiver named " +
                                     Quoted(receiver_name) + " already exists");
    }
    SlackConfig slack;
    slack.send_resolved = true;
    slack.channel = team.slack_channel;
    slack.api_url = router->global.slack_api_url;
    slack.api_url_file = router->global.slack_api_url_file;
    slack.http_config = router->global.http_config;
    Receiver receiver;
    receiver.name = receiver_name;
    receiver.slack_configs.push_back(std::move(slack));
    router->receivers.push_back(std::move(receiver));

    Route route;
    route.receiver = receiver_name;
    route.matchers.push_back(Matcher{"team", Matcher::Op::kEqual, team.name, nullptr});
    team_routes.push_back(std::move(route));
  }
  router->route.routes.insert(router->route.routes.begin(),
                              std::make_move_iterator(team_routes.begin()),
                              std::make_move_iterator(team_routes.end()));
  return Status::Ok();
}

Result<Config> ParseConfig(std::string_view yaml_text, std::string_view filename,
                           std::string_view base_dir, ConfigLoadOptions options) {
  Result<YAML::Node> root = yaml::LoadYaml(yaml_text, filename);
  if (!root.ok()) return root.status();
  yaml::Source src{std::string(filename)};
  try {
    return Parser(src, base_dir).ReadConfig(*root, options);
  } catch (const ParseError& e) {
    return Status::InvalidArgument(e.what());
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(src.Position(e.mark) + ": yaml: " + e.msg);
  }
}

Result<Config> LoadConfigFile(const std::string& path, ConfigLoadOptions options) {
  Result<std::string> text = ReadConfigFile(path);
  if (!text.ok()) return text.status();
  return ParseConfig(*text, path, DirName(path), options);
}

Result<RouterConfig> ParseAlertmanagerConfig(std::string_view yaml_text, std::string_view filename,
                                             std::string_view base_dir) {
  Result<YAML::Node> root = yaml::LoadYaml(yaml_text, filename);
  if (!root.ok()) return root.status();
  yaml::Source src{std::string(filename)};
  try {
    return Parser(src, base_dir).ReadRouterDocument(*root);
  } catch (const ParseError& e) {
    return Status::InvalidArgument(e.what());
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(src.Position(e.mark) + ": yaml: " + e.msg);
  }
}

Result<RouterConfig> LoadAlertmanagerConfig(const std::string& path) {
  Result<std::string> text = ReadConfigFile(path);
  if (!text.ok()) return text.status();
  return ParseAlertmanagerConfig(*text, path, DirName(path));
}

const std::string_view kDefaultConfigYaml =
    R"(# Andon's built-in configuration: used when no config file is given.
global:
  scrape_interval: 15s
  evaluation_interval: 15s
scrape_configs:
  - job_name: andon
    static_configs:
      - targets: ["localhost:9090"]
)";

Config DefaultConfig() {
  Result<Config> c = ParseConfig(kDefaultConfigYaml, "<default config>", "");
  return std::move(c).value();
}

}  // namespace andon::config
