#include "web/http_server.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "common/logger.h"
#include "web/basic_auth.h"
#include "web/query_json.h"
#include "web/tls_server_context.h"

namespace andon::web {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string UrlDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

void ParseForm(std::string_view s, std::multimap<std::string, std::string>& out) {
  while (!s.empty()) {
    size_t amp = s.find('&');
    std::string_view pair = s.substr(0, amp);
    s = amp == std::string_view::npos ? std::string_view() : s.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key = UrlDecode(pair.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? "" : UrlDecode(pair.substr(eq + 1), true);
    out.emplace(std::move(key), std::move(value));
  }
}

}  // namespace

std::string HttpRequest::Param(const std::string& name, const std::string& fallback) const {
  auto it = params.find(name);
  return it == params.end() ? fallback : it->second;
}

std::vector<std::string> HttpRequest::Params(const std::string& name) const {
  std::vector<std::string> out;
  auto [lo, hi] = params.equal_range(name);
  for (auto it = lo; it != hi; ++it) out.push_back(it->second);
  return out;
}

std::string_view HttpRefusalName(HttpRefusal refusal) {
  switch (refusal) {
    case HttpRefusal::kBodyTooLarge:
      return "body_too_large";
    case HttpRefusal::kHeaderTooLarge:
      return "header_too_large";
    case HttpRefusal::kTooManyConnections:
      return "too_many_connections";
    case HttpRefusal::kMalformed:
      return "malformed";
    case HttpRefusal::kUnauthorized:
      return "unauthorized";
  }
  return "unknown";
}

void SetJsonError(HttpResponse& res, int status, std::string_view error_type,
                  std::string_view message) {
  res.status = status;
  res.content_type = "application/json";
  // Prometheus's field order and Go's string escaping, byte for byte.
  res.body = R"({"status":"error","errorType":)";
  AppendJsonString(res.body, error_type);
  res.body += R"(,"error":)";
  AppendJsonString(res.body, message);
  res.body += '}';
}

Result<std::pair<std::string, uint16_t>> SplitListenAddress(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return Status::InvalidArgument("listen address \"" + address + "\": missing port");
  }
  std::string host = address.substr(0, colon);
  std::string port_text = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  if (!port_text.empty() && port_text.size() <= 5 &&
      std::all_of(port_text.begin(), port_text.end(),
                  [](char c) { return c >= '0' && c <= '9'; })) {
    port = std::stoi(port_text);
  }
  if (port < 0 || port > 65535) {
    return Status::InvalidArgument("listen address \"" + address + "\": invalid port");
  }
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  return std::make_pair(host, static_cast<uint16_t>(port));
}

// Impl owns the io_context, its threads, the acceptor, the set of live connections and
// the web config's TLS context and authenticator.
class HttpServer::Impl {
 public:
  class SessionBase {
   public:
    virtual ~SessionBase() = default;
    virtual void CloseIfIdle() = 0;
  };
  template <class Stream>
  class Session;

  Impl(HttpServer* server, const HttpServerOptions& options)
      : server_(server), options_(options), acceptor_(asio::make_strand(ioc_)) {}

  Status ApplyWebConfig() {
    const WebConfig* wc = options_.web_config.get();
    if (wc == nullptr) return Status::Ok();
    if (wc->tls) {
      auto tls = TlsServerContext::Create(*wc->tls);
      if (!tls.ok()) return tls.status();
      tls_ = std::move(tls).value();
    }
    if (!wc->basic_auth_users.empty()) {
      auth_ = std::make_unique<BasicAuthenticator>(wc->basic_auth_users);
    }
    return Status::Ok();
  }

