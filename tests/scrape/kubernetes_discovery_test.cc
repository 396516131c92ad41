#include "scrape/kubernetes_discovery.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/config.h"
#include "scrape/target_labels.h"
#include "tests/scrape/fake_kubernetes_api.h"
#include "tests/test_certificates.h"

namespace andon::scrape {
namespace {

using json = nlohmann::json;
using config::KubernetesRole;
using GroupMap = std::map<std::string, TargetGroup>;

constexpr char kToken[] = "s3cr3t-token";

// Collects the updates of a discoverer and the resulting groups by source.
class Updates {
 public:
  Discoverer::UpdateFn Fn() {
    return [this](std::vector<TargetGroup> changed) {
      std::lock_guard lock(mu_);
      for (const TargetGroup& g : changed) {
        if (g.targets.empty() && g.labels.empty()) {
          state_.erase(g.source);
        } else {
          state_[g.source] = g;
        }
      }
      batches_.push_back(std::move(changed));
      cv_.notify_all();
    };
  }
  bool WaitFor(const std::function<bool(const GroupMap&)>& pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(15), [&] { return pred(state_); });
  }
  bool WaitForBatches(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(15), [&] { return batches_.size() >= n; });
  }
  GroupMap State() {
    std::lock_guard lock(mu_);
    return state_;
  }
  std::vector<std::vector<TargetGroup>> Batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  GroupMap state_;
  std::vector<std::vector<TargetGroup>> batches_;
};

// --- Kubernetes API objects, in the shapes the API server sends ---

json Pod(const std::string& ns, const std::string& name, const std::string& ip,
         const std::string& rv) {
  return json::parse(R"({
    "kind": "Pod", "apiVersion": "v1",
    "metadata": {
      "name": "", "generateName": "api-7d9f-", "namespace": "", "uid": "",
      "resourceVersion": "", "creationTimestamp": "2026-12-04T10:00:00Z",
      "labels": {"app.kubernetes.io/name": "api", "team": "payments",
                 "pod-template-hash": "7d9f"},
      "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9102",
                      "prometheus.io/path": "/stats/metrics"},
      "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "api-7d9f",
                           "uid": "5f0c5d67-1b1e-4f58-9a43-7a3f7c7b3e10", "controller": true,
                           "blockOwnerDeletion": true}]
    },
    "spec": {
      "containers": [
        {"name": "api", "image": "registry.example.com/api:1.4.2",
         "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                   {"name": "metrics", "containerPort": 9102, "protocol": "TCP"}],
         "resources": {}, "terminationMessagePath": "/dev/termination-log",
         "imagePullPolicy": "IfNotPresent"},
        {"name": "envoy", "image": "envoyproxy/envoy:v1.24.0", "resources": {}}
      ],
      "initContainers": [{"name": "migrate", "image": "registry.example.com/api-migrate:1.4.2"}],
      "restartPolicy": "Always", "nodeName": "node-a", "serviceAccountName": "default"
    },
    "status": {
      "phase": "Running",
      "conditions": [
        {"type": "Initialized", "status": "True", "lastTransitionTime": "2026-12-04T10:00:01Z"},
        {"type": "Ready", "status": "True", "lastTransitionTime": "2026-12-04T10:00:05Z"},
        {"type": "ContainersReady", "status": "True"},
        {"type": "PodScheduled", "status": "True"}
      ],
      "hostIP": "10.0.0.11", "podIP": "", "podIPs": [],
      "startTime": "2026-12-04T10:00:00Z",
      "initContainerStatuses": [{"name": "migrate", "ready": true, "restartCount": 0,
                                 "image": "registry.example.com/api-migrate:1.4.2",
                                 "containerID": "containerd://0a0a"}],
      "containerStatuses": [
        {"name": "api", "ready": true, "restartCount": 0, "containerID": "containerd://abc123"},
        {"name": "envoy", "ready": true, "restartCount": 0, "containerID": "containerd://def456"}
      ],
      "qosClass": "BestEffort"
    }
  })")
      .patch(json::array({
          {{"op", "replace"}, {"path", "/metadata/name"}, {"value", name}},
          {{"op", "replace"}, {"path", "/metadata/namespace"}, {"value", ns}},
          {{"op", "replace"}, {"path", "/metadata/uid"}, {"value", "uid-" + name}},
          {{"op", "replace"}, {"path", "/metadata/resourceVersion"}, {"value", rv}},
          {{"op", "replace"}, {"path", "/status/podIP"}, {"value", ip}},
      }));
}

