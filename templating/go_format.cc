// templating/go_format.cc
//
// Follows Go 1.19's fmt/print.go, fmt/format.go and strconv/ftoa.go: digits come from
// std::to_chars (shortest round-trip or correctly rounded, as Go's), the layout rules
// (%e vs %f choice of %g, sign and padding, bad-verb notation) are Go's.
#include "templating/go_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace andon::templating {

void AppendQuoted(std::string* out, std::string_view s, bool ascii_only);
void AppendGoQuoteAscii(std::string* out, std::string_view s);

namespace {

// Decimal digits of |v|: d[0..nd) with the decimal point dp digits from the left
// (value = 0.d * 10^dp). Zero has nd == 0.
struct Digits {
  char d[40];
  int nd = 0;
  int dp = 0;
};

Digits ParseScientific(const char* s, const char* end) {
  Digits g;
  const char* p = s;
  for (; p < end && *p != 'e'; ++p) {
    if (*p != '.') g.d[g.nd++] = *p;
  }
  int exp = 0;
  if (p < end) std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), end, exp);
  while (g.nd > 0 && g.d[g.nd - 1] == '0') --g.nd;  // trailing zeros carry no digits
  if (g.nd == 0) {
    g.dp = 0;
  } else {
    g.dp = exp + 1;
  }
  return g;
}

// Shortest digits (prec < 0) or digits rounded to prec significant places.
Digits MakeDigits(double a, int prec) {
  char buf[64];
  std::to_chars_result r;
  if (prec < 0) {
    r = std::to_chars(buf, buf + sizeof buf, a, std::chars_format::scientific);
  } else {
    r = std::to_chars(buf, buf + sizeof buf, a, std::chars_format::scientific,
                      std::max(prec - 1, 0));
  }
  return ParseScientific(buf, r.ptr);
}

void FmtE(std::string* out, const Digits& g, int prec, char fmt) {
  out->push_back(g.nd != 0 ? g.d[0] : '0');
  if (prec > 0) {
    out->push_back('.');
    int i = 1;
    int m = std::min(g.nd, prec + 1);
    if (i < m) {
      out->append(g.d + i, m - i);
      i = m;
    }
    for (; i <= prec; ++i) out->push_back('0');
  }
  out->push_back(fmt);
  int exp = g.dp - 1;
  if (g.nd == 0) exp = 0;
  if (exp < 0) {
    out->push_back('-');
    exp = -exp;
  } else {
    out->push_back('+');
  }
  if (exp < 10) {
    out->push_back('0');
    out->push_back(static_cast<char>('0' + exp));
  } else if (exp < 100) {
    out->push_back(static_cast<char>('0' + exp / 10));
    out->push_back(static_cast<char>('0' + exp % 10));
  } else {
    out->push_back(static_cast<char>('0' + exp / 100));
    out->push_back(static_cast<char>('0' + exp / 10 % 10));
    out->push_back(static_cast<char>('0' + exp % 10));
  }
}

void FmtF(std::string* out, const Digits& g, int prec) {
  if (g.dp > 0) {
    int m = std::min(g.nd, g.dp);
    out->append(g.d, m);
    for (; m < g.dp; ++m) out->push_back('0');
  } else {
    out->push_back('0');
  }
  if (prec > 0) {
    out->push_back('.');
    for (int i = 1; i <= prec; ++i) {
      int j = g.dp + i - 1;
      out->push_back(j >= 0 && j < g.nd ? g.d[j] : '0');
    }
  }
}

bool IsGoPrint(char32_t r) {
  if (r < 0x20 || r == 0x7f) return false;
  if (r < 0x7f) return true;
  if (r >= 0x80 && r <= 0xa0) return false;  // C1 controls and no-break space
  if (r == 0xad) return false;               // soft hyphen
  if (r >= 0x2028 && r <= 0x202e) return false;
  if (r >= 0x2060 && r <= 0x206f) return false;
  if (r == 0xfeff || (r >= 0xfff9 && r <= 0xfffb)) return false;
  if (r >= 0xd800 && r <= 0xdfff) return false;
  if (r >= 0xe000 && r <= 0xf8ff) return false;  // private use
  if (r > 0x10ffff) return false;
  return true;
}

void AppendHex(std::string* out, uint64_t v, int digits, bool upper) {
  const char* hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out->push_back(hex[(v >> (4 * i)) & 0xf]);
}

