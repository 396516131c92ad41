#include "query/lexer.h"

#include <fmt/format.h>

#include <array>
#include <cctype>

namespace andon::query {
namespace {

constexpr int kEofRune = -1;
constexpr int kRuneError = 0xFFFD;

bool IsSpace(int r) { return r == ' ' || r == '\t' || r == '\n' || r == '\r'; }
bool IsDigit(int r) { return r >= '0' && r <= '9'; }
bool IsAlpha(int r) { return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'); }
bool IsAlphaNumeric(int r) { return IsAlpha(r) || IsDigit(r); }

// Decodes one UTF-8 rune at s[i]; invalid encodings yield U+FFFD with width 1.
int DecodeRune(std::string_view s, size_t i, uint32_t* width) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  *width = 1;
  if (c < 0x80) return c;
  int n;
  int r;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 1, r = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 2, r = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 3, r = c & 0x07;
  } else {
    return kRuneError;
  }
  if (i + n >= s.size()) return kRuneError;
  for (int k = 1; k <= n; ++k) {
    unsigned char cc = b(i + k);
    if ((cc & 0xC0) != 0x80) return kRuneError;
    r = (r << 6) | (cc & 0x3F);
  }
  if ((n == 2 && r < 0x800) || (n == 3 && (r < 0x10000 || r > 0x10FFFF)) ||
      (r >= 0xD800 && r <= 0xDFFF)) {
    return kRuneError;
  }
  *width = n + 1;
  return r;
}

void AppendUtf8(std::string* out, uint32_t r) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

// An approximation of Go's unicode.IsPrint for the runes queries contain.
bool IsPrintRune(int r) {
  if (r < 0x20 || r == 0x7F) return false;
  if (r >= 0x80 && r <= 0x9F) return false;
  if (r == 0xAD) return false;
  if (r >= 0x2028 && r <= 0x2029) return false;
  if (r >= 0xE000 && r <= 0xF8FF) return false;
  return true;
}

// Appends the escaped form of r (inside a literal quoted with `quote`) like Go's strconv.
void AppendQuotedRune(std::string* out, int r, int quote) {
  if (r == quote || r == '\\') {
    out->push_back('\\');
    out->push_back(static_cast<char>(r));
    return;
  }
  if (IsPrintRune(r)) {
    AppendUtf8(out, static_cast<uint32_t>(r));
    return;
  }
  switch (r) {
    case '\a':
      *out += "\\a";
      return;
    case '\b':
      *out += "\\b";
      return;
    case '\f':
      *out += "\\f";
      return;
    case '\n':
      *out += "\\n";
      return;
    case '\r':
      *out += "\\r";
      return;
    case '\t':
      *out += "\\t";
      return;
    case '\v':
      *out += "\\v";
      return;
  }
  if (r < ' ' || r == 0x7F) {
    *out += fmt::format("\\x{:02x}", r);
  } else if (r < 0x10000) {
    *out += fmt::format("\\u{:04x}", r);
  } else {
    *out += fmt::format("\\U{:08x}", r);
  }
}

// Go's %#U: "U+0071 'q'".
std::string FormatRuneU(int r) {
  if (r < 0) r = kRuneError;
  std::string s = fmt::format("U+{:04X}", r);
  if (IsPrintRune(r)) {
    s += " '";
    AppendUtf8(&s, static_cast<uint32_t>(r));
    s += "'";
  }
  return s;
}

int DigitVal(int ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return 16;
}

struct Keyword {
  std::string_view word;
  TokenType type;
};
constexpr std::array<Keyword, 28> kKeywords = {{
    {"and", TokenType::kLand},
    {"or", TokenType::kLor},
    {"unless", TokenType::kLunless},
    {"atan2", TokenType::kAtan2},
    {"sum", TokenType::kSum},
    {"avg", TokenType::kAvg},
    {"count", TokenType::kCount},
    {"min", TokenType::kMin},
    {"max", TokenType::kMax},
    {"group", TokenType::kGroup},
    {"stddev", TokenType::kStddev},
    {"stdvar", TokenType::kStdvar},
    {"topk", TokenType::kTopk},
    {"bottomk", TokenType::kBottomk},
    {"count_values", TokenType::kCountValues},
    {"quantile", TokenType::kQuantile},
    {"offset", TokenType::kOffset},
    {"by", TokenType::kBy},
    {"without", TokenType::kWithout},
    {"on", TokenType::kOn},
    {"ignoring", TokenType::kIgnoring},
    {"group_left", TokenType::kGroupLeft},
    {"group_right", TokenType::kGroupRight},
    {"bool", TokenType::kBool},
    {"start", TokenType::kStart},
    {"end", TokenType::kEnd},
    {"inf", TokenType::kNumber},
    {"nan", TokenType::kNumber},
}};

bool EqualsLower(std::string_view word, std::string_view lower) {
  if (word.size() != lower.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(word[i])) != lower[i]) return false;
  }
  return true;
}