// A pod with one container and one port, no annotations.
json SimplePod(const std::string& ns, const std::string& name, const std::string& ip,
               const std::string& rv, const std::string& team = "search") {
  return {{"kind", "Pod"},
          {"apiVersion", "v1"},
          {"metadata",
           {{"name", name},
            {"namespace", ns},
            {"uid", "uid-" + name},
            {"resourceVersion", rv},
            {"labels", {{"team", team}}}}},
          {"spec",
           {{"nodeName", "node-b"},
            {"containers",
             {{{"name", "app"},
               {"image", "app:2"},
               {"ports", {{{"name", "web"}, {"containerPort", 80}, {"protocol", "TCP"}}}}}}}}},
          {"status",
           {{"phase", "Running"},
            {"hostIP", "10.0.0.12"},
            {"podIP", ip},
            {"conditions", {{{"type", "Ready"}, {"status", "False"}}}}}}};
}

std::string List(const std::string& kind, const std::string& rv, const std::vector<json>& items,
                 const std::string& cont = "") {
  json meta = {{"resourceVersion", rv}};
  if (!cont.empty()) meta["continue"] = cont;
  return json{{"kind", kind}, {"apiVersion", "v1"}, {"metadata", meta}, {"items", items}}.dump();
}

std::string Event(const std::string& type, const json& object) {
  return json{{"type", type}, {"object", object}}.dump();
}

std::string Bookmark(const std::string& rv) {
  return Event("BOOKMARK",
               {{"kind", "Pod"}, {"apiVersion", "v1"}, {"metadata", {{"resourceVersion", rv}}}});
}

const char kGoneStatus[] =
    R"j({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)j"
    R"j("message":"too old resource version: 100 (200)","reason":"Expired","code":410})j";

// The labels Prometheus 2.42 gives the pod made by Pod("default", "api-7d9f", ip, ...).
Labels ApiPodGroupLabels(const std::string& ip) {
  return Labels{
      {"__meta_kubernetes_namespace", "default"},
      {"__meta_kubernetes_pod_name", "api-7d9f"},
      {"__meta_kubernetes_pod_ip", ip},
      {"__meta_kubernetes_pod_ready", "true"},
      {"__meta_kubernetes_pod_phase", "Running"},
      {"__meta_kubernetes_pod_node_name", "node-a"},
      {"__meta_kubernetes_pod_host_ip", "10.0.0.11"},
      {"__meta_kubernetes_pod_uid", "uid-api-7d9f"},
      {"__meta_kubernetes_pod_controller_kind", "ReplicaSet"},
      {"__meta_kubernetes_pod_controller_name", "api-7d9f"},
      {"__meta_kubernetes_pod_label_app_kubernetes_io_name", "api"},
      {"__meta_kubernetes_pod_labelpresent_app_kubernetes_io_name", "true"},
      {"__meta_kubernetes_pod_label_team", "payments"},
      {"__meta_kubernetes_pod_labelpresent_team", "true"},
      {"__meta_kubernetes_pod_label_pod_template_hash", "7d9f"},
      {"__meta_kubernetes_pod_labelpresent_pod_template_hash", "true"},
      {"__meta_kubernetes_pod_annotation_prometheus_io_scrape", "true"},
      {"__meta_kubernetes_pod_annotationpresent_prometheus_io_scrape", "true"},
      {"__meta_kubernetes_pod_annotation_prometheus_io_port", "9102"},
      {"__meta_kubernetes_pod_annotationpresent_prometheus_io_port", "true"},
      {"__meta_kubernetes_pod_annotation_prometheus_io_path", "/stats/metrics"},
      {"__meta_kubernetes_pod_annotationpresent_prometheus_io_path", "true"},
  };
}

class KubernetesDiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/andon-k8s-XXXXXX";
    dir_ = mkdtemp(tmpl);
    certs_ = testing::MakeTestCertificates(dir_);
    token_file_ = dir_ + "/token";
    WriteFile(token_file_, std::string(kToken) + "\n");
    api_ = std::make_unique<testing::FakeKubernetesApi>(certs_);
    api_->RequireToken(kToken);
    io_thread_ = std::thread([this] { ioc_.run(); });
  }
  void TearDown() override {
    if (discoverer_) discoverer_->Stop();
    discoverer_.reset();
    api_->Stop();
    work_.reset();
    io_thread_.join();
    std::filesystem::remove_all(dir_);
  }

  static void WriteFile(const std::string& path, const std::string& content) {
    std::ofstream(path, std::ios::trunc) << content;
  }

  config::KubernetesSdConfig Config(KubernetesRole role) {
    config::KubernetesSdConfig c;
    c.role = role;
    c.api_server = "https://127.0.0.1:" + std::to_string(api_->port());
    config::Authorization auth;
    auth.credentials_file = token_file_;
    c.http_client.authorization = auth;
    c.http_client.tls_config.ca_file = certs_.ca_file;
    return c;
  }

  static KubernetesDiscoveryOptions Options() {
    KubernetesDiscoveryOptions o;
    o.initial_backoff = std::chrono::milliseconds(20);
    o.max_backoff = std::chrono::milliseconds(100);
    o.request_timeout = std::chrono::seconds(5);
    return o;
  }

  void Start(const config::KubernetesSdConfig& c, KubernetesDiscoveryOptions options = Options()) {
    discoverer_ = MakeKubernetesDiscoverer(ioc_.get_executor(), c, std::move(options));
    discoverer_->Start(updates_.Fn());
  }

  std::string dir_;
  testing::TestCertificates certs_;
  std::string token_file_;
  std::unique_ptr<testing::FakeKubernetesApi> api_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      ioc_.get_executor()};
  std::thread io_thread_;
  Updates updates_;
  std::unique_ptr<Discoverer> discoverer_;
};

