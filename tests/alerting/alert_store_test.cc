// tests/alerting/alert_store_test.cc
#include "alerting/alert_store.h"

#include <gtest/gtest.h>

#include "tests/alerting/alerting_test_util.h"

namespace andon::alerting {
namespace {

using testing::kMin;
using testing::kT0;
using testing::MakeAlert;

const Labels kLabels{{"alertname", "Down"}, {"job", "api"}};

TEST(AlertStoreTest, MissingTimesBecomeArrivalAndResolveTimeout) {
  AlertStore store(5 * kMin);
  const StoredAlert& s = store.Put(MakeAlert(kLabels, 0, 0), kT0);
  EXPECT_EQ(s.alert.starts_at_ms, kT0);
  EXPECT_EQ(s.alert.ends_at_ms, kT0 + 5 * kMin);
  EXPECT_TRUE(s.timeout);
  EXPECT_EQ(s.updated_ms, kT0);
  // Not re-sent: resolved after resolve_timeout, and collected then.
  EXPECT_TRUE(store.GarbageCollect(kT0 + 4 * kMin).empty());
  auto removed = store.GarbageCollect(kT0 + 5 * kMin);
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0], kLabels);
  EXPECT_EQ(store.size(), 0u);
}

TEST(AlertStoreTest, ResendKeepsTheEarliestStartAndNewestAnnotations) {
  AlertStore store(5 * kMin);
  Alert first = MakeAlert(kLabels, kT0, kT0 + 4 * kMin);
  first.annotations = Labels{{"summary", "old"}};
  uint64_t v1 = store.Put(first, kT0).version;
  // Overlapping re-send with a later start (a restarted sender) and new annotations.
  Alert again = MakeAlert(kLabels, kT0 + 1 * kMin, kT0 + 5 * kMin);
  again.annotations = Labels{{"summary", "new"}};
  const StoredAlert& s = store.Put(again, kT0 + 1 * kMin);
  EXPECT_EQ(s.alert.starts_at_ms, kT0);
  EXPECT_EQ(s.alert.ends_at_ms, kT0 + 5 * kMin);
  EXPECT_EQ(s.alert.annotations.Get("summary"), "new");
  EXPECT_NE(s.version, v1);
  EXPECT_EQ(store.size(), 1u);
}

TEST(AlertStoreTest, ExplicitResolutionWinsOverTheEarlierEndsAt) {
  AlertStore store(5 * kMin);
  store.Put(MakeAlert(kLabels, kT0, kT0 + 4 * kMin), kT0);
  const StoredAlert& s = store.Put(MakeAlert(kLabels, kT0, kT0 + 2 * kMin), kT0 + 2 * kMin);
  EXPECT_EQ(s.alert.ends_at_ms, kT0 + 2 * kMin);
  EXPECT_TRUE(s.alert.ResolvedAt(kT0 + 2 * kMin));
}

TEST(AlertStoreTest, TimeoutEndsAtDoesNotOverrideALaterExplicitOne) {
  AlertStore store(5 * kMin);
  // Explicit ends_at far ahead, then a re-send without ends_at (timeout at +6m).
  store.Put(MakeAlert(kLabels, kT0, kT0 + 30 * kMin), kT0);
  const StoredAlert& s = store.Put(MakeAlert(kLabels, kT0, 0), kT0 + 1 * kMin);
  EXPECT_EQ(s.alert.ends_at_ms, kT0 + 30 * kMin);
  EXPECT_FALSE(s.timeout);
  // The other way round: an older timeout ends_at loses against the newer explicit one.
  AlertStore store2(60 * kMin);
  store2.Put(MakeAlert(kLabels, kT0, 0), kT0);
  const StoredAlert& s2 = store2.Put(MakeAlert(kLabels, kT0, kT0 + 5 * kMin), kT0 + kMin);
  EXPECT_EQ(s2.alert.ends_at_ms, kT0 + 5 * kMin);
}

TEST(AlertStoreTest, ANewActivityPeriodReplacesTheResolvedAlert) {
  AlertStore store(5 * kMin);
  store.Put(MakeAlert(kLabels, kT0, kT0 + 2 * kMin), kT0 + 2 * kMin);
  const StoredAlert& s =
      store.Put(MakeAlert(kLabels, kT0 + 10 * kMin, kT0 + 14 * kMin), kT0 + 10 * kMin);
  EXPECT_EQ(s.alert.starts_at_ms, kT0 + 10 * kMin);
  EXPECT_FALSE(s.alert.ResolvedAt(kT0 + 10 * kMin));
  auto list = store.List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].alert.starts_at_ms, kT0 + 10 * kMin);
  ASSERT_NE(store.Get(kLabels), nullptr);
  EXPECT_EQ(store.Get(Labels{{"alertname", "Other"}}), nullptr);
}

}  // namespace
}  // namespace andon::alerting