// The fixed spelling of tokens Prometheus lists in its item-type table, or empty.
std::string_view FixedSpelling(TokenType t) {
  switch (t) {
    case TokenType::kLeftParen:
      return "(";
    case TokenType::kRightParen:
      return ")";
    case TokenType::kLeftBrace:
      return "{";
    case TokenType::kRightBrace:
      return "}";
    case TokenType::kLeftBracket:
      return "[";
    case TokenType::kRightBracket:
      return "]";
    case TokenType::kComma:
      return ",";
    case TokenType::kAssign:
      return "=";
    case TokenType::kColon:
      return ":";
    default:
      break;
  }
  if (IsOperatorToken(t) || IsAggregatorToken(t) || IsKeywordToken(t) || t == TokenType::kStart ||
      t == TokenType::kEnd) {
    return "x";  // any non-empty marker: these are all in the table
  }
  return {};
}

}  // namespace

bool IsOperatorToken(TokenType t) { return t >= TokenType::kAdd && t <= TokenType::kAt; }
bool IsAggregatorToken(TokenType t) { return t >= TokenType::kAvg && t <= TokenType::kTopk; }
bool IsKeywordToken(TokenType t) { return t >= TokenType::kBool && t <= TokenType::kWithout; }

int Lexer::NextRune() {
  if (pos_ >= input_.size()) {
    width_ = 0;
    return kEofRune;
  }
  int r = DecodeRune(input_, pos_, &width_);
  pos_ += width_;
  return r;
}

int Lexer::PeekRune() {
  int r = NextRune();
  Backup();
  return r;
}

bool Lexer::Accept(std::string_view valid) {
  int r = NextRune();
  if (r >= 0 && r < 0x80 && valid.find(static_cast<char>(r)) != std::string_view::npos) {
    return true;
  }
  Backup();
  return false;
}

void Lexer::AcceptRun(std::string_view valid) {
  while (Accept(valid)) {
  }
}

Token Lexer::Emit(TokenType t) {
  Token tok{t, start_, input_.substr(start_, pos_ - start_)};
  start_ = pos_;
  return tok;
}

Token Lexer::Error(std::string message) {
  error_ = std::move(message);
  done_ = true;
  return Token{TokenType::kError, start_, {}};
}

Token Lexer::Next() {
  if (done_) return Token{TokenType::kEof, static_cast<uint32_t>(input_.size()), {}};
  for (;;) {
    start_ = pos_;
    bool produced = true;
    Token t;
    if (brace_open_) {
      t = LexInsideBraces(&produced);
    } else if (expect_duration_) {
      expect_duration_ = false;
      t = LexDuration();
    } else {
      t = LexStatement(&produced);
    }
    if (produced) {
      if (t.type == TokenType::kEof) done_ = true;
      return t;
    }
  }
}

Token Lexer::LexComment() {
  int r;
  do {
    r = NextRune();
  } while (r != '\n' && r != '\r' && r != kEofRune);
  Backup();
  return Emit(TokenType::kComment);
}