TEST_F(KubernetesDiscoveryTest, PodRoleReportsOneTargetPerContainerPortWithPrometheusLabels) {
  json starting = Pod("default", "api-new", "", "99");  // no IP yet: nothing to scrape
  api_->SetList("/api/v1/pods",
                List("PodList", "100", {Pod("default", "api-7d9f", "10.244.1.7", "98"), starting}));
  Start(Config(KubernetesRole::kPod));
  ASSERT_TRUE(updates_.WaitForBatches(1));

  std::vector<TargetGroup> first = updates_.Batches()[0];
  ASSERT_EQ(first.size(), 1u);
  const TargetGroup& g = first[0];
  EXPECT_EQ(g.source, "pod/default/api-7d9f");
  EXPECT_EQ(g.labels, ApiPodGroupLabels("10.244.1.7")) << g.labels.ToString();
  const std::string c = "__meta_kubernetes_pod_container_";
  std::vector<Labels> want = {
      Labels{{"__address__", "10.244.1.7:8080"},
             {c + "name", "api"},
             {c + "image", "registry.example.com/api:1.4.2"},
             {c + "id", "containerd://abc123"},
             {c + "init", "false"},
             {c + "port_name", "http"},
             {c + "port_number", "8080"},
             {c + "port_protocol", "TCP"}},
      Labels{{"__address__", "10.244.1.7:9102"},
             {c + "name", "api"},
             {c + "image", "registry.example.com/api:1.4.2"},
             {c + "id", "containerd://abc123"},
             {c + "init", "false"},
             {c + "port_name", "metrics"},
             {c + "port_number", "9102"},
             {c + "port_protocol", "TCP"}},
      Labels{{"__address__", "10.244.1.7"},
             {c + "name", "envoy"},
             {c + "image", "envoyproxy/envoy:v1.24.0"},
             {c + "id", "containerd://def456"},
             {c + "init", "false"}},
      Labels{{"__address__", "10.244.1.7"},
             {c + "name", "migrate"},
             {c + "image", "registry.example.com/api-migrate:1.4.2"},
             {c + "id", "containerd://0a0a"},
             {c + "init", "true"}},
  };
  ASSERT_EQ(g.targets.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(g.targets[i], want[i]) << i << ": " << g.targets[i].ToString();
  }

  // List, then watch from the list's resourceVersion, both with the bearer token.
  ASSERT_TRUE(api_->WaitForWatches("/api/v1/pods", 1));
  EXPECT_EQ(api_->Queries("/api/v1/pods"),
            (std::vector<std::string>{
                "L limit=500",
                "W allowWatchBookmarks=true&resourceVersion=100&timeoutSeconds=300&watch=true"}));
  for (const auto& r : api_->Requests()) EXPECT_EQ(r.authorization, "Bearer s3cr3t-token");

  // The pod gets its IP: the group appears.
  api_->PushEvent("/api/v1/pods",
                  Event("MODIFIED", Pod("default", "api-new", "10.244.1.8", "101")));
  ASSERT_TRUE(
      updates_.WaitFor([](const GroupMap& m) { return m.contains("pod/default/api-new"); }));
  EXPECT_EQ(updates_.State().at("pod/default/api-new").targets.size(), 4u);
}

