// tsdb/rocksdb_store.cc
//
// Key layout, WAL record format and versioning: docs/storage-format.md, "RocksDB layout".
#include "tsdb/rocksdb_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_set>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#include "common/logger.h"

namespace andon::tsdb {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kComponent = "tsdb";
constexpr std::string_view kFormatMarker = "andon-tsdb";
constexpr int kFormatVersion = 1;
constexpr std::string_view kLockFile = "andon.lock";
constexpr char kWalRecordKind = 1;

constexpr std::string_view kMetaFormat = "format";
constexpr std::string_view kMetaVersion = "version";
constexpr std::string_view kMetaPartitionWidth = "partition_width_ms";
constexpr std::string_view kMetaWalTruncated = "wal_truncated_upto";
constexpr char kMetaPartitionPrefix = 'P';
constexpr char kMetaWalCursorPrefix = 'C';
constexpr char kMetaTombstonePrefix = 'T';
constexpr std::string_view kSnapshotsDir = "snapshots";

constexpr std::array<std::string_view, 5> kColumnFamilies = {"meta", "series", "postings", "chunks",
                                                             "wal"};

// ---- Encoding primitives ------------------------------------------------------------------

void PutBe64(std::string& out, uint64_t v) {
  char b[8];
  for (int i = 7; i >= 0; --i) {
    b[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out.append(b, 8);
}

uint64_t GetBe64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// GetBe64 over memory RocksDB owns (an iterator's key or value). The Debian library is not
// built with TSan and publishes that memory through atomics TSan cannot see, so
// tests/tsdb/tsan_rocksdb.supp names this one function; it never reads memory Andon writes.
[[gnu::noinline]] uint64_t RocksDbOwnedBe64(const char* p) { return GetBe64(p); }

// Signed values are stored with the sign bit flipped so that byte order is numeric order.
uint64_t Sortable(int64_t v) { return static_cast<uint64_t>(v) ^ (1ull << 63); }
int64_t FromSortable(uint64_t v) { return static_cast<int64_t>(v ^ (1ull << 63)); }

void PutVarint(std::string& out, uint64_t v) {
  char b[10];
  int n = 0;
  while (v >= 0x80) {
    b[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  b[n++] = static_cast<char>(v);
  out.append(b, n);
}

bool GetVarint(const char*& p, const char* end, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift <= 63 && p < end; shift += 7) {
    uint64_t byte = static_cast<unsigned char>(*p++);
    v |= (byte & 0x7f) << shift;
    if (byte < 0x80) return true;
  }
  return false;
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// CRC-32C (Castagnoli), hardware-accelerated where the CPU has SSE4.2.
struct Crc32cTable {
  uint32_t t[256];
  Crc32cTable() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
      t[i] = c;
    }
  }
};

uint32_t Crc32cPortable(const char* p, size_t n) {
  static const Crc32cTable table;
  uint32_t crc = ~0u;
  for (size_t i = 0; i < n; ++i) {
    crc = table.t[(crc ^ static_cast<unsigned char>(p[i])) & 0xff] ^ (crc >> 8);
  }
  return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Crc32cSse42(const char* p, size_t n) {
  uint64_t crc = ~0u;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    crc = _mm_crc32_u64(crc, v);
    p += 8;
    n -= 8;
  }
  auto c = static_cast<uint32_t>(crc);
  while (n-- > 0) c = _mm_crc32_u8(c, static_cast<unsigned char>(*p++));
  return ~c;
}
#endif

uint32_t Crc32c(const char* p, size_t n) {
#if defined(__x86_64__)
  static const bool hw = __builtin_cpu_supports("sse4.2");
  if (hw) return Crc32cSse42(p, n);
#endif
  return Crc32cPortable(p, n);
}

// Postings key components: 0x00 terminates, so 0x00 and 0x01 inside a name or value are
// escaped as 01 01 and 01 02. The escape keeps byte order, and no escaped byte is 0x00.
void PutEscaped(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '\0') {
      out += "\x01\x01";
    } else if (c == '\x01') {
      out += "\x01\x02";
    } else {
      out += c;
    }
  }
  out += '\0';
}

std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x01' && i + 1 < s.size()) {
      out += s[i + 1] == '\x01' ? '\0' : '\x01';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string PartitionKey(int64_t partition) {
  std::string k;
  PutBe64(k, Sortable(partition));
  return k;
}

void PutChunkKey(std::string& k, int64_t partition, uint64_t ref, int64_t mint) {
  PutBe64(k, Sortable(partition));
  PutBe64(k, ref);
  PutBe64(k, Sortable(mint));
}

void PutPostingKey(std::string& k, int64_t partition, std::string_view name, std::string_view value,
                   uint64_t ref) {
  PutBe64(k, Sortable(partition));
  PutEscaped(k, name);
  PutEscaped(k, value);
  PutBe64(k, ref);
}

std::string MetaPartitionKey(int64_t partition) {
  std::string k(1, kMetaPartitionPrefix);
  PutBe64(k, Sortable(partition));
  return k;
}

void EncodeLabels(std::string& out, std::span<const LabelView> labels) {
  PutVarint(out, labels.size());
  for (const LabelView& l : labels) {
    PutVarint(out, l.name.size());
    out.append(l.name);
    PutVarint(out, l.value.size());
    out.append(l.value);
  }
}

bool DecodeLabels(std::string_view in, std::vector<LabelView>& out) {
  out.clear();
  const char* p = in.data();
  const char* end = p + in.size();
  uint64_t n;
  if (!GetVarint(p, end, n) || n > in.size()) return false;
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view parts[2];
    for (auto& part : parts) {
      uint64_t len;
      if (!GetVarint(p, end, len) || len > static_cast<uint64_t>(end - p)) return false;
      part = std::string_view(p, len);
      p += len;
    }
    out.push_back({parts[0], parts[1]});
  }
  return p == end;
}

// WAL record: crc32c(LE, of the rest) | kind | varint n | n x (zigzag dref, zigzag dt, f64 LE)
void EncodeWalRecord(std::string& out, std::span<const WalSample> samples) {
  out.assign(4, '\0');
  out += kWalRecordKind;
  PutVarint(out, samples.size());
  uint64_t prev_ref = 0;
  int64_t prev_t = 0;
  for (const WalSample& s : samples) {
    PutVarint(out, ZigZag(static_cast<int64_t>(s.ref - prev_ref)));
    PutVarint(out, ZigZag(static_cast<int64_t>(static_cast<uint64_t>(s.t_ms) -
                                               static_cast<uint64_t>(prev_t))));
    uint64_t bits;
    std::memcpy(&bits, &s.v, 8);
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(bits >> (8 * i));
    out.append(b, 8);
    prev_ref = s.ref;
    prev_t = s.t_ms;
  }
  uint32_t crc = Crc32c(out.data() + 4, out.size() - 4);
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(crc >> (8 * i));
}

