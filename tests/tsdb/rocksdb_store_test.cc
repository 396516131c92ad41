#include "tsdb/rocksdb_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/tsdb/disk_full_fs.h"

namespace andon::tsdb {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr uint64_t kStaleNaN = 0x7ff0000000000002ull;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "andon-store-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string Sub(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

// Every file under dir with its size, mtime and contents: to prove a dir was not touched.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    std::string desc = std::to_string(e.last_write_time().time_since_epoch().count());
    if (e.is_regular_file()) {
      std::ifstream in(e.path(), std::ios::binary);
      desc += ":" + std::string(std::istreambuf_iterator<char>(in), {});
    }
    out[e.path().string()] = desc;
  }
  return out;
}

struct Labels {
  std::vector<std::pair<std::string, std::string>> owned;
  std::vector<LabelView> views;
  explicit Labels(std::vector<std::pair<std::string, std::string>> l) : owned(std::move(l)) {
    for (auto& [n, v] : owned) views.push_back({n, v});
  }
};

struct Replayed {
  std::map<uint64_t, std::vector<StoredLabel>> series;
  std::map<uint64_t, std::vector<WalSample>> records;
  ReplayStats stats;
};

Replayed ReplayAll(RocksDbStore& store) {
  Replayed r;
  auto stats = store.Replay(
      [&](uint64_t ref, std::span<const LabelView> labels) {
        auto& out = r.series[ref];
        for (auto& l : labels) out.push_back({std::string(l.name), std::string(l.value)});
        return Status::Ok();
      },
      [&](uint64_t seq, std::span<const WalSample> samples) {
        r.records[seq].assign(samples.begin(), samples.end());
        return Status::Ok();
      });
  EXPECT_TRUE(stats.ok()) << stats.status().ToString();
  if (stats.ok()) r.stats = *stats;
  return r;
}

