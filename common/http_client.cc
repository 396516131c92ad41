#include "common/http_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "common/http_authorization.h"
#include "common/tls_client_context.h"

namespace andon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

std::string LowerFirst(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

// Go's spelling of the method in url.Error: "Post", "Get".
std::string GoMethod(std::string_view method) {
  std::string out(method);
  for (size_t i = 1; i < out.size(); ++i) {
    out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
  }
  return out;
}

struct ParsedUrl {
  bool tls = false;
  std::string host_port;  // as written, for the Host header
  std::string host;       // without brackets
  std::string port;
  std::string target;  // path and query
  std::string origin;  // scheme://host:port, the key of idle connections
};

Result<ParsedUrl> ParseUrl(const std::string& url, bool redact) {
  std::string shown = redact ? "<redacted>" : url;
  ParsedUrl u;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return Status::InvalidArgument("invalid URL " + shown);
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("unsupported protocol scheme \"" + scheme + "\" in URL " +
                                   shown);
  }
  u.tls = scheme == "https";
  size_t host_begin = scheme_end + 3;
  size_t path_begin = url.find_first_of("/?", host_begin);
  u.host_port = url.substr(
      host_begin, path_begin == std::string::npos ? std::string::npos : path_begin - host_begin);
  if (size_t at = u.host_port.rfind('@'); at != std::string::npos) {
    return Status::InvalidArgument("credentials in URL " + shown + " are not supported");
  }
  u.target = path_begin == std::string::npos ? "/" : url.substr(path_begin);
  if (u.target[0] == '?') u.target.insert(0, "/");
  if (u.host_port.empty()) return Status::InvalidArgument("no host in URL " + shown);
  if (u.host_port[0] == '[') {
    size_t close = u.host_port.find(']');
    if (close == std::string::npos) return Status::InvalidArgument("invalid host in URL " + shown);
    u.host = u.host_port.substr(1, close - 1);
    u.port = close + 1 < u.host_port.size() && u.host_port[close + 1] == ':'
                 ? u.host_port.substr(close + 2)
                 : "";
  } else {
    size_t colon = u.host_port.rfind(':');
    u.host = u.host_port.substr(0, colon);
    u.port = colon == std::string::npos ? "" : u.host_port.substr(colon + 1);
  }
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  u.origin = scheme + "://" + u.host + ":" + u.port;
  return u;
}

// One TCP (and maybe TLS) connection with its read buffer.
struct Connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<ssl::stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  bool open() const { return plain.has_value() || tls.has_value(); }
  beast::tcp_stream& Lowest() { return tls ? tls->next_layer() : *plain; }
  // Aborts pending operations; the owner drops the connection when they complete.
  void CloseSocket() {
    error_code ignored;
    if (plain) plain->socket().close(ignored);
    if (tls) tls->next_layer().socket().close(ignored);
  }
};

}  // namespace

std::string_view HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, beast::string_view(name.data(), name.size()))) return v;
  }
  return {};
}

class HttpClient::Impl : public std::enable_shared_from_this<HttpClient::Impl> {
 public:
  Impl(asio::any_io_executor ex, Options options)
      : strand_(asio::make_strand(ex)), options_(std::move(options)) {}

  Status Init() {
    auto ctx = MakeTlsClientContext(options_.http.tls_config);
    if (!ctx.ok()) return ctx.status();
    tls_ctx_ = std::move(ctx).value();
    return Status::Ok();
  }

  void Do(HttpRequest request, Done done) {
    asio::post(strand_, [self = shared_from_this(), request = std::move(request),
                         done = std::move(done)]() mutable {
      self->Start(std::move(request), std::move(done));
    });
  }

  void Shutdown() {
    asio::post(strand_, [self = shared_from_this()] { self->CancelAll(); });
  }

  int connections_opened() const { return connections_opened_.load(); }

 private:
  // One request in flight.
  struct Call {
    explicit Call(const asio::any_io_executor& ex) : resolver(ex) {}
    HttpRequest request;
    Done done;
    tcp::resolver resolver;
    std::shared_ptr<Connection> conn;
    bool cancelled = false;
    std::string dialled;  // the address of the last dial, for errors
  };