TEST_F(KubernetesDiscoveryTest, WatchEventsUpdateGroupsAndADroppedWatchResumesFromTheLastVersion) {
  api_->SetList("/api/v1/pods",
                List("PodList", "100", {SimplePod("default", "a", "10.244.2.1", "90")}));
  Start(Config(KubernetesRole::kPod));
  ASSERT_TRUE(api_->WaitForWatches("/api/v1/pods", 1));
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) { return m.contains("pod/default/a"); }));

  // ADDED b, MODIFIED b (team changes), DELETED a.
  api_->PushEvent("/api/v1/pods", Event("ADDED", SimplePod("default", "b", "10.244.2.2", "101")));
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) { return m.contains("pod/default/b"); }));
  EXPECT_EQ(updates_.State().at("pod/default/b").labels.Get("__meta_kubernetes_pod_label_team"),
            "search");
  api_->PushEvent("/api/v1/pods",
                  Event("MODIFIED", SimplePod("default", "b", "10.244.2.2", "102", "ads")));
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) {
    auto it = m.find("pod/default/b");
    return it != m.end() && it->second.labels.Get("__meta_kubernetes_pod_label_team") == "ads";
  }));
  api_->PushEvent("/api/v1/pods", Event("DELETED", SimplePod("default", "a", "10.244.2.1", "103")));
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) { return !m.contains("pod/default/a"); }));
  // The deletion was reported as the source with no targets.
  bool saw_empty = false;
  for (const auto& batch : updates_.Batches()) {
    for (const TargetGroup& g : batch) {
      saw_empty |= g.source == "pod/default/a" && g.targets.empty() && g.labels.empty();
    }
  }
  EXPECT_TRUE(saw_empty);
  EXPECT_EQ(updates_.State().at("pod/default/b").targets[0].Get("__address__"), "10.244.2.2:80");

  // A bookmark moves the resourceVersion; the watch then drops and resumes from it.
  api_->PushEvent("/api/v1/pods", Bookmark("110"));
  api_->DropWatch("/api/v1/pods");
  ASSERT_TRUE(api_->WaitForWatches("/api/v1/pods", 2));
  std::vector<std::string> q = api_->Queries("/api/v1/pods");
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[2], "W allowWatchBookmarks=true&resourceVersion=110&timeoutSeconds=300&watch=true");

  // The resumed watch delivers events too; no relist happened.
  api_->PushEvent("/api/v1/pods", Event("ADDED", SimplePod("default", "c", "10.244.2.3", "111")));
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) { return m.contains("pod/default/c"); }));
  EXPECT_EQ(api_->Queries("/api/v1/pods").size(), 3u);
  EXPECT_EQ(updates_.State().size(), 2u);
}

TEST_F(KubernetesDiscoveryTest, GoneRelistsAndReportsPodsThatVanishedMeanwhile) {
  api_->SetList("/api/v1/pods", List("PodList", "100",
                                     {SimplePod("default", "a", "10.244.2.1", "90"),
                                      SimplePod("default", "b", "10.244.2.2", "91")}));
  Start(Config(KubernetesRole::kPod));
  ASSERT_TRUE(api_->WaitForWatches("/api/v1/pods", 1));
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) { return m.size() == 2; }));

  // An ERROR event with code 410: relist (b is gone by now, d is new), then watch again.
  api_->SetList("/api/v1/pods", List("PodList", "200",
                                     {SimplePod("default", "a", "10.244.2.1", "90"),
                                      SimplePod("default", "d", "10.244.2.4", "150")}));
  api_->PushEvent("/api/v1/pods", Event("ERROR", json::parse(kGoneStatus)));
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) {
    return m.contains("pod/default/a") && !m.contains("pod/default/b") &&
           m.contains("pod/default/d");
  }));
  ASSERT_TRUE(api_->WaitForWatches("/api/v1/pods", 2));

  // A watch answered with HTTP 410 relists too.
  api_->SetList("/api/v1/pods",
                List("PodList", "300", {SimplePod("default", "d", "10.244.2.4", "150")}));
  api_->FailNext("/api/v1/pods", /*watch=*/true, 410, kGoneStatus);
  api_->DropWatch("/api/v1/pods");
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) { return m.size() == 1; }))
      << ::testing::PrintToString(api_->Queries("/api/v1/pods"));
  ASSERT_TRUE(api_->WaitForWatches("/api/v1/pods", 4));
  EXPECT_EQ(api_->Queries("/api/v1/pods"),
            (std::vector<std::string>{
                "L limit=500",
                "W allowWatchBookmarks=true&resourceVersion=100&timeoutSeconds=300&watch=true",
                "L limit=500",
                "W allowWatchBookmarks=true&resourceVersion=200&timeoutSeconds=300&watch=true",
                "W allowWatchBookmarks=true&resourceVersion=200&timeoutSeconds=300&watch=true",
                "L limit=500",
                "W allowWatchBookmarks=true&resourceVersion=300&timeoutSeconds=300&watch=true"}));
}

TEST_F(KubernetesDiscoveryTest, ServerErrorsAreRetriedWithBackoffUntilTheListSucceeds) {
  api_->SetList("/api/v1/pods",
                List("PodList", "100", {SimplePod("default", "a", "10.244.2.1", "90")}));
  api_->FailNext("/api/v1/pods", /*watch=*/false, 500,
                 R"({"kind":"Status","status":"Failure","message":"etcd unavailable","code":500})",
                 2);
  Start(Config(KubernetesRole::kPod));
  // The first update comes after the first failed attempt, with nothing in it.
  ASSERT_TRUE(updates_.WaitForBatches(1));
  EXPECT_TRUE(updates_.Batches()[0].empty());
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) { return m.contains("pod/default/a"); }));
  ASSERT_TRUE(api_->WaitForWatches("/api/v1/pods", 1));
  EXPECT_EQ(api_->Queries("/api/v1/pods"),
            (std::vector<std::string>{
                "L limit=500", "L limit=500", "L limit=500",
                "W allowWatchBookmarks=true&resourceVersion=100&timeoutSeconds=300&watch=true"}));
}