std::unique_ptr<RocksDbStore> MustOpen(const std::string& dir, StoreOptions o = {}) {
  auto s = RocksDbStore::Open(dir, o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

class RocksDbStoreTest : public ::testing::Test {
 protected:
  // A store with narrow partitions (1s) so tests can span several.
  std::unique_ptr<RocksDbStore> OpenNarrow() {
    StoreOptions o;
    o.partition_width_ms = 1000;
    return MustOpen(dir_, o);
  }
  void LogSeries(RocksDbStore& store, uint64_t ref,
                 std::vector<std::pair<std::string, std::string>> labels) {
    Labels l(std::move(labels));
    WalSeries s{ref, l.views};
    ASSERT_TRUE(store.LogBatch({&s, 1}, {}).ok());
  }

  TempDir tmp_;
  std::string dir_ = tmp_.Sub("data");
};

TEST_F(RocksDbStoreTest, LogBatchAndReplayRoundTripBitExact) {
  auto store = MustOpen(dir_);
  ASSERT_NE(store, nullptr);
  Labels a({{"__name__", "up"}, {"job", "api"}});
  Labels b({{"__name__", "weird"}, {"v", std::string("a\0b\x01", 4)}});
  WalSeries series[] = {{1, a.views}, {1ull << 40, b.views}};
  std::vector<WalSample> samples = {
      {1, 1700000000000, 1.0},
      {1ull << 40, 1700000000000, std::bit_cast<double>(kStaleNaN)},
      {1, -5, -0.0},
      {1ull << 40, INT64_MAX, std::numeric_limits<double>::infinity()},
      {1, INT64_MIN, std::numeric_limits<double>::denorm_min()},
      {3, 0, 0.1},
  };
  uint64_t seq1 = 0, seq2 = 0;
  ASSERT_TRUE(store->LogBatch(series, samples, &seq1).ok());
  ASSERT_TRUE(store->LogBatch({}, std::span(samples).subspan(5), &seq2).ok());
  EXPECT_EQ(seq1, 1u);
  EXPECT_EQ(seq2, 2u);
  EXPECT_EQ(store->LastWalSeq(), 2u);

  Replayed r = ReplayAll(*store);
  ASSERT_EQ(r.series.size(), 2u);
  EXPECT_THAT(r.series[1ull << 40], ElementsAre(StoredLabel{"__name__", "weird"},
                                                StoredLabel{"v", std::string("a\0b\x01", 4)}));
  ASSERT_EQ(r.records.size(), 2u);
  const auto& got = r.records[1];
  ASSERT_EQ(got.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(got[i].ref, samples[i].ref) << i;
    EXPECT_EQ(got[i].t_ms, samples[i].t_ms) << i;
    EXPECT_EQ(std::bit_cast<uint64_t>(got[i].v), std::bit_cast<uint64_t>(samples[i].v)) << i;
  }
  EXPECT_EQ(r.records[2].size(), 1u);
  EXPECT_EQ(r.stats.samples, samples.size() + 1);
  EXPECT_EQ(r.stats.corrupt_records, 0u);
}

TEST_F(RocksDbStoreTest, ReopenKeepsSeriesWalAndSequence) {
  {
    auto store = MustOpen(dir_);
    LogSeries(*store, 7, {{"a", "b"}});
    WalSample s{7, 100, 2.5};
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->LogBatch({}, {&s, 1}).ok());
  }
  auto store = MustOpen(dir_);
  EXPECT_EQ(store->LastWalSeq(), 3u);
  EXPECT_EQ(*store->MaxSeriesRef(), 7u);
  auto labels = store->ReadSeries(7);
  ASSERT_TRUE(labels.ok());
  EXPECT_THAT(*labels, ElementsAre(StoredLabel{"a", "b"}));
  Replayed r = ReplayAll(*store);
  EXPECT_EQ(r.records.size(), 3u);
  uint64_t seq = 0;
  WalSample s{7, 200, 1};
  ASSERT_TRUE(store->LogBatch({}, {&s, 1}, &seq).ok());
  EXPECT_EQ(seq, 4u);
}

TEST_F(RocksDbStoreTest, CorruptWalRecordIsSkippedAndItsNeighboursReplay) {
  {
    auto store = MustOpen(dir_);
    LogSeries(*store, 1, {{"a", "b"}});
    for (int i = 1; i <= 3; ++i) {
      WalSample s{1, i, static_cast<double>(i)};
      ASSERT_TRUE(store->LogBatch({}, {&s, 1}).ok());
    }
  }
  {  // Flip one bit in the value of record 2, behind the store's back.
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* n : {"default", "meta", "series", "postings", "chunks", "wal"}) {
      cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> h;
    rocksdb::DB* db;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir_, cfs, &h, &db).ok());
    std::string key("\0\0\0\0\0\0\0\x02", 8), value;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), h[5], key, &value).ok());
    value[value.size() - 1] ^= 0x10;
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), h[5], key, value).ok());
    for (auto* x : h) db->DestroyColumnFamilyHandle(x);
    delete db;
  }
  auto store = MustOpen(dir_);
  Replayed r = ReplayAll(*store);
  EXPECT_EQ(r.stats.corrupt_records, 1u);
  EXPECT_THAT(r.stats.corrupt_seqs, ElementsAre(2u));
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1][0].t_ms, 1);
  EXPECT_EQ(r.records[3][0].t_ms, 3);
}

TEST_F(RocksDbStoreTest, SecondOpenOfTheSameDirFailsNamingTheDir) {
  auto first = MustOpen(dir_);
  auto second = RocksDbStore::Open(dir_, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr(dir_ + " is in use by another andon (lock"));
  EXPECT_THAT(second.status().message(), HasSubstr("by pid " + std::to_string(getpid())));
  first.reset();
  EXPECT_NE(MustOpen(dir_), nullptr);  // released on close
}

