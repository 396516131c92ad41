// templating/template_functions.cc
//
// The functions templates can call: Go 1.19 text/template's builtins (and, or, not, len,
// index, slice, print, printf, println, html, js, urlquery, eq, ne, lt, le, gt, ge, call)
// and Prometheus 2.42's template functions (template/template.go), with their results
// and error texts.
#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "common/duration.h"
#include "common/url_escape.h"
#include "templating/go_format.h"
#include "templating/template_tree.h"

namespace andon::templating::template_internal {
namespace {

using K = TemplateValue::Kind;
using Args = std::span<const TemplateValue>;

[[noreturn]] void Fail(std::string msg) { throw FunctionError{std::move(msg)}; }

std::string Sprintf(std::string_view format, std::initializer_list<TemplateValue> args) {
  std::string s;
  AppendGoSprintf(&s, format, std::span<const TemplateValue>(args.begin(), args.size()));
  return s;
}

std::string Quote(std::string_view s) {
  std::string q;
  AppendGoQuote(&q, s);
  return q;
}

// ---- strconv.ParseFloat ----

bool EqualFoldPrefix(std::string_view s, std::string_view word, size_t n) {
  if (s.size() < n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != word[i]) return false;
  }
  return true;
}

double GoParseFloat(std::string_view s) {
  auto syntax = [&]() { Fail("strconv.ParseFloat: parsing " + Quote(s) + ": invalid syntax"); };
  if (s.empty()) syntax();
  // Infinity and NaN, as Go's special().
  {
    std::string_view t = s;
    double sign = 1;
    bool signed_ = false;
    if (t[0] == '+' || t[0] == '-') {
      sign = t[0] == '-' ? -1 : 1;
      signed_ = true;
      t.remove_prefix(1);
    }
    if (t.size() == 3 && EqualFoldPrefix(t, "inf", 3)) return sign * HUGE_VAL;
    if (t.size() == 8 && EqualFoldPrefix(t, "infinity", 8)) return sign * HUGE_VAL;
    if (!signed_ && t.size() == 3 && EqualFoldPrefix(t, "nan", 3)) {
      return std::numeric_limits<double>::quiet_NaN();
    }
  }
  // Validate the Go float syntax, then let strtod convert.
  size_t i = 0;
  if (s[i] == '+' || s[i] == '-') ++i;
  bool hex = s.size() >= i + 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X');
  if (hex) i += 2;
  bool digits = false, underscores = false, dot = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_') {
      underscores = true;
    } else if (c == '.') {
      if (dot) syntax();
      dot = true;
    } else if ((c >= '0' && c <= '9') ||
               (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))) {
      digits = true;
    } else {
      break;
    }
  }
  if (!digits) syntax();
  if (i < s.size()) {
    char e = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
    if ((hex && e == 'p') || (!hex && e == 'e')) {
      ++i;
      if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
      bool exp_digits = false;
      for (; i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); ++i) {
        if (s[i] == '_') {
          underscores = true;
        } else {
          exp_digits = true;
        }
      }
      if (!exp_digits) syntax();
    } else if (hex) {
      syntax();  // a hexadecimal mantissa needs a 'p' exponent
    }
  } else if (hex) {
    syntax();
  }
  if (i != s.size()) syntax();
  std::string clean;
  for (char c : s) {
    if (c != '_') clean.push_back(c);
  }
  if (underscores) {  // only between digits (Go's underscoreOK)
    std::string_view body = s;
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
    if (hex) body.remove_prefix(2);
    auto digit = [&](size_t k) {
      char c = body[k];
      return (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
    };
    for (size_t k = 0; k < body.size(); ++k) {
      if (body[k] != '_') continue;
      bool before = k == 0 ? hex : digit(k - 1);
      bool after = k + 1 < body.size() && digit(k + 1);
      if (!before || !after) syntax();
    }
  }
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(clean.c_str(), &end);
  if (errno == ERANGE && std::isinf(v)) {
    Fail("strconv.ParseFloat: parsing " + Quote(s) + ": value out of range");
  }
  return v;
}

double ConvertToFloat(const TemplateValue& v) {
  switch (v.kind()) {
    case K::kFloat:
      return v.float_value();
    case K::kInt:
      return static_cast<double>(v.int_value());
    case K::kString:
      return GoParseFloat(v.string_value());
    default:
      Fail("can't convert " + std::string(v.GoTypeName()) + " to float");
  }
}

std::string Prec4(double v) { return Sprintf("%.4g", {TemplateValue::Float(v)}); }

// ---- Prometheus: humanize* ----

