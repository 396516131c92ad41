// Unit tests of templating/template.h beyond the promtool cross-check
// (template_promtool_test.cc): the generic data model of notification templates, the
// functions promtool cannot exercise (externalURL, pathPrefix, tmpl), limits, concurrency
// and Go's float formatting.
#include "templating/template.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "templating/go_format.h"

namespace andon::templating {
namespace {

std::string Render(std::string_view text, const TemplateValue& data, const TemplateEnv& env = {}) {
  Result<Template> t = Template::Parse(text, "t");
  if (!t.ok()) return "PARSE: " + t.status().message();
  Result<std::string> r = t->Execute(data, env);
  if (!r.ok()) return "EXEC: " + r.status().message();
  return *r;
}

TemplateValue NotificationData() {
  TemplateMap alert;
  alert.emplace("Status", TemplateValue::String("firing"));
  alert.emplace("Labels", TemplateValue::LabelMap(Labels{{"alertname", "Down"}, {"team", "db"}}));
  TemplateMap root;
  root.emplace("Receiver", TemplateValue::String("slack"));
  root.emplace("Alerts",
               TemplateValue::List({TemplateValue::Map(alert), TemplateValue::Map(alert)}));
  root.emplace("Count", TemplateValue::Int(2));
  root.emplace("Ratio", TemplateValue::Float(0.25));
  root.emplace("Muted", TemplateValue::Bool(false));
  root.emplace("Nothing", TemplateValue());
  return TemplateValue::Map(std::move(root));
}

TEST(TemplateTest, ExecutesOverGenericMapsListsAndScalars) {
  TemplateValue d = NotificationData();
  EXPECT_EQ(Render("{{ .Receiver }}: {{ len .Alerts }} alerts", d), "slack: 2 alerts");
  EXPECT_EQ(Render("{{ range .Alerts }}[{{ .Status }} {{ .Labels.alertname }}]{{ end }}", d),
            "[firing Down][firing Down]");
  EXPECT_EQ(Render("{{ range $i, $a := .Alerts }}{{ $i }}={{ $a.Labels.team }} {{ end }}", d),
            "0=db 1=db ");
  EXPECT_EQ(Render("{{ .Count }} {{ .Ratio }} {{ .Muted }} {{ .Nothing }} {{ .Missing }}", d),
            "2 0.25 false <no value> <no value>");
  EXPECT_EQ(Render("{{ if .Muted }}m{{ else if gt .Count 1 }}many{{ end }}", d), "many");
  EXPECT_EQ(Render("{{ index .Alerts 1 | printf \"%v\" }}",
                   TemplateValue::Map({{"Alerts", TemplateValue::List({TemplateValue::Int(1),
                                                                       TemplateValue::Int(7)})}})),
            "7");
  EXPECT_EQ(Render("{{ range $k, $v := . }}{{ $k }};{{ end }}", d),
            "Alerts;Count;Muted;Nothing;Ratio;Receiver;");
  EXPECT_EQ(
      Render("{{ . }}", TemplateValue::Map(
                            {{"a", TemplateValue::List({TemplateValue::Int(1), TemplateValue()})},
                             {"b", TemplateValue::String("x")}})),
      "map[a:[1 <nil>] b:x]");
  EXPECT_EQ(Render("{{ slice .Alerts 1 | len }}", d), "1");
  EXPECT_EQ(Render("{{ .Count.x }}", d),
            "EXEC: template: t:1:9: executing \"t\" at <.Count.x>: can't evaluate field x in "
            "type interface {}");
}

TEST(TemplateTest, ExternalUrlAndPathPrefixComeFromTheEnvironment) {
  TemplateEnv env{nullptr, "http://andon.example.com:9090/prefix/a%20b?x=1"};
  EXPECT_EQ(Render("{{ externalURL }}|{{ pathPrefix }}", TemplateValue(), env),
            "http://andon.example.com:9090/prefix/a%20b?x=1|/prefix/a b");
  EXPECT_EQ(Render("[{{ pathPrefix }}]", TemplateValue(), TemplateEnv{nullptr, "http://h:1"}),
            "[]");
}

TEST(TemplateTest, QueryErrorsAndMissingEngineAreReported) {
  TemplateEnv failing{[](std::string_view) -> Result<QueryResult> {
                        return Status::InvalidArgument("parse error: unexpected end of input");
                      },
                      ""};
  EXPECT_EQ(Render("{{ query \"up(\" }}", TemplateValue(), failing),
            "EXEC: template: t:1:3: executing \"t\" at <query \"up(\">: error calling query: "
            "parse error: unexpected end of input");
  EXPECT_EQ(Render("{{ query \"up\" }}", TemplateValue()),
            "EXEC: template: t:1:3: executing \"t\" at <query \"up\">: error calling query: no "
            "query engine available to templates");
}

TEST(TemplateTest, ConsoleTemplatesHaveTmpl) {
  const char* text =
      "{{ define \"row\" }}<{{ . }}>{{ end }}{{ tmpl \"row\" 5 }}{{ tmpl \"row\" \"x\" }}";
  EXPECT_EQ(Template::Parse(text, "c").status().message(),
            "template: c:1: function \"tmpl\" not defined");
  Result<Template> t = Template::Parse(text, "c", /*console=*/true);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t->Execute(TemplateValue(), {}), "<5><x>");
  Result<Template> bad = Template::Parse("{{ tmpl \"nope\" 1 }}", "c", true);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->Execute(TemplateValue(), {}).status().message(),
            "template: c:1:3: executing \"c\" at <tmpl \"nope\" 1>: error calling tmpl: template: "
            "no template \"nope\" associated with template \"c\"");
}

