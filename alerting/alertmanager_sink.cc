#include "alerting/alertmanager_sink.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <deque>
#include <mutex>

#include "alerting/alert_json.h"
#include "common/http_client.h"
#include "common/logger.h"

namespace andon::alerting {
namespace {

namespace asio = boost::asio;

// Go's path.Join("/", prefix, suffix): slashes collapsed, "." and ".." resolved.
std::string JoinUrlPath(std::string_view prefix, std::string_view suffix) {
  std::vector<std::string_view> parts;
  for (std::string_view s : {prefix, suffix}) {
    size_t i = 0;
    while (i <= s.size()) {
      size_t j = s.find('/', i);
      if (j == std::string_view::npos) j = s.size();
      std::string_view part = s.substr(i, j - i);
      if (part == "..") {
        if (!parts.empty()) parts.pop_back();
      } else if (!part.empty() && part != ".") {
        parts.push_back(part);
      }
      i = j + 1;
    }
  }
  std::string out;
  for (std::string_view p : parts) {
    out += '/';
    out += p;
  }
  return out.empty() ? "/" : out;
}

}  // namespace

class AlertmanagerSink::Impl : public std::enable_shared_from_this<AlertmanagerSink::Impl> {
 public:
  struct Target {
    std::string url;
    HttpClient* client;
    std::chrono::milliseconds timeout;
    Counter* sent;
    Counter* errors;
    Histogram* latency;
  };

  Impl(asio::any_io_executor ex, AlertmanagerSinkOptions options)
      : strand_(asio::make_strand(ex)), ex_(std::move(ex)), options_(std::move(options)) {
    if (options_.queue_capacity == 0) options_.queue_capacity = 1;
    if (options_.max_batch == 0) options_.max_batch = 1;
  }

  Status Init(const std::vector<config::AlertmanagerTargetConfig>& configs) {
    MetricsRegistry& r = *options_.registry;
    auto queue_length = r.RegisterGauge("andon_notifications_queue_length",
                                        "The number of alert notifications in the queue.");
    auto queue_capacity = r.RegisterGauge("andon_notifications_queue_capacity",
                                          "The capacity of the alert notifications queue.");
    auto dropped = r.RegisterCounter(
        "andon_notifications_dropped_total",
        "Total number of alerts dropped due to errors when sending to Alertmanager.");
    auto discovered = r.RegisterGauge("andon_notifications_alertmanagers_discovered",
                                      "The number of alertmanagers discovered and active.");
    auto sent = r.RegisterCounter("andon_notifications_sent_total", "Total number of alerts sent.",
                                  {"alertmanager"});
    auto errors =
        r.RegisterCounter("andon_notifications_errors_total",
                          "Total number of errors sending alert notifications.", {"alertmanager"});
    auto latency = r.RegisterHistogram("andon_notifications_latency_seconds",
                                       "Latency of sending alert notifications, in seconds.",
                                       {"alertmanager"});
    for (Status s : {queue_length.status(), queue_capacity.status(), dropped.status(),
                     discovered.status(), sent.status(), errors.status(), latency.status()}) {
      if (!s.ok()) return s;
    }
    queue_length_ = &(*queue_length)->WithLabels();
    dropped_ = &(*dropped)->WithLabels();
    (*queue_capacity)->WithLabels().Set(static_cast<double>(options_.queue_capacity));

    for (size_t i = 0; i < configs.size(); ++i) {
      const config::AlertmanagerTargetConfig& c = configs[i];
      std::string where = "alertmanagers[" + std::to_string(i) + "]";
      if (c.api_version != "v2") {
        return Status::InvalidArgument(where + ": api_version \"" + c.api_version +
                                       "\" is not supported (only v2)");
      }
      if (!c.file_sd_configs.empty() || !c.kubernetes_sd_configs.empty()) {
        return Status::InvalidArgument(where +
                                       ": only static_configs are supported for alertmanagers");
      }
      if (!c.relabel_configs.empty()) {
        return Status::InvalidArgument(where +
                                       ": relabel_configs are not supported for alertmanagers");
      }
      if (c.scheme != "http" && c.scheme != "https") {
        return Status::InvalidArgument(where + ": unsupported scheme \"" + c.scheme + "\"");
      }
      HttpClient::Options ho;
      ho.http = c.http_client;
      auto client = HttpClient::Create(ex_, ho);
      if (!client.ok()) return client.status().WithContext(where);
      std::string path = JoinUrlPath(c.path_prefix, "/api/v2/alerts");
      for (const config::StaticConfig& sc : c.static_configs) {
        for (const std::string& address : sc.targets) {
          Target t;
          t.url = c.scheme + "://" + address + path;
          t.client = client->get();
          t.timeout = std::chrono::milliseconds(c.timeout_ms);
          t.sent = &(*sent)->WithLabels({t.url});
          t.errors = &(*errors)->WithLabels({t.url});
          t.latency = &(*latency)->WithLabels({t.url});
          targets_.push_back(std::move(t));
        }
      }
      clients_.push_back(std::move(client).value());
    }
    (*discovered)->WithLabels().Set(static_cast<double>(targets_.size()));
    return Status::Ok();
  }

