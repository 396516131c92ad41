// common/http_authorization.h
//
// The Authorization header an http client config (basic_auth, authorization, bearer_token*)
// asks for, as Prometheus's HTTP client sends it, for every outgoing client: scrapes and the
// Kubernetes API. Secret files (password_file, credentials_file) are read on every call, so
// a rotated secret is picked up by the next request.
#pragma once

#include <string>
#include <string_view>

#include "common/config.h"
#include "common/status.h"

namespace andon {

// "Basic base64(user:password)", "<type> <credentials>", or "" when the config has no
// credentials. Error: a secret file that cannot be read (names the file).
Result<std::string> AuthorizationHeader(const config::HttpClientConfig& http);

// The file's contents without leading and trailing white space (token and secret files, at
// most kMaxSecretFileBytes). The error is the reason alone, as ReadFileUpTo's.
Result<std::string> ReadTrimmedFile(const std::string& path);

// Standard base64 with padding.
std::string Base64(std::string_view in);

}  // namespace andon
