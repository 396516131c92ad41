// The notation and file-format half of rules/rule_unit_test.h: the series-description
// parser (the `load` syntax of the PromQL test language, see
// shared/conformance/promql/FORMAT.md section 2), Go-style number and duration printing, and
// the strict YAML reading of test files with the Go YAML decoder's error words.
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/duration.h"
#include "common/labels.h"
#include "rules/rule_unit_test.h"
#include "templating/go_format.h"
#include "tsdb/sample.h"

namespace andon::rules {
namespace {

// At most this many slots per series: a typo such as "0x1000000000" must not exhaust memory.
constexpr int64_t kMaxSlots = 10'000'000;

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Thrown inside the series parser; `pos` is a 0-based byte offset into the line.
struct SyntaxError {
  size_t pos;
  std::string message;
};

Status ToStatus(const SyntaxError& e) {
  return Status::InvalidArgument("1:" + std::to_string(e.pos + 1) + ": parse error: " + e.message);
}

// Go's %q of one character, as the Prometheus lexer prints it.
std::string QuoteChar(char c) {
  if (c == '\'') return "'\\''";
  if (c == '\\') return "'\\\\'";
  if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "'\\x%02x'", static_cast<unsigned char>(c));
    return buf;
  }
  return std::string("'") + c + "'";
}

// A recursive-descent reader of one series description line.
class SeriesParser {
 public:
  explicit SeriesParser(std::string_view line) : s_(line) {}

  Labels ParseMetric() {
    SkipSpace();
    LabelsBuilder b;
    if (p_ < s_.size() && (IsAlpha(s_[p_]) || s_[p_] == ':')) {
      size_t start = p_;
      while (p_ < s_.size() && (IsAlpha(s_[p_]) || IsDigit(s_[p_]) || s_[p_] == ':')) ++p_;
      std::string_view name = s_.substr(start, p_ - start);
      // Keywords the series grammar does not take as a metric name.
      const std::string lower = Lower(name);
      if (lower == "on" || lower == "ignoring" || lower == "group_left" || lower == "group_right" ||
          lower == "bool") {
        throw SyntaxError{start, "unexpected <" + lower + "> in series values"};
      }
      if (lower == "atan2") throw SyntaxError{start, "unexpected <op:atan2> in series values"};
      if (lower == "inf" || lower == "nan") {
        throw SyntaxError{start,
                          "unexpected number \"" + std::string(name) + "\" in series values"};
      }
      b.Set(kMetricNameLabel, name);
      if (p_ < s_.size() && s_[p_] == '{') ParseLabelSet(&b);
    } else if (p_ < s_.size() && s_[p_] == '{') {
      ParseLabelSet(&b);
    } else if (p_ < s_.size()) {
      if (s_[p_] == '"' || s_[p_] == '\'' || s_[p_] == '`') {
        size_t start = p_;
        ParseString();
        throw SyntaxError{start, "unexpected string " +
                                     QuoteLabelValue(s_.substr(start, p_ - start)) +
                                     " in series values"};
      }
      throw SyntaxError{p_, "unexpected character in series sequence: " + QuoteChar(s_[p_])};
    }
    return b.Build();
  }

  // Reads the values after the metric; requires whitespace between the two.
  void ParseValues(std::vector<std::optional<double>>* out) {
    if (p_ < s_.size() && !IsSpace(s_[p_])) {
      throw SyntaxError{p_, "unexpected character in series sequence: " + QuoteChar(s_[p_])};
    }
    while (true) {
      SkipSpace();
      if (p_ >= s_.size()) break;
      size_t start = p_;
      while (p_ < s_.size() && !IsSpace(s_[p_])) ++p_;
      ParseItem(start, p_, out);
    }
  }

  void ExpectEnd() {
    SkipSpace();
    if (p_ < s_.size()) {
      throw SyntaxError{p_, "unexpected character in series sequence: " + QuoteChar(s_[p_])};
    }
  }

 private:
  void SkipSpace() {
    while (p_ < s_.size() && IsSpace(s_[p_])) ++p_;
  }

