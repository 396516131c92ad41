// common/file_reader.h
//
// ReadFileUpTo reads a whole file into memory with a ceiling: every file Andon reads because
// a configuration names it (secrets, config and rule files, file_sd target lists, time
// zones) goes through it, so a path that points at /dev/zero, a device or a runaway log
// costs at most the limit plus one buffer, never all memory. On error the message is the
// reason alone ("No such file or directory", "larger than 65536 bytes"): callers prefix
// the context their users know (the config key, the file name, the verb).
#pragma once

#include <cstddef>
#include <string>

#include "common/status.h"

namespace andon {

// A credential file (password_file, bearer_token_file, credentials_file, *_url_file).
inline constexpr size_t kMaxSecretFileBytes = size_t{64} << 10;
// A configuration, rule, web config, file_sd or zoneinfo file.
inline constexpr size_t kMaxConfigFileBytes = size_t{64} << 20;

// The file's contents, or IOError when it cannot be opened or read, is a directory, or holds
// more than max_bytes (nothing partial is returned). Blocks like read(2) on pipes.
Result<std::string> ReadFileUpTo(const std::string& path, size_t max_bytes);

}  // namespace andon
