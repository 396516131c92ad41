#include "scrape/kubernetes_discovery.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "common/http_authorization.h"
#include "common/logger.h"
#include "common/tls_client_context.h"
#include "common/url_escape.h"
#include "scrape/kubernetes_objects.h"
#include "scrape/pending_handlers.h"
#include "scrape/target_labels.h"

namespace andon::scrape {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

constexpr std::string_view kComponent = "kubernetes_sd";

// ---------------------------------------------------------------------------------------
// Small helpers.

std::string TrimSpace(std::string s) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && space(s.back())) s.pop_back();
  size_t i = 0;
  while (i < s.size() && space(s[i])) ++i;
  return s.substr(i);
}

// ---------------------------------------------------------------------------------------
// Where and how to reach the API server; resolved again for every request so that rotated
// tokens and certificates are picked up.

struct ApiServer {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;
  std::string path_prefix;  // no trailing '/'
  config::TlsConfig tls_config;
  std::string authorization;  // Authorization header value, "" for none
};

using Resource = KubernetesResource;

std::string_view ResourceName(Resource r) {
  switch (r) {
    case Resource::kPods:
      return "pods";
    case Resource::kServices:
      return "services";
    case Resource::kEndpoints:
      return "endpoints";
    case Resource::kNodes:
      return "nodes";
  }
  return "";
}

config::KubernetesRole SelectorRole(Resource r) {
  switch (r) {
    case Resource::kPods:
      return config::KubernetesRole::kPod;
    case Resource::kServices:
      return config::KubernetesRole::kService;
    case Resource::kEndpoints:
      return config::KubernetesRole::kEndpoints;
    case Resource::kNodes:
      return config::KubernetesRole::kNode;
  }
  return config::KubernetesRole::kPod;
}

class KubernetesDiscoverer;

// One list-then-watch loop for one resource in one namespace ("" = all namespaces). Runs
// entirely on the discoverer's strand; at most one request is in flight at a time.
class ResourceWatch {
 public:
  ResourceWatch(KubernetesDiscoverer* d, Resource resource, std::string ns,
                std::string label_selector, std::string field_selector);

  void Start() { Begin(Phase::kList); }
  // Cancels the request or retry in flight (the handlers then see the discoverer stopping).
  void Cancel();
  bool initial_done() const { return initial_done_; }

 private:
  enum class Phase { kList, kWatch };

  std::string Path() const;
  std::string RequestTarget(Phase phase) const;
  beast::tcp_stream& Lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  template <typename F>
  void WithStream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(*plain_);
    }
  }
  // Wraps a completion handler so that it is counted, skipped once stopping, and done.
  template <typename... Args, typename F>
  auto Handler(F f);

  void Begin(Phase phase);
  void OnResolved(const boost::system::error_code& ec, const tcp::resolver::results_type& r);
  void OnConnected(const boost::system::error_code& ec);
  void SendRequest();
  void OnWritten(const boost::system::error_code& ec);
  void OnHeader(const boost::system::error_code& ec);
  void OnListBody(const boost::system::error_code& ec);
  void ReadWatch();
  void OnWatchData(const boost::system::error_code& ec);
  // Handles the complete lines in lines_; false when the watch was ended (relist or error).
  bool ProcessWatchLines();
  void WatchEnded(const std::string& why);
  void Fail(const std::string& what, bool relist);
  void CloseConnection();
  void MarkInitialDone();

  KubernetesDiscoverer* const d_;
  const Resource resource_;
  const std::string namespace_;
  const std::string label_selector_;
  const std::string field_selector_;

  tcp::resolver resolver_;
  asio::steady_timer retry_timer_;
  std::shared_ptr<ssl::context> ssl_ctx_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<ssl::stream<beast::tcp_stream>> tls_;
  ApiServer api_;
  Phase phase_ = Phase::kList;
  beast::flat_buffer buffer_;
  http::request<http::empty_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::string lines_;  // watch stream bytes not yet handled
  // Appends a watch response's chunks to lines_ (the parser keeps a reference to it).
  std::function<uint64_t(uint64_t, beast::string_view, boost::system::error_code&)> on_chunk_ =
      [this](uint64_t, beast::string_view body, boost::system::error_code&) -> uint64_t {
    lines_.append(body.data(), body.size());
    return body.size();
  };
  std::vector<json> list_items_;
  std::string continue_;
  std::string resource_version_;  // last seen; "" before the first list
  std::chrono::milliseconds backoff_{0};
  size_t watch_events_ = 0;
  std::chrono::steady_clock::time_point watch_started_;
  bool initial_done_ = false;
};