TEST_F(KubernetesDiscoveryTest, ListsArePagedWithContinueTokens) {
  api_->SetList("/api/v1/pods",
                List("PodList", "100", {SimplePod("default", "a", "10.244.2.1", "90")}, "tok1"));
  Start(Config(KubernetesRole::kPod));
  ASSERT_TRUE(api_->WaitForLists("/api/v1/pods", 1));
  // The next page (same path, served from the updated document) ends the list.
  api_->SetList("/api/v1/pods",
                List("PodList", "100", {SimplePod("default", "b", "10.244.2.2", "91")}));
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) { return m.size() == 2; }));
  std::vector<std::string> q = api_->Queries("/api/v1/pods");
  ASSERT_GE(q.size(), 2u);
  EXPECT_EQ(q[1], "L continue=tok1&limit=500");
}

TEST_F(KubernetesDiscoveryTest, TheServerChecksTheBearerTokenWhichIsReReadFromItsFile) {
  WriteFile(token_file_, "stale-token\n");
  api_->SetList("/api/v1/pods",
                List("PodList", "100", {SimplePod("default", "a", "10.244.2.1", "90")}));
  Start(Config(KubernetesRole::kPod));
  ASSERT_TRUE(updates_.WaitForBatches(1));
  EXPECT_TRUE(updates_.State().empty());  // 401: nothing discovered
  ASSERT_TRUE(api_->WaitForLists("/api/v1/pods", 1));
  EXPECT_EQ(api_->Requests()[0].authorization, "Bearer stale-token");

  WriteFile(token_file_, std::string(kToken) + "\n");  // rotated
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) { return m.contains("pod/default/a"); }));
  EXPECT_EQ(api_->Requests().back().authorization, "Bearer s3cr3t-token");
}

TEST_F(KubernetesDiscoveryTest, InClusterConfigurationUsesTheServiceAccountAndOwnNamespace) {
  std::string sa = dir_ + "/serviceaccount";
  std::filesystem::create_directories(sa);
  std::filesystem::copy_file(certs_.ca_file, sa + "/ca.crt");
  WriteFile(sa + "/token", std::string(kToken));
  WriteFile(sa + "/namespace", "monitoring");
  setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", std::to_string(api_->port()).c_str(), 1);
  api_->SetList("/api/v1/namespaces/monitoring/pods",
                List("PodList", "7", {SimplePod("monitoring", "agent", "10.244.3.1", "5")}));

  config::KubernetesSdConfig c;
  c.role = KubernetesRole::kPod;
  c.own_namespace = true;
  KubernetesDiscoveryOptions options = Options();
  options.service_account_dir = sa;
  Start(c, options);
  ASSERT_TRUE(
      updates_.WaitFor([](const GroupMap& m) { return m.contains("pod/monitoring/agent"); }));
  ASSERT_TRUE(api_->WaitForWatches("/api/v1/namespaces/monitoring/pods", 1));
  for (const auto& r : api_->Requests()) {
    EXPECT_EQ(r.path, "/api/v1/namespaces/monitoring/pods");
    EXPECT_EQ(r.authorization, "Bearer s3cr3t-token");
  }
  discoverer_->Stop();
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
}

TEST_F(KubernetesDiscoveryTest, NamespacesAreWatchedSeparatelyWithSelectors) {
  config::KubernetesSdConfig c = Config(KubernetesRole::kPod);
  c.namespaces = {"shop", "ads"};
  c.selectors.push_back({KubernetesRole::kPod, "app in (api,web)", "status.phase=Running"});
  api_->SetList("/api/v1/namespaces/shop/pods",
                List("PodList", "10", {SimplePod("shop", "api", "10.244.4.1", "9")}));
  api_->SetList("/api/v1/namespaces/ads/pods",
                List("PodList", "11", {SimplePod("ads", "web", "10.244.4.2", "8")}));
  Start(c);
  ASSERT_TRUE(updates_.WaitForBatches(1));
  GroupMap first;
  std::vector<std::vector<TargetGroup>> batches = updates_.Batches();
  for (const TargetGroup& g : batches[0]) first[g.source] = g;
  EXPECT_TRUE(first.contains("pod/shop/api"));
  EXPECT_TRUE(first.contains("pod/ads/web"));
  ASSERT_TRUE(api_->WaitForWatches("/api/v1/namespaces/ads/pods", 1));
  // Encoded as Go's url.Values (client-go): space as '+'.
  EXPECT_EQ(api_->Queries("/api/v1/namespaces/ads/pods")[0],
            "L fieldSelector=status.phase%3DRunning&labelSelector=app+in+%28api%2Cweb%29"
            "&limit=500");
  EXPECT_EQ(api_->Queries("/api/v1/namespaces/ads/pods")[1],
            "W "
            "allowWatchBookmarks=true&fieldSelector=status.phase%3DRunning&labelSelector=app+in+%"
            "28api%2Cweb%29"
            "&resourceVersion=11&timeoutSeconds=300&watch=true");

  // A deletion in one namespace leaves the other alone.
  api_->PushEvent("/api/v1/namespaces/shop/pods",
                  Event("DELETED", SimplePod("shop", "api", "10.244.4.1", "12")));
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) { return m.size() == 1; }));
  EXPECT_TRUE(updates_.State().contains("pod/ads/web"));
}