TEST_F(RocksDbStoreTest, ForeignRocksDbIsRefusedAndLeftUntouched) {
  {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* db;
    ASSERT_TRUE(rocksdb::DB::Open(o, dir_, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "user:1", "alice").ok());
    delete db;
  }
  auto before = Snapshot(dir_);
  auto store = RocksDbStore::Open(dir_, {});
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("another application"));
  EXPECT_THAT(store.status().message(), HasSubstr(dir_));
  EXPECT_EQ(Snapshot(dir_), before);
}

TEST_F(RocksDbStoreTest, DirWithOtherFilesIsRefusedAndLeftUntouched) {
  fs::create_directories(dir_ + "/wal");
  std::ofstream(dir_ + "/queries.active") << "[]";
  auto before = Snapshot(dir_);
  auto store = RocksDbStore::Open(dir_, {});
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("not an Andon TSDB"));
  EXPECT_THAT(store.status().message(), HasSubstr("queries.active"));
  EXPECT_EQ(Snapshot(dir_), before);
}

TEST_F(RocksDbStoreTest, NewerFormatVersionIsRefusedAndLeftUntouched) {
  MustOpen(dir_).reset();
  fs::remove(dir_ + "/andon.lock");  // as if copied from elsewhere
  {
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir_, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> h;
    rocksdb::DB* db;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir_, cfs, &h, &db).ok());
    auto meta = h[std::find(names.begin(), names.end(), "meta") - names.begin()];
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), meta, "version", "2").ok());
    for (auto* x : h) db->DestroyColumnFamilyHandle(x);
    delete db;
  }
  auto before = Snapshot(dir_);
  auto store = RocksDbStore::Open(dir_, {});
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("format version 2"));
  EXPECT_THAT(store.status().message(), HasSubstr("upgrade Andon"));
  EXPECT_EQ(Snapshot(dir_), before);
}

TEST_F(RocksDbStoreTest, PartitionWidthOfAnExistingDirWins) {
  OpenNarrow().reset();
  StoreOptions o;
  o.partition_width_ms = 7200000;
  auto store = MustOpen(dir_, o);
  EXPECT_EQ(store->partition_width_ms(), 1000);
}

TEST_F(RocksDbStoreTest, ChunksComeBackInTimeOrderAcrossPartitions) {
  auto store = OpenNarrow();
  LogSeries(*store, 1, {{"a", "1"}});
  LogSeries(*store, 2, {{"a", "2"}});
  // Put out of order and interleaved with another series; one chunk crosses a boundary.
  ASSERT_TRUE(store->PutChunk(1, 2500, 2900, "c2500").ok());
  ASSERT_TRUE(store->PutChunk(2, 1000, 1999, "other").ok());
  ASSERT_TRUE(store->PutChunk(1, 500, 999, "c500").ok());
  ASSERT_TRUE(store->PutChunk(1, 1200, 1800, "c1200").ok());
  ASSERT_TRUE(store->PutChunk(1, -700, -1, "c-700").ok());
  ASSERT_TRUE(store->PutChunk(1, 3900, 4600, "c3900").ok());

  auto read = [&](int64_t mint, int64_t maxt) {
    std::vector<std::string> got;
    StoredChunkIterator it = store->Chunks(1, mint, maxt);
    while (it.Next()) {
      got.push_back(std::string(it.bytes()) + "@" + std::to_string(it.mint()) + "-" +
                    std::to_string(it.maxt()));
    }
    EXPECT_TRUE(it.status().ok()) << it.status().ToString();
    return got;
  };
  EXPECT_THAT(read(-10000, 10000), ElementsAre("c-700@-700--1", "c500@500-999", "c1200@1200-1800",
                                               "c2500@2500-2900", "c3900@3900-4600"));
  EXPECT_THAT(read(1000, 2600), ElementsAre("c1200@1200-1800", "c2500@2500-2900"));
  EXPECT_THAT(read(4200, 4300), ElementsAre("c3900@3900-4600"));  // started a partition earlier
  EXPECT_THAT(read(3000, 3800), ElementsAre());
  EXPECT_THAT(read(5000, 4000), ElementsAre());
}