bool DecodeWalRecord(std::string_view in, std::vector<WalSample>& out) {
  out.clear();
  if (in.size() < 6) return false;
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored |= uint32_t{static_cast<unsigned char>(in[i])} << (8 * i);
  if (Crc32c(in.data() + 4, in.size() - 4) != stored || in[4] != kWalRecordKind) return false;
  const char* p = in.data() + 5;
  const char* end = in.data() + in.size();
  uint64_t n;
  if (!GetVarint(p, end, n) || n > in.size()) return false;
  out.reserve(n);
  uint64_t ref = 0;
  int64_t t = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t dref, dt;
    if (!GetVarint(p, end, dref) || !GetVarint(p, end, dt) || end - p < 8) return false;
    ref += static_cast<uint64_t>(UnZigZag(dref));
    t = static_cast<int64_t>(static_cast<uint64_t>(t) + static_cast<uint64_t>(UnZigZag(dt)));
    uint64_t bits = 0;
    for (int k = 0; k < 8; ++k) bits |= uint64_t{static_cast<unsigned char>(p[k])} << (8 * k);
    p += 8;
    double v;
    std::memcpy(&v, &bits, 8);
    out.push_back({ref, t, v});
  }
  return p == end;
}

bool StartsWith(const rocksdb::Slice& s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0;
}

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string m = fmt::format("{}: {}", what, s.ToString());
  if (s.IsCorruption()) return Status::Corruption(std::move(m));
  if (s.IsNotFound()) return Status::NotFound(std::move(m));
  if (s.IsNoSpace()) return Status::ResourceExhausted(std::move(m));
  if (s.IsInvalidArgument()) return Status::InvalidArgument(std::move(m));
  return Status::IOError(std::move(m));
}

class NullLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

enum class DirKind { kEmpty, kRocksDb, kForeign };

Result<DirKind> ClassifyDir(const std::string& dir, std::string* seen) {
  std::error_code ec;
  bool rocks = false, other = false;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name == "lost+found" || name == kLockFile) continue;
    if (name == "CURRENT") rocks = true;
    if (!seen->empty()) *seen += ", ";
    if (seen->size() < 200) *seen += name;
    other = true;
  }
  if (ec) return Status::IOError(fmt::format("read data dir {}: {}", dir, ec.message()));
  if (rocks) return DirKind::kRocksDb;
  return other ? DirKind::kForeign : DirKind::kEmpty;
}

rocksdb::ColumnFamilyOptions ColumnFamilyOptionsFor(std::string_view name, const StoreOptions& o,
                                                    const std::shared_ptr<rocksdb::Cache>& cache) {
  static const std::vector<rocksdb::CompressionType> supported =
      rocksdb::GetSupportedCompressions();
  auto have = [](rocksdb::CompressionType t) {
    return std::find(supported.begin(), supported.end(), t) != supported.end();
  };
  rocksdb::CompressionType lz4 =
      have(rocksdb::kLZ4Compression) ? rocksdb::kLZ4Compression : rocksdb::kSnappyCompression;
  rocksdb::CompressionType zstd = have(rocksdb::kZSTD) ? rocksdb::kZSTD : lz4;

  rocksdb::ColumnFamilyOptions cf;
  cf.level_compaction_dynamic_level_bytes = true;
  cf.write_buffer_size = o.write_buffer_bytes;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.format_version = 5;
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;

  if (name == "chunks") {
    // Chunk payloads are already Gorilla-/delta-encoded: cheap lz4 while data churns
    // through the upper levels, zstd where it settles.
    cf.compression = lz4;
    cf.bottommost_compression = zstd;
    cf.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(16));  // partition + ref
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.whole_key_filtering = false;
    table.block_size = 16 * 1024;
  } else if (name == "postings") {
    cf.compression = lz4;
    cf.bottommost_compression = zstd;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  } else if (name == "series") {
    cf.compression = lz4;
    cf.bottommost_compression = zstd;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  } else if (name == "wal") {
    // Written once, read only on replay, deleted once chunks persist. Measured on scrape-like
    // batches (bench/rocksdb_store_bench.cc): none 10.4 B/sample, lz4 10.3, zstd 7.4 at
    // about the same LogBatch throughput (compression runs in background flushes).
    cf.compression = zstd;
  } else {
    cf.write_buffer_size = 4 << 20;
    cf.compression = rocksdb::kNoCompression;
  }
  if (table.filter_policy != nullptr) {
    // Partitioned filters: a postings SST of a million series holds ~10M keys, whose
    // monolithic filter (~12 MB) does not stay in a cache shard, so every PutChunk's
    // postings lookup re-read and re-checksummed it; partitions are 4 KiB each.
    table.partition_filters = true;
    table.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
    table.metadata_block_size = 4096;
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

struct ProbeResult {
  bool initialized = false;  // meta carries the Andon marker
};

// Reads a RocksDB dir read-only (no info log, no lock, no file written) and decides
// whether this build may open it.
Result<ProbeResult> ProbeExisting(const std::string& dir, rocksdb::Env* env) {
  rocksdb::Options options;
  if (env != nullptr) options.env = env;
  options.info_log = std::make_shared<NullLogger>();
  std::vector<std::string> cfs;
  rocksdb::Status rs = rocksdb::DB::ListColumnFamilies(options, dir, &cfs);
  if (!rs.ok()) {
    return Status::InvalidArgument(fmt::format(
        "refusing to open {}: it is not a readable RocksDB database ({})", dir, rs.ToString()));
  }
  if (std::find(cfs.begin(), cfs.end(), "meta") == cfs.end()) {
    return Status::InvalidArgument(
        fmt::format("refusing to open {}: it is a RocksDB database of another application (column "
                    "families: {}), not an Andon TSDB; it was left untouched",
                    dir, fmt::join(cfs, ", ")));
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const std::string& name : cfs) descs.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rs = rocksdb::DB::OpenForReadOnly(options, dir, descs, &handles, &raw);
  if (!rs.ok()) {
    return Status::InvalidArgument(fmt::format(
        "refusing to open {}: cannot read it as an Andon TSDB ({})", dir, rs.ToString()));
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  auto close = [&] {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    db.reset();
  };
  rocksdb::ColumnFamilyHandle* meta =
      handles[std::find(cfs.begin(), cfs.end(), "meta") - cfs.begin()];
  std::string format, version;
  rocksdb::Status fs_ = db->Get(rocksdb::ReadOptions(), meta, kMetaFormat, &format);
  rocksdb::Status vs = db->Get(rocksdb::ReadOptions(), meta, kMetaVersion, &version);
  ProbeResult result;
  if (fs_.IsNotFound()) {
    // Created but crashed before the marker was written: accept only if it holds nothing.
    bool ours = cfs.size() == kColumnFamilies.size() + 1;
    for (size_t i = 0; ours && i < handles.size(); ++i) {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[i]));
      it->SeekToFirst();
      if (it->Valid() || !it->status().ok()) ours = false;
    }
    close();
    if (!ours) {
      return Status::InvalidArgument(fmt::format(
          "refusing to open {}: it is a RocksDB database without the Andon TSDB marker; it "
          "was left untouched",
          dir));
    }
    return result;
  }
  close();
  if (!fs_.ok() || !vs.ok()) {
    return Status::IOError(
        fmt::format("open {}: read format marker: {}", dir, (!fs_.ok() ? fs_ : vs).ToString()));
  }
  if (format != kFormatMarker) {
    return Status::InvalidArgument(
        fmt::format("refusing to open {}: format marker is \"{}\", not \"{}\"; it was left "
                    "untouched",
                    dir, format, kFormatMarker));
  }
  int v = std::atoi(version.c_str());
  if (v <= 0 || v > kFormatVersion) {
    return Status::InvalidArgument(fmt::format(
        "refusing to open {}: it was written in format version {}, this build of Andon reads "
        "up to version {} (upgrade Andon); it was left untouched",
        dir, version, kFormatVersion));
  }
  result.initialized = true;
  return result;
}

}  // namespace

