#include "tsdb/label_matcher.h"

#include <gtest/gtest.h>

namespace andon {
namespace {

using Type = LabelMatcher::Type;

TEST(LabelMatcherTest, EqualAndNotEqualCompareWholeValues) {
  auto eq = LabelMatcher::MustMake(Type::kEqual, "job", "api");
  EXPECT_TRUE(eq.Matches("api"));
  EXPECT_FALSE(eq.Matches("api2"));
  EXPECT_FALSE(eq.MatchesEmpty());
  auto ne = LabelMatcher::MustMake(Type::kNotEqual, "job", "api");
  EXPECT_FALSE(ne.Matches("api"));
  EXPECT_TRUE(ne.Matches("web"));
  EXPECT_TRUE(ne.MatchesEmpty());  // a series without job matches job!="api"
}

TEST(LabelMatcherTest, RegexIsFullyAnchored) {
  auto re = LabelMatcher::MustMake(Type::kRegexMatch, "pod", "api-.*");
  EXPECT_TRUE(re.Matches("api-1"));
  EXPECT_FALSE(re.Matches("xapi-1"));
  auto alt = LabelMatcher::MustMake(Type::kRegexMatch, "code", "2..|3..");
  EXPECT_TRUE(alt.Matches("200"));
  EXPECT_TRUE(alt.Matches("301"));
  EXPECT_FALSE(alt.Matches("2000"));  // the alternation is anchored as a whole
  EXPECT_FALSE(alt.Matches("4200"));
  auto nre = LabelMatcher::MustMake(Type::kRegexNoMatch, "pod", "api-.*");
  EXPECT_FALSE(nre.Matches("api-1"));
  EXPECT_TRUE(nre.Matches("web-1"));
}

TEST(LabelMatcherTest, MissingLabelMatchesAsEmptyValue) {
  EXPECT_TRUE(LabelMatcher::MustMake(Type::kEqual, "a", "").MatchesEmpty());
  EXPECT_TRUE(LabelMatcher::MustMake(Type::kRegexMatch, "a", ".*").MatchesEmpty());
  EXPECT_FALSE(LabelMatcher::MustMake(Type::kRegexMatch, "a", ".+").MatchesEmpty());
  EXPECT_TRUE(LabelMatcher::MustMake(Type::kRegexNoMatch, "a", ".+").MatchesEmpty());
  EXPECT_FALSE(LabelMatcher::MustMake(Type::kNotEqual, "a", "").MatchesEmpty());
}

TEST(LabelMatcherTest, DotDoesNotMatchNewlineAsInPrometheus242) {
  EXPECT_FALSE(LabelMatcher::MustMake(Type::kRegexMatch, "a", ".*").Matches("x\ny"));
}

TEST(LabelMatcherTest, InvalidRegexIsAnErrorQuotingTheExpression) {
  auto r = LabelMatcher::Make(Type::kRegexMatch, "a", "(x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("invalid regular expression \"(x\""), std::string::npos)
      << r.status().message();
}

TEST(LabelMatcherTest, PlainAlternationIsExposedAsLiteralSet) {
  auto m = LabelMatcher::MustMake(Type::kRegexMatch, "job", "api|web|db-1");
  ASSERT_NE(m.LiteralSet(), nullptr);
  EXPECT_EQ(*m.LiteralSet(), (std::vector<std::string>{"api", "web", "db-1"}));
  EXPECT_EQ(LabelMatcher::MustMake(Type::kRegexMatch, "job", "api.*").LiteralSet(), nullptr);
  EXPECT_EQ(LabelMatcher::MustMake(Type::kRegexNoMatch, "job", "api").LiteralSet(), nullptr);
  // "a|" matches the empty value too; the literal set includes it.
  auto e = LabelMatcher::MustMake(Type::kRegexMatch, "job", "a|");
  EXPECT_TRUE(e.MatchesEmpty());
}

TEST(LabelMatcherTest, CopiesShareTheCompiledRegex) {
  auto m = LabelMatcher::MustMake(Type::kRegexMatch, "pod", "a+");
  LabelMatcher copy = m;
  EXPECT_TRUE(copy.Matches("aaa"));
  EXPECT_EQ(copy.ToString(), R"(pod=~"a+")");
  EXPECT_EQ(LabelMatcher::MustMake(Type::kNotEqual, "x", "q\"").ToString(), R"(x!="q\"")");
}

}  // namespace
}  // namespace andon