  // How the Prometheus parser names the token at p_ inside braces; throws the lexer's
  // error for a character it cannot lex there.
  std::string BraceToken() {
    if (p_ >= s_.size()) throw SyntaxError{p_, "unexpected end of input inside braces"};
    char c = s_[p_];
    char n = p_ + 1 < s_.size() ? s_[p_ + 1] : '\0';
    if ((c == '!' && (n == '=' || n == '~')) || (c == '=' && n == '~')) {
      return std::string("<op:") + c + n + ">";
    }
    if (c == '}' || c == ',' || c == '=') return std::string("\"") + c + "\"";
    if (IsAlpha(c)) {
      size_t e = p_;
      while (e < s_.size() && (IsAlpha(s_[e]) || IsDigit(s_[e]))) ++e;
      return "identifier \"" + std::string(s_.substr(p_, e - p_)) + "\"";
    }
    if (c == '"' || c == '\'' || c == '`') {
      size_t start = p_;
      ParseString();
      std::string raw(s_.substr(start, p_ - start));
      p_ = start;
      return "string " + QuoteLabelValue(raw);
    }
    throw SyntaxError{p_, "unexpected character inside braces: " + QuoteChar(c)};
  }

  void ParseLabelSet(LabelsBuilder* b) {
    ++p_;  // '{'
    bool need_comma = false;
    while (true) {
      SkipSpace();
      std::string tok = BraceToken();
      char c = s_[p_];
      if (c == '}') {
        ++p_;
        return;
      }
      if (need_comma) {
        if (c == ',') {
          need_comma = false;
          ++p_;
          continue;
        }
        throw SyntaxError{p_, "unexpected " + tok + " in label set, expected \",\" or \"}\""};
      }
      if (!IsAlpha(c)) {
        throw SyntaxError{p_, "unexpected " + tok + " in label set, expected identifier or \"}\""};
      }
      size_t start = p_;
      while (p_ < s_.size() && (IsAlpha(s_[p_]) || IsDigit(s_[p_]))) ++p_;
      std::string_view name = s_.substr(start, p_ - start);
      SkipSpace();
      tok = BraceToken();
      if (tok != "\"=\"") {
        throw SyntaxError{p_, "unexpected " + tok + " in label set, expected \"=\""};
      }
      ++p_;
      SkipSpace();
      tok = BraceToken();
      if (s_[p_] != '"' && s_[p_] != '\'' && s_[p_] != '`') {
        throw SyntaxError{p_, "unexpected " + tok + " in label set, expected string"};
      }
      std::string value = ParseString();
      b->Set(name, value);
      need_comma = true;
    }
  }

