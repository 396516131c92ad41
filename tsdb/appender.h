// tsdb/appender.h
//
// An Appender buffers samples for one transaction. Commit() makes all accepted samples
// durable (in the WAL) and visible to queries atomically per series; Rollback() discards
// them. Not thread-safe: one Appender per scrape loop (or rule group). Append() never
// blocks on I/O. After Commit() or Rollback() the Appender may be reused for the next
// transaction; its buffers are kept, so a steady scrape allocates nothing per sample.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/labels.h"
#include "common/status.h"
#include "tsdb/sample.h"

namespace andon {

// Error messages of rejected samples, in Prometheus's words, so callers can count them by
// kind (compare Status::message()).
inline constexpr std::string_view kErrOutOfOrderSample = "out of order sample";
inline constexpr std::string_view kErrDuplicateSampleForTimestamp =
    "duplicate sample for timestamp";
inline constexpr std::string_view kErrOutOfBounds = "out of bounds";
// The start of the message (ResourceExhausted) for a new series whose metric name already
// has --storage.tsdb.max-series-per-metric series; the rest names the metric and the limit.
inline constexpr std::string_view kErrSeriesLimitPerMetric = "per-metric series limit exceeded";

class Appender {
 public:
  virtual ~Appender() = default;
  // Returns the series ref to pass to later Append() calls, or an error for a sample
  // that is out of order or duplicates a timestamp with another value. With ref != 0 the
  // labels are not looked at unless the ref is unknown (e.g. the series was garbage
  // collected); pass them anyway when you have them.
  virtual Result<SeriesRef> Append(SeriesRef ref, const Labels& labels, int64_t t_ms, double v) = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
};

}  // namespace andon
