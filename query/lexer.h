// query/lexer.h
//
// The PromQL tokenizer (Prometheus 2.42 rules). A Lexer turns a query into Tokens one at a
// time; it is context-sensitive the way Prometheus's is: inside `{...}` keywords are plain
// identifiers and `=~`/`!~` are operators, right after `[` only a duration may follow, and
// unbalanced `(`/`)`/`[`/`]` are lexical errors. On the first error Next() returns a kError
// token (its position is where the offending token starts) and error_message() says what
// went wrong in Prometheus's words; every later call returns kEof.
// Not thread-safe; one Lexer per query. Tokens point into the input, which must outlive them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace andon::query {

enum class TokenType : uint8_t {
  kEof,
  kError,
  kComment,
  kIdentifier,        // foo, le (no colon)
  kMetricIdentifier,  // a:b:c (contains a colon)
  kLeftParen,
  kRightParen,
  kLeftBrace,
  kRightBrace,
  kLeftBracket,
  kRightBracket,
  kComma,
  kAssign,  // "=" (label matcher)
  kColon,
  kString,  // quoted, text includes the quotes
  kNumber,  // includes Inf/NaN in any case
  kDuration,
  // Operators.
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEqlc,  // ==
  kNeq,   // !=
  kLte,
  kLss,
  kGte,
  kGtr,
  kEqlRegex,  // =~
  kNeqRegex,  // !~
  kLand,
  kLor,
  kLunless,
  kAtan2,
  kAt,
  // Aggregators.
  kAvg,
  kBottomk,
  kCount,
  kCountValues,
  kGroup,
  kMax,
  kMin,
  kQuantile,
  kStddev,
  kStdvar,
  kSum,
  kTopk,
  // Keywords.
  kBool,
  kBy,
  kGroupLeft,
  kGroupRight,
  kIgnoring,
  kOffset,
  kOn,
  kWithout,
  // @ modifier preprocessors.
  kStart,
  kEnd,
};

bool IsOperatorToken(TokenType t);
bool IsAggregatorToken(TokenType t);
bool IsKeywordToken(TokenType t);

struct Token {
  TokenType type = TokenType::kEof;
  uint32_t pos = 0;       // byte offset of the first character
  std::string_view text;  // the token as written (empty for kEof and kError)

  uint32_t end() const { return pos + static_cast<uint32_t>(text.size()); }
};

class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {}

  Token Next();
  const std::string& error_message() const { return error_; }

 private:
  int NextRune();
  int PeekRune();
  void Backup() { pos_ -= width_; }
  bool Accept(std::string_view valid);
  void AcceptRun(std::string_view valid);
  Token Emit(TokenType t);
  Token Error(std::string message);

  bool ScanNumber();
  bool AcceptRemainingDuration();
  Token LexStatement(bool* produced);
  Token LexInsideBraces(bool* produced);
  Token LexDuration();
  Token LexNumberOrDuration();
  Token LexString(int quote);
  Token LexRawString();
  Token LexKeywordOrIdentifier();
  Token LexComment();
  bool LexEscape(int quote, std::string* error);

  std::string_view input_;
  uint32_t pos_ = 0;
  uint32_t start_ = 0;
  uint32_t width_ = 0;
  int paren_depth_ = 0;
  bool brace_open_ = false;
  bool bracket_open_ = false;
  bool got_colon_ = false;
  bool expect_duration_ = false;  // just after '['
  bool done_ = false;
  std::string error_;
};

// Describes a token the way Prometheus's "unexpected ..." errors do: `end of input`,
// `identifier "foo"`, `number "1"`, `<op:+>`, `<by>`, `<aggr:sum>`, `"("`.
std::string DescribeToken(const Token& t);

// Quotes like Go's %q (strconv.Quote); with max_runes, only that many runes are quoted
// (Go's %.Nq).
std::string QuoteString(std::string_view s, size_t max_runes = std::string_view::npos);
// Quotes one rune like Go's %q on a rune: 'x', '\n', '\x00'.
std::string QuoteRune(int r);

// Removes the quotes of a string token and resolves Go escapes ("..." and '...'); raw
// `...` strings are taken as they are. Returns false on a malformed literal.
bool UnquoteString(std::string_view quoted, std::string* out);

// Whether s is a valid label name: [a-zA-Z_][a-zA-Z0-9_]*.
bool IsValidLabelName(std::string_view s);

}  // namespace andon::query
