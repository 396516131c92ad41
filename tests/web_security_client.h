// tests/web_security_client.h
//
// The client side of tests against a server with a web config (web/web_config.h): one GET
// over plain HTTP or HTTPS (server verified as "localhost", optional client certificate)
// that returns the response headers too, a Basic Authorization header, and a fast bcrypt
// hash to put in basic_auth_users.
#pragma once

#include <crypt.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <map>
#include <optional>
#include <string>

#include "common/http_authorization.h"

namespace andon::testing {

// What a client presents and trusts.
struct ClientTls {
  std::string ca_file;
  std::string cert_file;  // optional client certificate
  std::string key_file;
};

struct WebResponse {
  int status = 0;  // 0: the connection, the handshake or the exchange failed
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string error;
};

// One GET over plain HTTP (tls unset) or HTTPS, verifying the server as "localhost".
inline WebResponse WebGet(uint16_t port, const std::string& target,
                          const std::optional<ClientTls>& tls,
                          const std::string& authorization = "") {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  namespace http = beast::http;
  WebResponse out;
  try {
    asio::io_context ioc;
    http::request<http::string_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "localhost");
    if (!authorization.empty()) req.set(http::field::authorization, authorization);
    http::response<http::string_body> res;
    beast::flat_buffer buf;
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    if (tls) {
      asio::ssl::context ctx(asio::ssl::context::tls_client);
      ctx.load_verify_file(tls->ca_file);
      ctx.set_verify_mode(asio::ssl::verify_peer);
      ctx.set_verify_callback(asio::ssl::host_name_verification("localhost"));
      if (!tls->cert_file.empty()) {
        ctx.use_certificate_chain_file(tls->cert_file);
        ctx.use_private_key_file(tls->key_file, asio::ssl::context::pem);
      }
      beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
      beast::get_lowest_layer(stream).connect(ep);
      SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
      stream.handshake(asio::ssl::stream_base::client);
      http::write(stream, req);
      http::read(stream, buf, res);
    } else {
      beast::tcp_stream stream(ioc);
      stream.expires_after(std::chrono::seconds(10));
      stream.connect(ep);
      http::write(stream, req);
      http::read(stream, buf, res);
    }
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    for (const auto& field : res) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      out.headers[name] = std::string(field.value());
    }
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

inline std::string BasicAuthorization(const std::string& user, const std::string& password) {
  return "Basic " + Base64(user + ":" + password);
}

// A bcrypt hash at cost 4 (fast), "$2y$" as htpasswd writes it.
inline std::string BcryptHash(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  crypt_gensalt_rn("$2y$", 4, nullptr, 0, salt, sizeof salt);
  crypt_data data{};
  return crypt_r(password.c_str(), salt, &data);
}

}  // namespace andon::testing
