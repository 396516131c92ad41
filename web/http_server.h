// web/http_server.h
//
// HttpServer is Andon's HTTP/1.1 front door on Boost.Beast: asynchronous, keep-alive, with
// bounded header and body sizes (431 / 413 with a JSON error before any handler runs), a
// bounded number of open connections (one past the limit reads its request header, gets
// 503 with a JSON error and is closed), read and write timeouts, and a graceful Stop() that stops
// accepting, lets requests in flight finish and closes idle connections.
//
// Threads: connections are read and written by `threads` io threads (few: one io_context
// shared by many threads pays a futex wake-up for nearly every completion). Handlers that
// may block (queries, storage scans) run on a separate pool of `handler_threads`, the
// response going back to the connection's io thread; routes registered with
// HandlerThread::kIo (short, CPU-bound ones such as the remote-write receiver) run on the
// io thread itself, saving the two hand-offs, unless basic auth is on: then every request
// is authenticated and served on the pool, as a bcrypt check takes tens of milliseconds.
// With handler_threads 0 every handler runs on the io threads.
//
// With a web config (HttpServerOptions::web_config) the server speaks TLS (certificates
// re-read when their files change), asks for basic authentication before any handler runs
// (401 with "WWW-Authenticate: Basic" and one body for every failure), and adds the
// configured headers to every response. Without one it serves plain HTTP.
//
// Thread-safety: Handle() registrations happen before Start(); after that the routing
// table is read-only. Start()/Stop() are called from one controlling thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"
#include "web/web_config.h"

namespace andon::web {

// One parsed HTTP request. `params` merges, for POST with Content-Type
// application/x-www-form-urlencoded, the form body and then the URL query string
// (multi-valued, in that order: Param() returns the form's value first, as Go does).
struct HttpRequest {
  std::string method;
  std::string path;    // decoded path, no query string
  std::string target;  // raw request target
  std::multimap<std::string, std::string> params;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;

  // First value of a parameter, or `fallback` when absent.
  std::string Param(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> Params(const std::string& name) const;
  bool HasParam(const std::string& name) const { return params.count(name) > 0; }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponse&)>;

// Called once per response, just before it is written, with the route's name ("/api/v1/query",
// or "other" for unrouted paths), the status code and the handling time; used for self-metrics.
using HttpObserver = std::function<void(std::string_view handler, int status, double seconds)>;

// Why the server refused a request or connection before any handler ran, for self-metrics.
enum class HttpRefusal {
  kBodyTooLarge,        // 413, --web.max-request-body-bytes
  kHeaderTooLarge,      // 431, max_header_bytes
  kTooManyConnections,  // 503 and closed, --web.max-connections
  kMalformed,           // 400, not HTTP/1.x
  kUnauthorized,        // 401, basic auth of the web config
};
inline constexpr int kHttpRefusalCount = 5;
// "body_too_large", "header_too_large", "too_many_connections", "malformed", "unauthorized".
std::string_view HttpRefusalName(HttpRefusal refusal);
// Called once per refusal, on a server thread.
using HttpRefusalObserver = std::function<void(HttpRefusal refusal)>;

struct HttpServerOptions {
  std::string listen_address = ":9090";  // host:port, ":port" means all interfaces
  int threads = 2;                       // io threads
  int handler_threads = 0;               // the pool for HandlerThread::kPool routes; 0: none
  uint32_t max_header_bytes = 16 * 1024;
  uint64_t max_body_bytes = 10 * 1024 * 1024;
  // Open connections served at once (--web.max-connections); 0 = no limit. Connections
  // past it are answered 503 and closed (at most kMaxRefusingConnections at a time; any
  // further one is closed at once, unanswered).
  int max_connections = 512;
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds write_timeout{30000};
  std::chrono::milliseconds shutdown_grace{10000};
  // TLS, basic auth and response headers (web/web_config.h); null: plain HTTP, no auth.
  std::shared_ptr<const WebConfig> web_config;
};

// Splits "host:port" / ":port" / "[::1]:port"; errors name the address.
Result<std::pair<std::string, uint16_t>> SplitListenAddress(const std::string& address);

// Writes the JSON error body used for protocol-level failures (413, 431, 400, 404, 405).
void SetJsonError(HttpResponse& res, int status, std::string_view error_type,
                  std::string_view message);

// Where a route's handler runs (see the top of this file).
enum class HandlerThread { kPool, kIo };

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Routes an exact path for the given methods ("GET", "POST", ...). A path ending in '/'
  // routes every path below it (longest prefix wins). A known path with another method
  // answers 405.
  void Handle(const std::string& path, std::vector<std::string> methods, HttpHandler handler,
              HandlerThread thread = HandlerThread::kPool);
  void SetObserver(HttpObserver observer) { observer_ = std::move(observer); }
  void SetRefusalObserver(HttpRefusalObserver observer) { refusal_observer_ = std::move(observer); }

  // Connections past max_connections being answered 503 at once; more are just closed.
  static constexpr int kMaxRefusingConnections = 64;

  // Binds and starts the io threads. Fails (without starting) when the address is bad or
  // the port is taken.
  Status Start();
  // The bound port (useful with port 0).
  uint16_t port() const { return port_; }
  // Stops accepting, waits up to shutdown_grace for in-flight requests, joins the threads.
  void Stop();

 private:
  class Impl;
  friend class Impl;
  struct Route {
    std::vector<std::string> methods;
    HttpHandler handler;
    HandlerThread thread = HandlerThread::kPool;
  };
  // The route for req, or null after writing the 404/405 answer into res.
  const Route* Find(const HttpRequest& req, HttpResponse& res, std::string& route_name) const;

  HttpServerOptions options_;
  std::map<std::string, Route> exact_;
  std::map<std::string, Route> prefix_;
  HttpObserver observer_;
  HttpRefusalObserver refusal_observer_;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace andon::web
