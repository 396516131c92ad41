#include "scrape/scrape_client.h"

#include <zlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <limits>
#include <optional>

#include "common/http_authorization.h"
#include "common/tls_client_context.h"
#include "scrape/content_type.h"

namespace andon::scrape {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// Go's spelling of a timeout as seconds: shortest decimal, no exponent ("10", "0.5").
std::string SecondsHeader(std::chrono::milliseconds ms) {
  long long v = ms.count();  // NOLINT(google-runtime-int)
  std::string out = std::to_string(v / 1000);
  if (v % 1000 != 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, "%03lld", v % 1000);
    std::string f = frac;
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out;
}

// Capacity of a connection's read buffer: Beast's largest read.
constexpr size_t kReadBufferBytes = 64 * 1024;

std::string LowerFirst(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

}  // namespace

class ScrapeClient::Impl : public std::enable_shared_from_this<ScrapeClient::Impl> {
 public:
  Impl(asio::any_io_executor ex, std::string url, const config::HttpClientConfig& http,
       int64_t limit)
      : ex_(std::move(ex)),
        resolver_(ex_),
        url_(std::move(url)),
        http_(http),
        limit_(limit > 0 ? static_cast<uint64_t>(limit) : 0) {}

  Status Init() {
    size_t scheme_end = url_.find("://");
    if (scheme_end == std::string::npos) return Status::InvalidArgument("invalid URL " + url_);
    std::string scheme = url_.substr(0, scheme_end);
    if (scheme != "http" && scheme != "https") {
      return Status::InvalidArgument("unsupported scheme in URL " + url_);
    }
    tls_enabled_ = scheme == "https";
    size_t host_begin = scheme_end + 3;
    size_t path_begin = url_.find('/', host_begin);
    host_port_ = url_.substr(
        host_begin, path_begin == std::string::npos ? std::string::npos : path_begin - host_begin);
    target_ = path_begin == std::string::npos ? "/" : url_.substr(path_begin);
    if (host_port_.empty()) return Status::InvalidArgument("no host in URL " + url_);
    if (host_port_[0] == '[') {
      size_t close = host_port_.find(']');
      if (close == std::string::npos) return Status::InvalidArgument("invalid host in " + url_);
      host_ = host_port_.substr(1, close - 1);
      port_ = close + 1 < host_port_.size() && host_port_[close + 1] == ':'
                  ? host_port_.substr(close + 2)
                  : "";
    } else {
      size_t colon = host_port_.rfind(':');
      host_ = host_port_.substr(0, colon);
      port_ = colon == std::string::npos ? "" : host_port_.substr(colon + 1);
    }
    if (port_.empty()) port_ = tls_enabled_ ? "443" : "80";
    if (tls_enabled_) {
      auto ctx = MakeTlsClientContext(http_.tls_config);
      if (!ctx.ok()) return ctx.status();
      tls_ctx_ = std::move(ctx).value();
    }
    return Status::Ok();
  }

  void Scrape(std::chrono::milliseconds timeout, Done done) {
    auto self = shared_from_this();
    in_flight_ = true;
    asio::co_spawn(
        ex_,
        [self, timeout]() -> asio::awaitable<Status> {
          Status s = co_await self->Run(timeout);
          co_return s;
        },
        [self, done = std::move(done)](std::exception_ptr ep, Status s) {
          if (ep) {
            self->CloseConnection();
            try {
              std::rethrow_exception(ep);
            } catch (const std::exception& e) {
              s = Status::Internal(self->GetPrefix() + e.what());
            }
          }
          self->in_flight_ = false;
          done(std::move(s));
        });
  }

  void Close() {
    closed_generation_++;
    resolver_.cancel();
    if (!in_flight_) {
      CloseConnection();
      return;
    }
    // Pending operations hold references to the stream: only cancel them here; the
    // coroutine drops the connection when it sees the error.
    error_code ignored;
    if (plain_) plain_->socket().close(ignored);
    if (tls_) tls_->next_layer().socket().close(ignored);
  }

  const std::string& url() const { return url_; }
  std::string_view body() const { return gzipped_ ? std::string_view(decoded_) : raw_; }
  std::string_view content_type() const { return content_type_; }
  int connections_opened() const { return connections_opened_; }

 private:
  std::string GetPrefix() const { return "Get \"" + url_ + "\": "; }

  void CloseConnection() {
    error_code ignored;
    if (plain_) {
      plain_->socket().shutdown(tcp::socket::shutdown_both, ignored);
      plain_->close();
      plain_.reset();
    }
    if (tls_) {
      tls_->next_layer().close();
      tls_.reset();
    }
  }

  beast::tcp_stream& Lowest() { return tls_ ? tls_->next_layer() : *plain_; }