TemplateValue Humanize(FunctionCall&, Args a) {
  double v = ConvertToFloat(a[0]);
  if (v == 0 || std::isnan(v) || std::isinf(v)) return TemplateValue::String(Prec4(v));
  const char* prefix = "";
  if (std::fabs(v) >= 1) {
    for (const char* p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
      if (std::fabs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return TemplateValue::String(Prec4(v) + prefix);
}

TemplateValue Humanize1024(FunctionCall&, Args a) {
  double v = ConvertToFloat(a[0]);
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) {
    return TemplateValue::String(Prec4(v));
  }
  const char* prefix = "";
  for (const char* p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return TemplateValue::String(Prec4(v) + prefix);
}

TemplateValue HumanizeDuration(FunctionCall&, Args a) {
  double v = ConvertToFloat(a[0]);
  if (std::isnan(v) || std::isinf(v)) return TemplateValue::String(Prec4(v));
  if (v == 0) return TemplateValue::String(Prec4(v) + "s");
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    // Go converts with int64(v), which saturates differently; values beyond int64 are
    // clamped here.
    int64_t d =
        v >= 9.2233720368547758e18 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(v);
    int64_t seconds = d % 60, minutes = (d / 60) % 60, hours = (d / 60 / 60) % 24,
            days = d / 60 / 60 / 24;
    auto i = [](int64_t x) { return std::to_string(x); };
    if (days != 0) {
      return TemplateValue::String(sign + i(days) + "d " + i(hours) + "h " + i(minutes) + "m " +
                                   i(seconds) + "s");
    }
    if (hours != 0) {
      return TemplateValue::String(sign + i(hours) + "h " + i(minutes) + "m " + i(seconds) + "s");
    }
    if (minutes != 0) {
      return TemplateValue::String(sign + i(minutes) + "m " + i(seconds) + "s");
    }
    return TemplateValue::String(sign + Prec4(v) + "s");
  }
  const char* prefix = "";
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return TemplateValue::String(Prec4(v) + prefix + "s");
}

TemplateValue HumanizePercentage(FunctionCall&, Args a) {
  double v = ConvertToFloat(a[0]);
  return TemplateValue::String(Prec4(v * 100) + "%");
}

// Prometheus' floatToTime: millisecond precision (model.TimeFromUnixNano), UTC.
int64_t FloatToTimeNanos(double v) {
  double ts = v * 1e9;
  if (ts > 9.2233720368547758e18 || ts < -9.2233720368547758e18) {
    Fail(Sprintf("%v", {TemplateValue::Float(v)}) +
         " cannot be represented as a nanoseconds timestamp since it overflows int64");
  }
  int64_t ns =
      ts >= 9.2233720368547758e18 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(ts);
  int64_t ms = ns / 1000000;  // truncates toward zero, as Go's integer division
  return ms * 1000000;
}

TemplateValue HumanizeTimestamp(FunctionCall&, Args a) {
  double v = ConvertToFloat(a[0]);
  if (std::isnan(v) || std::isinf(v)) return TemplateValue::String(Prec4(v));
  std::string s;
  AppendGoTime(&s, FloatToTimeNanos(v));
  return TemplateValue::String(std::move(s));
}

TemplateValue ToTime(FunctionCall&, Args a) {
  double v = ConvertToFloat(a[0]);
  if (std::isnan(v) || std::isinf(v)) Fail("value is NaN or Inf");
  return TemplateValue::Time(FloatToTimeNanos(v));
}

// ---- Prometheus: strings ----

// Simple case mapping (unicode.ToUpper/ToLower) for ASCII, Latin-1, Latin Extended-A,
// Greek and Cyrillic; other runes are kept.
char32_t UpperRune(char32_t r) {
  if (r >= 'a' && r <= 'z') return r - 32;
  if (r < 0x80) return r;
  if ((r >= 0xe0 && r <= 0xfe && r != 0xf7)) return r - 32;
  if (r == 0xff) return 0x178;
  if (r == 0xb5) return 0x39c;
  if (r >= 0x100 && r <= 0x17f) {
    bool odd_upper = (r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17e);
    if (r == 0x131) return 'I';
    if (r == 0x17f) return 'S';
    if (r == 0x130 || r == 0x138 || r == 0x149) return r;
    if (odd_upper) return (r % 2 == 0) ? r - 1 : r;
    return (r % 2 == 1) ? r - 1 : r;
  }
  if (r >= 0x3b1 && r <= 0x3c9 && r != 0x3c2) return r - 32;
  if (r == 0x3c2) return 0x3a3;
  if (r == 0x3ac) return 0x386;
  if (r >= 0x3ad && r <= 0x3af) return r - 37;
  if (r == 0x3cc) return 0x38c;
  if (r == 0x3cd || r == 0x3ce) return r - 63;
  if (r >= 0x430 && r <= 0x44f) return r - 32;
  if (r >= 0x450 && r <= 0x45f) return r - 80;
  return r;
}

char32_t LowerRune(char32_t r) {
  if (r >= 'A' && r <= 'Z') return r + 32;
  if (r < 0x80) return r;
  if (r >= 0xc0 && r <= 0xde && r != 0xd7) return r + 32;
  if (r == 0x178) return 0xff;
  if (r >= 0x100 && r <= 0x17f) {
    bool odd_upper = (r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17e);
    if (r == 0x130) return 'i';
    if (r == 0x131 || r == 0x138 || r == 0x149 || r == 0x17f) return r;
    if (odd_upper) return (r % 2 == 1) ? r + 1 : r;
    return (r % 2 == 0) ? r + 1 : r;
  }
  if (r >= 0x391 && r <= 0x3a9 && r != 0x3a2) return r + 32;
  if (r == 0x386) return 0x3ac;
  if (r >= 0x388 && r <= 0x38a) return r + 37;
  if (r == 0x38c) return 0x3cc;
  if (r == 0x38e || r == 0x38f) return r + 63;
  if (r >= 0x410 && r <= 0x42f) return r + 32;
  if (r >= 0x400 && r <= 0x40f) return r + 80;
  return r;
}

bool IsLetterOrDigitRune(char32_t r) {
  if (r < 0x80) return std::isalnum(static_cast<int>(r)) != 0;
  return UpperRune(r) != r || LowerRune(r) != r || r == 0xdf || r == 0xaa || r == 0xba ||
         (r >= 0x370 && r != 0x2028 && r != 0x2029 && !(r >= 0x2000 && r <= 0x206f) &&
          r != 0x3000 && r != 0x1680 && r != 0x205f);
}

bool IsSpaceRune(char32_t r) {
  return r == 0x85 || r == 0xa0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200a) || r == 0x2028 ||
         r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000;
}

template <typename Map>
std::string MapRunes(std::string_view in, Map map) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size();) {
    auto [r, w] = DecodeGoRune(in.substr(i));
    if (r == 0xfffd && w == 1) {
      out.append(in.substr(i, 1));
    } else {
      AppendUtf8(&out, map(r));
    }
    i += w;
  }
  return out;
}

