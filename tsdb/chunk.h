// tsdb/chunk.h
//
// The chunk Andon stores: a few hundred samples of one series, encoded losslessly in far
// fewer bits than the Gorilla baseline (tsdb/xor_chunk.h) on scrape data. Format and the
// measurements behind its choices: docs/storage-format.md, "Chunk encoding".
//
//   timestamps  delta-of-delta; a zero delta-of-delta opens a run whose length is patched in
//               place as later samples continue it, so a regular scrape costs a few bits per
//               chunk rather than one bit per sample.
//   values      while values are exact decimals m * 10^-k (the double nearest to the decimal
//               is the value, bit for bit), the integer m is coded: runs of unchanged values
//               as a run length patched in place, other values as the delta of m minus a
//               prediction (0, the previous delta or a running mean of deltas, chosen from
//               the recent past) in an adaptive Rice code. Other values (NaN payloads such as the
//               staleness marker, -0.0, infinities, denormals, arbitrary floats) fall back
//               to Gorilla-style XOR, and the series returns to decimals when it can.
//
// ChunkAppender builds one chunk in memory. Timestamps must strictly increase; Append
// allocates nothing beyond amortized growth of the chunk buffer. bytes() is the complete
// encoded chunk after every Append and stays valid until the next one. Not thread-safe.
//
// ChunkIterator reads any chunk encoding Andon knows (kXor and kAndon) from a non-owning
// byte span that must outlive it. It never reads outside the span; corrupt or truncated
// input ends iteration with a Corruption status. Not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "tsdb/bit_stream.h"
#include "tsdb/chunk_encoding.h"
#include "tsdb/sample.h"
#include "tsdb/xor_chunk.h"

namespace andon::tsdb {

// Seal policy: a head chunk is sealed before the sample that would exceed either limit.
// Measured on the targets.py backfill (10 x 1000 series, 15 s scrapes; docs/storage-format.md):
// Andon bytes/sample is 1.083 at 120 samples per chunk, 1.000 at 240, 0.972 at 480 and 0.943
// at 720, because per-chunk fixed costs (header, first timestamp and value, adaptation)
// dominate small chunks. 480 keeps most of the gain while a Seek into a chunk decodes at most
// 480 samples (~6 us at the measured 78 M samples/s). The time limit (2 h, Prometheus's block
// range, 480 scrapes at 15 s) keeps sparse series from holding one chunk open for days.
inline constexpr uint32_t kMaxSamplesPerChunk = 480;
inline constexpr int64_t kMaxChunkDurationMs = 2 * 3600 * 1000;

namespace chunk_internal {

// Scales are exponents k with v == m / 10^k (k >= 0) or v == m * 10^-k (k < 0).
inline constexpr int kMinScale = -12;
inline constexpr int kMaxScale = 19;

// Prediction and coding state for the value stream, evolved identically by the encoder and
// the decoder.
struct ValueState {
  uint64_t bits = 0;              // bit pattern of the previous value
  bool decimal = false;           // the previous value is m / 10^scale (else: XOR mode)
  int scale = 0;                  // current scale; kept through XOR stretches as the one to retry
  uint64_t m = 0;                 // previous scaled integer (two's complement)
  uint64_t d = 0;                 // previous delta of m
  uint64_t mean = 0;              // decaying mean of deltas of m (two's complement)
  uint32_t cost[3] = {0, 0, 0};   // decaying residual widths: delta, delta-of-delta, mean
  uint32_t recent_same = 0xffff;  // one bit per recent sample: value unchanged
  int recent_same_count = 16;     // popcount(recent_same), kept up to date by the codec
  int run_width = 0;              // width of the next unchanged-run length field
  uint64_t rice_sum = 0;          // adaptive Rice parameter: mean residual over recent samples
  uint32_t rice_count = 0;
  int rice_k = 0;  // the Rice parameter rice_sum/rice_count gives (cached)
  int lead = -1;   // XOR window (-1: none yet)
  int trail = 0;
};

// Timestamp state shared by encoder and decoder.
struct TimeState {
  int64_t t = 0;
  uint64_t delta = 0;
  int run_width = 0;  // width of the next run-length field
};

}  // namespace chunk_internal

class ChunkAppender {
 public:
  ChunkAppender();

  // Appends a sample. InvalidArgument if t_ms is not after max_time(); ResourceExhausted once
  // the chunk holds kChunkHardMaxSamples.
  Status Append(int64_t t_ms, double v);

  // True if the seal policy (kMaxSamplesPerChunk, kMaxChunkDurationMs) says the sample at
  // t_ms belongs in a new chunk.
  bool ShouldSealBefore(int64_t t_ms) const;

  std::span<const uint8_t> bytes() const { return w_.bytes(); }
  uint32_t num_samples() const { return n_; }
  int64_t min_time() const { return min_t_; }  // meaningful only if num_samples() > 0
  int64_t max_time() const { return ts_.t; }   // meaningful only if num_samples() > 0

 private:
  void AppendTime(int64_t t_ms);
  void AppendValue(double v);

  BitWriter w_;
  uint32_t n_ = 0;
  int64_t min_t_ = 0;
  chunk_internal::TimeState ts_;
  size_t run_pos_ = 0;    // bit offset of the open run's length field
  int run_width_ = 0;     // width of that field
  uint64_t run_len_ = 0;  // samples after the first in the open run
  bool run_open_ = false;
  chunk_internal::ValueState vs_;
  size_t vrun_pos_ = 0;  // the same for the open run of unchanged values
  int vrun_width_ = 0;
  uint64_t vrun_len_ = 0;
  bool vrun_open_ = false;
};

class ChunkIterator {
 public:
  explicit ChunkIterator(std::span<const uint8_t> chunk);

  // Advances to the next sample; false at the end or on corruption (then !status().ok()).
  bool Next();
  // Advances to the first sample with t_ms >= t (staying put if the current one qualifies);
  // false if there is none or on corruption.
  bool Seek(int64_t t);
  Sample At() const { return xor_ ? xor_it_.At() : Sample{ts_.t, v_}; }
  // Appends the current sample and the following ones up to maxt to out, as an At()/Next()
  // loop would, and leaves the iterator past them. The current sample must be valid.
  void AppendUpTo(int64_t maxt, std::vector<andon::Sample>* out);
  uint32_t num_samples() const { return xor_ ? xor_it_.num_samples() : total_; }
  const Status& status() const { return xor_ ? xor_it_.status() : status_; }

 private:
  bool Fail(const char* what);
  bool NextAndon();  // Next() of a kAndon chunk
  bool ReadTime();
  bool ReadValue();
  bool ReadChangedValue();

  bool xor_ = false;
  XorChunkIterator xor_it_;
  BitReader r_;
  Status status_;
  uint32_t total_ = 0;
  uint32_t read_ = 0;
  bool valid_ = false;
  bool done_ = false;
  uint64_t run_left_ = 0;
  uint64_t vrun_left_ = 0;
  chunk_internal::TimeState ts_;
  chunk_internal::ValueState vs_;
  double v_ = 0;
};

}  // namespace andon::tsdb
