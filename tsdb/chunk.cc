// Andon chunk codec (ChunkEncoding::kAndon). The format is specified in
// docs/storage-format.md, "Chunk encoding"; keep the two in step.
#include "tsdb/chunk.h"

#include <bit>
#include <cmath>
#include <string>

namespace andon::tsdb {
namespace {

using chunk_internal::kMaxScale;
using chunk_internal::kMinScale;
using chunk_internal::TimeState;
using chunk_internal::ValueState;

constexpr int kScaleBits = 5;  // kMaxScale - kMinScale + 1 == 32 scales
static_assert(kMaxScale - kMinScale + 1 == (1 << kScaleBits));

// First value: search scales from here. Negative scales let values such as 1.2e9 code as 12.
constexpr int kFirstScaleSearchMin = kMinScale;

// Timestamps: delta-of-delta buckets after the run code '0': '10', '110', '1110', and '1111'
// with the raw 64 bits. Late scrapes (a few ms to 100 ms) land in the first bucket.
constexpr int kDodBits[] = {8, 16, 24};
constexpr int kInitialRunWidth = 3;
constexpr int kMaxRunWidth = 10;

// Values: Rice quotients of kMaxQuotient ones are an escape followed by a 2-bit code.
constexpr int kMaxQuotient = 10;
constexpr uint64_t kEscapeBigResidual = 0;
constexpr uint64_t kEscapeRescale = 1;
constexpr uint64_t kEscapeToXor = 2;
constexpr uint32_t kRiceWindow = 16;  // halve the running sums at this many samples
constexpr uint64_t kRiceCap = uint64_t{1} << 40;
constexpr int kMeanShift = 2;  // the mean predictor follows deltas with weight 1/4

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr double kTwo53 = 9007199254740992.0;

int NextRunWidth(uint64_t run_len) {
  int w = BitWidth(run_len) + 1;
  return w > kMaxRunWidth ? kMaxRunWidth : w;
}

bool FitsSigned(int64_t v, int bits) {
  int64_t lim = int64_t{1} << (bits - 1);
  return v >= -lim && v < lim;
}

int64_t SignExtend(uint64_t v, int bits) {
  return static_cast<int64_t>(v << (64 - bits)) >> (64 - bits);
}

double ScaledToDouble(int scale, uint64_t m) {
  double x = static_cast<double>(static_cast<int64_t>(m));
  return scale >= 0 ? x / kPow10[scale] : x * kPow10[-scale];
}

// True if v is exactly m / 10^scale (resp. m * 10^-scale) for an integer |m| < 2^53.
bool ToScaled(double v, int scale, uint64_t* m) {
  double x = scale >= 0 ? v * kPow10[scale] : v / kPow10[-scale];
  if (!(std::fabs(x) < kTwo53)) return false;  // also rejects NaN and infinities
  auto mi = static_cast<int64_t>(std::nearbyint(x));
  double back = ScaledToDouble(scale, static_cast<uint64_t>(mi));
  if (std::bit_cast<uint64_t>(back) != std::bit_cast<uint64_t>(v)) return false;
  *m = static_cast<uint64_t>(mi);
  return true;
}

// The smallest scale >= from at which v is exact, or kMaxScale + 1.
int FindScale(double v, int from, uint64_t* m) {
  if (!std::isfinite(v)) return kMaxScale + 1;
  for (int s = from; s <= kMaxScale; ++s) {
    if (ToScaled(v, s, m)) return s;
  }
  return kMaxScale + 1;
}

uint64_t Pow10Wrapping(int e) {
  uint64_t f = 1;
  for (int i = 0; i < e; ++i) f *= 10;
  return f;
}

// ---- state evolution shared by encoder and decoder ----

[[gnu::always_inline]] inline uint64_t Prediction(const ValueState& s) {
  int best = 0;
  if (s.cost[1] < s.cost[best]) best = 1;
  if (s.cost[2] < s.cost[best]) best = 2;
  return best == 0 ? 0 : best == 1 ? s.d : s.mean;
}

// The Rice parameter: the width of ceil(mean residual) - 1 over recent samples (0 before any).
// Cached in s.rice_k by UpdateRice, the only place its inputs change, so the decoder pays for
// the division once per coded residual rather than twice per sample.
[[gnu::always_inline]] inline int RiceParam(const ValueState& s) { return s.rice_k; }

// Width of ceil(sum / count) - 1, 0 if that quotient is <= 1, without dividing: the smallest
// k >= 0 with sum <= count << k. With count in [2^(a-1), 2^a) and sum in [2^(b-1), 2^b),
// k = b - a is either it or one short (count << (b - a + 1) >= 2^b > sum). count >= 1,
// sum < 2^45 (kRiceCap * kRiceWindow), so nothing overflows.
[[gnu::always_inline]] inline int RiceParamOf(uint64_t sum, uint64_t count) {
  if (sum <= count) return 0;
  int k = BitWidth(sum) - BitWidth(count);
  if ((count << k) < sum) ++k;
  return k;
}

[[gnu::always_inline]] inline void UpdateRice(ValueState& s, uint64_t u) {
  s.rice_sum += u < kRiceCap ? u : kRiceCap;
  if (++s.rice_count >= kRiceWindow) {
    s.rice_sum >>= 1;
    s.rice_count >>= 1;
  }
  s.rice_k = RiceParamOf(s.rice_sum, s.rice_count);
}

uint32_t ResidualWidth(uint64_t e) { return BitWidth(ZigZag(static_cast<int64_t>(e))); }

[[gnu::always_inline]] inline void UpdateDecimal(ValueState& s, uint64_t m, uint64_t d) {
  uint32_t w[3] = {ResidualWidth(d), ResidualWidth(d - s.d), ResidualWidth(d - s.mean)};
  for (int i = 0; i < 3; ++i) s.cost[i] = s.cost[i] - (s.cost[i] >> 3) + w[i];
  s.mean += static_cast<uint64_t>(static_cast<int64_t>(d - s.mean) >> kMeanShift);
  s.m = m;
  s.d = d;
}

[[gnu::always_inline]] inline void NoteSame(ValueState& s, bool same) {
  s.recent_same_count += (same ? 1 : 0) - static_cast<int>((s.recent_same >> 15) & 1u);
  s.recent_same = ((s.recent_same << 1) | (same ? 1u : 0u)) & 0xffffu;
}

// Whether a value starts with a changed/unchanged bit: always in XOR mode; in decimal mode
// when unchanged values have been frequent enough lately for the bit to pay for itself
// (it saves about a Rice code on an unchanged value and costs one bit on every other).
[[gnu::always_inline]] inline bool PrefixMode(const ValueState& s) {
  if (!s.decimal) return true;
  return s.recent_same_count * (RiceParam(s) + 1) >= 16;
}

void Rescale(ValueState& s, int scale) {
  uint64_t f = Pow10Wrapping(scale - s.scale);
  s.m *= f;
  s.d *= f;
  s.mean *= f;
  s.scale = scale;
}

void EnterDecimal(ValueState& s, int scale, uint64_t m) {
  s.decimal = true;
  s.scale = scale;
  s.m = m;
  s.d = 0;
  s.mean = 0;
}

// ---- bit-level pieces ----

void WriteWide(BitWriter& w, uint64_t u) {
  int n = BitWidth(u);
  w.WriteBits(static_cast<uint64_t>(n), 7);
  w.WriteBits(u, n);
}

uint64_t ReadWide(BitReader& r) {
  int n = static_cast<int>(r.ReadBits(7));
  if (n > 64) {
    r.SetError();
    return 0;
  }
  return r.ReadBits(n);
}

void WriteXorNewWindow(BitWriter& w, ValueState& s, uint64_t x) {
  int lead = std::countl_zero(x);
  int trail = std::countr_zero(x);
  if (lead > 31) lead = 31;
  int sig = 64 - lead - trail;
  w.WriteBits(static_cast<uint64_t>(lead), 5);
  w.WriteBits(static_cast<uint64_t>(sig & 63), 6);
  w.WriteBits(x >> trail, sig);
  s.lead = lead;
  s.trail = trail;
}

// Returns false on a malformed window.
bool ReadXorNewWindow(BitReader& r, ValueState& s) {
  int lead = static_cast<int>(r.ReadBits(5));
  int sig = static_cast<int>(r.ReadBits(6));
  if (sig == 0) sig = 64;
  if (lead + sig > 64) return false;
  s.lead = lead;
  s.trail = 64 - lead - sig;
  s.bits ^= r.ReadBits(sig) << s.trail;
  return true;
}

}  // namespace

// ============================== appender ==============================

ChunkAppender::ChunkAppender() {
  const uint8_t header[kChunkHeaderSize] = {static_cast<uint8_t>(ChunkEncoding::kAndon), 0, 0};
  w_.WriteAlignedBytes(header, sizeof(header));
  ts_.run_width = kInitialRunWidth;
}

bool ChunkAppender::ShouldSealBefore(int64_t t_ms) const {
  if (n_ == 0) return false;
  if (n_ >= kMaxSamplesPerChunk) return true;
  return t_ms > min_t_ && static_cast<uint64_t>(t_ms) - static_cast<uint64_t>(min_t_) >=
                              static_cast<uint64_t>(kMaxChunkDurationMs);
}

Status ChunkAppender::Append(int64_t t_ms, double v) {
  if (n_ > 0 && t_ms <= ts_.t) {
    return Status::InvalidArgument("chunk: timestamp " + std::to_string(t_ms) + " is not after " +
                                   std::to_string(ts_.t));
  }
  if (n_ >= kChunkHardMaxSamples) return Status::ResourceExhausted("chunk: full");
  AppendTime(t_ms);
  AppendValue(v);
  ++n_;
  auto& buf = w_.buffer();
  buf[1] = static_cast<uint8_t>(n_ >> 8);
  buf[2] = static_cast<uint8_t>(n_);
  return Status::Ok();
}

void ChunkAppender::AppendTime(int64_t t_ms) {
  if (n_ == 0) {
    w_.WriteUvarint(ZigZag(t_ms));
    min_t_ = t_ms;
    ts_.t = t_ms;
    return;
  }
  uint64_t delta = static_cast<uint64_t>(t_ms) - static_cast<uint64_t>(ts_.t);
  ts_.t = t_ms;
  if (n_ == 1) {
    w_.WriteUvarint(delta);
    ts_.delta = delta;
    return;
  }
  auto dod = static_cast<int64_t>(delta - ts_.delta);
  ts_.delta = delta;
  if (dod == 0) {
    if (run_open_ && run_len_ + 1 < (uint64_t{1} << run_width_)) {
      ++run_len_;
      w_.PatchBits(run_pos_, run_len_, run_width_);
      return;
    }
    if (run_open_) ts_.run_width = NextRunWidth(run_len_);
    w_.WriteBit(false);
    run_open_ = true;
    run_width_ = ts_.run_width;
    run_pos_ = w_.bit_size();
    run_len_ = 0;
    w_.WriteBits(0, run_width_);
    return;
  }
  if (run_open_) {
    ts_.run_width = NextRunWidth(run_len_);
    run_open_ = false;
  }
  if (FitsSigned(dod, kDodBits[0])) {
    w_.WriteBits(0b10, 2);
    w_.WriteBits(static_cast<uint64_t>(dod), kDodBits[0]);
  } else if (FitsSigned(dod, kDodBits[1])) {
    w_.WriteBits(0b110, 3);
    w_.WriteBits(static_cast<uint64_t>(dod), kDodBits[1]);
  } else if (FitsSigned(dod, kDodBits[2])) {
    w_.WriteBits(0b1110, 4);
    w_.WriteBits(static_cast<uint64_t>(dod), kDodBits[2]);
  } else {
    w_.WriteBits(0b1111, 4);
    w_.WriteBits(static_cast<uint64_t>(dod), 64);
  }
}

void ChunkAppender::AppendValue(double v) {
  ValueState& s = vs_;
  uint64_t bits = std::bit_cast<uint64_t>(v);
  uint64_t m;
  if (n_ == 0) {
    int scale = FindScale(v, kFirstScaleSearchMin, &m);
    if (scale <= kMaxScale) {
      w_.WriteBit(true);
      w_.WriteBits(static_cast<uint64_t>(scale - kMinScale), kScaleBits);
      WriteWide(w_, ZigZag(static_cast<int64_t>(m)));
      EnterDecimal(s, scale, m);
    } else {
      w_.WriteBit(false);
      w_.WriteBits(bits, 64);
      s.decimal = false;
      s.scale = 0;
    }
    s.bits = bits;
    return;
  }
  bool same = bits == s.bits;
  if (same && vrun_open_ && vrun_len_ + 1 < (uint64_t{1} << vrun_width_)) {
    ++vrun_len_;
    w_.PatchBits(vrun_pos_, vrun_len_, vrun_width_);
    if (s.decimal) UpdateDecimal(s, s.m, 0);
    NoteSame(s, true);
    return;
  }
  if (vrun_open_) {
    s.run_width = NextRunWidth(vrun_len_);
    vrun_open_ = false;
  }
  bool prefix = PrefixMode(s);
  if (same && prefix) {
    w_.WriteBit(false);
    vrun_open_ = true;
    vrun_width_ = s.run_width;
    vrun_pos_ = w_.bit_size();
    vrun_len_ = 0;
    w_.WriteBits(0, vrun_width_);
    if (s.decimal) UpdateDecimal(s, s.m, 0);
    NoteSame(s, true);
    return;
  }
  NoteSame(s, same);
  if (prefix) w_.WriteBit(true);
  if (s.decimal) {
    if (ToScaled(v, s.scale, &m)) {
      uint64_t d = m - s.m;
      uint64_t u = ZigZag(static_cast<int64_t>(d - Prediction(s)));
      int r = RiceParam(s);
      uint64_t q = u >> r;
      if (q < kMaxQuotient) {
        w_.WriteBits(((uint64_t{1} << q) - 1) << 1, static_cast<int>(q) + 1);
        w_.WriteBits(u, r);
      } else {
        w_.WriteBits((uint64_t{1} << kMaxQuotient) - 1, kMaxQuotient);
        w_.WriteBits(kEscapeBigResidual, 2);
        WriteWide(w_, u);
      }
      UpdateRice(s, u);
      UpdateDecimal(s, m, d);
    } else if (int scale = FindScale(v, s.scale + 1, &m); scale <= kMaxScale) {
      w_.WriteBits((uint64_t{1} << kMaxQuotient) - 1, kMaxQuotient);
      w_.WriteBits(kEscapeRescale, 2);
      w_.WriteBits(static_cast<uint64_t>(scale - kMinScale), kScaleBits);
      Rescale(s, scale);
      uint64_t d = m - s.m;
      WriteWide(w_, ZigZag(static_cast<int64_t>(d - Prediction(s))));
      UpdateDecimal(s, m, d);
    } else {
      w_.WriteBits((uint64_t{1} << kMaxQuotient) - 1, kMaxQuotient);
      w_.WriteBits(kEscapeToXor, 2);
      WriteXorNewWindow(w_, s, bits ^ s.bits);
      s.decimal = false;
    }
  } else {
    // XOR mode: '0' reuse the window, '10' new window, '11' back to decimals. A value is
    // retried at the last scale only, unless it follows a NaN or infinity (a staleness marker
    // inside a decimal series), where all scales are searched.
    int scale = ToScaled(v, s.scale, &m) ? s.scale : kMaxScale + 1;
    if (scale > kMaxScale && !std::isfinite(std::bit_cast<double>(s.bits))) {
      scale = FindScale(v, kMinScale, &m);
    }
    if (scale <= kMaxScale) {
      w_.WriteBits(0b11, 2);
      w_.WriteBits(static_cast<uint64_t>(scale - kMinScale), kScaleBits);
      WriteWide(w_, ZigZag(static_cast<int64_t>(m)));
      EnterDecimal(s, scale, m);
    } else {
      uint64_t x = bits ^ s.bits;
      if (s.lead >= 0 && std::countl_zero(x) >= s.lead && std::countr_zero(x) >= s.trail) {
        w_.WriteBit(false);
        w_.WriteBits(x >> s.trail, 64 - s.lead - s.trail);
      } else {
        w_.WriteBits(0b10, 2);
        WriteXorNewWindow(w_, s, x);
      }
    }
  }
  s.bits = bits;
}

// ============================== iterator ==============================

ChunkIterator::ChunkIterator(std::span<const uint8_t> chunk)
    : xor_(!chunk.empty() && chunk[0] == static_cast<uint8_t>(ChunkEncoding::kXor)),
      xor_it_(xor_ ? XorChunkIterator(chunk) : XorChunkIterator()) {  // idle: no status built
  if (xor_) return;
  if (chunk.size() < kChunkHeaderSize) {
    Fail("shorter than its header");
    return;
  }
  if (chunk[0] != static_cast<uint8_t>(ChunkEncoding::kAndon)) {
    Fail("unknown encoding byte");
    return;
  }
  total_ = ChunkHeaderCount(chunk);
  r_ = BitReader(chunk, kChunkHeaderSize * 8);
  ts_.run_width = kInitialRunWidth;
}

bool ChunkIterator::Fail(const char* what) {
  if (status_.ok()) {
    status_ =
        Status::Corruption(std::string("chunk: ") + what + " at sample " + std::to_string(read_));
  }
  valid_ = false;
  done_ = true;
  return false;
}

[[gnu::always_inline]] inline bool ChunkIterator::ReadTime() {
  if (read_ == 0) {
    ts_.t = UnZigZag(r_.ReadUvarint());
    return true;
  }
  uint64_t delta;
  if (read_ == 1) {
    delta = r_.ReadUvarint();
  } else if (run_left_ > 0) {
    --run_left_;
    delta = ts_.delta;
  } else {
    int ones = r_.ReadUnary(4);
    uint64_t dod;
    if (ones == 0) {
      run_left_ = r_.ReadBits(ts_.run_width);
      ts_.run_width = NextRunWidth(run_left_);
      dod = 0;
    } else if (ones < 4) {
      int bits = kDodBits[ones - 1];
      dod = static_cast<uint64_t>(SignExtend(r_.ReadBits(bits), bits));
    } else {
      dod = r_.ReadBits(64);
    }
    delta = ts_.delta + dod;
  }
  auto t = static_cast<int64_t>(static_cast<uint64_t>(ts_.t) + delta);
  if (delta == 0 || t <= ts_.t) return Fail("timestamps not increasing");
  ts_.t = t;
  ts_.delta = delta;
  return true;
}

[[gnu::always_inline]] inline bool ChunkIterator::ReadValue() {
  ValueState& s = vs_;
  if (read_ == 0) {
    if (r_.ReadBit()) {
      int scale = static_cast<int>(r_.ReadBits(kScaleBits)) + kMinScale;
      EnterDecimal(s, scale, static_cast<uint64_t>(UnZigZag(ReadWide(r_))));
      s.bits = std::bit_cast<uint64_t>(ScaledToDouble(s.scale, s.m));
    } else {
      s.bits = r_.ReadBits(64);
      s.decimal = false;
      s.scale = 0;
    }
    v_ = std::bit_cast<double>(s.bits);
    return true;
  }
  bool unchanged = vrun_left_ > 0;
  if (unchanged) {
    --vrun_left_;
  } else if (PrefixMode(s) && !r_.ReadBit()) {
    vrun_left_ = r_.ReadBits(s.run_width);
    s.run_width = NextRunWidth(vrun_left_);
    unchanged = true;
  }
  if (unchanged) {
    if (s.decimal) UpdateDecimal(s, s.m, 0);
    NoteSame(s, true);
    return true;
  }
  uint64_t prev_bits = s.bits;
  if (!ReadChangedValue()) return false;
  NoteSame(s, s.bits == prev_bits);
  v_ = std::bit_cast<double>(s.bits);
  return true;
}

bool ChunkIterator::Next() {
  if (xor_) return xor_it_.Next();
  return NextAndon();
}

[[gnu::always_inline]] inline bool ChunkIterator::NextAndon() {
  if (done_) return false;
  if (read_ >= total_) {
    if (r_.bits_left() >= 8) return Fail("trailing bytes");
    if (run_left_ > 0) return Fail("run longer than the chunk");
    valid_ = false;
    done_ = true;
    return false;
  }
  if (!ReadTime() || !ReadValue()) return false;
  if (!r_.ok()) return Fail("truncated");
  ++read_;
  valid_ = true;
  return true;
}

void ChunkIterator::AppendUpTo(int64_t maxt, std::vector<andon::Sample>* out) {
  if (xor_) {
    do {
      Sample s = xor_it_.At();
      if (s.t_ms > maxt) return;
      out->push_back(andon::Sample{s.t_ms, s.v});
    } while (xor_it_.Next());
    return;
  }
  const size_t need = out->size() + (total_ - read_) + 1;
  if (need > out->capacity()) out->reserve(std::max(need, 2 * out->capacity()));
  do {
    if (ts_.t > maxt) return;
    out->push_back(andon::Sample{ts_.t, v_});
  } while (NextAndon());
}

bool ChunkIterator::ReadChangedValue() {
  ValueState& s = vs_;
  if (s.decimal) {
    int r = RiceParam(s);
    uint64_t u;
    uint64_t peek = 0;
    int q = kMaxQuotient;
    if (r_.Peek57(&peek)) q = std::countl_one(peek);
    if (q < kMaxQuotient && q + 1 + r <= 57) {
      // The common code in one read: the quotient's ones, its 0 and r remainder bits.
      u = static_cast<uint64_t>(q) << r;
      if (r > 0) u |= (peek << (q + 1)) >> (64 - r);
      r_.Skip(q + 1 + r);
    } else if (int ones = r_.ReadUnary(kMaxQuotient); ones < kMaxQuotient) {
      u = (static_cast<uint64_t>(ones) << r) | r_.ReadBits(r);
    } else {
      uint64_t esc = r_.ReadBits(2);
      if (esc == kEscapeBigResidual) {
        u = ReadWide(r_);
      } else if (esc == kEscapeRescale) {
        int scale = static_cast<int>(r_.ReadBits(kScaleBits)) + kMinScale;
        if (scale <= s.scale) return Fail("scale does not increase");
        Rescale(s, scale);
        uint64_t d = Prediction(s) + static_cast<uint64_t>(UnZigZag(ReadWide(r_)));
        UpdateDecimal(s, s.m + d, d);
        s.bits = std::bit_cast<uint64_t>(ScaledToDouble(s.scale, s.m));
        return true;
      } else if (esc == kEscapeToXor) {
        if (!ReadXorNewWindow(r_, s)) return Fail("bad XOR window");
        s.decimal = false;
        return true;
      } else {
        return Fail("reserved escape code");
      }
    }
    uint64_t d = Prediction(s) + static_cast<uint64_t>(UnZigZag(u));
    UpdateRice(s, u);
    UpdateDecimal(s, s.m + d, d);
    s.bits = std::bit_cast<uint64_t>(ScaledToDouble(s.scale, s.m));
  } else if (!r_.ReadBit()) {
    if (s.lead < 0) return Fail("XOR window reused before set");
    s.bits ^= r_.ReadBits(64 - s.lead - s.trail) << s.trail;
  } else if (!r_.ReadBit()) {
    if (!ReadXorNewWindow(r_, s)) return Fail("bad XOR window");
  } else {
    int scale = static_cast<int>(r_.ReadBits(kScaleBits)) + kMinScale;
    EnterDecimal(s, scale, static_cast<uint64_t>(UnZigZag(ReadWide(r_))));
    s.bits = std::bit_cast<uint64_t>(ScaledToDouble(s.scale, s.m));
  }
  return true;
}

bool ChunkIterator::Seek(int64_t t) {
  if (xor_) return xor_it_.Seek(t);
  if (valid_ && ts_.t >= t) return true;
  while (Next()) {
    if (ts_.t >= t) return true;
  }
  return false;
}

}  // namespace andon::tsdb