  Status Listen(const std::string& host, uint16_t port) {
    beast::error_code ec;
    auto addr = asio::ip::make_address(host, ec);
    if (ec) return Status::InvalidArgument("listen address \"" + host + "\": " + ec.message());
    tcp::endpoint ep(addr, port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Unavailable("listen on " + host + ":" + std::to_string(port) + ": " +
                                 ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    return Status::Ok();
  }

  void Run(int threads, int handler_threads) {
    if (handler_threads > 0) pool_.emplace(static_cast<size_t>(handler_threads));
    Accept();
    for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { ioc_.run(); });
  }

  void Shutdown() {
    stopping_ = true;
    asio::post(acceptor_.get_executor(), [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
    CloseIdleSessions();
    auto deadline = std::chrono::steady_clock::now() + options_.shutdown_grace;
    while (live_sessions_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      CloseIdleSessions();
    }
    work_.reset();
    if (live_sessions_.load() > 0) ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    // Handlers past the grace period still finish; their responses are never written.
    if (pool_) {
      pool_->join();
      pool_.reset();
    }
  }

  uint16_t port() const { return port_; }
  bool stopping() const { return stopping_; }
  void Refused(HttpRefusal refusal) const {
    if (server_->refusal_observer_) server_->refusal_observer_(refusal);
  }

 private:
  void Accept();
  void Register(const std::shared_ptr<SessionBase>& s);
  void Unregister(SessionBase* s);
  void CloseIdleSessions();

  HttpServer* server_;
  HttpServerOptions options_;
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> live_sessions_{0};
  std::atomic<int> serving_{0};   // sessions counted against max_connections
  std::atomic<int> refusing_{0};  // sessions past the limit, answering 503
  uint16_t port_ = 0;
  std::mutex sessions_mu_;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions_;
  std::unique_ptr<TlsServerContext> tls_;     // set when the web config has TLS
  std::unique_ptr<BasicAuthenticator> auth_;  // set when it has basic_auth_users
  // Runs HandlerThread::kPool handlers. Last, so destroyed first: a handler it still holds
  // may own a session, whose destructor uses the members above.
  std::optional<asio::thread_pool> pool_;
};

// One connection: (TLS handshake,) read a request (bounded), authenticate, dispatch, write,
// repeat while keep-alive. Stream is beast::tcp_stream or TlsStream.
template <class Stream>
class HttpServer::Impl::Session : public SessionBase,
                                  public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  // A `refuse` session reads one request header, answers 503 and closes.
  Session(Impl* impl, tcp::socket socket, std::shared_ptr<ssl::context> tls_context, bool refuse)
      : impl_(impl),
        tls_context_(std::move(tls_context)),
        stream_(MakeStream(std::move(socket), tls_context_.get())),
        refuse_(refuse) {}
  ~Session() override {
    (refuse_ ? impl_->refusing_ : impl_->serving_).fetch_sub(1);
    impl_->Unregister(this);
  }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->transport().expires_after(self->impl_->options_.read_timeout);
        self->stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->Close();
          self->Read();
        });
      } else {
        self->Read();
      }
    });
  }

  // Closes the connection if it is waiting for a request; runs on the session's strand.
  void CloseIfIdle() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (!self->busy_) {
        beast::error_code ec;
        self->transport().socket().shutdown(tcp::socket::shutdown_both, ec);
        self->transport().socket().close(ec);
      }
    });
  }

 private:
  void Read() {
    busy_ = false;
    parser_.emplace();
    parser_->header_limit(impl_->options_.max_header_bytes);
    parser_->body_limit(impl_->options_.max_body_bytes);
    buffer_.consume(buffer_.size());
    transport().expires_after(impl_->options_.read_timeout);
    if (impl_->stopping()) return Close();
    if (refuse_) {
      transport().expires_after(std::min<std::chrono::steady_clock::duration>(
          impl_->options_.read_timeout, std::chrono::seconds(5)));
      http::async_read_header(stream_, buffer_, *parser_,
                              [self = this->shared_from_this()](beast::error_code ec, size_t) {
                                if (ec) return self->Close();
                                self->RefuseConnection();
                              });
      return;
    }
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    busy_ = true;
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset) {
      return Close();
    }
    if (ec) {
      HttpResponse res;
      if (ec == http::error::body_limit) {
        impl_->Refused(HttpRefusal::kBodyTooLarge);
        SetJsonError(res, 413, "bad_data",
                     "request body exceeds the limit of " +
                         std::to_string(impl_->options_.max_body_bytes) + " bytes");
      } else if (ec == http::error::header_limit) {
        impl_->Refused(HttpRefusal::kHeaderTooLarge);
        SetJsonError(res, 431, "bad_data",
                     "request header exceeds the limit of " +
                         std::to_string(impl_->options_.max_header_bytes) + " bytes");
      } else {
        impl_->Refused(HttpRefusal::kMalformed);
        SetJsonError(res, 400, "bad_data", "malformed HTTP request: " + ec.message());
      }
      return Write(std::move(res), false, 11, "other", std::chrono::steady_clock::now());
    }
    auto started = std::chrono::steady_clock::now();
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    std::string_view target(msg.target().data(), msg.target().size());
    size_t q = target.find('?');
    req.path = UrlDecode(target.substr(0, q), false);
    for (const auto& field : msg) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      req.headers[name] = std::string(field.value());
    }
    req.body = std::move(msg.body());
    auto ct = req.headers.find("content-type");
    if (req.method == "POST" && ct != req.headers.end() &&
        ct->second.rfind("application/x-www-form-urlencoded", 0) == 0) {
      ParseForm(req.body, req.params);
    }
    // After the form, as Go's Request.Form: a form value wins over the URL's.
    if (q != std::string_view::npos) ParseForm(target.substr(q + 1), req.params);
    HttpResponse res;
    std::string route_name = "other";
    const Route* route = impl_->server_->Find(req, res, route_name);
    const bool keep_alive = msg.keep_alive() && !impl_->stopping();
    const unsigned version = msg.version();
    // With basic auth every request goes to the pool: a bcrypt check of credentials not yet
    // cached takes tens of milliseconds, which must not stall the io threads.
    const bool on_pool =
        impl_->pool_ &&
        (impl_->auth_ || (route != nullptr && route->thread == HandlerThread::kPool));
    if (!on_pool) {
      Serve(route, req, res, route_name);
      return Write(std::move(res), keep_alive, version, route_name, started);
    }
    auto out = std::make_shared<HttpResponse>(std::move(res));
    asio::post(*impl_->pool_, [self = this->shared_from_this(), route, req = std::move(req), out,
                               keep_alive, version, route_name = std::move(route_name),
                               started]() mutable {
      self->Serve(route, req, *out, route_name);
      asio::post(self->stream_.get_executor(),
                 [self, out, keep_alive, version, route_name = std::move(route_name), started] {
                   self->Write(std::move(*out), keep_alive, version, route_name, started);
                 });
    });
  }

  // Authenticates, then runs the route's handler; a null route leaves res (404 or 405) as is.
  void Serve(const Route* route, HttpRequest& req, HttpResponse& res, std::string& route_name) {
    if (impl_->auth_ && !impl_->auth_->Allows(req.headers["authorization"])) {
      // One answer for every failure: nothing tells which part was wrong (or which path exists).
      impl_->Refused(HttpRefusal::kUnauthorized);
      res = HttpResponse();
      res.status = 401;
      res.body = "Unauthorized\n";
      res.headers.emplace_back("WWW-Authenticate", "Basic");
      route_name = "other";
      return;
    }
    if (route == nullptr) return;
    try {
      route->handler(req, res);
    } catch (const std::exception& e) {
      LogError("web", "handler failed", {{"path", req.path}, {"err", e.what()}});
      res = HttpResponse();
      SetJsonError(res, 500, "internal", e.what());
    }
  }

  void Write(HttpResponse res, bool keep_alive, unsigned version, std::string route_name,
             std::chrono::steady_clock::time_point started) {
    auto out = std::make_shared<http::response<http::string_body>>();
    out->version(version == 10 ? 10 : 11);
    out->result(static_cast<unsigned>(res.status));
    out->set(http::field::server, "andon");
    out->set(http::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) out->set(k, v);
    if (impl_->options_.web_config) {
      for (auto& [k, v] : impl_->options_.web_config->headers) out->set(k, v);
    }
    out->body() = std::move(res.body);
    out->keep_alive(keep_alive);
    out->prepare_payload();
    // Observed before the write so a client that has its response also sees it counted.
    if (impl_->server_->observer_) {
      double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      impl_->server_->observer_(route_name, res.status, secs);
    }
    transport().expires_after(impl_->options_.write_timeout);
    http::async_write(
        stream_, *out,
        [self = this->shared_from_this(), out, keep_alive](beast::error_code ec, size_t) {
          if (ec || !keep_alive) return self->Close();
          self->Read();
        });
  }

  // The answer of a connection past --web.max-connections (counted when accepted).
  void RefuseConnection() {
    busy_ = true;
    HttpResponse res;
    SetJsonError(res, 503, "unavailable",
                 "too many open connections (limit " +
                     std::to_string(impl_->options_.max_connections) +
                     ", --web.max-connections); try again later");
    res.headers.emplace_back("Retry-After", "1");
    Write(std::move(res), false, parser_->get().version(), "other",
          std::chrono::steady_clock::now());
  }

  void Close() {
    beast::error_code ec;
    transport().socket().shutdown(tcp::socket::shutdown_send, ec);
    transport().socket().close(ec);
  }

  static Stream MakeStream(tcp::socket socket, ssl::context* tls_context) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls_context);
    } else {
      return Stream(std::move(socket));
    }
  }
  beast::tcp_stream& transport() { return beast::get_lowest_layer(stream_); }

  Impl* impl_;
  std::shared_ptr<ssl::context> tls_context_;  // outlives stream_, which refers to it
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool busy_ = false;
  const bool refuse_;
};

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
    if (ec) {
      if (!stopping_ && ec != asio::error::operation_aborted) Accept();
      return;
    }
    if (stopping_) return;
    // Only this strand adds sessions, so the counts cannot grow between check and add.
    bool refuse = false;
    if (options_.max_connections > 0 && serving_.load() >= options_.max_connections) {
      Refused(HttpRefusal::kTooManyConnections);
      if (refusing_.load() >= kMaxRefusingConnections) {
        beast::error_code ignored;
        s.close(ignored);
        return Accept();
      }
      refuse = true;
    }
    (refuse ? refusing_ : serving_).fetch_add(1);
    if (tls_) {
      auto session =
          std::make_shared<Session<TlsStream>>(this, std::move(s), tls_->Current(), refuse);
      Register(session);
      session->Start();
    } else {
      auto session =
          std::make_shared<Session<beast::tcp_stream>>(this, std::move(s), nullptr, refuse);
      Register(session);
      session->Start();
    }
    Accept();
  });
}