  // A PromQL string literal: "..." or '...' with Go escapes, or `raw`.
  std::string ParseString() {
    char q = s_[p_];
    size_t start = p_++;
    std::string out;
    while (true) {
      if (p_ >= s_.size() || (q != '`' && s_[p_] == '\n')) {
        throw SyntaxError{start, "unterminated quoted string"};
      }
      char c = s_[p_++];
      if (c == q) return out;
      if (c != '\\' || q == '`') {
        out.push_back(c);
        continue;
      }
      if (p_ >= s_.size()) throw SyntaxError{start, "unterminated quoted string"};
      char e = s_[p_++];
      switch (e) {
        case 'a':
          out.push_back('\a');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '"':
        case '\'':
          out.push_back(e);
          break;
        case 'x':
        case 'u':
        case 'U': {
          int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t cp = 0;
          for (int i = 0; i < digits; ++i) {
            if (p_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[p_]))) {
              throw SyntaxError{p_, "invalid escape sequence in string"};
            }
            char h = s_[p_++];
            cp = cp * 16 + (IsDigit(h) ? h - '0' : (std::tolower(h) - 'a' + 10));
          }
          if (e == 'x') {
            out.push_back(static_cast<char>(cp));
          } else {
            templating::AppendUtf8(&out, static_cast<char32_t>(cp));
          }
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t v = e - '0';
            for (int i = 0; i < 2; ++i) {
              if (p_ >= s_.size() || s_[p_] < '0' || s_[p_] > '7') {
                throw SyntaxError{p_, "invalid escape sequence in string"};
              }
              v = v * 8 + (s_[p_++] - '0');
            }
            out.push_back(static_cast<char>(v));
            break;
          }
          throw SyntaxError{p_ - 2, "unknown escape sequence " + QuoteChar(e)};
      }
    }
  }

  // Tokens of one whitespace-free value item.
  enum class Tok { kNumber, kIdent, kAdd, kSub, kTimes, kBlank };
  struct Token {
    Tok kind;
    size_t pos;
    std::string_view text;
  };

  std::vector<Token> Tokenize(size_t begin, size_t end) const {
    std::vector<Token> toks;
    size_t i = begin;
    while (i < end) {
      char c = s_[i];
      size_t start = i;
      if (c == '_') {
        toks.push_back({Tok::kBlank, i, s_.substr(i, 1)});
        ++i;
      } else if (c == 'x') {
        toks.push_back({Tok::kTimes, i, s_.substr(i, 1)});
        ++i;
      } else if (c == '+' || c == '-') {
        toks.push_back({c == '+' ? Tok::kAdd : Tok::kSub, i, s_.substr(i, 1)});
        ++i;
      } else if (IsDigit(c) || c == '.') {
        while (i < end && IsDigit(s_[i])) ++i;
        if (i < end && s_[i] == '.') {
          ++i;
          while (i < end && IsDigit(s_[i])) ++i;
        }
        if (i - start == 1 && c == '.') {
          throw SyntaxError{start, "unexpected character in series sequence: '.'"};
        }
        if (i < end && (s_[i] == 'e' || s_[i] == 'E')) {
          ++i;
          if (i < end && (s_[i] == '+' || s_[i] == '-')) ++i;
          while (i < end && IsDigit(s_[i])) ++i;
        }
        std::string_view text = s_.substr(start, i - start);
        if (i < end && s_[i] != 'x' && (IsAlpha(s_[i]) || IsDigit(s_[i]))) {
          throw SyntaxError{start, "bad number syntax: \"" + std::string(text) + "\""};
        }
        double v;
        if (!NumberValue({Tok::kNumber, start, text}, &v)) {
          throw SyntaxError{start, "error parsing number: strconv.ParseFloat: parsing \"" +
                                       std::string(text) + "\": invalid syntax"};
        }
        toks.push_back({Tok::kNumber, start, text});
      } else if (IsAlpha(c)) {
        while (i < end && (IsAlpha(s_[i]) || IsDigit(s_[i]))) ++i;
        toks.push_back({Tok::kIdent, start, s_.substr(start, i - start)});
      } else {
        throw SyntaxError{i, "unexpected character in series sequence: " + QuoteChar(c)};
      }
    }
    return toks;
  }

  // The parser's name for a token, and the context it adds ("in series values").
  static std::string Describe(const Token& t) {
    switch (t.kind) {
      case Tok::kNumber:
        return "number \"" + std::string(t.text) + "\" in series values";
      case Tok::kIdent:
        return "identifier \"" + std::string(t.text) + "\" in series values";
      case Tok::kBlank:
        return "\"_\" in series values";
      case Tok::kAdd:
        return "<op:+> in series values";
      case Tok::kSub:
        return "<op:-> in series values";
      case Tok::kTimes:
        return "\"x\"";
    }
    return "";
  }

  [[noreturn]] void Unexpected(const std::vector<Token>& toks, size_t k, size_t end) const {
    if (k >= toks.size()) {
      throw SyntaxError{end, end >= s_.size() ? "unexpected end of input in series values"
                                              : "unexpected \" \" in series values"};
    }
    throw SyntaxError{toks[k].pos, "unexpected " + Describe(toks[k])};
  }

  // A number token or a keyword number (Inf, NaN); false for anything else.
  static bool NumberValue(const Token& t, double* v) {
    if (t.kind == Tok::kNumber) {
      std::string str(t.text);
      char* endp = nullptr;
      *v = std::strtod(str.c_str(), &endp);
      return endp == str.c_str() + str.size();
    }
    if (t.kind == Tok::kIdent) {
      std::string l = Lower(t.text);
      if (l == "inf") {
        *v = std::numeric_limits<double>::infinity();
        return true;
      }
      if (l == "nan") {
        *v = std::numeric_limits<double>::quiet_NaN();
        return true;
      }
    }
    return false;
  }

  // An optionally signed number starting at toks[*k]; advances *k.
  double SignedNumber(const std::vector<Token>& toks, size_t* k, size_t end) const {
    double sign = 1;
    bool signed_number = false;
    if (*k < toks.size() && (toks[*k].kind == Tok::kAdd || toks[*k].kind == Tok::kSub)) {
      if (toks[*k].kind == Tok::kSub) sign = -1;
      signed_number = true;
      ++*k;
    }
    double v = 0;
    if (*k >= toks.size() || !NumberValue(toks[*k], &v)) {
      if (!signed_number && *k < toks.size() && toks[*k].kind == Tok::kIdent) {
        throw SyntaxError{toks[*k].pos,
                          "unexpected " + Describe(toks[*k]) + ", expected number or \"stale\""};
      }
      Unexpected(toks, *k, end);
    }
    ++*k;
    return sign * v;
  }

  int64_t Count(const std::vector<Token>& toks, size_t* k, size_t end) const {
    if (*k >= toks.size() || toks[*k].kind != Tok::kNumber) Unexpected(toks, *k, end);
    const Token& t = toks[*k];
    int64_t n = 0;
    for (char c : t.text) {
      if (!IsDigit(c)) throw SyntaxError{t.pos, "unexpected " + Describe(t) + ", expected integer"};
      if (n > kMaxSlots) break;
      n = n * 10 + (c - '0');
    }
    ++*k;
    return n;
  }

  void Reserve(std::vector<std::optional<double>>* out, int64_t n, size_t pos) const {
    if (n > kMaxSlots || static_cast<int64_t>(out->size()) + n > kMaxSlots) {
      throw SyntaxError{pos,
                        "too many values in series (more than " + std::to_string(kMaxSlots) + ")"};
    }
  }

  void ParseItem(size_t begin, size_t end, std::vector<std::optional<double>>* out) {
    std::vector<Token> toks = Tokenize(begin, end);
    size_t k = 0;
    if (toks[0].kind == Tok::kBlank) {
      k = 1;
      int64_t n = 1;
      if (k < toks.size()) {
        if (toks[k].kind != Tok::kTimes) Unexpected(toks, k, end);
        ++k;
        n = Count(toks, &k, end);
      }
      if (k < toks.size()) Unexpected(toks, k, end);
      Reserve(out, n, begin);
      out->insert(out->end(), static_cast<size_t>(n), std::nullopt);
      return;
    }
    if (toks[0].kind == Tok::kIdent && toks[0].text == "stale") {
      if (toks.size() > 1) Unexpected(toks, 1, end);
      Reserve(out, 1, begin);
      out->push_back(kStaleNaN);
      return;
    }
    double a = SignedNumber(toks, &k, end);
    if (k == toks.size()) {
      Reserve(out, 1, begin);
      out->push_back(a);
      return;
    }
    double inc = 0;
    if (toks[k].kind == Tok::kAdd || toks[k].kind == Tok::kSub) inc = SignedNumber(toks, &k, end);
    if (k >= toks.size() || toks[k].kind != Tok::kTimes) Unexpected(toks, k, end);
    ++k;
    int64_t n = Count(toks, &k, end);
    if (k < toks.size()) Unexpected(toks, k, end);
    Reserve(out, n + 1, begin);
    double v = a;
    for (int64_t i = 0; i <= n; ++i) {
      out->push_back(v);
      v += inc;
    }
  }

  std::string_view s_;
  size_t p_ = 0;
};

}  // namespace

