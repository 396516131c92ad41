// tests/loopback_http_server.h
//
// LoopbackHttpServer: a real HTTP/1.1 (optionally TLS) server on 127.0.0.1 built on
// Boost.Beast, for scrape tests. Each connection is served by its own thread with
// blocking Beast reads and writes; a handler decides every reply, including misbehaviour:
// delays (a hanging target), raw non-HTTP bytes, closing without a reply, gzip bodies,
// extra headers (Retry-After). Every request (method, target, headers, body) is recorded.
// Stop() (and the destructor) shuts every socket down and joins every thread.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <zlib.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_certificates.h"

// Tests build replies with designated initializers (TestReply{.body = ..., .gzip = true});
// the omitted members have defaults, which -Wextra would still warn about.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace andon::testing {

struct TestRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct TestReply {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain; version=0.0.4; charset=utf-8";
  bool gzip = false;
  std::chrono::milliseconds delay{0};  // before replying (interrupted by Stop())
  std::string raw;                     // written as is instead of an HTTP response
  bool close_without_reply = false;
  bool close_after = false;                                  // "Connection: close" and close
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
};

inline std::string GzipForTest(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

class LoopbackHttpServer {
 public:
  using Handler = std::function<TestReply(const TestRequest&)>;

  // With `certs`, serves HTTPS with certs->cert_file / key_file; with
  // `require_client_cert` as well, the handshake fails unless the client presents a
  // certificate signed by certs->ca_file.
  explicit LoopbackHttpServer(Handler handler, const TestCertificates* certs = nullptr,
                              bool require_client_cert = false)
      : handler_(std::move(handler)),
        acceptor_(ioc_,
                  boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    if (certs != nullptr) {
      tls_.emplace(boost::asio::ssl::context::tls_server);
      tls_->use_certificate_chain_file(certs->cert_file);
      tls_->use_private_key_file(certs->key_file, boost::asio::ssl::context::pem);
      if (require_client_cert) {
        tls_->load_verify_file(certs->ca_file);
        tls_->set_verify_mode(boost::asio::ssl::verify_peer |
                              boost::asio::ssl::verify_fail_if_no_peer_cert);
      }
    }
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~LoopbackHttpServer() { Stop(); }

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string Url(const std::string& path = "/metrics") const {
    return std::string(tls_ ? "https" : "http") + "://" + address() + path;
  }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }
  TestRequest last_request() const {
    std::lock_guard lock(mu_);
    return last_;
  }
  // Every request received so far, in arrival order.
  std::vector<TestRequest> received() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  // Closes every open connection (idle keep-alive ones included) but keeps accepting.
  void DropConnections() {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    cv_.notify_all();
    accept_thread_.join();
    for (auto& t : conn_threads_) t.join();
  }

 private:
  void AcceptLoop() {
    int lfd = acceptor_.native_handle();
    for (;;) {
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
      }
      pollfd p{lfd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      boost::system::error_code ec;
      boost::asio::ip::tcp::socket sock(ioc_);
      acceptor_.accept(sock, ec);
      if (ec) continue;
      std::lock_guard lock(mu_);
      if (stopping_) return;
      ++connections_;
      open_fds_.push_back(sock.native_handle());
      conn_threads_.emplace_back(
          [this, s = std::make_shared<boost::asio::ip::tcp::socket>(std::move(sock))] {
            Serve(*s);
            std::lock_guard lock(mu_);
            std::erase(open_fds_, s->native_handle());
          });
    }
  }

  bool Sleep(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, d, [this] { return stopping_; });
  }

  void Serve(boost::asio::ip::tcp::socket& sock) {
    namespace http = boost::beast::http;
    boost::system::error_code ec;
    if (tls_) {
      boost::asio::ssl::stream<boost::asio::ip::tcp::socket&> s(sock, *tls_);
      s.handshake(boost::asio::ssl::stream_base::server, ec);
      if (ec) return;
      ServeStream(s);
      s.shutdown(ec);
    } else {
      ServeStream(sock);
    }
    sock.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  }

  template <typename Stream>
  void ServeStream(Stream& stream) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buf;
    for (;;) {
      boost::system::error_code ec;
      http::request<http::string_body> req;
      http::read(stream, buf, req, ec);
      if (ec) return;
      TestRequest tr;
      tr.method = std::string(req.method_string());
      tr.target = std::string(req.target());
      tr.body = req.body();
      for (const auto& f : req) {
        std::string name(f.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        tr.headers[name] = std::string(f.value());
      }
      {
        std::lock_guard lock(mu_);
        last_ = tr;
        received_.push_back(tr);
      }
      ++requests_;
      TestReply reply = handler_(tr);
      if (reply.delay.count() > 0 && !Sleep(reply.delay)) return;
      if (reply.close_without_reply) return;
      if (!reply.raw.empty()) {
        boost::asio::write(stream, boost::asio::buffer(reply.raw), ec);
        return;
      }
      http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
      res.set(http::field::content_type, reply.content_type);
      for (const auto& [name, value] : reply.headers) res.set(name, value);
      if (reply.gzip) {
        res.set(http::field::content_encoding, "gzip");
        res.body() = GzipForTest(reply.body);
      } else {
        res.body() = reply.body;
      }
      res.keep_alive(!reply.close_after);
      res.prepare_payload();
      http::write(stream, res, ec);
      if (ec || reply.close_after) return;
    }
  }

  Handler handler_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::optional<boost::asio::ssl::context> tls_;
  uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  std::thread accept_thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                  // guarded by mu_
  std::vector<int> open_fds_;              // guarded by mu_
  std::vector<std::thread> conn_threads_;  // guarded by mu_ until Stop() joins
  TestRequest last_;                       // guarded by mu_
  std::vector<TestRequest> received_;      // guarded by mu_
};

}  // namespace andon::testing