TEST_F(RocksDbStoreTest, PutChunkOfASeriesNeverLoggedIsNotFound) {
  auto store = OpenNarrow();
  Status s = store->PutChunk(99, 0, 10, "x");
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("series 99"));
}

TEST_F(RocksDbStoreTest, PostingsAnswerPerTimeRange) {
  auto store = OpenNarrow();
  LogSeries(*store, 1, {{"__name__", "up"}, {"job", "api"}});
  LogSeries(*store, 2, {{"__name__", "up"}, {"job", "db"}});
  LogSeries(*store, 3, {{"__name__", "up"}, {"job", std::string("a\0z", 3)}, {"zone", "x"}});
  ASSERT_TRUE(store->PutChunk(1, 100, 900, "").ok());    // partition 0
  ASSERT_TRUE(store->PutChunk(1, 1100, 1900, "").ok());  // partition 1
  ASSERT_TRUE(store->PutChunk(2, 1100, 1900, "").ok());  // partition 1
  ASSERT_TRUE(store->PutChunk(3, 2100, 2900, "").ok());  // partition 2

  EXPECT_THAT(*store->LabelValuesInRange("job", 0, 999), ElementsAre("api"));
  EXPECT_THAT(*store->LabelValuesInRange("job", 1000, 1999), ElementsAre("api", "db"));
  EXPECT_THAT(*store->LabelValuesInRange("job", 0, 5000),
              ElementsAre(std::string("a\0z", 3), "api", "db"));
  EXPECT_THAT(*store->LabelNamesInRange(0, 1999), ElementsAre("__name__", "job"));
  EXPECT_THAT(*store->LabelNamesInRange(0, 5000), ElementsAre("__name__", "job", "zone"));
  EXPECT_THAT(*store->RefsForLabel("__name__", "up", 0, 5000), ElementsAre(1, 2, 3));
  EXPECT_THAT(*store->RefsForLabel("__name__", "up", 2000, 2999), ElementsAre(3));
  EXPECT_THAT(*store->RefsForLabel("job", std::string("a\0z", 3), 0, 5000), ElementsAre(3));
  EXPECT_THAT(*store->RefsForLabel("job", "a", 0, 5000), ElementsAre());
  EXPECT_THAT(*store->AllRefsInRange(1000, 1999), ElementsAre(1, 2));
  auto starts_with_a = [](std::string_view v) { return v.substr(0, 1) == "a"; };
  EXPECT_THAT(*store->RefsMatching("job", starts_with_a, 0, 5000), ElementsAre(1, 3));
  EXPECT_THAT(*store->RefsMatching("job", starts_with_a, 1000, 1999), ElementsAre(1));
}

TEST_F(RocksDbStoreTest, PostingsSurviveReopen) {
  {
    auto store = OpenNarrow();
    LogSeries(*store, 5, {{"job", "api"}});
    ASSERT_TRUE(store->PutChunk(5, 1100, 1900, "").ok());
  }
  auto store = OpenNarrow();
  EXPECT_THAT(*store->RefsForLabel("job", "api", 1000, 1999), ElementsAre(5));
  ASSERT_EQ(store->Partitions().size(), 1u);
  EXPECT_EQ(store->Partitions()[0].max_t_ms, 1900);
}

