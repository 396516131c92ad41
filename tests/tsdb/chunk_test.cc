#include "tsdb/chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "tsdb/bit_stream.h"
#include "tsdb/xor_chunk.h"

namespace andon::tsdb {
namespace {

constexpr uint64_t kStaleNaN = 0x7ff0000000000002;

double FromBits(uint64_t b) { return std::bit_cast<double>(b); }
uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

struct Series {
  std::vector<int64_t> t;
  std::vector<double> v;
};

const std::vector<double>& SpecialValues() {
  static const std::vector<double> values = {
      FromBits(kStaleNaN),
      std::numeric_limits<double>::quiet_NaN(),
      FromBits(0x7ff0000000000001),  // signalling NaN
      FromBits(0x7ff8deadbeef0001),  // NaN with a payload
      FromBits(0xfff8000000000000),  // negative NaN
      std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(),
      0.0,
      -0.0,
      std::numeric_limits<double>::denorm_min(),
      -std::numeric_limits<double>::denorm_min(),
      FromBits(0x000fffffffffffff),  // largest denormal
      std::numeric_limits<double>::min(),
      std::numeric_limits<double>::max(),
      -std::numeric_limits<double>::max(),
      std::numeric_limits<double>::epsilon(),
      9007199254740992.0,  // 2^53
      9007199254740993.0,
      -9007199254740991.0,
      1e300,
      1e-300,
      0.1,
      0.3,
      1e22,
      1e23,
      123456789.123456789,
  };
  return values;
}

// A series mixing every kind of value and interval the codecs must survive.
Series RandomSeries(std::mt19937_64& rng, size_t n) {
  Series s;
  std::uniform_int_distribution<int> kind(0, 9);
  int64_t t = static_cast<int64_t>(rng());
  if (kind(rng) < 3) t = std::numeric_limits<int64_t>::min() + static_cast<int64_t>(rng() % 100);
  double v = 0;
  int64_t m = 0;
  int scale = static_cast<int>(rng() % 10);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) {
      uint64_t delta;
      switch (kind(rng)) {
        case 0:
          delta = 1;
          break;
        case 1:
          delta = rng() % 1000 + 1;
          break;
        case 2:
          delta = rng() >> (rng() % 64) | 1;
          break;
        default:
          delta = 15000 + (rng() % 20 == 0 ? rng() % 100 : 0);
          break;
      }
      uint64_t room =
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - static_cast<uint64_t>(t);
      if (room == 0) break;
      if (delta > room) delta = room;
      t = static_cast<int64_t>(static_cast<uint64_t>(t) + delta);
    }
    switch (kind(rng)) {
      case 0:
        v = SpecialValues()[rng() % SpecialValues().size()];
        break;
      case 1:
        v = FromBits(rng());
        break;
      case 2:
        break;  // repeat
      case 3:
        scale = static_cast<int>(rng() % 12);
        [[fallthrough]];
      case 4:
      case 5:
      case 6:  // decimal counter m / 10^scale
        m += static_cast<int64_t>(rng() % 1000);
        v = static_cast<double>(m) / std::pow(10.0, scale);
        break;
      case 7:
        v = static_cast<double>(static_cast<int64_t>(rng() % 2000) - 1000) * 4096;
        break;
      default:
        v = static_cast<double>(rng() % 100) * 1e8;
        break;
    }
    s.t.push_back(t);
    s.v.push_back(v);
  }
  return s;
}

template <typename Codec>
class ChunkCodecTest : public ::testing::Test {};

struct AndonCodec {
  using Appender = ChunkAppender;
  using Iterator = ChunkIterator;
};
struct GorillaCodec {
  using Appender = XorChunkAppender;
  using Iterator = XorChunkIterator;
};
using Codecs = ::testing::Types<AndonCodec, GorillaCodec>;
TYPED_TEST_SUITE(ChunkCodecTest, Codecs);

