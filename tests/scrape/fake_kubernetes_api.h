// tests/scrape/fake_kubernetes_api.h
//
// A Kubernetes API server for tests: HTTPS with the test certificates on 127.0.0.1, one thread
// per connection (Boost.Beast, synchronous). GET <path> answers the list document the test set
// for that path (an empty list by default); GET <path>?watch=true holds the connection open as
// a chunked event stream fed by PushEvent(), one JSON object per line, until the test drops
// it or the server stops. Every request is recorded (path, query, Authorization header); with
// RequireToken() requests without that bearer token get 401. FailNext() answers the next
// list or watch requests on a path with an error status instead.
#pragma once

#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_certificates.h"

namespace andon::testing {

class FakeKubernetesApi {
 public:
  struct Request {
    std::string path;
    std::string query;
    std::string authorization;
    bool watch() const { return query.find("watch=true") != std::string::npos; }
  };

  explicit FakeKubernetesApi(const TestCertificates& certs)
      : ctx_(boost::asio::ssl::context::tls_server),
        acceptor_(ioc_,
                  boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    ctx_.use_certificate_chain_file(certs.cert_file);
    ctx_.use_private_key_file(certs.key_file, boost::asio::ssl::context::pem);
    port_ = acceptor_.local_endpoint().port();
    Accept();
    io_thread_ = std::thread([this] { ioc_.run(); });
  }
  ~FakeKubernetesApi() { Stop(); }

  uint16_t port() const { return port_; }

  void RequireToken(std::string token) {
    std::lock_guard lock(mu_);
    token_ = std::move(token);
  }
  void SetList(const std::string& path, std::string body) {
    std::lock_guard lock(mu_);
    lists_[path] = std::move(body);
  }
  void FailNext(const std::string& path, bool watch, int status, std::string body, int times = 1) {
    std::lock_guard lock(mu_);
    for (int i = 0; i < times; ++i) failures_[{path, watch}].push_back({status, body});
  }
  void PushEvent(const std::string& path, const std::string& event) {
    std::lock_guard lock(mu_);
    events_[path].push_back(event);
    cv_.notify_all();
  }
  // Closes the watch connection open on path, without a TLS close_notify or final chunk.
  void DropWatch(const std::string& path) {
    std::lock_guard lock(mu_);
    ++drops_[path];
    cv_.notify_all();
  }
  // Waits until n watch requests on path have arrived.
  bool WaitForWatches(const std::string& path, size_t n,
                      std::chrono::seconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return CountLocked(path, true) >= n; });
  }
  bool WaitForLists(const std::string& path, size_t n,
                    std::chrono::seconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return CountLocked(path, false) >= n; });
  }
  std::vector<Request> Requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // The queries of the requests on path, in order, "W " before watches, "L " before lists.
  std::vector<std::string> Queries(const std::string& path) const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const Request& r : requests_) {
      if (r.path == path) out.push_back((r.watch() ? "W " : "L ") + r.query);
    }
    return out;
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
      cv_.notify_all();
      for (auto* s : sockets_) ::shutdown(s->native_handle(), SHUT_RDWR);
    }
    boost::asio::post(ioc_, [this] { acceptor_.close(); });
    io_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

 private:
  struct Failure {
    int status;
    std::string body;
  };

  size_t CountLocked(const std::string& path, bool watch) const {
    size_t n = 0;
    for (const Request& r : requests_) n += r.path == path && r.watch() == watch;
    return n;
  }

  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket s) {
      if (ec) return;
      std::lock_guard lock(mu_);
      if (stopped_) return;
      auto socket = std::make_shared<boost::asio::ip::tcp::socket>(std::move(s));
      sockets_.push_back(socket.get());
      threads_.emplace_back([this, socket] {
        Serve(*socket);
        std::lock_guard l(mu_);
        std::erase(sockets_, socket.get());
      });
      Accept();
    });
  }

  void Serve(boost::asio::ip::tcp::socket& socket) {
    namespace http = boost::beast::http;
    boost::system::error_code ec;
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket&> stream(socket, ctx_);
    stream.handshake(boost::asio::ssl::stream_base::server, ec);
    if (ec) return;
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      http::read(stream, buffer, req, ec);
      if (ec) return;
      std::string target(req.target());
      size_t q = target.find('?');
      Request r{target.substr(0, q), q == std::string::npos ? "" : target.substr(q + 1),
                std::string(req[http::field::authorization])};
      std::optional<Failure> failure;
      std::string list;
      uint64_t watch_id = 0;
      uint64_t watch_drops = 0;
      bool unauthorized = false;
      {
        std::lock_guard lock(mu_);
        unauthorized = !token_.empty() && r.authorization != "Bearer " + token_;
        auto& queue = failures_[{r.path, r.watch()}];
        if (!unauthorized && !queue.empty()) {
          failure = queue.front();
          queue.pop_front();
        }
        if (r.watch() && !unauthorized && !failure) {  // registered before it is visible
          watch_id = ++latest_watch_[r.path];
          watch_drops = drops_[r.path];
        }
        requests_.push_back(r);
        cv_.notify_all();
        auto it = lists_.find(r.path);
        list =
            it != lists_.end()
                ? it->second
                : R"({"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]})";
      }
      if (unauthorized) {
        failure = Failure{401, R"({"kind":"Status","apiVersion":"v1","metadata":{},)"
                               R"("status":"Failure","message":"Unauthorized",)"
                               R"("reason":"Unauthorized","code":401})"};
      }
      if (failure || !r.watch()) {
        http::response<http::string_body> res{
            static_cast<http::status>(failure ? failure->status : 200), 11};
        res.set(http::field::content_type, "application/json");
        res.body() = failure ? failure->body : list;
        res.keep_alive(true);
        res.prepare_payload();
        http::write(stream, res, ec);
        if (ec) return;
        continue;
      }
      ServeWatch(stream, r.path, watch_id, watch_drops);
      return;
    }
  }

  void ServeWatch(boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>& stream,
                  const std::string& path, uint64_t id, uint64_t drops) {
    namespace http = boost::beast::http;
    boost::system::error_code ec;
    http::response<http::empty_body> res{http::status::ok, 11};
    res.set(http::field::content_type, "application/json");
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    http::write_header(stream, sr, ec);
    if (ec) return;
    // Only the newest watch on a path gets events: an older one belongs to a client that has
    // moved on, and is closed.
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] {
        return stopped_ || drops_[path] != drops || latest_watch_[path] != id ||
               !events_[path].empty();
      });
      if (latest_watch_[path] != id) return;
      while (!events_[path].empty()) {
        std::string line = events_[path].front() + "\n";
        events_[path].pop_front();
        lock.unlock();
        boost::asio::write(stream, http::make_chunk(boost::asio::buffer(line)), ec);
        lock.lock();
        if (ec) return;
      }
      if (drops_[path] != drops) {
        stream.next_layer().close(ec);
        return;
      }
      if (stopped_) return;
    }
  }

  boost::asio::io_context ioc_;
  boost::asio::ssl::context ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread io_thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::string token_;
  std::map<std::string, std::string> lists_;
  std::map<std::pair<std::string, bool>, std::deque<Failure>> failures_;
  std::map<std::string, std::deque<std::string>> events_;
  std::map<std::string, uint64_t> drops_;         // DropWatch() calls per path
  std::map<std::string, uint64_t> latest_watch_;  // id of the newest watch per path
  std::vector<Request> requests_;
  std::vector<boost::asio::ip::tcp::socket*> sockets_;
  std::vector<std::thread> threads_;
};

}  // namespace andon::testing
