// The real `andon` binary discovers pods from a Kubernetes API server on loopback (HTTPS, bearer
// token, list + watch in the real JSON shapes) with the prometheus.io/* annotation convention of
// examples/kubernetes.yml, and scrapes the real HTTP targets the pods point at: an annotated pod
// is scraped with its namespace/pod/team labels, a pod without the annotation is only a dropped
// target, a dropped watch resumes, a pod added by a watch event is scraped, a pod deleted by one
// leaves /api/v1/targets and its series go stale, and a 410 Gone on the watch makes Andon relist
// without restarting the targets it keeps (no staleness marker in their stored series, read back
// from the data dir after shutdown).
#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/andon_process.h"
#include "tests/scrape/fake_kubernetes_api.h"
#include "tests/loopback_http_server.h"
#include "tests/test_certificates.h"
#include "tests/stored_samples.h"
#include "tests/wait_for.h"
#include "tsdb/db.h"
#include "tsdb/label_matcher.h"
#include "tsdb/sample.h"

namespace andon::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kToken[] = "it-token";
constexpr char kPods[] = "/api/v1/pods";
constexpr char kGone[] =
    R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)j"
    R"j("message":"too old resource version: 120 (300)","reason":"Expired","code":410})j";

json GetJson(uint16_t port, const std::string& target) {
  return json::parse(HttpGet(port, target).body, nullptr, false);
}

// A pod as the API server sends it, on 127.0.0.1 with one container port. With `metrics_port`
// it carries the scrape annotations and points prometheus.io/port at that port (the container
// port is then a different one, as for a sidecar-less app that serves metrics elsewhere).
json Pod(const std::string& ns, const std::string& name, const std::string& rv,
         uint16_t container_port, int metrics_port = -1) {
  json annotations = json::object();
  annotations["kubernetes.io/psp"] = "restricted";
  if (metrics_port >= 0) {
    annotations["prometheus.io/scrape"] = "true";
    annotations["prometheus.io/port"] = std::to_string(metrics_port);
    annotations["prometheus.io/path"] = "/stats/metrics";
  }
  return json{
      {"kind", "Pod"},
      {"apiVersion", "v1"},
      {"metadata",
       {{"name", name},
        {"generateName", name.substr(0, name.rfind('-') + 1)},
        {"namespace", ns},
        {"uid", "uid-" + name},
        {"resourceVersion", rv},
        {"creationTimestamp", "2026-12-04T10:00:00Z"},
        {"labels", {{"app", name.substr(0, name.find('-'))}, {"team", "payments"}}},
        {"annotations", annotations},
        {"ownerReferences",
         {{{"apiVersion", "apps/v1"},
           {"kind", "ReplicaSet"},
           {"name", name.substr(0, name.rfind('-'))},
           {"uid", "rs-" + name},
           {"controller", true},
           {"blockOwnerDeletion", true}}}}}},
      {"spec",
       {{"containers",
         {{{"name", "app"},
           {"image", "registry.example.com/app:1.4.2"},
           {"ports", {{{"name", "http"}, {"containerPort", container_port}, {"protocol", "TCP"}}}},
           {"resources", json::object()},
           {"imagePullPolicy", "IfNotPresent"}}}},
        {"restartPolicy", "Always"},
        {"nodeName", "node-a"},
        {"serviceAccountName", "default"}}},
      {"status",
       {{"phase", "Running"},
        {"conditions",
         {{{"type", "Initialized"}, {"status", "True"}},
          {{"type", "Ready"}, {"status", "True"}},
          {{"type", "ContainersReady"}, {"status", "True"}},
          {{"type", "PodScheduled"}, {"status", "True"}}}},
        {"hostIP", "10.0.0.11"},
        {"podIP", "127.0.0.1"},
        {"podIPs", {{{"ip", "127.0.0.1"}}}},
        {"startTime", "2026-12-04T10:00:00Z"},
        {"containerStatuses",
         {{{"name", "app"},
           {"ready", true},
           {"restartCount", 0},
           {"image", "registry.example.com/app:1.4.2"},
           {"containerID", "containerd://" + name}}}},
        {"qosClass", "BestEffort"}}}};
}