  void Start(HttpRequest request, Done done) {
    auto call = std::make_shared<Call>(strand_);
    call->request = std::move(request);
    call->done = std::move(done);
    if (stopped_) {
      Finish(call, Error(*call, asio::error::operation_aborted, ""));
      return;
    }
    calls_.insert(call);
    asio::co_spawn(strand_, Run(call), [self = shared_from_this(), call](std::exception_ptr ep) {
      if (ep) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        }
        if (call->conn) call->conn->CloseSocket();
        self->Finish(call, Status::Internal(self->Prefix(*call) + what));
      }
    });
  }

  void Finish(const std::shared_ptr<Call>& call, Result<HttpResponse> result) {
    calls_.erase(call);
    if (!call->done) return;
    Done done = std::move(call->done);
    call->done = nullptr;
    done(std::move(result));
  }

  void CancelAll() {
    stopped_ = true;
    for (const auto& call : calls_) {
      call->cancelled = true;
      call->resolver.cancel();
      if (call->conn) call->conn->CloseSocket();
    }
    for (auto& [origin, conns] : idle_) {
      for (auto& c : conns) c->CloseSocket();
    }
    idle_.clear();
  }

  std::string Prefix(const Call& call) const {
    return GoMethod(call.request.method) + " \"" +
           (call.request.redact_url ? std::string("<redacted>") : call.request.url) + "\": ";
  }

  Status Error(const Call& call, const error_code& ec, std::string_view during) const {
    std::string prefix = Prefix(call);
    if (ec == beast::error::timeout)
      return Status::Unavailable(prefix + "context deadline exceeded");
    if (ec == asio::error::operation_aborted || call.cancelled) {
      return Status::Unavailable(prefix + "context canceled");
    }
    if (ec == http::error::body_limit) {
      return Status::ResourceExhausted(prefix + "response body size limit exceeded");
    }
    if (ec == asio::error::eof || ec == http::error::end_of_stream ||
        ec == http::error::partial_message || ec == ssl::error::stream_truncated ||
        ec == asio::error::connection_reset) {
      return Status::Unavailable(prefix + "EOF");
    }
    if (ec.category() == error_code(http::error::bad_version).category()) {
      return Status::Unavailable(prefix + "malformed HTTP response (" + ec.message() + ")");
    }
    if (during == "dial") {
      return Status::Unavailable(prefix + "dial tcp " + call.dialled +
                                 ": connect: " + LowerFirst(ec.message()));
    }
    return Status::Unavailable(prefix + std::string(during) + ": " + LowerFirst(ec.message()));
  }

  std::shared_ptr<Connection> TakeIdle(const std::string& origin) {
    auto it = idle_.find(origin);
    if (it == idle_.end() || it->second.empty()) return nullptr;
    auto conn = std::move(it->second.back());
    it->second.pop_back();
    return conn;
  }

  void PutIdle(const std::string& origin, std::shared_ptr<Connection> conn) {
    auto& conns = idle_[origin];
    if (stopped_ || !options_.keep_alive || conns.size() >= options_.max_idle_per_origin) {
      conn->CloseSocket();
      return;
    }
    conns.push_back(std::move(conn));
  }

  asio::awaitable<Status> Connect(std::shared_ptr<Call> call, const ParsedUrl& url,
                                  Clock::time_point deadline) {
    error_code ec;
    auto endpoints = co_await call->resolver.async_resolve(
        url.host, url.port, asio::redirect_error(asio::use_awaitable, ec));
    if (call->cancelled) co_return Error(*call, asio::error::operation_aborted, "dial");
    if (ec) {
      co_return Status::Unavailable(Prefix(*call) + "dial tcp: lookup " + url.host + ": " +
                                    LowerFirst(ec.message()));
    }
    if (Clock::now() >= deadline) co_return Error(*call, beast::error::timeout, "dial");
    connections_opened_.fetch_add(1);
    if (endpoints.begin() != endpoints.end()) {
      tcp::endpoint ep = endpoints.begin()->endpoint();
      std::string ip = ep.address().to_string();
      call->dialled =
          (ep.address().is_v6() ? "[" + ip + "]" : ip) + ":" + std::to_string(ep.port());
    } else {
      call->dialled = url.host_port;
    }
    Connection& c = *call->conn;
    if (url.tls) {
      c.tls.emplace(strand_, *tls_ctx_);
      c.tls->next_layer().expires_at(deadline);
      co_await c.tls->next_layer().async_connect(endpoints,
                                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return Error(*call, ec, "dial");
      if (Status s = SetTlsHostname(*c.tls, options_.http.tls_config, url.host); !s.ok()) {
        co_return Status::InvalidArgument(Prefix(*call) + s.message());
      }
      c.tls->next_layer().expires_at(deadline);
      co_await c.tls->async_handshake(ssl::stream_base::client,
                                      asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == beast::error::timeout || call->cancelled) co_return Error(*call, ec, "tls");
        co_return Status::Unavailable(Prefix(*call) + "tls: " + LowerFirst(ec.message()));
      }
    } else {
      c.plain.emplace(strand_);
      c.plain->expires_at(deadline);
      co_await c.plain->async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return Error(*call, ec, "dial");
    }
    co_return Status::Ok();
  }

  template <typename Stream>
  asio::awaitable<Status> Exchange(std::shared_ptr<Call> call, Stream& stream,
                                   const http::request<http::string_body>& req,
                                   Clock::time_point deadline, bool* nothing_received, bool* keep,
                                   HttpResponse* out) {
    Connection& c = *call->conn;
    error_code ec;
    c.Lowest().expires_at(deadline);
    co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Error(*call, ec, "write");
    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.body_size_limit_bytes > 0
                          ? static_cast<uint64_t>(options_.body_size_limit_bytes)
                          : std::numeric_limits<uint64_t>::max());
    if (req.method() == http::verb::head) parser.skip(true);
    c.Lowest().expires_at(deadline);
    co_await http::async_read_header(stream, c.buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Error(*call, ec, "read");
    *nothing_received = false;
    if (!parser.is_done()) {
      co_await http::async_read(stream, c.buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return Error(*call, ec, "read");
    }
    auto& res = parser.get();
    out->status = res.result_int();
    out->reason = std::string(res.reason());
    if (out->reason.empty()) out->reason = std::string(http::obsolete_reason(res.result()));
    for (const auto& f : res) out->headers.emplace_back(f.name_string(), f.value());
    out->body = std::move(res.body());
    *keep = res.keep_alive() && !res.need_eof();
    co_return Status::Ok();
  }

  asio::awaitable<void> Run(std::shared_ptr<Call> call) {
    const HttpRequest& r = call->request;
    auto deadline = Clock::now() + r.timeout;
    auto url = ParseUrl(r.url, r.redact_url);
    if (!url.ok()) {
      Finish(call, url.status());
      co_return;
    }
    http::verb verb = http::string_to_verb(r.method);
    if (verb == http::verb::unknown) {
      Finish(call, Status::InvalidArgument("invalid HTTP method \"" + r.method + "\""));
      co_return;
    }
    http::request<http::string_body> req{verb, url->target, 11};
    req.set(http::field::host, url->host_port);
    req.set(http::field::user_agent, std::string(kHttpClientUserAgent));
    bool has_authorization = false;
    for (const auto& [name, value] : r.headers) {
      req.set(name, value);
      if (beast::iequals(name, "authorization")) has_authorization = true;
    }
    if (!has_authorization) {
      auto authorization = AuthorizationHeader(options_.http);
      if (!authorization.ok()) {
        Finish(call, Status::IOError(Prefix(*call) + authorization.status().message()));
        co_return;
      }
      if (!authorization->empty()) req.set(http::field::authorization, *authorization);
    }
    req.body() = r.body;
    req.keep_alive(options_.keep_alive);
    if (verb != http::verb::get || !r.body.empty()) req.prepare_payload();

    for (int attempt = 0;; ++attempt) {
      std::shared_ptr<Connection> conn = options_.keep_alive ? TakeIdle(url->origin) : nullptr;
      bool reused = conn != nullptr;
      call->conn = reused ? conn : std::make_shared<Connection>();
      if (!reused) {
        Status s = co_await Connect(call, *url, deadline);
        if (!s.ok()) {
          call->conn->CloseSocket();
          Finish(call, s);
          co_return;
        }
      }
      if (call->cancelled) {
        call->conn->CloseSocket();
        Finish(call, Error(*call, asio::error::operation_aborted, ""));
        co_return;
      }
      bool nothing_received = true;
      bool keep = false;
      HttpResponse response;
      Status s;
      // (no co_await inside ?: — GCC 12 miscompiles it)
      if (call->conn->tls) {
        s = co_await Exchange(call, *call->conn->tls, req, deadline, &nothing_received, &keep,
                              &response);
      } else {
        s = co_await Exchange(call, *call->conn->plain, req, deadline, &nothing_received, &keep,
                              &response);
      }
      if (s.ok()) {
        if (keep && !call->cancelled) {
          PutIdle(url->origin, std::move(call->conn));
        } else {
          call->conn->CloseSocket();
        }
        call->conn.reset();
        Finish(call, std::move(response));
        co_return;
      }
      call->conn->CloseSocket();
      // The server may have closed the idle connection we reused: dial again once.
      if (reused && nothing_received && attempt == 0 && !call->cancelled &&
          Clock::now() < deadline &&
          s.message().find("context deadline exceeded") == std::string::npos) {
        continue;
      }
      Finish(call, s);
      co_return;
    }
  }

  asio::strand<asio::any_io_executor> strand_;
  Options options_;
  std::shared_ptr<ssl::context> tls_ctx_;
  std::atomic<int> connections_opened_{0};
  // Only touched on strand_:
  bool stopped_ = false;
  std::set<std::shared_ptr<Call>> calls_;
  std::map<std::string, std::vector<std::shared_ptr<Connection>>> idle_;
};

Result<std::unique_ptr<HttpClient>> HttpClient::Create(asio::any_io_executor executor,
                                                       Options options) {
  auto impl = std::make_shared<Impl>(std::move(executor), std::move(options));
  if (Status s = impl->Init(); !s.ok()) return s;
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

HttpClient::HttpClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() { impl_->Shutdown(); }

void HttpClient::Do(HttpRequest request, Done done) {
  impl_->Do(std::move(request), std::move(done));
}
void HttpClient::Shutdown() { impl_->Shutdown(); }
int HttpClient::connections_opened() const { return impl_->connections_opened(); }

}  // namespace andon