  void Send(std::vector<Alert> alerts) {
    if (alerts.empty()) return;
    AddExternalLabels(options_.external_labels, &alerts);
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      size_t cap = options_.queue_capacity;
      size_t skip = 0;
      if (alerts.size() > cap) {
        skip = alerts.size() - cap;  // the oldest of this batch never enter the queue
        dropped_->Inc(static_cast<double>(skip));
      }
      size_t incoming = alerts.size() - skip;
      if (queue_.size() + incoming > cap) {
        size_t drop = queue_.size() + incoming - cap;
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(drop));
        dropped_->Inc(static_cast<double>(drop));
      }
      for (size_t i = skip; i < alerts.size(); ++i) queue_.push_back(std::move(alerts[i]));
      queue_length_->Set(static_cast<double>(queue_.size()));
    }
    asio::post(strand_, [self = shared_from_this()] { self->SendNextBatch(); });
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
      queue_.clear();
      queue_length_->Set(0);
    }
    for (auto& c : clients_) c->Shutdown();
  }

  std::vector<std::string> Urls() const {
    std::vector<std::string> out;
    for (const Target& t : targets_) out.push_back(t.url);
    return out;
  }

  size_t queue_length() const {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

 private:
  // The batch in flight: how many posts are outstanding and how many succeeded.
  struct Batch {
    size_t alerts = 0;
    size_t pending = 0;
    size_t succeeded = 0;
  };

  // On strand_: starts the next batch unless one is in flight.
  void SendNextBatch() {
    if (busy_) return;
    std::vector<Alert> batch;
    {
      std::lock_guard lock(mu_);
      if (stopped_ || queue_.empty()) return;
      size_t n = std::min(queue_.size(), options_.max_batch);
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) batch.push_back(std::move(queue_[i]));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
      queue_length_->Set(static_cast<double>(queue_.size()));
    }
    if (targets_.empty()) {
      dropped_->Inc(static_cast<double>(batch.size()));
      return;
    }
    busy_ = true;
    auto state = std::make_shared<Batch>(Batch{batch.size(), targets_.size(), 0});
    std::string payload = EncodePostableAlerts(batch);
    for (Target& t : targets_) {
      HttpRequest req;
      req.method = "POST";
      req.url = t.url;
      req.headers = {{"Content-Type", "application/json"}};
      req.body = payload;
      req.timeout = t.timeout;
      auto start = std::chrono::steady_clock::now();
      t.client->Do(std::move(req),
                   [self = shared_from_this(), target = &t, state, start](Result<HttpResponse> r) {
                     asio::post(self->strand_, [self, target, state, start, r = std::move(r)] {
                       self->OnPosted(*target, *state, start, r);
                     });
                   });
    }
  }

  void OnPosted(Target& t, Batch& batch, std::chrono::steady_clock::time_point start,
                const Result<HttpResponse>& r) {
    Status s = r.status();
    if (s.ok() && r->status / 100 != 2) {
      s = Status::Unavailable("bad response status " + std::to_string(r->status) + " " + r->reason);
    }
    if (s.ok()) {
      ++batch.succeeded;
    } else {
      t.errors->Inc();
      LogError(
          "notifier", "Error sending alert",
          {{"alertmanager", t.url}, {"count", std::to_string(batch.alerts)}, {"err", s.message()}});
    }
    t.latency->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    t.sent->Inc(static_cast<double>(batch.alerts));
    if (--batch.pending > 0) return;
    if (batch.succeeded == 0) dropped_->Inc(static_cast<double>(batch.alerts));
    busy_ = false;
    SendNextBatch();
  }

  asio::strand<asio::any_io_executor> strand_;
  asio::any_io_executor ex_;
  AlertmanagerSinkOptions options_;
  std::vector<std::unique_ptr<HttpClient>> clients_;
  std::vector<Target> targets_;  // fixed after Init
  Gauge* queue_length_ = nullptr;
  Counter* dropped_ = nullptr;

  mutable std::mutex mu_;
  std::deque<Alert> queue_;  // guarded by mu_
  bool stopped_ = false;     // guarded by mu_
  bool busy_ = false;        // on strand_: a batch is in flight
};

Result<std::unique_ptr<AlertmanagerSink>> AlertmanagerSink::Create(
    asio::any_io_executor executor,
    const std::vector<config::AlertmanagerTargetConfig>& alertmanagers,
    AlertmanagerSinkOptions options) {
  auto impl = std::make_shared<Impl>(std::move(executor), std::move(options));
  if (Status s = impl->Init(alertmanagers); !s.ok()) return s;
  return std::unique_ptr<AlertmanagerSink>(new AlertmanagerSink(std::move(impl)));
}

AlertmanagerSink::AlertmanagerSink(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
AlertmanagerSink::~AlertmanagerSink() { impl_->Stop(); }

void AlertmanagerSink::Send(std::vector<Alert> alerts) { impl_->Send(std::move(alerts)); }
void AlertmanagerSink::Stop() { impl_->Stop(); }
std::vector<std::string> AlertmanagerSink::AlertmanagerUrls() const { return impl_->Urls(); }
size_t AlertmanagerSink::queue_length() const { return impl_->queue_length(); }

}  // namespace andon::alerting
