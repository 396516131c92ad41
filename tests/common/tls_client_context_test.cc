#include "common/tls_client_context.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <thread>

#include "tests/test_certificates.h"

namespace andon {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

class TlsClientContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/andon-tls-XXXXXX";
    dir_ = mkdtemp(tmpl);
    certs_ = testing::MakeTestCertificates(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs one TLS handshake against a loopback server presenting the test certificate;
  // returns the client's handshake error ("" on success).
  std::string Handshake(const config::TlsConfig& tls, const std::string& host) {
    asio::io_context ioc;
    ssl::context server_ctx(ssl::context::tls_server);
    server_ctx.use_certificate_chain_file(certs_.cert_file);
    server_ctx.use_private_key_file(certs_.key_file, ssl::context::pem);
    tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    std::thread server([&] {
      asio::io_context sioc;
      tcp::socket socket(sioc);
      boost::system::error_code ec;
      acceptor.accept(socket, ec);
      ssl::stream<tcp::socket&> stream(socket, server_ctx);
      stream.handshake(ssl::stream_base::server, ec);  // fails when the client rejects us
    });
    std::string err;
    auto ctx = MakeTlsClientContext(tls);
    if (!ctx.ok()) {
      err = ctx.status().message();
    } else {
      ssl::stream<boost::beast::tcp_stream> stream(ioc, **ctx);
      boost::system::error_code ec;
      boost::beast::get_lowest_layer(stream).socket().connect(acceptor.local_endpoint(), ec);
      Status s = SetTlsHostname(stream, tls, host);
      if (!s.ok()) err = s.message();
      if (err.empty()) stream.handshake(ssl::stream_base::client, ec);
      if (err.empty() && ec) err = ec.message();
      boost::beast::get_lowest_layer(stream).socket().close(ec);
    }
    server.join();
    return err;
  }

  std::string dir_;
  testing::TestCertificates certs_;
};

TEST_F(TlsClientContextTest, TrustsAServerSignedByTheConfiguredCa) {
  config::TlsConfig tls;
  tls.ca_file = certs_.ca_file;
  EXPECT_EQ(Handshake(tls, "localhost"), "");
  EXPECT_EQ(Handshake(tls, "127.0.0.1"), "");
}

TEST_F(TlsClientContextTest, RejectsAServerTheSystemRootsDoNotKnow) {
  EXPECT_NE(Handshake(config::TlsConfig{}, "localhost"), "");
}

TEST_F(TlsClientContextTest, RejectsANameTheCertificateDoesNotCover) {
  config::TlsConfig tls;
  tls.ca_file = certs_.ca_file;
  tls.server_name = "api.example.com";
  EXPECT_NE(Handshake(tls, "localhost"), "");
}

TEST_F(TlsClientContextTest, InsecureSkipVerifyAcceptsAnyCertificate) {
  config::TlsConfig tls;
  tls.insecure_skip_verify = true;
  tls.server_name = "api.example.com";
  EXPECT_EQ(Handshake(tls, "localhost"), "");
}

TEST_F(TlsClientContextTest, UnreadableFilesAreErrorsNamingTheFile) {
  config::TlsConfig tls;
  tls.ca_file = dir_ + "/missing-ca.pem";
  auto ctx = MakeTlsClientContext(tls);
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.status().message().find("missing-ca.pem"), std::string::npos)
      << ctx.status().message();

  config::TlsConfig half;
  half.cert_file = certs_.cert_file;
  EXPECT_FALSE(MakeTlsClientContext(half).ok());

  config::TlsConfig wrong_key;
  wrong_key.cert_file = certs_.cert_file;
  wrong_key.key_file = certs_.ca_file;  // a certificate, not a key
  auto bad = MakeTlsClientContext(wrong_key);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ca.pem"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace andon
