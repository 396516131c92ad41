// Config::ToRedactedYaml(): the effective configuration as YAML for /api/v1/status/config,
// every credential replaced by "<secret>" (see docs/configuration.md, "Secrets").
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <set>
#include <string>
#include <utility>

#include "common/config.h"
#include "common/duration.h"
#include "common/router_config_yaml.h"

namespace andon::config {
namespace {

std::string ToLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A string scalar, double-quoted unless it reads back unambiguously as the same plain string
// (so "true", "09:00", "-1", "(.*)" or "" keep their type when the dump is loaded again).
struct Str {
  const std::string& s;
};

bool NeedsQuotes(const std::string& s) {
  if (s.empty() || s.back() == ':') return true;
  char first = s[0];
  if (!std::isalpha(static_cast<unsigned char>(first)) && first != '/' && first != '_') {
    return true;
  }
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("_./:@+=-").find(c) == std::string_view::npos) {
      return true;
    }
  }
  static const std::set<std::string> kKeywords = {"true", "false", "yes", "no",  "on",
                                                  "off",  "y",     "n",   "null"};
  return kKeywords.count(ToLower(s)) != 0;
}

YAML::Emitter& operator<<(YAML::Emitter& e, Str v) {
  if (NeedsQuotes(v.s)) e << YAML::DoubleQuoted;
  return e << v.s;
}

// A flow sequence of Str.
struct StrList {
  const std::vector<std::string>& v;
};

YAML::Emitter& operator<<(YAML::Emitter& e, StrList l) {
  e << YAML::Flow << YAML::BeginSeq;
  for (const std::string& s : l.v) e << Str{s};
  return e << YAML::EndSeq;
}

