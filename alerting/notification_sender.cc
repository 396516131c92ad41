#include "alerting/notification_sender.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <set>

#include "common/logger.h"

namespace andon::alerting {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// How much of an error response's body goes into the error (and the log line).
constexpr size_t kMaxErrorBody = 1024;

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string TruncatedBody(std::string_view body) {
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r' || body.back() == ' ')) {
    body.remove_suffix(1);
  }
  if (body.size() <= kMaxErrorBody) return std::string(body);
  return std::string(body.substr(0, kMaxErrorBody)) + "...";
}

}  // namespace

int64_t ParseRetryAfterMs(std::string_view value, int64_t now_unix_ms) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return -1;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    if (value.size() > 9) return -1;
    return std::stoll(std::string(value)) * 1000;
  }
  // IMF-fixdate: "Wed, 21 Oct 2015 07:28:00 GMT".
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char wday[4] = {}, mon[4] = {}, zone[4] = {};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  std::string s(value);
  if (std::sscanf(s.c_str(), "%3s, %d %3s %d %d:%d:%d %3s", wday, &day, mon, &year, &hour, &minute,
                  &second, zone) != 8 ||
      std::strcmp(zone, "GMT") != 0) {
    return -1;
  }
  int month = 0;
  for (int i = 0; i < 12; ++i) {
    if (std::strcmp(mon, kMonths[i]) == 0) month = i + 1;
  }
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                     std::chrono::day{static_cast<unsigned>(day)}};
  if (month == 0 || !ymd.ok() || hour > 23 || minute > 59 || second > 60) return -1;
  int64_t at =
      (sys_days{ymd}.time_since_epoch().count() * 86400LL + hour * 3600 + minute * 60 + second) *
      1000;
  return std::max<int64_t>(0, at - now_unix_ms);
}

class NotificationSender::Impl : public std::enable_shared_from_this<NotificationSender::Impl> {
 public:
  Impl(asio::any_io_executor ex, NotificationSenderOptions options)
      : strand_(asio::make_strand(ex)),
        ex_(std::move(ex)),
        options_(std::move(options)),
        rng_(std::random_device{}()) {
    if (options_.max_in_flight == 0) options_.max_in_flight = 1;
  }

  Status Init(const config::HttpClientConfig& http) {
    HttpClient::Options ho;
    ho.http = http;
    ho.body_size_limit_bytes = options_.response_body_limit_bytes;
    auto client = HttpClient::Create(ex_, ho);
    if (!client.ok()) return client.status();
    client_ = std::move(client).value();
    MetricsRegistry& r = *options_.registry;
    auto total = r.RegisterCounter("andon_notifications_total",
                                   "The total number of attempted notifications.", {"integration"});
    auto failed = r.RegisterCounter("andon_notifications_failed_total",
                                    "The total number of failed notifications.", {"integration"});
    auto latency = r.RegisterHistogram("andon_notification_latency_seconds",
                                       "The latency of notifications in seconds.", {"integration"},
                                       {1, 5, 10, 15, 20});
    auto queue = r.RegisterGauge("andon_notification_queue_length",
                                 "Notifications waiting to be delivered.", {"integration"});
    for (Status s : {total.status(), failed.status(), latency.status(), queue.status()}) {
      if (!s.ok()) return s;
    }
    total_ = &(*total)->WithLabels({options_.integration});
    failed_ = &(*failed)->WithLabels({options_.integration});
    latency_ = &(*latency)->WithLabels({options_.integration});
    queue_length_ = &(*queue)->WithLabels({options_.integration});
    return Status::Ok();
  }

