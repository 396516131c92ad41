#include "web/tls_server_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include "common/logger.h"
#include "common/tls_client_context.h"

namespace andon::web {
namespace {

namespace ssl = boost::asio::ssl;

// What changes when a file is replaced or rewritten.
std::string Fingerprint(const TlsServerConfig& c) {
  std::string out;
  for (const std::string* path : {&c.cert_file, &c.key_file, &c.client_ca_file}) {
    struct stat st {};
    if (path->empty() || ::stat(path->c_str(), &st) != 0) {
      out += "-;";
      continue;
    }
    out += std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ";";
  }
  return out;
}

// Accepts any client certificate, as Go's RequestClientCert and RequireAnyClientCert do.
bool AcceptAnyCertificate(bool, ssl::verify_context&) { return true; }

}  // namespace

Result<std::shared_ptr<ssl::context>> MakeTlsServerContext(const TlsServerConfig& c) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, c.min_version);
  SSL_CTX_set_max_proto_version(native, c.max_version);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                   ssl::context::single_dh_use);
  if (c.prefer_server_cipher_suites) SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (!c.cipher_list.empty() && SSL_CTX_set_cipher_list(native, c.cipher_list.c_str()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("tls_server_config: no usable cipher in cipher_suites");
  }
  if (!c.groups_list.empty() && SSL_CTX_set1_groups_list(native, c.groups_list.c_str()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("tls_server_config: unusable curve_preferences");
  }
  boost::system::error_code ec;
  if (!c.cert_file.empty()) {
    ctx->use_certificate_chain_file(c.cert_file, ec);
  } else {
    ctx->use_certificate_chain(boost::asio::buffer(c.cert), ec);
  }
  if (ec) {
    return Status::InvalidArgument(
        "failed to load server certificate " +
        (c.cert_file.empty() ? std::string("(inline cert)") : c.cert_file) + ": " +
        OpenSslReason(ec));
  }
  if (!c.key_file.empty()) {
    ctx->use_private_key_file(c.key_file, ssl::context::pem, ec);
  } else {
    ctx->use_private_key(boost::asio::buffer(c.key.Reveal()), ssl::context::pem, ec);
  }
  if (ec) {
    return Status::InvalidArgument("failed to load server key " +
                                   (c.key_file.empty() ? std::string("(inline key)") : c.key_file) +
                                   ": " + OpenSslReason(ec));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("server key " + c.key_file + " does not match certificate " +
                                   c.cert_file);
  }
  if (!c.client_ca_file.empty() || !c.client_ca.empty()) {
    std::string name = c.client_ca_file.empty() ? "(inline client_ca)" : c.client_ca_file;
    if (!c.client_ca_file.empty()) {
      ctx->load_verify_file(c.client_ca_file, ec);
    } else {
      ctx->add_certificate_authority(boost::asio::buffer(c.client_ca), ec);
    }
    if (ec) {
      return Status::InvalidArgument("failed to load client CA " + name + ": " + OpenSslReason(ec));
    }
    if (!c.client_ca_file.empty()) {
      // The CA names sent in the CertificateRequest, so clients pick a matching certificate.
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(c.client_ca_file.c_str());
      if (names != nullptr) SSL_CTX_set_client_CA_list(native, names);
      ERR_clear_error();
    }
  }
  switch (c.client_auth_type) {
    case ClientAuthType::kNoClientCert:
      ctx->set_verify_mode(ssl::verify_none);
      break;
    case ClientAuthType::kRequestClientCert:
      ctx->set_verify_mode(ssl::verify_peer);
      ctx->set_verify_callback(AcceptAnyCertificate);
      break;
    case ClientAuthType::kRequireAnyClientCert:
      ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      ctx->set_verify_callback(AcceptAnyCertificate);
      break;
    case ClientAuthType::kVerifyClientCertIfGiven:
      ctx->set_verify_mode(ssl::verify_peer);
      break;
    case ClientAuthType::kRequireAndVerifyClientCert:
      ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      break;
  }
  static constexpr unsigned char kSessionContext[] = "andon";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  return ctx;
}

Result<std::unique_ptr<TlsServerContext>> TlsServerContext::Create(TlsServerConfig config) {
  std::unique_ptr<TlsServerContext> out(new TlsServerContext(std::move(config)));
  out->built_from_ = Fingerprint(out->config_);
  auto ctx = MakeTlsServerContext(out->config_);
  if (!ctx.ok()) return ctx.status();
  out->context_ = std::move(ctx).value();
  return out;
}

std::shared_ptr<boost::asio::ssl::context> TlsServerContext::Current() {
  std::string now = Fingerprint(config_);
  std::lock_guard lock(mu_);
  if (now == built_from_ || now == failed_for_) return context_;
  auto ctx = MakeTlsServerContext(config_);
  if (!ctx.ok()) {
    failed_for_ = now;
    LogError("web", "reloading the TLS certificate failed, keeping the previous one",
             {{"err", ctx.status().message()}});
    return context_;
  }
  context_ = std::move(ctx).value();
  built_from_ = now;
  failed_for_.clear();
  LogInfo("web", "reloaded the TLS certificate", {{"cert_file", config_.cert_file}});
  return context_;
}

}  // namespace andon::web
