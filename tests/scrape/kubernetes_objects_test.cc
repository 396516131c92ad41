#include "scrape/kubernetes_objects.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace andon::scrape {
namespace {

using config::KubernetesRole;
using json = nlohmann::json;

TEST(KubernetesObjectsTest, ParsesWatchEventsAndRejectsInvalidJson) {
  auto added = ParseKubernetesWatchEvent(
      R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"7"}}})");
  ASSERT_TRUE(added.ok()) << added.status().message();
  EXPECT_EQ(added->type, "ADDED");
  EXPECT_EQ(added->resource_version, "7");

  auto error = ParseKubernetesWatchEvent(
      R"({"type":"ERROR","object":{"kind":"Status","code":410,"message":"too old"}})");
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(error->error_code, 410);
  EXPECT_EQ(error->error_message, "too old");

  auto invalid = ParseKubernetesWatchEvent("{\"type\":");
  ASSERT_FALSE(invalid.ok());
  EXPECT_TRUE(invalid.status().message().starts_with("invalid event: "))
      << invalid.status().message();
}

TEST(KubernetesObjectsTest, ListWithItemsNotAListIsAnError) {
  auto page = ParseKubernetesList(
      R"({"metadata":{"resourceVersion":"5","continue":"c"},"items":[{"metadata":{"name":"a"}}]})");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->resource_version, "5");
  EXPECT_EQ(page->continue_token, "c");
  EXPECT_TRUE(ParseKubernetesList(R"({"items":null})").ok());
  auto bad = ParseKubernetesList(R"({"items":{}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "\"items\" is not a list");
}

TEST(KubernetesObjectsTest, FieldsOfAnotherTypeReadAsEmptyAndGoneSourcesComeBackEmpty) {
  KubernetesObjectStore store(KubernetesRole::kPod);
  store.Upsert(KubernetesResource::kPods, json::parse(R"({
      "metadata": {"namespace": "ns", "name": "p", "labels": ["not", "a", "map"]},
      "spec": {"containers": [{"name": 7, "ports": [{"containerPort": "80"}]}]},
      "status": {"podIP": "10.0.0.1", "conditions": "Ready"}})"));
  store.Upsert(KubernetesResource::kPods, json::parse(R"({"metadata": {"name": ""}})"));
  auto groups = store.TakeChangedGroups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].source, "pod/ns/p");
  ASSERT_EQ(groups[0].targets.size(), 1u);
  EXPECT_EQ(groups[0].targets[0].Get("__address__"), "10.0.0.1:0");
  EXPECT_EQ(groups[0].labels.Get("__meta_kubernetes_pod_ready"), "unknown");

  KubernetesWatchEvent deleted;
  deleted.type = "DELETED";
  deleted.object = json::parse(R"({"metadata":{"namespace":"ns","name":"p"}})");
  EXPECT_TRUE(store.Apply(KubernetesResource::kPods, deleted));
  groups = store.TakeChangedGroups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_TRUE(groups[0].targets.empty() && groups[0].labels.empty());
  EXPECT_TRUE(store.Groups().empty());
  KubernetesWatchEvent bookmark;
  bookmark.type = "BOOKMARK";
  EXPECT_FALSE(store.Apply(KubernetesResource::kPods, bookmark));
}

}  // namespace
}  // namespace andon::scrape
