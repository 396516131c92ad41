#include "common/duration.h"

#include <array>
#include <limits>

namespace andon {
namespace {

struct Unit {
  std::string_view name;
  int64_t ms;
};
constexpr std::array<Unit, 7> kUnits = {{{"y", 365LL * 24 * 3600 * 1000},
                                         {"w", 7LL * 24 * 3600 * 1000},
                                         {"d", 24LL * 3600 * 1000},
                                         {"h", 3600LL * 1000},
                                         {"m", 60LL * 1000},
                                         {"s", 1000},
                                         {"ms", 1}}};

}  // namespace

Result<int64_t> ParseDurationMs(std::string_view text) {
  auto invalid = [&] {
    return Status::InvalidArgument("not a valid duration string: \"" + std::string(text) + "\"");
  };
  if (text == "0") return int64_t{0};
  if (text.empty()) return invalid();
  int64_t total = 0;
  size_t next_unit = 0;  // units must appear in descending order, each once
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') return invalid();
    int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > (std::numeric_limits<int64_t>::max() - 9) / 10) return invalid();
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    size_t j = i;
    while (j < text.size() && (text[j] < '0' || text[j] > '9')) ++j;
    std::string_view unit = text.substr(i, j - i);
    size_t k = next_unit;
    while (k < kUnits.size() && kUnits[k].name != unit) ++k;
    if (k == kUnits.size()) return invalid();
    if (n > std::numeric_limits<int64_t>::max() / kUnits[k].ms) return invalid();
    int64_t part = n * kUnits[k].ms;
    if (total > std::numeric_limits<int64_t>::max() - part) return invalid();
    total += part;
    next_unit = k + 1;
    i = j;
  }
  return total;
}

std::string FormatDurationMs(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  for (const Unit& u : kUnits) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms);
      out += u.name;
      ms %= u.ms;
    }
  }
  return out;
}

}  // namespace andon
