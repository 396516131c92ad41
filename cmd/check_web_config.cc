#include "cmd/check_web_config.h"

#include <algorithm>

#include "web/tls_server_context.h"
#include "web/web_config.h"

namespace andon {

int CheckWebConfigCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fprintf(args.empty() ? err : out, "usage: andon check web-config FILE...\n");
    return args.empty() ? 2 : 0;
  }
  int exit_code = 0;
  for (const std::string& file : args) {
    Result<web::WebConfig> config = web::LoadWebConfigFile(file);
    Status status = config.status();
    if (status.ok() && config->tls) status = web::MakeTlsServerContext(*config->tls).status();
    if (status.ok()) {
      std::fprintf(out, "%s SUCCESS\n", file.c_str());
      std::fflush(out);
      continue;
    }
    std::fprintf(err, "%s FAILED: %s\n", file.c_str(), status.message().c_str());
    std::fflush(err);
    int code = status.code() == Status::Code::kIOError ? 2 : 1;
    exit_code = std::max(exit_code, code);
  }
  return exit_code;
}

}  // namespace andon