// ---- StoredChunkIterator ------------------------------------------------------------------------

StoredChunkIterator::StoredChunkIterator(const RocksDbStore* store, uint64_t ref, int64_t mint,
                                         int64_t maxt)
    : store_(store),
      ref_(ref),
      created_mint_(mint),
      created_maxt_(maxt),
      range_mint_(mint),
      range_maxt_(maxt) {
  Renew();
}
StoredChunkIterator::StoredChunkIterator(StoredChunkIterator&&) noexcept = default;
StoredChunkIterator& StoredChunkIterator::operator=(StoredChunkIterator&&) noexcept = default;
StoredChunkIterator::~StoredChunkIterator() = default;

void StoredChunkIterator::Reset(uint64_t ref, int64_t mint, int64_t maxt) {
  ref_ = ref;
  range_mint_ = std::max(mint, created_mint_);
  range_maxt_ = std::min(maxt, created_maxt_);
  next_partition_ = 0;
  positioned_ = false;
  bytes_ = {};
}

void StoredChunkIterator::Renew() {
  // Total order: a Seek skips the prefix bloom filters. The series' postings put it in the
  // partition already, so they would answer "maybe" anyway; Next() checks the prefix itself.
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  it_.reset();  // unpin the old view before taking the new one
  it_.reset(store_->db_->NewIterator(ro, store_->chunks_));
  partitions_ = store_->PartitionsOverlapping(created_mint_, created_maxt_);
  Reset(ref_, range_mint_, range_maxt_);
}

bool StoredChunkIterator::SeekPartition() {
  // Partitions are in increasing order: one starting after range_maxt_ ends the series.
  if (next_partition_ >= partitions_.size() || range_mint_ > range_maxt_ ||
      partitions_[next_partition_] > store_->PartitionOf(range_maxt_)) {
    return false;
  }
  std::string k;
  PutBe64(k, Sortable(partitions_[next_partition_++]));
  PutBe64(k, ref_);
  std::memcpy(prefix_, k.data(), 16);
  it_->Seek(k);
  positioned_ = true;
  return true;
}

bool StoredChunkIterator::Next() {
  if (it_ == nullptr || !status_.ok()) return false;
  if (positioned_ && it_->Valid()) it_->Next();
  for (;;) {
    if (!positioned_ && !SeekPartition()) return false;
    if (!it_->status().ok()) {
      status_ = FromRocks(it_->status(), fmt::format("read chunks of series {}", ref_));
      return false;
    }
    if (!it_->Valid() || !StartsWith(it_->key(), std::string_view(prefix_, 16))) {
      positioned_ = false;
      continue;
    }
    rocksdb::Slice key = it_->key(), value = it_->value();
    if (key.size() != 24 || value.size() < 8) {
      status_ = Status::Corruption(fmt::format("chunk of series {}: malformed key/value", ref_));
      return false;
    }
    mint_ = FromSortable(RocksDbOwnedBe64(key.data() + 16));
    maxt_ = FromSortable(RocksDbOwnedBe64(value.data()));
    if (mint_ > range_maxt_) {
      positioned_ = false;  // later chunks of this partition start later still
      continue;
    }
    if (maxt_ < range_mint_) {
      it_->Next();
      continue;
    }
    bytes_ = std::string_view(value.data() + 8, value.size() - 8);
    return true;
  }
}

// ---- Open / close -------------------------------------------------------------------------

Result<std::unique_ptr<RocksDbStore>> RocksDbStore::Open(const std::string& dir,
                                                         const StoreOptions& options) {
  std::unique_ptr<RocksDbStore> store(new RocksDbStore());
  Status s = store->Init(dir, options);
  if (!s.ok()) return s;
  return store;
}

RocksDbStore::~RocksDbStore() {
  if (db_ != nullptr) {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    rocksdb::Status s = db_->Close();
    if (!s.ok()) LogWarn(kComponent, "close failed", {{"dir", dir_}, {"err", s.ToString()}});
    delete db_;
  }
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the flock
}

