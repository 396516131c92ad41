#include "common/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <re2/re2.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/secret.h"
#include "common/yaml_reader.h"

namespace andon::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kTestdata = std::string(ANDON_SOURCE_DIR) + "/tests/common/testdata";

Result<Config> Parse(std::string_view yaml, std::string_view base_dir = "") {
  return ParseConfig(yaml, "andon.yml", base_dir);
}

// The error message of a config that must not load.
std::string ErrorOf(std::string_view yaml, std::string_view base_dir = "") {
  Result<Config> c = Parse(yaml, base_dir);
  EXPECT_FALSE(c.ok()) << "config unexpectedly loaded:\n" << yaml;
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  return c.status().message();
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "andon-config-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& content) const {
    std::string p = path_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p) << content;
    return p;
  }

 private:
  std::string path_;
};

// ---------------------------------------------------------------------------------------
// Defaults

TEST(ConfigTest, EmptyFileGivesPrometheusDefaults) {
  Result<Config> c = Parse("");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->global.scrape_interval_ms, 60000);
  EXPECT_EQ(c->global.scrape_timeout_ms, 10000);
  EXPECT_EQ(c->global.evaluation_interval_ms, 60000);
  EXPECT_TRUE(c->scrape_configs.empty());
  EXPECT_FALSE(c->alerting.router.has_value());
}

