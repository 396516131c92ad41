// common/config.h
//
// The typed configuration of an Andon server, read from one YAML file (andon.yml; see
// docs/configuration.md). Its sections follow prometheus.yml (Prometheus 2.42) — `global`,
// `scrape_configs`, `rule_files`, `remote_write`, `alerting.alertmanagers` — and, inside
// `alerting`, alertmanager.yml (Alertmanager 0.25): `global`, `route`, `receivers`,
// `inhibit_rules`, `time_intervals`, `templates`. Andon adds a top-level `teams` section.
//
// Loading is strict: unknown keys, wrong types, bad durations, invalid regexes and
// inconsistent settings are errors carrying "file:line:column". After a successful load
// every default is filled in (scrape configs carry their effective interval, timeout and
// limits; the root route carries group_wait/group_interval/repeat_interval), relative paths
// are resolved against the config file's directory, `*_file` secrets have been read, and
// `teams` have been expanded into routes and receivers (see ExpandTeams).
//
// Credentials are held in Secret (common/secret.h) and never printed. All structs are plain
// values: copyable, immutable once loaded, safe to share read-only between threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/secret.h"
#include "common/status.h"

namespace re2 {
class RE2;
}

namespace andon::config {

using LabelMap = std::map<std::string, std::string>;

// ---------------------------------------------------------------------------------------
// HTTP client settings shared by scrape configs, service discovery, remote write,
// Alertmanager targets and notifiers.

struct BasicAuth {
  std::string username;
  Secret password;            // from password_file when that is set
  std::string password_file;  // resolved path
};

// `bearer_token` / `bearer_token_file` are folded into an Authorization of type "Bearer",
// as Prometheus does, so consumers look in one place.
struct Authorization {
  std::string type = "Bearer";
  Secret credentials;            // from credentials_file when that is set
  std::string credentials_file;  // resolved path
};

struct TlsConfig {
  std::string ca_file;  // paths resolved against the config directory
  std::string cert_file;
  std::string key_file;
  std::string server_name;
  bool insecure_skip_verify = false;
  std::string min_version;  // "", TLS10, TLS11, TLS12 or TLS13
};

struct HttpClientConfig {
  std::optional<BasicAuth> basic_auth;
  std::optional<Authorization> authorization;
  TlsConfig tls_config;
  std::string proxy_url;
  bool follow_redirects = true;
  bool enable_http2 = true;
};

// ---------------------------------------------------------------------------------------
// Relabeling.

enum class RelabelAction {
  kReplace,
  kKeep,
  kDrop,
  kHashMod,
  kLabelMap,
  kLabelDrop,
  kLabelKeep,
  kLowercase,
  kUppercase,
  kKeepEqual,
  kDropEqual,
};
// The YAML spelling: "replace", "hashmod", "labelmap", "keepequal", ...
std::string_view RelabelActionName(RelabelAction action);

struct RelabelConfig {
  std::vector<std::string> source_labels;
  std::string separator = ";";
  std::string regex = "(.*)";                // as written; matching uses `compiled`
  std::shared_ptr<const re2::RE2> compiled;  // anchored: ^(?:regex)$; never null when loaded
  uint64_t modulus = 0;
  std::string target_label;
  std::string replacement = "$1";
  RelabelAction action = RelabelAction::kReplace;
};

// ---------------------------------------------------------------------------------------
// Service discovery.

struct StaticConfig {
  std::vector<std::string> targets;  // "host:port"
  LabelMap labels;
};

struct FileSdConfig {
  std::vector<std::string> files;  // globs resolved against the config directory
  int64_t refresh_interval_ms = 5 * 60 * 1000;
};

enum class KubernetesRole { kPod, kService, kEndpoints, kEndpointSlice, kNode, kIngress };
std::string_view KubernetesRoleName(KubernetesRole role);  // "pod", "endpointslice", ...

struct KubernetesSelector {
  KubernetesRole role = KubernetesRole::kPod;
  std::string label;  // Kubernetes label selector syntax, passed through
  std::string field;  // Kubernetes field selector syntax, passed through
};

struct KubernetesSdConfig {
  KubernetesRole role = KubernetesRole::kPod;
  std::string api_server;               // empty: in-cluster configuration
  std::string kubeconfig_file;          // resolved path; exclusive with api_server
  std::vector<std::string> namespaces;  // namespaces.names; empty means all
  bool own_namespace = false;           // namespaces.own_namespace
  std::vector<KubernetesSelector> selectors;
  bool attach_node_metadata = false;  // attach_metadata.node
  HttpClientConfig http_client;
};

// ---------------------------------------------------------------------------------------
// Prometheus sections.

// Limits: 0 means unlimited.
struct GlobalConfig {
  int64_t scrape_interval_ms = 60 * 1000;
  int64_t scrape_timeout_ms = 10 * 1000;
  int64_t evaluation_interval_ms = 60 * 1000;
  LabelMap external_labels;
  std::string query_log_file;  // resolved path
  int64_t body_size_limit_bytes = 0;
  uint64_t sample_limit = 0;
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
};

// Interval, timeout, body size and label limits hold the effective value after load
// (inherited from GlobalConfig when not set on the job).
struct ScrapeConfig {
  std::string job_name;
  int64_t scrape_interval_ms = 0;
  int64_t scrape_timeout_ms = 0;
  std::string metrics_path = "/metrics";
  std::string scheme = "http";
  std::map<std::string, std::vector<std::string>> params;
  bool honor_labels = false;
  bool honor_timestamps = true;
  HttpClientConfig http_client;
  int64_t body_size_limit_bytes = 0;
  uint64_t sample_limit = 0;
  uint64_t target_limit = 0;
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  std::vector<StaticConfig> static_configs;
  std::vector<FileSdConfig> file_sd_configs;
  std::vector<KubernetesSdConfig> kubernetes_sd_configs;
  std::vector<RelabelConfig> relabel_configs;
  std::vector<RelabelConfig> metric_relabel_configs;
};

struct QueueConfig {
  uint64_t capacity = 2500;
  uint64_t max_shards = 200;
  uint64_t min_shards = 1;
  uint64_t max_samples_per_send = 500;
  int64_t batch_send_deadline_ms = 5 * 1000;
  int64_t min_backoff_ms = 30;
  int64_t max_backoff_ms = 5 * 1000;
  bool retry_on_http_429 = false;
};

struct MetadataConfig {
  bool send = true;
  int64_t send_interval_ms = 60 * 1000;
  uint64_t max_samples_per_send = 500;
};

struct RemoteWriteConfig {
  std::string url;
  std::string name;
  int64_t remote_timeout_ms = 30 * 1000;
  std::map<std::string, std::string> headers;
  std::vector<RelabelConfig> write_relabel_configs;
  HttpClientConfig http_client;
  QueueConfig queue_config;
  MetadataConfig metadata_config;
  bool send_exemplars = false;
  bool send_native_histograms = false;
};

// One entry of Prometheus's `alerting.alertmanagers`: where to send alerts to external
// Alertmanagers (accepted and kept so existing prometheus.yml files load).
struct AlertmanagerTargetConfig {
  std::string scheme = "http";
  std::string path_prefix = "/";
  int64_t timeout_ms = 10 * 1000;
  std::string api_version = "v2";
  HttpClientConfig http_client;
  std::vector<StaticConfig> static_configs;
  std::vector<FileSdConfig> file_sd_configs;
  std::vector<KubernetesSdConfig> kubernetes_sd_configs;
  std::vector<RelabelConfig> relabel_configs;
};

// ---------------------------------------------------------------------------------------
// The router, in alertmanager.yml's schema.

// One label matcher: `team="x"`, `severity=~"a|b"`.
struct Matcher {
  enum class Op { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };
  std::string name;
  Op op = Op::kEqual;
  std::string value;
  std::shared_ptr<const re2::RE2> regex;  // anchored ^(?:value)$ for =~ and !~, else null