// The format state of one verb (Go's fmt.fmt flags).
struct Spec {
  bool plus = false, minus = false, sharp = false, space = false, zero = false;
  bool wid_present = false, prec_present = false;
  int wid = 0, prec = 0;
};

int RuneCount(std::string_view s) {
  int n = 0;
  for (size_t i = 0; i < s.size();) {
    i += DecodeGoRune(s.substr(i)).second;
    ++n;
  }
  return n;
}

void WritePadding(std::string* out, int n, bool zero) { out->append(n, zero ? '0' : ' '); }

// Go's fmt.pad: pads s to the width, on the left unless minus.
void Pad(std::string* out, const Spec& sp, std::string_view s) {
  if (!sp.wid_present || sp.wid == 0) {
    out->append(s);
    return;
  }
  int width = sp.wid - RuneCount(s);
  if (width <= 0) {
    out->append(s);
  } else if (!sp.minus) {
    WritePadding(out, width, sp.zero);
    out->append(s);
  } else {
    out->append(s);
    WritePadding(out, width, false);
  }
}

void FmtFloat(std::string* out, const Spec& sp, double v, char verb, int prec) {
  if (sp.prec_present) prec = sp.prec;
  std::string num = "+";
  AppendGoFloat(&num, v, verb == 'F' ? 'f' : verb, prec);
  if (num[1] == '-' || num[1] == '+') {
    num.erase(0, 1);
  }
  if (sp.space && num[0] == '+' && !sp.plus) num[0] = ' ';
  if (num[1] == 'I' || num[1] == 'N') {
    Spec s2 = sp;
    s2.zero = false;
    if (num[1] == 'N' && !sp.space && !sp.plus) num.erase(0, 1);
    Pad(out, s2, num);
    return;
  }
  if (sp.sharp && verb != 'b') {
    // %#g keeps trailing zeros and always prints a decimal point; rarely used in
    // templates: approximated by ensuring a decimal point.
    if (num.find_first_of(".eE") == std::string::npos) num.push_back('.');
  }
  if (sp.plus || num[0] != '+') {
    if (sp.zero && sp.wid_present && sp.wid > static_cast<int>(num.size())) {
      out->push_back(num[0]);
      WritePadding(out, sp.wid - static_cast<int>(num.size()), true);
      out->append(num, 1);
      return;
    }
    Pad(out, sp, num);
    return;
  }
  Pad(out, sp, std::string_view(num).substr(1));
}

void FmtInteger(std::string* out, const Spec& sp, int64_t v, char verb) {
  bool neg = v < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  int base = 10;
  bool upper = false;
  switch (verb) {
    case 'b':
      base = 2;
      break;
    case 'o':
    case 'O':
      base = 8;
      break;
    case 'x':
      base = 16;
      break;
    case 'X':
      base = 16;
      upper = true;
      break;
    default:
      break;
  }
  std::string digits;
  const char* dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  if (u == 0) digits = "0";
  while (u > 0) {
    digits.push_back(dig[u % base]);
    u /= base;
  }
  Spec s2 = sp;
  int prec = 0;
  if (sp.prec_present) {
    prec = sp.prec;
    if (prec == 0 && v == 0) {  // %.0d of zero prints nothing
      s2.zero = false;
      Pad(out, s2, "");
      return;
    }
    s2.zero = false;
  } else if (sp.zero && sp.wid_present && !sp.minus) {
    prec = sp.wid;
    if (neg || sp.plus || sp.space) --prec;  // leave room for the sign
  }
  while (static_cast<int>(digits.size()) < prec) digits.push_back('0');
  if (sp.sharp) {
    if (base == 2) digits += "b0";
    if (base == 8 && digits.back() != '0') digits.push_back('0');
    if (base == 16) digits += upper ? "X0" : "x0";
  }
  if (verb == 'O') digits += "o0";
  if (neg) {
    digits.push_back('-');
  } else if (sp.plus) {
    digits.push_back('+');
  } else if (sp.space) {
    digits.push_back(' ');
  }
  std::reverse(digits.begin(), digits.end());
  s2.zero = false;
  Pad(out, s2, digits);
}

}  // namespace

void AppendUtf8(std::string* out, char32_t r) {
  if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) r = 0xfffd;
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3f)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3f)));
  }
}