Token Lexer::LexStatement(bool* produced) {
  if (pos_ < input_.size() && input_[pos_] == '#') return LexComment();
  int r = NextRune();
  switch (r) {
    case kEofRune:
      if (paren_depth_ != 0) return Error("unclosed left parenthesis");
      if (bracket_open_) return Error("unclosed left bracket");
      return Emit(TokenType::kEof);
    case ',':
      return Emit(TokenType::kComma);
    case '*':
      return Emit(TokenType::kMul);
    case '/':
      return Emit(TokenType::kDiv);
    case '%':
      return Emit(TokenType::kMod);
    case '+':
      return Emit(TokenType::kAdd);
    case '-':
      return Emit(TokenType::kSub);
    case '^':
      return Emit(TokenType::kPow);
    case '@':
      return Emit(TokenType::kAt);
    case '=': {
      int t = PeekRune();
      if (t == '=') {
        NextRune();
        return Emit(TokenType::kEqlc);
      }
      if (t == '~') return Error("unexpected character after '=': " + QuoteRune(t));
      return Emit(TokenType::kAssign);
    }
    case '!': {
      int t = NextRune();
      if (t != '=') return Error("unexpected character after '!': " + QuoteRune(t));
      return Emit(TokenType::kNeq);
    }
    case '<':
      if (PeekRune() == '=') {
        NextRune();
        return Emit(TokenType::kLte);
      }
      return Emit(TokenType::kLss);
    case '>':
      if (PeekRune() == '=') {
        NextRune();
        return Emit(TokenType::kGte);
      }
      return Emit(TokenType::kGtr);
    case '"':
    case '\'':
      return LexString(r);
    case '`':
      return LexRawString();
    case '(':
      ++paren_depth_;
      return Emit(TokenType::kLeftParen);
    case ')': {
      Token t = Emit(TokenType::kRightParen);
      if (--paren_depth_ < 0) return Error("unexpected right parenthesis " + QuoteRune(r));
      return t;
    }
    case '{':
      brace_open_ = true;
      return Emit(TokenType::kLeftBrace);
    case '[': {
      if (bracket_open_) return Error("unexpected left bracket " + QuoteRune(r));
      got_colon_ = false;
      Token t = Emit(TokenType::kLeftBracket);
      while (IsSpace(PeekRune())) NextRune();
      start_ = pos_;
      bracket_open_ = true;
      expect_duration_ = true;
      return t;
    }
    case ']':
      if (!bracket_open_) return Error("unexpected right bracket " + QuoteRune(r));
      bracket_open_ = false;
      return Emit(TokenType::kRightBracket);
    default:
      break;
  }
  if (IsSpace(r)) {
    while (IsSpace(PeekRune())) NextRune();
    *produced = false;
    return {};
  }
  if (IsDigit(r) || (r == '.' && IsDigit(PeekRune()))) {
    Backup();
    return LexNumberOrDuration();
  }
  if (r == ':' && bracket_open_) {
    if (got_colon_) return Error("unexpected colon " + QuoteRune(r));
    got_colon_ = true;
    return Emit(TokenType::kColon);
  }
  if (IsAlpha(r) || r == ':') {
    if (bracket_open_) return Error("unexpected character inside brackets: " + QuoteRune(r));
    Backup();
    return LexKeywordOrIdentifier();
  }
  return Error("unexpected character: " + QuoteRune(r));
}

Token Lexer::LexInsideBraces(bool* produced) {
  if (pos_ < input_.size() && input_[pos_] == '#') return LexComment();
  int r = NextRune();
  if (r == kEofRune) return Error("unexpected end of input inside braces");
  if (IsSpace(r)) {
    while (IsSpace(PeekRune())) NextRune();
    *produced = false;
    return {};
  }
  if (IsAlpha(r)) {
    while (IsAlphaNumeric(NextRune())) {
    }
    Backup();
    return Emit(TokenType::kIdentifier);
  }
  switch (r) {
    case ',':
      return Emit(TokenType::kComma);
    case '"':
    case '\'':
      return LexString(r);
    case '`':
      return LexRawString();
    case '=':
      if (NextRune() == '~') return Emit(TokenType::kEqlRegex);
      Backup();
      return Emit(TokenType::kAssign);
    case '!': {
      int nr = NextRune();
      if (nr == '~') return Emit(TokenType::kNeqRegex);
      if (nr == '=') return Emit(TokenType::kNeq);
      return Error("unexpected character after '!' inside braces: " + QuoteRune(nr));
    }
    case '{':
      return Error("unexpected left brace " + QuoteRune(r));
    case '}':
      brace_open_ = false;
      return Emit(TokenType::kRightBrace);
    default:
      return Error("unexpected character inside braces: " + QuoteRune(r));
  }
}

