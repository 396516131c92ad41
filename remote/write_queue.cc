// remote/write_queue.cc: see write_queue.h.
#include "remote/write_queue.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <future>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/http_client.h"
#include "common/logger.h"
#include "remote/write_request_codec.h"
#include "scrape/relabel.h"

namespace andon::remote {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
constexpr std::string_view kComponent = "remote_write";
// A series not seen for this many segments leaves the label cache.
constexpr uint64_t kCacheIdleSegments = 256;

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

uint64_t MixRef(uint64_t x) {  // splitmix64 finalizer: spreads sequential refs over shards
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

std::string WriteQueue::RemoteName(const config::RemoteWriteConfig& config) {
  if (!config.name.empty()) return config.name;
  return fmt::format("{:06x}", Fnv1a(config.url) & 0xffffff);
}

std::string WriteQueue::CursorName(const config::RemoteWriteConfig& config) {
  return "remote_write/" + RemoteName(config);
}

class WriteQueue::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::any_io_executor executor, Db& db, config::RemoteWriteConfig config,
       WriteQueueOptions options)
      : strand_(asio::make_strand(executor)),
        db_(db),
        config_(std::move(config)),
        options_(std::move(options)),
        remote_name_(RemoteName(config_)),
        cursor_(CursorName(config_)),
        poll_timer_(strand_) {
    const config::QueueConfig& q = config_.queue_config;
    max_per_send_ = std::max<uint64_t>(q.max_samples_per_send, 1);
    min_shards_ = std::max<uint64_t>(q.min_shards, 1);
    max_shards_ = std::max(q.max_shards, min_shards_);
    shards_ = min_shards_;
  }

  Status Init() {
    HttpClient::Options o;
    o.http = config_.http_client;
    auto client = HttpClient::Create(strand_, o);
    if (!client.ok()) return client.status().WithContext("remote_write " + remote_name_);
    client_ = std::move(*client);

    MetricsRegistry& r = *options_.registry;
    const std::vector<std::string> labels = {"remote_name", "url"};
    auto sent = r.RegisterCounter("andon_remote_storage_samples_total",
                                  "Total number of samples sent to remote storage.", labels);
    auto failed = r.RegisterCounter(
        "andon_remote_storage_samples_failed_total",
        "Total number of samples which failed on send to remote storage, non-recoverable errors.",
        {"remote_name", "url", "code"});
    auto retried = r.RegisterCounter(
        "andon_remote_storage_samples_retried_total",
        "Total number of samples which failed on send to remote storage but were retried "
        "because the send error was recoverable.",
        labels);
    auto dropped = r.RegisterCounter(
        "andon_remote_storage_samples_dropped_total",
        "Total number of samples which were dropped after being read from the WAL before being "
        "sent via remote write, either via relabelling or unknown series.",
        {"remote_name", "url", "reason"});
    auto pending =
        r.RegisterGauge("andon_remote_storage_samples_pending",
                        "The number of samples read from the WAL and not yet sent.", labels);
    auto shards = r.RegisterGauge("andon_remote_storage_shards",
                                  "The number of shards used for parallel sending to the remote "
                                  "storage.",
                                  labels);
    auto highest = r.RegisterGauge("andon_remote_storage_queue_highest_sent_timestamp_seconds",
                                   "Timestamp from a WAL sample, the highest timestamp "
                                   "successfully sent by this queue, in seconds since epoch.",
                                   labels);
    auto duration = r.RegisterHistogram("andon_remote_storage_sent_batch_duration_seconds",
                                        "Duration of send calls to the remote storage.", labels);
    for (const Status& s :
         {sent.status(), failed.status(), retried.status(), dropped.status(), pending.status(),
          shards.status(), highest.status(), duration.status()}) {
      if (!s.ok()) return s;
    }
    sent_ = &(*sent)->WithLabels({remote_name_, config_.url});
    failed_ = *failed;
    retried_ = &(*retried)->WithLabels({remote_name_, config_.url});
    dropped_relabel_ = &(*dropped)->WithLabels({remote_name_, config_.url, "write_relabel"});
    dropped_unknown_ = &(*dropped)->WithLabels({remote_name_, config_.url, "unknown_series"});
    pending_ = &(*pending)->WithLabels({remote_name_, config_.url});
    shards_gauge_ = &(*shards)->WithLabels({remote_name_, config_.url});
    highest_sent_ = &(*highest)->WithLabels({remote_name_, config_.url});
    duration_ = &(*duration)->WithLabels({remote_name_, config_.url});
    shards_gauge_->Set(static_cast<double>(shards_));
    return Status::Ok();
  }