namespace {

void FmtString(std::string* out, const Spec& sp, std::string_view s, char verb) {
  if (sp.prec_present) {  // precision truncates to that many runes
    size_t i = 0;
    for (int n = 0; n < sp.prec && i < s.size(); ++n) i += DecodeGoRune(s.substr(i)).second;
    s = s.substr(0, i);
  }
  switch (verb) {
    case 'q': {
      std::string q;
      if (sp.sharp && s.find('`') == std::string_view::npos &&
          std::all_of(s.begin(), s.end(), [](char c) { return c == '\t' || c >= 0x20; })) {
        q = "`" + std::string(s) + "`";
      } else if (sp.plus) {
        AppendGoQuoteAscii(&q, s);
      } else {
        AppendGoQuote(&q, s);
      }
      Pad(out, sp, q);
      return;
    }
    case 'x':
    case 'X': {
      std::string h;
      for (size_t i = 0; i < s.size(); ++i) {
        if (sp.space && i > 0) h.push_back(' ');
        if (sp.sharp && (sp.space || i == 0)) h += verb == 'x' ? "0x" : "0X";
        AppendHex(&h, static_cast<unsigned char>(s[i]), 2, verb == 'X');
      }
      Pad(out, sp, h);
      return;
    }
    default:
      Pad(out, sp, s);
  }
}

void PrintArg(std::string* out, const Spec& sp, const TemplateValue& v, char verb, int depth);

void BadVerb(std::string* out, const TemplateValue& v, char verb) {
  out->append("%!");
  out->push_back(verb);
  out->push_back('(');
  if (v.is_nil()) {
    out->append("<nil>");
  } else {
    out->append(v.GoTypeName());
    out->push_back('=');
    PrintArg(out, Spec(), v, 'v', 0);
  }
  out->push_back(')');
}

void AppendPointer(std::string* out, const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx",
                static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(p)));
  out->append(buf);
}

void PrintArg(std::string* out, const Spec& sp, const TemplateValue& v, char verb, int depth);

void PrintLabels(std::string* out, const Spec& sp, const Labels& l, char verb) {
  out->append("map[");
  bool first = true;
  for (const Label& lb : l) {
    if (!first) out->push_back(' ');
    first = false;
    PrintArg(out, sp, TemplateValue::BorrowedString(lb.name), verb, 1);
    out->push_back(':');
    PrintArg(out, sp, TemplateValue::BorrowedString(lb.value), verb, 1);
  }
  out->push_back(']');
}

bool StringVerb(char verb) {
  return verb == 'v' || verb == 's' || verb == 'x' || verb == 'X' || verb == 'q';
}