class KubernetesDiscoverer final : public Discoverer {
 public:
  KubernetesDiscoverer(asio::any_io_executor executor, config::KubernetesSdConfig config,
                       KubernetesDiscoveryOptions options)
      : config_(std::move(config)),
        options_(std::move(options)),
        strand_(asio::make_strand(std::move(executor))) {}
  ~KubernetesDiscoverer() override { Stop(); }

  void Start(UpdateFn on_update) override {
    on_update_ = std::move(on_update);
    if (!pending_.TryAdd()) return;
    started_ = true;
    asio::post(strand_, [this] {
      if (!pending_.Stopping()) {
        CreateWatches();
        for (auto& w : watches_) w->Start();
        Flush();  // no watch at all (cannot happen) would still send the first update
      }
      pending_.Done();
    });
  }

  void Stop() override {
    pending_.BeginStop();
    if (started_) {
      pending_.Add();
      asio::post(strand_, [this] {
        for (auto& w : watches_) w->Cancel();
        pending_.Done();
      });
    }
    pending_.WaitIdle();
  }

  // --- for ResourceWatch (on the strand) ---
  asio::strand<asio::any_io_executor>& strand() { return strand_; }
  PendingHandlers& pending() { return pending_; }
  const KubernetesDiscoveryOptions& options() const { return options_; }
  Result<ApiServer> ResolveApiServer() const;
  KubernetesObjectStore& objects() { return objects_; }
  // Reports the groups changed since the last call (or, the first time every watch has
  // finished its first list attempt, all groups).
  void Flush();

 private:
  void CreateWatches();

  const config::KubernetesSdConfig config_;
  const KubernetesDiscoveryOptions options_;
  asio::strand<asio::any_io_executor> strand_;
  PendingHandlers pending_;
  UpdateFn on_update_;                // set by Start() before the first handler is posted
  std::atomic<bool> started_{false};  // read by Stop()

  // Used only on strand_.
  std::vector<std::unique_ptr<ResourceWatch>> watches_;
  KubernetesObjectStore objects_{config_.role};
  bool initial_sent_ = false;
};

// ---------------------------------------------------------------------------------------
// ResourceWatch

ResourceWatch::ResourceWatch(KubernetesDiscoverer* d, Resource resource, std::string ns,
                             std::string label_selector, std::string field_selector)
    : d_(d),
      resource_(resource),
      namespace_(std::move(ns)),
      label_selector_(std::move(label_selector)),
      field_selector_(std::move(field_selector)),
      resolver_(d->strand()),
      retry_timer_(d->strand()) {}

template <typename... Args, typename F>
auto ResourceWatch::Handler(F f) {
  return [this, f = std::move(f)](Args... args) mutable {
    if (!d_->pending().Stopping()) f(args...);
    d_->pending().Done();
  };
}

std::string ResourceWatch::Path() const {
  std::string path = api_.path_prefix + "/api/v1/";
  if (!namespace_.empty()) path += "namespaces/" + namespace_ + "/";
  path += ResourceName(resource_);
  return path;
}

std::string ResourceWatch::RequestTarget(Phase phase) const {
  std::map<std::string, std::string> params;  // sorted, as client-go sends them
  if (!label_selector_.empty()) params["labelSelector"] = label_selector_;
  if (!field_selector_.empty()) params["fieldSelector"] = field_selector_;
  if (phase == Phase::kList) {
    params["limit"] = "500";
    if (!continue_.empty()) params["continue"] = continue_;
  } else {
    params["watch"] = "true";
    params["allowWatchBookmarks"] = "true";
    params["resourceVersion"] = resource_version_;
    params["timeoutSeconds"] = std::to_string(d_->options().watch_timeout.count());
  }
  std::string target = Path();
  char sep = '?';
  for (const auto& [k, v] : params) {
    target += sep + k + "=";
    AppendUrlEscaped(v, /*query=*/true, &target);
    sep = '&';
  }
  return target;
}