  Status Start() {
    Result<uint64_t> pos = db_.OpenWalCursor(cursor_);
    if (!pos.ok()) return pos.status().WithContext("remote_write " + remote_name_);
    read_upto_ = *pos;
    LogInfo(kComponent, "starting remote write queue",
            {{"remote_name", remote_name_}, {"from_wal_seq", std::to_string(read_upto_ + 1)}});
    asio::post(strand_, [self = shared_from_this()] { self->Poll(); });
    return Status::Ok();
  }

  void Stop() {
    std::promise<void> stopped;
    asio::post(strand_, [this, &stopped] {
      stopping_ = true;
      poll_timer_.cancel();
      for (Shard& s : shard_state_) {
        if (s.timer) s.timer->cancel();
      }
      client_->Shutdown();
      stopped.set_value();
    });
    stopped.get_future().wait();
  }

 private:
  struct CachedSeries {
    enum class State { kSend, kRelabelDropped, kUnknown };
    State state = State::kUnknown;
    Labels labels;      // as sent (kSend)
    uint64_t seen = 0;  // segment number of the last use
  };
  struct Shard {
    std::vector<tsdb::WalSample> samples;
    size_t next = 0;       // first sample not yet acknowledged
    size_t batch_end = 0;  // end of the batch in flight
    std::string body;      // the batch in flight, encoded
    std::chrono::milliseconds backoff{0};
    std::unique_ptr<asio::steady_timer> timer;
  };

