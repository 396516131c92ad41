#include "tsdb/bit_stream.h"

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
  assert(pos + n <= bits_);
  for (int i = n - 1; i >= 0; --i, ++pos) {
    uint8_t mask = static_cast<uint8_t>(0x80u >> (pos % 8));
    if ((value >> i) & 1) {
      buf_[pos / 8] |= mask;
    } else {
      buf_[pos / 8] &= static_cast<uint8_t>(~mask);
    }
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
