// tsdb/chunk_encoding.h
//
// What every chunk starts with, whatever its encoding (format: docs/storage-format.md,
// "Chunk encoding"):
//
//   byte 0      encoding (ChunkEncoding)
//   bytes 1..2  number of samples, big-endian uint16
//   bytes 3..   encoding-specific bit stream, zero-padded to a whole byte
//
// New encodings get a new byte value; readers reject values they do not know, so a format
// can evolve without rewriting stored chunks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace andon::tsdb {

enum class ChunkEncoding : uint8_t {
  kXor = 1,    // Gorilla: delta-of-delta timestamps, XOR values (tsdb/xor_chunk.h)
  kAndon = 2,  // Andon: run-length regular timestamps, scaled-decimal values (tsdb/chunk.h)
};

inline constexpr size_t kChunkHeaderSize = 3;
// The sample count is a uint16, so no chunk holds more than this.
inline constexpr uint32_t kChunkHardMaxSamples = 65535;

// One sample: a timestamp in milliseconds since the epoch and a float64 value.
struct Sample {
  int64_t t_ms = 0;
  double v = 0;
};

inline uint16_t ChunkHeaderCount(std::span<const uint8_t> chunk) {
  return static_cast<uint16_t>((chunk[1] << 8) | chunk[2]);
}

}  // namespace andon::tsdb