TEST_F(KubernetesDiscoveryTest, ServiceRoleReportsOneTargetPerPort) {
  json web = json::parse(R"({
    "kind": "Service", "apiVersion": "v1",
    "metadata": {"name": "web", "namespace": "shop", "uid": "u1", "resourceVersion": "5",
                 "labels": {"app": "web"}, "annotations": {"prometheus.io/probe": "true"}},
    "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.20", "clusterIPs": ["10.96.0.20"],
             "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080},
                       {"name": "grpc", "protocol": "TCP", "port": 9090, "targetPort": 9090}],
             "selector": {"app": "web"}},
    "status": {"loadBalancer": {}}})");
  json ext = json::parse(R"({
    "kind": "Service", "apiVersion": "v1",
    "metadata": {"name": "db", "namespace": "shop", "uid": "u2", "resourceVersion": "6"},
    "spec": {"type": "ExternalName", "externalName": "db.example.com",
             "ports": [{"protocol": "TCP", "port": 5432}]}})");
  api_->SetList("/api/v1/services", List("ServiceList", "9", {web, ext}));
  Start(Config(KubernetesRole::kService));
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) { return m.size() == 2; }));
  GroupMap m = updates_.State();
  const std::string s = "__meta_kubernetes_service_";
  EXPECT_EQ(m.at("svc/shop/web").labels,
            (Labels{{"__meta_kubernetes_namespace", "shop"},
                    {s + "name", "web"},
                    {s + "label_app", "web"},
                    {s + "labelpresent_app", "true"},
                    {s + "annotation_prometheus_io_probe", "true"},
                    {s + "annotationpresent_prometheus_io_probe", "true"}}));
  EXPECT_EQ(m.at("svc/shop/web").targets,
            (std::vector<Labels>{Labels{{"__address__", "web.shop.svc:80"},
                                        {s + "port_name", "http"},
                                        {s + "port_number", "80"},
                                        {s + "port_protocol", "TCP"},
                                        {s + "type", "ClusterIP"},
                                        {s + "cluster_ip", "10.96.0.20"}},
                                 Labels{{"__address__", "web.shop.svc:9090"},
                                        {s + "port_name", "grpc"},
                                        {s + "port_number", "9090"},
                                        {s + "port_protocol", "TCP"},
                                        {s + "type", "ClusterIP"},
                                        {s + "cluster_ip", "10.96.0.20"}}}));
  EXPECT_EQ(m.at("svc/shop/db").targets,
            (std::vector<Labels>{Labels{{"__address__", "db.shop.svc:5432"},
                                        {s + "port_number", "5432"},
                                        {s + "port_protocol", "TCP"},
                                        {s + "type", "ExternalName"},
                                        {s + "external_name", "db.example.com"}}}));
}

