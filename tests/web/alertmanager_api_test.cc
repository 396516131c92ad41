// The alerts, status and receivers API on a real HttpServer over loopback, in front of a real
// Dispatcher (fake clock, in-memory notification log) and real Silences in a RocksDB
// directory, driven by plain HTTP and by Debian's amtool (package prometheus-alertmanager;
// required, never skipped). The expected shapes and error bodies are Alertmanager 0.25's.
#include "web/alertmanager_api.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "alerting/alert_json.h"
#include "common/rfc3339.h"
#include "tests/integration/andon_process.h"
#include "tests/run_command.h"
#include "tests/web/api_error_case.h"
#include "web/silences_api.h"

namespace andon::web {
namespace {

using andon::testing::ApiErrorCase;
using andon::testing::CommandResult;
using andon::testing::ExpectApiError;
using andon::testing::HttpGet;
using andon::testing::HttpRequestTo;
using andon::testing::HttpResult;
using andon::testing::RunCommand;
using andon::testing::Trimmed;
using nlohmann::json;

constexpr int64_t kResolveTimeoutMs = 5 * 60 * 1000;  // Alertmanager's default

// Payments alerts go to "payments" and on (continue) to the pager route when they page;
// ClusterDown inhibits warnings of its cluster.
constexpr char kRouterYaml[] = R"(route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: [team="payments"]
      receiver: payments
      continue: true
    - matchers: [severity="page"]
      receiver: pager
receivers:
  - name: default
  - name: payments
  - name: pager
inhibit_rules:
  - source_matchers: [alertname="ClusterDown"]
    target_matchers: [severity="warning"]
    equal: [cluster]
)";

int64_t RealNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class AlertmanagerApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = andon::testing::MakeTempDir("alertmanager_api_test_").string();
    ASSERT_FALSE(root_.empty());
    // A frozen clock a minute ahead of the real one (whole seconds), so that silences amtool
    // starts "now" by its own clock are already active here.
    now_ms_ = (RealNowMs() / 1000 + 60) * 1000;
    ASSERT_NO_FATAL_FAILURE(Serve(false));
  }
  void TearDown() override {
    StopServer();
    std::filesystem::remove_all(root_);
  }

  void Serve(bool read_only) {
    auto clock = [this] { return now_ms_.load(); };
    alerting::SilencesOptions sopts;
    sopts.dir = root_ + "/silences";
    sopts.now_ms = clock;
    sopts.registry = &registry_;
    Result<std::unique_ptr<alerting::Silences>> s = alerting::Silences::Open(std::move(sopts));
    ASSERT_TRUE(s.ok()) << s.status().message();
    silences_ = std::move(*s);

    Result<config::RouterConfig> cfg = config::ParseAlertmanagerConfig(kRouterYaml, "am.yml", "");
    ASSERT_TRUE(cfg.ok()) << cfg.status().message();
    alerting::DispatcherOptions dopts;
    dopts.clock = clock;
    auto d = alerting::Dispatcher::Create(*cfg, {}, silences_.get(), nullptr, dopts);
    ASSERT_TRUE(d.ok()) << d.status().message();
    dispatcher_ = std::move(*d);

    HttpServerOptions http;
    http.listen_address = "127.0.0.1:0";
    server_ = std::make_unique<HttpServer>(http);
    AlertmanagerApiSources src;
    src.dispatcher = dispatcher_.get();
    src.config_yaml = [] { return std::string(kRouterYaml); };
    src.receivers = [] { return std::vector<std::string>{"default", "payments", "pager"}; };
    src.version = {"main", "20261205-08:00:00", "ci@andon", "n/a", "abc123", "0.1.0"};
    src.start_time_ms = 1'700'000'000'000;
    src.clock = clock;
    src.read_only = read_only;
    RegisterAlertmanagerApi(*server_, std::move(src));
    RegisterSilencesApi(*server_, *silences_, SilencesApiOptions{.read_only = read_only});
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();
  }
  void StopServer() {
    if (server_) server_->Stop();
    server_.reset();
    dispatcher_.reset();
    silences_.reset();
  }

  HttpResult PostAlerts(const std::string& body,
                        const std::string& content_type = "application/json") {
    return HttpRequestTo(port_, "POST", "/api/v2/alerts", body, content_type);
  }
  json GetJson(const std::string& target) {
    HttpResult r = HttpGet(port_, target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    return r.status == 200 ? json::parse(r.body) : json();
  }
  // alertname of each alert GET /api/v2/alerts<query> returns, in order.
  std::vector<std::string> Names(const std::string& query) {
    std::vector<std::string> out;
    for (const json& a : GetJson("/api/v2/alerts" + query)) out.push_back(a["labels"]["alertname"]);
    return out;
  }
  // The three alerts of the routing tree above: a payments warning (inhibited by the second),
  // a paging ClusterDown, a DiskFull for the default receiver.
  void PostThree() {
    json body = json::array(
        {{{"labels",
           {{"alertname", "HighLatency"},
            {"team", "payments"},
            {"severity", "warning"},
            {"cluster", "eu"}}},
          {"annotations", {{"summary", "p99 over 1s"}}},
          {"generatorURL", "http://prom:9090/graph?g0.expr=up"}},
         {{"labels", {{"alertname", "ClusterDown"}, {"severity", "page"}, {"cluster", "eu"}}},
          {"startsAt", FormatRfc3339Millis(now_ms_ - 600'000)},
          {"endsAt", FormatRfc3339Millis(now_ms_ + 3600'000)}},
         {{"labels", {{"alertname", "DiskFull"}, {"team", "search"}, {"instance", "db-1"}}}}});
    HttpResult r = PostAlerts(body.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, "");
  }
  std::string Silence(const std::string& matcher_name, const std::string& value) {
    json body = {{"matchers", {{{"name", matcher_name}, {"value", value}, {"isRegex", false}}}},
                 {"startsAt", FormatRfc3339Millis(now_ms_)},
                 {"endsAt", FormatRfc3339Millis(now_ms_ + 3600'000)},
                 {"createdBy", "alice"},
                 {"comment", "maintenance"}};
    HttpResult r =
        HttpRequestTo(port_, "POST", "/api/v2/silences", body.dump(), "application/json");
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).at("silenceID");
  }
  CommandResult Amtool(std::vector<std::string> args) {
    std::vector<std::string> argv = {
        "amtool", "--alertmanager.url=http://127.0.0.1:" + std::to_string(port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, root_);
  }

  std::string root_;
  std::atomic<int64_t> now_ms_{0};
  MetricsRegistry registry_;
  std::unique_ptr<alerting::Silences> silences_;
  std::unique_ptr<alerting::Dispatcher> dispatcher_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(AlertmanagerApiTest, PostedAlertsReadBackInAlertmanagersShape) {
  ASSERT_NO_FATAL_FAILURE(PostThree());
  HttpResult r = HttpGet(port_, "/api/v2/alerts");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body.back(), '\n');
  json alerts = json::parse(r.body);
  ASSERT_EQ(alerts.size(), 3u) << r.body;
  std::vector<std::string> fingerprints;
  for (const json& a : alerts) fingerprints.push_back(a["fingerprint"]);
  EXPECT_TRUE(std::is_sorted(fingerprints.begin(), fingerprints.end())) << r.body;

  std::map<std::string, json> by_name;
  for (const json& a : alerts) by_name[a["labels"]["alertname"]] = a;
  const json& latency = by_name["HighLatency"];
  // Field order as Alertmanager prints a GettableAlert (read from the raw text: json sorts).
  size_t at = r.body.find("\"labels\":{\"alertname\":\"HighLatency\"");
  ASSERT_NE(at, std::string::npos);
  size_t start = r.body.rfind("{\"annotations\"", at);
  std::string raw = r.body.substr(start, at - start);
  size_t last = 0;
  for (const char* key : {"\"annotations\"", "\"endsAt\"", "\"fingerprint\"", "\"receivers\"",
                          "\"startsAt\"", "\"status\"", "\"updatedAt\"", "\"generatorURL\""}) {
    size_t pos = raw.find(key);
    ASSERT_NE(pos, std::string::npos) << key << " in " << raw;
    EXPECT_GE(pos, last) << key;
    last = pos;
  }

  EXPECT_EQ(latency["annotations"], (json{{"summary", "p99 over 1s"}}));
  EXPECT_EQ(latency["startsAt"], FormatRfc3339Millis(now_ms_));  // filled in with now
  EXPECT_EQ(latency["endsAt"], FormatRfc3339Millis(now_ms_ + kResolveTimeoutMs));
  EXPECT_EQ(latency["updatedAt"], FormatRfc3339Millis(now_ms_));
  EXPECT_EQ(latency["generatorURL"], "http://prom:9090/graph?g0.expr=up");
  EXPECT_EQ(latency["fingerprint"],
            alerting::AlertmanagerFingerprint(Labels{{"alertname", "HighLatency"},
                                                     {"cluster", "eu"},
                                                     {"severity", "warning"},
                                                     {"team", "payments"}}));
  EXPECT_EQ(latency["receivers"], json::parse(R"([{"name":"payments"}])"));
  EXPECT_EQ(latency["status"]["state"], "suppressed");
  EXPECT_EQ(latency["status"]["inhibitedBy"], json::array({by_name["ClusterDown"]["fingerprint"]}));
  EXPECT_EQ(latency["status"]["silencedBy"], json::array());

  const json& down = by_name["ClusterDown"];
  EXPECT_EQ(down["startsAt"], FormatRfc3339Millis(now_ms_ - 600'000));
  EXPECT_EQ(down["endsAt"], FormatRfc3339Millis(now_ms_ + 3600'000));
  EXPECT_EQ(down["annotations"], json::object());
  EXPECT_FALSE(down.contains("generatorURL"));
  EXPECT_EQ(down["receivers"], json::parse(R"([{"name":"pager"}])"));
  EXPECT_EQ(down["status"], json::parse(R"({"inhibitedBy":[],"silencedBy":[],"state":"active"})"));
  EXPECT_EQ(by_name["DiskFull"]["receivers"], json::parse(R"([{"name":"default"}])"));

  // A re-send keeps startsAt and moves updatedAt; an alert resolved now leaves the list.
  now_ms_ += 30'000;
  ASSERT_EQ(PostAlerts(R"([{"labels":{"alertname":"DiskFull","team":"search","instance":"db-1"}},
                           {"labels":{"alertname":"ClusterDown","severity":"page","cluster":"eu"},
                            "endsAt":")" +
                       FormatRfc3339Millis(now_ms_) + R"("}])")
                .status,
            200);
  json after = GetJson("/api/v2/alerts");
  ASSERT_EQ(after.size(), 2u) << after;
  for (const json& a : after) {
    if (a["labels"]["alertname"] != "DiskFull") continue;
    EXPECT_EQ(a["startsAt"], by_name["DiskFull"]["startsAt"]);
    EXPECT_EQ(a["updatedAt"], FormatRfc3339Millis(now_ms_));
  }
  // With its inhibitor resolved, the warning is active again.
  std::vector<std::string> uninhibited = Names("?inhibited=false");
  std::sort(uninhibited.begin(), uninhibited.end());
  EXPECT_EQ(uninhibited, (std::vector<std::string>{"DiskFull", "HighLatency"}));
  for (const json& a : after) EXPECT_EQ(a["status"]["state"], "active") << a;
}

TEST_F(AlertmanagerApiTest, FiltersByStateMatchersAndReceiver) {
  ASSERT_NO_FATAL_FAILURE(PostThree());
  std::string silence = Silence("instance", "db-1");
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(Names("")),
            (std::vector<std::string>{"ClusterDown", "DiskFull", "HighLatency"}));
  EXPECT_EQ(Names("?silenced=false&inhibited=false"), std::vector<std::string>{"ClusterDown"});
  EXPECT_EQ(sorted(Names("?active=false")), (std::vector<std::string>{"DiskFull", "HighLatency"}));
  EXPECT_EQ(Names("?active=false&inhibited=false"), std::vector<std::string>{"DiskFull"});
  EXPECT_EQ(Names("?active=false&silenced=0"), std::vector<std::string>{"HighLatency"});
  EXPECT_EQ(Names("?filter=cluster%3D%22eu%22&filter=severity%3D~%22warn.*%22"),
            std::vector<std::string>{"HighLatency"});
  EXPECT_EQ(Names("?filter=team%21%3Dpayments&filter=cluster%3D"),
            std::vector<std::string>{"DiskFull"});  // a missing label reads as ""
  EXPECT_EQ(Names("?receiver=pay.*"), std::vector<std::string>{"HighLatency"});
  EXPECT_EQ(sorted(Names("?receiver=pager%7Cdefault")),
            (std::vector<std::string>{"ClusterDown", "DiskFull"}));
  EXPECT_EQ(Names("?receiver=pay"), std::vector<std::string>{});  // anchored

  json disk = GetJson("/api/v2/alerts?filter=alertname%3DDiskFull")[0];
  EXPECT_EQ(disk["status"]["state"], "suppressed");
  EXPECT_EQ(disk["status"]["silencedBy"], json::array({silence}));
  EXPECT_EQ(disk["status"]["inhibitedBy"], json::array());

  // Expiring the silence makes the alert active again.
  ASSERT_EQ(HttpRequestTo(port_, "DELETE", "/api/v2/silence/" + silence).status, 200);
  EXPECT_EQ(GetJson("/api/v2/alerts?filter=alertname%3DDiskFull")[0]["status"]["state"], "active");

  HttpResult bad = HttpGet(port_, "/api/v2/alerts?filter=nonsense");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, "\"bad matcher format: nonsense\"\n");
  HttpResult regex = HttpGet(port_, "/api/v2/alerts?receiver=%28");
  EXPECT_EQ(regex.status, 400);
  EXPECT_EQ(regex.body.rfind("\"error parsing regexp: ", 0), 0u) << regex.body;
  HttpResult boolean = HttpGet(port_, "/api/v2/alerts/groups?active=maybe");
  EXPECT_EQ(boolean.status, 422);
  EXPECT_EQ(boolean.body,
            R"({"code":601,"message":"active in query must be of type bool: \"maybe\""})");
}

TEST_F(AlertmanagerApiTest, GroupsFollowTheRoutesWithTheSameFilters) {
  ASSERT_NO_FATAL_FAILURE(PostThree());
  HttpResult r = HttpGet(port_, "/api/v2/alerts/groups");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.rfind("[{\"alerts\":[{\"annotations\"", 0), 0u) << r.body;
  json groups = json::parse(r.body);
  ASSERT_EQ(groups.size(), 3u) << r.body;
  std::map<std::string, json> by_receiver;
  for (const json& g : groups) by_receiver[g["receiver"]["name"]] = g;
  EXPECT_EQ(by_receiver["payments"]["labels"], (json{{"alertname", "HighLatency"}}));
  ASSERT_EQ(by_receiver["payments"]["alerts"].size(), 1u);
  EXPECT_EQ(by_receiver["payments"]["alerts"][0]["status"]["state"], "suppressed");
  EXPECT_EQ(by_receiver["pager"]["labels"], (json{{"alertname", "ClusterDown"}}));
  EXPECT_EQ(by_receiver["default"]["alerts"][0]["labels"]["alertname"], "DiskFull");

  json active = GetJson("/api/v2/alerts/groups?inhibited=false");
  EXPECT_EQ(active.size(), 2u) << active;  // the payments group has no alert left
  json pager = GetJson("/api/v2/alerts/groups?receiver=pager");
  ASSERT_EQ(pager.size(), 1u);
  EXPECT_EQ(pager[0]["receiver"], (json{{"name", "pager"}}));
  EXPECT_EQ(GetJson("/api/v2/alerts/groups?filter=team%3Dsearch").size(), 1u);
}

TEST_F(AlertmanagerApiTest, BadBodiesAreRefusedAsAlertmanagerAndChangeNothing) {
  std::vector<ApiErrorCase> cases = {
      {"syntax error", "[{", "application/json", 400,
       R"({"code":400,"message":"parsing alerts body from \"\" failed, because ...)"},
      {"not an array", R"({"labels":{"a":"b"}})", "application/json", 400,
       R"({"code":400,"message":"parsing alerts body from \"\" failed, because json: cannot unmarshal object into Go value of type models.PostableAlerts"})"},
      {"missing labels", R"([{"annotations":{}}])", "application/json", 422,
       R"({"code":602,"message":"0.labels in body is required"})"},
      {"bad time", R"([{"labels":{"a":"b"},"startsAt":"yesterday"}])", "application/json", 400,
       R"({"code":400,"message":"parsing alerts body from \"\" failed, because 0.startsAt in body must be of type date-time: \"yesterday\""})"},
      {"empty body", "", "application/json", 422,
       R"({"code":602,"message":"alerts in body is required"})"},
      {"form content type", R"([{"labels":{"a":"b"}}])", "application/x-www-form-urlencoded", 415,
       R"({"code":415,"message":"unsupported media type \"application/x-www-form-urlencoded\", only [application/json] are allowed"})"},
      {"no labels left", R"([{"labels":{"a":""}}])", "application/json", 400,
       "\"at least one label pair required\"\n"},
      {"bad label name", R"([{"labels":{"1x":"b"}}])", "application/json", 400,
       "\"invalid label set: invalid name \\\"1x\\\"\"\n"},
      {"end before start",
       json::array({{{"labels", {{"a", "b"}}},
                     {"startsAt", FormatRfc3339Millis(now_ms_)},
                     {"endsAt", FormatRfc3339Millis(now_ms_ - 1000)}}})
           .dump(),
       "application/json", 400, "\"start time must be before end time\"\n"},
  };
  for (const ApiErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectApiError(PostAlerts(c.body, c.content_type), c);
  }

  EXPECT_TRUE(dispatcher_->Alerts().empty());
  EXPECT_EQ(dispatcher_->group_count(), 0u);

  // As Alertmanager: the valid alerts of a batch are kept, the invalid ones reported.
  HttpResult mixed =
      PostAlerts(R"([{"labels":{"alertname":"Good"}},{"labels":{"1x":"b"}},{"labels":{"a":""}}])");
  EXPECT_EQ(mixed.status, 400);
  EXPECT_EQ(mixed.body,
            "\"invalid label set: invalid name \\\"1x\\\"; at least one label pair required\"\n");
  EXPECT_EQ(Names(""), std::vector<std::string>{"Good"});
  EXPECT_EQ(HttpRequestTo(port_, "PUT", "/api/v2/alerts").status, 405);
}

TEST_F(AlertmanagerApiTest, ReadOnlyRefusesChangesButAnswersQueries) {
  ASSERT_NO_FATAL_FAILURE(PostThree());
  std::string silence = Silence("instance", "db-1");
  StopServer();
  ASSERT_NO_FATAL_FAILURE(Serve(true));
  HttpResult post = PostAlerts(R"([{"labels":{"alertname":"New"}}])");
  EXPECT_EQ(post.status, 403);
  EXPECT_EQ(
      post.body,
      R"({"code":403,"message":"the Alertmanager API is read-only: POST /api/v2/alerts refused"})");
  EXPECT_TRUE(dispatcher_->Alerts().empty());

  HttpResult add = HttpRequestTo(port_, "POST", "/api/v2/silences", "{}", "application/json");
  EXPECT_EQ(add.status, 403);
  EXPECT_EQ(
      add.body,
      R"({"code":403,"message":"the Alertmanager API is read-only: POST /api/v2/silences refused"})");
  HttpResult expire = HttpRequestTo(port_, "DELETE", "/api/v2/silence/" + silence);
  EXPECT_EQ(expire.status, 403);
  EXPECT_EQ(silences_->Get(silence)->StateAt(now_ms_), alerting::SilenceState::kActive);
  EXPECT_EQ(GetJson("/api/v2/silences").size(), 1u);
  EXPECT_EQ(GetJson("/api/v2/alerts"), json::array());
  EXPECT_EQ(GetJson("/api/v2/receivers").size(), 3u);
}

TEST_F(AlertmanagerApiTest, StatusAndReceivers) {
  HttpResult r = HttpGet(port_, "/api/v2/status");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.rfind(R"({"cluster":{"peers":[],"status":"disabled"},"config":{"original":)", 0),
            0u)
      << r.body;
  json status = json::parse(r.body);
  EXPECT_EQ(status["config"]["original"], kRouterYaml);
  EXPECT_EQ(status["uptime"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(status["versionInfo"], json::parse(R"({"branch":"main","buildDate":"20261205-08:00:00",
      "buildUser":"ci@andon","goVersion":"n/a","revision":"abc123","version":"0.1.0"})"));
  EXPECT_EQ(HttpGet(port_, "/api/v2/receivers").body,
            "[{\"name\":\"default\"},{\"name\":\"payments\"},{\"name\":\"pager\"}]\n");
}

TEST_F(AlertmanagerApiTest, AmtoolAddsQueriesAndShowsConfigAndCluster) {
  ASSERT_EQ(RunCommand({"sh", "-c", "command -v amtool"}, root_).exit_code, 0)
      << "amtool is missing: install Debian's prometheus-alertmanager (scripts/install-deps.sh)";
  auto names = [](const std::string& out) {
    std::vector<std::string> v;
    for (const json& a : json::parse(out)) v.push_back(a["labels"]["alertname"]);
    std::sort(v.begin(), v.end());
    return v;
  };

  CommandResult add =
      Amtool({"alert", "add", "alertname=Deploy", "team=payments", "severity=warning", "cluster=eu",
              "--annotation=summary=rollout", "--generator-url=http://ci.example.com/42"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  std::vector<alerting::AlertStatusView> held = dispatcher_->Alerts();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].alert.labels.Get("team"), "payments");
  EXPECT_EQ(held[0].alert.annotations.Get("summary"), "rollout");
  EXPECT_EQ(held[0].alert.generator_url, "http://ci.example.com/42");
  EXPECT_EQ(held[0].alert.starts_at_ms, now_ms_.load());  // amtool sent Go's zero time
  EXPECT_EQ(held[0].alert.ends_at_ms, now_ms_ + kResolveTimeoutMs);
  ASSERT_EQ(Amtool({"alert", "add", "ClusterDown", "severity=page", "cluster=eu"}).exit_code, 0);

  // amtool asks for active alerts only unless told otherwise.
  CommandResult query = Amtool({"-o", "json", "alert", "query"});
  ASSERT_EQ(query.exit_code, 0) << query.err;
  EXPECT_EQ(names(query.out), std::vector<std::string>{"ClusterDown"}) << query.out;
  CommandResult inhibited = Amtool({"-o", "json", "alert", "query", "--inhibited"});
  ASSERT_EQ(inhibited.exit_code, 0) << inhibited.err;
  json deploy = json::parse(inhibited.out);
  ASSERT_EQ(deploy.size(), 1u) << inhibited.out;
  EXPECT_EQ(deploy[0]["labels"]["alertname"], "Deploy");
  EXPECT_EQ(deploy[0]["status"]["state"], "suppressed");
  EXPECT_EQ(deploy[0]["receivers"], json::parse(R"([{"name":"payments"}])"));
  EXPECT_EQ(deploy[0]["startsAt"], FormatRfc3339Millis(now_ms_));
  CommandResult by_receiver =
      Amtool({"-o", "json", "alert", "query", "-a", "-i", "--receiver=pay.*"});
  ASSERT_EQ(by_receiver.exit_code, 0) << by_receiver.err;
  EXPECT_EQ(names(by_receiver.out), std::vector<std::string>{"Deploy"});
  CommandResult by_matcher =
      Amtool({"-o", "json", "alert", "query", "-a", "-i", "cluster=eu", "severity=~\"p.*\""});
  ASSERT_EQ(by_matcher.exit_code, 0) << by_matcher.err;
  EXPECT_EQ(names(by_matcher.out), std::vector<std::string>{"ClusterDown"});
  CommandResult table = Amtool({"alert", "query", "-a", "-i"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("Deploy"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("rollout"), std::string::npos) << table.out;

  // A silence from amtool mutes the alert; expiring it unmutes it.
  CommandResult silence =
      Amtool({"silence", "add", "alertname=ClusterDown", "--comment=planned", "--duration=1h"});
  ASSERT_EQ(silence.exit_code, 0) << silence.err;
  std::string id = Trimmed(silence.out);
  EXPECT_EQ(Amtool({"-o", "json", "alert", "query"}).out, "[]\n");
  CommandResult silenced = Amtool({"-o", "json", "alert", "query", "--silenced"});
  ASSERT_EQ(silenced.exit_code, 0) << silenced.err;
  json down = json::parse(silenced.out);
  ASSERT_EQ(down.size(), 1u) << silenced.out;
  EXPECT_EQ(down[0]["status"]["silencedBy"], json::array({id}));
  CommandResult listed = Amtool({"silence", "query", "-q"});
  EXPECT_EQ(Trimmed(listed.out), id);
  ASSERT_EQ(Amtool({"silence", "expire", id}).exit_code, 0);
  EXPECT_EQ(names(Amtool({"-o", "json", "alert", "query"}).out),
            std::vector<std::string>{"ClusterDown"});

  CommandResult config = Amtool({"config", "show"});
  ASSERT_EQ(config.exit_code, 0) << config.err;
  EXPECT_NE(config.out.find("receiver: payments"), std::string::npos) << config.out;
  CommandResult routes = Amtool({"config", "routes"});
  ASSERT_EQ(routes.exit_code, 0) << routes.err;
  EXPECT_NE(routes.out.find("payments"), std::string::npos) << routes.out;
  CommandResult cluster = Amtool({"cluster", "show"});
  ASSERT_EQ(cluster.exit_code, 0) << cluster.err;
  EXPECT_NE(cluster.out.find("disabled"), std::string::npos) << cluster.out;
}

}  // namespace
}  // namespace andon::web
