// Proves that executing a parsed alert template allocates nothing beyond its output:
// global operator new is replaced by a counting one for this test binary, and a warm
// execution of a typical annotation into a reused string must not call it.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "templating/template.h"
#include "tests/counting_new.h"

namespace andon::templating {
namespace {

TEST(TemplateAllocTest, WarmExecutionOfAnAnnotationAllocatesNothing) {
  Result<Template> t = Template::ParseAlert(
      "{{ $labels.job }} on {{ $labels.instance }} ({{ $externalLabels.cluster }}) is down: "
      "{{ $value }} = {{ humanize $value }}{{ if gt $value 100.0 }}, high{{ end }}"
      "{{ range $k, $v := $labels }} {{ $k }}={{ $v }}{{ end }} {{ $value | printf \"%.2f\" }}"
      " {{ reReplaceAll \"\\\\..*\" \"\" $labels.instance }}"
      "{{ if match \"^node$\" $labels.job }}!{{ end }}",
      "InstanceDown");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  AlertTemplateData data{Labels{{"job", "node"}, {"instance", "host1.example.com:9100"}},
                         Labels{{"cluster", "eu-1"}}, "http://andon:9090", 1234.5};
  TemplateEnv env;
  TemplateValue dot = TemplateValue::Alert(&data);
  std::string out;
  out.reserve(512);
  ASSERT_TRUE(t->ExecuteTo(dot, env, &out).ok());  // warm-up: thread-local stacks
  const std::string want = out;
  long before = testing::AllocationCount();
  for (int i = 0; i < 100; ++i) {
    out.clear();
    ASSERT_TRUE(t->ExecuteTo(dot, env, &out).ok());
  }
  EXPECT_EQ(testing::AllocationCount() - before, 0);
  EXPECT_EQ(out, want);
  EXPECT_EQ(out,
            "node on host1.example.com:9100 (eu-1) is down: 1234.5 = 1.234k, high "
            "instance=host1.example.com:9100 job=node 1234.50 host1!");
}

}  // namespace
}  // namespace andon::templating
