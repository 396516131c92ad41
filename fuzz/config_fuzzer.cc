// libFuzzer target for the configuration loader (common/config.h): the input is an
// andon.yml, also read as an alertmanager.yml. Build and run: fuzz/run.sh.
// Properties: loading never crashes or hangs, whatever the YAML; a loaded configuration
// prints (redacted) without crashing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  // `*_file` secrets are read at load time; device and proc files could block or never end.
  if (input.find("/dev") != std::string::npos || input.find("/proc") != std::string::npos) {
    return 0;
  }
  const std::string_view base_dir = "/nonexistent/andon-fuzz";
  for (bool external_router : {false, true}) {
    andon::config::ConfigLoadOptions options;
    options.external_router = external_router;
    auto config = andon::config::ParseConfig(input, "fuzz.yml", base_dir, options);
    if (config.ok()) (void)config->ToRedactedYaml();
  }
  (void)andon::config::ParseAlertmanagerConfig(input, "alertmanager.yml", base_dir);
  return 0;
}
