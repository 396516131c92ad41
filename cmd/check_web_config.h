// cmd/check_web_config.h
//
// `andon check web-config FILE...`, as `promtool check web-config`: one line per file,
// "<file> SUCCESS" on stdout or "<file> FAILED: <problem>" on stderr. A file is valid when
// it parses (web/web_config.h) and, with TLS, its certificate, key and client CA load into a
// server context. Exit codes as `andon check config`: 0 all valid, 1 an invalid file, 2 a
// file that cannot be read (or no FILE given).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace andon {

// `args` are the words after "check web-config".
int CheckWebConfigCommand(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

}  // namespace andon
