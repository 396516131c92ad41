#include "scrape/exposition_parser.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <limits>

#include "scrape/exposition_syntax.h"

namespace andon::scrape {

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kUnknown:
      return "unknown";
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kGaugeHistogram:
      return "gaugehistogram";
    case MetricType::kSummary:
      return "summary";
    case MetricType::kInfo:
      return "info";
    case MetricType::kStateset:
      return "stateset";
  }
  return "unknown";
}

double ExpositionParser::NormalNaN() { return std::bit_cast<double>(0x7ff8000000000001ULL); }

void ExpositionParser::ResetBase(std::string_view input) {
  in_ = input;
  pos_ = 0;
  line_start_ = 0;
  line_ = 1;
  failed_ = false;
  series_ = metric_name_ = labels_ = {};
  value_ = 0;
  timestamp_ms_ = 0;
  has_timestamp_ = false;
  hint_ = {};
  hint_matched_ = false;
  metadata_name_ = help_raw_ = unit_ = comment_ = {};
  type_ = MetricType::kUnknown;
  status_ = Status::Ok();
  error_line_ = error_column_ = 0;
}

ExpositionEntry ExpositionParser::Fail(size_t pos, std::string_view what) {
  failed_ = true;
  error_line_ = line_;
  error_column_ = ColumnOf(pos);
  std::string msg =
      "line " + std::to_string(error_line_) + ", column " + std::to_string(error_column_) + ": ";
  msg.append(what);
  status_ = Status::InvalidArgument(std::move(msg));
  return ExpositionEntry::kError;
}

std::string_view ExpositionParser::help(std::string* scratch) const {
  if (help_raw_.find('\\') == std::string_view::npos) return help_raw_;
  scratch->clear();
  syntax::AppendUnescaped(help_raw_, help_unescapes_quote_, scratch);
  return *scratch;
}

void ExpositionParser::DecodeLabels(LabelsScratch* out) const {
  // labels_ has been validated by Next(): name = "value" pairs, separated by commas and
  // (text format only) blanks.
  out->pairs_.clear();
  out->unescaped_.clear();
  std::string_view s = labels_;
  size_t escaped_bytes = 0;
  size_t i = 0;
  auto skip_blanks = [&](bool commas) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || (commas && s[i] == ','))) ++i;
  };
  while (true) {
    skip_blanks(true);
    if (i >= s.size()) break;
    size_t name_start = i;
    while (i < s.size() && syntax::IsLabelNameChar(s[i])) ++i;
    std::string_view name = s.substr(name_start, i - name_start);
    skip_blanks(false);
    ++i;  // '='
    skip_blanks(false);
    ++i;  // opening quote
    size_t value_start = i;
    bool escaped = false;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\') {
        escaped = true;
        ++i;
      }
      ++i;
    }
    std::string_view value = s.substr(value_start, i - value_start);
    ++i;  // closing quote
    if (escaped) escaped_bytes += value.size();
    out->pairs_.push_back({name, value});
  }
  if (escaped_bytes == 0) return;
  // Reserve first so the views into unescaped_ taken below never move.
  out->unescaped_.reserve(escaped_bytes);
  for (LabelPair& p : out->pairs_) {
    if (p.value.find('\\') == std::string_view::npos) continue;
    size_t start = out->unescaped_.size();
    syntax::AppendUnescaped(p.value, /*unescape_quote=*/true, &out->unescaped_);
    p.value = std::string_view(out->unescaped_).substr(start);
  }
}

namespace syntax {
namespace {

bool EqualsIgnoreCase(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// The decimal part of the number grammar: [+-] (digits [. digits*] | . digits)
// [(e|E) [+-] digits]. Fills the positions of the pieces for the callers.
struct Decimal {
  bool negative = false;
  std::string_view int_digits;
  std::string_view frac_digits;
  int64_t exponent = 0;  // saturated at +-1e9
};

bool ScanDecimal(std::string_view s, Decimal* d) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    d->negative = s[i] == '-';
    ++i;
  }
  size_t int_start = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  d->int_digits = s.substr(int_start, i - int_start);
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t frac_start = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    d->frac_digits = s.substr(frac_start, i - frac_start);
  }
  if (d->int_digits.empty() && d->frac_digits.empty()) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      exp_negative = s[i] == '-';
      ++i;
    }
    size_t exp_start = i;
    int64_t e = 0;
    while (i < s.size() && IsDigit(s[i])) {
      if (e < 1000000000) e = e * 10 + (s[i] - '0');
      ++i;
    }
    if (i == exp_start) return false;
    d->exponent = exp_negative ? -e : e;
  }
  return i == s.size();
}

// Decimal exponent of the leading significant digit plus one (0.05 -> -1, 5 -> 1,
// 500 -> 3), or a very small number when all digits are zero.
int64_t MagnitudeOf(const Decimal& d) {
  size_t lead = 0;
  while (lead < d.int_digits.size() && d.int_digits[lead] == '0') ++lead;
  if (lead < d.int_digits.size()) {
    return static_cast<int64_t>(d.int_digits.size() - lead) + d.exponent;
  }
  size_t frac_zeros = 0;
  while (frac_zeros < d.frac_digits.size() && d.frac_digits[frac_zeros] == '0') ++frac_zeros;
  if (frac_zeros == d.frac_digits.size()) return std::numeric_limits<int64_t>::min() / 2;
  return -static_cast<int64_t>(frac_zeros) + d.exponent;
}