template <typename Codec>
std::vector<uint8_t> Encode(const Series& s) {
  typename Codec::Appender app;
  for (size_t i = 0; i < s.t.size(); ++i) {
    Status st = app.Append(s.t[i], s.v[i]);
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  EXPECT_EQ(app.num_samples(), s.t.size());
  if (!s.t.empty()) {
    EXPECT_EQ(app.min_time(), s.t.front());
    EXPECT_EQ(app.max_time(), s.t.back());
  }
  return {app.bytes().begin(), app.bytes().end()};
}

template <typename Codec>
void ExpectRoundTrip(const Series& s, const std::vector<uint8_t>& chunk) {
  typename Codec::Iterator it(chunk);
  EXPECT_EQ(it.num_samples(), s.t.size());
  size_t i = 0;
  while (it.Next()) {
    ASSERT_LT(i, s.t.size());
    ASSERT_EQ(it.At().t_ms, s.t[i]) << "sample " << i;
    ASSERT_EQ(Bits(it.At().v), Bits(s.v[i])) << "sample " << i << " value " << s.v[i];
    ++i;
  }
  EXPECT_TRUE(it.status().ok()) << it.status().ToString();
  EXPECT_EQ(i, s.t.size());
  EXPECT_FALSE(it.Next());
}

TYPED_TEST(ChunkCodecTest, EmptyChunkHasHeaderOnlyAndNoSamples) {
  typename TypeParam::Appender app;
  EXPECT_EQ(app.num_samples(), 0u);
  EXPECT_EQ(app.bytes().size(), kChunkHeaderSize);
  typename TypeParam::Iterator it(app.bytes());
  EXPECT_FALSE(it.Next());
  EXPECT_TRUE(it.status().ok());
  EXPECT_FALSE(it.Seek(0));
}

TYPED_TEST(ChunkCodecTest, SingleSampleRoundTrips) {
  for (double v : SpecialValues()) {
    Series s{{1700000000000}, {v}};
    ExpectRoundTrip<TypeParam>(s, Encode<TypeParam>(s));
  }
}

TYPED_TEST(ChunkCodecTest, EverySpecialValueRoundTripsBitForBitInEveryOrder) {
  Series s;
  int64_t t = 1000;
  const auto& sv = SpecialValues();
  for (size_t a = 0; a < sv.size(); ++a) {
    for (size_t b = 0; b < sv.size(); ++b) {
      s.t.push_back(t += 15000);
      s.v.push_back(sv[a]);
      s.t.push_back(t += 15000);
      s.v.push_back(sv[b]);
    }
  }
  // Several chunks, since one holds at most kChunkHardMaxSamples.
  for (size_t off = 0; off < s.t.size(); off += 400) {
    size_t end = std::min(s.t.size(), off + 400);
    Series part{{s.t.begin() + off, s.t.begin() + end}, {s.v.begin() + off, s.v.begin() + end}};
    ExpectRoundTrip<TypeParam>(part, Encode<TypeParam>(part));
  }
}

TYPED_TEST(ChunkCodecTest, StalenessMarkersInsideADecimalCounterRoundTrip) {
  Series s;
  for (int i = 0; i < 300; ++i) {
    s.t.push_back(1700000000000 + i * 15000);
    s.v.push_back(i % 50 == 49 ? FromBits(kStaleNaN) : 1234.56 + i * 0.01);
  }
  ExpectRoundTrip<TypeParam>(s, Encode<TypeParam>(s));
}

TYPED_TEST(ChunkCodecTest, Int64ExtremeTimestampsRoundTrip) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  std::vector<Series> cases = {
      {{kMin, kMax}, {1, 2}},
      {{kMin, kMin + 1, kMin + 2, -1, 0, 1, kMax - 1, kMax}, {1, 2, 3, 4, 5, 6, 7, 8}},
      {{kMin, 0, kMax}, {0.5, 0.5, 0.5}},
      {{-15000, 0, 15000, 30000, kMax}, {-1, -2, -3, -4, -5}},
  };
  for (const auto& s : cases) ExpectRoundTrip<TypeParam>(s, Encode<TypeParam>(s));
}