std::string FormatByteSize(int64_t bytes) {
  static constexpr std::pair<std::string_view, int> kUnits[] = {
      {"EiB", 60}, {"PiB", 50}, {"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}};
  for (auto [name, shift] : kUnits) {
    if (bytes % (int64_t{1} << shift) == 0) {
      return std::to_string(bytes >> shift) + std::string(name);
    }
  }
  return std::to_string(bytes) + "B";
}

void EmitSecret(YAML::Emitter& e, std::string_view key, const Secret& secret,
                const std::string& file, std::string_view file_key) {
  if (!file.empty()) {
    e << YAML::Key << std::string(file_key) << YAML::Value << Str{file};
  } else if (!secret.empty()) {
    e << YAML::Key << std::string(key) << YAML::Value << secret.Redacted();
  }
}

void EmitString(YAML::Emitter& e, std::string_view key, const std::string& v) {
  if (!v.empty()) e << YAML::Key << std::string(key) << YAML::Value << Str{v};
}

void EmitDuration(YAML::Emitter& e, std::string_view key, int64_t ms) {
  e << YAML::Key << std::string(key) << YAML::Value << FormatDurationMs(ms);
}

void EmitList(YAML::Emitter& e, std::string_view key, const std::vector<std::string>& v) {
  if (!v.empty()) e << YAML::Key << std::string(key) << YAML::Value << StrList{v};
}

void EmitMap(YAML::Emitter& e, std::string_view key, const std::map<std::string, std::string>& m) {
  if (m.empty()) return;
  e << YAML::Key << std::string(key) << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : m) e << YAML::Key << Str{k} << YAML::Value << Str{v};
  e << YAML::EndMap;
}

void EmitHttpClientInline(YAML::Emitter& e, const HttpClientConfig& h) {
  if (h.basic_auth) {
    e << YAML::Key << "basic_auth" << YAML::Value << YAML::BeginMap;
    EmitString(e, "username", h.basic_auth->username);
    EmitSecret(e, "password", h.basic_auth->password, h.basic_auth->password_file, "password_file");
    e << YAML::EndMap;
  }
  if (h.authorization) {
    e << YAML::Key << "authorization" << YAML::Value << YAML::BeginMap;
    EmitString(e, "type", h.authorization->type);
    EmitSecret(e, "credentials", h.authorization->credentials, h.authorization->credentials_file,
               "credentials_file");
    e << YAML::EndMap;
  }
  const TlsConfig& t = h.tls_config;
  e << YAML::Key << "tls_config" << YAML::Value << YAML::BeginMap;
  EmitString(e, "ca_file", t.ca_file);
  EmitString(e, "cert_file", t.cert_file);
  EmitString(e, "key_file", t.key_file);
  EmitString(e, "server_name", t.server_name);
  e << YAML::Key << "insecure_skip_verify" << YAML::Value << t.insecure_skip_verify;
  EmitString(e, "min_version", t.min_version);
  e << YAML::EndMap;
  EmitString(e, "proxy_url", h.proxy_url);
  e << YAML::Key << "follow_redirects" << YAML::Value << h.follow_redirects;
  e << YAML::Key << "enable_http2" << YAML::Value << h.enable_http2;
}

void EmitHttpClient(YAML::Emitter& e, std::string_view key, const HttpClientConfig& h) {
  e << YAML::Key << std::string(key) << YAML::Value << YAML::BeginMap;
  EmitHttpClientInline(e, h);
  e << YAML::EndMap;
}

void EmitRelabels(YAML::Emitter& e, std::string_view key, const std::vector<RelabelConfig>& rs) {
  if (rs.empty()) return;
  e << YAML::Key << std::string(key) << YAML::Value << YAML::BeginSeq;
  for (const RelabelConfig& r : rs) {
    e << YAML::BeginMap;
    EmitList(e, "source_labels", r.source_labels);
    e << YAML::Key << "separator" << YAML::Value << Str{r.separator};
    e << YAML::Key << "regex" << YAML::Value << Str{r.regex};
    if (r.modulus != 0) e << YAML::Key << "modulus" << YAML::Value << r.modulus;
    EmitString(e, "target_label", r.target_label);
    e << YAML::Key << "replacement" << YAML::Value << Str{r.replacement};
    e << YAML::Key << "action" << YAML::Value << std::string(RelabelActionName(r.action));
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
}

template <typename T>
void EmitDiscovery(YAML::Emitter& e, const T& s) {
  if (!s.static_configs.empty()) {
    e << YAML::Key << "static_configs" << YAML::Value << YAML::BeginSeq;
    for (const StaticConfig& sc : s.static_configs) {
      e << YAML::BeginMap;
      e << YAML::Key << "targets" << YAML::Value << StrList{sc.targets};
      EmitMap(e, "labels", sc.labels);
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
  if (!s.file_sd_configs.empty()) {
    e << YAML::Key << "file_sd_configs" << YAML::Value << YAML::BeginSeq;
    for (const FileSdConfig& f : s.file_sd_configs) {
      e << YAML::BeginMap;
      e << YAML::Key << "files" << YAML::Value << StrList{f.files};
      EmitDuration(e, "refresh_interval", f.refresh_interval_ms);
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
  if (!s.kubernetes_sd_configs.empty()) {
    e << YAML::Key << "kubernetes_sd_configs" << YAML::Value << YAML::BeginSeq;
    for (const KubernetesSdConfig& k : s.kubernetes_sd_configs) {
      e << YAML::BeginMap;
      e << YAML::Key << "role" << YAML::Value << std::string(KubernetesRoleName(k.role));
      EmitString(e, "api_server", k.api_server);
      EmitString(e, "kubeconfig_file", k.kubeconfig_file);
      e << YAML::Key << "namespaces" << YAML::Value << YAML::BeginMap;
      e << YAML::Key << "own_namespace" << YAML::Value << k.own_namespace;
      e << YAML::Key << "names" << YAML::Value << StrList{k.namespaces};
      e << YAML::EndMap;
      if (!k.selectors.empty()) {
        e << YAML::Key << "selectors" << YAML::Value << YAML::BeginSeq;
        for (const KubernetesSelector& sel : k.selectors) {
          e << YAML::BeginMap;
          e << YAML::Key << "role" << YAML::Value << std::string(KubernetesRoleName(sel.role));
          EmitString(e, "label", sel.label);
          EmitString(e, "field", sel.field);
          e << YAML::EndMap;
        }
        e << YAML::EndSeq;
      }
      e << YAML::Key << "attach_metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "node"
        << YAML::Value << k.attach_node_metadata << YAML::EndMap;
      EmitHttpClientInline(e, k.http_client);
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
}

void EmitMatchers(YAML::Emitter& e, std::string_view key, const std::vector<Matcher>& ms) {
  if (ms.empty()) return;
  e << YAML::Key << std::string(key) << YAML::Value << YAML::BeginSeq;
  for (const Matcher& m : ms) e << Str{m.ToString()};
  e << YAML::EndSeq;
}

void EmitRoute(YAML::Emitter& e, const Route& r) {
  e << YAML::BeginMap;
  EmitString(e, "receiver", r.receiver);
  if (r.group_by) e << YAML::Key << "group_by" << YAML::Value << StrList{*r.group_by};
  EmitMatchers(e, "matchers", r.matchers);
  if (r.continue_matching) e << YAML::Key << "continue" << YAML::Value << true;
  if (r.group_wait_ms) EmitDuration(e, "group_wait", *r.group_wait_ms);
  if (r.group_interval_ms) EmitDuration(e, "group_interval", *r.group_interval_ms);
  if (r.repeat_interval_ms) EmitDuration(e, "repeat_interval", *r.repeat_interval_ms);
  EmitList(e, "mute_time_intervals", r.mute_time_intervals);
  EmitList(e, "active_time_intervals", r.active_time_intervals);
  if (!r.routes.empty()) {
    e << YAML::Key << "routes" << YAML::Value << YAML::BeginSeq;
    for (const Route& child : r.routes) EmitRoute(e, child);
    e << YAML::EndSeq;
  }
  e << YAML::EndMap;
}

void EmitSlack(YAML::Emitter& e, const SlackConfig& s) {
  e << YAML::BeginMap;
  e << YAML::Key << "send_resolved" << YAML::Value << s.send_resolved;
  EmitHttpClient(e, "http_config", s.http_config);
  EmitSecret(e, "api_url", s.api_url, s.api_url_file, "api_url_file");
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
    EmitString(e, key, *field);
  }
  e << YAML::Key << "short_fields" << YAML::Value << s.short_fields;
  e << YAML::Key << "link_names" << YAML::Value << s.link_names;
  EmitList(e, "mrkdwn_in", s.mrkdwn_in);
  if (!s.fields.empty()) {
    e << YAML::Key << "fields" << YAML::Value << YAML::BeginSeq;
    for (const SlackField& f : s.fields) {
      e << YAML::BeginMap << YAML::Key << "title" << YAML::Value << Str{f.title} << YAML::Key
        << "value" << YAML::Value << Str{f.value};
      if (f.short_field) e << YAML::Key << "short" << YAML::Value << *f.short_field;
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
  if (!s.actions.empty()) {
    e << YAML::Key << "actions" << YAML::Value << YAML::BeginSeq;
    for (const SlackAction& a : s.actions) {
      e << YAML::BeginMap;
      for (auto [key, field] : {std::pair{"type", &a.type},
                                {"text", &a.text},
                                {"url", &a.url},
                                {"style", &a.style},
                                {"name", &a.name},
                                {"value", &a.value}}) {
        EmitString(e, key, *field);
      }
      if (a.confirm) {
        e << YAML::Key << "confirm" << YAML::Value << YAML::BeginMap;
        EmitString(e, "title", a.confirm->title);
        EmitString(e, "text", a.confirm->text);
        EmitString(e, "ok_text", a.confirm->ok_text);
        EmitString(e, "dismiss_text", a.confirm->dismiss_text);
        e << YAML::EndMap;
      }
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
  e << YAML::EndMap;
}

void EmitRouter(YAML::Emitter& e, const RouterConfig& r) {
  e << YAML::Key << "global" << YAML::Value << YAML::BeginMap;
  EmitDuration(e, "resolve_timeout", r.global.resolve_timeout_ms);
  EmitHttpClient(e, "http_config", r.global.http_config);
  EmitSecret(e, "slack_api_url", r.global.slack_api_url, r.global.slack_api_url_file,
             "slack_api_url_file");
  e << YAML::EndMap;
  e << YAML::Key << "route" << YAML::Value;
  EmitRoute(e, r.route);
  e << YAML::Key << "receivers" << YAML::Value << YAML::BeginSeq;
  for (const Receiver& rec : r.receivers) {
    e << YAML::BeginMap << YAML::Key << "name" << YAML::Value << Str{rec.name};
    if (!rec.slack_configs.empty()) {
      e << YAML::Key << "slack_configs" << YAML::Value << YAML::BeginSeq;
      for (const SlackConfig& s : rec.slack_configs) EmitSlack(e, s);
      e << YAML::EndSeq;
    }
    if (!rec.webhook_configs.empty()) {
      e << YAML::Key << "webhook_configs" << YAML::Value << YAML::BeginSeq;
      for (const WebhookConfig& w : rec.webhook_configs) {
        e << YAML::BeginMap;
        e << YAML::Key << "send_resolved" << YAML::Value << w.send_resolved;
        EmitHttpClient(e, "http_config", w.http_config);
        EmitSecret(e, "url", w.url, w.url_file, "url_file");
        e << YAML::Key << "max_alerts" << YAML::Value << w.max_alerts;
        e << YAML::EndMap;
      }
      e << YAML::EndSeq;
    }
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
  if (!r.inhibit_rules.empty()) {
    e << YAML::Key << "inhibit_rules" << YAML::Value << YAML::BeginSeq;
    for (const InhibitRule& ir : r.inhibit_rules) {
      e << YAML::BeginMap;
      EmitMatchers(e, "source_matchers", ir.source_matchers);
      EmitMatchers(e, "target_matchers", ir.target_matchers);
      EmitList(e, "equal", ir.equal);
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
  if (!r.time_intervals.empty()) {
    e << YAML::Key << "time_intervals" << YAML::Value << YAML::BeginSeq;
    for (const TimeInterval& ti : r.time_intervals) {
      e << YAML::BeginMap << YAML::Key << "name" << YAML::Value << Str{ti.name};
      e << YAML::Key << "time_intervals" << YAML::Value << YAML::BeginSeq;
      for (const TimeIntervalSpec& s : ti.time_intervals) {
        e << YAML::BeginMap;
        if (!s.times.empty()) {
          e << YAML::Key << "times" << YAML::Value << YAML::BeginSeq;
          for (const TimeRange& t : s.times) {
            e << YAML::Flow << YAML::BeginMap << YAML::Key << "start_time" << YAML::Value
              << Str{t.start_time} << YAML::Key << "end_time" << YAML::Value << Str{t.end_time}
              << YAML::EndMap;
          }
          e << YAML::EndSeq;
        }
        EmitList(e, "weekdays", s.weekdays);
        EmitList(e, "days_of_month", s.days_of_month);
        EmitList(e, "months", s.months);
        EmitList(e, "years", s.years);
        EmitString(e, "location", s.location);
        e << YAML::EndMap;
      }
      e << YAML::EndSeq << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }
  EmitList(e, "templates", r.templates);
}

void EmitLimits(YAML::Emitter& e, int64_t body_size_limit, uint64_t sample_limit,
                uint64_t label_limit, uint64_t name_len, uint64_t value_len) {
  if (body_size_limit != 0) {
    e << YAML::Key << "body_size_limit" << YAML::Value << FormatByteSize(body_size_limit);
  }
  e << YAML::Key << "sample_limit" << YAML::Value << sample_limit;
  e << YAML::Key << "label_limit" << YAML::Value << label_limit;
  e << YAML::Key << "label_name_length_limit" << YAML::Value << name_len;
  e << YAML::Key << "label_value_length_limit" << YAML::Value << value_len;
}

}  // namespace

std::string RouterConfigToRedactedYaml(const RouterConfig& router) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  EmitRouter(e, router);
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

std::string Config::ToRedactedYaml() const {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "global" << YAML::Value << YAML::BeginMap;
  EmitDuration(e, "scrape_interval", global.scrape_interval_ms);
  EmitDuration(e, "scrape_timeout", global.scrape_timeout_ms);
  EmitDuration(e, "evaluation_interval", global.evaluation_interval_ms);
  EmitMap(e, "external_labels", global.external_labels);
  EmitString(e, "query_log_file", global.query_log_file);
  EmitLimits(e, global.body_size_limit_bytes, global.sample_limit, global.label_limit,
             global.label_name_length_limit, global.label_value_length_limit);
  e << YAML::EndMap;

  EmitList(e, "rule_files", rule_files);

  if (!scrape_configs.empty()) {
    e << YAML::Key << "scrape_configs" << YAML::Value << YAML::BeginSeq;
    for (const ScrapeConfig& s : scrape_configs) {
      e << YAML::BeginMap;
      e << YAML::Key << "job_name" << YAML::Value << s.job_name;
      e << YAML::Key << "honor_labels" << YAML::Value << s.honor_labels;
      e << YAML::Key << "honor_timestamps" << YAML::Value << s.honor_timestamps;
      if (!s.params.empty()) {
        e << YAML::Key << "params" << YAML::Value << YAML::BeginMap;
        for (const auto& [k, v] : s.params) e << YAML::Key << Str{k} << YAML::Value << StrList{v};
        e << YAML::EndMap;
      }
      EmitDuration(e, "scrape_interval", s.scrape_interval_ms);
      EmitDuration(e, "scrape_timeout", s.scrape_timeout_ms);
      e << YAML::Key << "metrics_path" << YAML::Value << s.metrics_path;
      e << YAML::Key << "scheme" << YAML::Value << s.scheme;
      EmitLimits(e, s.body_size_limit_bytes, s.sample_limit, s.label_limit,
                 s.label_name_length_limit, s.label_value_length_limit);
      e << YAML::Key << "target_limit" << YAML::Value << s.target_limit;
      EmitHttpClientInline(e, s.http_client);
      EmitDiscovery(e, s);
      EmitRelabels(e, "relabel_configs", s.relabel_configs);
      EmitRelabels(e, "metric_relabel_configs", s.metric_relabel_configs);
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }

  if (!remote_write.empty()) {
    e << YAML::Key << "remote_write" << YAML::Value << YAML::BeginSeq;
    for (const RemoteWriteConfig& r : remote_write) {
      e << YAML::BeginMap;
      e << YAML::Key << "url" << YAML::Value << r.url;
      EmitString(e, "name", r.name);
      EmitDuration(e, "remote_timeout", r.remote_timeout_ms);
      EmitMap(e, "headers", r.headers);
      EmitRelabels(e, "write_relabel_configs", r.write_relabel_configs);
      EmitHttpClientInline(e, r.http_client);
      const QueueConfig& q = r.queue_config;
      e << YAML::Key << "queue_config" << YAML::Value << YAML::BeginMap;
      e << YAML::Key << "capacity" << YAML::Value << q.capacity;
      e << YAML::Key << "max_shards" << YAML::Value << q.max_shards;
      e << YAML::Key << "min_shards" << YAML::Value << q.min_shards;
      e << YAML::Key << "max_samples_per_send" << YAML::Value << q.max_samples_per_send;
      EmitDuration(e, "batch_send_deadline", q.batch_send_deadline_ms);
      EmitDuration(e, "min_backoff", q.min_backoff_ms);
      EmitDuration(e, "max_backoff", q.max_backoff_ms);
      e << YAML::Key << "retry_on_http_429" << YAML::Value << q.retry_on_http_429;
      e << YAML::EndMap;
      const MetadataConfig& md = r.metadata_config;
      e << YAML::Key << "metadata_config" << YAML::Value << YAML::BeginMap;
      e << YAML::Key << "send" << YAML::Value << md.send;
      EmitDuration(e, "send_interval", md.send_interval_ms);
      e << YAML::Key << "max_samples_per_send" << YAML::Value << md.max_samples_per_send;
      e << YAML::EndMap;
      e << YAML::Key << "send_exemplars" << YAML::Value << r.send_exemplars;
      e << YAML::Key << "send_native_histograms" << YAML::Value << r.send_native_histograms;
      e << YAML::EndMap;
    }
    e << YAML::EndSeq;
  }

  if (!alerting.alertmanagers.empty() || !alerting.alert_relabel_configs.empty() ||
      alerting.router) {
    e << YAML::Key << "alerting" << YAML::Value << YAML::BeginMap;
    EmitRelabels(e, "alert_relabel_configs", alerting.alert_relabel_configs);
    if (!alerting.alertmanagers.empty()) {
      e << YAML::Key << "alertmanagers" << YAML::Value << YAML::BeginSeq;
      for (const AlertmanagerTargetConfig& a : alerting.alertmanagers) {
        e << YAML::BeginMap;
        e << YAML::Key << "scheme" << YAML::Value << a.scheme;
        e << YAML::Key << "path_prefix" << YAML::Value << a.path_prefix;
        EmitDuration(e, "timeout", a.timeout_ms);
        e << YAML::Key << "api_version" << YAML::Value << a.api_version;
        EmitHttpClientInline(e, a.http_client);
        EmitDiscovery(e, a);
        EmitRelabels(e, "relabel_configs", a.relabel_configs);
        e << YAML::EndMap;
      }
      e << YAML::EndSeq;
    }
    if (alerting.router) EmitRouter(e, *alerting.router);
    e << YAML::EndMap;
  }

  if (!teams.empty()) {
    e << YAML::Key << "teams" << YAML::Value << YAML::BeginMap;
    for (const TeamConfig& t : teams) {
      e << YAML::Key << t.name << YAML::Value << YAML::BeginMap;
      EmitString(e, "slack_channel", t.slack_channel);
      EmitString(e, "runbook_base_url", t.runbook_base_url);
      e << YAML::EndMap;
    }
    e << YAML::EndMap;
  }
  if (lint) {
    e << YAML::Key << "lint" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "required_labels" << YAML::Value << StrList{lint->required_labels};
    e << YAML::Key << "severity_label" << YAML::Value << Str{lint->severity_label};
    e << YAML::Key << "allowed_severities" << YAML::Value << StrList{lint->allowed_severities};
    e << YAML::Key << "required_annotations" << YAML::Value << StrList{lint->required_annotations};
    e << YAML::Key << "for_at_least_interval" << YAML::Value << lint->for_at_least_interval;
    e << YAML::Key << "min_rate_range_intervals" << YAML::Value << lint->min_rate_range_intervals;
    e << YAML::Key << "rate_functions" << YAML::Value << StrList{lint->rate_functions};
    e << YAML::Key << "camel_case_alert_names" << YAML::Value << lint->camel_case_alert_names;
    e << YAML::EndMap;
  }
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace andon::config
