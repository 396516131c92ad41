// common/heap_release.h
//
// ReleaseFreeHeap hands the free pages of glibc's malloc arenas back to the system
// (malloc_trim). By itself glibc returns memory only from the top of an arena: pages freed
// below a live block stay resident. With some forty threads spread over many arenas, and
// buffers of every size freed by threads other than the allocating one (head chunks after a
// checkpoint, scrape bodies, query results), that retained memory grows for long: in a
// 28-minute bench/soak run the heap in use beyond RocksDB's caches and the head stayed at
// 16-21 MiB while malloc's free memory went 8 -> 34 MiB, and one malloc_trim (from gdb) took
// RSS from 102 to 82 MiB at once (bench/README.md, "Soak").
// The server calls it once a minute (cmd/main.cc). It walks each arena under that arena's
// lock, so it is meant for a background timer, not a request path. Thread-safe.
#pragma once

#include <cstdint>

namespace andon {

// Releases the free pages of every malloc arena; returns by how many bytes the resident set
// shrank meanwhile (0 if it did not, e.g. because other threads allocated at the same time).
uint64_t ReleaseFreeHeap();

}  // namespace andon
