// templating/template_parser.cc
//
// Lexer and parser of the template language, after Go 1.19's text/template/parse
// (lex.go, parse.go, node.go): same tokens, same grammar, same error messages, so that a
// template Prometheus rejects is rejected here with the same words.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "templating/go_format.h"
#include "templating/template_tree.h"

namespace andon::templating::template_internal {
namespace {

enum class Tok : uint8_t {
  kError,
  kBool,
  kChar,
  kCharConstant,
  kComment,
  kAssign,
  kDeclare,
  kEOF,
  kField,
  kIdentifier,
  kLeftDelim,
  kLeftParen,
  kNumber,
  kPipe,
  kRawString,
  kRightDelim,
  kRightParen,
  kSpace,
  kString,
  kText,
  kVariable,
  kKeyword,  // marker: keywords follow
  kBlock,
  kBreak,
  kContinue,
  kDot,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kNil,
  kRange,
  kTemplate,
  kWith,
};

struct Token {
  Tok type;
  int pos;
  int line;
  std::string val;  // an error's message, otherwise the token's text
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsAlphaNumeric(std::string_view s, size_t i, int* width) {
  auto [r, w] = DecodeGoRune(s.substr(i));
  *width = w;
  if (w == 0) return false;
  if (r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
    return true;
  }
  return r >= 0x80 && r != 0xfffd;  // letters beyond ASCII (approximation of unicode.IsLetter)
}

// Go's %#U of a rune: U+0021 '!'.
std::string RuneDesc(char32_t r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(r));
  std::string s = buf;
  if (r >= 0x20 && r != 0x7f) {
    s += " '";
    AppendUtf8(&s, r);
    s += "'";
  }
  return s;
}

class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  std::vector<Token> Run() {
    // The state machine of Go's lexer, run to the end (or the first error).
    enum class State { kText, kInside, kDone } st = State::kText;
    while (st != State::kDone) {
      st = st == State::kText ? (LexText() ? State::kInside : State::kDone)
                              : (LexInside() ? State::kText : State::kDone);
    }
    return std::move(items_);
  }

 private:
  int LineAt(size_t pos) {
    while (line_pos_ < pos) {
      if (in_[line_pos_] == '\n') ++line_;
      ++line_pos_;
    }
    return line_;
  }
  void Emit(Tok t, size_t start, size_t end) {
    items_.push_back(Token{t, static_cast<int>(start), LineAt(start),
                           std::string(in_.substr(start, end - start))});
  }
  bool Error(std::string msg, size_t start) {
    items_.push_back(Token{Tok::kError, static_cast<int>(start), LineAt(start), std::move(msg)});
    return false;
  }
  bool HasLeftTrim(size_t p) const {
    return p + 1 < in_.size() && in_[p] == '-' && IsSpace(in_[p + 1]);
  }
  // At "}}" or " -}}"; sets *trim for the latter.
  bool AtRightDelim(size_t p, bool* trim) const {
    if (p + 1 < in_.size() && IsSpace(in_[p]) && in_[p + 1] == '-' &&
        in_.substr(p + 2, 2) == "}}") {
      *trim = true;
      return true;
    }
    *trim = false;
    return in_.substr(p, 2) == "}}";
  }

  // Text up to the next "{{"; returns true when an action follows.
  bool LexText() {
    size_t x = in_.find("{{", pos_);
    if (x == std::string_view::npos) {
      if (pos_ < in_.size()) Emit(Tok::kText, pos_, in_.size());
      Emit(Tok::kEOF, in_.size(), in_.size());
      return false;
    }
    size_t end = x;
    if (HasLeftTrim(x + 2)) {
      while (end > pos_ && IsSpace(in_[end - 1])) --end;
    }
    if (end > pos_) Emit(Tok::kText, pos_, end);
    pos_ = x;
    // Left delimiter; a comment right after it is consumed here.
    size_t after = x + 2;
    bool trim = HasLeftTrim(after);
    size_t marker = trim ? 2 : 0;
    if (in_.substr(after + marker, 2) == "/*") {
      size_t start = after + marker;
      size_t close = in_.find("*/", start + 2);
      if (close == std::string_view::npos) return Error("unclosed comment", start);
      size_t p = close + 2;
      bool rtrim;
      if (!AtRightDelim(p, &rtrim)) return Error("comment ends before closing delimiter", start);
      if (rtrim) p += 2;
      p += 2;
      if (rtrim) {
        while (p < in_.size() && IsSpace(in_[p])) ++p;
      }
      pos_ = p;
      return LexText();
    }
    Emit(Tok::kLeftDelim, x, x + 2);
    pos_ = after + marker;
    paren_depth_ = 0;
    return true;
  }

  bool AtTerminator(size_t p) const {
    if (p >= in_.size()) return true;
    char c = in_[p];
    if (IsSpace(c) || c == '.' || c == ',' || c == '|' || c == ':' || c == ')' || c == '(') {
      return true;
    }
    return in_.substr(p, 2) == "}}";
  }

