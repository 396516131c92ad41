// alerting/silencer.h
//
// Silencer: answers which active silences mute a label set at a given time. The dispatcher
// asks it before notifying (muted alerts are left out) and the API v2 marks alerts with the
// ids it returns (`status.silencedBy`). Implemented by alerting/silences.h. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/labels.h"

namespace andon::alerting {

class Silencer {
 public:
  virtual ~Silencer() = default;
  // Ids of the silences active at now_ms whose matchers all match `labels`; empty: not muted.
  virtual std::vector<std::string> MutedBy(const Labels& labels, int64_t now_ms) const = 0;
};

}  // namespace andon::alerting
