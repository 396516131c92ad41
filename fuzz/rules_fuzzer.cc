// libFuzzer target for the rule-file loader (rules/rule_file.h), which also parses every
// expression as PromQL and every label and annotation as a template. Build and run:
// fuzz/run.sh.
// Property: parsing never crashes or hangs, and an error names the file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "rules/rule_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto file = andon::rules::ParseRuleFile(input, "fuzz.yml");
  if (!file.ok() && file.status().message().find("fuzz.yml") == std::string::npos) std::abort();
  return 0;
}
