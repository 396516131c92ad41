#include "common/process_metrics.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/heap_release.h"
#include "common/text_exposition_writer.h"

namespace andon {
namespace {

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(ProcessMetricsTest, ReadsPlausibleFiguresForThisProcess) {
  auto stats = ReadProcessStats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_GT(stats->resident_memory_bytes, 0);
  EXPECT_GE(stats->virtual_memory_bytes, stats->resident_memory_bytes);
  EXPECT_GE(stats->open_fds, 3);  // stdin, stdout, stderr
  EXPECT_GE(stats->max_fds, stats->open_fds);
  EXPECT_GE(stats->cpu_seconds, 0);
  EXPECT_LE(stats->start_time_seconds, NowSeconds() + 1);
  EXPECT_GT(stats->start_time_seconds, NowSeconds() - 86400);
}

TEST(ProcessMetricsTest, OpenFdsCountsAFileThisTestOpens) {
  auto before = ReadProcessStats();
  int fd = open("/proc/self/stat", O_RDONLY);
  ASSERT_GE(fd, 0);
  auto during = ReadProcessStats();
  close(fd);
  ASSERT_TRUE(before.ok() && during.ok());
  EXPECT_EQ(during->open_fds, before->open_fds + 1);
}

TEST(ProcessMetricsTest, RegistersAllProcessFamiliesOnce) {
  MetricsRegistry registry;
  ASSERT_TRUE(RegisterProcessMetrics(registry).ok());
  std::string text = TextExposition(registry.Gather());
  for (const char* line :
       {"# TYPE process_cpu_seconds_total counter\n", "# TYPE process_max_fds gauge\n",
        "# TYPE process_open_fds gauge\n", "# TYPE process_resident_memory_bytes gauge\n",
        "# TYPE process_start_time_seconds gauge\n",
        "# TYPE process_virtual_memory_bytes gauge\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
  }
  EXPECT_EQ(text.find("NaN"), std::string::npos) << text;
  EXPECT_FALSE(RegisterProcessMetrics(registry).ok()) << "names are taken the second time";
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerOwnsMalloc = true;  // glibc's mallinfo2 does not see its heap
#else
constexpr bool kSanitizerOwnsMalloc = false;
#endif

TEST(HeapMetricsTest, InUseCountsABlockThisTestAllocatesAndFreeIsNotNegative) {
  constexpr size_t kBlock = 32 << 20;
  const HeapStats before = ReadHeapStats();
  void* block = std::malloc(kBlock);
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, kBlock);
  const HeapStats during = ReadHeapStats();
  std::free(block);
  const HeapStats after = ReadHeapStats();
  EXPECT_GE(during.free_bytes, 0);
  if (!kSanitizerOwnsMalloc) {
    EXPECT_GE(during.inuse_bytes, before.inuse_bytes + kBlock);
    EXPECT_LT(after.inuse_bytes, during.inuse_bytes);
  }
}

TEST(HeapMetricsTest, RegistersBothGaugesOnce) {
  MetricsRegistry registry;
  ASSERT_TRUE(RegisterHeapMetrics(registry).ok());
  std::string text = TextExposition(registry.Gather());
  EXPECT_NE(text.find("# TYPE andon_heap_inuse_bytes gauge\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE andon_heap_free_bytes gauge\n"), std::string::npos) << text;
  EXPECT_FALSE(RegisterHeapMetrics(registry).ok()) << "names are taken the second time";
}

// Fragments the heap the way the server does (blocks freed below live ones, so malloc cannot
// shrink its arena from the top) and checks that the release gives the free pages back.
TEST(HeapReleaseTest, ReturnsPagesFreedBelowLiveBlocksToTheSystem) {
  constexpr size_t kBlock = 4096;    // far below the mmap threshold: from the arena
  constexpr size_t kBlocks = 16384;  // 64 MiB
  std::vector<char*> blocks(kBlocks);
  for (char*& b : blocks) {
    b = static_cast<char*>(std::malloc(kBlock));
    ASSERT_NE(b, nullptr);
    std::memset(b, 1, kBlock);
  }
  for (size_t i = 0; i < kBlocks; ++i) {
    if (i % 64 != 63) {  // every 64th block stays, the last one included
      std::free(blocks[i]);
      blocks[i] = nullptr;
    }
  }
  const uint64_t released = ReleaseFreeHeap();
  if (!kSanitizerOwnsMalloc) {
    EXPECT_GE(released, uint64_t{32} << 20) << "63 of every 64 pages were free";
  }
  for (char* b : blocks) std::free(b);
}

TEST(ProcessMetricsTest, BuildInfoIsOneWithVersionRevisionAndCompiler) {
  MetricsRegistry registry;
  ASSERT_TRUE(RegisterBuildInfo(registry, "0.1.0", "abc123").ok());
  ASSERT_TRUE(RegisterBuildInfo(registry, "0.1.0", "abc123").ok());
  std::string want = "andon_build_info{version=\"0.1.0\",revision=\"abc123\",compiler=\"" +
                     std::string(CompilerVersion()) + "\"} 1\n";
  std::string text = TextExposition(registry.Gather());
  EXPECT_NE(text.find(want), std::string::npos) << text;
  EXPECT_EQ(text.find(want), text.rfind(want)) << "registered twice, exported once";
  EXPECT_TRUE(CompilerVersion().starts_with("gcc ") || CompilerVersion().starts_with("clang "));
}

}  // namespace
}  // namespace andon
