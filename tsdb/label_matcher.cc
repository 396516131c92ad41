#include "tsdb/label_matcher.h"

#include <re2/re2.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "common/labels.h"

namespace andon {
namespace {

// Splits "a|b|c" into literals when no regex metacharacter other than | appears.
std::vector<std::string> PlainAlternation(std::string_view re) {
  std::vector<std::string> out;
  if (re.empty()) return out;
  for (char c : re) {
    if (std::string_view("\\.+*?()[]{}^$").find(c) != std::string_view::npos) return {};
  }
  size_t start = 0;
  while (true) {
    size_t bar = re.find('|', start);
    out.emplace_back(re.substr(start, bar == std::string_view::npos ? bar : bar - start));
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  return out;
}

}  // namespace

Result<LabelMatcher> LabelMatcher::Make(Type type, std::string name, std::string value) {
  LabelMatcher m;
  m.type_ = type;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  if (type == Type::kRegexMatch || type == Type::kRegexNoMatch) {
    RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_shared<const re2::RE2>("^(?:" + m.value_ + ")$", opts);
    if (!re->ok()) {
      return Status::InvalidArgument("invalid regular expression " + QuoteLabelValue(m.value_) +
                                     ": " + re->error());
    }
    m.re_ = std::move(re);
    if (type == Type::kRegexMatch) m.literals_ = PlainAlternation(m.value_);
  }
  m.matches_empty_ = m.Matches("");
  return m;
}

LabelMatcher LabelMatcher::MustMake(Type type, std::string name, std::string value) {
  auto r = Make(type, std::move(name), std::move(value));
  if (!r.ok()) {
    std::fprintf(stderr, "LabelMatcher::MustMake: %s\n", r.status().message().c_str());
    std::abort();
  }
  return std::move(r).value();
}

bool LabelMatcher::Matches(std::string_view v) const {
  switch (type_) {
    case Type::kEqual:
      return v == value_;
    case Type::kNotEqual:
      return v != value_;
    case Type::kRegexMatch:
      return RE2::FullMatch(v, *re_);
    case Type::kRegexNoMatch:
      return !RE2::FullMatch(v, *re_);
  }
  return false;
}

std::string LabelMatcher::ToString() const {
  static constexpr const char* kOps[] = {"=", "!=", "=~", "!~"};
  return name_ + kOps[static_cast<int>(type_)] + QuoteLabelValue(value_);
}

}  // namespace andon
