#include "web/query_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace andon::web {
namespace {

void AppendMetric(std::string& out, const Labels& metric) {
  out += '{';
  bool first = true;
  for (const Label& l : metric) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, l.name);
    out += ':';
    AppendJsonString(out, l.value);
  }
  out += '}';
}

// Longest WriteSampleValue output: a sign, "0.", 323 zeros and 17 digits (subnormals), or a
// sign and 309 digits (DBL_MAX).
constexpr size_t kMaxValueChars = 1 + 2 + 323 + 17;

// Writes what AppendSampleValue appends; returns the end.
char* WriteSampleValue(char* p, double v) {
  if (std::isnan(v)) return std::copy_n("NaN", 3, p);
  if (std::isinf(v)) return std::copy_n(v > 0 ? "+Inf" : "-Inf", 4, p);
  // Go prints the shortest round-trip digits, padded with zeros to fixed notation
  // (2^70 is "1180591620717411300000"); to_chars(fixed) would print the exact value.
  // So take the shortest digits from the scientific form and place the point by hand.
  char sci[40];
  auto [end, ec] = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  if (ec != std::errc()) return p;
  const char* q = sci;
  if (*q == '-') *p++ = *q++;
  char digits[24];
  int n = 0;
  for (; q < end && *q != 'e'; ++q) {
    if (*q != '.') digits[n++] = *q;
  }
  int exp = 0;
  std::from_chars(q + 1 + (q[1] == '+'), end, exp);  // "e+21" / "e-07"
  const int point = exp + 1;                         // digits before the decimal point
  if (point <= 0) {
    p = std::copy_n("0.", 2, p);
    p = std::fill_n(p, -point, '0');
    return std::copy_n(digits, n, p);
  }
  if (point >= n) {
    p = std::copy_n(digits, n, p);
    return std::fill_n(p, point - n, '0');
  }
  p = std::copy_n(digits, point, p);
  *p++ = '.';
  return std::copy_n(digits + point, n - point, p);
}

// Vector and matrix points: Prometheus's jsonutil.MarshalTimestamp writes a fraction as
// exactly three digits ("1.500"), unlike the plain float of scalars and strings ("1.5").
char* WritePointTimestamp(char* p, int64_t ms) {
  uint64_t abs = static_cast<uint64_t>(ms);
  if (ms < 0) {
    *p++ = '-';
    abs = uint64_t{0} - abs;  // unsigned arithmetic keeps INT64_MIN well defined
  }
  p = std::to_chars(p, p + 20, abs / 1000).ptr;
  const unsigned frac = static_cast<unsigned>(abs % 1000);
  if (frac == 0) return p;
  *p++ = '.';
  *p++ = static_cast<char>('0' + frac / 100);
  *p++ = static_cast<char>('0' + frac / 10 % 10);
  *p++ = static_cast<char>('0' + frac % 10);
  return p;
}

// [t,"v"] of a vector or matrix point, formatted in one buffer and appended at once.
void AppendPoint(std::string& out, int64_t t, double v) {
  char buf[32 + kMaxValueChars];
  char* p = buf;
  *p++ = '[';
  p = WritePointTimestamp(p, t);
  *p++ = ',';
  *p++ = '"';
  p = WriteSampleValue(p, v);
  *p++ = '"';
  *p++ = ']';
  out.append(buf, static_cast<size_t>(p - buf));
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // A multi-byte sequence: copied when valid UTF-8, else one U+FFFD per bad byte (Go).
    size_t len = c >= 0xF8 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    uint32_t cp = len == 4 ? c & 0x07 : len == 3 ? c & 0x0F : c & 0x1F;
    bool valid = len != 0 && i + len <= s.size();
    for (size_t k = 1; valid && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (valid) {
      constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      valid = cp >= kMin[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (!valid) {
      out += "\\ufffd";
      ++i;
    } else if (cp == 0x2028 || cp == 0x2029) {
      out += cp == 0x2028 ? "\\u2028" : "\\u2029";
      i += len;
    } else {
      out.append(s.data() + i, len);
      i += len;
    }
  }
  out += '"';
}

void AppendSampleValue(std::string& out, double v) {
  char buf[kMaxValueChars];
  out.append(buf, static_cast<size_t>(WriteSampleValue(buf, v) - buf));
}

void AppendTimestamp(std::string& out, int64_t ms) {
  if (ms < 0) {
    out += '-';
    // Unsigned arithmetic keeps INT64_MIN well defined.
    uint64_t abs = uint64_t{0} - static_cast<uint64_t>(ms);
    out += std::to_string(abs / 1000);
    ms = -static_cast<int64_t>(abs % 1000);
  } else {
    out += std::to_string(ms / 1000);
  }
  int frac = static_cast<int>(std::llabs(ms % 1000));
  if (frac == 0) return;
  char digits[4] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                    static_cast<char>('0' + frac % 10), 0};
  int len = 3;
  while (digits[len - 1] == '0') --len;
  out += '.';
  out.append(digits, static_cast<size_t>(len));
}

void AppendQueryData(std::string& out, const query::Value& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, query::Scalar>) {
          out += R"({"resultType":"scalar","result":[)";
          AppendTimestamp(out, v.t);
          out += ",\"";
          AppendSampleValue(out, v.v);
          out += "\"]";
        } else if constexpr (std::is_same_v<T, query::String>) {
          out += R"({"resultType":"string","result":[)";
          AppendTimestamp(out, v.t);
          out += ',';
          AppendJsonString(out, v.v);
          out += ']';
        } else if constexpr (std::is_same_v<T, query::Vector>) {
          out += R"({"resultType":"vector","result":[)";
          for (size_t i = 0; i < v.size(); ++i) {
            if (i != 0) out += ',';
            out += R"({"metric":)";
            AppendMetric(out, v[i].metric);
            out += R"(,"value":)";
            AppendPoint(out, v[i].t, v[i].v);
            out += '}';
          }
          out += ']';
        } else {
          // About 24 bytes a point ([1700000000,"0.123456"],): one allocation, not a doubling
          // series of copies.
          size_t points = 0;
          for (const auto& series : v) points += series.points.size();
          out.reserve(out.size() + points * 24 + v.size() * 128);
          out += R"({"resultType":"matrix","result":[)";
          for (size_t i = 0; i < v.size(); ++i) {
            if (i != 0) out += ',';
            out += R"({"metric":)";
            AppendMetric(out, v[i].metric);
            out += R"(,"values":[)";
            for (size_t k = 0; k < v[i].points.size(); ++k) {
              if (k != 0) out += ',';
              AppendPoint(out, v[i].points[k].t, v[i].points[k].v);
            }
            out += "]}";
          }
          out += ']';
        }
      },
      value);
  out += '}';
}

}  // namespace andon::web
