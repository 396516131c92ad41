// common/heap_release.h
//
// ReleaseFreeHeap hands the free pages of glibc's malloc arenas back to the system
// (malloc_trim). By itself glibc returns memory only from the top of an arena: pages freed
// below a live block stay resident. With some forty threads spread over many arenas, and
// buffers of every size freed by threads other than the allocating one (head chunks after a
// checkpoint, scrape bodies, query results), that retained memory grows for hours:
// bench/soak saw the heap in use flat at ~45 MiB while malloc's free memory went 5 -> 31 MiB
// and RSS 78 -> 129 MiB in 45 minutes; one malloc_trim took 20 MiB off RSS at once.
// The server calls it once a minute (cmd/main.cc). It walks each arena under that arena's
// lock, so it is meant for a background timer, not a request path. Thread-safe.
#pragma once

#include <cstdint>

namespace andon {

// Releases the free pages of every malloc arena; returns by how many bytes the resident set
// shrank meanwhile (0 if it did not, e.g. because other threads allocated at the same time).
uint64_t ReleaseFreeHeap();

}  // namespace andon