bool DecimalToDouble(std::string_view s, const Decimal& d, double* out) {
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (*first == '+') ++first;  // from_chars takes '-' but not '+'
  auto [ptr, ec] = std::from_chars(first, last, *out, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) {
    if (MagnitudeOf(d) > 0) return false;  // overflow
    *out = d.negative ? -0.0 : 0.0;        // underflow rounds to zero
    return true;
  }
  return ec == std::errc() && ptr == last;
}

// Clinger's fast path for the common case, [+-] digits [. digits] with at most 15 digits:
// the digits are an integer m < 2^53 and the divisor 10^k (k <= 15) is exact too, so one
// IEEE division gives the correctly rounded value, the same double as from_chars. False
// (nothing stored) for anything else, which the full parse then handles.
bool ParseShortDecimal(std::string_view s, double* out) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  constexpr int kMaxDigits = 15;
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  uint64_t m = 0;
  int digits = 0;
  int frac = -1;  // digits after the point; -1 before it
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (IsDigit(c)) {
      if (++digits > kMaxDigits) return false;
      m = m * 10 + static_cast<uint64_t>(c - '0');
      if (frac >= 0) ++frac;
    } else if (c == '.' && frac < 0) {
      frac = 0;
    } else {
      return false;
    }
  }
  if (digits == 0) return false;
  double d = static_cast<double>(m);
  if (frac > 0) d /= kPow10[frac];
  *out = negative ? -d : d;
  return true;
}

}  // namespace

bool ParseFloatValue(std::string_view s, double* out) {
  if (s.empty()) return false;
  if (ParseShortDecimal(s, out)) return true;
  std::string_view body = s;
  bool negative = false;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (!body.empty() && (body[0] == 'i' || body[0] == 'I')) {
    if (!EqualsIgnoreCase(body, "inf") && !EqualsIgnoreCase(body, "infinity")) return false;
    *out = negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
    return true;
  }
  if (!body.empty() && (body[0] == 'n' || body[0] == 'N')) {
    if (body.size() != s.size() || !EqualsIgnoreCase(body, "nan")) return false;
    *out = ExpositionParser::NormalNaN();
    return true;
  }
  Decimal d;
  if (!ScanDecimal(s, &d)) return false;
  return DecimalToDouble(s, d, out);
}

bool ParseTimestampSeconds(std::string_view s, double* seconds, int64_t* ms) {
  Decimal d;
  if (s.empty() || !ScanDecimal(s, &d) || !DecimalToDouble(s, d, seconds)) return false;
  // Exact truncation of seconds * 1000: the digit string shifted by exponent + 3.
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t shift = d.exponent + 3 - static_cast<int64_t>(d.frac_digits.size());
  uint64_t acc = 0;
  bool saturated = false;
  auto push_digit = [&](int digit) {
    if (saturated) return;
    if (acc > (static_cast<uint64_t>(kMax) - digit) / 10) {
      saturated = true;
      return;
    }
    acc = acc * 10 + digit;
  };
  size_t total = d.int_digits.size() + d.frac_digits.size();
  auto digit_at = [&](size_t k) {
    return k < d.int_digits.size() ? d.int_digits[k] - '0'
                                   : d.frac_digits[k - d.int_digits.size()] - '0';
  };
  // Keep the digits left of the (shifted) decimal point, then append `shift` zeros.
  int64_t keep = static_cast<int64_t>(total) + (shift < 0 ? shift : 0);
  for (int64_t k = 0; k < keep; ++k) push_digit(digit_at(static_cast<size_t>(k)));
  for (int64_t k = 0; k < shift && !saturated && acc != 0; ++k) push_digit(0);
  if (saturated) {
    *ms = d.negative ? std::numeric_limits<int64_t>::min() : kMax;
  } else {
    *ms = d.negative ? -static_cast<int64_t>(acc) : static_cast<int64_t>(acc);
  }
  return true;
}

bool ParseTimestampMs(std::string_view s, int64_t* ms) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *ms);
  return ec == std::errc() && ptr == s.data() + s.size() && IsDigit(s[0]);
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    i += len;
  }
  return true;
}

size_t CountCodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string Quote(std::string_view s, size_t max) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  bool cut = s.size() > max;
  if (cut) s = s.substr(0, max);
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
  out += cut ? "...\"" : "\"";
  return out;
}

void AppendUnescaped(std::string_view raw, bool unescape_quote, std::string* out) {
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\' || i + 1 == raw.size()) {
      out->push_back(c);
      continue;
    }
    char next = raw[i + 1];
    if (next == '\\') {
      out->push_back('\\');
    } else if (next == 'n') {
      out->push_back('\n');
    } else if (next == '"' && unescape_quote) {
      out->push_back('"');
    } else {
      out->push_back('\\');
      out->push_back(next);
    }
    ++i;
  }
}

}  // namespace syntax
}  // namespace andon::scrape