TEST_F(RocksDbStoreTest, DropBeforeRemovesOldPartitionsAndKeepsNewer) {
  auto store = OpenNarrow();
  LogSeries(*store, 1, {{"job", "old"}});
  LogSeries(*store, 2, {{"job", "new"}});
  ASSERT_TRUE(store->PutChunk(1, 100, 900, "a").ok());
  ASSERT_TRUE(store->PutChunk(1, 1100, 2500, "b").ok());  // partition 1, ends in 2
  ASSERT_TRUE(store->PutChunk(2, 2100, 2900, "c").ok());
  ASSERT_TRUE(store->Flush().ok());

  auto dropped = store->DropBefore(2000);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 1);  // partition 1 still holds samples at 2500
  ASSERT_EQ(store->Partitions().size(), 2u);
  EXPECT_EQ(store->Partitions()[0].partition, 1);

  dropped = store->DropBefore(2600);
  EXPECT_EQ(*dropped, 1);
  std::vector<std::string> left;
  for (uint64_t ref : {1, 2}) {
    for (StoredChunkIterator it = store->Chunks(ref, -10000, 10000); it.Next();) {
      left.emplace_back(it.bytes());
    }
  }
  EXPECT_THAT(left, ElementsAre("c"));
  EXPECT_THAT(*store->LabelValuesInRange("job", 0, 10000), ElementsAre("new"));

  auto swept = store->SweepSeries([](uint64_t) { return false; });
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 1u);
  EXPECT_EQ(store->ReadSeries(1).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(store->ReadSeries(2).ok());
}

TEST_F(RocksDbStoreTest, SweepKeepsSeriesTheHeadStillHolds) {
  auto store = OpenNarrow();
  LogSeries(*store, 1, {{"a", "1"}});
  LogSeries(*store, 2, {{"a", "2"}});
  auto swept = store->SweepSeries([](uint64_t ref) { return ref == 2; });
  EXPECT_EQ(*swept, 1u);
  EXPECT_FALSE(store->ReadSeries(1).ok());
  EXPECT_TRUE(store->ReadSeries(2).ok());
}

TEST_F(RocksDbStoreTest, SizeLimitDropsOldestPartitionsUntilUnder) {
  auto store = OpenNarrow();
  LogSeries(*store, 1, {{"a", "1"}});
  std::mt19937_64 rng(1);
  std::string payload(64 * 1024, '\0');
  for (int p = 0; p < 6; ++p) {
    for (int c = 0; c < 40; ++c) {  // ~2.5 MiB of incompressible chunk bytes per partition
      for (auto& ch : payload) ch = static_cast<char>(rng());
      ASSERT_TRUE(store->PutChunk(1, p * 1000 + c * 10, p * 1000 + c * 10 + 5, payload).ok());
    }
  }
  ASSERT_TRUE(store->Flush().ok());
  uint64_t before = *store->DiskBytes();
  EXPECT_GT(before, 6u * 40 * 64 * 1024);
  uint64_t limit = before - 3 * 40 * 64 * 1024;
  auto dropped = store->EnforceSizeLimit(limit);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_GE(*dropped, 3);
  EXPECT_LE(*store->DiskBytes(), limit);
  ASSERT_FALSE(store->Partitions().empty());
  EXPECT_EQ(store->Partitions().back().partition, 5);
  EXPECT_EQ(store->Partitions().front().partition, *dropped);

  dropped = store->EnforceSizeLimit(1);  // cannot be met: keeps the newest partition
  ASSERT_TRUE(dropped.ok());
  ASSERT_EQ(store->Partitions().size(), 1u);
  EXPECT_EQ(store->Partitions()[0].partition, 5);
}

TEST_F(RocksDbStoreTest, TruncateWalDeletesUpToSeqAndSeqsNeverRepeat) {
  {
    auto store = MustOpen(dir_);
    LogSeries(*store, 1, {{"a", "1"}});
    WalSample s{1, 0, 0};
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->LogBatch({}, {&s, 1}).ok());
    ASSERT_TRUE(store->TruncateWal(3).ok());
    Replayed r = ReplayAll(*store);
    std::vector<uint64_t> seqs;
    for (auto& [seq, _] : r.records) seqs.push_back(seq);
    EXPECT_THAT(seqs, ElementsAre(4u, 5u));
    EXPECT_EQ(r.series.size(), 1u);  // series rows outlive the WAL
    ASSERT_TRUE(store->TruncateWal(5).ok());
  }
  auto store = MustOpen(dir_);
  EXPECT_TRUE(ReplayAll(*store).records.empty());
  EXPECT_EQ(store->LastWalSeq(), 5u);
  uint64_t seq = 0;
  WalSample s{1, 1, 1};
  ASSERT_TRUE(store->LogBatch({}, {&s, 1}, &seq).ok());
  EXPECT_EQ(seq, 6u);
}