Result<SeriesDescription> ParseSeriesDescription(std::string_view line) {
  SeriesDescription d;
  try {
    SeriesParser p(line);
    d.labels = p.ParseMetric();
    p.ParseValues(&d.values);
  } catch (const SyntaxError& e) {
    return ToStatus(e);
  }
  return d;
}

Result<Labels> ParseSeriesLabels(std::string_view text) {
  try {
    SeriesParser p(text);
    Labels l = p.ParseMetric();
    p.ExpectEnd();
    return l;
  } catch (const SyntaxError& e) {
    return ToStatus(e);
  }
}

std::string FormatGoFloatE(double v) { return templating::FormatGoFloat(v, 'E', -1); }

std::string FormatGoDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  uint64_t u = ms < 0 ? static_cast<uint64_t>(-(ms + 1)) + 1 : static_cast<uint64_t>(ms);
  if (ms < 0) out = "-";
  if (u < 1000) return out + std::to_string(u) + "ms";
  uint64_t h = u / 3'600'000;
  uint64_t m = (u / 60'000) % 60;
  uint64_t s = (u / 1000) % 60;
  uint64_t frac = u % 1000;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  out += std::to_string(s);
  if (frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03u", static_cast<unsigned>(frac));
    std::string f(buf);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += "s";
  return out;
}

// ---------------------------------------------------------------------------------------
// Strict YAML reading with the words of gopkg.in/yaml.v2's UnmarshalStrict.

namespace {

// A custom unmarshaler's error (durations): ends decoding at once, printed bare.
struct FatalDecodeError {
  std::string message;
};

class Decoder {
 public:
  // Type errors, each "line N: ...", collected and reported together as yaml.v2 does.
  std::vector<std::string> errors;

  static int Line(const YAML::Node& n) { return n.Mark().line + 1; }

  // The resolved tag of a node, as yaml.v2 names it in messages.
  static std::string Tag(const YAML::Node& n) {
    if (n.IsMap()) return "!!map";
    if (n.IsSequence()) return "!!seq";
    if (n.IsNull()) return "!!null";
    const std::string& tag = n.Tag();
    static constexpr std::string_view kStd = "tag:yaml.org,2002:";
    if (tag.rfind(kStd, 0) == 0) return "!!" + tag.substr(kStd.size());
    if (tag == "!") return "!!str";
    const std::string& v = n.Scalar();
    if (v == "true" || v == "false" || v == "True" || v == "False" || v == "TRUE" || v == "FALSE" ||
        v == "yes" || v == "no" || v == "Yes" || v == "No" || v == "YES" || v == "NO" ||
        v == "on" || v == "off" || v == "On" || v == "Off" || v == "ON" || v == "OFF" || v == "y" ||
        v == "n" || v == "Y" || v == "N") {
      return "!!bool";
    }
    if (IsPlainInt(v)) return "!!int";
    double d;
    if (PlainFloat(v, &d)) return "!!float";
    return "!!str";
  }

  void TypeError(const YAML::Node& n, std::string_view into) {
    std::string tag = Tag(n);
    std::string msg = "line " + std::to_string(Line(n)) + ": cannot unmarshal " + tag;
    if (n.IsScalar()) msg += " `" + n.Scalar() + "`";
    msg += " into " + std::string(into);
    errors.push_back(std::move(msg));
  }

  std::string String(const YAML::Node& n) {
    if (!n || n.IsNull()) return "";
    if (!n.IsScalar()) {
      TypeError(n, "string");
      return "";
    }
    return n.Scalar();
  }

  double Float(const YAML::Node& n) {
    if (!n || n.IsNull()) return 0;
    if (!n.IsScalar()) {
      TypeError(n, "float64");
      return 0;
    }
    std::string tag = Tag(n);
    double d = 0;
    if ((tag == "!!int" || tag == "!!float") && PlainFloat(n.Scalar(), &d)) return d;
    if (tag == "!!int" && IsPlainInt(n.Scalar())) {
      return static_cast<double>(std::strtoll(Clean(n.Scalar()).c_str(), nullptr, 0));
    }
    TypeError(n, "float64");
    return 0;
  }

  int64_t Duration(const YAML::Node& n) {
    std::string s = String(n);
    if (s.empty()) return 0;
    Result<int64_t> d = ParseDurationMs(s);
    if (!d.ok()) throw FatalDecodeError{d.status().message()};
    return *d;
  }

  std::vector<std::string> StringList(const YAML::Node& n) {
    std::vector<std::string> out;
    if (!n || n.IsNull()) return out;
    if (!n.IsSequence()) {
      TypeError(n, "[]string");
      return out;
    }
    for (const YAML::Node& item : n) out.push_back(String(item));
    return out;
  }

  std::map<std::string, std::string> StringMap(const YAML::Node& n, std::string_view type) {
    std::map<std::string, std::string> out;
    if (!n || n.IsNull()) return out;
    if (!n.IsMap()) {
      TypeError(n, type);
      return out;
    }
    for (const auto& kv : n) out[String(kv.first)] = String(kv.second);
    return out;
  }

  // Calls item(node) for each element; `type` is the Go slice type for messages.
  template <typename F>
  void Sequence(const YAML::Node& n, std::string_view type, F item) {
    if (!n || n.IsNull()) return;
    if (!n.IsSequence()) {
      TypeError(n, type);
      return;
    }
    for (const YAML::Node& i : n) item(i);
  }

  // Calls field(key, value) for each entry of a mapping decoded into Go struct `type`;
  // field returns false for an unknown key. False when the node is not a mapping.
  template <typename F>
  bool Struct(const YAML::Node& n, std::string_view type, F field) {
    if (!n || n.IsNull()) return false;
    if (!n.IsMap()) {
      TypeError(n, type);
      return false;
    }
    std::vector<std::string> seen;
    for (const auto& kv : n) {
      std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
      bool dup = false;
      for (const std::string& s : seen) dup = dup || s == key;
      if (dup) {
        errors.push_back("line " + std::to_string(Line(kv.first)) + ": field " + key +
                         " already set in type " + std::string(type));
        continue;
      }
      seen.push_back(key);
      if (!field(key, kv.second)) {
        errors.push_back("line " + std::to_string(Line(kv.first)) + ": field " + key +
                         " not found in type " + std::string(type));
      }
    }
    return true;
  }

 private:
  static std::string Clean(const std::string& v) {
    std::string out;
    for (char c : v) {
      if (c != '_') out.push_back(c);
    }
    return out;
  }
  static bool IsPlainInt(const std::string& raw) {
    std::string v = Clean(raw);
    size_t i = 0;
    if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
    if (i >= v.size()) return false;
    if (v.size() - i > 2 && v[i] == '0' && (v[i + 1] == 'x' || v[i + 1] == 'X')) {
      for (size_t j = i + 2; j < v.size(); ++j) {
        if (!std::isxdigit(static_cast<unsigned char>(v[j]))) return false;
      }
      return true;
    }
    for (size_t j = i; j < v.size(); ++j) {
      if (!IsDigit(v[j])) return false;
    }
    return true;
  }
  // yaml.v2's float resolution: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? and the
  // .inf/.nan spellings.
  static bool PlainFloat(const std::string& v, double* out) {
    static const std::pair<const char*, double> kSpecial[] = {
        {".inf", std::numeric_limits<double>::infinity()},
        {".Inf", std::numeric_limits<double>::infinity()},
        {".INF", std::numeric_limits<double>::infinity()},
        {"+.inf", std::numeric_limits<double>::infinity()},
        {"+.Inf", std::numeric_limits<double>::infinity()},
        {"+.INF", std::numeric_limits<double>::infinity()},
        {"-.inf", -std::numeric_limits<double>::infinity()},
        {"-.Inf", -std::numeric_limits<double>::infinity()},
        {"-.INF", -std::numeric_limits<double>::infinity()},
        {".nan", std::numeric_limits<double>::quiet_NaN()},
        {".NaN", std::numeric_limits<double>::quiet_NaN()},
        {".NAN", std::numeric_limits<double>::quiet_NaN()},
    };
    for (const auto& [s, d] : kSpecial) {
      if (v == s) {
        *out = d;
        return true;
      }
    }
    std::string c = Clean(v);
    size_t i = 0;
    if (i < c.size() && (c[i] == '+' || c[i] == '-')) ++i;
    size_t digits = 0;
    while (i < c.size() && IsDigit(c[i])) ++i, ++digits;
    if (i < c.size() && c[i] == '.') {
      ++i;
      size_t frac = 0;
      while (i < c.size() && IsDigit(c[i])) ++i, ++frac;
      if (digits == 0 && frac == 0) return false;
    } else if (digits == 0) {
      return false;
    }
    if (i < c.size() && (c[i] == 'e' || c[i] == 'E')) {
      ++i;
      if (i < c.size() && (c[i] == '+' || c[i] == '-')) ++i;
      size_t exp = 0;
      while (i < c.size() && IsDigit(c[i])) ++i, ++exp;
      if (exp == 0) return false;
    }
    if (i != c.size()) return false;
    *out = std::strtod(c.c_str(), nullptr);
    return true;
  }
};

TestGroup DecodeTestGroup(Decoder& d, const YAML::Node& n) {
  TestGroup g;
  d.Struct(n, "main.testGroup", [&](const std::string& key, const YAML::Node& v) {
    if (key == "interval") {
      g.interval_ms = d.Duration(v);
    } else if (key == "input_series") {
      d.Sequence(v, "[]main.series", [&](const YAML::Node& item) {
        InputSeries s;
        d.Struct(item, "main.series", [&](const std::string& k, const YAML::Node& x) {
          if (k == "series") {
            s.series = d.String(x);
          } else if (k == "values") {
            s.values = d.String(x);
          } else {
            return false;
          }
          return true;
        });
        g.input_series.push_back(std::move(s));
      });
    } else if (key == "alert_rule_test") {
      d.Sequence(v, "[]main.alertTestCase", [&](const YAML::Node& item) {
        AlertTestCase t;
        d.Struct(item, "main.alertTestCase", [&](const std::string& k, const YAML::Node& x) {
          if (k == "eval_time") {
            t.eval_time_ms = d.Duration(x);
          } else if (k == "alertname") {
            t.alertname = d.String(x);
          } else if (k == "exp_alerts") {
            d.Sequence(x, "[]main.alert", [&](const YAML::Node& a) {
              ExpectedAlert e;
              d.Struct(a, "main.alert", [&](const std::string& ak, const YAML::Node& ax) {
                if (ak == "exp_labels") {
                  e.labels = d.StringMap(ax, "map[string]string");
                } else if (ak == "exp_annotations") {
                  e.annotations = d.StringMap(ax, "map[string]string");
                } else {
                  return false;
                }
                return true;
              });
              t.exp_alerts.push_back(std::move(e));
            });
          } else {
            return false;
          }
          return true;
        });
        g.alert_rule_test.push_back(std::move(t));
      });
    } else if (key == "promql_expr_test") {
      d.Sequence(v, "[]main.promqlTestCase", [&](const YAML::Node& item) {
        PromqlTestCase t;
        d.Struct(item, "main.promqlTestCase", [&](const std::string& k, const YAML::Node& x) {
          if (k == "expr") {
            t.expr = d.String(x);
          } else if (k == "eval_time") {
            t.eval_time_ms = d.Duration(x);
          } else if (k == "exp_samples") {
            d.Sequence(x, "[]main.sample", [&](const YAML::Node& s) {
              ExpectedSample e;
              d.Struct(s, "main.sample", [&](const std::string& sk, const YAML::Node& sx) {
                if (sk == "labels") {
                  e.labels = d.String(sx);
                } else if (sk == "value") {
                  e.value = d.Float(sx);
                } else {
                  return false;
                }
                return true;
              });
              t.exp_samples.push_back(std::move(e));
            });
          } else {
            return false;
          }
          return true;
        });
        g.promql_expr_test.push_back(std::move(t));
      });
    } else if (key == "external_labels") {
      g.external_labels = d.StringMap(v, "map[string]string");
    } else if (key == "external_url") {
      g.external_url = d.String(v);
    } else if (key == "name") {
      g.name = d.String(v);
    } else {
      return false;
    }
    return true;
  });
  return g;
}

}  // namespace

Result<UnitTestFile> ParseUnitTestFile(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("yaml: line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  UnitTestFile f;
  Decoder d;
  try {
    d.Struct(root, "main.unitTestFile", [&](const std::string& key, const YAML::Node& v) {
      if (key == "rule_files") {
        f.rule_files = d.StringList(v);
      } else if (key == "evaluation_interval") {
        f.evaluation_interval_ms = d.Duration(v);
      } else if (key == "group_eval_order") {
        f.group_eval_order = d.StringList(v);
      } else if (key == "tests") {
        d.Sequence(v, "[]main.testGroup",
                   [&](const YAML::Node& item) { f.tests.push_back(DecodeTestGroup(d, item)); });
      } else {
        return false;
      }
      return true;
    });
  } catch (const FatalDecodeError& e) {
    return Status::InvalidArgument(e.message);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("yaml: line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!d.errors.empty()) {
    std::string msg = "yaml: unmarshal errors:";
    for (const std::string& e : d.errors) msg += "\n  " + e;
    return Status::InvalidArgument(msg);
  }
  return f;
}

}  // namespace andon::rules
