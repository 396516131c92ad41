#include "query/printer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "query/parser.h"

namespace andon::query {
namespace {

std::string Canonical(std::string_view q) {
  auto r = ParseExpr(q);
  EXPECT_TRUE(r.ok()) << q << ": " << r.status().message();
  return r.ok() ? (*r)->String() : "";
}

std::string Pretty(std::string_view q) {
  auto r = ParseExpr(q);
  EXPECT_TRUE(r.ok()) << q << ": " << r.status().message();
  return r.ok() ? Prettify(**r) : "";
}

TEST(PrinterTest, FormatsDurationsLikePrometheus) {
  EXPECT_EQ(FormatPromDuration(0), "0s");
  EXPECT_EQ(FormatPromDuration(500), "500ms");
  EXPECT_EQ(FormatPromDuration(90500), "1m30s500ms");
  EXPECT_EQ(FormatPromDuration(5400000), "1h30m");
  EXPECT_EQ(FormatPromDuration(14LL * 86400000), "2w");
  EXPECT_EQ(FormatPromDuration(8LL * 86400000), "8d");
  EXPECT_EQ(FormatPromDuration(90LL * 86400000), "90d");
  EXPECT_EQ(FormatPromDuration(365LL * 86400000), "1y");
  EXPECT_EQ(FormatPromDuration(366LL * 86400000), "366d");
  EXPECT_EQ(FormatPromDuration(86400000 + 3600000), "1d1h");
}

TEST(PrinterTest, FormatsNumbersLikeGoPercentV) {
  EXPECT_EQ(FormatGoFloat(1), "1");
  EXPECT_EQ(FormatGoFloat(-1.5), "-1.5");
  EXPECT_EQ(FormatGoFloat(0.1), "0.1");
  EXPECT_EQ(FormatGoFloat(0.0001), "0.0001");
  EXPECT_EQ(FormatGoFloat(0.00001), "1e-05");
  EXPECT_EQ(FormatGoFloat(123456), "123456");
  EXPECT_EQ(FormatGoFloat(1e6), "1e+06");
  EXPECT_EQ(FormatGoFloat(1234567), "1.234567e+06");
  EXPECT_EQ(FormatGoFloat(9.988465674311579e+307), "9.98846567431158e+307");
  EXPECT_EQ(FormatGoFloat(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatGoFloat(5e-324), "5e-324");
  EXPECT_EQ(FormatGoFloat(0), "0");
  EXPECT_EQ(FormatGoFloat(-0.0), "-0");
  EXPECT_EQ(FormatGoFloat(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatGoFloat(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatGoFloat(std::nan("")), "NaN");
}

TEST(PrinterTest, CanonicalFormMatchesPrometheusString) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"foo", "foo"},
      {"foo{}", "foo"},
      {"foo{b=\"1\", a=\"2\"}", "foo{a=\"2\",b=\"1\"}"},
      {"{__name__=\"foo\"}", "{__name__=\"foo\"}"},
      {"{__name__=~\"a.*\",job!~'x'}", "{__name__=~\"a.*\",job!~\"x\"}"},
      {"foo{a=`\\d+`}", "foo{a=\"\\\\d+\"}"},
      {"foo offset 5m", "foo offset 5m"},
      {"foo offset -1h30m", "foo offset -1h30m"},
      {"foo offset 5m @ 100", "foo @ 100.000 offset 5m"},
      {"foo @ 1.5", "foo @ 1.500"},
      {"foo @ start()", "foo @ start()"},
      {"foo[5m] offset 1w @ end()", "foo[5m] @ end() offset 1w"},
      {"foo{a=\"b\"}[90m]", "foo{a=\"b\"}[1h30m]"},
      {"rate(foo[5m])[30m:1m]", "rate(foo[5m])[30m:1m]"},
      {"foo[5m:]  offset 10m", "foo[5m:] offset 10m"},
      {"sum(foo) by (a,b)", "sum by (a, b) (foo)"},
      {"SUM BY (a) (foo)", "sum by (a) (foo)"},
      {"sum without() (foo)", "sum without () (foo)"},
      {"sum by () (foo)", "sum(foo)"},
      {"topk(5,foo)", "topk(5, foo)"},
      {"count_values('v', foo)", "count_values(\"v\", foo)"},
      {"a+b*c", "a + b * c"},
      {"(a+b)*c", "(a + b) * c"},
      {"a == bool 1", "a == bool 1"},
      {"a + on() b", "a + on () b"},
      {"a + ignoring() b", "a + b"},
      {"a + ignoring(x) group_right(y,z) b", "a + ignoring (x) group_right (y, z) b"},
      {"a / on(x) group_left b", "a / on (x) group_left () b"},
      {"a and on(x) b", "a and on (x) b"},
      {"a atan2 b", "a atan2 b"},
      {"-foo", "-foo"},
      {"+foo", "+foo"},
      {"- 1", "-1"},
      {"-(1)", "-(1)"},
      {"1000000 * foo", "1e+06 * foo"},
      {"0x10", "16"},
      {"Inf - -inf", "+Inf - -Inf"},
      // `^` binds tighter than a sign: +Inf on its left is parenthesized so the text parses
      // back to itself (found by fuzz/promql_fuzzer.cc).
      {"+Inf^\nZ", "+(+Inf) ^ Z"},
      {"Inf ^ 2 + 1", "(+Inf) ^ 2 + 1"},
      {"inf ^ inf ^ -inf", "(+Inf) ^ (+Inf) ^ -Inf"},
      {"nan", "NaN"},
      {"'a\"b'", "\"a\\\"b\""},
      {"label_join(foo,\"a\",\",\",\"b\")", "label_join(foo, \"a\", \",\", \"b\")"},
      {"time()", "time()"},
      {"foo # comment", "foo"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Canonical(c.in), c.out) << c.in;
    EXPECT_EQ(Canonical(c.out), c.out) << "printed text does not parse back to itself";
  }
}

TEST(PrinterTest, CanonicalFormRoundTrips) {
  for (const char* q : {
           "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m])) / ignoring(code) "
           "group_left sum by (job) (rate(http_requests_total[5m]))",
           "histogram_quantile(0.9, sum by (le) (rate(x_bucket[1h] offset -5m @ 1700000000)))",
           "-(foo + 2) ^ -1 % bar atan2 baz",
           "max_over_time(deriv(rate(foo[1m])[5m:1m])[10m:] @ start())",
           "count_values without (a) (\"v\\n\\x01\u00e9\", foo{a!=\"\\\\\"})",
           "absent(nonexistent{job=\"myjob\",instance=~\".*\"})",
           "1 < bool 2 == bool 3",
           "foo and on() bar or baz unless ignoring(x) qux",
           "vector(time()) - -Inf",
           "sum",
           "by offset 5m",
           "{__name__=\"sum\"} + on(on, by) group_right(bool) sum",
       }) {
    auto a = ParseExpr(q);
    ASSERT_TRUE(a.ok()) << q << ": " << a.status().message();
    std::string s = (*a)->String();
    auto b = ParseExpr(s);
    ASSERT_TRUE(b.ok()) << s << ": " << b.status().message();
    EXPECT_TRUE(Equal(**a, **b)) << q << " -> " << s;
    EXPECT_EQ((*b)->String(), s);
  }
}

TEST(PrinterTest, PrettifyLeavesShortQueriesOnOneLine) {
  EXPECT_EQ(Pretty("sum(rate(foo[5m])) by (job)"), "sum by (job) (rate(foo[5m]))");
  EXPECT_EQ(Pretty("a+b"), "a + b");
}

TEST(PrettifyTest, SplitsLongBinaryExpressionsAroundTheOperator) {
  std::string q =
      "sum by (job) (rate(http_requests_total{job=\"api-server\",handler=\"/api/v1/query\"}[5m])) "
      "/ on(job) group_left sum by (job) (rate(http_requests_total[5m]))";
  EXPECT_EQ(Pretty(q),
            "  sum by (job) (rate(http_requests_total{handler=\"/api/v1/query\",job=\"api-server\"}"
            "[5m]))\n"
            "/ on (job) group_left ()\n"
            "  sum by (job) (rate(http_requests_total[5m]))");
}

TEST(PrettifyTest, SplitsLongAggregationsCallsAndParens) {
  std::string inner =
      "rate(some_really_long_metric_name_for_testing_total{instance=\"host-0001.example.com\","
      "job=\"node\"}[5m])";
  EXPECT_EQ(Pretty("sum by (instance) (" + inner + ")"),
            "sum by (instance) (\n"
            "  rate(\n"
            "    some_really_long_metric_name_for_testing_total{instance=\"host-0001.example.com\","
            "job=\"node\"}[5m]\n"
            "  )\n"
            ")");
  EXPECT_EQ(Pretty("topk(5, " + inner + ")"),
            "topk(\n"
            "  5,\n"
            "  rate(\n"
            "    some_really_long_metric_name_for_testing_total{instance=\"host-0001.example.com\","
            "job=\"node\"}[5m]\n"
            "  )\n"
            ")");
  EXPECT_EQ(Pretty("-(" + inner + ")"),
            "-(\n"
            "  rate(\n"
            "    some_really_long_metric_name_for_testing_total{instance=\"host-0001.example.com\","
            "job=\"node\"}[5m]\n"
            "  )\n"
            ")");
}

TEST(PrettifyTest, PrettyOutputParsesBackToTheSameTree) {
  std::string q =
      "histogram_quantile(0.99, sum by (le, handler) (rate(http_request_duration_seconds_bucket"
      "{handler=~\"/api/.*\",method=\"GET\"}[5m]))) > on(handler) group_left "
      "max by (handler) (slo_latency_target_seconds{service=\"frontend\"}) * 1.5 or vector(0)";
  auto a = ParseExpr(q);
  ASSERT_TRUE(a.ok());
  std::string pretty = Prettify(**a);
  EXPECT_NE(pretty.find('\n'), std::string::npos);
  auto b = ParseExpr(pretty);
  ASSERT_TRUE(b.ok()) << pretty << "\n" << b.status().message();
  EXPECT_TRUE(Equal(**a, **b)) << pretty;
}

}  // namespace
}  // namespace andon::query