  // Inside an action; returns true at its right delimiter, false at an error.
  bool LexInside() {
    for (;;) {
      bool trim;
      if (AtRightDelim(pos_, &trim)) {
        if (paren_depth_ != 0) return Error("unclosed left paren", pos_);
        size_t start = pos_;
        if (trim) start += 2;
        Emit(Tok::kRightDelim, start, start + 2);
        pos_ = start + 2;
        if (trim) {
          while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
        }
        return true;
      }
      if (pos_ >= in_.size()) return Error("unclosed action", pos_);
      size_t start = pos_;
      char c = in_[pos_];
      if (IsSpace(c)) {
        // Spaces, stopping before a " -}}" trim marker.
        size_t p = pos_;
        while (p < in_.size() && IsSpace(in_[p])) {
          bool t;
          if (AtRightDelim(p, &t) && t) break;
          ++p;
        }
        if (p == pos_) {  // " -}}" right here: the space belongs to the marker
          continue;
        }
        Emit(Tok::kSpace, start, p);
        pos_ = p;
        continue;
      }
      ++pos_;
      switch (c) {
        case '=':
          Emit(Tok::kAssign, start, pos_);
          continue;
        case ':':
          if (pos_ >= in_.size() || in_[pos_] != '=') return Error("expected :=", start);
          ++pos_;
          Emit(Tok::kDeclare, start, pos_);
          continue;
        case '|':
          Emit(Tok::kPipe, start, pos_);
          continue;
        case '"':
          if (!LexQuote(start)) return false;
          continue;
        case '`': {
          size_t close = in_.find('`', pos_);
          if (close == std::string_view::npos) {
            return Error("unterminated raw quoted string", start);
          }
          pos_ = close + 1;
          Emit(Tok::kRawString, start, pos_);
          continue;
        }
        case '$':
          if (!LexFieldOrVariable(Tok::kVariable, start)) return false;
          continue;
        case '\'':
          if (!LexChar(start)) return false;
          continue;
        case '.':
          if (pos_ < in_.size() && (in_[pos_] < '0' || in_[pos_] > '9')) {
            if (!LexFieldOrVariable(Tok::kField, start)) return false;
            continue;
          }
          [[fallthrough]];
        default:
          break;
      }
      if (c == '.' || c == '+' || c == '-' || (c >= '0' && c <= '9')) {
        pos_ = start;
        if (!LexNumber()) return false;
        continue;
      }
      int w;
      if (IsAlphaNumeric(in_, start, &w)) {
        pos_ = start;
        if (!LexIdentifier()) return false;
        continue;
      }
      if (c == '(') {
        Emit(Tok::kLeftParen, start, pos_);
        ++paren_depth_;
        continue;
      }
      if (c == ')') {
        Emit(Tok::kRightParen, start, pos_);
        --paren_depth_;
        if (paren_depth_ < 0) return Error("unexpected right paren " + RuneDesc(')'), start);
        continue;
      }
      auto [r, rw] = DecodeGoRune(in_.substr(start));
      if (r < 0x80 && r >= 0x20 && r != 0x7f) {
        Emit(Tok::kChar, start, pos_);
        continue;
      }
      return Error("unrecognized character in action: " + RuneDesc(r), start);
    }
  }

  bool LexQuote(size_t start) {
    for (;;) {
      if (pos_ >= in_.size()) return Error("unterminated quoted string", start);
      char c = in_[pos_++];
      if (c == '\\') {
        if (pos_ < in_.size() && in_[pos_] != '\n') {
          ++pos_;
          continue;
        }
        return Error("unterminated quoted string", start);
      }
      if (c == '\n') return Error("unterminated quoted string", start);
      if (c == '"') break;
    }
    Emit(Tok::kString, start, pos_);
    return true;
  }

  bool LexChar(size_t start) {
    for (;;) {
      if (pos_ >= in_.size()) return Error("unterminated character constant", start);
      char c = in_[pos_++];
      if (c == '\\') {
        if (pos_ < in_.size() && in_[pos_] != '\n') {
          ++pos_;
          continue;
        }
        return Error("unterminated character constant", start);
      }
      if (c == '\n') return Error("unterminated character constant", start);
      if (c == '\'') break;
    }
    Emit(Tok::kCharConstant, start, pos_);
    return true;
  }

  bool LexFieldOrVariable(Tok type, size_t start) {
    if (AtTerminator(pos_)) {
      Emit(type == Tok::kVariable ? Tok::kVariable : Tok::kDot, start, pos_);
      return true;
    }
    int w = 0;
    while (pos_ < in_.size() && IsAlphaNumeric(in_, pos_, &w)) pos_ += w;
    if (!AtTerminator(pos_)) {
      return Error("bad character " + RuneDesc(DecodeGoRune(in_.substr(pos_)).first), start);
    }
    Emit(type, start, pos_);
    return true;
  }

  bool LexIdentifier() {
    size_t start = pos_;
    int w = 0;
    while (pos_ < in_.size() && IsAlphaNumeric(in_, pos_, &w)) pos_ += w;
    if (!AtTerminator(pos_)) {
      return Error("bad character " + RuneDesc(DecodeGoRune(in_.substr(pos_)).first), start);
    }
    std::string_view word = in_.substr(start, pos_ - start);
    static const std::pair<std::string_view, Tok> kKeywords[] = {{".", Tok::kDot},
                                                                 {"block", Tok::kBlock},
                                                                 {"break", Tok::kBreak},
                                                                 {"continue", Tok::kContinue},
                                                                 {"define", Tok::kDefine},
                                                                 {"else", Tok::kElse},
                                                                 {"end", Tok::kEnd},
                                                                 {"if", Tok::kIf},
                                                                 {"range", Tok::kRange},
                                                                 {"nil", Tok::kNil},
                                                                 {"template", Tok::kTemplate},
                                                                 {"with", Tok::kWith}};
    for (const auto& [k, t] : kKeywords) {
      if (word == k) {
        Emit(t, start, pos_);
        return true;
      }
    }
    Emit(word == "true" || word == "false" ? Tok::kBool : Tok::kIdentifier, start, pos_);
    return true;
  }