void ResourceWatch::Begin(Phase phase) {
  phase_ = phase;
  auto api = d_->ResolveApiServer();
  if (!api.ok()) return Fail(api.status().message(), /*relist=*/phase == Phase::kList);
  api_ = std::move(api).value();
  plain_.reset();
  tls_.reset();
  if (api_.tls) {
    auto ctx = MakeTlsClientContext(api_.tls_config);
    if (!ctx.ok()) return Fail(ctx.status().message(), phase == Phase::kList);
    ssl_ctx_ = *ctx;
    tls_.emplace(d_->strand(), *ssl_ctx_);
    if (Status s = SetTlsHostname(*tls_, api_.tls_config, api_.host); !s.ok()) {
      return Fail(s.message(), phase == Phase::kList);
    }
  } else {
    plain_.emplace(d_->strand());
  }
  request_ = {};
  request_.method(http::verb::get);
  request_.version(11);
  request_.target(RequestTarget(phase));
  std::string host = api_.host.find(':') != std::string::npos ? "[" + api_.host + "]" : api_.host;
  request_.set(http::field::host, host + ":" + api_.port);
  request_.set(http::field::user_agent, "andon/kubernetes-sd");
  request_.set(http::field::accept, "application/json");
  if (!api_.authorization.empty()) request_.set(http::field::authorization, api_.authorization);
  if (!d_->pending().TryAdd()) return;
  resolver_.async_resolve(
      api_.host, api_.port,
      Handler<const boost::system::error_code&, const tcp::resolver::results_type&>(
          [this](const boost::system::error_code& ec, const tcp::resolver::results_type& r) {
            OnResolved(ec, r);
          }));
}

void ResourceWatch::OnResolved(const boost::system::error_code& ec,
                               const tcp::resolver::results_type& results) {
  if (ec) return Fail("resolve " + api_.host + ": " + ec.message(), phase_ == Phase::kList);
  Lowest().expires_after(d_->options().request_timeout);
  if (!d_->pending().TryAdd()) return;
  Lowest().async_connect(results, Handler<const boost::system::error_code&, const tcp::endpoint&>(
                                      [this](const boost::system::error_code& e,
                                             const tcp::endpoint&) { OnConnected(e); }));
}

void ResourceWatch::OnConnected(const boost::system::error_code& ec) {
  if (ec) return Fail("connect: " + ec.message(), phase_ == Phase::kList);
  if (!tls_) return SendRequest();
  Lowest().expires_after(d_->options().request_timeout);
  if (!d_->pending().TryAdd()) return;
  tls_->async_handshake(
      ssl::stream_base::client,
      Handler<const boost::system::error_code&>([this](const boost::system::error_code& e) {
        if (e) return Fail("TLS handshake: " + e.message(), phase_ == Phase::kList);
        SendRequest();
      }));
}

void ResourceWatch::SendRequest() {
  Lowest().expires_after(d_->options().request_timeout);
  if (!d_->pending().TryAdd()) return;
  WithStream([this](auto& stream) {
    http::async_write(stream, request_,
                      Handler<const boost::system::error_code&, size_t>(
                          [this](const boost::system::error_code& e, size_t) { OnWritten(e); }));
  });
}

void ResourceWatch::OnWritten(const boost::system::error_code& ec) {
  if (ec) return Fail("send request: " + ec.message(), phase_ == Phase::kList);
  buffer_.clear();
  lines_.clear();
  parser_.emplace();
  if (phase_ == Phase::kList) {
    parser_->body_limit(d_->options().max_response_bytes);
  } else {
    // Unlimited, spelled as a number: Beast compares a Content-Length against boost::none
    // as larger.
    parser_->body_limit(std::numeric_limits<uint64_t>::max());
    parser_->on_chunk_body(on_chunk_);
  }
  if (!d_->pending().TryAdd()) return;
  WithStream([this](auto& stream) {
    http::async_read_header(
        stream, buffer_, *parser_,
        Handler<const boost::system::error_code&, size_t>(
            [this](const boost::system::error_code& e, size_t) { OnHeader(e); }));
  });
}

