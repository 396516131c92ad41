#include "query/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace andon::query {
namespace {

// Lexes the whole input into "TYPE:text" strings; a lexer error ends the list with
// "ERROR@pos:message".
std::vector<std::string> Lex(std::string_view input) {
  Lexer lexer(input);
  std::vector<std::string> out;
  for (;;) {
    Token t = lexer.Next();
    if (t.type == TokenType::kEof) break;
    if (t.type == TokenType::kError) {
      out.push_back("ERROR@" + std::to_string(t.pos) + ":" + lexer.error_message());
      break;
    }
    out.push_back(std::to_string(static_cast<int>(t.type)) + ":" + std::string(t.text));
  }
  return out;
}

std::vector<TokenType> Types(std::string_view input) {
  Lexer lexer(input);
  std::vector<TokenType> out;
  for (Token t = lexer.Next(); t.type != TokenType::kEof; t = lexer.Next()) {
    out.push_back(t.type);
    if (t.type == TokenType::kError) break;
  }
  return out;
}

std::string LexError(std::string_view input) {
  auto v = Lex(input);
  return !v.empty() && v.back().rfind("ERROR@", 0) == 0 ? v.back() : "no error";
}

using T = TokenType;

TEST(LexerTest, SplitsOperatorsAndPunctuation) {
  EXPECT_EQ(Types("+ - * / % ^ == != <= < >= > , ( ) @"),
            (std::vector<T>{T::kAdd, T::kSub, T::kMul, T::kDiv, T::kMod, T::kPow, T::kEqlc, T::kNeq,
                            T::kLte, T::kLss, T::kGte, T::kGtr, T::kComma, T::kLeftParen,
                            T::kRightParen, T::kAt}));
}

TEST(LexerTest, RecognizesKeywordsCaseInsensitively) {
  EXPECT_EQ(Types("sum SUM by BY without and OR unless atan2 offset bool on ignoring "
                  "group_left group_right start end count_values"),
            (std::vector<T>{T::kSum, T::kSum, T::kBy, T::kBy, T::kWithout, T::kLand, T::kLor,
                            T::kLunless, T::kAtan2, T::kOffset, T::kBool, T::kOn, T::kIgnoring,
                            T::kGroupLeft, T::kGroupRight, T::kStart, T::kEnd, T::kCountValues}));
}

TEST(LexerTest, InfAndNaNAreNumbersInAnyCase) {
  EXPECT_EQ(Types("Inf inf NAN nan Infinity"),
            (std::vector<T>{T::kNumber, T::kNumber, T::kNumber, T::kNumber, T::kIdentifier}));
}

TEST(LexerTest, IdentifiersWithColonsAreMetricIdentifiers) {
  EXPECT_EQ(Types("foo a:b:c node_namespace_pod:kube_pod_info: :x"),
            (std::vector<T>{T::kIdentifier, T::kMetricIdentifier, T::kMetricIdentifier,
                            T::kMetricIdentifier}));
}

TEST(LexerTest, KeywordsInsideBracesAreIdentifiersAndRegexOperatorsExist) {
  EXPECT_EQ(Types("{by=\"a\", sum!=\"b\", on=~\"c\", x!~'d'}"),
            (std::vector<T>{T::kLeftBrace, T::kIdentifier, T::kAssign, T::kString, T::kComma,
                            T::kIdentifier, T::kNeq, T::kString, T::kComma, T::kIdentifier,
                            T::kEqlRegex, T::kString, T::kComma, T::kIdentifier, T::kNeqRegex,
                            T::kString, T::kRightBrace}));
}

TEST(LexerTest, NumbersInAllNotations) {
  for (const char* n : {"1", "1.5", ".5", "5.", "1e3", "1E-3", "2.5e+10", "0x1F", "0XaB", "010"}) {
    auto v = Lex(n);
    ASSERT_EQ(v.size(), 1u) << n;
    EXPECT_EQ(v[0], std::to_string(static_cast<int>(T::kNumber)) + ":" + n);
  }
}

TEST(LexerTest, DurationsAfterBracketsAndOffsets) {
  EXPECT_EQ(Types("foo[1h30m:5s] offset 1y2w3d"),
            (std::vector<T>{T::kIdentifier, T::kLeftBracket, T::kDuration, T::kColon, T::kDuration,
                            T::kRightBracket, T::kOffset, T::kDuration}));
  EXPECT_EQ(Types("[ 500ms ]"), (std::vector<T>{T::kLeftBracket, T::kDuration, T::kRightBracket}));
}

TEST(LexerTest, StringsKeepQuotesInTokenText) {
  auto v = Lex(R"("a\"b" 'c\'d' `e\f`)");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], std::to_string(static_cast<int>(T::kString)) + R"(:"a\"b")");
  EXPECT_EQ(v[1], std::to_string(static_cast<int>(T::kString)) + R"(:'c\'d')");
  EXPECT_EQ(v[2], std::to_string(static_cast<int>(T::kString)) + R"(:`e\f`)");
}

TEST(LexerTest, CommentsRunToEndOfLine) {
  EXPECT_EQ(Types("foo # a comment\n+ bar"),
            (std::vector<T>{T::kIdentifier, T::kComment, T::kAdd, T::kIdentifier}));
}

TEST(LexerTest, ReportsLexicalErrorsAtTokenStart) {
  EXPECT_EQ(LexError("sum(foo"), "ERROR@7:unclosed left parenthesis");
  EXPECT_EQ(LexError("foo[5m"), "ERROR@6:unclosed left bracket");
  EXPECT_EQ(LexError("foo)"), "ERROR@4:unexpected right parenthesis ')'");
  EXPECT_EQ(LexError("foo]"), "ERROR@3:unexpected right bracket ']'");
  EXPECT_EQ(LexError("foo[5m:[1m]"), "ERROR@7:unexpected left bracket '['");
  EXPECT_EQ(LexError("foo[[1m]"), "ERROR@4:missing unit character in duration");
  EXPECT_EQ(LexError("foo{"), "ERROR@4:unexpected end of input inside braces");
  EXPECT_EQ(LexError("foo{{"), "ERROR@4:unexpected left brace '{'");
  EXPECT_EQ(LexError("foo{a=1}"), "ERROR@6:unexpected character inside braces: '1'");
  EXPECT_EQ(LexError("foo{a!b}"), "ERROR@5:unexpected character after '!' inside braces: 'b'");
  EXPECT_EQ(LexError("a =~ b"), "ERROR@2:unexpected character after '=': '~'");
  EXPECT_EQ(LexError("a ! b"), "ERROR@2:unexpected character after '!': ' '");
  EXPECT_EQ(LexError("a $"), "ERROR@2:unexpected character: '$'");
  EXPECT_EQ(LexError("foo[5]"), "ERROR@4:missing unit character in duration");
  EXPECT_EQ(LexError("foo[5mm]"), "ERROR@4:bad duration syntax: \"5mm\"");
  EXPECT_EQ(LexError("foo[5m:1m:2m]"), "ERROR@9:unexpected colon ':'");
  EXPECT_EQ(LexError("0xg"), "ERROR@0:bad number or duration syntax: \"0x\"");
  EXPECT_EQ(LexError("1a"), "ERROR@0:bad number or duration syntax: \"1\"");
}

TEST(LexerTest, ReportsStringErrorsInGoWords) {
  EXPECT_EQ(LexError("'abc"), "ERROR@0:unterminated quoted string");
  EXPECT_EQ(LexError("\"a\nb\""), "ERROR@0:unterminated quoted string");
  EXPECT_EQ(LexError("`abc"), "ERROR@0:unterminated raw string");
  EXPECT_EQ(LexError(R"(x + "a\qb")"), "ERROR@4:unknown escape sequence U+0071 'q'");
  EXPECT_EQ(LexError(R"("\'")"), "ERROR@0:unknown escape sequence U+0027 '''");
  EXPECT_EQ(LexError(R"("\xZZ")"), "ERROR@0:illegal character U+005A 'Z' in escape sequence");
  EXPECT_EQ(LexError(R"("\uD800")"), "ERROR@0:escape sequence is an invalid Unicode code point");
  EXPECT_EQ(LexError(R"("\400")"), "ERROR@0:escape sequence is an invalid Unicode code point");
  EXPECT_EQ(LexError("\"a\\"), "ERROR@0:escape sequence not terminated");
  EXPECT_EQ(LexError("\"\xff\""), "ERROR@0:invalid UTF-8 rune");
}

TEST(LexerTest, DescribesTokensLikePrometheus) {
  auto first = [](std::string_view s) {
    Lexer l(s);
    return DescribeToken(l.Next());
  };
  EXPECT_EQ(first("foo"), "identifier \"foo\"");
  EXPECT_EQ(first("a:b"), "metric identifier \"a:b\"");
  EXPECT_EQ(first("12"), "number \"12\"");
  EXPECT_EQ(first("\"x\""), "string \"\\\"x\\\"\"");
  EXPECT_EQ(first("\"hello world\""), "string \"\\\"hello wor\"...");
  EXPECT_EQ(first("+"), "<op:+>");
  EXPECT_EQ(first("and"), "<op:and>");
  EXPECT_EQ(first("@"), "<op:@>");
  EXPECT_EQ(first("BY"), "<BY>");
  EXPECT_EQ(first("sum"), "<aggr:sum>");
  EXPECT_EQ(first("("), "\"(\"");
  EXPECT_EQ(first("start"), "\"start\"");
  EXPECT_EQ(first(""), "end of input");
}

TEST(LexerTest, UnquotesGoEscapes) {
  std::string out;
  ASSERT_TRUE(UnquoteString(R"("a\nb\t\"\\")", &out));
  EXPECT_EQ(out, "a\nb\t\"\\");
  ASSERT_TRUE(UnquoteString(R"('it\'s')", &out));
  EXPECT_EQ(out, "it's");
  ASSERT_TRUE(UnquoteString(R"("\x41\101\u00e9\U0001F600")", &out));
  EXPECT_EQ(out, "AA\xc3\xa9\xf0\x9f\x98\x80");
  ASSERT_TRUE(UnquoteString(R"(`a\nb`)", &out));
  EXPECT_EQ(out, "a\\nb");
  EXPECT_FALSE(UnquoteString(R"("\q")", &out));
}

TEST(LexerTest, QuotesLikeGo) {
  EXPECT_EQ(QuoteString("a\"b\\c\n\t\x01\x7f\xc3\xa9"), "\"a\\\"b\\\\c\\n\\t\\x01\\x7f\xc3\xa9\"");
  EXPECT_EQ(QuoteString("\xff"), "\"\\xff\"");
  EXPECT_EQ(QuoteRune('\''), "'\\''");
}

}  // namespace
}  // namespace andon::query