  Status TransportError(const error_code& ec, std::string_view during) {
    if (ec == beast::error::timeout)
      return Status::Unavailable(GetPrefix() + "context deadline exceeded");
    if (ec == asio::error::operation_aborted)
      return Status::Unavailable(GetPrefix() + "context canceled");
    if (ec == http::error::body_limit)
      return Status::ResourceExhausted(std::string(kBodySizeLimitExceeded));
    if (ec == asio::error::eof || ec == http::error::end_of_stream ||
        ec == http::error::partial_message || ec == asio::ssl::error::stream_truncated) {
      return Status::Unavailable(GetPrefix() + "EOF");
    }
    if (ec.category() == error_code(http::error::bad_version).category()) {
      return Status::Unavailable(GetPrefix() + "malformed HTTP response (" + ec.message() + ")");
    }
    if (during == "dial") {
      // Go names the resolved address it dialled.
      return Status::Unavailable(GetPrefix() + "dial tcp " + dialled_ +
                                 ": connect: " + LowerFirst(ec.message()));
    }
    return Status::Unavailable(GetPrefix() + std::string(during) + ": " + LowerFirst(ec.message()));
  }

  asio::awaitable<Status> Connect(std::chrono::steady_clock::time_point deadline) {
    error_code ec;
    auto endpoints = co_await resolver_.async_resolve(
        host_, port_, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return TransportError(ec, "dial");
      co_return Status::Unavailable(GetPrefix() + "dial tcp: lookup " + host_ + ": " +
                                    LowerFirst(ec.message()));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      co_return TransportError(beast::error::timeout, "dial");
    }
    ++connections_opened_;
    if (endpoints.begin() != endpoints.end()) {
      tcp::endpoint ep = endpoints.begin()->endpoint();
      std::string ip = ep.address().to_string();
      dialled_ = (ep.address().is_v6() ? "[" + ip + "]" : ip) + ":" + std::to_string(ep.port());
    } else {
      dialled_ = host_port_;
    }
    if (tls_enabled_) {
      tls_.emplace(ex_, *tls_ctx_);
      tls_->next_layer().expires_at(deadline);
      co_await tls_->next_layer().async_connect(endpoints,
                                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return TransportError(ec, "dial");
      if (Status s = SetTlsHostname(*tls_, http_.tls_config, host_); !s.ok()) {
        co_return Status::InvalidArgument(GetPrefix() + s.message());
      }
      tls_->next_layer().expires_at(deadline);
      co_await tls_->async_handshake(ssl::stream_base::client,
                                     asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == beast::error::timeout) co_return TransportError(ec, "tls");
        co_return Status::Unavailable(GetPrefix() + "tls: " + LowerFirst(ec.message()));
      }
    } else {
      plain_.emplace(ex_);
      plain_->expires_at(deadline);
      co_await plain_->async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return TransportError(ec, "dial");
    }
    co_return Status::Ok();
  }

  template <typename Stream>
  asio::awaitable<Status> Exchange(Stream& stream, const http::request<http::empty_body>& req,
                                   std::chrono::steady_clock::time_point deadline,
                                   bool* nothing_received) {
    error_code ec;
    Lowest().expires_at(deadline);
    co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return TransportError(ec, "write");
    http::response_parser<http::string_body> parser;
    parser.body_limit(limit_ > 0 ? limit_ : std::numeric_limits<uint64_t>::max());
    parser.get().body().swap(raw_);  // reuse the buffer of the previous scrape
    parser.get().body().clear();
    // Beast reads max(512, free capacity) bytes at a time (at most 64 KiB): a buffer left at
    // the size of a response header made every scrape of a 68 KB body ~130 reads, each a
    // syscall, an epoll_wait and a completion.
    if (buffer_.capacity() < kReadBufferBytes) buffer_.reserve(kReadBufferBytes);
    Lowest().expires_at(deadline);
    co_await http::async_read_header(stream, buffer_, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return TransportError(ec, "read");
    *nothing_received = false;
    auto& res = parser.get();
    if (res.result_int() != 200) {
      std::string reason(res.reason());
      if (reason.empty()) reason = std::string(http::obsolete_reason(res.result()));
      CloseConnection();
      co_return Status::Unavailable("server returned HTTP status " +
                                    std::to_string(res.result_int()) + " " + reason);
    }
    co_await http::async_read(stream, buffer_, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return TransportError(ec, "read");
    // The 64 KiB are held only during a scrape, not by each idle target in between.
    if (buffer_.size() == 0) buffer_.shrink_to_fit();
    content_type_ = std::string(res[http::field::content_type]);
    auto encoding = res[http::field::content_encoding];
    gzipped_ = beast::iequals(encoding, "gzip");
    bool keep = res.keep_alive() && !res.need_eof();
    raw_.swap(res.body());
    if (!keep) CloseConnection();
    if (gzipped_) co_return Gunzip();
    co_return Status::Ok();
  }

  Status Gunzip() {
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
      return Status::Internal(GetPrefix() + "gzip: cannot initialise zlib");
    }
    decoded_.clear();
    zs.next_in = reinterpret_cast<Bytef*>(raw_.data());
    zs.avail_in = static_cast<uInt>(raw_.size());
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      size_t have = decoded_.size();
      size_t grow = std::max<size_t>(raw_.size() * 4, 64 * 1024);
      if (limit_ > 0 && have + grow > limit_ + 1) grow = limit_ + 1 - have;
      decoded_.resize(have + grow);
      zs.next_out = reinterpret_cast<Bytef*>(decoded_.data() + have);
      zs.avail_out = static_cast<uInt>(grow);
      rc = inflate(&zs, Z_NO_FLUSH);
      decoded_.resize(have + grow - zs.avail_out);
      if (limit_ > 0 && decoded_.size() > limit_) {
        inflateEnd(&zs);
        return Status::ResourceExhausted(std::string(kBodySizeLimitExceeded));
      }
      if (rc == Z_STREAM_END) break;
      if (rc != Z_OK && !(rc == Z_BUF_ERROR && zs.avail_in > 0)) {
        inflateEnd(&zs);
        return Status::Unavailable(GetPrefix() + "gzip: " +
                                   (rc == Z_BUF_ERROR
                                        ? std::string("unexpected EOF")
                                        : std::string(zs.msg ? zs.msg : "invalid data")));
      }
    }
    inflateEnd(&zs);
    return Status::Ok();
  }

