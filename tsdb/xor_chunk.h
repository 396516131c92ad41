// tsdb/xor_chunk.h
//
// The Gorilla chunk (Pelkonen et al., VLDB 2015), kept as Andon's baseline and as the
// reference figure for what Prometheus stores: delta-of-delta timestamps in variable-size
// buckets, values XORed with their predecessor and stored as the meaningful bits between
// leading and trailing zeros. Lossless for every float64 bit pattern. Format:
// docs/storage-format.md, "Chunk encoding".
//
// XorChunkAppender builds one chunk in memory. Timestamps must strictly increase; Append
// allocates nothing beyond amortized growth of the chunk buffer. bytes() stays valid until
// the next Append. Not thread-safe.
//
// XorChunkIterator reads a chunk from a non-owning byte span that must outlive it. It never
// reads outside the span; corrupt or truncated input ends iteration with a Corruption status.
#pragma once

#include <cstdint>
#include <span>

#include "common/status.h"
#include "tsdb/bit_stream.h"
#include "tsdb/chunk_encoding.h"

namespace andon::tsdb {

class XorChunkAppender {
 public:
  XorChunkAppender();

  // Appends a sample. InvalidArgument if t_ms is not after max_time(); ResourceExhausted once
  // the chunk holds kChunkHardMaxSamples.
  Status Append(int64_t t_ms, double v);

  std::span<const uint8_t> bytes() const { return w_.bytes(); }
  uint32_t num_samples() const { return n_; }
  int64_t min_time() const { return min_t_; }  // meaningful only if num_samples() > 0
  int64_t max_time() const { return t_; }      // meaningful only if num_samples() > 0

 private:
  BitWriter w_;
  uint32_t n_ = 0;
  int64_t min_t_ = 0;
  int64_t t_ = 0;
  uint64_t delta_ = 0;
  uint64_t v_bits_ = 0;
  int lead_ = -1;  // -1: no XOR window yet
  int trail_ = 0;
};

class XorChunkIterator {
 public:
  explicit XorChunkIterator(std::span<const uint8_t> chunk);
  // An iterator over nothing (Next() is false, status() ok); ChunkIterator's idle member.
  XorChunkIterator() { done_ = true; }

  // Advances to the next sample; false at the end or on corruption (then !status().ok()).
  bool Next();
  // Advances to the first sample with t_ms >= t (staying put if the current one qualifies);
  // false if there is none or on corruption.
  bool Seek(int64_t t);
  Sample At() const { return {t_, v_}; }
  uint32_t num_samples() const { return total_; }
  const Status& status() const { return status_; }

 private:
  bool Fail(const char* what);

  BitReader r_;
  Status status_;
  uint32_t total_ = 0;
  uint32_t read_ = 0;
  bool valid_ = false;  // At() holds a sample
  bool done_ = false;   // end reached or corruption found
  int64_t t_ = 0;
  double v_ = 0;
  uint64_t delta_ = 0;
  uint64_t v_bits_ = 0;
  int lead_ = -1;
  int trail_ = 0;
};

}  // namespace andon::tsdb