  bool Matches(std::string_view label_value) const;
  // Canonical text, e.g. `severity=~"a|b"` (value quoted and escaped).
  std::string ToString() const;
};

// Builds a matcher from its parts (as Alertmanager's API v2 carries them), compiling the
// anchored regex for =~ and !~. The error message is the regex engine's reason alone; callers
// add the context.
Result<Matcher> MakeMatcher(std::string name, Matcher::Op op, std::string value);

// Parses Alertmanager matcher text: one or more comma-separated `name op value` with op one
// of = != =~ !~, optionally wrapped in braces; values may be double-quoted (with \" \\ \n
// escapes) or bare. Regexes must compile.
Result<std::vector<Matcher>> ParseMatchers(std::string_view text);

// A routing-tree node. Fields that are unset on a child route are inherited from its parent
// by the router; on the root route, after load, receiver, group_by and the three intervals
// are always set. `match`/`match_re` from the YAML are converted into `matchers`.
struct Route {
  std::string receiver;                              // empty on a child: inherited
  std::optional<std::vector<std::string>> group_by;  // "..." alone means: group by all labels
  std::vector<Matcher> matchers;
  bool continue_matching = false;  // YAML `continue`
  std::optional<int64_t> group_wait_ms;
  std::optional<int64_t> group_interval_ms;
  std::optional<int64_t> repeat_interval_ms;
  std::vector<std::string> mute_time_intervals;
  std::vector<std::string> active_time_intervals;
  std::vector<Route> routes;