  asio::awaitable<Status> Run(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    uint64_t generation = closed_generation_;
    http::request<http::empty_body> req{http::verb::get, target_, 11};
    req.set(http::field::host, host_port_);
    req.set(http::field::user_agent, std::string(kScrapeUserAgent));
    req.set(http::field::accept, std::string(kScrapeAcceptHeader));
    req.set(http::field::accept_encoding, "gzip");
    req.set("X-Prometheus-Scrape-Timeout-Seconds", SecondsHeader(timeout));
    auto authorization = AuthorizationHeader(http_);
    if (!authorization.ok())
      co_return Status::IOError(GetPrefix() + authorization.status().message());
    if (!authorization->empty()) req.set(http::field::authorization, *authorization);
    req.keep_alive(true);

    for (int attempt = 0;; ++attempt) {
      bool reused = plain_.has_value() || tls_.has_value();
      if (!reused) {
        buffer_.clear();
        Status s = co_await Connect(deadline);
        if (!s.ok()) {
          CloseConnection();
          co_return s;
        }
      }
      if (generation != closed_generation_) {
        CloseConnection();
        co_return TransportError(asio::error::operation_aborted, "");
      }
      bool nothing_received = true;
      // (no co_await inside ?: — GCC 12 miscompiles it)
      Status s;
      if (tls_) {
        s = co_await Exchange(*tls_, req, deadline, &nothing_received);
      } else {
        s = co_await Exchange(*plain_, req, deadline, &nothing_received);
      }
      if (s.ok()) co_return s;
      if (plain_ || tls_) {
        // A response that failed half-way leaves the connection in an unknown state.
        if (!nothing_received || !s.message().starts_with("server returned")) CloseConnection();
      }
      // The server may have closed the idle connection we reused: dial again once.
      if (reused && nothing_received && attempt == 0 &&
          std::chrono::steady_clock::now() < deadline && generation == closed_generation_ &&
          s.code() == Status::Code::kUnavailable &&
          s.message().find("context deadline exceeded") == std::string::npos) {
        continue;
      }
      co_return s;
    }
  }

  asio::any_io_executor ex_;
  tcp::resolver resolver_;
  std::string url_;
  config::HttpClientConfig http_;
  uint64_t limit_;
  bool tls_enabled_ = false;
  std::string host_port_, host_, port_, target_;
  std::string dialled_;  // the address of the last dial, for errors
  std::shared_ptr<ssl::context> tls_ctx_;

  std::optional<beast::tcp_stream> plain_;
  std::optional<ssl::stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  std::string raw_;
  std::string decoded_;
  std::string content_type_;
  bool gzipped_ = false;
  int connections_opened_ = 0;
  bool in_flight_ = false;
  uint64_t closed_generation_ = 0;
};

Result<std::unique_ptr<ScrapeClient>> ScrapeClient::Create(asio::any_io_executor executor,
                                                           std::string url,
                                                           const config::HttpClientConfig& http,
                                                           int64_t body_size_limit_bytes) {
  auto impl =
      std::make_shared<Impl>(std::move(executor), std::move(url), http, body_size_limit_bytes);
  if (Status s = impl->Init(); !s.ok()) return s;
  return std::unique_ptr<ScrapeClient>(new ScrapeClient(std::move(impl)));
}

ScrapeClient::ScrapeClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
ScrapeClient::~ScrapeClient() = default;

void ScrapeClient::Scrape(std::chrono::milliseconds timeout, Done done) {
  impl_->Scrape(timeout, std::move(done));
}
void ScrapeClient::Close() { impl_->Close(); }
const std::string& ScrapeClient::url() const { return impl_->url(); }
std::string_view ScrapeClient::body() const { return impl_->body(); }
std::string_view ScrapeClient::content_type() const { return impl_->content_type(); }
int ScrapeClient::connections_opened() const { return impl_->connections_opened(); }

}  // namespace andon::scrape