std::string PodList(const std::string& rv, const std::vector<json>& items) {
  return json{{"kind", "PodList"},
              {"apiVersion", "v1"},
              {"metadata", {{"resourceVersion", rv}}},
              {"items", items}}
      .dump();
}

std::string Event(const std::string& type, const json& object) {
  return json{{"type", type}, {"object", object}}.dump();
}

// A metrics endpoint on /stats/metrics (404 elsewhere) exposing app_info{version="<v>"} 1.
LoopbackHttpServer::Handler Exporter(std::string version) {
  return [version](const TestRequest& r) {
    if (r.target != "/stats/metrics") return TestReply{.status = 404, .body = "not found\n"};
    return TestReply{.body = "# TYPE app_info gauge\napp_info{version=\"" + version + "\"} 1\n"};
  };
}

// examples/kubernetes.yml's job, with the API server, its token and CA given explicitly.
std::string Config(uint16_t api_port, const std::string& token_file, const std::string& ca_file) {
  std::string y = R"(global:
  scrape_interval: 500ms
  scrape_timeout: 500ms
scrape_configs:
- job_name: kubernetes-pods
  kubernetes_sd_configs:
  - role: pod
    api_server: https://127.0.0.1:API_PORT
    bearer_token_file: TOKEN_FILE
    tls_config:
      ca_file: CA_FILE
  relabel_configs:
  - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
    action: keep
    regex: "true"
  - source_labels: [__meta_kubernetes_pod_container_init]
    action: drop
    regex: "true"
  - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scheme]
    regex: (https?)
    target_label: __scheme__
  - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
    regex: (.+)
    target_label: __metrics_path__
  - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
    regex: ([^:]+)(?::\d+)?;(\d+)
    replacement: $1:$2
    target_label: __address__
  - source_labels: [__meta_kubernetes_pod_label_team]
    target_label: team
  - source_labels: [__meta_kubernetes_namespace]
    target_label: namespace
  - source_labels: [__meta_kubernetes_pod_name]
    target_label: pod
)";
  auto put = [&y](const std::string& key, const std::string& value) {
    y.replace(y.find(key), key.size(), value);
  };
  put("API_PORT", std::to_string(api_port));
  put("TOKEN_FILE", token_file);
  put("CA_FILE", ca_file);
  return y;
}

// The active target of pod `pod`, or null.
json ActiveTarget(uint16_t port, const std::string& pod) {
  json t = GetJson(port, "/api/v1/targets?state=active");
  for (const json& x : t["data"]["activeTargets"]) {
    if (x["labels"].value("pod", "") == pod) return x;
  }
  return nullptr;
}

bool TargetUp(uint16_t port, const std::string& pod) {
  json t = ActiveTarget(port, pod);
  return t.is_object() && t["health"] == "up";
}

// The result of the instant query app_info{pod="<pod>"} at the current time.
json AppInfoNow(uint16_t port, const std::string& pod) {
  return GetJson(port,
                 "/api/v1/query?query=app_info%7Bpod%3D%22" + pod + "%22%7D")["data"]["result"];
}

class KubernetesScrapeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("andon-k8s-it-");
    certs_ = MakeTestCertificates(dir_.string());
    token_file_ = (dir_ / "token").string();
    WriteFile(token_file_, std::string(kToken) + "\n");
    api_ = std::make_unique<FakeKubernetesApi>(certs_);
    api_->RequireToken(kToken);
    config_ = dir_ / "andon.yml";
    WriteFile(config_, Config(api_->port(), token_file_, certs_.ca_file));
  }
  void TearDown() override {
    api_->Stop();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  TestCertificates certs_;
  std::string token_file_;
  std::filesystem::path config_;
  std::unique_ptr<FakeKubernetesApi> api_;
};