Status RocksDbStore::Init(const std::string& dir, const StoreOptions& options) {
  dir_ = dir;
  sync_ = options.sync;
  if (options.partition_width_ms <= 0) {
    return Status::InvalidArgument(fmt::format("open {}: partition width must be positive", dir));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("create data dir {}: {}", dir, ec.message()));
  std::string seen;
  Result<DirKind> kind = ClassifyDir(dir, &seen);
  if (!kind.ok()) return kind.status();
  if (*kind == DirKind::kForeign) {
    return Status::InvalidArgument(fmt::format(
        "refusing to open {}: it holds files that are not an Andon TSDB ({}); use an empty "
        "dir or an Andon data dir; it was left untouched",
        dir, seen));
  }

  auto lock = [&]() -> Status {
    std::string path = (fs::path(dir) / kLockFile).string();
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return Status::IOError(fmt::format("open lock file {}: {}", path, std::strerror(errno)));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      char buf[32] = {};
      ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
      ::close(fd);
      std::string holder;
      if (n > 0)
        holder = fmt::format(
            " by pid {}", std::string_view(buf, n).substr(0, std::string_view(buf, n).find('\n')));
      if (err == EWOULDBLOCK) {
        return Status::Unavailable(
            fmt::format("{} is in use by another andon (lock {} held{})", dir, path, holder));
      }
      return Status::IOError(fmt::format("lock {}: {}", path, std::strerror(err)));
    }
    std::string pid = fmt::format("{}\n", ::getpid());
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      LogWarn(kComponent, "cannot write pid to lock file", {{"path", path}});
    }
    lock_fd_ = fd;
    return Status::Ok();
  };

  bool fresh = *kind == DirKind::kEmpty;
  if (fresh || fs::exists(fs::path(dir) / kLockFile, ec)) {
    if (Status s = lock(); !s.ok()) return s;
  }
  if (*kind == DirKind::kRocksDb) {
    Result<ProbeResult> probe = ProbeExisting(dir, options.env);
    if (!probe.ok()) return probe.status();
    fresh = !probe->initialized;
  }
  if (lock_fd_ < 0) {
    if (Status s = lock(); !s.ok()) return s;
  }

  rocksdb::DBOptions dbo;
  if (options.env != nullptr) dbo.env = options.env;
  dbo.create_if_missing = fresh;
  dbo.create_missing_column_families = true;
  dbo.max_background_jobs = options.max_background_jobs;
  dbo.bytes_per_sync = 1 << 20;
  dbo.keep_log_file_num = 5;
  dbo.max_log_file_size = 16 << 20;
  dbo.max_total_wal_size = 4 * options.write_buffer_bytes;
  dbo.max_manifest_file_size = 64 << 20;

  // Few shards: a shard must hold the largest filter block (~1.2 MB for a million series
  // rows) or every point lookup re-reads and re-checksums it from the file.
  block_cache_ = rocksdb::NewLRUCache(options.block_cache_bytes, /*num_shard_bits=*/2);
  std::vector<std::string> names = {rocksdb::kDefaultColumnFamilyName};
  names.insert(names.end(), kColumnFamilies.begin(), kColumnFamilies.end());
  if (!fresh) {
    std::vector<std::string> existing;
    if (rocksdb::DB::ListColumnFamilies(dbo, dir, &existing).ok()) {
      for (const std::string& n : existing) {
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
      }
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const std::string& n : names) {
    descs.emplace_back(n, ColumnFamilyOptionsFor(n, options, block_cache_));
  }
  rocksdb::Status rs = rocksdb::DB::Open(dbo, dir, descs, &handles_, &db_);
  if (!rs.ok()) {
    db_ = nullptr;
    handles_.clear();
    return FromRocks(rs, fmt::format("open tsdb {}", dir));
  }
  meta_ = handles_[1];
  series_ = handles_[2];
  postings_ = handles_[3];
  chunks_ = handles_[4];
  wal_ = handles_[5];

  if (fresh) {
    rocksdb::WriteBatch batch;
    batch.Put(meta_, kMetaFormat, kFormatMarker);
    batch.Put(meta_, kMetaVersion, std::to_string(kFormatVersion));
    batch.Put(meta_, kMetaPartitionWidth, std::to_string(options.partition_width_ms));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    if (Status s = FromRocks(db_->Write(wo, &batch), fmt::format("initialize tsdb {}", dir));
        !s.ok()) {
      return s;
    }
    LogInfo(kComponent, "created tsdb",
            {{"dir", dir}, {"format_version", std::to_string(kFormatVersion)}});
  }
  return LoadMeta();
}

Status RocksDbStore::LoadMeta() {
  rocksdb::ReadOptions ro;
  std::string v;
  rocksdb::Status rs = db_->Get(ro, meta_, kMetaPartitionWidth, &v);
  if (!rs.ok()) return FromRocks(rs, fmt::format("open {}: read partition width", dir_));
  partition_width_ = std::atoll(v.c_str());
  if (partition_width_ <= 0) {
    return Status::Corruption(fmt::format("open {}: bad partition width \"{}\"", dir_, v));
  }
  rs = db_->Get(ro, meta_, kMetaWalTruncated, &v);
  if (rs.ok() && v.size() == 8) {
    wal_truncated_upto_ = GetBe64(v.data());
  } else if (!rs.IsNotFound()) {
    return FromRocks(rs, fmt::format("open {}: read WAL truncation point", dir_));
  }

  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, meta_));
  std::string prefix(1, kMetaPartitionPrefix);
  for (it->Seek(prefix); it->Valid() && StartsWith(it->key(), prefix); it->Next()) {
    if (it->key().size() != 9 || it->value().size() != 8) {
      return Status::Corruption(fmt::format("open {}: malformed partition meta", dir_));
    }
    partitions_[FromSortable(RocksDbOwnedBe64(it->key().data() + 1))] =
        FromSortable(RocksDbOwnedBe64(it->value().data()));
  }
  if (!it->status().ok()) return FromRocks(it->status(), fmt::format("open {}: read meta", dir_));

  it.reset(db_->NewIterator(ro, wal_));
  it->SeekToLast();
  uint64_t last = wal_truncated_upto_;
  if (it->Valid() && it->key().size() == 8) {
    last = std::max(last, RocksDbOwnedBe64(it->key().data()));
  }
  if (!it->status().ok()) return FromRocks(it->status(), fmt::format("open {}: read WAL", dir_));
  next_seq_.store(last + 1);
  return Status::Ok();
}

// ---- WAL ----------------------------------------------------------------------------------

Status RocksDbStore::LogBatch(std::span<const WalSeries> new_series,
                              std::span<const WalSample> samples, uint64_t* seq_out) {
  thread_local rocksdb::WriteBatch batch;
  thread_local std::string key, value;
  if (seq_out != nullptr) *seq_out = 0;
  batch.Clear();
  for (const WalSeries& s : new_series) {
    key.clear();
    PutBe64(key, s.ref);
    value.clear();
    EncodeLabels(value, s.labels);
    batch.Put(series_, key, value);
  }
  uint64_t seq = 0;
  if (!samples.empty()) {
    seq = next_seq_.fetch_add(1, std::memory_order_acq_rel);
    key.clear();
    PutBe64(key, seq);
    EncodeWalRecord(value, samples);
    batch.Put(wal_, key, value);
  }
  if (batch.Count() == 0) return Status::Ok();
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  rocksdb::Status rs = db_->Write(wo, &batch);
  if (!rs.ok()) {
    return FromRocks(rs, fmt::format("tsdb {}: log batch seq {} ({} series, {} samples)", dir_, seq,
                                     new_series.size(), samples.size()));
  }
  if (seq_out != nullptr) *seq_out = seq;
  return Status::Ok();
}