TemplateValue ToUpper(FunctionCall&, Args a) {
  return TemplateValue::String(MapRunes(a[0].string_value(), UpperRune));
}

TemplateValue ToLower(FunctionCall&, Args a) {
  return TemplateValue::String(MapRunes(a[0].string_value(), LowerRune));
}

// strings.Title: upper-cases the first letter of each word; words are separated by
// anything that is not a letter, digit or underscore (ASCII; other runes count as letters).
TemplateValue Title(FunctionCall&, Args a) {
  std::string_view in = a[0].string_value();
  std::string out;
  out.reserve(in.size());
  bool prev_sep = true;
  for (size_t i = 0; i < in.size();) {
    auto [r, w] = DecodeGoRune(in.substr(i));
    bool sep;
    if (r < 0x80) {
      sep = !(std::isalnum(static_cast<int>(r)) || r == '_');
    } else {
      sep = !IsLetterOrDigitRune(r) && IsSpaceRune(r);
    }
    if (r == 0xfffd && w == 1) {
      out.append(in.substr(i, 1));
    } else {
      AppendUtf8(&out, prev_sep ? UpperRune(r) : r);
    }
    prev_sep = sep;
    i += w;
  }
  return TemplateValue::String(std::move(out));
}

TemplateValue SafeHtml(FunctionCall&, Args a) {
  return TemplateValue::Html(std::string(a[0].string_value()));
}

// Go regexp error text for an RE2 compile error.
std::string RegexpError(const RE2& re) {
  const char* code = "regexp/syntax: internal error";
  switch (re.error_code()) {
    case RE2::ErrorBadEscape:
      code = "invalid escape sequence";
      break;
    case RE2::ErrorBadCharClass:
      code = "invalid character class";
      break;
    case RE2::ErrorBadCharRange:
      code = "invalid character class range";
      break;
    case RE2::ErrorMissingBracket:
      code = "missing closing ]";
      break;
    case RE2::ErrorMissingParen:
      code = "missing closing )";
      break;
    case RE2::ErrorUnexpectedParen:
      code = "unexpected )";
      break;
    case RE2::ErrorTrailingBackslash:
      code = "trailing backslash at end of expression";
      break;
    case RE2::ErrorRepeatArgument:
      code = "missing argument to repetition operator";
      break;
    case RE2::ErrorRepeatSize:
      code = "invalid repeat count";
      break;
    case RE2::ErrorRepeatOp:
      code = "invalid nested repetition operator";
      break;
    case RE2::ErrorBadPerlOp:
      code = "invalid or unsupported Perl syntax";
      break;
    case RE2::ErrorBadUTF8:
      code = "invalid UTF-8";
      break;
    case RE2::ErrorBadNamedCapture:
      code = "invalid named capture";
      break;
    case RE2::ErrorPatternTooLarge:
      code = "expression too large";
      break;
    default:
      break;
  }
  std::string arg = re.error_arg();
  if (re.error_code() == RE2::ErrorMissingParen || re.error_code() == RE2::ErrorUnexpectedParen) {
    arg = re.pattern();
  }
  return std::string("error parsing regexp: ") + code + ": `" + arg + "`";
}

RE2::Options GoRegexpOptions() {
  RE2::Options o;
  o.set_log_errors(false);
  return o;
}

// The pattern of the call, precompiled at parse time when it is a literal.
std::shared_ptr<const RE2> CallRegexp(const FunctionCall& call, std::string_view pattern,
                                      const RE2** re) {
  if (call.regex != nullptr) {
    *re = call.regex;
    return nullptr;
  }
  auto compiled = CompileGoRegexp(pattern);
  *re = compiled.get();
  return compiled;
}

TemplateValue Match(FunctionCall& call, Args a) {
  const RE2* rp;
  auto owned = CallRegexp(call, a[0].string_value(), &rp);
  const RE2& re = *rp;
  if (!re.ok()) Fail(RegexpError(re));
  std::string_view s = a[1].string_value();
  return TemplateValue::Bool(RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), re));
}