  bool GroupByAll() const { return group_by && group_by->size() == 1 && (*group_by)[0] == "..."; }
};

struct SlackField {
  std::string title;
  std::string value;
  std::optional<bool> short_field;  // YAML `short`
};

struct SlackConfirmation {
  std::string title;
  std::string text;
  std::string ok_text;
  std::string dismiss_text;
};

struct SlackAction {
  std::string type;
  std::string text;
  std::string url;
  std::string style;
  std::string name;
  std::string value;
  std::optional<SlackConfirmation> confirm;
};

// Text fields are Go-template sources as in Alertmanager; empty means "the notifier's
// default template".
struct SlackConfig {
  bool send_resolved = false;
  HttpClientConfig http_config;
  Secret api_url;            // after load: own, own file's, or the global Slack URL
  std::string api_url_file;  // resolved path, when the URL came from a file
  std::string channel;
  std::string username;
  std::string color;
  std::string title;
  std::string title_link;
  std::string pretext;
  std::string text;
  std::string footer;
  std::string fallback;
  std::string callback_id;
  std::string icon_emoji;
  std::string icon_url;
  std::string image_url;
  std::string thumb_url;
  bool short_fields = false;
  bool link_names = false;
  std::vector<std::string> mrkdwn_in;
  std::vector<SlackField> fields;
  std::vector<SlackAction> actions;
};

struct WebhookConfig {
  bool send_resolved = true;
  HttpClientConfig http_config;
  Secret url;               // from url_file when that is set
  std::string url_file;     // resolved path
  uint64_t max_alerts = 0;  // 0: all
};

struct Receiver {
  std::string name;
  std::vector<SlackConfig> slack_configs;
  std::vector<WebhookConfig> webhook_configs;
};

// `source_match`/`source_match_re` and the target equivalents are converted into matchers.
struct InhibitRule {
  std::vector<Matcher> source_matchers;
  std::vector<Matcher> target_matchers;
  std::vector<std::string> equal;
};

// Time interval specs are kept as written ("09:00", "monday:friday", "1:5", "-1", ...);
// the router interprets them.
struct TimeRange {
  std::string start_time;
  std::string end_time;
};

struct TimeIntervalSpec {
  std::vector<TimeRange> times;
  std::vector<std::string> weekdays;
  std::vector<std::string> days_of_month;
  std::vector<std::string> months;
  std::vector<std::string> years;
  std::string location;
};

// A named time interval (`time_intervals`, or the older `mute_time_intervals`).
struct TimeInterval {
  std::string name;
  std::vector<TimeIntervalSpec> time_intervals;
};

struct RouterGlobalConfig {
  int64_t resolve_timeout_ms = 5 * 60 * 1000;
  Secret slack_api_url;            // from slack_api_url_file when that is set
  std::string slack_api_url_file;  // resolved path
  HttpClientConfig http_config;
};

struct RouterConfig {
  RouterGlobalConfig global;
  Route route;
  std::vector<Receiver> receivers;
  std::vector<InhibitRule> inhibit_rules;
  std::vector<TimeInterval> time_intervals;
  std::vector<std::string> templates;  // globs resolved against the config directory

