#include "cmd/tsdb_import.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "common/labels.h"
#include "scrape/openmetrics_parser.h"
#include "tsdb/db.h"

namespace andon {
namespace {

constexpr size_t kSamplesPerCommit = 10000;
constexpr size_t kReleaseBytes = 64 << 20;  // a multiple of every page size

Result<Labels> SeriesLabels(const scrape::ExpositionParser& p, scrape::LabelsScratch* scratch,
                            LabelsBuilder* builder) {
  p.DecodeLabels(scratch);
  builder->Clear();
  builder->Set("__name__", p.metric_name());
  for (const scrape::LabelPair& l : scratch->labels()) {
    if (l.name == "__name__" || !builder->Get(l.name).empty()) {
      return Status::InvalidArgument("label name \"" + std::string(l.name) + "\" is repeated in " +
                                     std::string(p.series()));
    }
    builder->Set(l.name, l.value);
  }
  return builder->Build();
}

}  // namespace

int ImportOpenMetrics(const std::string& file, const std::string& data_dir) {
  // Mapped, not read: pages already parsed are handed back as the import goes, so memory
  // stays flat however large the file is.
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0) {
    if (fd >= 0) close(fd);
    std::fprintf(stderr, "andon tsdb import: cannot read %s: %s\n", file.c_str(),
                 std::strerror(errno));
    return 2;
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* mapped = size == 0 ? nullptr : mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (mapped == MAP_FAILED) {
    std::fprintf(stderr, "andon tsdb import: cannot map %s: %s\n", file.c_str(),
                 std::strerror(errno));
    return 2;
  }
  madvise(mapped, size, MADV_SEQUENTIAL);
  std::unique_ptr<void, std::function<void(void*)>> unmap(mapped, [size](void* p) {
    if (p != nullptr) munmap(p, size);
  });
  const std::string_view body(static_cast<const char*>(mapped), size);
  size_t released = 0;  // bytes at the front of `body` given back to the kernel

  DbOptions options;
  options.background = false;  // no GC or retention while history is loaded
  auto opened = Db::Open(data_dir, options);
  if (!opened.ok()) {
    std::fprintf(stderr, "andon tsdb import: %s\n", opened.status().message().c_str());
    return 1;
  }
  std::unique_ptr<Db> db = std::move(opened).value();
  auto fail = [&](const std::string& what) {
    std::fprintf(stderr, "andon tsdb import: %s: %s\n", file.c_str(), what.c_str());
    (void)db->Close();
    return 1;
  };

  scrape::OpenMetricsParser parser(body, /*allow_split_families=*/true);
  scrape::LabelsScratch scratch;
  LabelsBuilder builder;
  struct SeriesState {
    SeriesRef ref = 0;
    int64_t last_t = std::numeric_limits<int64_t>::min();
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view v) const { return std::hash<std::string_view>()(v); }
  };
  std::unordered_map<std::string, SeriesState, Hash, std::equal_to<>> series;
  std::unique_ptr<Appender> app = db->NewAppender();
  size_t pending = 0, total = 0;
  for (scrape::ExpositionEntry e; (e = parser.Next()) != scrape::ExpositionEntry::kEof;) {
    if (e == scrape::ExpositionEntry::kError) return fail(parser.status().message());
    if (e != scrape::ExpositionEntry::kSeries) continue;
    std::optional<int64_t> t = parser.timestamp_ms();
    if (!t) return fail("sample without a timestamp: " + std::string(parser.series()));
    auto it = series.find(parser.series());
    bool added = it == series.end();
    if (added) it = series.emplace(std::string(parser.series()), SeriesState()).first;
    if (*t <= it->second.last_t) {
      return fail("sample at timestamp " + std::to_string(*t) + " is not after " +
                  std::to_string(it->second.last_t) + " for series " +
                  std::string(parser.series()) + " (samples must be in time order per series)");
    }
    it->second.last_t = *t;
    Labels labels;
    if (added) {
      Result<Labels> l = SeriesLabels(parser, &scratch, &builder);
      if (!l.ok()) return fail(l.status().message());
      labels = std::move(l).value();
    }
    Result<SeriesRef> ref = app->Append(it->second.ref, labels, *t, parser.value());
    if (!ref.ok()) {
      return fail(ref.status().message() + " for series " + std::string(parser.series()) +
                  " at timestamp " + std::to_string(*t));
    }
    it->second.ref = *ref;
    ++total;
    if (++pending == kSamplesPerCommit) {
      if (Status s = app->Commit(); !s.ok()) return fail(s.message());
      pending = 0;
      size_t consumed = static_cast<size_t>(parser.series().data() - body.data());
      size_t page_aligned = consumed / kReleaseBytes * kReleaseBytes;
      if (page_aligned > released) {
        madvise(static_cast<char*>(mapped) + released, page_aligned - released, MADV_DONTNEED);
        released = page_aligned;
      }
    }
  }
  if (Status s = app->Commit(); !s.ok()) return fail(s.message());
  app.reset();
  if (Status s = db->Checkpoint(); !s.ok()) return fail(s.message());
  if (Status s = db->store().Compact(); !s.ok()) return fail(s.message());
  if (Status s = db->Close(); !s.ok()) {
    std::fprintf(stderr, "andon tsdb import: %s\n", s.message().c_str());
    return 1;
  }
  std::printf("imported %zu samples of %zu series into %s\n", total, series.size(),
              data_dir.c_str());
  return 0;
}

}  // namespace andon