// Go's Regexp.Expand for a replacement template: $1, ${1}, $name, ${name}, $$.
void ExpandReplacement(std::string* out, std::string_view tmpl, const RE2& re,
                       std::span<const re2::StringPiece> groups) {
  const auto& names = re.NamedCapturingGroups();
  auto group = [&](std::string_view name) -> std::string_view {
    int idx = -1;
    if (!name.empty() &&
        std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      // Go: a number too large for an int is treated as a name.
      if (name.size() < 9) idx = std::atoi(std::string(name).c_str());
    } else {
      auto it = names.find(std::string(name));
      if (it != names.end()) idx = it->second;
    }
    if (idx < 0 || static_cast<size_t>(idx) >= groups.size()) return {};
    return std::string_view(groups[idx].data(), groups[idx].size());
  };
  auto is_name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  };
  for (size_t i = 0; i < tmpl.size();) {
    size_t d = tmpl.find('$', i);
    if (d == std::string_view::npos) {
      out->append(tmpl.substr(i));
      break;
    }
    out->append(tmpl.substr(i, d - i));
    i = d + 1;
    if (i < tmpl.size() && tmpl[i] == '$') {
      out->push_back('$');
      ++i;
      continue;
    }
    std::string_view name;
    size_t next = i;
    bool ok = false;
    if (i < tmpl.size() && tmpl[i] == '{') {
      size_t j = i + 1;
      while (j < tmpl.size() && is_name_char(tmpl[j])) ++j;
      if (j < tmpl.size() && tmpl[j] == '}' && j > i + 1) {
        name = tmpl.substr(i + 1, j - i - 1);
        next = j + 1;
        ok = true;
      }
    } else {
      size_t j = i;
      while (j < tmpl.size() && is_name_char(tmpl[j])) ++j;
      if (j > i) {
        name = tmpl.substr(i, j - i);
        next = j;
        ok = true;
      }
    }
    if (!ok) {  // malformed: the '$' is kept literally
      out->push_back('$');
      continue;
    }
    out->append(group(name));
    i = next;
  }
}

TemplateValue ReReplaceAll(FunctionCall& call, Args a) {
  std::string_view pattern = a[0].string_value();
  const RE2* rp;
  auto owned = CallRegexp(call, pattern, &rp);
  const RE2& re = *rp;
  if (!re.ok()) Fail("regexp: Compile(`" + std::string(pattern) + "`): " + RegexpError(re));
  std::string_view repl = a[1].string_value();
  std::string_view src = a[2].string_value();
  const int ngroups = re.NumberOfCapturingGroups() + 1;
  re2::StringPiece small[10];
  std::vector<re2::StringPiece> big;
  re2::StringPiece* m = small;
  if (ngroups > 10) {
    big.resize(ngroups);
    m = big.data();
  }
  std::string out;
  size_t last_end = 0, search = 0;
  while (search <= src.size()) {
    if (!re.Match(re2::StringPiece(src.data(), src.size()), search, src.size(), RE2::UNANCHORED, m,
                  ngroups)) {
      break;
    }
    size_t a0 = m[0].data() - src.data();
    size_t a1 = a0 + m[0].size();
    out.append(src.substr(last_end, a0 - last_end));
    if (a1 > last_end || a0 == 0) {
      ExpandReplacement(&out, repl, re, std::span<const re2::StringPiece>(m, ngroups));
    }
    last_end = a1;
    int width = search < src.size() ? DecodeGoRune(src.substr(search)).second : 0;
    if (search + width > a1) {
      search += width;
    } else if (search + 1 > a1) {
      ++search;
    } else {
      search = a1;
    }
  }
  out.append(src.substr(last_end));
  return TemplateValue::String(std::move(out));
}

// net.SplitHostPort; false on error.
bool SplitHostPort(std::string_view hp, std::string_view* host, std::string_view* port) {
  size_t i = hp.rfind(':');
  if (i == std::string_view::npos) return false;
  size_t j = 0, k = 0;
  if (!hp.empty() && hp[0] == '[') {
    size_t end = hp.find(']');
    if (end == std::string_view::npos) return false;
    if (end + 1 == hp.size()) return false;
    if (end + 1 != i) return false;
    *host = hp.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    *host = hp.substr(0, i);
    if (host->find(':') != std::string_view::npos) return false;
  }
  if (hp.substr(j).find('[') != std::string_view::npos) return false;
  if (hp.substr(k).find(']') != std::string_view::npos) return false;
  *port = hp.substr(i + 1);
  return true;
}

TemplateValue StripPort(FunctionCall&, Args a) {
  std::string_view hp = a[0].string_value();
  std::string_view host, port;
  if (!SplitHostPort(hp, &host, &port)) return a[0];
  return TemplateValue::String(std::string(host));
}

bool IsIP(std::string_view s) {
  std::string z(s);
  unsigned char buf[16];
  return inet_pton(AF_INET, z.c_str(), buf) == 1 || inet_pton(AF_INET6, z.c_str(), buf) == 1;
}

TemplateValue StripDomain(FunctionCall&, Args a) {
  std::string_view hp = a[0].string_value();
  std::string_view host, port;
  if (!SplitHostPort(hp, &host, &port)) {
    host = hp;
    port = {};
  }
  if (IsIP(host)) return a[0];
  host = host.substr(0, host.find('.'));
  if (!port.empty()) {
    if (host.find(':') != std::string_view::npos) {
      return TemplateValue::String("[" + std::string(host) + "]:" + std::string(port));
    }
    return TemplateValue::String(std::string(host) + ":" + std::string(port));
  }
  return TemplateValue::String(std::string(host));
}

