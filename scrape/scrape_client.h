// scrape/scrape_client.h
//
// ScrapeClient fetches one target's metrics over HTTP/1.1 (Boost.Beast), the way
// Prometheus 2.42 does: GET <url> with the Accept header of scrape/content_type.h,
// `Accept-Encoding: gzip`, `X-Prometheus-Scrape-Timeout-Seconds`, basic auth or an
// Authorization header (the credentials file, when configured, is re-read for every
// scrape, so rotated tokens are picked up), and TLS from `tls_config` for https URLs.
// The connection is kept alive and reused by the next scrape of the same target; a reused
// connection that the server closed in between is re-dialled once, within the deadline.
//
// The timeout is a hard deadline for the whole exchange (resolve, connect, TLS handshake,
// request, response). `body_size_limit` (0 = none) bounds the decoded body: it is checked
// while the body is read and while gzip is inflated, so a huge body costs at most the
// limit. Errors are worded like Prometheus's: transport failures as Go's client reports
// them ("Get \"<url>\": context deadline exceeded", "Get \"<url>\": dial tcp
// 127.0.0.1:1: connect: connection refused"), "server returned HTTP status 500 Internal
// Server Error" and "body size limit exceeded".
//
// Threading: all calls and the completion run on the executor given at creation (a strand
// of the scrape loop). One scrape at a time. The client must outlive its in-flight scrape;
// Close() makes an in-flight scrape finish promptly with an error.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/config.h"
#include "common/status.h"

namespace andon::scrape {

// The error (ResourceExhausted) of a body larger than body_size_limit, in Prometheus's words.
inline constexpr std::string_view kBodySizeLimitExceeded = "body size limit exceeded";

// The User-Agent sent with every scrape.
inline constexpr std::string_view kScrapeUserAgent = "Andon/0.1";

class ScrapeClient {
 public:
  using Done = std::function<void(Status)>;

  // `url` is an absolute http(s) URL (TargetLabels::url). Fails on a URL it cannot use or
  // a tls_config whose files cannot be loaded.
  static Result<std::unique_ptr<ScrapeClient>> Create(boost::asio::any_io_executor executor,
                                                      std::string url,
                                                      const config::HttpClientConfig& http,
                                                      int64_t body_size_limit_bytes);
  ~ScrapeClient();
  ScrapeClient(const ScrapeClient&) = delete;
  ScrapeClient& operator=(const ScrapeClient&) = delete;

  // Starts a GET that must finish within `timeout`; `done` runs on the executor. On
  // success body() and content_type() hold the (decoded) response until the next Scrape().
  void Scrape(std::chrono::milliseconds timeout, Done done);
  // Closes the connection (an in-flight scrape then fails). Call on the executor.
  void Close();

  const std::string& url() const;
  std::string_view body() const;
  std::string_view content_type() const;
  // Number of TCP connections dialled so far (keep-alive reuse shows as 1 over many scrapes).
  int connections_opened() const;

 private:
  class Impl;
  explicit ScrapeClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace andon::scrape