  void Enqueue(HttpRequest request, std::string receiver, Done done) {
    total_->Inc();
    request.timeout = options_.request_timeout;
    request.redact_url = true;
    auto item = std::make_shared<Item>(std::move(request), std::move(receiver), std::move(done));
    std::shared_ptr<Item> dropped;
    bool stopped;
    {
      std::lock_guard lock(mu_);
      stopped = stopped_;
      if (!stopped) {
        if (queue_.size() >= std::max<size_t>(options_.queue_capacity, 1)) {
          dropped = std::move(queue_.front());
          queue_.pop_front();
        }
        queue_.push_back(std::move(item));
        queue_length_->Set(static_cast<double>(queue_.size()));
      }
    }
    auto self = shared_from_this();
    if (stopped) {
      asio::post(strand_, [self, item] {
        self->Complete(item, Status::Unavailable("notifier stopped"), /*in_flight=*/false);
      });
      return;
    }
    asio::post(strand_, [self, dropped] {
      if (dropped) {
        self->Complete(dropped,
                       Status::ResourceExhausted("notification queue full (capacity " +
                                                 std::to_string(self->options_.queue_capacity) +
                                                 "): dropped the oldest notification"),
                       /*in_flight=*/false);
      }
      self->Pump();
    });
  }

  void Reject(std::string receiver, Status error, Done done) {
    total_->Inc();
    auto item = std::make_shared<Item>(HttpRequest(), std::move(receiver), std::move(done));
    asio::post(strand_, [self = shared_from_this(), item, error = std::move(error)] {
      self->Complete(item, error, /*in_flight=*/false);
    });
  }