TYPED_TEST(ChunkCodecTest, LongRunsOfEqualValuesAndRegularIntervalsRoundTrip) {
  Series s;
  for (int i = 0; i < 5000; ++i) {
    s.t.push_back(int64_t{1} << 40 | (static_cast<int64_t>(i) * 15000 + (i % 997 == 0 ? 7 : 0)));
    s.v.push_back(i < 2000 ? 42.0 : i < 4000 ? 1.5e9 : FromBits(kStaleNaN));
  }
  ExpectRoundTrip<TypeParam>(s, Encode<TypeParam>(s));
}

TYPED_TEST(ChunkCodecTest, HugeJumpsInValueAndTimeRoundTrip) {
  Series s{{0, 1, 2, 1LL << 62, (1LL << 62) + 1, (1LL << 62) + 3},
           {0, 1e308, -1e308, 1, std::numeric_limits<double>::denorm_min(), 1e-320}};
  ExpectRoundTrip<TypeParam>(s, Encode<TypeParam>(s));
}

TYPED_TEST(ChunkCodecTest, RandomAdversarialSeriesRoundTrip) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 2000; ++round) {
    Series s = RandomSeries(rng, rng() % 600 + 1);
    ExpectRoundTrip<TypeParam>(s, Encode<TypeParam>(s));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TYPED_TEST(ChunkCodecTest, OpenChunkBytesAreACompleteChunkAfterEveryAppend) {
  std::mt19937_64 rng(7);
  Series s = RandomSeries(rng, 300);
  typename TypeParam::Appender app;
  for (size_t i = 0; i < s.t.size(); ++i) {
    ASSERT_TRUE(app.Append(s.t[i], s.v[i]).ok());
    Series prefix{{s.t.begin(), s.t.begin() + i + 1}, {s.v.begin(), s.v.begin() + i + 1}};
    std::vector<uint8_t> snapshot(app.bytes().begin(), app.bytes().end());
    ExpectRoundTrip<TypeParam>(prefix, snapshot);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TYPED_TEST(ChunkCodecTest, RejectsTimestampsThatDoNotIncrease) {
  typename TypeParam::Appender app;
  ASSERT_TRUE(app.Append(1000, 1).ok());
  EXPECT_EQ(app.Append(1000, 2).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(app.Append(999, 2).code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(app.Append(1001, 3).ok());
  ExpectRoundTrip<TypeParam>(Series{{1000, 1001}, {1, 3}},
                             {app.bytes().begin(), app.bytes().end()});
}

TYPED_TEST(ChunkCodecTest, RejectsSamplesBeyondTheHeaderCount) {
  typename TypeParam::Appender app;
  for (uint32_t i = 0; i < kChunkHardMaxSamples; ++i) ASSERT_TRUE(app.Append(i, 1).ok());
  EXPECT_EQ(app.Append(kChunkHardMaxSamples, 1).code(), Status::Code::kResourceExhausted);
  typename TypeParam::Iterator it(app.bytes());
  EXPECT_TRUE(it.Seek(kChunkHardMaxSamples - 1));
  EXPECT_EQ(it.At().t_ms, kChunkHardMaxSamples - 1);
  EXPECT_FALSE(it.Next());
  EXPECT_TRUE(it.status().ok());
}

TYPED_TEST(ChunkCodecTest, SeekFindsTheFirstSampleAtOrAfterTheTime) {
  Series s;
  for (int i = 0; i < 200; ++i) {
    s.t.push_back(1000 + i * 10);
    s.v.push_back(i);
  }
  auto chunk = Encode<TypeParam>(s);
  for (int64_t target : {int64_t{-5}, int64_t{1000}, int64_t{1001}, int64_t{1009}, int64_t{1010},
                         int64_t{1500}, int64_t{2990}}) {
    typename TypeParam::Iterator it(chunk);
    ASSERT_TRUE(it.Seek(target)) << target;
    int64_t want = target <= 1000 ? 1000 : 1000 + (target - 1000 + 9) / 10 * 10;
    EXPECT_EQ(it.At().t_ms, want);
    EXPECT_EQ(it.At().v, static_cast<double>((want - 1000) / 10));
  }
  typename TypeParam::Iterator it(chunk);
  EXPECT_FALSE(it.Seek(2991));
  EXPECT_TRUE(it.status().ok());
  // Seek never moves backwards, and Next continues after it.
  typename TypeParam::Iterator fwd(chunk);
  ASSERT_TRUE(fwd.Seek(1500));
  ASSERT_TRUE(fwd.Seek(1200));
  EXPECT_EQ(fwd.At().t_ms, 1500);
  ASSERT_TRUE(fwd.Next());
  EXPECT_EQ(fwd.At().t_ms, 1510);
}

TYPED_TEST(ChunkCodecTest, EveryTruncationIsReportedAsCorruption) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 40; ++round) {
    Series s = RandomSeries(rng, rng() % 200 + 1);
    auto chunk = Encode<TypeParam>(s);
    for (size_t len = 0; len < chunk.size(); ++len) {
      std::vector<uint8_t> cut(chunk.begin(), chunk.begin() + len);  // exact size for ASan
      typename TypeParam::Iterator it(cut);
      size_t n = 0;
      while (it.Next()) ++n;
      EXPECT_FALSE(it.status().ok()) << "length " << len << " of " << chunk.size();
      EXPECT_LE(n, s.t.size());
    }
  }
}

TYPED_TEST(ChunkCodecTest, CorruptBytesNeverCrashOrYieldMoreThanTheHeaderCount) {
  std::mt19937_64 rng(11);
  int detected = 0, total = 0;
  for (int round = 0; round < 300; ++round) {
    Series s = RandomSeries(rng, rng() % 300 + 1);
    auto chunk = Encode<TypeParam>(s);
    for (int flip = 0; flip < 30; ++flip) {
      auto bad = chunk;
      int nflips = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < nflips; ++k) {
        size_t pos = rng() % bad.size();
        bad[pos] ^= static_cast<uint8_t>(1u << (rng() % 8));
      }
      if (rng() % 4 == 0) bad.push_back(static_cast<uint8_t>(rng()));
      typename TypeParam::Iterator it(bad);
      uint32_t claimed = it.num_samples();
      uint32_t n = 0;
      int64_t last = 0;
      while (it.Next()) {
        if (n > 0) {
          EXPECT_GT(it.At().t_ms, last);
        }
        last = it.At().t_ms;
        ++n;
      }
      EXPECT_LE(n, claimed);
      if (it.status().ok()) {
        EXPECT_EQ(n, claimed);
      }
      detected += it.status().ok() ? 0 : 1;
      ++total;
    }
  }
  // Most corruptions are caught (the rest decode to other well-formed samples).
  EXPECT_GT(detected, total / 3);
}

TYPED_TEST(ChunkCodecTest, GarbageInputIsRejectedWithoutCrashing) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 20000; ++round) {
    std::vector<uint8_t> junk(rng() % 64);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    if (!junk.empty() && rng() % 2) junk[0] = static_cast<uint8_t>(rng() % 2 ? 1 : 2);
    typename TypeParam::Iterator it(junk);
    uint32_t n = 0;
    while (it.Next()) ++n;
    EXPECT_LE(n, it.num_samples());
    if (junk.size() < kChunkHeaderSize) {
      EXPECT_FALSE(it.status().ok());
    }
  }
}

