// Gorilla (XOR) chunk codec. Format: docs/storage-format.md, "Chunk encoding".
#include "tsdb/xor_chunk.h"

#include <bit>
#include <string>

namespace andon::tsdb {
namespace {

// Timestamp delta-of-delta buckets after the '0' (dod == 0) code: prefix '10', '110',
// '1110', then '1111' with the raw 64 bits.
constexpr int kDodBits[] = {14, 17, 20};

bool FitsSigned(int64_t v, int bits) {
  int64_t lim = int64_t{1} << (bits - 1);
  return v >= -lim && v < lim;
}

int64_t SignExtend(uint64_t v, int bits) {
  return static_cast<int64_t>(v << (64 - bits)) >> (64 - bits);
}

}  // namespace

XorChunkAppender::XorChunkAppender() {
  const uint8_t header[kChunkHeaderSize] = {static_cast<uint8_t>(ChunkEncoding::kXor), 0, 0};
  w_.WriteAlignedBytes(header, sizeof(header));
}

Status XorChunkAppender::Append(int64_t t_ms, double v) {
  if (n_ > 0 && t_ms <= t_) {
    return Status::InvalidArgument("xor chunk: timestamp " + std::to_string(t_ms) +
                                   " is not after " + std::to_string(t_));
  }
  if (n_ >= kChunkHardMaxSamples) return Status::ResourceExhausted("xor chunk: full");
  uint64_t bits = std::bit_cast<uint64_t>(v);
  if (n_ == 0) {
    w_.WriteUvarint(ZigZag(t_ms));
    w_.WriteBits(bits, 64);
    min_t_ = t_ms;
  } else {
    uint64_t delta = static_cast<uint64_t>(t_ms) - static_cast<uint64_t>(t_);
    if (n_ == 1) {
      w_.WriteUvarint(delta);
    } else {
      int64_t dod = static_cast<int64_t>(delta - delta_);
      if (dod == 0) {
        w_.WriteBit(false);
      } else if (FitsSigned(dod, kDodBits[0])) {
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
    delta_ = delta;
    uint64_t x = bits ^ v_bits_;
    if (x == 0) {
      w_.WriteBit(false);
    } else {
      int lead = std::countl_zero(x);
      int trail = std::countr_zero(x);
      if (lead > 31) lead = 31;  // the lead field is 5 bits
      if (lead_ >= 0 && lead >= lead_ && trail >= trail_) {
        w_.WriteBits(0b10, 2);
        w_.WriteBits(x >> trail_, 64 - lead_ - trail_);
      } else {
        int sig = 64 - lead - trail;
        w_.WriteBits(0b11, 2);
        w_.WriteBits(static_cast<uint64_t>(lead), 5);
        w_.WriteBits(static_cast<uint64_t>(sig & 63), 6);  // 64 is stored as 0
        w_.WriteBits(x >> trail, sig);
        lead_ = lead;
        trail_ = trail;
      }
    }
  }
  v_bits_ = bits;
  t_ = t_ms;
  ++n_;
  auto& buf = w_.buffer();
  buf[1] = static_cast<uint8_t>(n_ >> 8);
  buf[2] = static_cast<uint8_t>(n_);
  return Status::Ok();
}

XorChunkIterator::XorChunkIterator(std::span<const uint8_t> chunk) {
  if (chunk.size() < kChunkHeaderSize) {
    Fail("shorter than its header");
    return;
  }
  if (chunk[0] != static_cast<uint8_t>(ChunkEncoding::kXor)) {
    Fail("wrong encoding byte");
    return;
  }
  total_ = ChunkHeaderCount(chunk);
  r_ = BitReader(chunk, kChunkHeaderSize * 8);
}

bool XorChunkIterator::Fail(const char* what) {
  if (status_.ok()) {
    status_ = Status::Corruption(std::string("xor chunk: ") + what + " at sample " +
                                 std::to_string(read_));
  }
  valid_ = false;
  done_ = true;
  return false;
}

bool XorChunkIterator::Next() {
  if (done_) return false;
  if (read_ >= total_) {
    if (r_.bits_left() >= 8) return Fail("trailing bytes");
    valid_ = false;
    done_ = true;
    return false;
  }
  if (read_ == 0) {
    t_ = UnZigZag(r_.ReadUvarint());
    v_bits_ = r_.ReadBits(64);
  } else {
    uint64_t delta;
    if (read_ == 1) {
      delta = r_.ReadUvarint();
    } else {
      int ones = r_.ReadUnary(4);
      uint64_t dod;
      if (ones == 0) {
        dod = 0;
      } else if (ones < 4) {
        int bits = kDodBits[ones - 1];
        dod = static_cast<uint64_t>(SignExtend(r_.ReadBits(bits), bits));
      } else {
        dod = r_.ReadBits(64);
      }
      delta = delta_ + dod;
    }
    int64_t t = static_cast<int64_t>(static_cast<uint64_t>(t_) + delta);
    if (delta == 0 || t <= t_) return Fail("timestamps not increasing");
    t_ = t;
    delta_ = delta;
    if (r_.ReadBit()) {
      if (r_.ReadBit()) {
        lead_ = static_cast<int>(r_.ReadBits(5));
        int sig = static_cast<int>(r_.ReadBits(6));
        if (sig == 0) sig = 64;
        if (lead_ + sig > 64) return Fail("bad XOR window");
        trail_ = 64 - lead_ - sig;
      } else if (lead_ < 0) {
        return Fail("XOR window reused before set");
      }
      int sig = 64 - lead_ - trail_;
      v_bits_ ^= r_.ReadBits(sig) << trail_;
    }
  }
  if (!r_.ok()) return Fail("truncated");
  v_ = std::bit_cast<double>(v_bits_);
  ++read_;
  valid_ = true;
  return true;
}

bool XorChunkIterator::Seek(int64_t t) {
  if (valid_ && t_ >= t) return true;
  while (Next()) {
    if (t_ >= t) return true;
  }
  return false;
}

}  // namespace andon::tsdb