TEST_F(KubernetesDiscoveryTest, EndpointsRoleJoinsPodsAndServices) {
  json eps = json::parse(R"({
    "kind": "Endpoints", "apiVersion": "v1",
    "metadata": {"name": "api", "namespace": "default", "resourceVersion": "20"},
    "subsets": [{
      "addresses": [{"ip": "10.244.1.7", "nodeName": "node-a",
                     "targetRef": {"kind": "Pod", "namespace": "default", "name": "api-7d9f",
                                   "uid": "uid-api-7d9f"}}],
      "notReadyAddresses": [{"ip": "10.0.5.5", "hostname": "legacy"}],
      "ports": [{"name": "web", "port": 8080, "protocol": "TCP"}]
    }]})");
  json svc = json::parse(R"({
    "kind": "Service", "apiVersion": "v1",
    "metadata": {"name": "api", "namespace": "default", "labels": {"tier": "backend"}},
    "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.30",
             "ports": [{"name": "web", "protocol": "TCP", "port": 80, "targetPort": 8080}]}})");
  api_->SetList("/api/v1/endpoints", List("EndpointsList", "30", {eps}));
  api_->SetList("/api/v1/services", List("ServiceList", "31", {svc}));
  api_->SetList("/api/v1/pods",
                List("PodList", "32", {Pod("default", "api-7d9f", "10.244.1.7", "19")}));
  Start(Config(KubernetesRole::kEndpoints));
  ASSERT_TRUE(updates_.WaitForBatches(1));
  std::vector<TargetGroup> first = updates_.Batches()[0];
  ASSERT_EQ(first.size(), 1u);  // already joined in the first update
  const TargetGroup& g = first[0];
  EXPECT_EQ(g.source, "endpoints/default/api");
  EXPECT_EQ(g.labels, (Labels{{"__meta_kubernetes_namespace", "default"},
                              {"__meta_kubernetes_endpoints_name", "api"},
                              {"__meta_kubernetes_service_name", "api"},
                              {"__meta_kubernetes_service_label_tier", "backend"},
                              {"__meta_kubernetes_service_labelpresent_tier", "true"}}));
  LabelsBuilder ready(ApiPodGroupLabels("10.244.1.7"));
  ready.Del("__meta_kubernetes_namespace");
  ready.Set("__address__", "10.244.1.7:8080")
      .Set("__meta_kubernetes_endpoint_port_name", "web")
      .Set("__meta_kubernetes_endpoint_port_protocol", "TCP")
      .Set("__meta_kubernetes_endpoint_ready", "true")
      .Set("__meta_kubernetes_endpoint_address_target_kind", "Pod")
      .Set("__meta_kubernetes_endpoint_address_target_name", "api-7d9f")
      .Set("__meta_kubernetes_endpoint_node_name", "node-a")
      .Set("__meta_kubernetes_pod_container_name", "api")
      .Set("__meta_kubernetes_pod_container_image", "registry.example.com/api:1.4.2")
      .Set("__meta_kubernetes_pod_container_port_name", "http")
      .Set("__meta_kubernetes_pod_container_port_number", "8080")
      .Set("__meta_kubernetes_pod_container_port_protocol", "TCP");
  Labels not_ready{{"__address__", "10.0.5.5:8080"},
                   {"__meta_kubernetes_endpoint_port_name", "web"},
                   {"__meta_kubernetes_endpoint_port_protocol", "TCP"},
                   {"__meta_kubernetes_endpoint_ready", "false"},
                   {"__meta_kubernetes_endpoint_hostname", "legacy"}};
  // The pod's metrics port is not an endpoint port: it gets a target of its own.
  LabelsBuilder extra(ApiPodGroupLabels("10.244.1.7"));
  extra.Del("__meta_kubernetes_namespace");
  extra.Set("__address__", "10.244.1.7:9102")
      .Set("__meta_kubernetes_pod_container_name", "api")
      .Set("__meta_kubernetes_pod_container_image", "registry.example.com/api:1.4.2")
      .Set("__meta_kubernetes_pod_container_port_name", "metrics")
      .Set("__meta_kubernetes_pod_container_port_number", "9102")
      .Set("__meta_kubernetes_pod_container_port_protocol", "TCP");
  ASSERT_EQ(g.targets.size(), 3u);
  EXPECT_EQ(g.targets[0], ready.Build()) << g.targets[0].ToString();
  EXPECT_EQ(g.targets[1], not_ready) << g.targets[1].ToString();
  EXPECT_EQ(g.targets[2], extra.Build()) << g.targets[2].ToString();

  // A pod change re-reports the endpoints that refer to it.
  ASSERT_TRUE(api_->WaitForWatches("/api/v1/pods", 1));
  json moved = Pod("default", "api-7d9f", "10.244.1.7", "40");
  moved["metadata"]["labels"]["team"] = "platform";
  api_->PushEvent("/api/v1/pods", Event("MODIFIED", moved));
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) {
    auto it = m.find("endpoints/default/api");
    return it != m.end() &&
           it->second.targets[0].Get("__meta_kubernetes_pod_label_team") == "platform";
  }));
  // So does a service change.
  ASSERT_TRUE(api_->WaitForWatches("/api/v1/services", 1));
  api_->PushEvent("/api/v1/services", Event("DELETED", svc));
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) {
    auto it = m.find("endpoints/default/api");
    return it != m.end() && !it->second.labels.Has("__meta_kubernetes_service_name");
  }));
}

TEST_F(KubernetesDiscoveryTest, NodeRoleTargetsTheKubeletPort) {
  json node = json::parse(R"({
    "kind": "Node", "apiVersion": "v1",
    "metadata": {"name": "node-a", "resourceVersion": "3",
                 "labels": {"kubernetes.io/hostname": "node-a",
                            "topology.kubernetes.io/zone": "eu-1a"}},
    "spec": {"providerID": "aws:///eu-1a/i-0abc"},
    "status": {"addresses": [{"type": "Hostname", "address": "node-a"},
                             {"type": "InternalIP", "address": "10.0.0.11"},
                             {"type": "InternalIP", "address": "10.0.0.99"}],
               "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}}}})");
  api_->SetList("/api/v1/nodes", List("NodeList", "4", {node}));
  Start(Config(KubernetesRole::kNode));
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) { return m.contains("node/node-a"); }));
  TargetGroup g = updates_.State().at("node/node-a");
  const std::string n = "__meta_kubernetes_node_";
  EXPECT_EQ(g.labels, (Labels{{n + "name", "node-a"},
                              {n + "provider_id", "aws:///eu-1a/i-0abc"},
                              {n + "label_kubernetes_io_hostname", "node-a"},
                              {n + "labelpresent_kubernetes_io_hostname", "true"},
                              {n + "label_topology_kubernetes_io_zone", "eu-1a"},
                              {n + "labelpresent_topology_kubernetes_io_zone", "true"}}));
  EXPECT_EQ(g.targets, (std::vector<Labels>{Labels{{"__address__", "10.0.0.11:10250"},
                                                   {"instance", "node-a"},
                                                   {n + "address_Hostname", "node-a"},
                                                   {n + "address_InternalIP", "10.0.0.11"}}}));
}

