// tests/alerting/notification_log_test.cc
#include "alerting/notification_log.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <fstream>

#include "tests/alerting/alerting_test_util.h"

namespace andon::alerting {
namespace {

using testing::kHour;
using testing::kT0;

NotificationLogEntry Entry(std::string receiver, uint32_t idx, std::string group_key,
                           std::vector<uint64_t> firing, std::vector<uint64_t> resolved,
                           int64_t ts) {
  NotificationLogEntry e;
  e.receiver = std::move(receiver);
  e.integration = "slack";
  e.integration_index = idx;
  e.group_key = std::move(group_key);
  e.firing = std::move(firing);
  e.resolved = std::move(resolved);
  e.timestamp_ms = ts;
  return e;
}

TEST(NotificationLogTest, EntriesSurviveReopen) {
  testing::TempDir dir;
  const std::string path = dir.path("alerting/nflog");
  {
    auto log = NotificationLog::Open(path, {.retention_ms = 10 * kHour});
    ASSERT_TRUE(log.ok()) << log.status().message();
    ASSERT_TRUE((*log)->Log(Entry("team-a", 0, "{}:{a=\"1\"}", {3, 1}, {7}, kT0)).ok());
    ASSERT_TRUE((*log)->Log(Entry("team-a", 1, "{}:{a=\"1\"}", {1}, {}, kT0 + 1)).ok());
    ASSERT_TRUE((*log)->Log(Entry("team-b", 0, "{}:{a=\"1\"}", {}, {1}, kT0 + 2)).ok());
    // Replaces the first one.
    ASSERT_TRUE((*log)->Log(Entry("team-a", 0, "{}:{a=\"1\"}", {5, 3, 1}, {}, kT0 + 3)).ok());
    EXPECT_EQ((*log)->size(), 3u);
  }
  auto log = NotificationLog::Open(path);
  ASSERT_TRUE(log.ok()) << log.status().message();
  EXPECT_EQ((*log)->size(), 3u);
  EXPECT_EQ((*log)->corrupt_entries(), 0u);
  auto e = (*log)->Query("team-a", "slack", 0, "{}:{a=\"1\"}");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->firing, (std::vector<uint64_t>{1, 3, 5}));  // sorted
  EXPECT_TRUE(e->resolved.empty());
  EXPECT_EQ(e->timestamp_ms, kT0 + 3);
  EXPECT_EQ(e->expires_at_ms, kT0 + 3 + 10 * kHour);
  auto b = (*log)->Query("team-b", "slack", 0, "{}:{a=\"1\"}");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->resolved, (std::vector<uint64_t>{1}));
  EXPECT_FALSE((*log)->Query("team-a", "webhook", 0, "{}:{a=\"1\"}").has_value());
  EXPECT_FALSE((*log)->Query("team-a", "slack", 2, "{}:{a=\"1\"}").has_value());
  EXPECT_TRUE(e->FiringContains({1, 5}));
  EXPECT_FALSE(e->FiringContains({1, 4}));
  EXPECT_TRUE(e->FiringContains({}));
}

TEST(NotificationLogTest, CorruptEntryIsSkippedAndTheRestLoads) {
  testing::TempDir dir;
  const std::string path = dir.path("nflog");
  {
    auto log = NotificationLog::Open(path);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Log(Entry("r", 0, "g1", {1}, {}, kT0)).ok());
    ASSERT_TRUE((*log)->Log(Entry("r", 0, "g2", {2}, {}, kT0)).ok());
  }
  {
    // Damage one record behind the log's back: a truncated value and an unknown version.
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), path, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string good = NotificationLog::EncodeValue(Entry("r", 0, "g2", {2}, {}, kT0));
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), NotificationLog::EncodeKey("r", "slack", 0, "g2"),
                        good.substr(0, good.size() - 3))
                    .ok());
    std::string v9 = NotificationLog::EncodeValue(Entry("r", 0, "g3", {3}, {}, kT0));
    v9[0] = 9;
    ASSERT_TRUE(
        db->Put(rocksdb::WriteOptions(), NotificationLog::EncodeKey("r", "slack", 0, "g3"), v9)
            .ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "zzz", "junk").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto log = NotificationLog::Open(path);
  ASSERT_TRUE(log.ok()) << log.status().message();
  EXPECT_EQ((*log)->corrupt_entries(), 3u);
  EXPECT_EQ((*log)->size(), 1u);
  EXPECT_TRUE((*log)->Query("r", "slack", 0, "g1").has_value());
  EXPECT_FALSE((*log)->Query("r", "slack", 0, "g2").has_value());
  // A new Log of the damaged key overwrites it.
  ASSERT_TRUE((*log)->Log(Entry("r", 0, "g2", {4}, {}, kT0 + 1)).ok());
  log = Result<std::unique_ptr<NotificationLog>>(Status::Internal("closed"));
  auto again = NotificationLog::Open(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->corrupt_entries(), 2u);
  ASSERT_TRUE((*again)->Query("r", "slack", 0, "g2").has_value());
  EXPECT_EQ((*again)->Query("r", "slack", 0, "g2")->firing, (std::vector<uint64_t>{4}));
}

TEST(NotificationLogTest, GarbageCollectDeletesExpiredEntriesOnDisk) {
  testing::TempDir dir;
  const std::string path = dir.path("nflog");
  {
    auto log = NotificationLog::Open(path, {.retention_ms = 2 * kHour});
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Log(Entry("r", 0, "old", {1}, {}, kT0)).ok());
    ASSERT_TRUE((*log)->Log(Entry("r", 0, "new", {1}, {}, kT0 + kHour)).ok());
    auto n = (*log)->GarbageCollect(kT0 + 2 * kHour);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 1u);
    EXPECT_FALSE((*log)->Query("r", "slack", 0, "old").has_value());
  }
  auto log = NotificationLog::Open(path);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ((*log)->size(), 1u);
  EXPECT_TRUE((*log)->Query("r", "slack", 0, "new").has_value());
}

TEST(NotificationLogTest, OpenFailsOnAFileInTheWay) {
  testing::TempDir dir;
  std::string path = dir.path("file");
  { std::ofstream(path) << "x"; }
  auto log = NotificationLog::Open(path + "/nflog");
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find("notification log"), std::string::npos);
}

}  // namespace
}  // namespace andon::alerting
