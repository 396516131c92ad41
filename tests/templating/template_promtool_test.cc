// Cross-check against Prometheus itself: every case's expected text was produced by
// Debian's promtool 2.42 (`promtool test rules`, see promtool_cases.py) from the same
// template and data, so each assertion pins Go's text/template + Prometheus behaviour.
#include <gtest/gtest.h>

#include <string>

#include "templating/template.h"

namespace andon::templating {
namespace {

struct PromtoolCase {
  const char* text;
  const char* want;
  bool parse_error;
};

const PromtoolCase kCases[] = {
#include "tests/templating/template_promtool_cases.inc"
};

// The data promtool_cases.py gives the rule: the `up` series is the alert's sample.
const AlertTemplateData& PromtoolData() {
  static const AlertTemplateData d{
      Labels{{"__name__", "up"}, {"job", "api"}, {"instance", "host1.example.com:9100"}},
      Labels{{"cluster", "prod"}, {"region", "eu-1"}}, "http://andon.example.com:9090/prefix/path",
      1234.5678};
  return d;
}

// What the PromQL engine answers for the queries the cases make, on that test's series.
Result<QueryResult> PromtoolQuery(std::string_view expr) {
  if (expr == "node_load") {  // in the order of the test's input series, as Prometheus
    return QueryResult{{Labels{{"__name__", "node_load"}, {"instance", "b"}}, 2},
                       {Labels{{"__name__", "node_load"}, {"instance", "a"}}, 1},
                       {Labels{{"__name__", "node_load"}, {"instance", "c"}, {"x", "y"}}, 0.5}};
  }
  if (expr == "up") return QueryResult{{PromtoolData().labels, 1234.5678}};
  if (expr == "nonexistent") return QueryResult{};
  if (expr == "1") return QueryResult{{Labels{}, 1}};
  return Status::InvalidArgument("unexpected query in test: " + std::string(expr));
}

class PromtoolCaseTest : public ::testing::TestWithParam<PromtoolCase> {};

TEST_P(PromtoolCaseTest, MatchesPrometheus) {
  const PromtoolCase& c = GetParam();
  SCOPED_TRACE(std::string("template: ") + c.text);
  if (c.parse_error) {
    Result<Template> t = Template::ParseAlert(c.text, "A");
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().message(), c.want);
    return;
  }
  TemplateEnv env{PromtoolQuery, "http://andon.example.com:9090/prefix/path"};
  Result<std::string> r = ExpandAlertTemplate(c.text, "A", PromtoolData(), env);
  std::string got = r.ok() ? *r : "<error expanding template: " + r.status().message() + ">";
  EXPECT_EQ(got, c.want);
}

INSTANTIATE_TEST_SUITE_P(Promtool242, PromtoolCaseTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<PromtoolCase>& info) {
                           return "Case" + std::to_string(info.index);
                         });

}  // namespace
}  // namespace andon::templating