Result<ReplayStats> RocksDbStore::Replay(const SeriesCallback& on_series,
                                         const SamplesCallback& on_samples) {
  ReplayStats stats;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::vector<LabelView> labels;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, series_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8 || !DecodeLabels(it->value().ToStringView(), labels)) {
      return Status::Corruption(
          fmt::format("replay {}: malformed series row (key {})", dir_, it->key().ToString(true)));
    }
    uint64_t ref = RocksDbOwnedBe64(it->key().data());
    if (Status s = on_series(ref, labels); !s.ok()) return s;
    ++stats.series;
  }
  if (!it->status().ok()) return FromRocks(it->status(), fmt::format("replay {}: series", dir_));

  std::string lower;
  {
    std::lock_guard<std::mutex> l(write_mu_);
    PutBe64(lower, wal_truncated_upto_ + 1);
  }
  rocksdb::Slice lower_slice(lower);
  ro.iterate_lower_bound = &lower_slice;
  std::vector<WalSample> samples;
  it.reset(db_->NewIterator(ro, wal_));
  for (it->Seek(lower); it->Valid(); it->Next()) {
    uint64_t seq = it->key().size() == 8 ? RocksDbOwnedBe64(it->key().data()) : 0;
    if (seq == 0 || !DecodeWalRecord(it->value().ToStringView(), samples)) {
      ++stats.corrupt_records;
      stats.corrupt_seqs.push_back(seq);
      LogError(kComponent, "skipping corrupt WAL record",
               {{"dir", dir_},
                {"seq", std::to_string(seq)},
                {"bytes", std::to_string(it->value().size())}});
      continue;
    }
    if (Status s = on_samples(seq, samples); !s.ok()) return s;
    ++stats.records;
    stats.samples += samples.size();
  }
  if (!it->status().ok()) return FromRocks(it->status(), fmt::format("replay {}: WAL", dir_));
  if (stats.corrupt_records > 0) {
    LogWarn(kComponent, "WAL replay skipped corrupt records",
            {{"dir", dir_},
             {"corrupt_records", std::to_string(stats.corrupt_records)},
             {"records", std::to_string(stats.records)}});
  }
  return stats;
}

uint64_t RocksDbStore::WalTruncatedUpto() const {
  std::lock_guard<std::mutex> l(write_mu_);
  return wal_truncated_upto_;
}

Result<uint64_t> RocksDbStore::ReadWal(uint64_t from_seq, uint64_t upto_seq, size_t max_samples,
                                       const SamplesCallback& on_samples) const {
  if (from_seq == 0) from_seq = 1;
  if (from_seq > upto_seq) return from_seq - 1;
  std::string lower, upper;
  PutBe64(lower, from_seq);
  PutBe64(upper, upto_seq + 1);
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.iterate_lower_bound = &lower_slice;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, wal_));
  std::vector<WalSample> samples;
  size_t delivered = 0;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    uint64_t seq = it->key().size() == 8 ? RocksDbOwnedBe64(it->key().data()) : 0;
    if (seq == 0 || !DecodeWalRecord(it->value().ToStringView(), samples)) {
      LogError(kComponent, "skipping corrupt WAL record while reading",
               {{"dir", dir_}, {"seq", std::to_string(seq)}});
      continue;
    }
    if (Status s = on_samples(seq, samples); !s.ok()) return s;
    delivered += samples.size();
    if (delivered >= max_samples) return seq;
  }
  if (!it->status().ok()) {
    return FromRocks(it->status(), fmt::format("tsdb {}: read WAL from seq {}", dir_, from_seq));
  }
  return upto_seq;
}

namespace {
std::string WalCursorKey(std::string_view name) {
  std::string key(1, kMetaWalCursorPrefix);
  key.append(name);
  return key;
}
}  // namespace

Status RocksDbStore::PutWalCursor(std::string_view name, uint64_t seq) {
  std::string value;
  PutBe64(value, seq);
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  return FromRocks(db_->Put(wo, meta_, WalCursorKey(name), value),
                   fmt::format("tsdb {}: store WAL cursor {}", dir_, name));
}

Status RocksDbStore::DeleteWalCursor(std::string_view name) {
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  return FromRocks(db_->Delete(wo, meta_, WalCursorKey(name)),
                   fmt::format("tsdb {}: delete WAL cursor {}", dir_, name));
}

Result<std::map<std::string, uint64_t>> RocksDbStore::WalCursors() const {
  std::map<std::string, uint64_t> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  const std::string prefix(1, kMetaWalCursorPrefix);
  for (it->Seek(prefix); it->Valid() && StartsWith(it->key(), prefix); it->Next()) {
    if (it->value().size() != 8) {
      return Status::Corruption(
          fmt::format("tsdb {}: malformed WAL cursor {}", dir_, it->key().ToString(true)));
    }
    out[it->key().ToString().substr(1)] = RocksDbOwnedBe64(it->value().data());
  }
  if (!it->status().ok()) {
    return FromRocks(it->status(), fmt::format("tsdb {}: read WAL cursors", dir_));
  }
  return out;
}

// ---- Tombstones ---------------------------------------------------------------------------

Status RocksDbStore::PutTombstones(const Tombstones& tombstones) {
  rocksdb::WriteBatch batch;
  for (const auto& [ref, intervals] : tombstones) {
    std::string key(1, kMetaTombstonePrefix);
    PutBe64(key, ref);
    if (intervals.empty()) {
      batch.Delete(meta_, key);
      continue;
    }
    std::string value;
    for (const TimeInterval& iv : intervals) {
      PutBe64(value, Sortable(iv.mint));
      PutBe64(value, Sortable(iv.maxt));
    }
    batch.Put(meta_, key, value);
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  return FromRocks(db_->Write(wo, &batch), fmt::format("tsdb {}: store tombstones", dir_));
}

Result<Tombstones> RocksDbStore::ReadTombstones() const {
  Tombstones out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_));
  const std::string prefix(1, kMetaTombstonePrefix);
  for (it->Seek(prefix); it->Valid() && StartsWith(it->key(), prefix); it->Next()) {
    rocksdb::Slice v = it->value();
    if (it->key().size() != 9 || v.size() % 16 != 0) {
      return Status::Corruption(
          fmt::format("tsdb {}: malformed tombstone {}", dir_, it->key().ToString(true)));
    }
    std::vector<TimeInterval>& intervals = out[RocksDbOwnedBe64(it->key().data() + 1)];
    for (size_t i = 0; i < v.size(); i += 16) {
      intervals.push_back({FromSortable(RocksDbOwnedBe64(v.data() + i)),
                           FromSortable(RocksDbOwnedBe64(v.data() + i + 8))});
    }
  }
  if (!it->status().ok()) {
    return FromRocks(it->status(), fmt::format("tsdb {}: read tombstones", dir_));
  }
  return out;
}

