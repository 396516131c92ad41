#include "rules/template.h"

#include <gtest/gtest.h>

namespace andon::rules {
namespace {

TEST(TemplateTest, Smoke) {
  auto t = Template::ParseAlert("{{ $labels.job }} {{ $value }} {{ humanize 1234567 }}", "A");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  AlertTemplateData d{Labels{{"job", "x"}}, Labels{}, "", 1e6};
  auto r = t->ExecuteAlert(d, TemplateEnv{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "x 1e+06 1.235M");
}

}  // namespace
}  // namespace andon::rules
