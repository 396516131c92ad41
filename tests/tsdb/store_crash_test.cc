// Kill -9 durability of RocksDbStore::LogBatch. The parent re-executes this test binary as
// a writer child (StoreCrashChild, which does nothing unless ANDON_CRASH_DIR is set), lets
// it log batches and acknowledge their sequence numbers through a pipe, SIGKILLs it at a
// random moment, reopens the dir and checks that every acknowledged batch is there, bit
// for bit, and that no batch is there in part.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tsdb/rocksdb_store.h"

extern char** environ;

namespace andon::tsdb {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kStaleNaN = 0x7ff0000000000002ull;

// The content of batch `seq` is a function of seq alone, so the parent can check it.
void MakeBatch(uint64_t seq, std::vector<WalSample>& out) {
  out.clear();
  size_t n = 1 + (seq * 7919) % 64;
  for (size_t j = 0; j < n; ++j) {
    double v = j == 0 ? std::bit_cast<double>(kStaleNaN) : static_cast<double>(seq) + j / 1024.0;
    out.push_back({1 + (seq * 31 + j) % seq, static_cast<int64_t>(seq) * 1000 + int64_t(j), v});
  }
}

TEST(StoreCrashChild, LogsBatchesUntilKilled) {
  const char* dir = std::getenv("ANDON_CRASH_DIR");
  const char* fd_env = std::getenv("ANDON_CRASH_FD");
  if (dir == nullptr || fd_env == nullptr) GTEST_SKIP() << "runs only as the crash test's child";
  int fd = std::atoi(fd_env);
  auto store = RocksDbStore::Open(dir, {});
  if (!store.ok()) {
    fprintf(stderr, "child: %s\n", store.status().ToString().c_str());
    _exit(3);
  }
  std::vector<WalSample> samples;
  for (;;) {
    uint64_t seq = (*store)->LastWalSeq() + 1;
    MakeBatch(seq, samples);
    std::string batch = std::to_string(seq);
    LabelView labels[] = {{"__name__", "crash_test"}, {"batch", batch}};
    WalSeries series{seq, labels};
    uint64_t got = 0;
    Status s = (*store)->LogBatch({&series, 1}, samples, &got);
    if (!s.ok() || got != seq) {
      fprintf(stderr, "child: seq %lu: %s\n", static_cast<unsigned long>(seq),
              s.ToString().c_str());
      _exit(4);
    }
    if (write(fd, &seq, sizeof(seq)) != sizeof(seq)) _exit(5);
  }
}

class StoreCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "andon-crash-XXXXXX").string();
    root_ = mkdtemp(tmpl.data());
    dir_ = root_ + "/data";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Runs one writer child for about run_ms after its first acknowledgement, kills it with
  // SIGKILL and returns the sequence numbers it acknowledged.
  std::vector<uint64_t> RunAndKill(int run_ms) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    // Everything the child needs is prepared before fork(): after it, only exec.
    std::string exe = fs::read_symlink("/proc/self/exe").string();
    std::string filter = "--gtest_filter=StoreCrashChild.*";
    std::vector<std::string> env_strings = {"ANDON_CRASH_DIR=" + dir_,
                                            "ANDON_CRASH_FD=" + std::to_string(fds[1])};
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    char* argv[] = {exe.data(), filter.data(), nullptr};
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      int null_fd = open("/dev/null", O_WRONLY);  // the child's gtest banner is noise
      if (null_fd >= 0) dup2(null_fd, 1);
      execve(exe.c_str(), argv, envp.data());
      _exit(127);
    }
    close(fds[1]);
    std::vector<uint64_t> acked;
    std::string buf;
    auto consume = [&](int timeout_ms) {  // false on EOF
      pollfd p{fds[0], POLLIN, 0};
      if (poll(&p, 1, timeout_ms) <= 0) return true;
      char chunk[4096];
      ssize_t n = read(fds[0], chunk, sizeof(chunk));
      if (n <= 0) return false;
      buf.append(chunk, n);
      size_t whole = buf.size() / 8 * 8;
      for (size_t i = 0; i < whole; i += 8) {
        uint64_t seq;
        memcpy(&seq, buf.data() + i, 8);
        acked.push_back(seq);
      }
      buf.erase(0, whole);
      return true;
    };
    while (acked.empty() && consume(10000)) {
      if (waitpid(pid, nullptr, WNOHANG) == pid) break;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(run_ms);
    while (std::chrono::steady_clock::now() < deadline && consume(1)) {
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "writer child exited early with status " << status;
    while (consume(-1)) {
    }
    close(fds[0]);
    return acked;
  }

  std::string root_, dir_;
};

TEST_F(StoreCrashTest, EveryAcknowledgedBatchSurvivesKillNineAndNoBatchIsPartial) {
  std::mt19937 rng(20240229);
  size_t total_acked = 0;
  uint64_t truncated = 0;  // verified rounds are truncated away to keep replay short
  std::vector<WalSample> expected;
  for (int round = 0; round < 20; ++round) {
    std::vector<uint64_t> got = RunAndKill(std::uniform_int_distribution<int>(0, 50)(rng));
    ASSERT_FALSE(got.empty()) << "round " << round << ": the writer acknowledged nothing";
    total_acked += got.size();

    auto store = RocksDbStore::Open(dir_, {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::set<uint64_t> series, records;
    std::string mismatch;
    auto stats = (*store)->Replay(
        [&](uint64_t ref, std::span<const LabelView> labels) {
          if (labels.size() != 2 || labels[1].value != std::to_string(ref)) {
            mismatch = "labels of series " + std::to_string(ref);
          }
          if (ref > truncated) series.insert(ref);
          return Status::Ok();
        },
        [&](uint64_t seq, std::span<const WalSample> samples) {
          MakeBatch(seq, expected);
          bool same = samples.size() == expected.size();
          for (size_t i = 0; same && i < samples.size(); ++i) {
            same = samples[i].ref == expected[i].ref && samples[i].t_ms == expected[i].t_ms &&
                   std::bit_cast<uint64_t>(samples[i].v) == std::bit_cast<uint64_t>(expected[i].v);
          }
          if (!same && mismatch.empty()) mismatch = "samples of batch " + std::to_string(seq);
          records.insert(seq);
          return Status::Ok();
        });
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_EQ(stats->corrupt_records, 0u);
    EXPECT_EQ(mismatch, "") << "round " << round;
    // A batch is its series row plus its WAL record: both or neither.
    EXPECT_EQ(series, records) << "round " << round;
    for (uint64_t seq : got) {
      ASSERT_TRUE(records.count(seq))
          << "round " << round << ": acknowledged batch " << seq << " lost";
    }
    // One writer thread: what survives is a prefix of what was written, without holes.
    ASSERT_FALSE(records.empty());
    EXPECT_EQ(*records.begin(), truncated + 1) << "round " << round;
    EXPECT_EQ(*records.rbegin(), truncated + records.size()) << "round " << round;
    truncated = *records.rbegin();
    ASSERT_TRUE((*store)->TruncateWal(truncated).ok());
  }
  EXPECT_GT(total_acked, 20u);
}

}  // namespace
}  // namespace andon::tsdb
