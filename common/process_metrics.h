// common/process_metrics.h
//
// The standard process_* metrics every Prometheus client exports, read from Linux /proc
// at scrape time, and andon_build_info. ReadProcessStats() is the reader behind the
// callbacks, exposed for tests and for /api/v1/status/runtimeinfo. Thread-safe.
#pragma once

#include <string_view>

#include "common/metrics_registry.h"
#include "common/status.h"

namespace andon {

struct ProcessStats {
  double cpu_seconds = 0;            // user + system CPU time
  double resident_memory_bytes = 0;  // RSS
  double virtual_memory_bytes = 0;
  double start_time_seconds = 0;  // Unix time the process started
  double open_fds = 0;
  double max_fds = 0;  // soft RLIMIT_NOFILE
};

// Reads the calling process' figures from /proc/self/stat, /proc/stat (boot time),
// /proc/self/fd and getrlimit; the error names the file that could not be read or parsed.
Result<ProcessStats> ReadProcessStats();

// Registers callback metrics process_cpu_seconds_total (counter),
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds and process_start_time_seconds (gauges). A callback whose /proc read
// fails reports NaN for that scrape. Fails if any of the names is already registered.
Status RegisterProcessMetrics(MetricsRegistry& registry);

// The C heap as glibc's malloc sees it (mallinfo2): bytes handed out to the program, and
// bytes malloc holds free in its arenas (freed but not returned to the system). Together
// they tell a growing working set or leak (in use grows) from fragmentation (free grows).
struct HeapStats {
  double inuse_bytes = 0;
  double free_bytes = 0;
};
HeapStats ReadHeapStats();

// Registers the gauges andon_heap_inuse_bytes and andon_heap_free_bytes (ReadHeapStats at
// scrape time). Fails if either name is already registered.
Status RegisterHeapMetrics(MetricsRegistry& registry);

// Registers the gauge andon_build_info{version,revision,compiler} with value 1; compiler
// is the compiler that built this file, e.g. "gcc 12.2.0".
Status RegisterBuildInfo(MetricsRegistry& registry, std::string_view version,
                         std::string_view revision);

// The compiler name and version as andon_build_info reports it.
std::string_view CompilerVersion();

}  // namespace andon
