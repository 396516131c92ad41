// Templates are user input: whatever the text, parsing and executing it must end with a
// result or an error in Go's form, never a crash or a hang. Random token soups (fixed
// seed) and pathological nesting exercise that; the sanitizer builds check memory.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "templating/template.h"

namespace andon::templating {
namespace {

TEST(TemplateRobustnessTest, RandomTokenSoupsParseOrFailCleanly) {
  static const char* kPieces[] = {"{{",
                                  "}}",
                                  "{{- ",
                                  " -}}",
                                  " ",
                                  "\n",
                                  "if",
                                  "else",
                                  "end",
                                  "range",
                                  "with",
                                  "define",
                                  "template",
                                  "block",
                                  "break",
                                  "continue",
                                  "$x",
                                  ":=",
                                  "=",
                                  "$",
                                  ".",
                                  ".Labels",
                                  ".job",
                                  "$labels",
                                  "$value",
                                  "|",
                                  "(",
                                  ")",
                                  "\"s\"",
                                  "`r`",
                                  "'c'",
                                  "1",
                                  "-2.5",
                                  "0x1f",
                                  "1e3",
                                  "true",
                                  "nil",
                                  "printf",
                                  "\"%d %s %v %5.2f %q\"",
                                  "humanize",
                                  "len",
                                  "index",
                                  "slice",
                                  "eq",
                                  "lt",
                                  "and",
                                  "or",
                                  "not",
                                  "print",
                                  "args",
                                  "query",
                                  "first",
                                  "value",
                                  "label",
                                  "reReplaceAll",
                                  "\"(a|b)*\"",
                                  "match",
                                  "toUpper",
                                  "title",
                                  "humanizeDuration",
                                  "/*",
                                  "*/",
                                  ",",
                                  "@",
                                  "\"t\"",
                                  "x",
                                  "é"};
  std::mt19937 rng(42);
  AlertTemplateData data{Labels{{"job", "api"}, {"instance", "h:1"}}, Labels{}, "http://a", 3.5};
  TemplateEnv env{[](std::string_view) -> Result<QueryResult> {
                    return QueryResult{{Labels{{"a", "b"}}, 1}};
                  },
                  "http://a/p"};
  int parsed = 0, executed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    int n = 1 + static_cast<int>(rng() % 14);
    for (int k = 0; k < n; ++k) text += kPieces[rng() % std::size(kPieces)];
    Result<Template> t = Template::ParseAlert(text, "R");
    if (!t.ok()) {
      ASSERT_EQ(t.status().message().rfind("template: __alert_R:", 0), 0u)
          << text << " -> " << t.status().message();
      continue;
    }
    ++parsed;
    Result<std::string> r = t->ExecuteAlert(data, env);
    if (r.ok()) {
      ++executed;
    } else {
      ASSERT_EQ(r.status().message().rfind("template: ", 0), 0u)
          << text << " -> " << r.status().message();
    }
  }
  // The soup must reach the executor often enough to mean something.
  EXPECT_GT(parsed, 1000);
  EXPECT_GT(executed, 500);
}

TEST(TemplateRobustnessTest, DeepNestingIsAnErrorNotAStackOverflow) {
  std::string parens = "{{ " + std::string(100000, '(') + "1" + std::string(100000, ')') + " }}";
  EXPECT_EQ(Template::Parse(parens, "n").status().message(),
            "template: n:1: exceeded maximum nesting depth (500)");
  std::string ifs;
  for (int i = 0; i < 100000; ++i) ifs += "{{ if 1 }}";
  EXPECT_EQ(Template::Parse(ifs, "n").status().message(),
            "template: n:1: exceeded maximum nesting depth (500)");
  std::string ok;
  for (int i = 0; i < 100; ++i) ok += "{{ if 1 }}";
  ok += "x";
  for (int i = 0; i < 100; ++i) ok += "{{ end }}";
  Result<Template> t = Template::Parse(ok, "n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t->Execute(TemplateValue(), {}), "x");
}

}  // namespace
}  // namespace andon::templating

namespace andon::templating {
namespace {

TEST(TemplateRobustnessTest, DeepTemplatesTimesDeepPipelinesRunOutOfBudgetNotOfStack) {
  // 200 nested ifs around the call in a template that calls itself: each limit alone is
  // respected, together they would need far more stack than a thread has.
  std::string text = "{{ define \"r\" }}";
  for (int i = 0; i < 200; ++i) text += "{{ if 1 }}";
  text += "{{ template \"r\" . }}";
  for (int i = 0; i < 200; ++i) text += "{{ end }}";
  text += "{{ end }}{{ template \"r\" 1 }}";
  Result<Template> t = Template::Parse(text, "deep");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Result<std::string> r = t->Execute(TemplateValue(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("exceeded maximum template nesting"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace andon::templating
