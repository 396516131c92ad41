// tsdb/label_matcher.h
//
// A LabelMatcher selects series by one label: name = value, !=, =~ (regex), !~. Prometheus
// semantics: a label the series does not have matches as the empty value, so {foo=""}
// selects series without foo and {foo!~"x"} selects them too. Regexes are RE2, fully
// anchored (the whole value must match), compiled once at construction and shared between
// copies. An immutable LabelMatcher is safe to use from many threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace re2 {
class RE2;
}

namespace andon {

class LabelMatcher {
 public:
  enum class Type { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

  // Compiles the regex of =~ and !~; the error quotes the expression and RE2's reason.
  static Result<LabelMatcher> Make(Type type, std::string name, std::string value);
  // For tests and constants; aborts on an invalid regex.
  static LabelMatcher MustMake(Type type, std::string name, std::string value);

  Type type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }

  bool Matches(std::string_view label_value) const;
  // Whether a series without this label matches (cached).
  bool MatchesEmpty() const { return matches_empty_; }
  // For =~ over a plain alternation of literals ("a|b|c"), the literals; the index then
  // looks them up directly instead of running the regex over every value. Else null.
  const std::vector<std::string>* LiteralSet() const {
    return literals_.empty() ? nullptr : &literals_;
  }

  // foo="bar", foo!~"a.*" (value quoted as in PromQL output).
  std::string ToString() const;

 private:
  LabelMatcher() = default;

  Type type_ = Type::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const re2::RE2> re_;
  std::vector<std::string> literals_;
  bool matches_empty_ = false;
};

}  // namespace andon