  const Receiver* FindReceiver(std::string_view name) const;
};

struct AlertingConfig {
  std::vector<RelabelConfig> alert_relabel_configs;
  std::vector<AlertmanagerTargetConfig> alertmanagers;
  // Present when the file has an alerting.route (always, after load, when `teams` is set).
  std::optional<RouterConfig> router;
};

// ---------------------------------------------------------------------------------------
// Andon's teams shortcut and the whole file.

struct TeamConfig {
  std::string name;
  std::string slack_channel;
  std::string runbook_base_url;
};

// Andon's team policy for rule files (the top-level `lint:` section), which
// `andon check rules --config.file=...` applies on top of promtool's checks (the checks are in
// rules/rule_policy.h; docs/configuration.md#lint). Every key is optional and defaults to the
// value below; an empty list, 0 or false switches the corresponding check off.
struct LintConfig {
  std::vector<std::string> required_labels = {"team", "severity"};  // alerting rules
  std::string severity_label = "severity";
  std::vector<std::string> allowed_severities = {"critical", "warning", "info"};
  std::vector<std::string> required_annotations = {"runbook_url", "summary"};
  bool for_at_least_interval = true;      // a non-zero `for` below the group's interval
  uint64_t min_rate_range_intervals = 4;  // ranges under rate_functions vs scrape interval
  // Names only checked to be identifiers here; rules/rule_policy.h checks they are functions
  // over a range vector.
  std::vector<std::string> rate_functions = {"rate", "increase", "irate", "delta", "idelta"};
  bool camel_case_alert_names = true;
};

struct Config {
  GlobalConfig global;
  std::vector<ScrapeConfig> scrape_configs;
  std::vector<std::string> rule_files;  // globs resolved against the config directory
  std::vector<RemoteWriteConfig> remote_write;
  AlertingConfig alerting;
  std::vector<TeamConfig> teams;   // in file order
  std::optional<LintConfig> lint;  // set when the file has a `lint:` section
  std::string source_file;         // the file name used in messages ("" for the default)

  // The effective configuration as YAML, as /api/v1/status/config shows it: defaults filled
  // in, and every credential replaced by "<secret>".
  std::string ToRedactedYaml() const;
};

// The configuration Andon runs with when no file is given: it scrapes itself.
extern const std::string_view kDefaultConfigYaml;
Config DefaultConfig();

struct ConfigLoadOptions {
  // The router comes from --alertmanager.config.file: `teams` are kept in Config::teams but
  // not expanded (the server expands them into that file's router), so they need no
  // alerting.route or global Slack URL here; router keys under `alerting` are still read.
  bool external_router = false;
};

// Reads and parses `path`. An unreadable file is IOError; anything wrong inside it
// (including unreadable *_file secrets) is InvalidArgument with "path:line:column: ".
Result<Config> LoadConfigFile(const std::string& path, ConfigLoadOptions options = {});

// Parses `yaml`. `filename` prefixes messages; relative paths in the file are resolved
// against `base_dir` (left as written when it is empty).
Result<Config> ParseConfig(std::string_view yaml, std::string_view filename,
                           std::string_view base_dir, ConfigLoadOptions options = {});

// Reads an unchanged alertmanager.yml (for --alertmanager.config.file) into the router
// structs, with the same strictness and secret handling.
Result<RouterConfig> LoadAlertmanagerConfig(const std::string& path);
Result<RouterConfig> ParseAlertmanagerConfig(std::string_view yaml, std::string_view filename,
                                             std::string_view base_dir);

// Adds, for each team, a receiver "team-<name>" with one Slack config (the team's channel,
// the global Slack URL, send_resolved: true) and a child route matching team="<name>" to
// that receiver, placed before the existing child routes in team order. Fails when a team
// receiver name is already taken or no global Slack URL is configured. LoadConfigFile calls
// this; the server also applies it to a router from --alertmanager.config.file.
Status ExpandTeams(const std::vector<TeamConfig>& teams, RouterConfig* router);

}  // namespace andon::config