TEST(ChunkIteratorTest, ReadsGorillaChunksToo) {
  XorChunkAppender app;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(app.Append(i * 1000, i * 0.5).ok());
  ChunkIterator it(app.bytes());
  EXPECT_EQ(it.num_samples(), 10u);
  ASSERT_TRUE(it.Seek(4500));
  EXPECT_EQ(it.At().t_ms, 5000);
  EXPECT_EQ(it.At().v, 2.5);
}

TEST(ChunkIteratorTest, RejectsUnknownEncodingByte) {
  ChunkAppender app;
  ASSERT_TRUE(app.Append(1, 1).ok());
  std::vector<uint8_t> bytes(app.bytes().begin(), app.bytes().end());
  bytes[0] = 0x7f;
  ChunkIterator it(bytes);
  EXPECT_FALSE(it.Next());
  EXPECT_EQ(it.status().code(), Status::Code::kCorruption);
  EXPECT_NE(it.status().message().find("encoding"), std::string::npos);
}

TEST(ChunkAppenderTest, SealPolicyCutsAtTheSampleCountOrTheTimeRange) {
  ChunkAppender app;
  EXPECT_FALSE(app.ShouldSealBefore(0));
  for (uint32_t i = 0; i < kMaxSamplesPerChunk; ++i) {
    ASSERT_FALSE(app.ShouldSealBefore(int64_t{i} * 1000)) << i;
    ASSERT_TRUE(app.Append(int64_t{i} * 1000, i).ok());
  }
  EXPECT_TRUE(app.ShouldSealBefore(int64_t{kMaxSamplesPerChunk} * 1000));

  ChunkAppender sparse;
  ASSERT_TRUE(sparse.Append(std::numeric_limits<int64_t>::min(), 1).ok());
  EXPECT_TRUE(sparse.ShouldSealBefore(std::numeric_limits<int64_t>::max()));
  ChunkAppender hourly;
  ASSERT_TRUE(hourly.Append(0, 1).ok());
  EXPECT_FALSE(hourly.ShouldSealBefore(kMaxChunkDurationMs - 1));
  EXPECT_TRUE(hourly.ShouldSealBefore(kMaxChunkDurationMs));
}