  void Stop() {
    std::deque<std::shared_ptr<Item>> left;
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
      left.swap(queue_);
      queue_length_->Set(0);
    }
    client_->Shutdown();
    asio::post(strand_, [self = shared_from_this(), left = std::move(left)] {
      for (const auto& item : left) {
        self->Complete(item, Status::Unavailable("notifier stopped"), /*in_flight=*/false);
      }
      for (const auto& item : self->active_) item->timer->cancel();
    });
  }

  size_t queue_length() const {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

 private:
  struct Item {
    Item(HttpRequest r, std::string recv, Done d)
        : request(std::move(r)), receiver(std::move(recv)), done(std::move(d)) {}
    HttpRequest request;
    std::string receiver;
    Done done;
    int attempts = 0;
    Clock::time_point first_attempt;
    std::chrono::milliseconds backoff{0};
    Status last;
    std::optional<asio::steady_timer> timer;
  };

  bool stopped() const {
    std::lock_guard lock(mu_);
    return stopped_;
  }

  // On strand_: starts queued notifications while there is room in flight.
  void Pump() {
    while (in_flight_ < options_.max_in_flight) {
      std::shared_ptr<Item> item;
      {
        std::lock_guard lock(mu_);
        if (stopped_ || queue_.empty()) return;
        item = std::move(queue_.front());
        queue_.pop_front();
        queue_length_->Set(static_cast<double>(queue_.size()));
      }
      ++in_flight_;
      active_.insert(item);
      item->first_attempt = Clock::now();
      item->backoff = options_.initial_backoff;
      item->timer.emplace(strand_);
      Attempt(item);
    }
  }

  void Attempt(const std::shared_ptr<Item>& item) {
    ++item->attempts;
    auto start = Clock::now();
    client_->Do(item->request, [self = shared_from_this(), item, start](Result<HttpResponse> r) {
      asio::post(self->strand_,
                 [self, item, start, r = std::move(r)] { self->OnResponse(item, start, r); });
    });
  }

  void OnResponse(const std::shared_ptr<Item>& item, Clock::time_point start,
                  const Result<HttpResponse>& r) {
    latency_->Observe(std::chrono::duration<double>(Clock::now() - start).count());
    bool retry = true;
    std::chrono::milliseconds delay = NextBackoff(*item);
    if (r.ok()) {
      if (r->status / 100 == 2) {
        Complete(item, Status::Ok(), /*in_flight=*/true);
        return;
      }
      std::string body = TruncatedBody(r->body);
      std::string msg = "unexpected status code " + std::to_string(r->status);
      if (!body.empty()) msg += ": " + body;
      item->last = Status::Unavailable(msg);
      retry = r->status / 100 == 5 || r->status == 429;
      if (r->status == 429) {
        int64_t after = ParseRetryAfterMs(r->Header("Retry-After"), NowUnixMs());
        if (after >= 0) delay = std::max(delay, std::chrono::milliseconds(after));
      }
      if (!retry) item->last = Status::InvalidArgument(msg);
    } else {
      item->last = r.status();
    }
    if (!retry || stopped()) {
      Complete(item, item->last, /*in_flight=*/true);
      return;
    }
    if (Clock::now() + delay - item->first_attempt > options_.give_up_after) {
      Complete(item, item->last, /*in_flight=*/true);
      return;
    }
    item->timer->expires_after(delay);
    item->timer->async_wait([self = shared_from_this(), item](boost::system::error_code ec) {
      if (ec || self->stopped()) {
        self->Complete(item, item->last, /*in_flight=*/true);
        return;
      }
      self->Attempt(item);
    });
  }

  // The wait before the next attempt: the current backoff with +-50% jitter; the backoff
  // then grows by 1.5 up to max_backoff.
  std::chrono::milliseconds NextBackoff(Item& item) {
    std::uniform_real_distribution<double> jitter(0.5, 1.5);
    auto d = std::chrono::milliseconds(
        static_cast<int64_t>(static_cast<double>(item.backoff.count()) * jitter(rng_)));
    item.backoff =
        std::min(options_.max_backoff, std::chrono::milliseconds(static_cast<int64_t>(
                                           static_cast<double>(item.backoff.count()) * 1.5)));
    return d;
  }

  void Complete(const std::shared_ptr<Item>& item, Status s, bool in_flight) {
    if (!item->done) return;
    if (in_flight) {
      --in_flight_;
      active_.erase(item);
    }
    if (!s.ok()) {
      failed_->Inc();
      LogError("notify", "Notify for alerts failed",
               {{"integration", options_.integration},
                {"receiver", item->receiver},
                {"attempts", std::to_string(item->attempts)},
                {"err", s.message()}});
    }
    Done done = std::move(item->done);
    item->done = nullptr;
    done(std::move(s));
    if (in_flight) Pump();
  }

  asio::strand<asio::any_io_executor> strand_;
  asio::any_io_executor ex_;
  NotificationSenderOptions options_;
  std::unique_ptr<HttpClient> client_;
  Counter* total_ = nullptr;
  Counter* failed_ = nullptr;
  Histogram* latency_ = nullptr;
  Gauge* queue_length_ = nullptr;

  mutable std::mutex mu_;
  std::deque<std::shared_ptr<Item>> queue_;  // guarded by mu_
  bool stopped_ = false;                     // guarded by mu_

  // On strand_ only:
  size_t in_flight_ = 0;
  std::set<std::shared_ptr<Item>> active_;
  std::mt19937_64 rng_;
};

Result<std::unique_ptr<NotificationSender>> NotificationSender::Create(
    asio::any_io_executor executor, const config::HttpClientConfig& http,
    NotificationSenderOptions options) {
  auto impl = std::make_shared<Impl>(std::move(executor), std::move(options));
  if (Status s = impl->Init(http); !s.ok()) return s;
  return std::unique_ptr<NotificationSender>(new NotificationSender(std::move(impl)));
}

NotificationSender::NotificationSender(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
NotificationSender::~NotificationSender() { impl_->Stop(); }

void NotificationSender::Enqueue(HttpRequest request, std::string receiver, Done done) {
  impl_->Enqueue(std::move(request), std::move(receiver), std::move(done));
}
void NotificationSender::Reject(std::string receiver, Status error, Done done) {
  impl_->Reject(std::move(receiver), std::move(error), std::move(done));
}
void NotificationSender::Stop() { impl_->Stop(); }
size_t NotificationSender::queue_length() const { return impl_->queue_length(); }

}  // namespace andon::alerting
