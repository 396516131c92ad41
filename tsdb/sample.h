// tsdb/sample.h
//
// The value types every tsdb layer shares: series references, samples, and the
// staleness marker. A staleness marker is one specific NaN bit pattern; it must be compared
// by bits (IsStaleNaN), never with ==, and it must survive every encoding bit for bit.
#pragma once

#include <bit>
#include <cstdint>

namespace andon {

// Identifies a series inside the head and the WAL. Assigned monotonically from 1; 0 means
// "no ref, look the series up by labels".
using SeriesRef = uint64_t;

struct Sample {
  int64_t t;  // milliseconds since the epoch
  double v;
};

inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
inline const double kStaleNaN = std::bit_cast<double>(kStaleNaNBits);

inline bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

}  // namespace andon