Status RocksDbStore::TruncateWal(uint64_t upto_seq) {
  std::lock_guard<std::mutex> l(write_mu_);
  if (upto_seq <= wal_truncated_upto_) return Status::Ok();
  std::string begin, end, mark;
  PutBe64(begin, 0);
  PutBe64(end, upto_seq + 1);
  PutBe64(mark, upto_seq);
  rocksdb::WriteBatch batch;
  batch.DeleteRange(wal_, begin, end);
  batch.Put(meta_, kMetaWalTruncated, mark);
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  if (Status s = FromRocks(db_->Write(wo, &batch),
                           fmt::format("tsdb {}: truncate WAL up to seq {}", dir_, upto_seq));
      !s.ok()) {
    return s;
  }
  wal_truncated_upto_ = upto_seq;
  uint64_t next = next_seq_.load();
  while (next <= upto_seq && !next_seq_.compare_exchange_weak(next, upto_seq + 1)) {
  }
  return Status::Ok();
}

// ---- Series -------------------------------------------------------------------------------

Result<std::vector<StoredLabel>> RocksDbStore::ReadSeries(uint64_t ref) const {
  std::string key, value;
  PutBe64(key, ref);
  rocksdb::Status rs = db_->Get(rocksdb::ReadOptions(), series_, key, &value);
  if (!rs.ok()) return FromRocks(rs, fmt::format("tsdb {}: read series {}", dir_, ref));
  std::vector<LabelView> views;
  if (!DecodeLabels(value, views)) {
    return Status::Corruption(fmt::format("tsdb {}: series {}: malformed labels", dir_, ref));
  }
  std::vector<StoredLabel> out;
  out.reserve(views.size());
  for (const LabelView& l : views) out.push_back({std::string(l.name), std::string(l.value)});
  return out;
}

Result<uint64_t> RocksDbStore::MaxSeriesRef() const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), series_));
  it->SeekToLast();
  if (!it->status().ok()) return FromRocks(it->status(), fmt::format("tsdb {}: series", dir_));
  return it->Valid() && it->key().size() == 8 ? RocksDbOwnedBe64(it->key().data()) : 0;
}

Result<uint64_t> RocksDbStore::SweepSeries(const std::function<bool(uint64_t)>& is_live) {
  std::lock_guard<std::mutex> l(write_mu_);
  Result<std::vector<uint64_t>> referenced =
      AllRefsInRange(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
  if (!referenced.ok()) return referenced.status();
  std::unordered_set<uint64_t> keep(referenced->begin(), referenced->end());
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), series_));
  rocksdb::WriteBatch batch;
  uint64_t deleted = 0;
  auto flush = [&]() -> Status {
    Status s = FromRocks(db_->Write(rocksdb::WriteOptions(), &batch),
                         fmt::format("tsdb {}: sweep series", dir_));
    batch.Clear();
    return s;
  };
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) continue;
    uint64_t ref = RocksDbOwnedBe64(it->key().data());
    if (keep.count(ref) != 0 || is_live(ref)) continue;
    batch.Delete(series_, it->key());
    ++deleted;
    if (batch.Count() >= 10000) {
      if (Status s = flush(); !s.ok()) return s;
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), fmt::format("tsdb {}: sweep", dir_));
  if (batch.Count() > 0) {
    if (Status s = flush(); !s.ok()) return s;
  }
  return deleted;
}

// ---- Chunks -------------------------------------------------------------------------------

int64_t RocksDbStore::PartitionOf(int64_t t_ms) const {
  int64_t p = t_ms / partition_width_;
  if (t_ms % partition_width_ != 0 && t_ms < 0) --p;
  return p;
}

std::vector<int64_t> RocksDbStore::PartitionsOverlapping(int64_t mint, int64_t maxt) const {
  std::vector<int64_t> out;
  if (mint > maxt) return out;
  int64_t last = PartitionOf(maxt);
  std::shared_lock<std::shared_mutex> l(partitions_mu_);
  for (const auto& [p, pmaxt] : partitions_) {
    if (p > last) break;
    if (pmaxt >= mint) out.push_back(p);
  }
  return out;
}

