#include "tsdb/bit_stream.h"

#include <algorithm>
#include <cassert>

namespace andon::tsdb {

void BitWriter::WriteBits(uint64_t value, int n) {
  assert(n >= 0 && n <= 64);
  if (n == 0) return;
  if (n < 64) value &= (uint64_t{1} << n) - 1;
  int free = static_cast<int>((8 - bits_ % 8) % 8);  // unused low bits of the last byte
  bits_ += n;
  if (free > 0) {
    if (n <= free) {
      buf_.back() |= static_cast<uint8_t>(value << (free - n));
      return;
    }
    n -= free;
    buf_.back() |= static_cast<uint8_t>(value >> n);
  }
  while (n >= 8) {
    n -= 8;
    buf_.push_back(static_cast<uint8_t>(value >> n));
  }
  if (n > 0) buf_.push_back(static_cast<uint8_t>(value << (8 - n)));
}

void BitWriter::WriteUvarint(uint64_t value) {
  while (value >= 0x80) {
    WriteBits(0x80 | (value & 0x7f), 8);
    value >>= 7;
  }
  WriteBits(value, 8);
}

void BitWriter::WriteAlignedBytes(const uint8_t* data, size_t n) {
  assert(bits_ % 8 == 0);
  buf_.insert(buf_.end(), data, data + n);
  bits_ += n * 8;
}

void BitWriter::PatchBits(size_t pos, uint64_t value, int n) {
  assert(n >= 0 && n <= 64 && pos + n <= bits_);
  if (n == 0) return;
  if (n < 64) value &= (uint64_t{1} << n) - 1;
  // Byte-wise: the field's part of its first byte and of its last byte are merged under a
  // mask (the bits around the field are kept), whole bytes in between are stored.
  uint8_t* p = buf_.data() + pos / 8;
  const int lead = static_cast<int>(pos % 8);  // bits of the first byte before the field
  const int head = std::min(8 - lead, n);      // field bits in the first byte
  int left = n - head;                         // field bits after the first byte
  const int tail_gap = 8 - lead - head;        // bits of the first byte after the field
  const auto head_mask = static_cast<uint8_t>(((1u << head) - 1) << tail_gap);
  const auto head_bits = static_cast<uint8_t>((value >> left) << tail_gap);
  *p = static_cast<uint8_t>((*p & ~head_mask) | (head_bits & head_mask));
  ++p;
  while (left >= 8) {
    left -= 8;
    *p++ = static_cast<uint8_t>(value >> left);
  }
  if (left > 0) {
    const auto mask = static_cast<uint8_t>(0xFFu << (8 - left));
    *p = static_cast<uint8_t>((*p & ~mask) | (static_cast<uint8_t>(value << (8 - left)) & mask));
  }
}

uint64_t BitReader::ReadSlow(int n) const {
  uint64_t v = 0;
  size_t p = pos_;
  for (int i = 0; i < n; ++i, ++p) v = (v << 1) | ((data_[p >> 3] >> (7 - (p & 7))) & 1);
  return v;
}

uint64_t BitReader::ReadWideBits(int n) {
  uint64_t hi = ReadBits(n - 32);
  return (hi << 32) | ReadBits(32);
}

uint64_t BitReader::ReadUvarint() {
  uint64_t value = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    uint64_t group = ReadBits(8);
    if (!ok()) return 0;
    value |= (group & 0x7f) << shift;
    if ((group & 0x80) == 0) return value;
  }
  error_ = true;
  return 0;
}

int BitReader::ReadUnarySlow(int max) {
  int ones = 0;
  while (ones < max) {
    if (pos_ >= end_) {
      error_ = true;
      return ones;
    }
    bool bit = (data_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1;
    ++pos_;
    if (!bit) return ones;
    ++ones;
  }
  return ones;
}

}  // namespace andon::tsdb