TEST(ConfigTest, ScrapeConfigInheritsIntervalTimeoutAndLimitsFromGlobal) {
  Result<Config> c = Parse(R"(
global:
  scrape_interval: 20s
  body_size_limit: 1KB
  sample_limit: 7
  label_limit: 8
  label_name_length_limit: 9
  label_value_length_limit: 10
scrape_configs:
  - job_name: a
  - job_name: b
    scrape_interval: 5s
    sample_limit: 3
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const ScrapeConfig& a = c->scrape_configs[0];
  EXPECT_EQ(a.scrape_interval_ms, 20000);
  EXPECT_EQ(a.scrape_timeout_ms, 10000);
  EXPECT_EQ(a.metrics_path, "/metrics");
  EXPECT_EQ(a.scheme, "http");
  EXPECT_FALSE(a.honor_labels);
  EXPECT_TRUE(a.honor_timestamps);
  EXPECT_TRUE(a.http_client.follow_redirects);
  EXPECT_EQ(a.body_size_limit_bytes, 1024);
  EXPECT_EQ(a.sample_limit, 7u);
  EXPECT_EQ(a.label_limit, 8u);
  EXPECT_EQ(a.label_name_length_limit, 9u);
  EXPECT_EQ(a.label_value_length_limit, 10u);
  const ScrapeConfig& b = c->scrape_configs[1];
  EXPECT_EQ(b.scrape_interval_ms, 5000);
  EXPECT_EQ(b.scrape_timeout_ms, 5000);  // global 10s timeout capped by the 5s interval
  EXPECT_EQ(b.sample_limit, 3u);
}

TEST(ConfigTest, GlobalTimeoutDefaultsToIntervalWhenIntervalIsShorter) {
  Result<Config> c = Parse("global:\n  scrape_interval: 5s\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->global.scrape_timeout_ms, 5000);
}

TEST(ConfigTest, RelabelDefaultsMatchPrometheus) {
  Result<Config> c = Parse(R"(
scrape_configs:
  - job_name: a
    relabel_configs:
      - target_label: x
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const RelabelConfig& r = c->scrape_configs[0].relabel_configs[0];
  EXPECT_EQ(r.action, RelabelAction::kReplace);
  EXPECT_EQ(r.separator, ";");
  EXPECT_EQ(r.regex, "(.*)");
  EXPECT_EQ(r.replacement, "$1");
  ASSERT_NE(r.compiled, nullptr);
  EXPECT_TRUE(re2::RE2::FullMatch("anything", *r.compiled));
}

TEST(ConfigTest, RouterDefaultsMatchAlertmanager) {
  Result<Config> c = Parse(R"(
alerting:
  route:
    receiver: r
    routes:
      - receiver: w
  receivers:
    - name: r
    - name: w
      webhook_configs:
        - url: http://hook
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const RouterConfig& r = *c->alerting.router;
  EXPECT_EQ(r.global.resolve_timeout_ms, 5 * 60000);
  EXPECT_EQ(r.route.group_wait_ms, 30000);
  EXPECT_EQ(r.route.group_interval_ms, 5 * 60000);
  EXPECT_EQ(r.route.repeat_interval_ms, 4 * 3600000);
  ASSERT_TRUE(r.route.group_by.has_value());
  EXPECT_TRUE(r.route.group_by->empty());
  EXPECT_FALSE(r.route.routes[0].group_wait_ms.has_value());  // inherited by the router
  EXPECT_TRUE(r.receivers[1].webhook_configs[0].send_resolved);
  EXPECT_EQ(r.receivers[1].webhook_configs[0].url.Reveal(), "http://hook");
}

TEST(ConfigTest, EmbeddedDefaultScrapesAndonEveryFifteenSeconds) {
  Config c = DefaultConfig();
  EXPECT_EQ(c.global.evaluation_interval_ms, 15000);
  ASSERT_EQ(c.scrape_configs.size(), 1u);
  EXPECT_EQ(c.scrape_configs[0].job_name, "andon");
  EXPECT_EQ(c.scrape_configs[0].scrape_interval_ms, 15000);
  EXPECT_EQ(c.scrape_configs[0].scrape_timeout_ms, 10000);
  ASSERT_EQ(c.scrape_configs[0].static_configs.size(), 1u);
  EXPECT_THAT(c.scrape_configs[0].static_configs[0].targets, ElementsAre("localhost:9090"));
}

// ---------------------------------------------------------------------------------------
// A full file

TEST(ConfigTest, FullFileLoadsWithEveryFieldSet) {
  Result<Config> loaded = LoadConfigFile(kTestdata + "/full.yml");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const Config& c = *loaded;
  const std::string& d = kTestdata;
  EXPECT_EQ(c.source_file, d + "/full.yml");

  const GlobalConfig& g = c.global;
  EXPECT_EQ(g.scrape_interval_ms, 30000);
  EXPECT_EQ(g.scrape_timeout_ms, 20000);
  EXPECT_EQ(g.evaluation_interval_ms, 20000);
  EXPECT_EQ(g.external_labels, (LabelMap{{"cluster", "prod-eu"}, {"replica", "a"}}));
  EXPECT_EQ(g.query_log_file, d + "/logs/query.log");
  EXPECT_EQ(g.body_size_limit_bytes, 20 << 20);
  EXPECT_EQ(g.sample_limit, 100000u);
  EXPECT_EQ(g.label_limit, 64u);
  EXPECT_EQ(g.label_name_length_limit, 128u);
  EXPECT_EQ(g.label_value_length_limit, 1024u);

  EXPECT_THAT(c.rule_files, ElementsAre(d + "/rules/*.yml", "/etc/andon/extra.yml"));

  ASSERT_EQ(c.scrape_configs.size(), 3u);
  const ScrapeConfig& self = c.scrape_configs[0];
  EXPECT_EQ(self.job_name, "andon");
  EXPECT_EQ(self.scrape_interval_ms, 30000);
  EXPECT_EQ(self.scrape_timeout_ms, 20000);
  EXPECT_EQ(self.sample_limit, 100000u);
  EXPECT_THAT(self.static_configs[0].targets, ElementsAre("localhost:9090"));
  EXPECT_EQ(self.static_configs[0].labels, (LabelMap{{"env", "prod"}}));

  const ScrapeConfig& pods = c.scrape_configs[1];
  EXPECT_EQ(pods.job_name, "kubernetes-pods");
  EXPECT_EQ(pods.scrape_interval_ms, 15000);
  EXPECT_EQ(pods.scrape_timeout_ms, 5000);
  EXPECT_EQ(pods.metrics_path, "/custom/metrics");
  EXPECT_EQ(pods.scheme, "https");
  EXPECT_THAT(pods.params.at("module"), ElementsAre("http_2xx", "tcp"));
  EXPECT_TRUE(pods.honor_labels);
  EXPECT_FALSE(pods.honor_timestamps);
  ASSERT_TRUE(pods.http_client.basic_auth.has_value());
  EXPECT_EQ(pods.http_client.basic_auth->username, "scraper");
  EXPECT_EQ(pods.http_client.basic_auth->password.Reveal(), "hunter2");  // file, trimmed
  EXPECT_EQ(pods.http_client.basic_auth->password_file, d + "/secrets/scrape-password");
  EXPECT_FALSE(pods.http_client.authorization.has_value());
  const TlsConfig& tls = pods.http_client.tls_config;
  EXPECT_EQ(tls.ca_file, d + "/certs/ca.pem");
  EXPECT_EQ(tls.cert_file, d + "/certs/client.pem");
  EXPECT_EQ(tls.key_file, d + "/certs/client.key");
  EXPECT_EQ(tls.server_name, "pods.internal");
  EXPECT_TRUE(tls.insecure_skip_verify);
  EXPECT_EQ(tls.min_version, "TLS12");
  EXPECT_EQ(pods.http_client.proxy_url, "http://proxy.internal:3128");
  EXPECT_FALSE(pods.http_client.follow_redirects);
  EXPECT_EQ(pods.body_size_limit_bytes, 10 << 20);
  EXPECT_EQ(pods.sample_limit, 5000u);
  EXPECT_EQ(pods.target_limit, 300u);
  EXPECT_EQ(pods.label_limit, 40u);
  EXPECT_EQ(pods.label_name_length_limit, 100u);
  EXPECT_EQ(pods.label_value_length_limit, 500u);
  ASSERT_EQ(pods.file_sd_configs.size(), 1u);
  EXPECT_THAT(pods.file_sd_configs[0].files,
              ElementsAre(d + "/targets/*.json", d + "/targets/extra.yml"));
  EXPECT_EQ(pods.file_sd_configs[0].refresh_interval_ms, 60000);
  ASSERT_EQ(pods.kubernetes_sd_configs.size(), 1u);
  const KubernetesSdConfig& k8s = pods.kubernetes_sd_configs[0];
  EXPECT_EQ(k8s.role, KubernetesRole::kEndpointSlice);
  EXPECT_EQ(k8s.api_server, "https://kubernetes.default.svc");
  EXPECT_THAT(k8s.namespaces, ElementsAre("payments", "checkout"));
  EXPECT_TRUE(k8s.own_namespace);
  ASSERT_EQ(k8s.selectors.size(), 2u);
  EXPECT_EQ(k8s.selectors[0].role, KubernetesRole::kPod);
  EXPECT_EQ(k8s.selectors[0].label, "app=web");
  EXPECT_EQ(k8s.selectors[1].role, KubernetesRole::kEndpointSlice);
  EXPECT_EQ(k8s.selectors[1].field, "metadata.name=x");
  ASSERT_TRUE(k8s.http_client.authorization.has_value());
  EXPECT_EQ(k8s.http_client.authorization->type, "Bearer");
  EXPECT_EQ(k8s.http_client.authorization->credentials.Reveal(), "k8s-token");
  EXPECT_EQ(k8s.http_client.tls_config.ca_file,
            "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt");

  ASSERT_EQ(pods.relabel_configs.size(), 7u);
  const auto& rl = pods.relabel_configs;
  EXPECT_EQ(rl[0].action, RelabelAction::kKeep);
  EXPECT_EQ(rl[0].regex, "true");
  EXPECT_THAT(rl[0].source_labels,
              ElementsAre("__meta_kubernetes_pod_annotation_prometheus_io_scrape"));
  EXPECT_EQ(rl[1].separator, ":");
  EXPECT_EQ(rl[1].regex, R"(([^:]+)(?::\d+)?:(\d+))");
  EXPECT_EQ(rl[1].target_label, "__address__");
  EXPECT_EQ(rl[1].replacement, "$1:$2");
  EXPECT_TRUE(re2::RE2::FullMatch("10.0.0.1:80:8080", *rl[1].compiled));
  EXPECT_EQ(rl[2].action, RelabelAction::kHashMod);
  EXPECT_EQ(rl[2].modulus, 4u);
  EXPECT_EQ(rl[3].action, RelabelAction::kLabelMap);
  EXPECT_EQ(rl[4].action, RelabelAction::kLabelDrop);
  EXPECT_EQ(rl[5].action, RelabelAction::kLowercase);
  EXPECT_EQ(rl[6].action, RelabelAction::kKeepEqual);
  ASSERT_EQ(pods.metric_relabel_configs.size(), 1u);
  EXPECT_EQ(pods.metric_relabel_configs[0].action, RelabelAction::kDrop);
  EXPECT_FALSE(re2::RE2::FullMatch("xgo_gc_x", *pods.metric_relabel_configs[0].compiled));

  const ScrapeConfig& kube = c.scrape_configs[2];
  ASSERT_TRUE(kube.http_client.authorization.has_value());
  EXPECT_EQ(kube.http_client.authorization->type, "Bearer");
  EXPECT_EQ(kube.http_client.authorization->credentials.Reveal(), "static-token");
  EXPECT_EQ(kube.kubernetes_sd_configs[0].role, KubernetesRole::kNode);
  EXPECT_EQ(kube.kubernetes_sd_configs[0].kubeconfig_file, d + "/kube/config");
  EXPECT_TRUE(kube.kubernetes_sd_configs[0].attach_node_metadata);

  ASSERT_EQ(c.remote_write.size(), 1u);
  const RemoteWriteConfig& rw = c.remote_write[0];
  EXPECT_EQ(rw.url, "https://mimir.example.com/api/v1/push");
  EXPECT_EQ(rw.name, "mimir");
  EXPECT_EQ(rw.remote_timeout_ms, 45000);
  EXPECT_EQ(rw.headers, (std::map<std::string, std::string>{{"X-Scope-OrgID", "prod"}}));
  EXPECT_EQ(rw.write_relabel_configs[0].action, RelabelAction::kDrop);
  ASSERT_TRUE(rw.http_client.authorization.has_value());
  EXPECT_EQ(rw.http_client.authorization->credentials.Reveal(), "remote-write-token");
  EXPECT_EQ(rw.http_client.authorization->credentials_file, d + "/secrets/remote-write-token");
  EXPECT_EQ(rw.queue_config.capacity, 10000u);
  EXPECT_EQ(rw.queue_config.max_shards, 50u);
  EXPECT_EQ(rw.queue_config.min_shards, 2u);
  EXPECT_EQ(rw.queue_config.max_samples_per_send, 2000u);
  EXPECT_EQ(rw.queue_config.batch_send_deadline_ms, 10000);
  EXPECT_EQ(rw.queue_config.min_backoff_ms, 50);
  EXPECT_EQ(rw.queue_config.max_backoff_ms, 10000);
  EXPECT_TRUE(rw.queue_config.retry_on_http_429);
  EXPECT_FALSE(rw.metadata_config.send);
  EXPECT_EQ(rw.metadata_config.send_interval_ms, 120000);
  EXPECT_EQ(rw.metadata_config.max_samples_per_send, 100u);
  EXPECT_TRUE(rw.send_exemplars);
  EXPECT_FALSE(rw.send_native_histograms);

  const AlertingConfig& al = c.alerting;
  EXPECT_EQ(al.alert_relabel_configs[0].action, RelabelAction::kLabelDrop);
  ASSERT_EQ(al.alertmanagers.size(), 1u);
  EXPECT_EQ(al.alertmanagers[0].scheme, "https");
  EXPECT_EQ(al.alertmanagers[0].path_prefix, "/am");
  EXPECT_EQ(al.alertmanagers[0].timeout_ms, 5000);
  EXPECT_EQ(al.alertmanagers[0].api_version, "v2");
  EXPECT_THAT(al.alertmanagers[0].static_configs[0].targets, ElementsAre("am-0:9093", "am-1:9093"));

  ASSERT_TRUE(al.router.has_value());
  const RouterConfig& r = *al.router;
  const std::string kGlobalSlack = "https://hooks.slack.com/services/T000/B000/XXXX";
  EXPECT_EQ(r.global.resolve_timeout_ms, 600000);
  EXPECT_EQ(r.global.slack_api_url.Reveal(), kGlobalSlack);
  EXPECT_EQ(r.global.slack_api_url_file, d + "/secrets/slack-webhook");

  const Route& root = r.route;
  EXPECT_EQ(root.receiver, "default");
  EXPECT_THAT(*root.group_by, ElementsAre("alertname", "team"));
  EXPECT_EQ(root.group_wait_ms, 45000);
  EXPECT_EQ(root.group_interval_ms, 600000);
  EXPECT_EQ(root.repeat_interval_ms, 12 * 3600000);
  ASSERT_EQ(root.routes.size(), 3u);  // two team routes first, then the file's own
  const Route& pager = root.routes[2];
  EXPECT_EQ(pager.receiver, "pager");
  ASSERT_EQ(pager.matchers.size(), 2u);
  EXPECT_EQ(pager.matchers[0].name, "severity");
  EXPECT_EQ(pager.matchers[0].op, Matcher::Op::kRegexMatch);
  EXPECT_EQ(pager.matchers[0].value, "critical|page");
  EXPECT_TRUE(pager.matchers[0].Matches("page"));
  EXPECT_FALSE(pager.matchers[0].Matches("warning"));
  EXPECT_EQ(pager.matchers[1].ToString(), R"(env!="staging")");
  EXPECT_TRUE(pager.continue_matching);
  EXPECT_TRUE(pager.GroupByAll());
  EXPECT_THAT(pager.mute_time_intervals, ElementsAre("nights"));
  EXPECT_THAT(pager.active_time_intervals, ElementsAre("business-hours"));
  EXPECT_FALSE(pager.group_wait_ms.has_value());
  ASSERT_EQ(pager.routes.size(), 1u);
  const Route& db = pager.routes[0];
  ASSERT_EQ(db.matchers.size(), 2u);
  EXPECT_EQ(db.matchers[0].ToString(), R"(service="db")");
  EXPECT_EQ(db.matchers[1].ToString(), R"(instance=~"db-.*")");
  EXPECT_EQ(db.group_wait_ms, 60000);

  ASSERT_EQ(r.receivers.size(), 4u);
  const Receiver& def = r.receivers[0];
  EXPECT_EQ(def.name, "default");
  const SlackConfig& s = def.slack_configs[0];
  EXPECT_EQ(s.api_url.Reveal(), kGlobalSlack);  // inherited from global
  EXPECT_EQ(s.channel, "#alerts");
  EXPECT_EQ(s.username, "andon");
  EXPECT_EQ(s.icon_emoji, ":rotating_light:");
  EXPECT_EQ(s.icon_url, "https://example.com/icon.png");
  EXPECT_EQ(s.title, "{{ .CommonLabels.alertname }}");
  EXPECT_EQ(s.title_link, "https://andon.example.com/alerts");
  EXPECT_EQ(s.text, "{{ .CommonAnnotations.summary }}");
  EXPECT_EQ(s.color, "danger");
  EXPECT_TRUE(s.send_resolved);
  ASSERT_EQ(s.fields.size(), 1u);
  EXPECT_EQ(s.fields[0].title, "Severity");
  EXPECT_EQ(s.fields[0].short_field, true);
  ASSERT_EQ(s.actions.size(), 1u);
  EXPECT_EQ(s.actions[0].type, "button");
  EXPECT_EQ(s.actions[0].url, "https://runbooks.example.com");
  EXPECT_EQ(s.actions[0].confirm->text, "Sure?");
  const Receiver& pg = r.receivers[1];
  EXPECT_EQ(pg.slack_configs[0].api_url.Reveal(),
            "https://hooks.slack.com/services/T111/B111/YYYY");
  EXPECT_FALSE(pg.slack_configs[0].send_resolved);  // Alertmanager's Slack default
  EXPECT_EQ(pg.webhook_configs[0].url.Reveal(), "https://pager.example.com/hook");
  EXPECT_EQ(pg.webhook_configs[0].max_alerts, 10u);
  EXPECT_TRUE(pg.webhook_configs[0].send_resolved);

  ASSERT_EQ(r.inhibit_rules.size(), 2u);
  EXPECT_EQ(r.inhibit_rules[0].source_matchers[0].ToString(), R"(severity="critical")");
  EXPECT_EQ(r.inhibit_rules[0].target_matchers[0].ToString(), R"(severity="warning")");
  EXPECT_THAT(r.inhibit_rules[0].equal, ElementsAre("alertname", "cluster"));
  EXPECT_EQ(r.inhibit_rules[1].source_matchers[0].ToString(), R"(alertname="ClusterDown")");
  EXPECT_EQ(r.inhibit_rules[1].target_matchers[0].op, Matcher::Op::kRegexMatch);

  ASSERT_EQ(r.time_intervals.size(), 2u);
  const TimeInterval& bh = r.time_intervals[0];
  EXPECT_EQ(bh.name, "business-hours");
  EXPECT_EQ(bh.time_intervals[0].times[0].start_time, "09:00");
  EXPECT_EQ(bh.time_intervals[0].times[0].end_time, "17:00");
  EXPECT_THAT(bh.time_intervals[0].weekdays, ElementsAre("monday:friday"));
  EXPECT_EQ(bh.time_intervals[0].location, "Europe/Paris");
  const TimeIntervalSpec& nights = r.time_intervals[1].time_intervals[0];
  EXPECT_THAT(nights.days_of_month, ElementsAre("1:5", "-1"));
  EXPECT_THAT(nights.months, ElementsAre("december"));
  EXPECT_THAT(nights.years, ElementsAre("2023:2030"));
  EXPECT_THAT(r.templates, ElementsAre(d + "/templates/*.tmpl"));

  ASSERT_EQ(c.teams.size(), 2u);
  EXPECT_EQ(c.teams[0].name, "payments");
  EXPECT_EQ(c.teams[0].slack_channel, "#payments-alerts");
  EXPECT_EQ(c.teams[0].runbook_base_url, "https://runbooks.example.com/payments/");
  EXPECT_EQ(c.teams[1].name, "checkout");
}

// ---------------------------------------------------------------------------------------
// Teams

TEST(ConfigTest, TeamsBecomeRoutesAheadOfTheUsersRoutesAndSlackReceivers) {
  Result<Config> c = Parse(R"(
alerting:
  global:
    slack_api_url: https://hooks.slack.com/services/A/B/C
  route:
    receiver: default
    group_by: [alertname, team]
    routes:
      - receiver: default
        matchers: [severity="info"]
  receivers:
    - name: default
teams:
  payments:
    slack_channel: "#payments-alerts"
    runbook_base_url: https://runbooks.example.com/payments/
  search:
    slack_channel: "#search"
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const RouterConfig& r = *c->alerting.router;
  ASSERT_EQ(r.route.routes.size(), 3u);
  EXPECT_EQ(r.route.routes[0].receiver, "team-payments");
  ASSERT_EQ(r.route.routes[0].matchers.size(), 1u);
  EXPECT_EQ(r.route.routes[0].matchers[0].ToString(), R"(team="payments")");
  EXPECT_FALSE(r.route.routes[0].continue_matching);
  EXPECT_EQ(r.route.routes[1].receiver, "team-search");
  EXPECT_EQ(r.route.routes[2].matchers[0].ToString(), R"(severity="info")");

  const Receiver* team = r.FindReceiver("team-payments");
  ASSERT_NE(team, nullptr);
  ASSERT_EQ(team->slack_configs.size(), 1u);
  EXPECT_EQ(team->slack_configs[0].channel, "#payments-alerts");
  EXPECT_EQ(team->slack_configs[0].api_url.Reveal(), "https://hooks.slack.com/services/A/B/C");
  EXPECT_TRUE(team->slack_configs[0].send_resolved);
  EXPECT_NE(r.FindReceiver("team-search"), nullptr);
}

TEST(ConfigTest, TeamsUseTheGlobalSlackUrlFile) {
  TempDir dir;
  dir.Write("slack", "https://hooks.slack.com/services/F/I/LE\n");
  Result<Config> c = Parse(R"(
alerting:
  global:
    slack_api_url_file: slack
  route: {receiver: default}
  receivers: [{name: default}]
teams:
  payments: {slack_channel: "#p"}
)",
                           dir.path());
  ASSERT_TRUE(c.ok()) << c.status().message();
  const SlackConfig& s = c->alerting.router->FindReceiver("team-payments")->slack_configs[0];
  EXPECT_EQ(s.api_url.Reveal(), "https://hooks.slack.com/services/F/I/LE");
  EXPECT_EQ(s.api_url_file, dir.path() + "/slack");
}

TEST(ConfigTest, TeamsWithoutAGlobalSlackUrlAreAnError) {
  EXPECT_EQ(ErrorOf(R"(alerting:
  route: {receiver: default}
  receivers: [{name: default}]
teams:
  payments: {slack_channel: "#p"}
)"),
            "andon.yml:4:1: teams are configured but alerting.global sets neither slack_api_url "
            "nor slack_api_url_file");
}

TEST(ConfigTest, TeamsWithoutARouteAreAnError) {
  EXPECT_THAT(ErrorOf("teams:\n  payments: {slack_channel: \"#p\"}\n"),
              HasSubstr("andon.yml:1:1: teams need alerting.route"));
}

TEST(ConfigTest, TeamReceiverNameClashIsAnError) {
  EXPECT_THAT(ErrorOf(R"(alerting:
  global: {slack_api_url: "https://hooks.slack.com/x"}
  route: {receiver: team-payments}
  receivers: [{name: team-payments}]
teams:
  payments: {slack_channel: "#p"}
)"),
              HasSubstr("a receiver named \"team-payments\" already exists"));
}

TEST(ConfigTest, UserRoutesMayReferToTeamReceivers) {
  Result<Config> c = Parse(R"(
alerting:
  global: {slack_api_url: "https://hooks.slack.com/x"}
  route: {receiver: team-payments}
teams:
  payments: {slack_channel: "#p"}
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->alerting.router->route.receiver, "team-payments");
}

TEST(ConfigTest, TeamWithoutChannelIsAnError) {
  EXPECT_EQ(ErrorOf("teams:\n  payments:\n    runbook_base_url: x\n"),
            "andon.yml:2:3: team \"payments\" has no slack_channel");
}

// ---------------------------------------------------------------------------------------
// Errors

TEST(ConfigErrorTest, UnknownTopLevelKeyNamesKeyAndPosition) {
  EXPECT_EQ(ErrorOf("global: {}\nscrape_config: []\n"),
            "andon.yml:2:1: field \"scrape_config\" not found in type config.Config");
}

TEST(ConfigErrorTest, UnknownKeyInScrapeConfigHasItsLineAndColumn) {
  EXPECT_EQ(ErrorOf(R"(scrape_configs:
  - job_name: a
    scrape_intervall: 10s
)"),
            "andon.yml:3:5: field \"scrape_intervall\" not found in type config.ScrapeConfig");
}

TEST(ConfigErrorTest, UnknownKeyDeepInsideIsReportedWithItsType) {
  EXPECT_EQ(ErrorOf(R"(scrape_configs:
  - job_name: a
    kubernetes_sd_configs:
      - role: pod
        namespaces:
          nams: [x]
)"),
            "andon.yml:6:11: field \"nams\" not found in type config.KubernetesNamespaces");
  EXPECT_EQ(ErrorOf(R"(scrape_configs:
  - job_name: a
    tls_config:
      ca: x
)"),
            "andon.yml:4:7: field \"ca\" in type config.TlsConfig is not supported by Andon");
  EXPECT_EQ(ErrorOf(R"(alerting:
  route:
    receiver: r
    routes:
      - receiver: r
        routes:
          - receivr: r
  receivers: [{name: r}]
)"),
            "andon.yml:7:13: field \"receivr\" not found in type config.Route");
  EXPECT_EQ(ErrorOf(R"(alerting:
  route: {receiver: r}
  receivers:
    - name: r
      slack_configs:
        - api_url: https://hooks.slack.com/x
          chanel: "#x"
)"),
            "andon.yml:7:11: field \"chanel\" not found in type config.SlackConfig");
}

TEST(ConfigErrorTest, UnsupportedSectionsSaySo) {
  EXPECT_EQ(ErrorOf("remote_read:\n  - url: http://x\n"),
            "andon.yml:1:1: field \"remote_read\" in type config.Config is not supported by "
            "Andon");
  EXPECT_EQ(ErrorOf("scrape_configs:\n  - job_name: a\n    consul_sd_configs: []\n"),
            "andon.yml:3:5: field \"consul_sd_configs\" in type config.ScrapeConfig is not "
            "supported by Andon");
  EXPECT_EQ(ErrorOf("alerting:\n  route: {receiver: r}\n  receivers:\n    - name: r\n"
                    "      email_configs: [{to: a@b}]\n"),
            "andon.yml:5:7: field \"email_configs\" in type config.Receiver is not supported by "
            "Andon");
}

TEST(ConfigErrorTest, BadDurationQuotesTheText) {
  EXPECT_EQ(ErrorOf("global:\n  scrape_interval: 1x\n"),
            "andon.yml:2:20: field \"scrape_interval\": not a valid duration string: \"1x\"");
}

TEST(ConfigErrorTest, WrongTypeSaysWhatWasExpected) {
  EXPECT_EQ(ErrorOf("global:\n  scrape_interval: [1]\n"),
            "andon.yml:2:20: field \"scrape_interval\": expected a duration, got a sequence");
  EXPECT_EQ(ErrorOf("scrape_configs:\n  job_name: a\n"),
            "andon.yml:2:3: field \"scrape_configs\": expected a sequence, got a mapping");
  EXPECT_EQ(ErrorOf("scrape_configs:\n  - job_name: a\n    honor_labels: maybe\n"),
            "andon.yml:3:19: field \"honor_labels\": not a boolean: \"maybe\"");
  EXPECT_EQ(ErrorOf("scrape_configs:\n  - job_name: a\n    sample_limit: -1\n"),
            "andon.yml:3:19: field \"sample_limit\": not an unsigned integer: \"-1\"");
  EXPECT_EQ(ErrorOf("scrape_configs:\n  - job_name: a\n    body_size_limit: 10 MB\n"),
            "andon.yml:3:22: field \"body_size_limit\": not a valid byte size: \"10 MB\"");
  EXPECT_EQ(ErrorOf("global: 5\n"),
            "andon.yml:1:9: expected a mapping for config.GlobalConfig, got a scalar");
}

TEST(ConfigErrorTest, YamlSyntaxErrorHasLineAndColumn) {
  std::string msg = ErrorOf("global:\n  scrape_interval: 1m\n   bad: [\n");
  EXPECT_THAT(msg, ::testing::StartsWith("andon.yml:3:"));
  EXPECT_THAT(msg, HasSubstr("yaml: "));
}

TEST(ConfigErrorTest, DuplicateKeyIsAnError) {
  EXPECT_EQ(ErrorOf("global:\n  scrape_interval: 1m\n  scrape_interval: 2m\n"),
            "andon.yml:3:3: key \"scrape_interval\" already set in config.GlobalConfig");
}

TEST(ConfigErrorTest, MissingJobName) {
  EXPECT_EQ(ErrorOf("scrape_configs:\n  - scrape_interval: 10s\n"),
            "andon.yml:2:5: job_name is empty");
}

TEST(ConfigErrorTest, DuplicateJobName) {
  EXPECT_EQ(ErrorOf("scrape_configs:\n  - job_name: a\n  - job_name: b\n  - job_name: a\n"),
            "andon.yml:4:5: found multiple scrape configs with job name \"a\"");
}

TEST(ConfigErrorTest, TimeoutGreaterThanInterval) {
  EXPECT_EQ(ErrorOf(R"(scrape_configs:
  - job_name: slow
    scrape_interval: 10s
    scrape_timeout: 11s
)"),
            "andon.yml:2:5: scrape timeout greater than scrape interval for scrape config with "
            "job name \"slow\"");
  EXPECT_EQ(ErrorOf("global:\n  scrape_interval: 5s\n  scrape_timeout: 6s\n"),
            "andon.yml:2:3: global scrape timeout greater than scrape interval");
}

TEST(ConfigErrorTest, BadRegexInRelabelConfig) {
  std::string msg = ErrorOf(R"(scrape_configs:
  - job_name: a
    relabel_configs:
      - source_labels: [x]
        regex: "(unclosed"
        action: keep
)");
  EXPECT_THAT(msg, ::testing::StartsWith("andon.yml:5:16: invalid regex \"(unclosed\": "));
  EXPECT_THAT(msg, HasSubstr("missing )"));
}

TEST(ConfigErrorTest, RelabelValidationFollowsPrometheus) {
  auto relabel = [](const std::string& body) {
    return ErrorOf("scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - " + body +
                   "\n");
  };
  EXPECT_EQ(relabel("{source_labels: [a]}"),
            "andon.yml:4:9: relabel configuration for replace action requires 'target_label' "
            "value");
  EXPECT_EQ(relabel("{action: uppercase, source_labels: [a]}"),
            "andon.yml:4:9: relabel configuration for uppercase action requires 'target_label' "
            "value");
  EXPECT_EQ(relabel("{action: hashmod, target_label: t}"),
            "andon.yml:4:9: relabel configuration for hashmod requires non-zero modulus");
  EXPECT_EQ(relabel("{action: replace, target_label: 1bad}"),
            "andon.yml:4:9: \"1bad\" is invalid 'target_label' for replace action");
  EXPECT_EQ(relabel("{action: labeldrop, regex: x, target_label: t}"),
            "andon.yml:4:9: labeldrop action requires only 'regex', and no other fields");
  EXPECT_EQ(relabel("{action: dropequal, target_label: t, regex: x}"),
            "andon.yml:4:9: dropequal action requires only 'source_labels' and 'target_label', "
            "and no other fields");
  EXPECT_EQ(relabel("{action: lowercase, target_label: t, replacement: x}"),
            "andon.yml:4:9: 'replacement' can not be set for lowercase action");
  EXPECT_EQ(relabel("{action: keeep}"), "andon.yml:4:18: unknown relabel action \"keeep\"");
  Result<Config> ok = Parse(
      "scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - {action: KEEP, regex: "
      "x}\n");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->scrape_configs[0].relabel_configs[0].action, RelabelAction::kKeep);
}

TEST(ConfigErrorTest, HttpClientConflictsAreErrors) {
  EXPECT_EQ(ErrorOf(R"(scrape_configs:
  - job_name: a
    basic_auth: {username: u, password: p}
    bearer_token: t
)"),
            "andon.yml:4:5: at most one of basic_auth, bearer_token & bearer_token_file must be "
            "configured");
  EXPECT_EQ(ErrorOf(R"(scrape_configs:
  - job_name: a
    basic_auth: {username: u, password: p, password_file: f}
)"),
            "andon.yml:3:44: at most one of basic_auth password & password_file must be "
            "configured");
  EXPECT_EQ(ErrorOf(R"(scrape_configs:
  - job_name: a
    authorization: {type: Basic, credentials: x}
)"),
            "andon.yml:3:20: authorization type cannot be set to \"basic\", use \"basic_auth\" "
            "instead");
}

TEST(ConfigErrorTest, KubernetesSdValidation) {
  EXPECT_EQ(ErrorOf("scrape_configs:\n  - job_name: a\n    kubernetes_sd_configs: [{}]\n"),
            "andon.yml:3:29: role missing (one of: pod, service, endpoints, endpointslice, node, "
            "ingress)");
  EXPECT_EQ(ErrorOf("scrape_configs:\n  - job_name: a\n    kubernetes_sd_configs:\n"
                    "      - {role: pods}\n"),
            "andon.yml:4:16: unknown Kubernetes SD role \"pods\"");
  EXPECT_EQ(ErrorOf("scrape_configs:\n  - job_name: a\n    kubernetes_sd_configs:\n"
                    "      - {role: pod, selectors: [{role: node}]}\n"),
            "andon.yml:4:9: pod role supports only pod selectors");
}

TEST(ConfigErrorTest, UnknownReceiverReference) {
  EXPECT_EQ(ErrorOf(R"(alerting:
  route:
    receiver: default
    routes:
      - receiver: nobody
  receivers:
    - name: default
)"),
            "andon.yml:5:19: undefined receiver \"nobody\" used in route");
}

TEST(ConfigErrorTest, RouterValidation) {
  EXPECT_EQ(ErrorOf("alerting:\n  route: {group_by: [a]}\n"),
            "andon.yml:2:10: root route must specify a default receiver");
  EXPECT_EQ(ErrorOf("alerting:\n  receivers: [{name: r}]\n"),
            "andon.yml:2:3: no route provided in config");
  EXPECT_EQ(ErrorOf("alerting:\n  route: {receiver: r}\n  receivers: [{name: r}, {name: r}]\n"),
            "andon.yml:3:26: notification config name \"r\" is not unique");
  EXPECT_EQ(ErrorOf("alerting:\n  route: {receiver: r, matchers: ['a=b']}\n"
                    "  receivers: [{name: r}]\n"),
            "andon.yml:2:10: root route must not have any matchers");
  EXPECT_EQ(ErrorOf("alerting:\n  route:\n    receiver: r\n    routes:\n"
                    "      - matchers: ['a=~(']\n  receivers: [{name: r}]\n"),
            "andon.yml:5:20: invalid regex \"(\" in matcher a=~(: missing ): (");
  EXPECT_EQ(ErrorOf("alerting:\n  route: {receiver: r, group_by: ['...', a]}\n"
                    "  receivers: [{name: r}]\n"),
            "andon.yml:2:34: cannot have wildcard group_by ('...') and other labels at the same "
            "time");
  EXPECT_EQ(ErrorOf("alerting:\n  route:\n    receiver: r\n    routes:\n"
                    "      - mute_time_intervals: [weekend]\n  receivers: [{name: r}]\n"),
            "andon.yml:5:30: undefined time interval \"weekend\" used in route");
  EXPECT_EQ(ErrorOf("alerting:\n  route: {receiver: r}\n  receivers:\n    - name: r\n"
                    "      slack_configs: [{channel: '#x'}]\n"),
            "andon.yml:5:23: no global Slack API URL set");
  EXPECT_EQ(ErrorOf("alerting:\n  route: {receiver: r}\n  receivers:\n    - name: r\n"
                    "      webhook_configs: [{max_alerts: 1}]\n"),
            "andon.yml:5:25: one of url or url_file must be configured");
}

TEST(ConfigErrorTest, UnreadableSecretFileNamesTheFile) {
  TempDir dir;
  std::string msg = ErrorOf(R"(scrape_configs:
  - job_name: a
    basic_auth:
      username: u
      password_file: missing/password
)",
                            dir.path());
  EXPECT_EQ(msg, "andon.yml:5:7: unable to read password_file \"" + dir.path() +
                     "/missing/password\": No such file or directory");
  EXPECT_THAT(ErrorOf("alerting:\n  global:\n    slack_api_url_file: /nonexistent/slack\n"
                      "  route: {receiver: r}\n  receivers: [{name: r}]\n"),
              HasSubstr("andon.yml:3:5: unable to read slack_api_url_file \"/nonexistent/slack\""));
}

// A secret file that never ends (a device) or is huge fails the load at 64 KiB instead of
// reading until memory runs out; the running config would stay in place.
TEST(ConfigErrorTest, ASecretFileOverTheLimitFailsTheLoad) {
  std::string msg = ErrorOf(R"(scrape_configs:
  - job_name: a
    authorization:
      credentials_file: /dev/zero
)");
  EXPECT_EQ(
      msg, "andon.yml:4:7: unable to read credentials_file \"/dev/zero\": larger than 65536 bytes");
}

TEST(ConfigErrorTest, UnreadableConfigFileIsAnIOError) {
  Result<Config> c = LoadConfigFile("/nonexistent/andon.yml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kIOError);
  EXPECT_EQ(c.status().message(), "open /nonexistent/andon.yml: No such file or directory");
}

TEST(ConfigErrorTest, InvalidStaticTargetAndLabels) {
  EXPECT_EQ(ErrorOf("scrape_configs:\n  - job_name: a\n    static_configs:\n"
                    "      - targets: ['http://x:1/metrics']\n"),
            "andon.yml:4:9: \"http://x:1/metrics\" is not a valid hostname");
  EXPECT_EQ(ErrorOf("scrape_configs:\n  - job_name: a\n    static_configs:\n"
                    "      - {targets: [x], labels: {bad-name: v}}\n"),
            "andon.yml:4:9: \"bad-name\" is not a valid label name");
}

TEST(ConfigErrorTest, RemoteWriteValidation) {
  EXPECT_EQ(ErrorOf("remote_write:\n  - name: x\n"),
            "andon.yml:2:5: url for remote_write is empty");
  EXPECT_EQ(ErrorOf("remote_write:\n  - url: http://x\n    headers: {User-Agent: me}\n"),
            "andon.yml:3:14: User-Agent is a reserved header. It must not be changed");
}

// ---------------------------------------------------------------------------------------
// YAML conveniences

TEST(ConfigTest, MergeKeysShareSettingsBetweenJobs) {
  Result<Config> c = Parse(R"(
scrape_configs:
  - &base
    job_name: a
    scrape_interval: 7s
    metrics_path: /m
  - <<: *base
    job_name: b
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->scrape_configs[1].job_name, "b");
  EXPECT_EQ(c->scrape_configs[1].scrape_interval_ms, 7000);
  EXPECT_EQ(c->scrape_configs[1].metrics_path, "/m");
}

// ---------------------------------------------------------------------------------------
// Matchers

TEST(MatcherTest, ParsesQuotedBareAndBracedLists) {
  Result<std::vector<Matcher>> m = ParseMatchers(R"({team="a,b", severity=~"x|y" , env!=prod})");
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->size(), 3u);
  EXPECT_EQ((*m)[0].value, "a,b");
  EXPECT_EQ((*m)[1].op, Matcher::Op::kRegexMatch);
  EXPECT_EQ((*m)[2].op, Matcher::Op::kNotEqual);
  EXPECT_EQ((*m)[2].value, "prod");
  Result<std::vector<Matcher>> esc = ParseMatchers(R"(a="q\"uote\\")");
  ASSERT_TRUE(esc.ok());
  EXPECT_EQ((*esc)[0].value, R"(q"uote\)");
  EXPECT_EQ((*esc)[0].ToString(), R"(a="q\"uote\\")");
  Result<std::vector<Matcher>> nre = ParseMatchers("a!~b.*");
  ASSERT_TRUE(nre.ok());
  EXPECT_TRUE((*nre)[0].Matches("c"));
  EXPECT_FALSE((*nre)[0].Matches("bcd"));
}

TEST(MatcherTest, RejectsMalformedText) {
  for (const char* bad : {"", "=x", "a", "a=~(", "1a=b", "a=\"x", "{a=b"}) {
    EXPECT_FALSE(ParseMatchers(bad).ok()) << bad;
  }
}

// ---------------------------------------------------------------------------------------
// Redaction

TEST(ConfigTest, RedactedYamlHidesEverySecret) {
  const std::string kSecret = "s3cr3t-value";
  const std::string kUrlSecret = "https://hooks.slack.com/services/s3cr3t-value";
  TempDir dir;
  for (const char* f : {"password", "credentials", "bearer", "slack", "webhook", "rw-password",
                        "k8s-bearer", "am-password", "global-http", "slack-http"}) {
    dir.Write(f, std::string(f) == "slack" || std::string(f) == "webhook" ? kUrlSecret : kSecret);
  }
  std::string yaml = R"(
scrape_configs:
  - job_name: inline-basic
    basic_auth: {username: u, password: SECRET}
  - job_name: file-basic
    basic_auth: {username: u, password_file: password}
  - job_name: inline-authz
    authorization: {credentials: SECRET}
  - job_name: file-authz
    authorization: {credentials_file: credentials}
  - job_name: inline-bearer
    bearer_token: SECRET
  - job_name: file-bearer
    bearer_token_file: bearer
  - job_name: k8s
    kubernetes_sd_configs:
      - role: pod
        api_server: https://k8s
        bearer_token: SECRET
      - role: pod
        api_server: https://k8s
        bearer_token_file: k8s-bearer
remote_write:
  - url: https://rw
    basic_auth: {username: u, password: SECRET}
  - url: https://rw
    basic_auth: {username: u, password_file: rw-password}
alerting:
  alertmanagers:
    - basic_auth: {username: u, password: SECRET}
      static_configs: [{targets: [am:9093]}]
    - authorization: {credentials_file: am-password}
  global:
    slack_api_url: URLSECRET
    http_config:
      authorization: {credentials: SECRET}
  route: {receiver: r}
  receivers:
    - name: r
      slack_configs:
        - api_url: URLSECRET
          http_config: {bearer_token: SECRET}
        - api_url_file: slack
          http_config: {bearer_token_file: slack-http}
        - channel: "#inherits-global"
      webhook_configs:
        - url: URLSECRET
          http_config: {basic_auth: {username: u, password: SECRET}}
        - url_file: webhook
          http_config: {authorization: {credentials_file: global-http}}
teams:
  payments: {slack_channel: "#p"}
)";
  for (auto [from, to] :
       {std::pair<std::string, std::string>{"URLSECRET", kUrlSecret}, {"SECRET", kSecret}}) {
    for (size_t pos; (pos = yaml.find(from)) != std::string::npos;)
      yaml.replace(pos, from.size(), to);
  }
  Result<Config> c = Parse(yaml, dir.path());
  ASSERT_TRUE(c.ok()) << c.status().message();
  // The secrets did load...
  EXPECT_EQ(c->scrape_configs[1].http_client.basic_auth->password.Reveal(), kSecret);
  EXPECT_EQ(c->alerting.router->receivers[0].webhook_configs[1].url.Reveal(), kUrlSecret);
  EXPECT_EQ(c->alerting.router->FindReceiver("team-payments")->slack_configs[0].api_url.Reveal(),
            kUrlSecret);
  // ...and none shows in the dump.
  std::string dump = c->ToRedactedYaml();
  EXPECT_EQ(dump.find("s3cr3t"), std::string::npos) << dump;
  EXPECT_THAT(dump, HasSubstr("password: <secret>"));
  EXPECT_THAT(dump, HasSubstr("credentials: <secret>"));
  EXPECT_THAT(dump, HasSubstr("api_url: <secret>"));
  EXPECT_THAT(dump, HasSubstr("slack_api_url: <secret>"));
  EXPECT_THAT(dump, HasSubstr("url: <secret>"));
  EXPECT_THAT(dump, HasSubstr("password_file: " + dir.path() + "/password"));
  // The dump is itself a loadable config with the same shape.
  Result<YAML::Node> reparsed = andon::yaml::LoadYaml(dump, "dump");
  EXPECT_TRUE(reparsed.ok());
}

TEST(ConfigTest, RedactedYamlOfFullFileReloadsToTheSameScrapeSettings) {
  Result<Config> c = LoadConfigFile(kTestdata + "/full.yml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  std::string dump = c->ToRedactedYaml();
  EXPECT_EQ(dump.find("hunter2"), std::string::npos);
  EXPECT_EQ(dump.find("XXXX"), std::string::npos);
  EXPECT_EQ(dump.find("YYYY"), std::string::npos);
  EXPECT_EQ(dump.find("k8s-token"), std::string::npos);
  EXPECT_EQ(dump.find("static-token"), std::string::npos);
  EXPECT_THAT(dump, HasSubstr("scrape_interval: 15s"));
  EXPECT_THAT(dump, HasSubstr(R"(- "team=\"payments\"")"));
  EXPECT_THAT(dump, HasSubstr("body_size_limit: 20MiB"));
  EXPECT_THAT(dump, HasSubstr(R"(regex: "true")"));
}

TEST(ConfigTest, RedactedYamlOfASecretFreeConfigLoadsBackToItself) {
  Result<Config> c = Parse(R"yaml(
global: {scrape_interval: 20s, external_labels: {cluster: "on"}, body_size_limit: 1536KB}
rule_files: ["rules/*.yml"]
scrape_configs:
  - job_name: "true"
    params: {module: ["1"]}
    tls_config: {server_name: x, min_version: TLS13}
    static_configs: [{targets: ["a:1"], labels: {n: "-1"}}]
    kubernetes_sd_configs: [{role: pod, selectors: [{role: pod, label: "a=b"}]}]
    relabel_configs:
      - {source_labels: [a, b], separator: ",", regex: "(.*): (x)", target_label: c}
remote_write:
  - url: http://rw/push
    queue_config: {min_backoff: 1s}
alerting:
  alertmanagers: [{static_configs: [{targets: ["am:9093"]}]}]
  route:
    receiver: r
    routes:
      - {matchers: ['a=~"x: y"'], group_by: ["..."], continue: true, receiver: r}
  receivers: [{name: r, webhook_configs: [{url_file: /dev/null}]}]
  inhibit_rules: [{source_matchers: [a="1"], target_matchers: [b!="2"], equal: [c]}]
  time_intervals:
    - name: t
      time_intervals: [{times: [{start_time: "00:00", end_time: "24:00"}], weekdays: [monday]}]
)yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  std::string dump = c->ToRedactedYaml();
  Result<Config> again = Parse(dump);
  ASSERT_TRUE(again.ok()) << again.status().message() << "\n" << dump;
  EXPECT_EQ(again->ToRedactedYaml(), dump);
  EXPECT_EQ(again->global.body_size_limit_bytes, 1536 * 1024);
  EXPECT_EQ(again->scrape_configs[0].job_name, "true");
  EXPECT_EQ(again->scrape_configs[0].relabel_configs[0].regex, "(.*): (x)");
  EXPECT_EQ(again->alerting.router->route.routes[0].matchers[0].value, "x: y");
}

TEST(SecretTest, PrintsAsRedacted) {
  Secret s("hunter2");
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "<secret>");
  EXPECT_EQ(fmt::format("token={}", s), "token=<secret>");
  EXPECT_EQ(s.Reveal(), "hunter2");
  EXPECT_EQ(Secret().Redacted(), "");
}

// ---------------------------------------------------------------------------------------
// alertmanager.yml

TEST(AlertmanagerConfigTest, LoadsAnUnchangedAlertmanagerFile) {
  Result<RouterConfig> r = LoadAlertmanagerConfig(kTestdata + "/alertmanager.yml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->global.resolve_timeout_ms, 60000);
  EXPECT_EQ(r->global.slack_api_url.Reveal(), "https://hooks.slack.com/services/T0/B0/Z");
  EXPECT_EQ(r->route.receiver, "ops");
  EXPECT_THAT(*r->route.group_by, ElementsAre("alertname", "cluster", "service"));
  EXPECT_EQ(r->route.group_wait_ms, 30000);
  EXPECT_EQ(r->route.repeat_interval_ms, 3 * 3600000);
  ASSERT_EQ(r->route.routes.size(), 2u);
  EXPECT_EQ(r->route.routes[0].matchers[0].ToString(), R"(service=~"foo1|foo2|baz")");
  EXPECT_EQ(r->route.routes[0].routes[0].matchers[0].ToString(), R"(severity="critical")");
  EXPECT_EQ(r->route.routes[1].matchers[0].ToString(), R"(team="frontend")");
  ASSERT_EQ(r->receivers.size(), 3u);
  EXPECT_EQ(r->receivers[1].slack_configs[0].channel, "#frontend");
  EXPECT_EQ(r->receivers[2].webhook_configs[0].url.Reveal(), "http://127.0.0.1:5001/");
  ASSERT_EQ(r->inhibit_rules.size(), 1u);
  EXPECT_THAT(r->inhibit_rules[0].equal, ElementsAre("alertname", "cluster", "service"));
  ASSERT_EQ(r->time_intervals.size(), 1u);
  EXPECT_EQ(r->time_intervals[0].name, "offhours");
  EXPECT_THAT(r->templates, ElementsAre(kTestdata + "/templates/*.tmpl"));

  // Teams can be applied to it as well.
  ASSERT_TRUE(ExpandTeams({{"payments", "#payments", ""}}, &r.value()).ok());
  EXPECT_EQ(r->route.routes[0].receiver, "team-payments");
}

TEST(AlertmanagerConfigTest, UnknownKeyIsAnError) {
  Result<RouterConfig> r = ParseAlertmanagerConfig(
      "route: {receiver: r}\nreceivers: [{name: r}]\nsilences: []\n", "alertmanager.yml", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "alertmanager.yml:3:1: field \"silences\" not found in type config.RouterConfig");
}

// ---------------------------------------------------------------------------------------
// lint: (the team policy of `andon check rules`)

TEST(LintConfigTest, AbsentSectionIsUnsetAndNotDumped) {
  Result<Config> c = Parse("global: {}\n");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->lint.has_value());
  EXPECT_EQ(c->ToRedactedYaml().find("lint:"), std::string::npos);
}

TEST(LintConfigTest, MissingKeysTakeDefaults) {
  Result<Config> c = Parse("lint:\n  min_rate_range_intervals: 2\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE(c->lint.has_value());
  const LintConfig& l = *c->lint;
  EXPECT_EQ(l.min_rate_range_intervals, 2u);
  EXPECT_THAT(l.required_labels, ElementsAre("team", "severity"));
  EXPECT_EQ(l.severity_label, "severity");
  EXPECT_THAT(l.allowed_severities, ElementsAre("critical", "warning", "info"));
  EXPECT_THAT(l.required_annotations, ElementsAre("runbook_url", "summary"));
  EXPECT_TRUE(l.for_at_least_interval);
  EXPECT_THAT(l.rate_functions, ElementsAre("rate", "increase", "irate", "delta", "idelta"));
  EXPECT_TRUE(l.camel_case_alert_names);
}

TEST(LintConfigTest, EveryKeyIsReadAndTheDumpLoadsBack) {
  Result<Config> c = Parse(R"(lint:
  required_labels: [team]
  severity_label: priority
  allowed_severities: [P1, P2, "true"]
  required_annotations: []
  for_at_least_interval: false
  min_rate_range_intervals: 0
  rate_functions: [rate, deriv]
  camel_case_alert_names: false
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const LintConfig& l = *c->lint;
  EXPECT_THAT(l.required_labels, ElementsAre("team"));
  EXPECT_EQ(l.severity_label, "priority");
  EXPECT_THAT(l.allowed_severities, ElementsAre("P1", "P2", "true"));
  EXPECT_TRUE(l.required_annotations.empty());
  EXPECT_FALSE(l.for_at_least_interval);
  EXPECT_EQ(l.min_rate_range_intervals, 0u);
  EXPECT_THAT(l.rate_functions, ElementsAre("rate", "deriv"));
  EXPECT_FALSE(l.camel_case_alert_names);
  std::string dump = c->ToRedactedYaml();
  EXPECT_THAT(dump, HasSubstr("lint:\n  required_labels: [team]\n  severity_label: priority\n"
                              "  allowed_severities: [P1, P2, \"true\"]\n"));
  Result<Config> again = Parse(dump);
  ASSERT_TRUE(again.ok()) << again.status().message() << "\n" << dump;
  EXPECT_EQ(again->ToRedactedYaml(), dump);
  EXPECT_THAT(again->lint->allowed_severities, ElementsAre("P1", "P2", "true"));
  EXPECT_FALSE(again->lint->camel_case_alert_names);
}

TEST(LintConfigTest, UnknownKeyIsAnErrorWithItsPosition) {
  EXPECT_EQ(ErrorOf("lint:\n  required_labels: [team]\n  required_label: [x]\n"),
            "andon.yml:3:3: field \"required_label\" not found in type config.LintConfig");
}

TEST(LintConfigTest, BadValuesAreErrorsWithTheirPosition) {
  EXPECT_EQ(ErrorOf("lint:\n  required_labels: [team, 1x]\n"),
            "andon.yml:2:3: lint.required_labels: \"1x\" is not a valid label name");
  EXPECT_EQ(ErrorOf("lint:\n  severity_label: a-b\n"),
            "andon.yml:2:3: lint.severity_label: \"a-b\" is not a valid label name");
  EXPECT_THAT(ErrorOf("lint:\n  min_rate_range_intervals: -1\n"), HasSubstr("andon.yml:2:"));
  EXPECT_THAT(ErrorOf("lint:\n  camel_case_alert_names: maybe\n"), HasSubstr("andon.yml:2:"));
  EXPECT_THAT(ErrorOf("lint:\n  required_annotations: summary\n"), HasSubstr("andon.yml:2:"));
  EXPECT_THAT(ErrorOf("lint: [team]\n"), HasSubstr("andon.yml:1:7: "));
}

}  // namespace
}  // namespace andon::config

namespace andon::yaml {
namespace {

TEST(ByteSizeTest, ParsesPrometheusUnitsAsPowersOf1024) {
  EXPECT_EQ(*ParseByteSize("0"), 0);
  EXPECT_EQ(*ParseByteSize("512B"), 512);
  EXPECT_EQ(*ParseByteSize("10MB"), 10 << 20);
  EXPECT_EQ(*ParseByteSize("10MiB"), 10 << 20);
  EXPECT_EQ(*ParseByteSize("1GB512MB"), (1LL << 30) + (512LL << 20));
  EXPECT_EQ(*ParseByteSize("2EB"), 2LL << 60);
  for (const char* bad : {"", "10", "MB", "10 MB", "1.5GB", "-1KB", "10mb", "8EB"}) {
    auto r = ParseByteSize(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(), std::string("not a valid byte size: \"") + bad + "\"");
  }
}

}  // namespace
}  // namespace andon::yaml
