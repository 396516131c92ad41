// tsdb/bit_stream.h
//
// Bit-granular writer and reader used by the chunk codecs. Bits are packed most significant
// first into bytes, so a stream reads back in the order it was written.
//
// BitWriter appends to a byte buffer it owns; growth is amortized (no allocation per write once
// the buffer has reached its working size). It can also overwrite bits already written
// (PatchBits), which the Andon chunk uses to extend a run length in place.
//
// BitReader reads a non-owning byte span. It never reads outside the span: a read past the end
// returns zeros and sets a sticky error flag that the caller checks (ok()). Neither class is
// thread-safe.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace andon::tsdb {

class BitWriter {
 public:
  BitWriter() = default;

  // Appends the low `n` bits of `value` (0 <= n <= 64), most significant first.
  void WriteBits(uint64_t value, int n);
  void WriteBit(bool bit) { WriteBits(bit ? 1 : 0, 1); }
  // LEB128-style groups of 7 bits, each preceded by a continuation bit (1 = more follow).
  void WriteUvarint(uint64_t value);
  // Appends whole bytes; the stream must be byte-aligned (bit_size() % 8 == 0).
  void WriteAlignedBytes(const uint8_t* data, size_t n);
  // Overwrites `n` bits (0 <= n <= 64) starting at bit offset `pos`; they must already exist.
  void PatchBits(size_t pos, uint64_t value, int n);

  size_t bit_size() const { return bits_; }
  std::span<const uint8_t> bytes() const { return {buf_.data(), buf_.size()}; }
  std::vector<uint8_t>& buffer() { return buf_; }
  void Reserve(size_t bytes) { buf_.reserve(bytes); }
  void Clear() {
    buf_.clear();
    bits_ = 0;
  }

 private:
  std::vector<uint8_t> buf_;
  size_t bits_ = 0;  // bits written; the last byte holds (bits_ % 8) valid bits if non-zero
};

class BitReader {
 public:
  BitReader() = default;
  // Reads bits [bit_offset, data.size() * 8).
  explicit BitReader(std::span<const uint8_t> data, size_t bit_offset = 0)
      : data_(data), pos_(bit_offset), end_(data.size() * 8) {}

  // Reads `n` bits (0 <= n <= 64). Past the end: returns 0 and sets the error flag.
  uint64_t ReadBits(int n) {
    if (n == 0) return 0;
    if (n > 56) return ReadWideBits(n);  // out of line, so that this stays inlinable
    if (pos_ + n > end_) {
      error_ = true;
      pos_ = end_;
      return 0;
    }
    uint64_t v;
    if ((pos_ >> 3) + 8 <= data_.size()) {
      v = Load64(pos_ >> 3);
      v = (v << (pos_ & 7)) >> (64 - n);
    } else {
      v = ReadSlow(n);
    }
    pos_ += n;
    return v;
  }
  bool ReadBit() { return ReadBits(1) != 0; }
  // Reads what BitWriter::WriteUvarint wrote; more than 10 groups sets the error flag.
  uint64_t ReadUvarint();
  // Counts 1 bits up to the first 0 (consumed), at most `max` ones (then no 0 is consumed).
  // Inline fast path: with 8 bytes readable from the current byte, at least 57 bits are
  // visible at once, enough for any max <= 56.
  int ReadUnary(int max) {
    if (max <= 56 && (pos_ >> 3) + 8 <= data_.size()) {
      int ones = std::countl_one(Load64(pos_ >> 3) << (pos_ & 7));
      if (ones >= max) {
        pos_ += static_cast<size_t>(max);
        return max;
      }
      pos_ += static_cast<size_t>(ones) + 1;
      return ones;
    }
    return ReadUnarySlow(max);
  }

  // The next bits, left-aligned, when at least 57 of them can be read at once (then any
  // Skip(n <= 57) stays inside the data); false otherwise (use the reads above).
  bool Peek57(uint64_t* bits) const {
    if ((pos_ >> 3) + 8 > data_.size()) return false;
    *bits = Load64(pos_ >> 3) << (pos_ & 7);
    return true;
  }
  // Consumes n bits a successful Peek57 showed (n <= 57).
  void Skip(int n) { pos_ += static_cast<size_t>(n); }

  bool ok() const { return !error_; }
  void SetError() { error_ = true; }
  size_t position() const { return pos_; }
  size_t bits_left() const { return end_ - pos_; }

 private:
  // Big-endian load of the 8 bytes at `byte` (the caller has checked they exist).
  uint64_t Load64(size_t byte) const {
    uint64_t v;
    std::memcpy(&v, data_.data() + byte, sizeof(v));
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
    return v;
  }
  uint64_t ReadSlow(int n) const;
  uint64_t ReadWideBits(int n);
  int ReadUnarySlow(int max);

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool error_ = false;
};

// Zigzag maps signed to unsigned so that small magnitudes get small codes: 0,-1,1,-2 -> 0,1,2,3.
inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t u) { return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1)); }
// Number of significant bits of `u` (0 for 0).
inline int BitWidth(uint64_t u) { return u == 0 ? 0 : 64 - __builtin_clzll(u); }

}  // namespace andon::tsdb
