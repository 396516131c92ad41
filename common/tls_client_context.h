// common/tls_client_context.h
//
// Builds the OpenSSL client context for an outgoing HTTPS connection (scrape targets, the
// Kubernetes API) from a `tls_config` section: CA bundle (system roots when none), client
// certificate and key, minimum version, and insecure_skip_verify. Hostname checking uses
// `server_name` when set, else the host being connected to (see SetTlsHostname).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <memory>
#include <string>

#include "common/config.h"
#include "common/status.h"

namespace andon {

// OpenSSL's reason for a failed context call (the first queued error, else ec's message);
// clears OpenSSL's error queue. Also used by the server side (web/tls_server_context.h).
std::string OpenSslReason(const boost::system::error_code& ec);

// Errors name the file that could not be loaded and OpenSSL's reason.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsClientContext(
    const config::TlsConfig& tls);

// Sets SNI and the name the peer certificate must match on a stream before its handshake:
// tls.server_name if set, else `host`. With insecure_skip_verify nothing is checked.
Status SetTlsHostname(boost::asio::ssl::stream<boost::beast::tcp_stream>& stream,
                      const config::TlsConfig& tls, const std::string& host);

}  // namespace andon