void PrintArg(std::string* out, const Spec& sp, const TemplateValue& v, char verb, int depth) {
  using K = TemplateValue::Kind;
  if (v.is_nil()) {
    if (verb == 'v' || verb == 'T') {
      Pad(out, sp, "<nil>");
    } else {
      BadVerb(out, v, verb);
    }
    return;
  }
  if (verb == 'T') {
    FmtString(out, sp, v.GoTypeName(), 's');
    return;
  }
  switch (v.kind()) {
    case K::kNil:
      return;
    case K::kBool:
      if (verb == 't' || verb == 'v') {
        Pad(out, sp, v.bool_value() ? "true" : "false");
      } else {
        BadVerb(out, v, verb);
      }
      return;
    case K::kInt:
      switch (verb) {
        case 'v':
        case 'd':
        case 'b':
        case 'o':
        case 'O':
        case 'x':
        case 'X':
          FmtInteger(out, sp, v.int_value(), verb == 'v' ? 'd' : verb);
          return;
        case 'c': {
          std::string s;
          AppendUtf8(&s, static_cast<char32_t>(v.int_value()));
          Pad(out, sp, s);
          return;
        }
        case 'q': {
          std::string s = "'";
          char32_t r = static_cast<char32_t>(v.int_value());
          if (r == '\'' || r == '\\') {
            s.push_back('\\');
            s.push_back(static_cast<char>(r));
          } else if (IsGoPrint(r)) {
            AppendUtf8(&s, r);
          } else {
            std::string q;
            std::string tmp;
            AppendUtf8(&tmp, r);
            AppendGoQuote(&q, tmp);
            s.append(q, 1, q.size() - 2);
          }
          s.push_back('\'');
          Pad(out, sp, s);
          return;
        }
        case 'U': {
          std::string s = "U+";
          uint64_t u = static_cast<uint64_t>(v.int_value());
          int n = 4;
          while (n < 16 && (u >> (4 * n)) != 0) ++n;
          AppendHex(&s, u, n, true);
          Pad(out, sp, s);
          return;
        }
        default:
          BadVerb(out, v, verb);
          return;
      }
    case K::kFloat:
      switch (verb) {
        case 'v':
          FmtFloat(out, sp, v.float_value(), 'g', -1);
          return;
        case 'g':
        case 'G':
          FmtFloat(out, sp, v.float_value(), verb, -1);
          return;
        case 'e':
        case 'E':
        case 'f':
        case 'F':
          FmtFloat(out, sp, v.float_value(), verb, 6);
          return;
        default:
          BadVerb(out, v, verb);
          return;
      }
    case K::kString:
      if (StringVerb(verb)) {
        FmtString(out, sp, v.string_value(), verb == 'v' ? 's' : verb);
      } else {
        BadVerb(out, v, verb);
      }
      return;
    case K::kTime:
      if (StringVerb(verb)) {
        std::string s;
        AppendGoTime(&s, v.time_value());
        FmtString(out, sp, s, verb == 'v' ? 's' : verb);
      } else {
        BadVerb(out, v, verb);
      }
      return;
    case K::kLabels:
      PrintLabels(out, sp, v.labels_value(), verb);
      return;
    case K::kMap: {
      out->append("map[");
      bool first = true;
      for (const auto& [k, e] : v.map_value()) {
        if (!first) out->push_back(' ');
        first = false;
        PrintArg(out, sp, TemplateValue::BorrowedString(k), verb, depth + 1);
        out->push_back(':');
        PrintArg(out, sp, e, verb, depth + 1);
      }
      out->push_back(']');
      return;
    }
    case K::kList: {
      out->push_back('[');
      bool first = true;
      for (const TemplateValue& e : v.list_value()) {
        if (!first) out->push_back(' ');
        first = false;
        PrintArg(out, sp, e, verb, depth + 1);
      }
      out->push_back(']');
      return;
    }
    case K::kQueryResult: {
      // []*sample: Go prints the pointers' addresses.
      out->push_back('[');
      const QueryResult& r = *v.query_value();
      for (size_t i = 0; i < r.size(); ++i) {
        if (i > 0) out->push_back(' ');
        AppendPointer(out, &r[i]);
      }
      out->push_back(']');
      return;
    }
    case K::kSample: {
      if (depth > 0) {
        AppendPointer(out, &v.sample_value());
        return;
      }
      out->append("&{");
      PrintLabels(out, sp, v.sample_value().labels, verb);
      out->push_back(' ');
      PrintArg(out, sp, TemplateValue::Float(v.sample_value().value), verb, depth + 1);
      out->push_back('}');
      return;
    }
    case K::kAlert: {
      const AlertTemplateData& a = v.alert_value();
      out->push_back('{');
      PrintLabels(out, sp, a.labels, verb);
      out->push_back(' ');
      PrintLabels(out, sp, a.external_labels, verb);
      out->push_back(' ');
      PrintArg(out, sp, TemplateValue::BorrowedString(a.external_url), verb, depth + 1);
      out->push_back(' ');
      PrintArg(out, sp, TemplateValue::Float(a.value), verb, depth + 1);
      out->push_back('}');
      return;
    }
  }
}

// Parses a decimal number at format[*i]; Go's parsenum.
bool ParseNum(std::string_view f, size_t* i, int* num) {
  bool found = false;
  *num = 0;
  while (*i < f.size() && f[*i] >= '0' && f[*i] <= '9') {
    if (*num > 1000000) {  // overflow: Go's parsenum gives up on the rest of the format
      *i = f.size();
      return false;
    }
    *num = *num * 10 + (f[*i] - '0');
    ++*i;
    found = true;
  }
  return found;
}

}  // namespace

std::pair<char32_t, int> DecodeGoRune(std::string_view s) {
  if (s.empty()) return {0xfffd, 0};
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(0);
  if (c < 0x80) return {c, 1};
  auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xc0) == 0x80; };
  if (c >= 0xc2 && c <= 0xdf && cont(1)) return {((c & 0x1f) << 6) | (b(1) & 0x3f), 2};
  if (c >= 0xe0 && c <= 0xef && cont(1) && cont(2)) {
    char32_t r = ((c & 0x0f) << 12) | ((b(1) & 0x3f) << 6) | (b(2) & 0x3f);
    if (r >= 0x800 && (r < 0xd800 || r > 0xdfff)) return {r, 3};
  }
  if (c >= 0xf0 && c <= 0xf4 && cont(1) && cont(2) && cont(3)) {
    char32_t r = ((c & 0x07) << 18) | ((b(1) & 0x3f) << 12) | ((b(2) & 0x3f) << 6) | (b(3) & 0x3f);
    if (r >= 0x10000 && r <= 0x10ffff) return {r, 4};
  }
  return {0xfffd, 1};
}

