// Kill -9 durability of Db. The parent re-executes this test binary as a writer child
// (DbCrashChild, which does nothing unless ANDON_DB_CRASH_DIR is set). The child appends
// commits through a Db whose background loop checkpoints every few milliseconds (so kills
// land before, during and after checkpoints, WAL truncations and chunk seals) and
// acknowledges each commit number through a pipe once Commit() returned. The parent kills
// it with SIGKILL at a random moment, reopens the dir and checks that every acknowledged
// commit is readable, bit for bit, and that what survives has no holes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "tests/tsdb/db_test_util.h"
#include "tsdb/db.h"

extern char** environ;

namespace andon {
namespace {

namespace fs = std::filesystem;

constexpr int kSeries = 40;
constexpr int64_t kStepMs = 15000;

Labels CrashSeries(int i) {
  return Labels{{"__name__", "crash_test"}, {"series", std::to_string(i)}};
}

// Commit k writes, at t = k * kStepMs, one sample to series k % 3 .. kSeries (a few series
// skip some commits). The value is a function of (i, k) alone.
bool InCommit(int i, int64_t k) { return i >= k % 3; }
double CrashValue(int i, int64_t k) {
  if ((k + i) % 97 == 0) return kStaleNaN;
  if (i % 4 == 0) return std::bit_cast<double>(0x3ff0000000000000ULL + uint64_t(k) * 2654435761ULL);
  return static_cast<double>(k * i) * 0.5;
}

TEST(DbCrashChild, AppendsCommitsUntilKilled) {
  const char* dir = std::getenv("ANDON_DB_CRASH_DIR");
  const char* fd_env = std::getenv("ANDON_DB_CRASH_FD");
  if (dir == nullptr || fd_env == nullptr) GTEST_SKIP() << "runs only as the crash test's child";
  int fd = std::atoi(fd_env);
  DbOptions o;
  o.checkpoint_interval = std::chrono::milliseconds(3);
  o.head_keep_ms = 1LL << 40;
  // A fast writer covers weeks of sample time (15 s per commit) within the test: the
  // default 15-day retention would drop its oldest partitions, which are not lost commits.
  o.retention_ms = 1LL << 50;
  auto db = Db::Open(dir, o);
  if (!db.ok()) {
    fprintf(stderr, "child: %s\n", db.status().ToString().c_str());
    _exit(3);
  }
  int64_t max_t = (*db)->Stats().max_time;
  int64_t k = max_t < 0 ? 0 : max_t / kStepMs + 1;
  auto app = (*db)->NewAppender();
  std::vector<SeriesRef> refs(kSeries, 0);
  for (;; ++k) {
    for (int i = 0; i < kSeries; ++i) {
      if (!InCommit(i, k)) continue;
      auto r = app->Append(refs[i], CrashSeries(i), k * kStepMs, CrashValue(i, k));
      if (!r.ok()) {
        fprintf(stderr, "child: append %ld: %s\n", long(k), r.status().ToString().c_str());
        _exit(4);
      }
      refs[i] = *r;
    }
    if (Status st = app->Commit(); !st.ok()) {
      fprintf(stderr, "child: commit %ld: %s\n", long(k), st.ToString().c_str());
      _exit(4);
    }
    if (write(fd, &k, sizeof(k)) != sizeof(k)) _exit(5);
  }
}

class DbCrashTest : public ::testing::Test {
 protected:
  // Runs one writer child for about run_ms after its first acknowledgement, kills it with
  // SIGKILL and returns the commit numbers it acknowledged.
  std::vector<int64_t> RunAndKill(int run_ms) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    std::string exe = fs::read_symlink("/proc/self/exe").string();
    std::string filter = "--gtest_filter=DbCrashChild.*";
    std::vector<std::string> env_strings = {"ANDON_DB_CRASH_DIR=" + tmp_.path(),
                                            "ANDON_DB_CRASH_FD=" + std::to_string(fds[1])};
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    char* argv[] = {exe.data(), filter.data(), nullptr};
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      int null_fd = open("/dev/null", O_WRONLY);
      if (null_fd >= 0) {
        dup2(null_fd, 1);
      }
      execve(exe.c_str(), argv, envp.data());
      _exit(127);
    }
    close(fds[1]);
    std::vector<int64_t> acked;
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
        int64_t k;
        memcpy(&k, buf.data() + i, 8);
        acked.push_back(k);
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

  dbtest::TempDir tmp_;
};

TEST_F(DbCrashTest, EveryAcknowledgedCommitSurvivesKillNineBitExact) {
  std::mt19937 rng(20261122);
  int64_t max_acked = -1;
  for (int round = 0; round < 20; ++round) {
    std::vector<int64_t> got = RunAndKill(std::uniform_int_distribution<int>(5, 120)(rng));
    ASSERT_FALSE(got.empty()) << "round " << round << ": the writer acknowledged nothing";
    max_acked = std::max(max_acked, got.back());

    DbOptions o;
    o.background = false;
    o.head_keep_ms = 1LL << 40;
    auto db = Db::Open(tmp_.path(), o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    dbtest::Dump dump = dbtest::ReadAll(**db, {dbtest::Eq("__name__", "crash_test")});
    ASSERT_EQ(dump.size(), static_cast<size_t>(kSeries)) << "round " << round;
    for (int i = 0; i < kSeries; ++i) {
      const dbtest::Bits& bits = dump[CrashSeries(i).ToString()];
      // Every commit up to the last one acknowledged, and maybe a few unacknowledged ones
      // after it, all in order and without holes.
      size_t n = 0;
      int64_t k = 0;
      for (; n < bits.size(); ++k) {
        if (!InCommit(i, k)) continue;
        ASSERT_EQ(bits[n].first, k * kStepMs)
            << "round " << round << " series " << i << ", last acknowledged commit " << max_acked;
        ASSERT_EQ(bits[n].second, std::bit_cast<uint64_t>(CrashValue(i, k)))
            << "round " << round << " series " << i << " commit " << k;
        ++n;
      }
      int64_t last_acked = max_acked;
      while (!InCommit(i, last_acked)) --last_acked;
      ASSERT_GE(k - 1, last_acked)
          << "round " << round << " series " << i << ": acknowledged commits lost";
    }
    EXPECT_EQ((*db)->head().OutOfOrderSamples(), 0u);
    EXPECT_EQ((*db)->head().DuplicateSamples(), 0u);
    ASSERT_TRUE((*db)->Close().ok());
  }
  EXPECT_GE(max_acked, 19);  // every round acknowledged at least one new commit
}

}  // namespace
}  // namespace andon