TemplateValue GraphLink(FunctionCall&, Args a) {
  std::string s = "/graph?g0.expr=";
  AppendUrlEscaped(a[0].string_value(), /*query=*/true, &s);
  s += "&g0.tab=0";
  return TemplateValue::String(std::move(s));
}

TemplateValue TableLink(FunctionCall&, Args a) {
  std::string s = "/graph?g0.expr=";
  AppendUrlEscaped(a[0].string_value(), /*query=*/true, &s);
  s += "&g0.tab=1";
  return TemplateValue::String(std::move(s));
}

// ---- Prometheus: query results ----

TemplateValue Query(FunctionCall& call, Args a) {
  if (!call.env->query) Fail("no query engine available to templates");
  Result<QueryResult> r = call.env->query(a[0].string_value());
  if (!r.ok()) Fail(r.status().message());
  return TemplateValue::Query(std::make_shared<const QueryResult>(std::move(r).value()));
}

TemplateValue First(FunctionCall&, Args a) {
  if (a[0].is_nil() || a[0].query_value() == nullptr || a[0].query_value()->empty()) {
    Fail("first() called on vector with no elements");
  }
  return TemplateValue::Sample(a[0].query_value(), 0);
}

// Prometheus 2.42's label/value/strvalue dereference a nil sample and panic; Go's
// text/template reports the recovered panic.
[[noreturn]] void NilDereference() {
  Fail("runtime error: invalid memory address or nil pointer dereference");
}

TemplateValue LabelFn(FunctionCall&, Args a) {
  if (a[1].is_nil()) NilDereference();
  const Labels& l = a[1].sample_value().labels;
  return TemplateValue::LabelString(l, l.Get(a[0].string_value()));
}

TemplateValue ValueFn(FunctionCall&, Args a) {
  if (a[0].is_nil()) NilDereference();
  return TemplateValue::Float(a[0].sample_value().value);
}

TemplateValue StrValue(FunctionCall&, Args a) {
  if (a[0].is_nil()) NilDereference();
  const Labels& l = a[0].sample_value().labels;
  return TemplateValue::LabelString(l, l.Get("__value__"));
}

TemplateValue SortByLabel(FunctionCall&, Args a) {
  if (a[1].is_nil() || a[1].query_value() == nullptr) return a[1];
  QueryResult r = *a[1].query_value();
  std::string label(a[0].string_value());
  std::stable_sort(r.begin(), r.end(), [&](const QuerySample& x, const QuerySample& y) {
    return x.labels.Get(label) < y.labels.Get(label);
  });
  return TemplateValue::Query(std::make_shared<const QueryResult>(std::move(r)));
}

TemplateValue ArgsFn(FunctionCall&, Args a) {
  TemplateMap m;
  for (size_t i = 0; i < a.size(); ++i) m.emplace("arg" + std::to_string(i), a[i]);
  return TemplateValue::Map(std::move(m));
}

// ---- Prometheus: URLs, durations, console templates ----

std::string_view UrlPath(std::string_view url) {
  size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  size_t slash = scheme == std::string_view::npos ? 0 : rest.find('/');
  if (slash == std::string_view::npos) return {};
  rest = rest.substr(slash);
  return rest.substr(0, rest.find_first_of("?#"));
}