void AppendGoFloat(std::string* out, double v, char fmt, int prec) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  if (std::signbit(v)) out->push_back('-');
  double a = std::fabs(v);
  bool shortest = prec < 0;
  switch (fmt) {
    case 'f': {
      if (!shortest) {
        char buf[400];
        auto r = std::to_chars(buf, buf + sizeof buf, a, std::chars_format::fixed, prec);
        if (r.ec == std::errc()) {
          out->append(buf, r.ptr);
          return;
        }
        std::string big(1100 + prec, '\0');
        r = std::to_chars(big.data(), big.data() + big.size(), a, std::chars_format::fixed, prec);
        out->append(big.data(), r.ptr);
        return;
      }
      Digits g = MakeDigits(a, -1);
      FmtF(out, g, std::max(g.nd - g.dp, 0));
      return;
    }
    case 'e':
    case 'E': {
      Digits g = MakeDigits(a, shortest ? -1 : prec + 1);
      FmtE(out, g, shortest ? g.nd - 1 : prec, fmt);
      return;
    }
    default: {  // 'g', 'G'
      if (!shortest && prec == 0) prec = 1;
      Digits g = MakeDigits(a, shortest ? -1 : prec);
      int eprec = prec;
      if (shortest) {
        eprec = 6;
        prec = g.nd;
      } else if (eprec > g.nd && g.nd >= g.dp) {
        eprec = g.nd;
      }
      int exp = g.dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (prec > g.nd) prec = g.nd;
        FmtE(out, g, prec - 1, fmt == 'G' ? 'E' : 'e');
        return;
      }
      if (prec > g.dp) prec = g.nd;
      FmtF(out, g, std::max(prec - g.dp, 0));
      return;
    }
  }
}

std::string FormatGoFloat(double v, char fmt, int prec) {
  std::string s;
  AppendGoFloat(&s, v, fmt, prec);
  return s;
}

void AppendGoQuote(std::string* out, std::string_view s) { AppendQuoted(out, s, false); }
void AppendGoQuoteAscii(std::string* out, std::string_view s) { AppendQuoted(out, s, true); }

void AppendQuoted(std::string* out, std::string_view s, bool ascii_only) {
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    auto [r, w] = DecodeGoRune(s.substr(i));
    if (r == 0xfffd && w == 1) {
      out->append("\\x");
      AppendHex(out, static_cast<unsigned char>(s[i]), 2, false);
      i += 1;
      continue;
    }
    i += w;
    if (r == '"' || r == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(r));
    } else if (IsGoPrint(r) && (!ascii_only || r < 0x80)) {
      AppendUtf8(out, r);
    } else {
      switch (r) {
        case '\a':
          out->append("\\a");
          break;
        case '\b':
          out->append("\\b");
          break;
        case '\f':
          out->append("\\f");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        case '\v':
          out->append("\\v");
          break;
        default:
          if (r < ' ' || r == 0x7f) {
            out->append("\\x");
            AppendHex(out, r, 2, false);
          } else if (r < 0x10000) {
            out->append("\\u");
            AppendHex(out, r, 4, false);
          } else {
            out->append("\\U");
            AppendHex(out, r, 8, false);
          }
      }
    }
  }
  out->push_back('"');
}

void AppendGoTime(std::string* out, int64_t unix_nanos) {
  int64_t secs = unix_nanos / 1000000000;
  int64_t nanos = unix_nanos % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld %02lld:%02lld:%02lld",
                static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                static_cast<long long>(rem % 60));
  out->append(buf);
  if (nanos != 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(nanos));
    std::string_view f(frac);
    while (f.back() == '0') f.remove_suffix(1);
    out->append(f);
  }
  out->append(" +0000 UTC");
}

void AppendGoValue(std::string* out, const TemplateValue& v) { PrintArg(out, Spec(), v, 'v', 0); }