TEST_F(KubernetesScrapeTest, PodsComeAndGoThroughListAndWatchAndGoneRelistsKeepTargets) {
  LoopbackHttpServer a(Exporter("a1"));
  LoopbackHttpServer b(Exporter("b1"));
  LoopbackHttpServer c(Exporter("c1"));  // its pod has no scrape annotation
  json pod_a = Pod("shop", "api-7d9f-a", "90", 8080, a.port());
  json pod_c = Pod("batch", "report-5c4b-c", "91", c.port());  // would be scrapable as is
  api_->SetList(kPods, PodList("100", {pod_a, pod_c}));

  AndonProcess andon({"--config.file=" + config_.string()});
  ASSERT_TRUE(andon.Start()) << andon.Log();
  const uint16_t port = andon.port();

  // The annotated pod is scraped on prometheus.io/port and /path, with its labels.
  ASSERT_TRUE(WaitFor([&] { return TargetUp(port, "api-7d9f-a"); })) << andon.Log();
  json ta = ActiveTarget(port, "api-7d9f-a");
  EXPECT_EQ(ta["scrapePool"], "kubernetes-pods");
  EXPECT_EQ(ta["scrapeUrl"], "http://" + a.address() + "/stats/metrics");
  EXPECT_EQ(ta["labels"], json({{"instance", a.address()},
                                {"job", "kubernetes-pods"},
                                {"namespace", "shop"},
                                {"pod", "api-7d9f-a"},
                                {"team", "payments"}}));
  EXPECT_EQ(ta["discoveredLabels"]["__address__"], "127.0.0.1:8080");
  EXPECT_EQ(ta["discoveredLabels"]["__meta_kubernetes_pod_uid"], "uid-api-7d9f-a");
  EXPECT_EQ(ta["discoveredLabels"]["__meta_kubernetes_pod_controller_name"], "api-7d9f");
  ASSERT_TRUE(WaitFor([&] { return AppInfoNow(port, "api-7d9f-a").size() == 1; }));
  EXPECT_EQ(AppInfoNow(port, "api-7d9f-a")[0]["metric"], json({{"__name__", "app_info"},
                                                               {"instance", a.address()},
                                                               {"job", "kubernetes-pods"},
                                                               {"namespace", "shop"},
                                                               {"pod", "api-7d9f-a"},
                                                               {"team", "payments"},
                                                               {"version", "a1"}}));
  EXPECT_EQ(AppInfoNow(port, "api-7d9f-a")[0]["value"][1], "1");

  // The pod without the annotation is a dropped target and never scraped.
  json dropped = GetJson(port, "/api/v1/targets?state=dropped")["data"]["droppedTargets"];
  bool c_dropped = false;
  for (const json& d : dropped) {
    c_dropped |= d["discoveredLabels"].value("__meta_kubernetes_pod_name", "") == "report-5c4b-c";
  }
  EXPECT_TRUE(c_dropped) << dropped.dump();
  EXPECT_TRUE(ActiveTarget(port, "report-5c4b-c").is_null());

  // A dropped watch connection resumes from the list's version, without a new list; a pod
  // that then appears through the watch is scraped.
  ASSERT_TRUE(api_->WaitForWatches(kPods, 1));
  api_->DropWatch(kPods);
  ASSERT_TRUE(api_->WaitForWatches(kPods, 2, 30s));
  EXPECT_EQ(api_->Queries(kPods),
            (std::vector<std::string>{
                "L limit=500",
                "W allowWatchBookmarks=true&resourceVersion=100&timeoutSeconds=300&watch=true",
                "W allowWatchBookmarks=true&resourceVersion=100&timeoutSeconds=300&watch=true"}));
  api_->PushEvent(kPods, Event("ADDED", Pod("shop", "api-7d9f-b", "110", 8080, b.port())));
  ASSERT_TRUE(WaitFor([&] { return TargetUp(port, "api-7d9f-b"); })) << andon.Log();
  ASSERT_TRUE(WaitFor([&] { return AppInfoNow(port, "api-7d9f-b").size() == 1; }));
  EXPECT_EQ(AppInfoNow(port, "api-7d9f-b")[0]["metric"]["version"], "b1");

  // Deleted by a watch event: it leaves the targets, its series go stale at once (the lookback
  // window of 5m would otherwise still return them), and it is no longer scraped.
  api_->PushEvent(kPods, Event("DELETED", Pod("shop", "api-7d9f-b", "120", 8080, b.port())));
  ASSERT_TRUE(WaitFor([&] { return ActiveTarget(port, "api-7d9f-b").is_null(); }));
  ASSERT_TRUE(WaitFor([&] { return AppInfoNow(port, "api-7d9f-b").empty(); }))
      << AppInfoNow(port, "api-7d9f-b").dump();
  json up_b = GetJson(port, "/api/v1/query?query=up%7Bpod%3D%22api-7d9f-b%22%7D");
  EXPECT_EQ(up_b["status"], "success");
  EXPECT_TRUE(up_b["data"]["result"].empty()) << up_b.dump();
  int b_requests = b.requests();
  int a_requests = a.requests();
  ASSERT_TRUE(WaitFor([&] { return a.requests() >= a_requests + 2; }));
  EXPECT_EQ(b.requests(), b_requests);

  // 410 Gone on the watch: Andon relists (the list now has a new version) and watches from it;
  // pod a stays a target throughout.
  api_->SetList(kPods, PodList("300", {Pod("shop", "api-7d9f-a", "290", 8080, a.port()), pod_c}));
  api_->FailNext(kPods, /*watch=*/true, 410, kGone);
  api_->DropWatch(kPods);
  ASSERT_TRUE(api_->WaitForLists(kPods, 2, 30s)) << ::testing::PrintToString(api_->Queries(kPods));
  ASSERT_TRUE(WaitFor([&] {
    std::vector<std::string> q = api_->Queries(kPods);
    return !q.empty() && q.back().find("W ") == 0 &&
           q.back().find("resourceVersion=300") != std::string::npos;
  })) << ::testing::PrintToString(api_->Queries(kPods));
  EXPECT_EQ(api_->Queries(kPods),
            (std::vector<std::string>{
                "L limit=500",
                "W allowWatchBookmarks=true&resourceVersion=100&timeoutSeconds=300&watch=true",
                "W allowWatchBookmarks=true&resourceVersion=100&timeoutSeconds=300&watch=true",
                "W allowWatchBookmarks=true&resourceVersion=120&timeoutSeconds=300&watch=true",
                "L limit=500",
                "W allowWatchBookmarks=true&resourceVersion=300&timeoutSeconds=300&watch=true"}));
  EXPECT_TRUE(TargetUp(port, "api-7d9f-a"));
  a_requests = a.requests();
  ASSERT_TRUE(WaitFor([&] { return a.requests() >= a_requests + 3; }));
  EXPECT_TRUE(TargetUp(port, "api-7d9f-a"));
  EXPECT_EQ(AppInfoNow(port, "api-7d9f-a").size(), 1u);
  json active = GetJson(port, "/api/v1/targets?state=active")["data"]["activeTargets"];
  EXPECT_EQ(active.size(), 1u) << active.dump();
  EXPECT_EQ(c.requests(), 0);
  for (const auto& r : api_->Requests()) EXPECT_EQ(r.authorization, "Bearer it-token");
  ASSERT_EQ(andon.StopWith(SIGTERM), 0) << andon.Log();

  // What was stored: pod a's series never got a staleness marker (its target was never
  // dropped, not even during the relist); pod b's series and its up end with one.
  auto db = Db::Open((andon.dir() / "data").string(), DbOptions());
  ASSERT_TRUE(db.ok()) << db.status().message();
  auto q = (*db)->NewQuerier();
  auto samples_of = [&](const std::string& name, const std::string& pod) {
    return StoredSamples(*q, {{"__name__", name}, {"pod", pod}});
  };
  auto info_a = samples_of("app_info", "api-7d9f-a");
  ASSERT_GE(info_a.size(), 5u);
  for (const Sample& s : info_a) EXPECT_FALSE(IsStaleNaN(s.v)) << "at " << s.t;
  auto up_a = samples_of("up", "api-7d9f-a");
  ASSERT_GE(up_a.size(), 5u);
  for (const Sample& s : up_a) EXPECT_EQ(s.v, 1) << "at " << s.t;
  auto info_b = samples_of("app_info", "api-7d9f-b");
  ASSERT_GE(info_b.size(), 2u);
  EXPECT_EQ(info_b.front().v, 1);
  EXPECT_TRUE(IsStaleNaN(info_b.back().v));
  auto up_b_stored = samples_of("up", "api-7d9f-b");
  ASSERT_GE(up_b_stored.size(), 2u);
  EXPECT_TRUE(IsStaleNaN(up_b_stored.back().v));
  EXPECT_TRUE(samples_of("app_info", "report-5c4b-c").empty());
  q.reset();
  ASSERT_TRUE((*db)->Close().ok());
}

}  // namespace
}  // namespace andon::testing