TEST(ChunkAppenderTest, RegularDecimalCounterCostsAFractionOfGorilla) {
  ChunkAppender andon;
  XorChunkAppender gorilla;
  std::mt19937_64 rng(1);
  int64_t ticks = 123456789;  // a cpu-seconds counter in 1/100 s
  for (uint32_t i = 0; i < kMaxSamplesPerChunk; ++i) {
    ticks += 900 + static_cast<int64_t>(rng() % 400);
    double v = static_cast<double>(ticks) / 100;
    ASSERT_TRUE(andon.Append(1700000000000 + int64_t{i} * 15000, v).ok());
    ASSERT_TRUE(gorilla.Append(1700000000000 + int64_t{i} * 15000, v).ok());
  }
  // 400 distinct increments carry ~8.6 bits of entropy each.
  EXPECT_LT(andon.bytes().size() * 8.0 / kMaxSamplesPerChunk, 11.0);
  EXPECT_LT(andon.bytes().size() * 3, gorilla.bytes().size());
}

TEST(ChunkAppenderTest, ConstantSeriesAtRegularIntervalsCostsAFewBytesPerChunk) {
  ChunkAppender app;
  for (uint32_t i = 0; i < kMaxSamplesPerChunk; ++i) {
    ASSERT_TRUE(app.Append(1700000000000 + int64_t{i} * 15000, 1).ok());
  }
  EXPECT_LT(app.bytes().size(), 40u);
}