void AppendGoSprint(std::string* out, std::span<const TemplateValue> args) {
  bool prev_string = false;
  for (size_t i = 0; i < args.size(); ++i) {
    bool is_string = args[i].kind() == TemplateValue::Kind::kString;
    if (i > 0 && !is_string && !prev_string) out->push_back(' ');
    PrintArg(out, Spec(), args[i], 'v', 0);
    prev_string = is_string;
  }
}

void AppendGoSprintln(std::string* out, std::span<const TemplateValue> args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out->push_back(' ');
    PrintArg(out, Spec(), args[i], 'v', 0);
  }
  out->push_back('\n');
}

void AppendGoSprintf(std::string* out, std::string_view f, std::span<const TemplateValue> args) {
  size_t arg = 0;
  size_t i = 0;
  const size_t end = f.size();
  while (i < end) {
    size_t last = i;
    while (i < end && f[i] != '%') ++i;
    if (i > last) out->append(f.substr(last, i - last));
    if (i >= end) break;
    ++i;  // skip '%'
    Spec sp;
    for (; i < end; ++i) {
      char c = f[i];
      if (c == '#') {
        sp.sharp = true;
      } else if (c == '0') {
        sp.zero = !sp.minus;
      } else if (c == '+') {
        sp.plus = true;
      } else if (c == '-') {
        sp.minus = true;
        sp.zero = false;
      } else if (c == ' ') {
        sp.space = true;
      } else {
        break;
      }
    }
    auto int_from_arg = [&](int* out_num, bool* present) {
      *present = false;
      if (arg < args.size()) {
        const TemplateValue& a = args[arg];
        if (a.kind() == TemplateValue::Kind::kInt && a.int_value() > -1000000 &&
            a.int_value() < 1000000) {
          *out_num = static_cast<int>(a.int_value());
          *present = true;
        }
        ++arg;
      }
    };
    if (i < end && f[i] == '*') {
      ++i;
      int_from_arg(&sp.wid, &sp.wid_present);
      if (!sp.wid_present) out->append("%!(BADWIDTH)");
      if (sp.wid < 0) {
        sp.wid = -sp.wid;
        sp.minus = true;
        sp.zero = false;
      }
    } else {
      sp.wid_present = ParseNum(f, &i, &sp.wid);
    }
    if (i + 1 < end && f[i] == '.') {
      ++i;
      if (i < end && f[i] == '*') {
        ++i;
        int_from_arg(&sp.prec, &sp.prec_present);
        if (sp.prec < 0) {
          sp.prec = 0;
          sp.prec_present = false;
        }
        if (!sp.prec_present) out->append("%!(BADPREC)");
      } else {
        sp.prec_present = ParseNum(f, &i, &sp.prec);
        if (!sp.prec_present) {
          sp.prec = 0;
          sp.prec_present = true;
        }
      }
    }
    if (i >= end) {
      out->append("%!(NOVERB)");
      break;
    }
    auto [verb_rune, size] = DecodeGoRune(f.substr(i));
    i += size;
    if (verb_rune == '%') {
      out->push_back('%');
      continue;
    }
    char verb = verb_rune < 0x80 ? static_cast<char>(verb_rune) : '?';
    if (arg >= args.size()) {
      out->append("%!");
      AppendUtf8(out, verb_rune);
      out->append("(MISSING)");
      continue;
    }
    if (verb == 'v') {
      sp.sharp = false;  // %#v (Go syntax) is not reproduced; printed as %v
      sp.plus = false;   // %+v prints fields as %v does for the types templates see
    }
    if (verb_rune >= 0x80) {
      out->append("%!");
      AppendUtf8(out, verb_rune);
      out->push_back('(');
      out->append(args[arg].is_nil() ? "<nil>" : args[arg].GoTypeName());
      if (!args[arg].is_nil()) {
        out->push_back('=');
        PrintArg(out, Spec(), args[arg], 'v', 0);
      }
      out->push_back(')');
    } else {
      PrintArg(out, sp, args[arg], verb, 0);
    }
    ++arg;
  }
  if (arg < args.size()) {
    out->append("%!(EXTRA ");
    for (size_t k = arg; k < args.size(); ++k) {
      if (k > arg) out->append(", ");
      if (args[k].is_nil()) {
        out->append("<nil>");
      } else {
        out->append(args[k].GoTypeName());
        out->push_back('=');
        PrintArg(out, Spec(), args[k], 'v', 0);
      }
    }
    out->push_back(')');
  }
}

}  // namespace andon::templating