  bool Accept(std::string_view valid) {
    if (pos_ < in_.size() && valid.find(in_[pos_]) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  }
  void AcceptRun(std::string_view valid) {
    while (pos_ < in_.size() && valid.find(in_[pos_]) != std::string_view::npos) ++pos_;
  }

  bool LexNumber() {
    size_t start = pos_;
    Accept("+-");
    std::string_view digits = "0123456789_";
    if (Accept("0")) {
      if (Accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (Accept("oO")) {
        digits = "01234567_";
      } else if (Accept("bB")) {
        digits = "01_";
      }
    }
    AcceptRun(digits);
    if (Accept(".")) AcceptRun(digits);
    if (digits.size() == 11 && Accept("eE")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    if (digits.size() == 23 && Accept("pP")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    Accept("i");
    int w;
    if (pos_ < in_.size() && IsAlphaNumeric(in_, pos_, &w)) {
      pos_ += w;
      return Error("bad number syntax: " + Quote(in_.substr(start, pos_ - start)), start);
    }
    Emit(Tok::kNumber, start, pos_);
    return true;
  }

  static std::string Quote(std::string_view s) {
    std::string q;
    AppendGoQuote(&q, s);
    return q;
  }

  std::string_view in_;
  size_t pos_ = 0;
  int paren_depth_ = 0;
  size_t line_pos_ = 0;
  int line_ = 1;
  std::vector<Token> items_;
};

// strconv.Unquote of a Go string or char literal (with its quotes); false on bad syntax.
bool GoUnquoteChar(std::string_view s, size_t* i, char quote, std::string* out) {
  char c = s[*i];
  if (c == quote && quote != '`') return false;
  if (c != '\\') {
    auto [r, w] = DecodeGoRune(s.substr(*i));
    out->append(s.substr(*i, w));
    *i += w;
    (void)r;
    return true;
  }
  ++*i;
  if (*i >= s.size()) return false;
  c = s[(*i)++];
  auto hexval = [](char h) -> int {
    if (h >= '0' && h <= '9') return h - '0';
    if (h >= 'a' && h <= 'f') return h - 'a' + 10;
    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
    return -1;
  };
  switch (c) {
    case 'a':
      out->push_back('\a');
      return true;
    case 'b':
      out->push_back('\b');
      return true;
    case 'f':
      out->push_back('\f');
      return true;
    case 'n':
      out->push_back('\n');
      return true;
    case 'r':
      out->push_back('\r');
      return true;
    case 't':
      out->push_back('\t');
      return true;
    case 'v':
      out->push_back('\v');
      return true;
    case '\\':
      out->push_back('\\');
      return true;
    case '\'':
    case '"':
      if (c != quote) return false;
      out->push_back(c);
      return true;
    case 'x':
    case 'u':
    case 'U': {
      int n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
      if (*i + n > s.size()) return false;
      uint32_t v = 0;
      for (int k = 0; k < n; ++k) {
        int h = hexval(s[*i + k]);
        if (h < 0) return false;
        v = v * 16 + h;
      }
      *i += n;
      if (c == 'x') {
        out->push_back(static_cast<char>(v));
        return true;
      }
      if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return false;
      AppendUtf8(out, v);
      return true;
    }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
      if (*i + 2 > s.size()) return false;
      uint32_t v = c - '0';
      for (int k = 0; k < 2; ++k) {
        char o = s[*i + k];
        if (o < '0' || o > '7') return false;
        v = v * 8 + (o - '0');
      }
      if (v > 255) return false;
      *i += 2;
      out->push_back(static_cast<char>(v));
      return true;
    }
    default:
      return false;
  }
}

bool GoUnquote(std::string_view lit, std::string* out) {
  if (lit.size() < 2) return false;
  char q = lit.front();
  if (q != lit.back()) return false;
  std::string_view body = lit.substr(1, lit.size() - 2);
  if (q == '`') {
    if (body.find('`') != std::string_view::npos) return false;
    for (char c : body) {
      if (c != '\r') out->push_back(c);
    }
    return true;
  }
  if (q != '"') return false;
  for (size_t i = 0; i < body.size();) {
    if (body[i] == '\n') return false;
    if (!GoUnquoteChar(body, &i, '"', out)) return false;
  }
  return true;
}

// Go's underscoreOK: underscores only between digits or after a base prefix.
bool UnderscoreOK(std::string_view s) {
  char saw = '^';
  size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0' && std::strchr("xXbBoO", s[1]) != nullptr) {
    i = 2;
    saw = '0';
    hex = s[1] == 'x' || s[1] == 'X';
  }
  for (; i < s.size(); ++i) {
    char c = s[i];
    bool digit =
        (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
    if (digit) {
      saw = '0';
      continue;
    }
    if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

// strconv.ParseInt(text, 0, 64).
bool ParseGoInt(std::string_view text, int64_t* v, bool* is_uint, uint64_t* u) {
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() >= 2 && s[0] == '0') {
    char p = s[1];
    if (p == 'x' || p == 'X') {
      base = 16;
      s.remove_prefix(2);
    } else if (p == 'o' || p == 'O') {
      base = 8;
      s.remove_prefix(2);
    } else if (p == 'b' || p == 'B') {
      base = 2;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  if (s.empty()) return false;
  if (text.find('_') != std::string_view::npos && !UnderscoreOK(text)) return false;
  uint64_t acc = 0;
  for (char c : s) {
    if (c == '_') continue;
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'z') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'Z') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    if (d >= base) return false;
    if (acc > (UINT64_MAX - d) / base) return false;
    acc = acc * base + d;
  }
  *is_uint = !neg;
  *u = acc;
  if (neg) {
    if (acc > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *v = static_cast<int64_t>(0 - acc);
    return true;
  }
  if (acc > static_cast<uint64_t>(INT64_MAX)) return false;
  *v = static_cast<int64_t>(acc);
  return true;
}

class Parser {
 public:
  Parser(TemplateSet* set, bool console) : set_(set), console_(console) {
    tokens_ = Lexer(set->text).Run();
  }

  void Parse() {
    vars_ = {"$"};
    Node* root = NewNode(NodeType::kList, Peek().pos, Peek().line);
    while (Peek().type != Tok::kEOF) {
      if (Peek().type == Tok::kLeftDelim) {
        size_t save = next_;
        Next();
        if (NextNonSpace().type == Tok::kDefine) {
          ParseDefinition();
          continue;
        }
        next_ = save;
      }
      Node* n = TextOrAction();
      if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
        Errorf("unexpected " + NodeString(n));
      }
      root->nodes.push_back(n);
    }
    AddTree(set_->parse_name, root);
  }

 private:
  [[noreturn]] void Errorf(const std::string& msg) {
    throw ParseError{"template: " + set_->parse_name + ":" + std::to_string(CurrentLine()) + ": " +
                     msg};
  }
  int CurrentLine() const { return tokens_[std::min(max_read_, tokens_.size() - 1)].line; }

  const Token& Next() {
    const Token& t = tokens_[std::min(next_, tokens_.size() - 1)];
    ++next_;
    max_read_ = std::max(max_read_, static_cast<size_t>(&t - tokens_.data()));
    return t;
  }
  const Token& Peek() {
    const Token& t = tokens_[std::min(next_, tokens_.size() - 1)];
    max_read_ = std::max(max_read_, static_cast<size_t>(&t - tokens_.data()));
    return t;
  }
  void Backup() { --next_; }
  const Token& NextNonSpace() {
    for (;;) {
      const Token& t = Next();
      if (t.type != Tok::kSpace) return t;
    }
  }
  const Token& PeekNonSpace() {
    const Token& t = NextNonSpace();
    Backup();
    return t;
  }
  const Token& Expect(Tok type, std::string_view context) {
    const Token& t = NextNonSpace();
    if (t.type != type) Unexpected(t, context);
    return t;
  }

  static std::string TokenString(const Token& t) {
    if (t.type == Tok::kEOF) return "EOF";
    if (t.type == Tok::kError) return t.val;
    if (t.type > Tok::kKeyword) return "<" + t.val + ">";
    std::string q;
    if (DecodeRuneCount(t.val) > 10) {
      // %.10q: the first 10 runes, quoted, then "..."
      size_t i = 0;
      for (int n = 0; n < 10; ++n) i += DecodeGoRune(std::string_view(t.val).substr(i)).second;
      AppendGoQuote(&q, std::string_view(t.val).substr(0, i));
      return q + "...";
    }
    AppendGoQuote(&q, t.val);
    return q;
  }
  static int DecodeRuneCount(std::string_view s) {
    int n = 0;
    for (size_t i = 0; i < s.size(); ++n) i += DecodeGoRune(s.substr(i)).second;
    return n;
  }

  [[noreturn]] void Unexpected(const Token& t, std::string_view context) {
    if (t.type == Tok::kError) {
      std::string extra;
      if (action_line_ != 0 && action_line_ != t.line) {
        extra = " in action started at " + set_->parse_name + ":" + std::to_string(action_line_);
        if (t.val.size() >= 7 && t.val.compare(t.val.size() - 7, 7, " action") == 0) {
          extra = extra.substr(std::strlen(" in action"));
        }
      }
      Errorf(t.val + extra);
    }
    Errorf("unexpected " + TokenString(t) + " in " + std::string(context));
  }

  Node* NewNode(NodeType type, int pos, int line) {
    set_->arena.push_back(std::make_unique<Node>());
    Node* n = set_->arena.back().get();
    n->type = type;
    n->pos = pos;
    n->line = line;
    return n;
  }

  void AddTree(const std::string& name, Node* root) {
    auto it = set_->trees.find(name);
    if (it == set_->trees.end() || IsEmptyTree(it->second)) {
      set_->trees[name] = root;
      return;
    }
    if (!IsEmptyTree(root)) {
      Errorf("template: multiple definition of template " + Quote(name));
    }
  }
  static bool IsEmptyTree(const Node* n) {
    switch (n->type) {
      case NodeType::kList:
        return std::all_of(n->nodes.begin(), n->nodes.end(), IsEmptyTree);
      case NodeType::kText:
        return std::all_of(n->text.begin(), n->text.end(), IsSpace);
      case NodeType::kComment:
        return true;
      default:
        return false;
    }
  }
  static std::string Quote(std::string_view s) {
    std::string q;
    AppendGoQuote(&q, s);
    return q;
  }

  void ParseDefinition() {
    const Token& name = NextNonSpace();
    if (name.type != Tok::kString && name.type != Tok::kRawString) {
      Unexpected(name, "define clause");
    }
    std::string tname;
    if (!GoUnquote(name.val, &tname)) Errorf("invalid syntax");
    Expect(Tok::kRightDelim, "define clause");
    auto saved_vars = std::move(vars_);
    vars_ = {"$"};
    auto [list, end] = ItemList();
    if (end->type != NodeType::kEnd) Errorf("unexpected " + NodeString(end) + " in define clause");
    AddTree(tname, list);
    vars_ = std::move(saved_vars);
  }

  std::pair<Node*, Node*> ItemList() {
    NestingGuard guard(this);
    const Token& p = PeekNonSpace();
    Node* list = NewNode(NodeType::kList, p.pos, p.line);
    while (PeekNonSpace().type != Tok::kEOF) {
      Node* n = TextOrAction();
      if (n->type == NodeType::kEnd || n->type == NodeType::kElse) return {list, n};
      list->nodes.push_back(n);
    }
    Errorf("unexpected EOF");
  }

  Node* TextOrAction() {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Tok::kText: {
        Node* n = NewNode(NodeType::kText, t.pos, t.line);
        n->text = t.val;
        return n;
      }
      case Tok::kLeftDelim: {
        int saved = action_line_;
        action_line_ = t.line;
        Node* n = Action();
        action_line_ = saved;
        return n;
      }
      default:
        Unexpected(t, "input");
    }
  }

  Node* Action() {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Tok::kBlock:
        return BlockControl();
      case Tok::kBreak:
      case Tok::kContinue: {
        bool brk = t.type == Tok::kBreak;
        Node* n = NewNode(brk ? NodeType::kBreak : NodeType::kContinue, t.pos, t.line);
        const Token& rd = NextNonSpace();
        if (rd.type != Tok::kRightDelim) Unexpected(rd, brk ? "{{break}}" : "{{continue}}");
        if (range_depth_ == 0) {
          Errorf(brk ? "{{break}} outside {{range}}" : "{{continue}} outside {{range}}");
        }
        return n;
      }
      case Tok::kElse:
        return ElseControl();
      case Tok::kEnd: {
        const Token& rd = Expect(Tok::kRightDelim, "end");
        return NewNode(NodeType::kEnd, rd.pos, rd.line);
      }
      case Tok::kIf:
        return Control(NodeType::kIf, "if");
      case Tok::kRange:
        return Control(NodeType::kRange, "range");
      case Tok::kTemplate:
        return TemplateControl();
      case Tok::kWith:
        return Control(NodeType::kWith, "with");
      default:
        break;
    }
    Backup();
    const Token& first = Peek();
    Node* n = NewNode(NodeType::kAction, first.pos, first.line);
    n->pipe = Pipeline("command", Tok::kRightDelim);
    return n;
  }

  Node* ElseControl() {
    const Token& p = PeekNonSpace();
    if (p.type == Tok::kIf) return NewNode(NodeType::kElse, p.pos, p.line);
    const Token& t = Expect(Tok::kRightDelim, "else");
    return NewNode(NodeType::kElse, t.pos, t.line);
  }

  Node* Control(NodeType type, std::string_view context) {
    size_t saved_vars = vars_.size();
    Node* pipe = Pipeline(context, Tok::kRightDelim);
    if (type == NodeType::kRange) ++range_depth_;
    auto [list, next] = ItemList();
    if (type == NodeType::kRange) --range_depth_;
    Node* else_list = nullptr;
    if (next->type == NodeType::kElse) {
      if (type == NodeType::kIf && Peek().type == Tok::kIf) {
        // {{else if x}} is {{else}}{{if x}}...{{end}}{{end}} with one {{end}}.
        Next();
        else_list = NewNode(NodeType::kList, next->pos, next->line);
        else_list->nodes.push_back(Control(NodeType::kIf, "if"));
      } else {
        auto [el, end] = ItemList();
        if (end->type != NodeType::kEnd) Errorf("expected end; found " + NodeString(end));
        else_list = el;
      }
    }
    vars_.resize(saved_vars);
    Node* n = NewNode(type, pipe->pos, pipe->line);
    n->pipe = pipe;
    n->list = list;
    n->else_list = else_list;
    return n;
  }

  std::string TemplateName(const Token& t, std::string_view context) {
    if (t.type != Tok::kString && t.type != Tok::kRawString) Unexpected(t, context);
    std::string name;
    if (!GoUnquote(t.val, &name)) Errorf("invalid syntax");
    return name;
  }

  Node* TemplateControl() {
    const Token& t = NextNonSpace();
    std::string name = TemplateName(t, "template clause");
    Node* n = NewNode(NodeType::kTemplate, t.pos, t.line);
    n->text = name;
    if (NextNonSpace().type != Tok::kRightDelim) {
      Backup();
      n->pipe = Pipeline("template clause", Tok::kRightDelim);
    }
    return n;
  }

  Node* BlockControl() {
    const Token& t = NextNonSpace();
    std::string name = TemplateName(t, "block clause");
    Node* n = NewNode(NodeType::kTemplate, t.pos, t.line);
    n->text = name;
    n->pipe = Pipeline("block clause", Tok::kRightDelim);
    auto saved_vars = std::move(vars_);
    int saved_range = range_depth_;
    vars_ = {"$"};
    range_depth_ = 0;
    auto [list, end] = ItemList();
    if (end->type != NodeType::kEnd) Errorf("unexpected " + NodeString(end) + " in block clause");
    AddTree(name, list);
    vars_ = std::move(saved_vars);
    range_depth_ = saved_range;
    return n;
  }

  // Bounds the recursion of the parser (and so of the executor) on deeply nested input;
  // Go has no such limit because its stacks grow.
  struct NestingGuard {
    explicit NestingGuard(Parser* p) : p_(p) {
      if (++p_->nesting_ > kMaxNesting) {
        p_->Errorf("exceeded maximum nesting depth (" + std::to_string(kMaxNesting) + ")");
      }
    }
    ~NestingGuard() { --p_->nesting_; }
    Parser* p_;
  };
  static constexpr int kMaxNesting = 500;

  Node* Pipeline(std::string_view context, Tok end) {
    NestingGuard guard(this);
    const Token& first = PeekNonSpace();
    Node* pipe = NewNode(NodeType::kPipe, first.pos, first.line);
  decls:
    if (const Token& v = PeekNonSpace(); v.type == Tok::kVariable) {
      size_t v_index = next_;
      Next();
      const Token& after = Peek();
      const Token& nx = PeekNonSpace();
      if (nx.type == Tok::kAssign || nx.type == Tok::kDeclare) {
        pipe->is_assign = nx.type == Tok::kAssign;
        NextNonSpace();
        pipe->decl.push_back(NewVariable(v.pos, v.line, v.val));
        vars_.push_back(v.val);
      } else if (nx.type == Tok::kChar && nx.val == ",") {
        NextNonSpace();
        pipe->decl.push_back(NewVariable(v.pos, v.line, v.val));
        vars_.push_back(v.val);
        if (context == "range" && pipe->decl.size() < 2) {
          Tok p = PeekNonSpace().type;
          if (p == Tok::kVariable || p == Tok::kRightDelim || p == Tok::kRightParen) goto decls;
          Errorf("range can only initialize variables");
        }
        Errorf("too many declarations in " + std::string(context));
      } else {
        (void)after;
        next_ = v_index;
      }
    }
    for (;;) {
      const Token& t = NextNonSpace();
      if (t.type == end) {
        CheckPipeline(pipe, context);
        return pipe;
      }
      switch (t.type) {
        case Tok::kBool:
        case Tok::kCharConstant:
        case Tok::kDot:
        case Tok::kField:
        case Tok::kIdentifier:
        case Tok::kNumber:
        case Tok::kNil:
        case Tok::kRawString:
        case Tok::kString:
        case Tok::kVariable:
        case Tok::kLeftParen:
          Backup();
          pipe->nodes.push_back(Command());
          break;
        default:
          Unexpected(t, context);
      }
    }
  }

  void CheckPipeline(Node* pipe, std::string_view context) {
    if (pipe->nodes.empty()) Errorf("missing value for " + std::string(context));
    for (size_t i = 1; i < pipe->nodes.size(); ++i) {
      switch (pipe->nodes[i]->nodes[0]->type) {
        case NodeType::kBool:
        case NodeType::kDot:
        case NodeType::kNil:
        case NodeType::kNumber:
        case NodeType::kString:
          Errorf("non executable command in pipeline stage " + std::to_string(i + 1));
        default:
          break;
      }
    }
  }

  Node* Command() {
    const Token& first = PeekNonSpace();
    Node* cmd = NewNode(NodeType::kCommand, first.pos, first.line);
    for (;;) {
      PeekNonSpace();
      Node* operand = Operand();
      if (operand != nullptr) cmd->nodes.push_back(operand);
      const Token& t = Next();
      if (t.type == Tok::kSpace) continue;
      if (t.type == Tok::kRightDelim || t.type == Tok::kRightParen) {
        Backup();
      } else if (t.type != Tok::kPipe) {
        Unexpected(t, "operand");
      }
      break;
    }
    if (cmd->nodes.empty()) Errorf("empty command");
    Node* fn = cmd->nodes[0];
    if (fn->type == NodeType::kIdentifier && (fn->text == "match" || fn->text == "reReplaceAll") &&
        cmd->nodes.size() > 1 && cmd->nodes[1]->type == NodeType::kString) {
      fn->regex = CompileGoRegexp(cmd->nodes[1]->text);
    }
    return cmd;
  }

  Node* Operand() {
    Node* node = Term();
    if (node == nullptr) return nullptr;
    if (Peek().type == Tok::kField) {
      Node* chain = NewNode(NodeType::kChain, Peek().pos, Peek().line);
      chain->chain_base = node;
      while (Peek().type == Tok::kField) {
        const Token& f = Next();
        // f.val is ".name": split into fields
        std::string_view rest = std::string_view(f.val).substr(1);
        size_t dot;
        while ((dot = rest.find('.')) != std::string_view::npos) {
          chain->ident.emplace_back(rest.substr(0, dot));
          rest.remove_prefix(dot + 1);
        }
        chain->ident.emplace_back(rest);
      }
      switch (node->type) {
        case NodeType::kField: {
          Node* f = NewNode(NodeType::kField, chain->pos, chain->line);
          f->ident = node->ident;
          f->ident.insert(f->ident.end(), chain->ident.begin(), chain->ident.end());
          return f;
        }
        case NodeType::kVariable: {
          Node* v = NewNode(NodeType::kVariable, chain->pos, chain->line);
          v->ident = node->ident;
          v->ident.insert(v->ident.end(), chain->ident.begin(), chain->ident.end());
          return v;
        }
        case NodeType::kBool:
        case NodeType::kString:
        case NodeType::kNumber:
        case NodeType::kNil:
        case NodeType::kDot:
          Errorf("unexpected . after term " + Quote(NodeString(node)));
        default:
          return chain;
      }
    }
    return node;
  }

  Node* NewVariable(int pos, int line, std::string_view text) {
    Node* v = NewNode(NodeType::kVariable, pos, line);
    size_t dot;
    while ((dot = text.find('.')) != std::string_view::npos) {
      v->ident.emplace_back(text.substr(0, dot));
      text.remove_prefix(dot + 1);
    }
    v->ident.emplace_back(text);
    return v;
  }

  Node* Term() {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Tok::kIdentifier: {
        const FunctionDef* f = FindFunction(t.val, console_);
        if (f == nullptr) Errorf("function " + Quote(t.val) + " not defined");
        Node* n = NewNode(NodeType::kIdentifier, t.pos, t.line);
        n->text = t.val;
        n->func = f;
        return n;
      }
      case Tok::kDot:
        return NewNode(NodeType::kDot, t.pos, t.line);
      case Tok::kNil:
        return NewNode(NodeType::kNil, t.pos, t.line);
      case Tok::kVariable: {
        Node* v = NewVariable(t.pos, t.line, t.val);
        if (std::find(vars_.begin(), vars_.end(), v->ident[0]) == vars_.end()) {
          Errorf("undefined variable " + Quote(v->ident[0]));
        }
        return v;
      }
      case Tok::kField: {
        Node* v = NewVariable(t.pos, t.line, std::string_view(t.val).substr(1));
        v->type = NodeType::kField;
        return v;
      }
      case Tok::kBool: {
        Node* n = NewNode(NodeType::kBool, t.pos, t.line);
        n->bool_value = t.val == "true";
        return n;
      }
      case Tok::kCharConstant:
      case Tok::kNumber:
        return NewNumber(t);
      case Tok::kLeftParen:
        return Pipeline("parenthesized pipeline", Tok::kRightParen);
      case Tok::kString:
      case Tok::kRawString: {
        Node* n = NewNode(NodeType::kString, t.pos, t.line);
        n->quoted = t.val;
        if (!GoUnquote(t.val, &n->text)) Errorf("invalid syntax");
        n->constant = TemplateValue::BorrowedString(n->text);
        return n;
      }
      default:
        Backup();
        return nullptr;
    }
  }

  Node* NewNumber(const Token& t) {
    Node* n = NewNode(NodeType::kNumber, t.pos, t.line);
    n->text = t.val;
    const std::string& text = t.val;
    if (t.type == Tok::kCharConstant) {
      std::string v;
      size_t i = 1;
      std::string_view s = text;
      if (s.size() < 3 || !GoUnquoteChar(s, &i, '\'', &v)) Errorf("invalid syntax");
      if (s.substr(i) != "'") Errorf("malformed character constant: " + text);
      char32_t r = v.size() == 1 ? static_cast<unsigned char>(v[0]) : DecodeGoRune(v).first;
      n->is_int = n->is_uint = n->is_float = true;
      n->int_value = r;
      n->float_value = r;
      n->constant = TemplateValue::Int(r);
      return n;
    }
    if (!text.empty() && text.back() == 'i') {
      Errorf("complex constants are not supported: " + text);
    }
    uint64_t u = 0;
    bool is_uint = false;
    int64_t i = 0;
    if (ParseGoInt(text, &i, &is_uint, &u)) {
      n->is_int = true;
      n->int_value = i;
      n->is_uint = is_uint;
      n->is_float = true;
      n->float_value = static_cast<double>(i);
    } else if (is_uint) {
      n->is_uint = true;
      n->is_float = true;
      n->float_value = static_cast<double>(u);
    } else {
      double f;
      if (ParseGoFloat(text, &f)) {
        if (text.find_first_of(".eEpP") == std::string::npos) {
          Errorf("integer overflow: " + Quote(text));
        }
        n->is_float = true;
        n->float_value = f;
        if (f >= -9.2233720368547758e18 && f < 9.2233720368547758e18 &&
            static_cast<double>(static_cast<int64_t>(f)) == f) {
          n->is_int = true;
          n->int_value = static_cast<int64_t>(f);
        }
      }
    }
    if (!n->is_int && !n->is_uint && !n->is_float) Errorf("illegal number syntax: " + Quote(text));
    // The constant the executor yields (Go's idealConstant).
    bool hex_int = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') &&
                   text.find_first_of("pP") == std::string::npos;
    if (n->is_float && !hex_int && text.find_first_of(".eEpP") != std::string::npos) {
      n->constant = TemplateValue::Float(n->float_value);
    } else if (n->is_int) {
      n->constant = TemplateValue::Int(n->int_value);
    }
    // else: a uint beyond int64 — the executor reports "overflows int".
    return n;
  }

  static bool ParseGoFloat(const std::string& text, double* f) {
    if (text.find('_') != std::string::npos && !UnderscoreOK(text)) return false;
    std::string s;
    for (char c : text) {
      if (c != '_') s.push_back(c);
    }
    if (s.empty()) return false;
    const char* b = s.c_str();
    char* end = nullptr;
    errno = 0;
    *f = std::strtod(b, &end);
    if (end != b + s.size()) return false;
    if (errno == ERANGE && std::isinf(*f)) return false;
    // strtod accepts "inf"/"nan" and hex without exponent; the lexer only lets numbers in.
    return true;
  }

  TemplateSet* set_;
  bool console_;
  std::vector<Token> tokens_;
  size_t next_ = 0;
  size_t max_read_ = 0;
  std::vector<std::string> vars_;
  int range_depth_ = 0;
  int action_line_ = 0;
  int nesting_ = 0;
};

}  // namespace

void ParseInto(TemplateSet* set, bool console_functions) {
  Parser p(set, console_functions);
  p.Parse();
}

// ---- Node.String() ----

void AppendNodeString(std::string* out, const Node* n) {
  switch (n->type) {
    case NodeType::kText:
      out->append(n->text);
      return;
    case NodeType::kComment:
      out->append("{{/* */}}");
      return;
    case NodeType::kAction:
      out->append("{{");
      AppendNodeString(out, n->pipe);
      out->append("}}");
      return;
    case NodeType::kList:
      for (const Node* c : n->nodes) AppendNodeString(out, c);
      return;
    case NodeType::kPipe:
      for (size_t i = 0; i < n->decl.size(); ++i) {
        if (i > 0) out->append(", ");
        AppendNodeString(out, n->decl[i]);
      }
      if (!n->decl.empty()) out->append(n->is_assign ? " = " : " := ");
      for (size_t i = 0; i < n->nodes.size(); ++i) {
        if (i > 0) out->append(" | ");
        AppendNodeString(out, n->nodes[i]);
      }
      return;
    case NodeType::kCommand:
      for (size_t i = 0; i < n->nodes.size(); ++i) {
        if (i > 0) out->push_back(' ');
        if (n->nodes[i]->type == NodeType::kPipe) {
          out->push_back('(');
          AppendNodeString(out, n->nodes[i]);
          out->push_back(')');
        } else {
          AppendNodeString(out, n->nodes[i]);
        }
      }
      return;
    case NodeType::kField:
      for (const std::string& f : n->ident) {
        out->push_back('.');
        out->append(f);
      }
      return;
    case NodeType::kVariable:
      for (size_t i = 0; i < n->ident.size(); ++i) {
        if (i > 0) out->push_back('.');
        out->append(n->ident[i]);
      }
      return;
    case NodeType::kChain:
      if (n->chain_base->type == NodeType::kPipe) {
        out->push_back('(');
        AppendNodeString(out, n->chain_base);
        out->push_back(')');
      } else {
        AppendNodeString(out, n->chain_base);
      }
      for (const std::string& f : n->ident) {
        out->push_back('.');
        out->append(f);
      }
      return;
    case NodeType::kIdentifier:
    case NodeType::kNumber:
      out->append(n->text);
      return;
    case NodeType::kDot:
      out->push_back('.');
      return;
    case NodeType::kNil:
      out->append("nil");
      return;
    case NodeType::kBool:
      out->append(n->bool_value ? "true" : "false");
      return;
    case NodeType::kString:
      out->append(n->quoted);
      return;
    case NodeType::kEnd:
      out->append("{{end}}");
      return;
    case NodeType::kElse:
      out->append("{{else}}");
      return;
    case NodeType::kBreak:
      out->append("{{break}}");
      return;
    case NodeType::kContinue:
      out->append("{{continue}}");
      return;
    case NodeType::kIf:
    case NodeType::kRange:
    case NodeType::kWith:
      out->append(n->type == NodeType::kIf      ? "{{if "
                  : n->type == NodeType::kRange ? "{{range "
                                                : "{{with ");
      AppendNodeString(out, n->pipe);
      out->append("}}");
      AppendNodeString(out, n->list);
      if (n->else_list != nullptr) {
        out->append("{{else}}");
        AppendNodeString(out, n->else_list);
      }
      out->append("{{end}}");
      return;
    case NodeType::kTemplate:
      out->append("{{template ");
      AppendGoQuote(out, n->text);
      if (n->pipe != nullptr) {
        out->push_back(' ');
        AppendNodeString(out, n->pipe);
      }
      out->append("}}");
      return;
  }
}

std::string NodeString(const Node* n) {
  std::string s;
  AppendNodeString(&s, n);
  return s;
}

}  // namespace andon::templating::template_internal