bool Lexer::ScanNumber() {
  std::string_view digits = "0123456789";
  if (Accept("0") && Accept("xX")) digits = "0123456789abcdefABCDEF";
  AcceptRun(digits);
  if (Accept(".")) AcceptRun(digits);
  if (Accept("eE")) {
    Accept("+-");
    AcceptRun("0123456789");
  }
  return !IsAlphaNumeric(PeekRune());
}

bool Lexer::AcceptRemainingDuration() {
  if (!Accept("smhdwy")) return false;
  Accept("s");  // ms
  while (Accept("0123456789")) {
    AcceptRun("0123456789");
    if (!Accept("smhdw")) return false;
    Accept("s");
  }
  return !IsAlphaNumeric(NextRune());
}

Token Lexer::LexNumberOrDuration() {
  if (ScanNumber()) return Emit(TokenType::kNumber);
  if (AcceptRemainingDuration()) {
    Backup();
    return Emit(TokenType::kDuration);
  }
  return Error("bad number or duration syntax: " +
               QuoteString(input_.substr(start_, pos_ - start_)));
}

Token Lexer::LexDuration() {
  if (ScanNumber()) return Error("missing unit character in duration");
  if (!AcceptRemainingDuration()) {
    return Error("bad duration syntax: " + QuoteString(input_.substr(start_, pos_ - start_)));
  }
  Backup();
  return Emit(TokenType::kDuration);
}

bool Lexer::LexEscape(int quote, std::string* error) {
  int ch = NextRune();
  int n;
  uint32_t base;
  uint32_t max;
  switch (ch) {
    case 'a':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
    case 'v':
    case '\\':
      return true;
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
      n = 3, base = 8, max = 255;
      break;
    case 'x':
      ch = NextRune();
      n = 2, base = 16, max = 255;
      break;
    case 'u':
      ch = NextRune();
      n = 4, base = 16, max = 0x10FFFF;
      break;
    case 'U':
      ch = NextRune();
      n = 8, base = 16, max = 0x10FFFF;
      break;
    case kEofRune:
      *error = "escape sequence not terminated";
      return false;
    default:
      if (ch == quote) return true;
      *error = "unknown escape sequence " + FormatRuneU(ch);
      return false;
  }
  uint32_t x = 0;
  while (n > 0) {
    uint32_t d = static_cast<uint32_t>(DigitVal(ch));
    if (d >= base) {
      *error = ch == kEofRune ? "escape sequence not terminated"
                              : "illegal character " + FormatRuneU(ch) + " in escape sequence";
      return false;
    }
    x = x * base + d;
    if (--n > 0) ch = NextRune();
  }
  if (x > max || (x >= 0xD800 && x < 0xE000)) {
    *error = "escape sequence is an invalid Unicode code point";
    return false;
  }
  return true;
}

Token Lexer::LexString(int quote) {
  for (;;) {
    int r = NextRune();
    if (r == '\\') {
      std::string err;
      if (!LexEscape(quote, &err)) return Error(err);
      continue;
    }
    if (r == kRuneError && width_ == 1) return Error("invalid UTF-8 rune");
    if (r == kEofRune || r == '\n') return Error("unterminated quoted string");
    if (r == quote) return Emit(TokenType::kString);
  }
}

Token Lexer::LexRawString() {
  for (;;) {
    int r = NextRune();
    if (r == kRuneError && width_ == 1) return Error("invalid UTF-8 rune");
    if (r == kEofRune) return Error("unterminated raw string");
    if (r == '`') return Emit(TokenType::kString);
  }
}

Token Lexer::LexKeywordOrIdentifier() {
  int r;
  do {
    r = NextRune();
  } while (IsAlphaNumeric(r) || r == ':');
  Backup();
  std::string_view word = input_.substr(start_, pos_ - start_);
  for (const Keyword& k : kKeywords) {
    if (EqualsLower(word, k.word)) return Emit(k.type);
  }
  return Emit(word.find(':') == std::string_view::npos ? TokenType::kIdentifier
                                                       : TokenType::kMetricIdentifier);
}