Status RocksDbStore::PutChunk(uint64_t ref, int64_t mint, int64_t maxt, std::string_view bytes) {
  if (maxt < mint) {
    return Status::InvalidArgument(
        fmt::format("tsdb {}: put chunk of series {}: maxt {} < mint {}", dir_, ref, maxt, mint));
  }
  std::lock_guard<std::mutex> l(write_mu_);
  int64_t p = PartitionOf(mint);
  rocksdb::WriteBatch batch;
  std::string key, value;
  PutChunkKey(key, p, ref, mint);
  PutBe64(value, Sortable(maxt));
  value.append(bytes);
  batch.Put(chunks_, key, value);

  key.clear();
  PutPostingKey(key, p, "", "", ref);
  std::string unused;
  rocksdb::Status rs = db_->Get(rocksdb::ReadOptions(), postings_, key, &unused);
  if (rs.IsNotFound()) {
    batch.Put(postings_, key, rocksdb::Slice());
    std::string skey, row;
    PutBe64(skey, ref);
    rs = db_->Get(rocksdb::ReadOptions(), series_, skey, &row);
    if (rs.IsNotFound()) {
      return Status::NotFound(
          fmt::format("tsdb {}: put chunk of series {}: series was never logged", dir_, ref));
    }
    if (!rs.ok()) return FromRocks(rs, fmt::format("tsdb {}: read series {}", dir_, ref));
    std::vector<LabelView> labels;
    if (!DecodeLabels(row, labels)) {
      return Status::Corruption(fmt::format("tsdb {}: series {}: malformed labels", dir_, ref));
    }
    for (const LabelView& lv : labels) {
      key.clear();
      PutPostingKey(key, p, lv.name, lv.value, ref);
      batch.Put(postings_, key, rocksdb::Slice());
    }
  } else if (!rs.ok()) {
    return FromRocks(rs, fmt::format("tsdb {}: read postings of series {}", dir_, ref));
  }

  bool raise;
  {
    std::shared_lock<std::shared_mutex> pl(partitions_mu_);
    auto it = partitions_.find(p);
    raise = it == partitions_.end() || it->second < maxt;
  }
  if (raise) {
    std::string m;
    PutBe64(m, Sortable(maxt));
    batch.Put(meta_, MetaPartitionKey(p), m);
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  if (Status s = FromRocks(db_->Write(wo, &batch),
                           fmt::format("tsdb {}: put chunk of series {} at {}", dir_, ref, mint));
      !s.ok()) {
    return s;
  }
  if (raise) {
    std::unique_lock<std::shared_mutex> pl(partitions_mu_);
    partitions_[p] = maxt;
  }
  return Status::Ok();
}

StoredChunkIterator RocksDbStore::Chunks(uint64_t ref, int64_t mint, int64_t maxt) const {
  return StoredChunkIterator(this, ref, mint, maxt);
}

Status RocksDbStore::DeleteChunk(uint64_t ref, int64_t mint) {
  std::lock_guard<std::mutex> l(write_mu_);
  const int64_t p = PartitionOf(mint);
  std::string key;
  PutChunkKey(key, p, ref, mint);
  rocksdb::WriteBatch batch;
  batch.Delete(chunks_, key);

  // Another chunk of ref left in partition p keeps its postings there.
  bool others = false;
  rocksdb::ReadOptions ro;
  ro.prefix_same_as_start = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, chunks_));
  const std::string_view prefix(key.data(), 16);
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
       it->Valid() && StartsWith(it->key(), prefix); it->Next()) {
    if (it->key() != key) {
      others = true;
      break;
    }
  }
  if (!it->status().ok()) {
    return FromRocks(it->status(), fmt::format("tsdb {}: delete chunk of series {}", dir_, ref));
  }
  if (!others) {
    Result<std::vector<StoredLabel>> labels = ReadSeries(ref);
    if (!labels.ok() && labels.status().code() != Status::Code::kNotFound) return labels.status();
    std::string pk;
    PutPostingKey(pk, p, "", "", ref);
    batch.Delete(postings_, pk);
    if (labels.ok()) {
      for (const StoredLabel& lv : *labels) {
        pk.clear();
        PutPostingKey(pk, p, lv.name, lv.value, ref);
        batch.Delete(postings_, pk);
      }
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  return FromRocks(db_->Write(wo, &batch),
                   fmt::format("tsdb {}: delete chunk of series {} at {}", dir_, ref, mint));
}

// ---- Postings -----------------------------------------------------------------------------

namespace {

// Walks the distinct escaped values of one label name in a partition: calls visit(value
// escaped, prefix_with_value) and, when it returns true, leaves the iterator on the
// first posting of that value for the caller to consume.
template <typename Visit>
void ScanValues(rocksdb::Iterator* it, const std::string& name_prefix, Visit visit) {
  it->Seek(name_prefix);
  std::string seek;
  while (it->Valid() && StartsWith(it->key(), name_prefix)) {
    std::string_view rest(it->key().data() + name_prefix.size(),
                          it->key().size() - name_prefix.size());
    size_t end = rest.find('\0');
    if (end == std::string_view::npos) return;
    std::string value_prefix = name_prefix;
    value_prefix.append(rest.substr(0, end + 1));
    bool consumed = visit(rest.substr(0, end), value_prefix);
    seek = std::move(value_prefix);
    seek.back() = '\x01';  // just past every posting of this value
    if (!consumed) it->Seek(seek);
  }
}

void CollectRefs(rocksdb::Iterator* it, const std::string& prefix, std::vector<uint64_t>& out) {
  for (; it->Valid() && StartsWith(it->key(), prefix); it->Next()) {
    if (it->key().size() == prefix.size() + 8) {
      out.push_back(RocksDbOwnedBe64(it->key().data() + prefix.size()));
    }
  }
}

void SortUnique(std::vector<uint64_t>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

Result<std::vector<std::string>> RocksDbStore::LabelNamesInRange(int64_t mint, int64_t maxt) const {
  std::vector<std::string> names;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), postings_));
  for (int64_t p : PartitionsOverlapping(mint, maxt)) {
    std::string prefix = PartitionKey(p);
    it->Seek(prefix);
    while (it->Valid() && StartsWith(it->key(), prefix)) {
      std::string_view rest(it->key().data() + 8, it->key().size() - 8);
      size_t end = rest.find('\0');
      if (end == std::string_view::npos) break;
      if (end > 0) names.push_back(Unescape(rest.substr(0, end)));
      std::string seek = prefix;
      seek.append(rest.substr(0, end));
      seek += '\x01';
      it->Seek(seek);
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), fmt::format("tsdb {}: label names", dir_));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Result<std::vector<std::string>> RocksDbStore::LabelValuesInRange(std::string_view name,
                                                                  int64_t mint,
                                                                  int64_t maxt) const {
  std::vector<std::string> values;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), postings_));
  for (int64_t p : PartitionsOverlapping(mint, maxt)) {
    std::string prefix = PartitionKey(p);
    PutEscaped(prefix, name);
    ScanValues(it.get(), prefix, [&](std::string_view escaped, const std::string&) {
      values.push_back(Unescape(escaped));
      return false;
    });
  }
  if (!it->status().ok()) {
    return FromRocks(it->status(), fmt::format("tsdb {}: values of label {}", dir_, name));
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

Result<std::vector<uint64_t>> RocksDbStore::RefsForLabel(std::string_view name,
                                                         std::string_view value, int64_t mint,
                                                         int64_t maxt) const {
  std::vector<uint64_t> refs;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), postings_));
  for (int64_t p : PartitionsOverlapping(mint, maxt)) {
    std::string prefix = PartitionKey(p);
    PutEscaped(prefix, name);
    PutEscaped(prefix, value);
    it->Seek(prefix);
    CollectRefs(it.get(), prefix, refs);
  }
  if (!it->status().ok()) {
    return FromRocks(it->status(), fmt::format("tsdb {}: postings {}={}", dir_, name, value));
  }
  SortUnique(refs);
  return refs;
}

Result<std::vector<uint64_t>> RocksDbStore::RefsMatching(
    std::string_view name, const std::function<bool(std::string_view)>& value_matches, int64_t mint,
    int64_t maxt) const {
  std::vector<uint64_t> refs;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), postings_));
  std::string unescaped;
  for (int64_t p : PartitionsOverlapping(mint, maxt)) {
    std::string prefix = PartitionKey(p);
    PutEscaped(prefix, name);
    ScanValues(it.get(), prefix, [&](std::string_view escaped, const std::string& vprefix) {
      unescaped = Unescape(escaped);
      if (!value_matches(unescaped)) return false;
      CollectRefs(it.get(), vprefix, refs);
      return true;
    });
  }
  if (!it->status().ok()) {
    return FromRocks(it->status(), fmt::format("tsdb {}: postings of label {}", dir_, name));
  }
  SortUnique(refs);
  return refs;
}

