// web/tls_server_context.h
//
// TlsServerContext builds the HTTP server's OpenSSL context from a tls_server_config and
// keeps it current: Current() re-checks the certificate, key and client CA files (size,
// modification time and inode, a few stat calls) and rebuilds the context when one changed,
// so a rotated certificate is served to the next connection without a restart. A rebuild
// that fails (a half-written key, a certificate that does not match its key) keeps the
// previous context and logs the error once per change. Thread-safe.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"
#include "web/web_config.h"

namespace andon::web {

class TlsServerContext {
 public:
  // Fails when the files cannot be read or do not make a usable context; the message
  // names the file.
  static Result<std::unique_ptr<TlsServerContext>> Create(TlsServerConfig config);

  // The context for a new connection; connections keep the context they started with.
  std::shared_ptr<boost::asio::ssl::context> Current();

 private:
  explicit TlsServerContext(TlsServerConfig config) : config_(std::move(config)) {}

  const TlsServerConfig config_;
  std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> context_;  // guarded by mu_
  std::string built_from_;                              // files' fingerprint; mu_
  std::string failed_for_;  // fingerprint whose rebuild failed (not retried); mu_
};

// Builds an OpenSSL server context from `config` (no caching); used by Create() and by
// `andon check web-config`.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsServerContext(
    const TlsServerConfig& config);

}  // namespace andon::web