  void SchedulePoll(std::chrono::milliseconds delay) {
    poll_timer_.expires_after(delay);
    poll_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->Poll();
    });
  }

  void Poll() {
    if (stopping_) return;
    const uint64_t segment_limit = shards_ * std::max(config_.queue_config.capacity, max_per_send_);
    const uint64_t visible = db_.VisibleWalSeq();
    if (visible > read_upto_ && segment_.size() < segment_limit) {
      const uint64_t from = read_upto_ + 1;
      uint64_t first_seq = 0;
      Result<uint64_t> upto =
          db_.ReadWal(from, visible, segment_limit - segment_.size(),
                      [&](uint64_t seq, std::span<const tsdb::WalSample> samples) {
                        if (first_seq == 0) first_seq = seq;
                        segment_.insert(segment_.end(), samples.begin(), samples.end());
                        return Status::Ok();
                      });
      if (!upto.ok()) {
        LogError(kComponent, "reading the WAL failed",
                 {{"remote_name", remote_name_}, {"err", upto.status().message()}});
        SchedulePoll(std::chrono::seconds(1));
        return;
      }
      if (first_seq > from && db_.store().WalTruncatedUpto() >= from) {
        LogWarn(kComponent, "WAL records were truncated before they were sent",
                {{"remote_name", remote_name_},
                 {"from_seq", std::to_string(from)},
                 {"to_seq", std::to_string(first_seq - 1)}});
      }
      read_upto_ = *upto;
      if (!segment_.empty() && segment_started_ == Clock::time_point{}) {
        segment_started_ = Clock::now();
      }
    }
    pending_->Set(static_cast<double>(segment_.size()));
    if (segment_.empty()) {
      if (read_upto_ > acked_upto_) Finish();  // records with nothing in them: just advance
      SchedulePoll(options_.poll_interval);
      return;
    }
    const bool full = segment_.size() >= std::min(segment_limit, max_per_send_);
    const auto deadline = std::chrono::milliseconds(config_.queue_config.batch_send_deadline_ms);
    if (!full && Clock::now() - segment_started_ < deadline) {
      SchedulePoll(options_.poll_interval);
      return;
    }
    segment_full_ = segment_.size() >= segment_limit;
    Dispatch();
  }

  const CachedSeries& Lookup(uint64_t ref) {
    auto [it, inserted] = cache_.try_emplace(ref);
    CachedSeries& c = it->second;
    c.seen = segments_;
    if (!inserted) return c;
    Result<Labels> stored = db_.SeriesLabels(ref);
    if (!stored.ok() || stored->empty()) return c;  // kUnknown
    LabelsBuilder b(*stored);
    for (const auto& [name, value] : options_.external_labels) {
      if (b.Get(name).empty()) b.Set(name, value);
    }
    const bool keep =
        config_.write_relabel_configs.empty() || scrape::Relabel(config_.write_relabel_configs, b);
    if (keep) c.labels = b.Build();
    c.state = keep && !c.labels.empty() ? CachedSeries::State::kSend
                                        : CachedSeries::State::kRelabelDropped;
    return c;
  }

  void Dispatch() {
    ++segments_;
    shard_state_.resize(shards_);
    for (Shard& s : shard_state_) {
      s.samples.clear();
      s.next = s.batch_end = 0;
      s.backoff = std::chrono::milliseconds(0);
      if (!s.timer) s.timer = std::make_unique<asio::steady_timer>(strand_);
    }
    for (const tsdb::WalSample& sample : segment_) {
      switch (Lookup(sample.ref).state) {
        case CachedSeries::State::kSend:
          shard_state_[MixRef(sample.ref) % shards_].samples.push_back(sample);
          break;
        case CachedSeries::State::kRelabelDropped:
          dropped_relabel_->Inc();
          break;
        case CachedSeries::State::kUnknown:
          dropped_unknown_->Inc();
          break;
      }
    }
    if (segments_ % kCacheIdleSegments == 0) {
      std::erase_if(cache_,
                    [&](const auto& e) { return e.second.seen + kCacheIdleSegments <= segments_; });
    }
    active_shards_ = shard_state_.size();
    for (size_t i = 0; i < shard_state_.size(); ++i) SendNext(i);
  }

  void SendNext(size_t i) {
    Shard& s = shard_state_[i];
    if (s.next >= s.samples.size()) {
      if (--active_shards_ == 0) Finish();
      return;
    }
    s.batch_end = std::min<size_t>(s.samples.size(), s.next + max_per_send_);
    prompb::WriteRequest req;
    std::unordered_map<uint64_t, prompb::TimeSeries*> by_ref;
    for (size_t k = s.next; k < s.batch_end; ++k) {
      const tsdb::WalSample& sample = s.samples[k];
      auto [it, inserted] = by_ref.try_emplace(sample.ref, nullptr);
      if (inserted) {
        it->second = req.add_timeseries();
        for (const Label& l : cache_[sample.ref].labels) {
          prompb::Label* pl = it->second->add_labels();
          pl->set_name(std::string(l.name));
          pl->set_value(std::string(l.value));
        }
      }
      prompb::Sample* ps = it->second->add_samples();
      ps->set_value(sample.v);
      ps->set_timestamp(sample.t_ms);
    }
    s.body = EncodeWriteRequest(req);
    Post(i);
  }

  void Post(size_t i) {
    HttpRequest r;
    r.method = "POST";
    r.url = config_.url;
    r.body = shard_state_[i].body;
    r.timeout = std::chrono::milliseconds(config_.remote_timeout_ms);
    r.headers = {{"Content-Encoding", "snappy"},
                 {"Content-Type", "application/x-protobuf"},
                 {"X-Prometheus-Remote-Write-Version", std::string(kRemoteWriteVersion)}};
    for (const auto& [name, value] : config_.headers) r.headers.emplace_back(name, value);
    const auto start = Clock::now();
    client_->Do(std::move(r), [self = shared_from_this(), i, start](Result<HttpResponse> response) {
      asio::post(self->strand_, [self, i, start, response = std::move(response)] {
        self->OnResponse(i, start, response);
      });
    });
  }

  void OnResponse(size_t i, Clock::time_point start, const Result<HttpResponse>& response) {
    if (stopping_) return;
    Shard& s = shard_state_[i];
    const size_t n = s.batch_end - s.next;
    duration_->Observe(std::chrono::duration<double>(Clock::now() - start).count());
    const int code = response.ok() ? response->status : 0;
    if (code >= 200 && code < 300) {
      sent_->Inc(static_cast<double>(n));
      int64_t highest = 0;
      for (size_t k = s.next; k < s.batch_end; ++k) highest = std::max(highest, s.samples[k].t_ms);
      if (static_cast<double>(highest) / 1000 > highest_sent_->Value()) {
        highest_sent_->Set(static_cast<double>(highest) / 1000);
      }
      pending_->Sub(static_cast<double>(n));
      s.next = s.batch_end;
      s.backoff = std::chrono::milliseconds(0);
      SendNext(i);
      return;
    }
    const bool recoverable =
        code == 0 || code >= 500 || (code == 429 && config_.queue_config.retry_on_http_429);
    if (!recoverable) {
      failed_->WithLabels({remote_name_, config_.url, std::to_string(code)})
          .Inc(static_cast<double>(n));
      pending_->Sub(static_cast<double>(n));
      LogWarn(kComponent, "non-recoverable error, dropping the batch",
              {{"remote_name", remote_name_},
               {"url", config_.url},
               {"samples", std::to_string(n)},
               {"err", fmt::format("server returned HTTP status {}: {}", code,
                                   response->body.substr(0, 512))}});
      s.next = s.batch_end;
      SendNext(i);
      return;
    }
    retried_->Inc(static_cast<double>(n));
    const auto min_backoff = std::chrono::milliseconds(config_.queue_config.min_backoff_ms);
    const auto max_backoff = std::chrono::milliseconds(config_.queue_config.max_backoff_ms);
    s.backoff = std::clamp(s.backoff * 2, min_backoff, std::max(min_backoff, max_backoff));
    LogWarn(kComponent, "failed to send batch, retrying",
            {{"remote_name", remote_name_},
             {"url", config_.url},
             {"backoff", fmt::format("{}ms", s.backoff.count())},
             {"err", response.ok() ? fmt::format("server returned HTTP status {}", code)
                                   : response.status().message()}});
    s.timer->expires_after(s.backoff);
    s.timer->async_wait([self = shared_from_this(), i](const boost::system::error_code& ec) {
      if (!ec && !self->stopping_) self->Post(i);
    });
  }

  // Every shard finished the segment: the cursor moves past it.
  void Finish() {
    if (Status st = db_.AdvanceWalCursor(cursor_, read_upto_); !st.ok()) {
      LogError(kComponent, "cannot store the WAL cursor",
               {{"remote_name", remote_name_}, {"err", st.message()}});
    }
    acked_upto_ = read_upto_;
    const bool had_samples = !segment_.empty();
    const size_t per_shard = segment_.size() / shards_;
    segment_.clear();
    segment_started_ = Clock::time_point{};
    pending_->Set(0);
    if (!had_samples) return;
    if (segment_full_) {
      shards_ = std::min(shards_ * 2, max_shards_);
    } else if (per_shard < max_per_send_ / 2) {
      shards_ = std::max(shards_ / 2, min_shards_);
    }
    shards_gauge_->Set(static_cast<double>(shards_));
    asio::post(strand_, [self = shared_from_this()] { self->Poll(); });
  }

  asio::strand<asio::any_io_executor> strand_;
  Db& db_;
  const config::RemoteWriteConfig config_;
  const WriteQueueOptions options_;
  const std::string remote_name_, cursor_;
  std::unique_ptr<HttpClient> client_;
  asio::steady_timer poll_timer_;
  uint64_t max_per_send_, min_shards_, max_shards_, shards_;

  // On the strand only.
  bool stopping_ = false;
  uint64_t read_upto_ = 0;   // last WAL seq read into segment_
  uint64_t acked_upto_ = 0;  // last WAL seq the cursor was advanced to
  std::vector<tsdb::WalSample> segment_;
  Clock::time_point segment_started_{};
  bool segment_full_ = false;
  uint64_t segments_ = 0;
  std::unordered_map<uint64_t, CachedSeries> cache_;
  std::vector<Shard> shard_state_;
  size_t active_shards_ = 0;

  Counter* sent_ = nullptr;
  CounterFamily* failed_ = nullptr;
  Counter* retried_ = nullptr;
  Counter* dropped_relabel_ = nullptr;
  Counter* dropped_unknown_ = nullptr;
  Gauge* pending_ = nullptr;
  Gauge* shards_gauge_ = nullptr;
  Gauge* highest_sent_ = nullptr;
  Histogram* duration_ = nullptr;
};

Result<std::unique_ptr<WriteQueue>> WriteQueue::Create(asio::any_io_executor executor, Db& db,
                                                       config::RemoteWriteConfig config,
                                                       WriteQueueOptions options) {
  auto impl =
      std::make_shared<Impl>(std::move(executor), db, std::move(config), std::move(options));
  if (Status st = impl->Init(); !st.ok()) return st;
  return std::unique_ptr<WriteQueue>(new WriteQueue(std::move(impl)));
}

WriteQueue::WriteQueue(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

WriteQueue::~WriteQueue() { Stop(); }

Status WriteQueue::Start() { return impl_->Start(); }

void WriteQueue::Stop() {
  if (impl_ == nullptr) return;
  impl_->Stop();
  impl_.reset();
}

}  // namespace andon::remote
