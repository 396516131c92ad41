#include "common/process_metrics.h"

#include <dirent.h>
#include <fmt/format.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace andon {
namespace {

struct StatFields {
  double utime_ticks = 0;
  double stime_ticks = 0;
  double start_ticks = 0;  // since boot
  double vsize_bytes = 0;
  double rss_pages = 0;
};

Result<std::string> ReadWholeFile(const char* path) {
  std::ifstream in(path);
  if (!in) return Status::IOError(fmt::format("open {}: cannot read", path));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Result<StatFields> ReadSelfStat() {
  constexpr const char* kPath = "/proc/self/stat";
  auto text = ReadWholeFile(kPath);
  if (!text.ok()) return text.status();
  // The command name in field 2 is parenthesized and may hold spaces or parentheses, so
  // fields are counted from the last ')'. Field 3 (state) is the first after it.
  size_t close = text->rfind(')');
  if (close == std::string::npos) {
    return Status::Corruption(fmt::format("{}: no ')' after the command name", kPath));
  }
  std::istringstream rest(text->substr(close + 1));
  std::vector<std::string> fields{std::istream_iterator<std::string>(rest),
                                  std::istream_iterator<std::string>()};
  auto field = [&](int number, double* out) {  // number as in proc(5)
    size_t i = static_cast<size_t>(number - 3);
    if (i >= fields.size()) return false;
    const std::string& f = fields[i];
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    if (ec != std::errc() || ptr != f.data() + f.size()) return false;
    *out = static_cast<double>(v);
    return true;
  };
  StatFields s;
  if (!field(14, &s.utime_ticks) || !field(15, &s.stime_ticks) || !field(22, &s.start_ticks) ||
      !field(23, &s.vsize_bytes) || !field(24, &s.rss_pages)) {
    return Status::Corruption(fmt::format("{}: unexpected format", kPath));
  }
  return s;
}

Result<double> ReadBootTimeSeconds() {
  constexpr const char* kPath = "/proc/stat";
  std::ifstream in(kPath);
  if (!in) return Status::IOError(fmt::format("open {}: cannot read", kPath));
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("btime ")) {
      uint64_t v = 0;
      std::string_view digits = std::string_view(line).substr(6);
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
      if (ec != std::errc()) break;
      return static_cast<double>(v);
    }
  }
  return Status::Corruption(fmt::format("{}: no btime line", kPath));
}

Result<double> CountOpenFds() {
  constexpr const char* kPath = "/proc/self/fd";
  DIR* dir = opendir(kPath);
  if (dir == nullptr) return Status::IOError(fmt::format("open {}: cannot list", kPath));
  double n = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;
}

double MaxFds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nan("");
  if (limit.rlim_cur == RLIM_INFINITY) return std::numeric_limits<double>::infinity();
  return static_cast<double>(limit.rlim_cur);
}

double ClockTicksPerSecond() { return static_cast<double>(sysconf(_SC_CLK_TCK)); }
double PageSizeBytes() { return static_cast<double>(sysconf(_SC_PAGESIZE)); }

Result<double> StartTimeSeconds(const StatFields& stat) {
  auto boot = ReadBootTimeSeconds();
  if (!boot.ok()) return boot.status();
  return *boot + stat.start_ticks / ClockTicksPerSecond();
}

template <typename F>
double StatOrNaN(F pick) {
  auto stat = ReadSelfStat();
  return stat.ok() ? pick(*stat) : std::nan("");
}

}  // namespace

Result<ProcessStats> ReadProcessStats() {
  auto stat = ReadSelfStat();
  if (!stat.ok()) return stat.status();
  auto start = StartTimeSeconds(*stat);
  if (!start.ok()) return start.status();
  auto fds = CountOpenFds();
  if (!fds.ok()) return fds.status();
  ProcessStats out;
  out.cpu_seconds = (stat->utime_ticks + stat->stime_ticks) / ClockTicksPerSecond();
  out.resident_memory_bytes = stat->rss_pages * PageSizeBytes();
  out.virtual_memory_bytes = stat->vsize_bytes;
  out.start_time_seconds = *start;
  out.open_fds = *fds;
  out.max_fds = MaxFds();
  return out;
}

Status RegisterProcessMetrics(MetricsRegistry& registry) {
  // The start time never changes; read it once, but keep the metric off if it fails.
  auto stat = ReadSelfStat();
  if (!stat.ok()) return stat.status().WithContext("process metrics");
  auto start = StartTimeSeconds(*stat);
  if (!start.ok()) return start.status().WithContext("process metrics");
  double start_time = *start;

  Status statuses[] = {
      registry.RegisterCallbackCounter(
          "process_cpu_seconds_total",
          "CPU time this process has used, user plus system, in seconds.",
          [] {
            return StatOrNaN([](const StatFields& s) {
              return (s.utime_ticks + s.stime_ticks) / ClockTicksPerSecond();
            });
          }),
      registry.RegisterCallbackGauge(
          "process_resident_memory_bytes", "Bytes of this process' memory resident in RAM.",
          [] {
            return StatOrNaN([](const StatFields& s) { return s.rss_pages * PageSizeBytes(); });
          }),
      registry.RegisterCallbackGauge(
          "process_virtual_memory_bytes", "Bytes of virtual address space this process has mapped.",
          [] { return StatOrNaN([](const StatFields& s) { return s.vsize_bytes; }); }),
      registry.RegisterCallbackGauge("process_open_fds", "File descriptors this process has open.",
                                     [] {
                                       auto n = CountOpenFds();
                                       return n.ok() ? *n : std::nan("");
                                     }),
      registry.RegisterCallbackGauge(
          "process_max_fds", "Soft limit on open file descriptors (RLIMIT_NOFILE).", MaxFds),
      registry.RegisterCallbackGauge("process_start_time_seconds",
                                     "Unix time in seconds at which this process started.",
                                     [start_time] { return start_time; }),
  };
  for (const Status& s : statuses) {
    if (!s.ok()) return s.WithContext("process metrics");
  }
  return Status::Ok();
}

HeapStats ReadHeapStats() {
  const struct mallinfo2 info = mallinfo2();
  return HeapStats{.inuse_bytes = static_cast<double>(info.uordblks + info.hblkhd),
                   .free_bytes = static_cast<double>(info.fordblks)};
}

Status RegisterHeapMetrics(MetricsRegistry& registry) {
  Status statuses[] = {
      registry.RegisterCallbackGauge(
          "andon_heap_inuse_bytes",
          "Bytes of the C heap allocated to the program (malloc arenas and mmapped blocks).",
          [] { return ReadHeapStats().inuse_bytes; }),
      registry.RegisterCallbackGauge(
          "andon_heap_free_bytes",
          "Bytes malloc holds free in its arenas, freed by the program but not returned to "
          "the system.",
          [] { return ReadHeapStats().free_bytes; }),
  };
  for (const Status& s : statuses) {
    if (!s.ok()) return s.WithContext("heap metrics");
  }
  return Status::Ok();
}

std::string_view CompilerVersion() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown";
#endif
}

Status RegisterBuildInfo(MetricsRegistry& registry, std::string_view version,
                         std::string_view revision) {
  auto family = registry.RegisterGauge("andon_build_info",
                                       "Always 1; the labels say which andon build is running.",
                                       {"version", "revision", "compiler"});
  if (!family.ok()) return family.status();
  (*family)->WithLabels({version, revision, CompilerVersion()}).Set(1);
  return Status::Ok();
}

}  // namespace andon