void HttpServer::Impl::Register(const std::shared_ptr<SessionBase>& s) {
  live_sessions_.fetch_add(1);
  std::lock_guard lock(sessions_mu_);
  sessions_[s.get()] = s;
}

void HttpServer::Impl::Unregister(SessionBase* s) {
  {
    std::lock_guard lock(sessions_mu_);
    sessions_.erase(s);
  }
  live_sessions_.fetch_sub(1);
}

void HttpServer::Impl::CloseIdleSessions() {
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(sessions_mu_);
    for (auto& [ptr, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->CloseIfIdle();
}

HttpServer::HttpServer(HttpServerOptions options) : options_(std::move(options)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(const std::string& path, std::vector<std::string> methods,
                        HttpHandler handler, HandlerThread thread) {
  Route route{std::move(methods), std::move(handler), thread};
  if (!path.empty() && path.back() == '/' && path != "/") {
    prefix_[path] = std::move(route);
  } else {
    exact_[path] = std::move(route);
  }
}

const HttpServer::Route* HttpServer::Find(const HttpRequest& req, HttpResponse& res,
                                          std::string& route_name) const {
  const Route* route = nullptr;
  auto it = exact_.find(req.path);
  if (it != exact_.end()) {
    route = &it->second;
    route_name = it->first;
  } else {
    for (auto p = prefix_.rbegin(); p != prefix_.rend(); ++p) {
      if (req.path.rfind(p->first, 0) == 0) {
        route = &p->second;
        route_name = p->first;
        break;
      }
    }
  }
  if (route == nullptr) {
    SetJsonError(res, 404, "not_found", "path " + req.path + " not found");
    return nullptr;
  }
  const auto& m = route->methods;
  if (std::find(m.begin(), m.end(), req.method) == m.end()) {
    std::string allow;
    for (const auto& x : m) allow += (allow.empty() ? "" : ", ") + x;
    SetJsonError(res, 405, "method_not_allowed",
                 "method " + req.method + " not allowed for " + req.path);
    res.headers.emplace_back("Allow", allow);
    return nullptr;
  }
  return route;
}

Status HttpServer::Start() {
  auto addr = SplitListenAddress(options_.listen_address);
  if (!addr.ok()) return addr.status();
  impl_ = std::make_unique<Impl>(this, options_);
  Status s = impl_->ApplyWebConfig();
  if (s.ok()) s = impl_->Listen(addr->first, addr->second);
  if (!s.ok()) {
    impl_.reset();
    return s;
  }
  port_ = impl_->port();
  impl_->Run(options_.threads, options_.handler_threads);
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!impl_) return;
  impl_->Shutdown();
  impl_.reset();
}

}  // namespace andon::web