void ResourceWatch::OnHeader(const boost::system::error_code& ec) {
  if (ec) return Fail("read response: " + ec.message(), phase_ == Phase::kList);
  if (phase_ == Phase::kList) {
    if (!d_->pending().TryAdd()) return;
    WithStream([this](auto& stream) {
      http::async_read(stream, buffer_, *parser_,
                       Handler<const boost::system::error_code&, size_t>(
                           [this](const boost::system::error_code& e, size_t) { OnListBody(e); }));
    });
    return;
  }
  unsigned status = parser_->get().result_int();
  if (status == 410) {  // our resourceVersion is too old: start over
    LogInfo(kComponent, "watch resource version expired, relisting",
            {{"path", Path()}, {"resource_version", resource_version_}});
    CloseConnection();
    resource_version_.clear();
    return Begin(Phase::kList);
  }
  if (status != 200) {
    return Fail("watch " + Path() + ": server returned HTTP status " + std::to_string(status) +
                    " " + std::string(parser_->get().reason()),
                /*relist=*/false);
  }
  backoff_ = std::chrono::milliseconds(0);
  watch_events_ = 0;
  watch_started_ = std::chrono::steady_clock::now();
  ReadWatch();
}

void ResourceWatch::OnListBody(const boost::system::error_code& ec) {
  if (ec) return Fail("read list response: " + ec.message(), /*relist=*/true);
  const auto& res = parser_->get();
  unsigned status = res.result_int();
  if (status != 200) {
    std::string body = res.body().substr(0, 512);
    std::string message;
    json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);  // a Status object
    if (auto it = doc.find("message"); it != doc.end() && it->is_string()) message = *it;
    if (message.empty()) message = TrimSpace(body);
    continue_.clear();  // an expired continue token (410) restarts the list too
    return Fail("list " + Path() + ": server returned HTTP status " + std::to_string(status) + " " +
                    std::string(res.reason()) + (message.empty() ? "" : ": " + message),
                /*relist=*/true);
  }
  auto page = ParseKubernetesList(res.body());
  if (!page.ok()) {
    continue_.clear();
    return Fail("list " + Path() + ": " + page.status().message(), /*relist=*/true);
  }
  for (json& item : page->items) list_items_.push_back(std::move(item));
  CloseConnection();
  continue_ = page->continue_token;
  if (!continue_.empty()) return Begin(Phase::kList);  // next page
  resource_version_ = page->resource_version;
  d_->objects().ReplaceObjects(resource_, namespace_, list_items_);
  list_items_.clear();
  backoff_ = std::chrono::milliseconds(0);
  MarkInitialDone();
  Begin(Phase::kWatch);
}

void ResourceWatch::ReadWatch() {
  Lowest().expires_after(d_->options().watch_timeout + d_->options().request_timeout);
  if (!d_->pending().TryAdd()) return;
  WithStream([this](auto& stream) {
    http::async_read_some(
        stream, buffer_, *parser_,
        Handler<const boost::system::error_code&, size_t>(
            [this](const boost::system::error_code& e, size_t) { OnWatchData(e); }));
  });
}

void ResourceWatch::OnWatchData(const boost::system::error_code& ec) {
  // A body that is not chunked lands in the parser's string body.
  std::string& body = parser_->get().body();
  if (!body.empty()) {
    lines_.append(body);
    body.clear();
  }
  if (!ProcessWatchLines()) return;
  if (ec) return WatchEnded(ec.message());
  if (parser_->is_done()) return WatchEnded("end of stream");
  ReadWatch();
}