TEST_F(KubernetesDiscoveryTest, StopReturnsPromptlyWhileAWatchHangs) {
  api_->SetList("/api/v1/pods",
                List("PodList", "100", {SimplePod("default", "a", "10.244.2.1", "90")}));
  Start(Config(KubernetesRole::kPod));
  ASSERT_TRUE(api_->WaitForWatches("/api/v1/pods", 1));
  auto t0 = std::chrono::steady_clock::now();
  discoverer_->Stop();
  // The watch would otherwise hang for watch_timeout (300s).
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  size_t batches = updates_.Batches().size();
  api_->PushEvent("/api/v1/pods", Event("ADDED", SimplePod("default", "z", "10.244.2.9", "101")));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(updates_.Batches().size(), batches);  // no update after Stop()
}

TEST_F(KubernetesDiscoveryTest, StopDuringBackoffAndWithoutStartAreClean) {
  api_->FailNext("/api/v1/pods", /*watch=*/false, 500, "{}", 1000);
  KubernetesDiscoveryOptions o = Options();
  o.initial_backoff = std::chrono::seconds(60);
  Start(Config(KubernetesRole::kPod), o);
  ASSERT_TRUE(updates_.WaitForBatches(1));
  discoverer_->Stop();
  auto never_started = MakeKubernetesDiscoverer(ioc_.get_executor(), Config(KubernetesRole::kPod));
  never_started->Stop();
  EXPECT_EQ(api_->Queries("/api/v1/pods").size(), 1u);
}

// examples/kubernetes.yml loads as `andon check config` loads it (the binary's verdict is
// checked in tests/integration/check_rules_test.cc), and its pod job turns discovered pods
// into the targets the annotation convention promises.
TEST_F(KubernetesDiscoveryTest, ExampleConfigScrapesAnnotatedPods) {
  const std::string example = std::string(ANDON_SOURCE_DIR) + "/examples/kubernetes.yml";
  auto cfg = config::LoadConfigFile(example);  // what `andon check config` runs
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  const config::ScrapeConfig* job = nullptr;
  for (const auto& sc : cfg->scrape_configs) {
    if (!sc.kubernetes_sd_configs.empty() &&
        sc.kubernetes_sd_configs[0].role == KubernetesRole::kPod) {
      job = &sc;
    }
  }
  ASSERT_NE(job, nullptr);

  json annotated = Pod("default", "api-7d9f", "10.244.1.7", "98");
  annotated["metadata"]["annotations"]["prometheus.io/scheme"] = "https";
  json plain = SimplePod("default", "b", "10.244.2.2", "99");  // not annotated
  api_->SetList("/api/v1/pods", List("PodList", "100", {annotated, plain}));
  config::KubernetesSdConfig sd = job->kubernetes_sd_configs[0];
  sd.api_server = Config(KubernetesRole::kPod).api_server;  // the example is in-cluster
  sd.http_client = Config(KubernetesRole::kPod).http_client;
  Start(sd);
  ASSERT_TRUE(updates_.WaitFor([](const GroupMap& m) { return m.size() == 2; }));
  GroupMap groups = updates_.State();

  std::set<std::string> kept;
  for (const auto& [source, g] : groups) {
    GroupTargets t = TargetsFromGroup(g, *job);
    EXPECT_TRUE(t.errors.empty());
    for (const TargetLabels& tl : t.targets) {
      if (tl.dropped) continue;
      kept.insert(tl.url);
      EXPECT_EQ(tl.labels.Get("team"), "payments");
      EXPECT_EQ(tl.labels.Get("namespace"), "default");
      EXPECT_EQ(tl.labels.Get("pod"), "api-7d9f");
      EXPECT_EQ(tl.labels.Get("instance"), "10.244.1.7:9102");
    }
  }
  // Every container port and port-less container of the annotated pod maps to the annotated
  // port (the init container is dropped); the unannotated pod is not scraped.
  EXPECT_EQ(kept, (std::set<std::string>{"https://10.244.1.7:9102/stats/metrics"}));
}

}  // namespace
}  // namespace andon::scrape
