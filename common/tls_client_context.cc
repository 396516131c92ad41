#include "common/tls_client_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ssl/host_name_verification.hpp>

namespace andon {
namespace {

namespace ssl = boost::asio::ssl;

int MinVersion(const std::string& v) {
  if (v == "TLS10") return TLS1_VERSION;
  if (v == "TLS11") return TLS1_1_VERSION;
  if (v == "TLS13") return TLS1_3_VERSION;
  return TLS1_2_VERSION;  // Prometheus's default minimum
}

}  // namespace

std::string OpenSslReason(const boost::system::error_code& ec) {
  std::string reason = ec.message();
  unsigned long e = ERR_get_error();  // NOLINT(google-runtime-int): OpenSSL's type
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    reason = buf;
  }
  ERR_clear_error();
  return reason;
}

Result<std::shared_ptr<ssl::context>> MakeTlsClientContext(const config::TlsConfig& tls) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), MinVersion(tls.min_version));
  boost::system::error_code ec;
  if (tls.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) return Status::IOError("loading the system CA certificates: " + OpenSslReason(ec));
  } else {
    ctx->load_verify_file(tls.ca_file, ec);
    if (ec) {
      return Status::InvalidArgument("unable to load specified CA cert " + tls.ca_file + ": " +
                                     OpenSslReason(ec));
    }
  }
  if (!tls.cert_file.empty() || !tls.key_file.empty()) {
    if (tls.cert_file.empty() || tls.key_file.empty()) {
      return Status::InvalidArgument("tls_config needs both cert_file and key_file");
    }
    ctx->use_certificate_chain_file(tls.cert_file, ec);
    if (ec) {
      return Status::InvalidArgument("unable to use specified client cert (" + tls.cert_file +
                                     "): " + OpenSslReason(ec));
    }
    ctx->use_private_key_file(tls.key_file, ssl::context::pem, ec);
    if (ec) {
      return Status::InvalidArgument("unable to use specified client key (" + tls.key_file +
                                     "): " + OpenSslReason(ec));
    }
  }
  ctx->set_verify_mode(tls.insecure_skip_verify ? ssl::verify_none : ssl::verify_peer);
  return ctx;
}

Status SetTlsHostname(ssl::stream<boost::beast::tcp_stream>& stream, const config::TlsConfig& tls,
                      const std::string& host) {
  const std::string& name = tls.server_name.empty() ? host : tls.server_name;
  // SNI is for names only; an IP literal is still checked against the certificate's SANs.
  if (!SSL_set_tlsext_host_name(stream.native_handle(), name.c_str())) {
    ERR_clear_error();
  }
  if (tls.insecure_skip_verify) return Status::Ok();
  boost::system::error_code ec;
  stream.set_verify_callback(ssl::host_name_verification(name), ec);
  if (ec)
    return Status::InvalidArgument("cannot verify TLS host name " + name + ": " + ec.message());
  return Status::Ok();
}

}  // namespace andon