bool ResourceWatch::ProcessWatchLines() {
  size_t start = 0;
  bool changed = false;
  for (size_t nl; (nl = lines_.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(lines_.data() + start, nl - start);
    if (TrimSpace(std::string(line)).empty()) continue;
    auto event = ParseKubernetesWatchEvent(line);
    if (!event.ok()) {
      if (changed) d_->Flush();
      Fail("watch " + Path() + ": " + event.status().message(), /*relist=*/true);
      return false;
    }
    ++watch_events_;
    if (event->type == "ERROR") {
      if (changed) d_->Flush();
      if (event->error_code == 410) {
        LogInfo(kComponent, "watch resource version expired, relisting",
                {{"path", Path()}, {"resource_version", resource_version_}});
        CloseConnection();
        resource_version_.clear();
        Begin(Phase::kList);
        return false;
      }
      Fail("watch " + Path() + ": server sent error: " + event->error_message, /*relist=*/true);
      return false;
    }
    if (d_->objects().Apply(resource_, *event)) {
      changed = true;
    } else if (event->type != "BOOKMARK") {
      LogWarn(kComponent, "ignoring watch event of unknown type", {{"type", event->type}});
    }
    if (!event->resource_version.empty()) resource_version_ = event->resource_version;
  }
  lines_.erase(0, start);
  if (lines_.size() > d_->options().max_response_bytes) {
    if (changed) d_->Flush();
    Fail("watch " + Path() + ": event exceeds the size limit", /*relist=*/true);
    return false;
  }
  if (changed) d_->Flush();
  return true;
}

void ResourceWatch::WatchEnded(const std::string& why) {
  CloseConnection();
  LogDebug(kComponent, "watch ended, resuming",
           {{"path", Path()}, {"reason", why}, {"resource_version", resource_version_}});
  // A watch that ends at once without events is retried after the backoff, not in a loop.
  if (watch_events_ == 0 &&
      std::chrono::steady_clock::now() - watch_started_ < std::chrono::seconds(1)) {
    return Fail("watch " + Path() + " ended at once: " + why, /*relist=*/false);
  }
  Begin(Phase::kWatch);
}

void ResourceWatch::Fail(const std::string& what, bool relist) {
  CloseConnection();
  list_items_.clear();
  if (relist || resource_version_.empty()) {
    continue_.clear();
    relist = true;
  }
  auto& opt = d_->options();
  backoff_ = backoff_.count() == 0 ? opt.initial_backoff : std::min(backoff_ * 2, opt.max_backoff);
  LogWarn(kComponent, "Kubernetes API request failed, retrying",
          {{"path", Path()}, {"err", what}, {"retry_in_ms", std::to_string(backoff_.count())}});
  if (!initial_done_) MarkInitialDone();
  if (!d_->pending().TryAdd()) return;
  retry_timer_.expires_after(backoff_);
  retry_timer_.async_wait(Handler<const boost::system::error_code&>(
      [this, relist](const boost::system::error_code& ec) {
        if (!ec) Begin(relist ? Phase::kList : Phase::kWatch);
      }));
}

// The first list of this resource has finished (or failed once): the discoverer may send its
// first update once every resource got here.
void ResourceWatch::MarkInitialDone() {
  initial_done_ = true;
  d_->Flush();
}

void ResourceWatch::CloseConnection() {
  boost::system::error_code ignored;
  if (tls_) beast::get_lowest_layer(*tls_).socket().close(ignored);
  if (plain_) plain_->socket().close(ignored);
}

void ResourceWatch::Cancel() {
  resolver_.cancel();
  retry_timer_.cancel();
  if (tls_) beast::get_lowest_layer(*tls_).cancel();
  if (plain_) plain_->cancel();
  CloseConnection();
}

// ---------------------------------------------------------------------------------------
// KubernetesDiscoverer

Result<ApiServer> KubernetesDiscoverer::ResolveApiServer() const {
  if (!config_.kubeconfig_file.empty()) {
    return Status::InvalidArgument("kubeconfig_file is not supported by andon; set api_server");
  }
  ApiServer api;
  if (config_.api_server.empty()) {  // in-cluster
    const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
    const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
    if (host == nullptr || port == nullptr || *host == '\0' || *port == '\0') {
      return Status::InvalidArgument(
          "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and "
          "KUBERNETES_SERVICE_PORT must be defined");
    }
    api.tls = true;
    api.host = host;
    api.port = port;
    api.tls_config.ca_file = options_.service_account_dir + "/ca.crt";
    const std::string token_file = options_.service_account_dir + "/token";
    auto token = ReadTrimmedFile(token_file);
    if (!token.ok()) return token.status().WithContext("read service account token " + token_file);
    api.authorization = "Bearer " + *token;
    return api;
  }
  std::string_view url = config_.api_server;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return Status::InvalidArgument("api_server " + config_.api_server + ": not a URL");
  }
  std::string scheme(url.substr(0, scheme_end));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("api_server " + config_.api_server + ": scheme must be http(s)");
  }
  api.tls = scheme == "https";
  std::string_view rest = url.substr(scheme_end + 3);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    api.path_prefix = std::string(rest.substr(slash));
    while (!api.path_prefix.empty() && api.path_prefix.back() == '/') api.path_prefix.pop_back();
  }
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("api_server " + config_.api_server + ": bad IPv6 host");
    }
    api.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      api.port = std::string(authority.substr(close + 2));
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    api.host = std::string(authority.substr(0, colon));
    api.port = std::string(authority.substr(colon + 1));
  } else {
    api.host = std::string(authority);
  }
  if (api.host.empty()) {
    return Status::InvalidArgument("api_server " + config_.api_server + ": no host");
  }
  if (api.port.empty()) api.port = api.tls ? "443" : "80";
  const config::HttpClientConfig& hc = config_.http_client;
  api.tls_config = hc.tls_config;
  auto authorization = AuthorizationHeader(hc);
  if (!authorization.ok()) return authorization.status();
  api.authorization = std::move(authorization).value();
  return api;
}