std::string QuoteRune(int r) {
  if (r < 0 || r > 0x10FFFF) r = kRuneError;
  std::string out = "'";
  AppendQuotedRune(&out, r, '\'');
  out += "'";
  return out;
}

std::string QuoteString(std::string_view s, size_t max_runes) {
  std::string out = "\"";
  size_t runes = 0;
  for (size_t i = 0; i < s.size() && runes < max_runes; ++runes) {
    uint32_t w;
    int r = DecodeRune(s, i, &w);
    if (r == kRuneError && w == 1) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i]));
    } else {
      AppendQuotedRune(&out, r, '"');
    }
    i += w;
  }
  out += "\"";
  return out;
}

std::string DescribeToken(const Token& t) {
  if (t.type == TokenType::kEof) return "end of input";
  auto quoted = [&] {
    return t.text.size() > 10 ? QuoteString(t.text, 10) + "..." : QuoteString(t.text);
  };
  if (!FixedSpelling(t.type).empty()) {
    if (IsKeywordToken(t.type)) return fmt::format("<{}>", t.text);
    if (IsOperatorToken(t.type)) return fmt::format("<op:{}>", t.text);
    if (IsAggregatorToken(t.type)) return fmt::format("<aggr:{}>", t.text);
    return quoted();
  }
  switch (t.type) {
    case TokenType::kIdentifier:
      return "identifier " + QuoteString(t.text);
    case TokenType::kMetricIdentifier:
      return "metric identifier " + QuoteString(t.text);
    case TokenType::kString:
      return "string " + quoted();
    case TokenType::kNumber:
      return "number " + quoted();
    case TokenType::kDuration:
      return "duration " + quoted();
    case TokenType::kComment:
      return "comment " + quoted();
    default:
      return "error";
  }
}

bool UnquoteString(std::string_view q, std::string* out) {
  out->clear();
  if (q.size() < 2 || q.front() != q.back()) return false;
  char quote = q.front();
  std::string_view body = q.substr(1, q.size() - 2);
  if (quote == '`') {
    if (body.find('`') != std::string_view::npos) return false;
    out->assign(body);
    return true;
  }
  if (quote != '"' && quote != '\'') return false;
  out->reserve(body.size());
  for (size_t i = 0; i < body.size();) {
    char c = body[i];
    if (c == quote || c == '\n') return false;
    if (c != '\\') {
      out->push_back(c);
      ++i;
      continue;
    }
    if (++i >= body.size()) return false;
    char e = body[i++];
    switch (e) {
      case 'a':
        out->push_back('\a');
        continue;
      case 'b':
        out->push_back('\b');
        continue;
      case 'f':
        out->push_back('\f');
        continue;
      case 'n':
        out->push_back('\n');
        continue;
      case 'r':
        out->push_back('\r');
        continue;
      case 't':
        out->push_back('\t');
        continue;
      case 'v':
        out->push_back('\v');
        continue;
      case '\\':
        out->push_back('\\');
        continue;
      default:
        break;
    }
    if (e == quote) {
      out->push_back(e);
      continue;
    }
    int n;
    uint32_t base;
    if (e >= '0' && e <= '7') {
      n = 3, base = 8;
      --i;
    } else if (e == 'x') {
      n = 2, base = 16;
    } else if (e == 'u') {
      n = 4, base = 16;
    } else if (e == 'U') {
      n = 8, base = 16;
    } else {
      return false;
    }
    uint32_t x = 0;
    for (int k = 0; k < n; ++k, ++i) {
      if (i >= body.size()) return false;
      int d = DigitVal(static_cast<unsigned char>(body[i]));
      if (static_cast<uint32_t>(d) >= base) return false;
      x = x * base + static_cast<uint32_t>(d);
    }
    if (e == 'u' || e == 'U') {
      if (x > 0x10FFFF || (x >= 0xD800 && x < 0xE000)) return false;
      AppendUtf8(out, x);
    } else {
      if (x > 255) return false;
      out->push_back(static_cast<char>(x));
    }
  }
  return true;
}

bool IsValidLabelName(std::string_view s) {
  if (s.empty() || !IsAlpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!IsAlphaNumeric(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace andon::query