TEST_F(RocksDbStoreTest, ReplayStopsWithTheCallbacksError) {
  auto store = MustOpen(dir_);
  LogSeries(*store, 1, {{"a", "1"}});
  auto r = store->Replay([](uint64_t, auto) { return Status::Internal("head full"); },
                         [](uint64_t, auto) { return Status::Ok(); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "head full");
}

TEST_F(RocksDbStoreTest, ConcurrentLoggingChunkWritesAndReadsLoseNothing) {
  auto store = OpenNarrow();
  for (uint64_t ref = 1; ref <= 8; ++ref) LogSeries(*store, ref, {{"s", std::to_string(ref)}});
  constexpr int kBatches = 300;
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      std::vector<WalSample> samples(50);
      for (int b = 0; b < kBatches; ++b) {
        for (size_t i = 0; i < samples.size(); ++i) samples[i] = {1 + i % 8, w * 100000 + b, 1.0};
        EXPECT_TRUE(store->LogBatch({}, samples).ok());
      }
    });
  }
  threads.emplace_back([&] {
    for (int c = 0; c < 200; ++c) {
      EXPECT_TRUE(store->PutChunk(1 + c % 8, c * 100, c * 100 + 99, "chunk").ok());
    }
  });
  threads.emplace_back([&] {
    for (int r = 0; r < 200; ++r) {
      for (StoredChunkIterator it = store->Chunks(1, 0, 100000); it.Next();) {
        EXPECT_EQ(it.bytes(), "chunk");
      }
      EXPECT_TRUE(store->RefsForLabel("s", "1", 0, 100000).ok());
      store->Partitions();
    }
  });
  for (auto& t : threads) t.join();
  Replayed r = ReplayAll(*store);
  EXPECT_EQ(r.records.size(), 2u * kBatches);
  EXPECT_EQ(r.stats.samples, 2u * kBatches * 50);
  EXPECT_EQ(store->LastWalSeq(), 2u * kBatches);
  EXPECT_EQ(store->Partitions().size(), 20u);
  EXPECT_THAT(*store->AllRefsInRange(0, 100000), ElementsAre(1, 2, 3, 4, 5, 6, 7, 8));
}

TEST_F(RocksDbStoreTest, DiskFullSurfacesAsStatusAndResumeRecovers) {
  auto fs = std::make_shared<DiskFullFs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  StoreOptions o;
  o.env = env.get();
  auto store = MustOpen(dir_, o);
  ASSERT_NE(store, nullptr);
  LogSeries(*store, 1, {{"a", "1"}});
  WalSample s{1, 1, 1};
  ASSERT_TRUE(store->LogBatch({}, {&s, 1}).ok());

  fs->fail = true;
  Status st = store->LogBatch({}, {&s, 1});
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("log batch"));
  EXPECT_THAT(st.message(), HasSubstr(dir_));
  EXPECT_FALSE(store->PutChunk(1, 0, 1, "x").ok());

  fs->fail = false;
  Status resumed = store->Resume();
  EXPECT_TRUE(resumed.ok()) << resumed.ToString();
  uint64_t seq = 0;
  ASSERT_TRUE(store->LogBatch({}, {&s, 1}, &seq).ok());
  store.reset();
  store = MustOpen(dir_, o);
  Replayed r = ReplayAll(*store);
  EXPECT_TRUE(r.records.count(1) == 1 && r.records.count(seq) == 1);
  EXPECT_EQ(r.stats.corrupt_records, 0u);
}

}  // namespace
}  // namespace andon::tsdb
