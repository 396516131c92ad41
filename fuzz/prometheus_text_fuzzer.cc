// libFuzzer target for the Prometheus text format parser. Build and run: fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_parser_common.h"
#include "scrape/prometheus_text_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A copy of exactly `size` bytes, so ASan catches any read past the end.
  std::string input(reinterpret_cast<const char*>(data), size);
  andon::scrape::PrometheusTextParser p(input);
  andon::scrape::FuzzParser(p, input);
  p.Reset(input);  // a reused parser gives the same result
  andon::scrape::FuzzParser(p, input);
  return 0;
}