void KubernetesDiscoverer::CreateWatches() {
  if (!config_.http_client.proxy_url.empty()) {
    LogWarn(kComponent, "proxy_url is not supported for the Kubernetes API, connecting directly");
  }
  std::vector<std::string> namespaces = config_.namespaces;
  if (config_.own_namespace) {
    const std::string namespace_file = options_.service_account_dir + "/namespace";
    auto own = ReadTrimmedFile(namespace_file);
    if (own.ok()) {
      namespaces.push_back(*own);
    } else {
      LogError(kComponent, "cannot read own namespace",
               {{"file", namespace_file}, {"err", own.status().message()}});
    }
  }
  std::sort(namespaces.begin(), namespaces.end());
  namespaces.erase(std::unique(namespaces.begin(), namespaces.end()), namespaces.end());
  if (namespaces.empty()) namespaces.push_back("");  // all namespaces

  std::vector<Resource> resources;
  switch (config_.role) {
    case config::KubernetesRole::kPod:
      resources = {Resource::kPods};
      break;
    case config::KubernetesRole::kService:
      resources = {Resource::kServices};
      break;
    case config::KubernetesRole::kEndpoints:
      resources = {Resource::kEndpoints, Resource::kServices, Resource::kPods};
      break;
    case config::KubernetesRole::kNode:
      resources = {Resource::kNodes};
      break;
    default:
      LogError(kComponent, "role is not supported by andon, no targets will be discovered",
               {{"role", std::string(config::KubernetesRoleName(config_.role))}});
      return;
  }
  for (Resource r : resources) {
    std::string label_selector, field_selector;
    for (const config::KubernetesSelector& sel : config_.selectors) {
      if (sel.role == SelectorRole(r)) {
        label_selector = sel.label;
        field_selector = sel.field;
      }
    }
    if (r == Resource::kNodes) {  // cluster-scoped
      watches_.push_back(
          std::make_unique<ResourceWatch>(this, r, "", label_selector, field_selector));
      continue;
    }
    for (const std::string& ns : namespaces) {
      watches_.push_back(
          std::make_unique<ResourceWatch>(this, r, ns, label_selector, field_selector));
    }
  }
}

void KubernetesDiscoverer::Flush() {
  std::vector<TargetGroup> changed = objects_.TakeChangedGroups();
  if (!initial_sent_) {
    for (const auto& w : watches_) {
      if (!w->initial_done()) return;
    }
    initial_sent_ = true;
    on_update_(objects_.Groups());
    return;
  }
  if (!changed.empty()) on_update_(std::move(changed));
}

}  // namespace

std::unique_ptr<Discoverer> MakeKubernetesDiscoverer(boost::asio::any_io_executor executor,
                                                     const config::KubernetesSdConfig& config,
                                                     KubernetesDiscoveryOptions options) {
  return std::make_unique<KubernetesDiscoverer>(std::move(executor), config, std::move(options));
}

}  // namespace andon::scrape
