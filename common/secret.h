// common/secret.h
//
// Secret holds a credential (password, bearer token, Slack webhook URL) read from the
// configuration. It never prints its value: streaming or formatting it yields "<secret>",
// so a Secret that slips into a log line, an error message or an API response leaks nothing.
// The value is reachable only through Reveal(), which makes every real use easy to find.
// A Secret is a plain value type: cheap to copy, not synchronised.
#pragma once

#include <fmt/format.h>

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace andon {

class Secret {
 public:
  static constexpr std::string_view kRedacted = "<secret>";

  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  // The credential itself, for the code that sends it (an HTTP header, a Slack POST).
  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  // "<secret>" when set, "" when empty: what configuration dumps show.
  std::string Redacted() const { return empty() ? std::string() : std::string(kRedacted); }

  friend bool operator==(const Secret& a, const Secret& b) { return a.value_ == b.value_; }
  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << kRedacted; }

 private:
  std::string value_;
};

}  // namespace andon

template <>
struct fmt::formatter<andon::Secret> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const andon::Secret&, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(andon::Secret::kRedacted, ctx);
  }
};