TemplateValue PathPrefix(FunctionCall& call, Args) {
  std::string_view path = UrlPath(call.env->external_url);
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {  // the decoded path, as url.URL.Path
    if (path[i] == '%' && i + 2 < path.size() + 0 && std::isxdigit(path[i + 1]) &&
        std::isxdigit(path[i + 2])) {
      out.push_back(static_cast<char>(std::stoi(std::string(path.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(path[i]);
    }
  }
  return TemplateValue::String(std::move(out));
}

TemplateValue ExternalURL(FunctionCall& call, Args) {
  return TemplateValue::BorrowedString(call.env->external_url);
}

TemplateValue ParseDuration(FunctionCall&, Args a) {
  Result<int64_t> ms = ParseDurationMs(a[0].string_value());
  if (!ms.ok()) Fail(ms.status().message());
  return TemplateValue::Float(static_cast<double>(*ms) / 1000.0);
}

TemplateValue Tmpl(FunctionCall& call, Args a) {
  // Copy the arguments: the nested execution reuses this thread's argument stack.
  std::string name(a[0].string_value());
  TemplateValue data = a[1];
  std::string out;
  ExecuteNamedTemplate(call, name, data, &out);
  return TemplateValue::String(std::move(out));
}

// ---- text/template builtins ----

// Go's evalArgs for html/js/urlquery: one string as is, else fmt.Sprint of printable values.
std::string EvalArgs(Args a) {
  if (a.size() == 1 && a[0].kind() == K::kString) return std::string(a[0].string_value());
  std::string s;
  bool prev_string = false;
  for (size_t i = 0; i < a.size(); ++i) {
    TemplateValue v = a[i];
    std::string tmp;
    bool is_string = v.kind() == K::kString || v.is_nil();
    if (v.is_nil()) {
      v = TemplateValue::BorrowedString("<no value>");
    } else if (v.kind() == K::kSample) {
      AppendGoValue(&tmp, v);
      tmp.erase(0, 1);
      is_string = false;
    }
    if (i > 0 && !is_string && !prev_string) s.push_back(' ');
    if (!tmp.empty()) {
      s += tmp;
    } else {
      AppendGoValue(&s, v);
    }
    prev_string = is_string;
  }
  return s;
}

TemplateValue Html(FunctionCall&, Args a) {
  std::string in = EvalArgs(a);
  std::string s;
  for (char c : in) {
    switch (c) {
      case '\0':
        s += "\xEF\xBF\xBD";
        break;
      case '"':
        s += "&#34;";
        break;
      case '\'':
        s += "&#39;";
        break;
      case '&':
        s += "&amp;";
        break;
      case '<':
        s += "&lt;";
        break;
      case '>':
        s += "&gt;";
        break;
      default:
        s.push_back(c);
    }
  }
  return TemplateValue::String(std::move(s));
}

TemplateValue Js(FunctionCall&, Args a) {
  std::string in = EvalArgs(a);
  std::string s;
  static const char* kHex = "0123456789ABCDEF";
  for (size_t i = 0; i < in.size();) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      ++i;
      switch (c) {
        case '\\':
          s += "\\\\";
          break;
        case '\'':
          s += "\\'";
          break;
        case '"':
          s += "\\\"";
          break;
        case '<':
          s += "\\u003C";
          break;
        case '>':
          s += "\\u003E";
          break;
        case '&':
          s += "\\u0026";
          break;
        case '=':
          s += "\\u003D";
          break;
        default:
          if (c < ' ') {
            s += "\\u00";
            s.push_back(kHex[c >> 4]);
            s.push_back(kHex[c & 15]);
          } else {
            s.push_back(static_cast<char>(c));
          }
      }
      continue;
    }
    auto [r, w] = DecodeGoRune(std::string_view(in).substr(i));
    bool printable = r >= 0xa0 && r != 0xad && r != 0xfeff && !(r >= 0x2028 && r <= 0x202e);
    if (printable) {
      s.append(in, i, w);
    } else {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(r));
      s += buf;
    }
    i += w;
  }
  return TemplateValue::String(std::move(s));
}

TemplateValue UrlQuery(FunctionCall&, Args a) {
  std::string s;
  AppendUrlEscaped(EvalArgs(a), /*query=*/true, &s);
  return TemplateValue::String(std::move(s));
}

TemplateValue Print(FunctionCall&, Args a) {
  std::string s;
  AppendGoSprint(&s, a);
  return TemplateValue::String(std::move(s));
}

TemplateValue Printf(FunctionCall&, Args a) {
  std::string s;
  AppendGoSprintf(&s, a[0].string_value(), a.subspan(1));
  return TemplateValue::String(std::move(s));
}

TemplateValue Println(FunctionCall&, Args a) {
  std::string s;
  AppendGoSprintln(&s, a);
  return TemplateValue::String(std::move(s));
}

TemplateValue Not(FunctionCall&, Args a) { return TemplateValue::Bool(!IsTrue(a[0])); }

// And/or are evaluated by the executor (they short-circuit); these are never called.
TemplateValue AndOr(FunctionCall&, Args a) { return a.empty() ? TemplateValue() : a.back(); }

TemplateValue Call(FunctionCall&, Args a) {
  if (a[0].is_nil()) Fail("call of nil");
  Fail("non-function of type " + std::string(a[0].GoTypeName()));
}

// The type a pointer points to, for messages about indirected values.
std::string IndirectTypeName(const TemplateValue& v) {
  if (v.kind() == K::kSample) return "template.sample";
  if (v.kind() == K::kTime) return "time.Time";
  return std::string(v.GoTypeName());
}

TemplateValue Len(FunctionCall&, Args a) {
  if (a[0].is_nil()) Fail("len of nil pointer");
  int64_t n = a[0].Length();
  if (n < 0) Fail("len of type " + IndirectTypeName(a[0]));
  return TemplateValue::Int(n);
}

int64_t IndexArg(const TemplateValue& index, int64_t cap) {
  if (index.is_nil()) Fail("cannot index slice/array with nil");
  if (index.kind() != K::kInt) {
    Fail("cannot index slice/array with type " + std::string(index.GoTypeName()));
  }
  int64_t x = index.int_value();
  if (x < 0 || x > cap) Fail("index out of range: " + std::to_string(x));
  return x;
}

TemplateValue IndexOne(const TemplateValue& item, const TemplateValue& index) {
  switch (item.kind()) {
    case K::kString: {
      std::string_view s = item.string_value();
      int64_t x = IndexArg(index, static_cast<int64_t>(s.size()));
      if (x == static_cast<int64_t>(s.size())) Fail("reflect: string index out of range");
      return TemplateValue::Int(static_cast<unsigned char>(s[x]));
    }
    case K::kList: {
      const TemplateList& l = item.list_value();
      int64_t x = IndexArg(index, static_cast<int64_t>(l.size()));
      if (x == static_cast<int64_t>(l.size())) Fail("reflect: slice index out of range");
      return l[x];
    }
    case K::kQueryResult: {
      const auto& q = item.query_value();
      int64_t n = q == nullptr ? 0 : static_cast<int64_t>(q->size());
      int64_t x = IndexArg(index, n);
      if (x == n) Fail("reflect: slice index out of range");
      return TemplateValue::Sample(q, x);
    }
    case K::kLabels:
    case K::kMap: {
      if (index.is_nil()) Fail("value is nil; should be of type string");
      if (index.kind() != K::kString) {
        Fail("value has type " + std::string(index.GoTypeName()) + "; should be string");
      }
      if (item.kind() == K::kLabels) {
        return item.LabelValue(item.labels_value().Get(index.string_value()));
      }
      const TemplateMap& m = item.map_value();
      auto it = m.find(index.string_value());
      return it == m.end() ? TemplateValue() : it->second;
    }
    default:
      Fail("can't index item of type " + IndirectTypeName(item));
  }
}

TemplateValue Index(FunctionCall&, Args a) {
  if (a[0].is_nil()) Fail("index of untyped nil");
  TemplateValue item = a[0];
  for (size_t i = 1; i < a.size(); ++i) {
    if (item.is_nil()) Fail("index of untyped nil");
    item = IndexOne(item, a[i]);
  }
  return item;
}

TemplateValue Slice(FunctionCall&, Args a) {
  const TemplateValue& item = a[0];
  if (item.is_nil()) Fail("slice of untyped nil");
  size_t nidx = a.size() - 1;
  if (nidx > 3) Fail("too many slice indexes: " + std::to_string(nidx));
  int64_t len;
  switch (item.kind()) {
    case K::kString:
      if (nidx == 3) Fail("cannot 3-index slice a string");
      len = static_cast<int64_t>(item.string_value().size());
      break;
    case K::kList:
    case K::kQueryResult:
      len = item.Length();
      break;
    default:
      Fail("can't slice item of type " + IndirectTypeName(item));
  }
  int64_t idx[3] = {0, len, len};
  for (size_t i = 0; i < nidx; ++i) idx[i] = IndexArg(a[i + 1], len);
  if (idx[0] > idx[1]) {
    Fail("invalid slice index: " + std::to_string(idx[0]) + " > " + std::to_string(idx[1]));
  }
  if (nidx == 3 && idx[1] > idx[2]) {
    Fail("invalid slice index: " + std::to_string(idx[1]) + " > " + std::to_string(idx[2]));
  }
  switch (item.kind()) {
    case K::kString:
      return TemplateValue::String(
          std::string(item.string_value().substr(idx[0], idx[1] - idx[0])));
    case K::kList: {
      const TemplateList& l = item.list_value();
      return TemplateValue::List(TemplateList(l.begin() + idx[0], l.begin() + idx[1]));
    }
    default: {
      const QueryResult& q = *item.query_value();
      return TemplateValue::Query(
          std::make_shared<const QueryResult>(q.begin() + idx[0], q.begin() + idx[1]));
    }
  }
}

// ---- comparisons (Go's eq, lt and friends) ----

enum class BasicKind { kInvalid, kBool, kInt, kFloat, kString };

BasicKind Basic(const TemplateValue& v) {
  switch (v.kind()) {
    case K::kBool:
      return BasicKind::kBool;
    case K::kInt:
      return BasicKind::kInt;
    case K::kFloat:
      return BasicKind::kFloat;
    case K::kString:
      return BasicKind::kString;
    default:
      return BasicKind::kInvalid;
  }
}

bool Comparable(const TemplateValue& v) {
  switch (v.kind()) {
    case K::kLabels:
    case K::kMap:
    case K::kList:
    case K::kQueryResult:
    case K::kAlert:
      return false;
    default:
      return true;
  }
}

[[noreturn]] void Uncomparable(const TemplateValue& v) {
  std::string s;
  AppendGoValue(&s, v);
  Fail("non-comparable type " + s + ": " + std::string(v.GoTypeName()));
}

bool SameObject(const TemplateValue& a, const TemplateValue& b) {
  if (a.kind() != b.kind()) return false;
  if (a.kind() == K::kSample) return &a.sample_value() == &b.sample_value();
  if (a.kind() == K::kTime) return false;  // distinct *time.Time pointers
  return false;
}

bool EqPair(const TemplateValue& a, BasicKind k1, const TemplateValue& b) {
  BasicKind k2 = Basic(b);
  if (k1 != k2) {
    if (!a.is_nil() && !b.is_nil()) Fail("incompatible types for comparison");
    return false;
  }
  switch (k1) {
    case BasicKind::kBool:
      return a.bool_value() == b.bool_value();
    case BasicKind::kInt:
      return a.int_value() == b.int_value();
    case BasicKind::kFloat:
      return a.float_value() == b.float_value();
    case BasicKind::kString:
      return a.string_value() == b.string_value();
    case BasicKind::kInvalid:
      if (a.is_nil() || b.is_nil()) return a.is_nil() && b.is_nil();
      if (a.GoTypeName() != b.GoTypeName()) {
        std::string sa, sb;
        AppendGoValue(&sa, a);
        AppendGoValue(&sb, b);
        Fail("non-comparable types " + sa + ": " + std::string(a.GoTypeName()) + ", " +
             std::string(b.GoTypeName()) + ": " + sb);
      }
      if (!Comparable(b)) Uncomparable(b);
      return SameObject(a, b);
  }
  return false;
}

TemplateValue Eq(FunctionCall&, Args a) {
  if (a.size() < 2) Fail("missing argument for comparison");
  BasicKind k1 = Basic(a[0]);
  for (size_t i = 1; i < a.size(); ++i) {
    if (EqPair(a[0], k1, a[i])) return TemplateValue::Bool(true);
  }
  return TemplateValue::Bool(false);
}

TemplateValue Ne(FunctionCall& c, Args a) { return TemplateValue::Bool(!Eq(c, a).bool_value()); }

bool Less(const TemplateValue& a, const TemplateValue& b) {
  BasicKind k1 = Basic(a);
  if (k1 == BasicKind::kInvalid) Fail("invalid type for comparison");
  BasicKind k2 = Basic(b);
  if (k2 == BasicKind::kInvalid) Fail("invalid type for comparison");
  if (k1 != k2) Fail("incompatible types for comparison");
  switch (k1) {
    case BasicKind::kBool:
      Fail("invalid type for comparison");
    case BasicKind::kInt:
      return a.int_value() < b.int_value();
    case BasicKind::kFloat:
      return a.float_value() < b.float_value();
    default:
      return a.string_value() < b.string_value();
  }
}

TemplateValue Lt(FunctionCall&, Args a) { return TemplateValue::Bool(Less(a[0], a[1])); }
TemplateValue Le(FunctionCall& c, Args a) {
  if (Less(a[0], a[1])) return TemplateValue::Bool(true);
  return Eq(c, a);
}
TemplateValue Gt(FunctionCall& c, Args a) { return TemplateValue::Bool(!Le(c, a).bool_value()); }
TemplateValue Ge(FunctionCall&, Args a) { return TemplateValue::Bool(!Less(a[0], a[1])); }

using P = ParamType;

const std::vector<FunctionDef>& Table() {
  static const std::vector<FunctionDef> kTable = {
      // text/template builtins
      {"and", AndOr, {P::kValue, P::kValue}, true},
      {"or", AndOr, {P::kValue, P::kValue}, true},
      {"not", Not, {P::kValue}},
      {"call", Call, {P::kValue, P::kValue}, true},
      {"html", Html, {P::kAny}, true},
      {"js", Js, {P::kAny}, true},
      {"urlquery", UrlQuery, {P::kAny}, true},
      {"print", Print, {P::kAny}, true},
      {"printf", Printf, {P::kString, P::kAny}, true},
      {"println", Println, {P::kAny}, true},
      {"len", Len, {P::kValue}},
      {"index", Index, {P::kValue, P::kValue}, true},
      {"slice", Slice, {P::kValue, P::kValue}, true},
      {"eq", Eq, {P::kValue, P::kValue}, true},
      {"ne", Ne, {P::kValue, P::kValue}},
      {"lt", Lt, {P::kValue, P::kValue}},
      {"le", Le, {P::kValue, P::kValue}},
      {"gt", Gt, {P::kValue, P::kValue}},
      {"ge", Ge, {P::kValue, P::kValue}},
      // Prometheus 2.42
      {"query", Query, {P::kString}},
      {"first", First, {P::kQueryResult}},
      {"label", LabelFn, {P::kString, P::kSample}},
      {"value", ValueFn, {P::kSample}},
      {"strvalue", StrValue, {P::kSample}},
      {"args", ArgsFn, {P::kAny}, true},
      {"reReplaceAll", ReReplaceAll, {P::kString, P::kString, P::kString}},
      {"safeHtml", SafeHtml, {P::kString}},
      {"match", Match, {P::kString, P::kString}},
      {"title", Title, {P::kString}},
      {"toUpper", ToUpper, {P::kString}},
      {"toLower", ToLower, {P::kString}},
      {"graphLink", GraphLink, {P::kString}},
      {"tableLink", TableLink, {P::kString}},
      {"sortByLabel", SortByLabel, {P::kString, P::kQueryResult}},
      {"humanize", Humanize, {P::kAny}},
      {"humanize1024", Humanize1024, {P::kAny}},
      {"humanizeDuration", HumanizeDuration, {P::kAny}},
      {"humanizePercentage", HumanizePercentage, {P::kAny}},
      {"humanizeTimestamp", HumanizeTimestamp, {P::kAny}},
      {"toTime", ToTime, {P::kAny}},
      {"pathPrefix", PathPrefix, {}},
      {"externalURL", ExternalURL, {}},
      {"parseDuration", ParseDuration, {P::kString}},
      {"stripPort", StripPort, {P::kString}},
      {"stripDomain", StripDomain, {P::kString}},
      // console templates only
      {"tmpl", Tmpl, {P::kString, P::kAny}},
  };
  return kTable;
}

}  // namespace

std::shared_ptr<const re2::RE2> CompileGoRegexp(std::string_view pattern) {
  return std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()),
                                     GoRegexpOptions());
}

const FunctionDef* FindFunction(std::string_view name, bool console) {
  if (name == "tmpl" && !console) return nullptr;
  for (const FunctionDef& f : Table()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string_view ParamTypeName(ParamType t) {
  switch (t) {
    case ParamType::kAny:
      return "interface {}";
    case ParamType::kValue:
      return "reflect.Value";
    case ParamType::kString:
      return "string";
    case ParamType::kSample:
      return "*template.sample";
    case ParamType::kQueryResult:
      return "template.queryResult";
  }
  return "";
}

}  // namespace andon::templating::template_internal
