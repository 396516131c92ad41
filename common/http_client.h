// common/http_client.h
//
// HttpClient sends outbound HTTP/1.1 requests (Boost.Beast) for the components that push
// data out of Andon: alert delivery to Alertmanagers, Slack and webhooks, and remote write.
// One client serves many requests, concurrently, to any http(s) URL, with what a
// Prometheus `http_config` asks for: basic auth or an Authorization header (secret files
// re-read for every request, so rotated credentials are picked up) and TLS from
// `tls_config` (CA file or the system roots, client certificate and key, server_name,
// insecure_skip_verify). Idle connections are kept per origin and reused (keep_alive);
// a reused connection that the server closed in between is re-dialled once.
//
// Each request has a hard deadline (`timeout`) for the whole exchange: resolve, connect,
// TLS handshake, write, and reading the response. A response body longer than
// `body_size_limit_bytes` fails the request. Any HTTP status is a response, not an error:
// callers decide what a 4xx or 5xx means. Transport errors are worded like Go's net/http
// client, which Prometheus and Alertmanager users know from their logs:
//   Post "http://am:9093/api/v2/alerts": context deadline exceeded
//   Post "http://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused
// With `redact_url` the URL in errors reads "<redacted>" (Slack and webhook URLs are
// secrets).
//
// Threading: Do() and Shutdown() may be called from any thread. Everything else runs on a
// strand of the executor given at creation; `done` runs there, exactly once per request.
// Shutdown() (also run by the destructor) cancels the requests in flight (their `done`
// gets "context canceled") and makes later requests fail at once. The executor's
// io_context must keep running until the in-flight requests have completed; the client
// object itself may be destroyed at any time (its state lives until the last handler).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/config.h"
#include "common/status.h"

namespace andon {

// The User-Agent of Andon's outbound requests (a request may set its own).
inline constexpr std::string_view kHttpClientUserAgent = "Andon/0.1";

struct HttpRequest {
  std::string method = "POST";                               // GET, POST, PUT, DELETE, ...
  std::string url;                                           // absolute http:// or https:// URL
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Content-Type
  std::string body;
  std::chrono::milliseconds timeout{10000};
  bool redact_url = false;  // the URL is a secret: errors say "<redacted>" instead
};

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  std::string body;

  // The first header of that name (case-insensitive), or "" when absent.
  std::string_view Header(std::string_view name) const;
};

class HttpClient {
 public:
  struct Options {
    config::HttpClientConfig http;            // authorization and tls_config
    int64_t body_size_limit_bytes = 1 << 20;  // of a response body; 0: unlimited
    bool keep_alive = true;                   // reuse connections
    size_t max_idle_per_origin = 4;           // idle connections kept per scheme://host:port
  };
  using Done = std::function<void(Result<HttpResponse>)>;

  // Fails when the tls_config's files cannot be loaded (names the file).
  static Result<std::unique_ptr<HttpClient>> Create(boost::asio::any_io_executor executor,
                                                    Options options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts the request; `done` receives the response or the transport error.
  void Do(HttpRequest request, Done done);
  // Cancels the requests in flight and closes idle connections; idempotent.
  void Shutdown();

  // TCP connections dialled so far (keep-alive reuse shows as fewer dials than requests).
  int connections_opened() const;

 private:
  class Impl;
  explicit HttpClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace andon
