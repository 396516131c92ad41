#include "query/parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "query/functions.h"
#include "query/printer.h"

namespace andon::query {
namespace {

ExprPtr MustParse(std::string_view q) {
  auto r = ParseExpr(q);
  EXPECT_TRUE(r.ok()) << q << ": " << r.status().message();
  if (!r.ok()) return nullptr;
  return std::move(r).value();
}

// The full error text, or "OK".
std::string ErrorOf(std::string_view q) {
  ParseError e;
  auto r = ParseExpr(q, &e);
  if (r.ok()) return "OK";
  EXPECT_EQ(r.status().message(), e.ToString());
  return e.ToString();
}

TEST(ParserTest, NumberLiteralsInEveryNotation) {
  struct Case {
    const char* in;
    double want;
  } cases[] = {{"1", 1},      {"1.5", 1.5},    {".5", 0.5},   {"5.", 5},
               {"1e3", 1000}, {"1E-3", 0.001}, {"0x1F", 31},  {"0XaB", 171},
               {"010", 8},    {"09", 9},       {"-1", -1},    {"+2", 2},
               {"- -3", 3},   {"-0x10", -16},  {"1e+2", 100}, {"123456789012", 123456789012}};
  for (const auto& c : cases) {
    auto e = MustParse(c.in);
    ASSERT_TRUE(e);
    ASSERT_EQ(e->kind, NodeKind::kNumberLiteral) << c.in;
    EXPECT_EQ(e->As<NumberLiteral>().value, c.want) << c.in;
    EXPECT_EQ(e->Type(), ValueType::kScalar);
  }
  EXPECT_EQ(MustParse("Inf")->As<NumberLiteral>().value, INFINITY);
  EXPECT_EQ(MustParse("-inf")->As<NumberLiteral>().value, -INFINITY);
  EXPECT_EQ(MustParse("+INF")->As<NumberLiteral>().value, INFINITY);
  EXPECT_TRUE(std::isnan(MustParse("NaN")->As<NumberLiteral>().value));
  EXPECT_TRUE(std::isnan(MustParse("nan")->As<NumberLiteral>().value));
}

TEST(ParserTest, NegatedNumberLiteralStartsAtTheSign) {
  auto e = MustParse("  -5");
  EXPECT_EQ(e->pos.start, 2u);
  EXPECT_EQ(e->pos.end, 4u);
}

TEST(ParserTest, StringLiteralsWithGoEscapes) {
  EXPECT_EQ(MustParse(R"("a\nb")")->As<StringLiteral>().value, "a\nb");
  EXPECT_EQ(MustParse(R"('it\'s')")->As<StringLiteral>().value, "it's");
  EXPECT_EQ(MustParse(R"(`C:\dir`)")->As<StringLiteral>().value, "C:\\dir");
  EXPECT_EQ(MustParse(R"("\u00e9\x41")")->As<StringLiteral>().value,
            "\xc3\xa9"
            "A");
  EXPECT_EQ(MustParse(R"("x")")->Type(), ValueType::kString);
}

TEST(ParserTest, VectorSelectorWithEveryMatcherType) {
  auto e = MustParse(R"(http_requests{a="1", b!="2", c=~"3.*", d!~'4'})");
  ASSERT_EQ(e->kind, NodeKind::kVectorSelector);
  const auto& vs = e->As<VectorSelector>();
  EXPECT_EQ(vs.name, "http_requests");
  ASSERT_EQ(vs.matchers.size(), 5u);
  EXPECT_EQ(vs.matchers[0].String(), "a=\"1\"");
  EXPECT_EQ(vs.matchers[1].op(), MatchOp::kNotEqual);
  EXPECT_EQ(vs.matchers[2].op(), MatchOp::kRegexMatch);
  EXPECT_EQ(vs.matchers[3].op(), MatchOp::kRegexNoMatch);
  EXPECT_EQ(vs.matchers[4].String(), "__name__=\"http_requests\"");
  EXPECT_EQ(vs.pos.start, 0u);
  EXPECT_EQ(vs.pos.end, 46u);
}

TEST(ParserTest, RegexMatchersAreAnchored) {
  auto e = MustParse(R"({a=~"b|c", d!~"x.*"})");
  const auto& m = e->As<VectorSelector>().matchers;
  EXPECT_TRUE(m[0].Matches("b"));
  EXPECT_FALSE(m[0].Matches("ab"));
  EXPECT_FALSE(m[0].Matches("bc"));
  EXPECT_TRUE(m[1].Matches("y"));
  EXPECT_FALSE(m[1].Matches("xyz"));
  ASSERT_NE(m[0].regex(), nullptr);
  EXPECT_EQ(m[0].regex()->pattern(), "^(?:b|c)$");
}

TEST(ParserTest, SelectorsWithoutMetricName) {
  auto e = MustParse(R"({__name__=~"job:.*", job="x",})");
  const auto& vs = e->As<VectorSelector>();
  EXPECT_EQ(vs.name, "");
  EXPECT_EQ(vs.matchers.size(), 2u);
  EXPECT_TRUE(MustParse("foo{}"));
  EXPECT_TRUE(MustParse(R"({a=~".+"})"));
  EXPECT_TRUE(MustParse(R"({a=~".*", b="x"})"));
}

TEST(ParserTest, KeywordsUsableAsMetricAndLabelNames) {
  for (const char* q : {"sum", "by", "offset", "without", "and", "avg + count", "start", "end",
                        "a:b:c", "node_namespace_pod:kube_pod_info:", "sum offset 5m",
                        "foo{by=\"1\", on=\"2\", sum=\"3\", offset=\"4\"}",
                        "sum by (on, bool, offset, by, sum, group_left, start) (foo)",
                        "a + on(and, or, unless) b"}) {
    EXPECT_EQ(ErrorOf(q), "OK") << q;
  }
  EXPECT_EQ(MustParse("sum")->As<VectorSelector>().name, "sum");
  EXPECT_EQ(MustParse("SUM")->As<VectorSelector>().name, "SUM");
}

TEST(ParserTest, MatrixSelectorsAndDurations) {
  struct Case {
    const char* in;
    int64_t ms;
  } cases[] = {{"foo[5m]", 300000},   {"foo[1h30m]", 5400000},   {"foo[500ms]", 500},
               {"foo[1d]", 86400000}, {"foo[2w]", 1209600000},   {"foo[1y]", 31536000000},
               {"foo[ 10s ]", 10000}, {"foo[1m30s500ms]", 90500}};
  for (const auto& c : cases) {
    auto e = MustParse(c.in);
    ASSERT_EQ(e->kind, NodeKind::kMatrixSelector) << c.in;
    EXPECT_EQ(e->As<MatrixSelector>().range_ms, c.ms) << c.in;
    EXPECT_EQ(e->Type(), ValueType::kMatrix);
  }
}

TEST(ParserTest, OffsetAndAtModifiersInEitherOrder) {
  auto a = MustParse("foo @ 100 offset 5m");
  auto b = MustParse("foo offset 5m @ 100");
  EXPECT_TRUE(Equal(*a, *b));
  const auto& vs = a->As<VectorSelector>();
  EXPECT_EQ(vs.offset_ms, 300000);
  EXPECT_EQ(vs.at.kind, AtModifier::Kind::kTimestamp);
  EXPECT_EQ(vs.at.timestamp_ms, 100000);
  EXPECT_EQ(vs.pos.end, 19u);

  EXPECT_EQ(MustParse("foo offset -1h")->As<VectorSelector>().offset_ms, -3600000);
  EXPECT_EQ(MustParse("foo @ -1.5")->As<VectorSelector>().at.timestamp_ms, -1500);
  EXPECT_EQ(MustParse("foo @ 1.0005")->As<VectorSelector>().at.timestamp_ms, 1001);
  EXPECT_EQ(MustParse("foo @ start()")->As<VectorSelector>().at.kind, AtModifier::Kind::kStart);

  auto m = MustParse("foo[5m] @ end() offset 1m");
  ASSERT_EQ(m->kind, NodeKind::kMatrixSelector);
  EXPECT_EQ(m->As<MatrixSelector>().selector->at.kind, AtModifier::Kind::kEnd);
  EXPECT_EQ(m->As<MatrixSelector>().selector->offset_ms, 60000);
  EXPECT_EQ(m->pos.end, 25u);
}

TEST(ParserTest, Subqueries) {
  auto e = MustParse("rate(foo[5m])[30m:1m] offset 1h @ 50");
  ASSERT_EQ(e->kind, NodeKind::kSubquery);
  const auto& s = e->As<SubqueryExpr>();
  EXPECT_EQ(s.range_ms, 1800000);
  EXPECT_EQ(s.step_ms, 60000);
  EXPECT_EQ(s.offset_ms, 3600000);
  EXPECT_EQ(s.at.timestamp_ms, 50000);
  EXPECT_EQ(s.expr->kind, NodeKind::kCall);
  EXPECT_EQ(MustParse("foo[5m:]")->As<SubqueryExpr>().step_ms, 0);
  EXPECT_EQ(MustParse("foo offset 1m [5m:]")->As<SubqueryExpr>().expr->kind,
            NodeKind::kVectorSelector);
  auto nested = MustParse("max_over_time(rate(foo[1m])[5m:1m])[10m:]");
  EXPECT_EQ(nested->kind, NodeKind::kSubquery);
}

TEST(ParserTest, OperatorPrecedenceAndAssociativity) {
  // Compare against fully parenthesized equivalents via the canonical form.
  struct Case {
    const char* in;
    const char* same_as;
  } cases[] = {
      {"1 + 2 * 3", "1 + (2 * 3)"},
      {"1 * 2 + 3", "(1 * 2) + 3"},
      {"a - b - c", "(a - b) - c"},
      {"a / b * c % d", "((a / b) * c) % d"},
      {"2 ^ 3 ^ 2", "2 ^ (3 ^ 2)"},
      {"a atan2 b * c", "(a atan2 b) * c"},
      {"a + b > c", "(a + b) > c"},
      {"a > b and c", "(a > b) and c"},
      {"a or b and c", "a or (b and c)"},
      {"a or b unless c", "a or (b unless c)"},
      {"a and b unless c", "(a and b) unless c"},
      {"-a ^ 2", "-(a ^ 2)"},
      {"-a * 2", "(-a) * 2"},
      {"a * -b ^ c", "a * (-(b ^ c))"},
      {"a + b offset 5m", "a + (b offset 5m)"},
      {"-a offset 1m", "-(a offset 1m)"},
      {"a == bool b + 1", "a == bool (b + 1)"},
  };
  auto strip = [](const Expr& e) {
    // Remove every ParenExpr so only the shape remains.
    std::function<ExprPtr(const Expr&)> f = [&](const Expr& x) -> ExprPtr {
      if (x.kind == NodeKind::kParen) return f(*x.As<ParenExpr>().expr);
      ExprPtr c = x.Clone();
      if (c->kind == NodeKind::kBinary) {
        auto& b = c->As<BinaryExpr>();
        b.lhs = f(*b.lhs);
        b.rhs = f(*b.rhs);
      } else if (c->kind == NodeKind::kUnary) {
        auto& u = c->As<UnaryExpr>();
        u.expr = f(*u.expr);
      }
      return c;
    };
    return f(e);
  };
  for (const auto& c : cases) {
    auto a = MustParse(c.in);
    auto b = MustParse(c.same_as);
    ASSERT_TRUE(a && b);
    EXPECT_TRUE(Equal(*strip(*a), *strip(*b))) << c.in << " vs " << c.same_as;
  }
}

TEST(ParserTest, BinaryExpressionTypesAndMatching) {
  auto s = MustParse("1 + 2");
  EXPECT_EQ(s->Type(), ValueType::kScalar);
  EXPECT_FALSE(s->As<BinaryExpr>().matching.has_value());

  auto v = MustParse("foo * on(a, b) group_left(c) bar");
  const auto& b = v->As<BinaryExpr>();
  EXPECT_EQ(v->Type(), ValueType::kVector);
  ASSERT_TRUE(b.matching.has_value());
  EXPECT_TRUE(b.matching->on);
  EXPECT_EQ(b.matching->matching_labels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(b.matching->include, (std::vector<std::string>{"c"}));
  EXPECT_EQ(b.matching->card, VectorMatching::Cardinality::kManyToOne);

  auto r = MustParse("foo / ignoring(x) group_right bar");
  EXPECT_EQ(r->As<BinaryExpr>().matching->card, VectorMatching::Cardinality::kOneToMany);
  EXPECT_FALSE(r->As<BinaryExpr>().matching->on);

  auto set = MustParse("foo and bar");
  EXPECT_EQ(set->As<BinaryExpr>().matching->card, VectorMatching::Cardinality::kManyToMany);

  auto cmp = MustParse("foo > bool 1");
  EXPECT_TRUE(cmp->As<BinaryExpr>().return_bool);
  EXPECT_FALSE(cmp->As<BinaryExpr>().matching.has_value());
  EXPECT_EQ(MustParse("1 < bool 2")->Type(), ValueType::kScalar);
}

TEST(ParserTest, AggregationsWithModifiersBeforeOrAfter) {
  auto a = MustParse("sum by (job, le) (rate(x[5m]))");
  auto b = MustParse("sum(rate(x[5m])) by (job, le)");
  EXPECT_TRUE(Equal(*a, *b));
  const auto& agg = a->As<AggregateExpr>();
  EXPECT_EQ(agg.op, AggregateOp::kSum);
  EXPECT_EQ(agg.grouping, (std::vector<std::string>{"job", "le"}));
  EXPECT_FALSE(agg.without);
  EXPECT_EQ(agg.pos.end, 30u);
  EXPECT_EQ(b->pos.end, 29u);

  auto w = MustParse("AVG WITHOUT (instance) (foo)");
  EXPECT_EQ(w->As<AggregateExpr>().op, AggregateOp::kAvg);
  EXPECT_TRUE(w->As<AggregateExpr>().without);

  auto t = MustParse("topk(5, foo)");
  ASSERT_TRUE(t->As<AggregateExpr>().param);
  EXPECT_EQ(t->As<AggregateExpr>().param->As<NumberLiteral>().value, 5);
  auto cv = MustParse("count_values(\"value\", foo)");
  EXPECT_EQ(cv->As<AggregateExpr>().param->As<StringLiteral>().value, "value");
  for (const char* q : {"count(foo)", "min(foo)", "max(foo)", "group(foo)", "stddev(foo)",
                        "stdvar(foo)", "bottomk(1, foo)", "quantile(0.9, foo)", "sum by () (foo)",
                        "sum without () (foo)", "sum by (a,) (foo)"}) {
    EXPECT_EQ(ErrorOf(q), "OK") << q;
  }
}

TEST(ParserTest, FunctionCallsResolveAgainstTheTable) {
  auto e = MustParse("histogram_quantile(0.99, sum by (le) (rate(foo_bucket[5m])))");
  ASSERT_EQ(e->kind, NodeKind::kCall);
  EXPECT_EQ(e->As<Call>().func, FindFunction("histogram_quantile"));
  EXPECT_EQ(e->As<Call>().args.size(), 2u);
  EXPECT_EQ(MustParse("time()")->Type(), ValueType::kScalar);
  EXPECT_EQ(MustParse("scalar(foo)")->Type(), ValueType::kScalar);
  for (const char* q : {"rate(foo[5m])",
                        "irate(foo[5m])",
                        "increase(foo[5m])",
                        "delta(foo[5m])",
                        "idelta(foo[5m])",
                        "deriv(foo[5m])",
                        "predict_linear(foo[5m], 60)",
                        "holt_winters(foo[5m], 0.5, 0.5)",
                        "resets(foo[5m])",
                        "changes(foo[5m])",
                        "avg_over_time(foo[5m])",
                        "min_over_time(foo[5m])",
                        "max_over_time(foo[5m])",
                        "sum_over_time(foo[5m])",
                        "count_over_time(foo[5m])",
                        "quantile_over_time(0.5, foo[5m])",
                        "stddev_over_time(foo[5m])",
                        "stdvar_over_time(foo[5m])",
                        "last_over_time(foo[5m])",
                        "present_over_time(foo[5m])",
                        "absent(foo)",
                        "absent_over_time(foo[5m])",
                        "label_replace(foo, \"a\", \"$1\", \"b\", \"(.*)\")",
                        "label_join(foo, \"a\", \",\", \"b\", \"c\", \"d\")",
                        "label_join(foo, \"a\", \",\")",
                        "sort(foo)",
                        "sort_desc(foo)",
                        "clamp(foo, 0, 1)",
                        "clamp_min(foo, 0)",
                        "clamp_max(foo, 1)",
                        "round(foo)",
                        "round(foo, 0.5)",
                        "abs(foo)",
                        "ceil(foo)",
                        "floor(foo)",
                        "exp(foo)",
                        "ln(foo)",
                        "log2(foo)",
                        "log10(foo)",
                        "sqrt(foo)",
                        "sgn(foo)",
                        "acos(foo)",
                        "acosh(foo)",
                        "asin(foo)",
                        "asinh(foo)",
                        "atan(foo)",
                        "atanh(foo)",
                        "cos(foo)",
                        "cosh(foo)",
                        "sin(foo)",
                        "sinh(foo)",
                        "tan(foo)",
                        "tanh(foo)",
                        "deg(foo)",
                        "rad(foo)",
                        "pi()",
                        "time()",
                        "timestamp(foo)",
                        "vector(1)",
                        "scalar(foo)",
                        "day_of_month()",
                        "day_of_week(foo)",
                        "day_of_year()",
                        "days_in_month(foo)",
                        "hour()",
                        "minute(foo)",
                        "month()",
                        "year(foo)",
                        "foo atan2 bar",
                        "histogram_count(foo)",
                        "histogram_sum(foo)",
                        "histogram_fraction(0, 1, foo)"}) {
    EXPECT_EQ(ErrorOf(q), "OK") << q;
  }
}

TEST(ParserTest, CommentsAndWhitespaceAreIgnored) {
  auto e = MustParse("sum( # total\n  rate(foo[5m]) # per second\n)");
  EXPECT_EQ(e->kind, NodeKind::kAggregate);
  EXPECT_EQ(ErrorOf("\t foo \n"), "OK");
}

TEST(ParserTest, MetricSelectorParsing) {
  auto m = ParseMetricSelector(R"(up{job="x"})");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->size(), 2u);
  EXPECT_EQ(m->back().value(), "up");
  ParseError err;
  EXPECT_FALSE(ParseMetricSelector("up offset 5m", &err).ok());
  EXPECT_EQ(err.ToString(), "1:4: parse error: unexpected <offset>");
  EXPECT_FALSE(ParseMetricSelector("{}", &err).ok());
  EXPECT_EQ(err.message, "vector selector must contain at least one non-empty matcher");
}

TEST(ParserTest, SyntaxErrorsSayWhatWasUnexpectedAndWhere) {
  struct Case {
    const char* in;
    const char* err;
  } cases[] = {
      {"", "1:1: parse error: no expression found in input"},
      {"  # only a comment", "1:1: parse error: no expression found in input"},
      {"1 +", "1:4: parse error: unexpected end of input"},
      {"1 + + ", "1:7: parse error: unexpected end of input"},
      {"foo bar", "1:5: parse error: unexpected identifier \"bar\""},
      {"foo 1", "1:5: parse error: unexpected number \"1\""},
      {"()", "1:2: parse error: unexpected \")\""},
      {"(foo bar)", "1:6: parse error: unexpected identifier \"bar\""},
      {"foo +* bar", "1:6: parse error: unexpected <op:*>"},
      {"sum(foo) by (a) + on",
       "1:21: parse error: unexpected end of input in grouping opts, "
       "expected \"(\""},
      {"a - on(b) ignoring(c) d", "1:11: parse error: unexpected <ignoring>"},
      {"foo == on(a) bool bar", "1:14: parse error: unexpected <bool>"},
      {"foo * group_left bar", "1:7: parse error: unexpected <group_left>"},
      {"sum(foo", "1:8: parse error: unclosed left parenthesis"},
      {"foo)", "1:5: parse error: unexpected right parenthesis ')'"},
      {"foo{", "1:5: parse error: unexpected end of input inside braces"},
      {"foo[5m", "1:7: parse error: unclosed left bracket"},
      {"foo{a=\"b\" c=\"d\"}",
       "1:11: parse error: unexpected identifier \"c\" in label matching, expected \",\" or \"}\""},
      {"foo{a}",
       "1:6: parse error: unexpected \"}\" in label matching, expected label matching "
       "operator"},
      {"foo{a=}", "1:7: parse error: unexpected \"}\" in label matching, expected string"},
      {"foo{a==\"b\"}", "1:7: parse error: unexpected \"=\" in label matching, expected string"},
      {"foo{,}",
       "1:5: parse error: unexpected \",\" in label matching, expected identifier or "
       "\"}\""},
      {"foo{a=1}", "1:7: parse error: unexpected character inside braces: '1'"},
      {"sum by a (foo)",
       "1:8: parse error: unexpected identifier \"a\" in grouping opts, "
       "expected \"(\""},
      {"sum by (a b) (foo)",
       "1:11: parse error: unexpected identifier \"b\" in grouping opts, "
       "expected \",\" or \")\""},
      {"sum by (a:b) (foo)",
       "1:9: parse error: unexpected metric identifier \"a:b\" in "
       "grouping opts, expected label"},
      {"sum by (\"a\") (foo)",
       "1:9: parse error: unexpected string \"\\\"a\\\"\" in grouping "
       "opts, expected label"},
      {"sum without(a) (foo) by (b)", "1:22: parse error: unexpected <by>"},
      {"sum by (a) foo", "1:12: parse error: unexpected identifier \"foo\""},
      {"foo offset", "1:11: parse error: unexpected end of input in offset, expected duration"},
      {"foo offset 5", "1:12: parse error: unexpected number \"5\" in offset, expected duration"},
      {"foo @ bar", "1:7: parse error: unexpected identifier \"bar\" in @, expected timestamp"},
      {"foo @ start", "1:12: parse error: unexpected end of input"},
      {"foo[5m:1m:1m]", "1:10: parse error: unexpected colon ':'"},
      {"foo[5]", "1:5: parse error: missing unit character in duration"},
      {"foo[5mm]", "1:5: parse error: bad duration syntax: \"5mm\""},
      {"foo[5m 1m]",
       "1:8: parse error: unexpected duration \"1m\" in subquery or range, "
       "expected \":\" or \"]\""},
      {"foo[5m:1]",
       "1:8: parse error: unexpected number \"1\" in subquery selector, expected "
       "duration or \"]\""},
      {"foo[5m:1m 2m]",
       "1:11: parse error: unexpected duration \"2m\" in subquery selector, "
       "expected \"]\""},
      {"foo[0s]", "1:5: parse error: duration must be greater than 0"},
      {"foo[5m:0s]", "1:8: parse error: duration must be greater than 0"},
      {"foo offset 0m", "1:12: parse error: duration must be greater than 0"},
      {"foo[1m1h]", "1:5: parse error: not a valid duration string: \"1m1h\""},
      {"rate(foo[5m],)", "1:13: parse error: trailing commas not allowed in function call args"},
      {"rate(foo[5m] foo)", "1:14: parse error: unexpected identifier \"foo\""},
      {"foo =~ bar", "1:5: parse error: unexpected character after '=': '~'"},
      {"foo $ bar", "1:5: parse error: unexpected character: '$'"},
      {"\"a\\qb\"", "1:1: parse error: unknown escape sequence U+0071 'q'"},
      {"'abc", "1:1: parse error: unterminated quoted string"},
      {"`abc", "1:1: parse error: unterminated raw string"},
      {"0xg", "1:1: parse error: bad number or duration syntax: \"0x\""},
      {"0x",
       "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"0x\": "
       "invalid syntax"},
      {"1e400",
       "1:1: parse error: error parsing number: strconv.ParseFloat: parsing "
       "\"1e400\": value out of range"},
      {"0x1.8",
       "1:1: parse error: error parsing number: strconv.ParseFloat: parsing "
       "\"0x1.8\": invalid syntax"},
      {"1e",
       "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"1e\": "
       "invalid syntax"},
      {"foo +\n  bar +\n", "3:1: parse error: unexpected end of input"},
      {"foo\n  {a=\"b\"} bar", "2:11: parse error: unexpected identifier \"bar\""},
  };
  for (const auto& c : cases) EXPECT_EQ(ErrorOf(c.in), c.err) << c.in;
}

TEST(ParserTest, SemanticErrorsUsePrometheusWording) {
  struct Case {
    const char* in;
    const char* err;
  } cases[] = {
      {"{}", "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"{a=\"\"}",
       "1:1: parse error: vector selector must contain at least one non-empty "
       "matcher"},
      {"{a=~\".*\", b!=\"x\"}",
       "1:1: parse error: vector selector must contain at least one "
       "non-empty matcher"},
      {"1 + {a=~\"\"}",
       "1:5: parse error: vector selector must contain at least one non-empty "
       "matcher"},
      {"foo{__name__=\"bar\"}",
       "1:1: parse error: metric name must not be set twice: \"foo\" "
       "or \"bar\""},
      {"foo{a=~\"(\"}",
       "1:5: parse error: error parsing regexp: missing closing ): "
       "`^(?:()$`"},
      {"foo(1)", "1:1: parse error: unknown function with name \"foo\""},
      {"x + Rate(foo[5m])", "1:5: parse error: unknown function with name \"Rate\""},
      {"rate(foo)",
       "1:6: parse error: expected type range vector in call to function "
       "\"rate\", got instant vector"},
      {"rate(1)",
       "1:6: parse error: expected type range vector in call to function \"rate\", "
       "got scalar"},
      {"abs(foo[5m])",
       "1:5: parse error: expected type instant vector in call to function "
       "\"abs\", got range vector"},
      {"histogram_quantile(foo, bar)",
       "1:20: parse error: expected type scalar in call to "
       "function \"histogram_quantile\", got instant vector"},
      {"label_join(foo, \"a\", \",\", \"b\", 1)",
       "1:32: parse error: expected type string in "
       "call to function \"label_join\", got scalar"},
      {"rate(foo[5m], 1)", "1:1: parse error: expected 1 argument(s) in call to \"rate\", got 2"},
      {"time(1)", "1:1: parse error: expected 0 argument(s) in call to \"time\", got 1"},
      {"label_replace(foo, \"a\", \"b\", \"c\")",
       "1:1: parse error: expected 5 argument(s) in "
       "call to \"label_replace\", got 4"},
      {"round()",
       "1:1: parse error: expected at least 1 argument(s) in call to \"round\", "
       "got 0"},
      {"round(foo, 1, 2)",
       "1:1: parse error: expected at most 2 argument(s) in call to "
       "\"round\", got 3"},
      {"hour(foo, bar)",
       "1:1: parse error: expected at most 1 argument(s) in call to "
       "\"hour\", got 2"},
      {"label_join(foo, \"a\")",
       "1:1: parse error: expected at least 3 argument(s) in call to "
       "\"label_join\", got 2"},
      {"sum()", "1:1: parse error: no arguments for aggregate expression provided"},
      {"topk(foo)",
       "1:1: parse error: wrong number of arguments for aggregate expression "
       "provided, expected 2, got 1"},
      {"sum(1, foo)",
       "1:1: parse error: wrong number of arguments for aggregate expression "
       "provided, expected 1, got 2"},
      {"sum(1)",
       "1:5: parse error: expected type instant vector in aggregation expression, got "
       "scalar"},
      {"avg(foo[5m])",
       "1:5: parse error: expected type instant vector in aggregation "
       "expression, got range vector"},
      {"topk(\"a\", foo)",
       "1:6: parse error: expected type scalar in aggregation parameter, "
       "got string"},
      {"quantile(foo, foo)",
       "1:10: parse error: expected type scalar in aggregation parameter, "
       "got instant vector"},
      {"count_values(1, foo)",
       "1:14: parse error: expected type string in aggregation "
       "parameter, got scalar"},
      {"foo and 1",
       "1:1: parse error: set operator \"and\" not allowed in binary scalar "
       "expression"},
      {"1 unless foo",
       "1:1: parse error: set operator \"unless\" not allowed in binary scalar "
       "expression"},
      {"1 == 1", "1:3: parse error: comparisons between scalars must use BOOL modifier"},
      {"foo + bool bar",
       "1:5: parse error: bool modifier can only be used on comparison "
       "operators"},
      {"1 + on(foo) bar",
       "1:1: parse error: vector matching only allowed between instant "
       "vectors"},
      {"foo and on(a) group_left bar",
       "1:1: parse error: no grouping allowed for \"and\" "
       "operation"},
      {"foo * on(a) group_left(a) bar",
       "1:5: parse error: label \"a\" must not occur in ON "
       "and GROUP clause at once"},
      {"foo[5m] + 1",
       "1:1: parse error: binary expression must contain only scalar and "
       "instant vector types"},
      {"1 + \"a\"",
       "1:5: parse error: binary expression must contain only scalar and instant "
       "vector types"},
      {"-foo[5m]",
       "1:1: parse error: unary expression only allowed on expressions of type "
       "scalar or instant vector, got \"range vector\""},
      {"-\"a\"",
       "1:1: parse error: unary expression only allowed on expressions of type "
       "scalar or instant vector, got \"string\""},
      {"foo[5m:1m][10m:]",
       "1:1: parse error: subquery is only allowed on instant vector, got "
       "matrix instead"},
      {"foo[5m][10m:]",
       "1:1: parse error: subquery is only allowed on instant vector, got "
       "matrix instead"},
      {"(foo)[5m]", "1:6: parse error: ranges only allowed for vector selectors"},
      {"sum(foo)[5m]", "1:9: parse error: ranges only allowed for vector selectors"},
      {"foo[5m][5m]", "1:8: parse error: ranges only allowed for vector selectors"},
      {"foo offset 5m[5m]", "1:14: parse error: no offset modifiers allowed before range"},
      {"foo @ 10 [5m]", "1:10: parse error: no @ modifiers allowed before range"},
      {"sum(foo) offset 5m",
       "1:1: parse error: offset modifier must be preceded by an instant "
       "vector selector or range vector selector or a subquery"},
      {"1 offset 1d",
       "1:1: parse error: offset modifier must be preceded by an instant vector "
       "selector or range vector selector or a subquery"},
      {"foo offset 1s offset 2s", "1:1: parse error: offset may not be set multiple times"},
      {"foo[5m] offset 1s offset 2s", "1:1: parse error: offset may not be set multiple times"},
      {"1 @ 10",
       "1:1: parse error: @ modifier must be preceded by an instant vector selector or "
       "range vector selector or a subquery"},
      {"foo @ 1 @ 2", "1:1: parse error: @ <timestamp> may not be set multiple times"},
      {"foo @ start() @ end()", "1:1: parse error: @ <timestamp> may not be set multiple times"},
      {"foo @ Inf", "1:1: parse error: timestamp out of bounds for @ modifier: +Inf"},
      {"foo @ -NaN", "1:1: parse error: timestamp out of bounds for @ modifier: NaN"},
      {"foo @ 1e19",
       "1:1: parse error: timestamp out of bounds for @ modifier: "
       "10000000000000000000.000000"},
  };
  for (const auto& c : cases) EXPECT_EQ(ErrorOf(c.in), c.err) << c.in;
}

TEST(ParserTest, ErrorCarriesByteRangeAndLineColumn) {
  ParseError e;
  ASSERT_FALSE(ParseExpr("sum(rate(x[5m]))\n  + foo{a=~\"(\"}", &e).ok());
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.column, 9);
  EXPECT_EQ(e.pos.start, 25u);
  EXPECT_EQ(e.pos.end, 31u);
  EXPECT_EQ(e.message, "error parsing regexp: missing closing ): `^(?:()$`");
}

TEST(ParserTest, RejectsPathologicallyDeepQueriesWithoutExhaustingTheStack) {
  auto repeat = [](std::string_view s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  };
  // Deep but reasonable nesting still parses and prints.
  std::string ok = repeat("(", 300) + "foo" + repeat(")", 300);
  auto e = ParseExpr(ok);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ((*e)->String(), ok);
  EXPECT_EQ(ErrorOf(repeat("a + ", 900) + "a"), "OK");

  for (const std::string& q :
       {repeat("(", 100000) + "foo" + repeat(")", 100000), repeat("a + ", 100000) + "a",
        repeat("-", 100000) + "a", repeat("abs(", 100000) + "a" + repeat(")", 100000),
        "a" + repeat("[5m:]", 100000), repeat("a ^ ", 100000) + "a"}) {
    ParseError err;
    ASSERT_FALSE(ParseExpr(q, &err).ok());
    EXPECT_EQ(err.message, "expression nests deeper than 1000 levels");
  }
}

TEST(ParserTest, CloneProducesAnEqualIndependentTree) {
  auto e = MustParse("sum by (a) (rate(foo{b=~\"c.*\"}[5m] offset 1m)) / on(a) group_left bar");
  ExprPtr c = e->Clone();
  EXPECT_TRUE(Equal(*e, *c));
  EXPECT_NE(c.get(), e.get());
  c->As<BinaryExpr>().op = BinaryOp::kMul;
  EXPECT_FALSE(Equal(*e, *c));
}

}  // namespace
}  // namespace andon::query