Result<std::vector<uint64_t>> RocksDbStore::AllRefsInRange(int64_t mint, int64_t maxt) const {
  return RefsForLabel("", "", mint, maxt);
}

// ---- Retention ----------------------------------------------------------------------------

std::vector<PartitionInfo> RocksDbStore::Partitions() const {
  std::shared_lock<std::shared_mutex> l(partitions_mu_);
  std::vector<PartitionInfo> out;
  out.reserve(partitions_.size());
  for (const auto& [p, maxt] : partitions_) out.push_back({p, maxt});
  return out;
}

Status RocksDbStore::DropPartitions(const std::vector<int64_t>& partitions) {
  if (partitions.empty()) return Status::Ok();
  std::string lo = PartitionKey(partitions.front());
  std::string hi = PartitionKey(partitions.back() + 1);
  rocksdb::Slice lo_s(lo), hi_s(hi);
  // Whole SST files inside the range go first (cheap); the range tombstones written next
  // cover what remains, and the compaction below reclaims it.
  for (auto* cf : {chunks_, postings_}) {
    rocksdb::Status rs = rocksdb::DeleteFilesInRange(db_, cf, &lo_s, &hi_s);
    if (!rs.ok()) LogWarn(kComponent, "delete files in range failed", {{"err", rs.ToString()}});
  }
  rocksdb::WriteBatch batch;
  for (int64_t p : partitions) {
    std::string b = PartitionKey(p), e = PartitionKey(p + 1);
    batch.DeleteRange(chunks_, b, e);
    batch.DeleteRange(postings_, b, e);
    batch.Delete(meta_, MetaPartitionKey(p));
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync_;
  if (Status s = FromRocks(db_->Write(wo, &batch),
                           fmt::format("tsdb {}: drop {} partitions", dir_, partitions.size()));
      !s.ok()) {
    return s;
  }
  {
    std::unique_lock<std::shared_mutex> l(partitions_mu_);
    for (int64_t p : partitions) partitions_.erase(p);
  }
  rocksdb::CompactRangeOptions cro;
  cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (auto* cf : {chunks_, postings_}) {
    if (Status s = FromRocks(db_->CompactRange(cro, cf, &lo_s, &hi_s),
                             fmt::format("tsdb {}: compact dropped partitions", dir_));
        !s.ok()) {
      return s;
    }
  }
  LogInfo(kComponent, "dropped partitions",
          {{"dir", dir_},
           {"count", std::to_string(partitions.size())},
           {"first", std::to_string(partitions.front() * partition_width_)},
           {"last_end", std::to_string((partitions.back() + 1) * partition_width_)}});
  return Status::Ok();
}

Result<int> RocksDbStore::DropBefore(int64_t t_ms) {
  std::lock_guard<std::mutex> l(write_mu_);
  std::vector<int64_t> drop;
  {
    std::shared_lock<std::shared_mutex> pl(partitions_mu_);
    for (const auto& [p, maxt] : partitions_) {
      if (maxt < t_ms) drop.push_back(p);
    }
  }
  if (Status s = DropPartitions(drop); !s.ok()) return s;
  return static_cast<int>(drop.size());
}

Result<int> RocksDbStore::EnforceSizeLimit(uint64_t max_bytes) {
  std::lock_guard<std::mutex> l(write_mu_);
  int dropped = 0;
  for (;;) {
    Result<uint64_t> bytes = DiskBytes();
    if (!bytes.ok()) return bytes.status();
    if (*bytes <= max_bytes) break;
    int64_t oldest;
    {
      std::shared_lock<std::shared_mutex> pl(partitions_mu_);
      if (partitions_.size() <= 1) {
        LogWarn(kComponent, "size limit exceeded with only the newest partition left",
                {{"dir", dir_},
                 {"bytes", std::to_string(*bytes)},
                 {"limit", std::to_string(max_bytes)}});
        break;
      }
      oldest = partitions_.begin()->first;
    }
    if (Status s = DropPartitions({oldest}); !s.ok()) return s;
    ++dropped;
  }
  return dropped;
}

Result<uint64_t> RocksDbStore::DiskBytes() const {
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code fec;
    if (it.depth() == 0 && it->path().filename() == kSnapshotsDir) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(fec)) {
      uint64_t size = it->file_size(fec);
      if (!fec) total += size;  // a file deleted under us counts as gone
    }
  }
  if (ec)
    return Status::IOError(fmt::format("tsdb {}: measure disk usage: {}", dir_, ec.message()));
  return total;
}

StoreMemory RocksDbStore::MemoryUsage() const {
  StoreMemory m;
  db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kSizeAllMemTables, &m.memtables);
  db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem,
                                &m.table_readers);
  m.block_cache = block_cache_->GetUsage();
  return m;
}

Status RocksDbStore::Snapshot(const std::string& target_dir) {
  rocksdb::Checkpoint* raw = nullptr;
  if (Status s =
          FromRocks(rocksdb::Checkpoint::Create(db_, &raw), fmt::format("tsdb {}: snapshot", dir_));
      !s.ok()) {
    return s;
  }
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(target_dir),
                   fmt::format("tsdb {}: snapshot to {}", dir_, target_dir));
}

Status RocksDbStore::Flush() {
  rocksdb::FlushOptions fo;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs = {meta_, series_, postings_, chunks_, wal_};
  return FromRocks(db_->Flush(fo, cfs), fmt::format("tsdb {}: flush", dir_));
}

Status RocksDbStore::Compact() {
  if (Status s = Flush(); !s.ok()) return s;
  rocksdb::CompactRangeOptions cro;
  cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (auto* cf : {meta_, series_, postings_, chunks_, wal_}) {
    if (Status s = FromRocks(db_->CompactRange(cro, cf, nullptr, nullptr),
                             fmt::format("tsdb {}: compact", dir_));
        !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

Status RocksDbStore::Resume() {
  rocksdb::Status rs = db_->Resume();
  // Busy: RocksDB's own recovery is running; give it up to ~5s to finish.
  for (int i = 0; i < 100 && rs.IsBusy(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    rs = db_->Resume();
  }
  return FromRocks(rs, fmt::format("tsdb {}: resume after error", dir_));
}

}  // namespace andon::tsdb
