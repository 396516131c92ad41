// libFuzzer target for the PromQL parser. Build and run: fuzz/run.sh.
// Properties: parsing never crashes or hangs; whatever parses prints to text that parses
// again and prints identically (the printer and parser agree).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "query/parser.h"
#include "query/printer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  auto expr = andon::query::ParseExpr(input);
  if (!expr.ok()) return 0;
  std::string printed = andon::query::ToString(**expr);
  auto again = andon::query::ParseExpr(printed);
  if (!again.ok() || andon::query::ToString(**again) != printed) std::abort();
  (void)andon::query::Prettify(**expr);
  return 0;
}
