#include "common/heap_release.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>

namespace andon {
namespace {

// Resident bytes from /proc/self/statm (its second field, in pages); 0 if unreadable.
uint64_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "re");
  if (f == nullptr) return 0;
  unsigned long long size = 0;
  unsigned long long resident = 0;
  const int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

uint64_t ReleaseFreeHeap() {
  const uint64_t before = ResidentBytes();
  ::malloc_trim(0);
  const uint64_t after = ResidentBytes();
  return before > after ? before - after : 0;
}

}  // namespace andon