TEST(BitStreamTest, WritesAndReadsEveryWidthAndPatchesInPlace) {
  BitWriter w;
  std::mt19937_64 rng(9);
  std::vector<std::pair<uint64_t, int>> written;
  for (int i = 0; i < 5000; ++i) {
    int n = static_cast<int>(rng() % 65);
    uint64_t v = n == 64 ? rng() : rng() & ((uint64_t{1} << n) - 1);
    w.WriteBits(v, n);
    written.emplace_back(v, n);
  }
  w.WriteUvarint(std::numeric_limits<uint64_t>::max());
  w.PatchBits(3, 0b101, 3);
  BitReader full(w.bytes());
  size_t pos = 0;
  for (auto [v, n] : written) {
    uint64_t got = full.ReadBits(n);
    if (pos + n <= 3 || pos >= 6) {
      ASSERT_EQ(got, v) << "at bit " << pos;
    }
    pos += n;
  }
  EXPECT_EQ(full.ReadUvarint(), std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(full.ok());
  BitReader patched(w.bytes(), 3);
  EXPECT_EQ(patched.ReadBits(3), 0b101u);
  EXPECT_LT(full.bits_left(), 8u);
  full.ReadBits(8);
  EXPECT_FALSE(full.ok());
}

// Peek57 shows the next bits left-aligned wherever 8 bytes can be loaded, and Skip consumes
// what ReadBits would; near the end Peek57 declines, so no read passes the data.
TEST(BitStreamTest, Peek57ShowsTheNextBitsAndDeclinesNearTheEnd) {
  BitWriter w;
  std::mt19937_64 rng(11);
  std::vector<std::pair<uint64_t, int>> written;
  for (int i = 0; i < 2000; ++i) {
    int n = 1 + static_cast<int>(rng() % 57);
    uint64_t v = rng() & ((uint64_t{1} << n) - 1);
    w.WriteBits(v, n);
    written.emplace_back(v, n);
  }
  BitReader r(w.bytes());
  int peeked = 0;
  for (auto [v, n] : written) {
    uint64_t bits;
    if (r.Peek57(&bits)) {
      ++peeked;
      ASSERT_EQ(bits >> (64 - n), v);
      r.Skip(n);
    } else {
      ASSERT_LT(r.bits_left(), 64u);
      ASSERT_EQ(r.ReadBits(n), v);
    }
  }
  EXPECT_TRUE(r.ok());
  EXPECT_GT(peeked, 1900);
  EXPECT_LT(r.bits_left(), 8u);
}

// Every (offset, width) pair, over random backgrounds: PatchBits must change exactly the
// field's bits, as the bit-at-a-time definition does.
TEST(BitStreamTest, PatchBitsChangesExactlyTheFieldAtEveryOffsetAndWidth) {
  std::mt19937_64 rng(17);
  for (size_t pos = 0; pos < 24; ++pos) {
    for (int n = 0; n <= 64; ++n) {
      for (int round = 0; round < 8; ++round) {
        BitWriter w;
        for (int i = 0; i < 3; ++i) w.WriteBits(rng(), 64);
        w.WriteBits(rng(), 5);  // a partial last byte
        std::vector<uint8_t> want(w.bytes().begin(), w.bytes().end());
        uint64_t value = rng();
        if (round == 0) value = 0;
        if (round == 1) value = ~uint64_t{0};
        for (int i = 0; i < n; ++i) {  // the reference: one bit at a time
          size_t bit = pos + i;
          auto mask = static_cast<uint8_t>(0x80u >> (bit % 8));
          if ((value >> (n - 1 - i)) & 1) {
            want[bit / 8] |= mask;
          } else {
            want[bit / 8] &= static_cast<uint8_t>(~mask);
          }
        }
        w.PatchBits(pos, value, n);
        std::vector<uint8_t> got(w.bytes().begin(), w.bytes().end());
        ASSERT_EQ(got, want) << "pos " << pos << " n " << n << " value " << value;
        ASSERT_EQ(w.bit_size(), 3 * 64 + 5u);
      }
    }
  }
}

TEST(BitStreamTest, ZigZagMapsExtremesBothWays) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(UnZigZag(ZigZag(v)), v);
  }
  EXPECT_EQ(ZigZag(-1), 1u);
  EXPECT_EQ(ZigZag(1), 2u);
}

}  // namespace
}  // namespace andon::tsdb