TEST(TemplateTest, ExecutesDefinedTemplatesByName) {
  Result<Template> t =
      Template::Parse("{{ define \"title\" }}[{{ .Receiver }}]{{ end }}main", "notify");
  ASSERT_TRUE(t.ok());
  std::string out;
  ASSERT_TRUE(t->ExecuteTemplateTo("title", NotificationData(), {}, &out).ok());
  EXPECT_EQ(out, "[slack]");
  EXPECT_EQ(t->ExecuteTemplateTo("nope", TemplateValue(), {}, &out).message(),
            "template: no template \"nope\" associated with template \"notify\"");
  EXPECT_EQ(t->name(), "notify");
}

TEST(TemplateTest, DeepRecursionStopsWithAnErrorInsteadOfOverflowingTheStack) {
  EXPECT_EQ(Render("{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" }}",
                   TemplateValue()),
            "EXEC: template: t:1:28: executing \"r\" at <{{template \"r\" .}}>: exceeded maximum "
            "template depth (1000)");
}

TEST(TemplateTest, ErrorsNameLineAndColumnOfTheFailingNode) {
  EXPECT_EQ(Render("line1\nline2 {{ .a.b }}", TemplateValue::Map({{"a", TemplateValue::Int(1)}})),
            "EXEC: template: t:2:11: executing \"t\" at <.a.b>: can't evaluate field b in type "
            "interface {}");
  EXPECT_EQ(Render("a\n{{ if 1 }}\n{{ foo }}{{ end }}", TemplateValue()),
            "PARSE: template: t:3: function \"foo\" not defined");
  EXPECT_EQ(Render("x {{ 1 }", TemplateValue()),
            "PARSE: template: t:1: unexpected \"}\" in operand");
  EXPECT_EQ(Render("{{ 1i }}", TemplateValue()),
            "PARSE: template: t:1: complex constants are not supported: 1i");
}

TEST(TemplateTest, AlertTemplatesSeeTheVariablesPrometheusDefines) {
  AlertTemplateData d{Labels{{"job", "api"}}, Labels{{"cluster", "eu"}}, "http://a:9090", 0.5};
  Result<Template> t = Template::ParseAlert(
      "{{ $labels.job }} {{ $value }} {{ $externalLabels.cluster }} {{ $externalURL }}", "X");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->name(), "__alert_X");
  EXPECT_EQ(*t->ExecuteAlert(d, {}), "api 0.5 eu http://a:9090");
  EXPECT_EQ(ExpandAlertTemplate("{{ nope }}", "X", d, {}).status().message(),
            "error parsing template __alert_X: template: __alert_X:1: function \"nope\" not "
            "defined");
}

TEST(TemplateTest, ParsedTemplateIsExecutedConcurrently) {
  Result<Template> t = Template::ParseAlert(
      "{{ range $k, $v := $labels }}{{ $k }}={{ $v }} {{ end }}{{ humanize $value }}", "C");
  ASSERT_TRUE(t.ok());
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      AlertTemplateData d{Labels{{"n", std::to_string(i)}}, Labels{}, "", 1000.0 * (i + 1)};
      std::string want = "n=" + std::to_string(i) + " " + std::to_string(i + 1) + "k";
      for (int k = 0; k < 2000; ++k) {
        Result<std::string> r = t->ExecuteAlert(d, {});
        if (!r.ok() || *r != want) ++mismatches[i];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(GoFormatTest, FloatsPrintAsGoPrintsThem) {
  struct Case {
    double v;
    char fmt;
    int prec;
    const char* want;
  };
  const Case cases[] = {
      {1e6, 'g', -1, "1e+06"},
      {123456, 'g', -1, "123456"},
      {0.1, 'g', -1, "0.1"},
      {1e-5, 'g', -1, "1e-05"},
      {0.0001, 'g', -1, "0.0001"},
      {1.0 / 3, 'g', -1, "0.3333333333333333"},
      {5e-324, 'g', -1, "5e-324"},
      {1.7976931348623157e308, 'g', -1, "1.7976931348623157e+308"},
      {-0.0, 'g', -1, "-0"},
      {0, 'g', -1, "0"},
      {1e100, 'e', -1, "1e+100"},
      {1234.5678, 'g', 4, "1235"},
      {1234.5678, 'e', 3, "1.235e+03"},
      {0, 'g', 3, "0"},
      {100, 'g', 2, "1e+02"},
      {0.5, 'f', 0, "0"},
      {1.5, 'f', 0, "2"},
      {2.5, 'f', 0, "2"},
      {3.14159, 'f', 2, "3.14"},
      {1e22, 'f', -1, "10000000000000000000000"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FormatGoFloat(c.v, c.fmt, c.prec), c.want) << c.v << " " << c.fmt << c.prec;
  }
}

TEST(GoFormatTest, QuotesAndTimesAsGo) {
  std::string q;
  AppendGoQuote(&q, "a\"b\\c\n\x01\x7f\xff é");
  EXPECT_EQ(q, "\"a\\\"b\\\\c\\n\\x01\\x7f\\xff é\"");
  std::string t;
  AppendGoTime(&t, 951782400LL * 1000000000 + 5000000);  // 2000-02-29, leap day
  EXPECT_EQ(t, "2000-02-29 00:00:00.005 +0000 UTC");
}

}  // namespace
}  // namespace andon::templating
