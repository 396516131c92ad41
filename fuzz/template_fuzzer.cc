// libFuzzer target for the template engine (templating/template.h): parses the input as an
// alert template, as a console template and as an alert annotation, and executes what
// parses with fixed alert data and a `query` that answers two samples. Build and run:
// fuzz/run.sh.
// Properties: parsing and executing never crash or hang; an error carries Go's
// "template: " prefix.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/labels.h"
#include "templating/template.h"

namespace {

using andon::Labels;
using andon::templating::AlertTemplateData;
using andon::templating::QueryResult;
using andon::templating::Template;
using andon::templating::TemplateEnv;
using andon::templating::TemplateValue;

void CheckMessage(const andon::Status& s) {
  if (!s.ok() && !s.message().starts_with("template: ")) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const AlertTemplateData alert{
      Labels({{"__name__", "up"}, {"instance", "10.0.0.7:9100"}, {"job", "node"}}),
      Labels({{"cluster", "eu-1"}}), "http://andon:9090/prefix", 0.25};
  static const TemplateEnv env{[](std::string_view) -> andon::Result<QueryResult> {
                                 return QueryResult{{Labels({{"instance", "a"}}), 1.5},
                                                    {Labels({{"instance", "b"}}), -2e300}};
                               },
                               "http://andon:9090/prefix"};

  std::string input(reinterpret_cast<const char*>(data), size);
  for (bool console : {false, true}) {
    auto t = Template::Parse(input, "fuzz", console);
    if (!t.ok()) {
      CheckMessage(t.status());
      continue;
    }
    std::string out;
    CheckMessage(t->ExecuteTo(TemplateValue::Alert(&alert), env, &out));
  }
  auto annotation = Template::ParseAlert(input, "FuzzAlert");
  if (annotation.ok()) CheckMessage(annotation->ExecuteAlert(alert, env).status());
  return 0;
}
