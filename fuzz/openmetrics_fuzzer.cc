// libFuzzer target for the OpenMetrics parser. Build and run: fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_parser_common.h"
#include "scrape/openmetrics_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  andon::scrape::OpenMetricsParser p(input);
  andon::scrape::FuzzParser(p, input);
  p.Reset(input);
  andon::scrape::FuzzParser(p, input);
  return 0;
}
