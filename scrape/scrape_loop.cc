#include "scrape/scrape_loop.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <cmath>

#include "common/logger.h"
#include "scrape/content_type.h"
#include "scrape/relabel.h"
#include "tsdb/sample.h"

namespace andon::scrape {
namespace {

namespace asio = boost::asio;

constexpr std::array<std::string_view, 5> kReportNames = {
    "up", "scrape_duration_seconds", "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling", "scrape_series_added"};

// Cache entries unseen for this many scrapes are forgotten (their series may come back
// later; they are then simply looked up again).
constexpr uint64_t kCacheEvictAfter = 10;

bool IsSkippableAppendError(const Status& s) {
  const std::string& m = s.message();
  return m.find(kErrOutOfOrderSample) != std::string::npos ||
         m.find(kErrDuplicateSampleForTimestamp) != std::string::npos ||
         m.find(kErrOutOfBounds) != std::string::npos || m.starts_with(kErrSeriesLimitPerMetric);
}

std::string Truncate(std::string_view s, size_t n) { return std::string(s.substr(0, n)); }

int64_t WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// ---------------------------------------------------------------------------------------
// ScrapeIngester

ScrapeIngester::ScrapeIngester(const config::ScrapeConfig& config, Labels target_labels)
    : config_(config), target_labels_(std::move(target_labels)) {}

Status ScrapeIngester::NewEntry(const ExpositionParser& p, Entry* e) {
  builder_.Clear();
  p.DecodeLabels(&scratch_);
  for (const LabelPair& lp : scratch_.labels()) builder_.Set(lp.name, lp.value);
  builder_.Set(kMetricNameLabel, p.metric_name());
  if (config_.honor_labels) {
    for (const Label& l : target_labels_) {
      if (builder_.Get(l.name).empty()) builder_.Set(l.name, l.value);
    }
  } else {
    for (const Label& l : target_labels_) {
      std::string_view scraped = builder_.Get(l.name);
      if (!scraped.empty()) {
        std::string value(scraped);
        name_scratch_ = "exported_";
        name_scratch_.append(l.name);
        while (!builder_.Get(name_scratch_).empty()) name_scratch_.insert(0, "exported_");
        builder_.Set(name_scratch_, value);
      }
      builder_.Set(l.name, l.value);
    }
  }
  if (!Relabel(config_.metric_relabel_configs, builder_)) {
    e->dropped = true;
    return Status::Ok();
  }
  Labels ls = builder_.Build();
  if (ls.MetricName().empty() || !ls.Validate().ok()) {
    return Status::InvalidArgument("invalid metric name or label names: " + ls.ToString());
  }
  std::string_view metric = ls.MetricName();
  if (config_.label_limit > 0) {
    size_t n = ls.size();
    if (n > config_.label_limit) {
      return Status::ResourceExhausted("label_limit exceeded (metric: " + Truncate(metric, 50) +
                                       ", number of labels: " + std::to_string(n) +
                                       ", limit: " + std::to_string(config_.label_limit) + ")");
    }
  }
  if (config_.label_name_length_limit > 0 || config_.label_value_length_limit > 0) {
    for (const Label& l : ls) {
      if (config_.label_name_length_limit > 0 && l.name.size() > config_.label_name_length_limit) {
        return Status::ResourceExhausted(
            "label_name_length_limit exceeded (metric: " + Truncate(metric, 50) +
            ", label name: " + Truncate(l.name, 50) + ", length: " + std::to_string(l.name.size()) +
            ", limit: " + std::to_string(config_.label_name_length_limit) + ")");
      }
      if (config_.label_value_length_limit > 0 &&
          l.value.size() > config_.label_value_length_limit) {
        return Status::ResourceExhausted(
            "label_value_length_limit exceeded (metric: " + Truncate(metric, 50) +
            ", label name: " + Truncate(l.name, 50) + ", value: " +
            QuoteLabelValue(l.value.substr(0, 50)) + ", length: " + std::to_string(l.value.size()) +
            ", limit: " + std::to_string(config_.label_value_length_limit) + ")");
      }
    }
  }
  e->labels = std::move(ls);
  return Status::Ok();
}

void ScrapeIngester::RecordMetadata(const ExpositionParser& p, ExpositionEntry kind) {
  // Only this thread writes meta_ (under meta_mu_), so it reads it without the lock; the
  // lock is taken only to change it, which after the first scrape is rare.
  auto it = meta_.find(p.metadata_name());
  if (it == meta_.end()) {
    std::lock_guard lock(meta_mu_);
    it = meta_.emplace(std::string(p.metadata_name()), Meta{}).first;
  }
  Meta& m = it->second;
  if (kind == ExpositionEntry::kType) {
    if (m.type == p.type()) return;
    std::lock_guard lock(meta_mu_);
    m.type = p.type();
  } else if (kind == ExpositionEntry::kHelp) {
    std::string_view help = p.help(&help_scratch_);
    if (m.help == help) return;
    std::lock_guard lock(meta_mu_);
    m.help.assign(help);
  } else {
    if (m.unit == p.unit()) return;
    std::lock_guard lock(meta_mu_);
    m.unit.assign(p.unit());
  }
}

std::vector<MetricMetadata> ScrapeIngester::Metadata() const {
  std::lock_guard lock(meta_mu_);
  std::vector<MetricMetadata> out;
  out.reserve(meta_.size());
  for (const auto& [name, m] : meta_) {
    out.push_back({name, std::string(MetricTypeName(m.type)), m.help, m.unit});
  }
  return out;
}

Result<IngestStats> ScrapeIngester::Ingest(std::string_view content_type, std::string_view body,
                                           int64_t t_ms, Appender& app) {
  ++iter_;
  cur_seen_.clear();
  next_order_.clear();
  ExpositionParser* p;
  if (FormatFromContentType(content_type) == ExpositionFormat::kOpenMetrics) {
    om_parser_.Reset(body);
    p = &om_parser_;
  } else {
    text_parser_.Reset(body);
    p = &text_parser_;
  }
  // order_ was built from series() of this parser: its keys may serve as hints (a key of the
  // other format may not, its bytes were validated under other rules).
  const bool hint = p == order_parser_;
  IngestStats st;
  while (true) {
    if (hint && st.scraped < order_.size()) {
      // The cache is cold between scrapes: request the entries of the lines ahead (4 lines
      // ahead the entry, 2 ahead its key, which by then is cached) before they are compared.
      if (st.scraped + 4 < order_.size()) __builtin_prefetch(order_[st.scraped + 4]);
      if (st.scraped + 2 < order_.size()) __builtin_prefetch(order_[st.scraped + 2]->key.data());
      p->HintSeries(order_[st.scraped]->key);
    }
    const ExpositionEntry kind = p->Next();
    if (kind == ExpositionEntry::kEof) break;
    if (kind == ExpositionEntry::kError) return Status::InvalidArgument(p->status().message());
    if (kind != ExpositionEntry::kSeries) {
      if (kind == ExpositionEntry::kType || kind == ExpositionEntry::kHelp ||
          kind == ExpositionEntry::kUnit) {
        RecordMetadata(*p, kind);
      }
      continue;
    }
    const size_t line = st.scraped++;
    const std::string_view series = p->series();
    Entry* found = line < order_.size() && (p->series_matched_hint() || order_[line]->key == series)
                       ? order_[line]
                       : nullptr;
    if (found == nullptr) {
      auto it = cache_.find(series);
      if (it == cache_.end()) {
        Entry fresh;
        if (Status s = NewEntry(*p, &fresh); !s.ok()) return s;
        it = cache_.emplace(std::string(series), std::move(fresh)).first;
        it->second.key = it->first;
      }
      found = &it->second;
    }
    next_order_.push_back(found);
    Entry& e = *found;
    bool first_this_scrape = e.seen_iter != iter_;
    e.seen_iter = iter_;
    if (e.dropped) continue;
    ++st.post_relabeling;
    if (config_.sample_limit > 0 && st.post_relabeling > config_.sample_limit) {
      return Status::ResourceExhausted(std::string(kErrSampleLimitExceeded));
    }
    std::optional<int64_t> ts = p->timestamp_ms();
    bool explicit_ts = config_.honor_timestamps && ts.has_value();
    Result<SeriesRef> ref = app.Append(e.ref, e.labels, explicit_ts ? *ts : t_ms, p->value());
    if (!ref.ok()) {
      if (!IsSkippableAppendError(ref.status())) return ref.status();
      ++st.append_errors;
      continue;
    }
    if (e.ref == 0) ++st.series_added;
    e.ref = *ref;
    if (!explicit_ts && first_this_scrape) cur_seen_.push_back(&e);
  }
  for (Entry* e : prev_seen_) {
    if (e->seen_iter != iter_) {
      Result<SeriesRef> ref = app.Append(e->ref, e->labels, t_ms, kStaleNaN);
      if (ref.ok()) e->ref = *ref;
    }
  }
  prev_seen_.swap(cur_seen_);
  cur_seen_.clear();
  order_.swap(next_order_);
  order_parser_ = p;
  if (iter_ % kCacheEvictAfter == 0) Evict();
  return st;
}

void ScrapeIngester::AppendFailure(int64_t t_ms, Appender& app) {
  for (Entry* e : prev_seen_) {
    Result<SeriesRef> ref = app.Append(e->ref, e->labels, t_ms, kStaleNaN);
    if (ref.ok()) e->ref = *ref;
  }
  prev_seen_.clear();
  cur_seen_.clear();
}

void ScrapeIngester::Evict() {
  // Called right after a successful scrape replaced order_ and prev_seen_: every entry in
  // them was seen in the current iteration and is kept, so both stay valid.
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (iter_ - it->second.seen_iter > kCacheEvictAfter) {
      it = cache_.erase(it);
    } else {
      ++it;
    }
  }
}

// ---------------------------------------------------------------------------------------
// ScrapeLimitCounters

ScrapeLimitCounters ScrapeLimitCounters::Register(MetricsRegistry* registry) {
  ScrapeLimitCounters out;
  if (registry == nullptr) return out;
  auto counter = [registry](std::string_view name, std::string_view help) -> Counter* {
    auto family = registry->RegisterCounter(name, help, {});
    return family.ok() ? &(*family)->WithLabels({}) : nullptr;
  };
  out.sample_limit = counter("andon_target_scrapes_exceeded_sample_limit_total",
                             "Scrapes that hit the sample limit and were rejected.");
  out.label_limits = counter("andon_target_scrapes_exceeded_label_limits_total",
                             "Scrapes that hit a label limit (label_limit, "
                             "label_name_length_limit, label_value_length_limit) and were "
                             "rejected.");
  out.body_size_limit = counter("andon_target_scrapes_exceeded_body_size_limit_total",
                                "Scrapes that hit the body size limit and were rejected.");
  return out;
}

void ScrapeLimitCounters::Count(const Status& failure) const {
  if (failure.code() != Status::Code::kResourceExhausted) return;
  const std::string& m = failure.message();
  Counter* hit = nullptr;
  if (m == kErrSampleLimitExceeded) {
    hit = sample_limit;
  } else if (m.starts_with("label_limit exceeded") ||
             m.starts_with("label_name_length_limit exceeded") ||
             m.starts_with("label_value_length_limit exceeded")) {
    hit = label_limits;
  } else if (m.find(kBodySizeLimitExceeded) != std::string::npos) {
    hit = body_size_limit;
  }
  if (hit != nullptr) hit->Inc();
}

// ---------------------------------------------------------------------------------------
// ScrapeLoop

std::chrono::milliseconds ScrapeOffset(uint64_t target_hash, int64_t interval_ms, int64_t now_ms) {
  if (interval_ms <= 0) return std::chrono::milliseconds(0);
  uint64_t interval = static_cast<uint64_t>(interval_ms);
  uint64_t base = interval - static_cast<uint64_t>(now_ms) % interval;
  uint64_t offset = target_hash % interval;
  uint64_t next = base + offset;
  if (next > interval) next -= interval;
  return std::chrono::milliseconds(static_cast<int64_t>(next));
}

Result<std::shared_ptr<ScrapeLoop>> ScrapeLoop::Create(
    asio::any_io_executor executor, std::shared_ptr<const config::ScrapeConfig> config,
    TargetLabels target, AppenderFactory appenders, ScrapeLimitCounters limits) {
  if (target.interval_ms <= 0 || target.timeout_ms <= 0) {
    return Status::InvalidArgument("scrape interval and timeout must be positive");
  }
  return std::shared_ptr<ScrapeLoop>(new ScrapeLoop(
      std::move(executor), std::move(config), std::move(target), std::move(appenders), limits));
}

ScrapeLoop::ScrapeLoop(asio::any_io_executor executor,
                       std::shared_ptr<const config::ScrapeConfig> config, TargetLabels target,
                       AppenderFactory appenders, ScrapeLimitCounters limits)
    : executor_(std::move(executor)),
      config_(std::move(config)),
      target_(std::move(target)),
      appenders_(std::move(appenders)),
      limits_(limits),
      hash_(target_.labels.Hash() ^ Hash64(target_.url.data(), target_.url.size())),
      timer_(executor_),
      ingester_(*config_, target_.labels) {
  for (size_t i = 0; i < kReportNames.size(); ++i) {
    LabelsBuilder b(target_.labels);
    b.Set(kMetricNameLabel, kReportNames[i]);
    report_labels_[i] = b.Build();
  }
}

ScrapeLoop::~ScrapeLoop() = default;

void ScrapeLoop::Start() {
  asio::post(executor_, [self = shared_from_this()] {
    if (self->stopping_) return;
    auto client =
        ScrapeClient::Create(self->executor_, self->target_.url, self->config_->http_client,
                             self->config_->body_size_limit_bytes);
    if (client.ok()) {
      self->client_ = std::move(client).value();
    } else {
      std::lock_guard lock(self->health_mu_);
      self->health_.last_error = client.status().message();
    }
    self->next_ = std::chrono::steady_clock::now() +
                  ScrapeOffset(self->hash_, self->target_.interval_ms, WallNowMs());
    self->Schedule();
  });
}

void ScrapeLoop::Schedule() {
  timer_.expires_at(next_);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code&) {
    if (self->stopping_) return;
    self->RunScrape();
  });
}

void ScrapeLoop::RunScrape() {
  auto started = std::chrono::steady_clock::now();
  int64_t start_ms = WallNowMs();
  if (!client_) {
    std::string err;
    {
      std::lock_guard lock(health_mu_);
      err = health_.last_error;
    }
    OnScraped(Status::InvalidArgument(err), started, start_ms);
    return;
  }
  in_flight_ = true;
  client_->Scrape(std::chrono::milliseconds(target_.timeout_ms),
                  [self = shared_from_this(), started, start_ms](Status s) {
                    self->in_flight_ = false;
                    self->OnScraped(std::move(s), started, start_ms);
                  });
}

void ScrapeLoop::AppendReport(Appender& app, int64_t t_ms, double up, double duration,
                              const IngestStats& stats, bool stale) {
  const double values[5] = {up, duration, static_cast<double>(stats.scraped),
                            static_cast<double>(stats.post_relabeling),
                            static_cast<double>(stats.series_added)};
  for (size_t i = 0; i < report_refs_.size(); ++i) {
    Result<SeriesRef> ref =
        app.Append(report_refs_[i], report_labels_[i], t_ms, stale ? kStaleNaN : values[i]);
    if (ref.ok()) report_refs_[i] = *ref;
  }
}

void ScrapeLoop::OnScraped(Status s, std::chrono::steady_clock::time_point started,
                           int64_t start_ms) {
  if (stopping_) {
    Finish();
    return;
  }
  if (!app_) app_ = appenders_();
  IngestStats stats;
  if (s.ok()) {
    Result<IngestStats> r =
        ingester_.Ingest(client_->content_type(), client_->body(), start_ms, *app_);
    if (r.ok()) {
      stats = *r;
    } else {
      s = r.status();
      app_->Rollback();
    }
  }
  double duration =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!s.ok()) {
    stats = IngestStats();
    ingester_.AppendFailure(start_ms, *app_);
    limits_.Count(s);
  }
  AppendReport(*app_, start_ms, s.ok() ? 1 : 0, duration, stats, false);
  if (Status c = app_->Commit(); !c.ok()) {
    LogWarn("scrape", "appending scrape report failed",
            {{"target", target_.url}, {"err", c.message()}});
    if (s.ok()) s = c;
  }
  last_t_ms_ = start_ms;
  if (!s.ok()) {
    LogDebug("scrape", "scrape failed",
             {{"scrape_pool", config_->job_name}, {"target", target_.url}, {"err", s.message()}});
  }
  {
    std::lock_guard lock(health_mu_);
    health_.health = s.ok() ? "up" : "down";
    health_.last_error = s.ok() ? std::string() : s.message();
    health_.last_scrape_ms = start_ms;
    health_.last_scrape_duration_seconds = duration;
    health_.last_samples = stats.scraped;
  }
  auto interval = std::chrono::milliseconds(target_.interval_ms);
  next_ += interval;
  auto now = std::chrono::steady_clock::now();
  if (next_ <= now) {  // missed ticks are skipped, as a Go ticker does
    next_ += interval * ((now - next_) / interval + 1);
  }
  Schedule();
}

void ScrapeLoop::Stop(bool stale_markers, std::function<void()> on_stopped) {
  asio::post(executor_, [self = shared_from_this(), stale_markers,
                         on_stopped = std::move(on_stopped)]() mutable {
    if (self->finished_) {
      if (on_stopped) on_stopped();
      return;
    }
    if (on_stopped) self->on_stopped_.push_back(std::move(on_stopped));
    if (self->stopping_) return;
    self->stopping_ = true;
    self->stale_on_stop_ = stale_markers;
    self->timer_.cancel();
    if (self->client_) self->client_->Close();
    if (!self->in_flight_) self->Finish();
  });
}

void ScrapeLoop::Finish() {
  if (finished_) return;
  finished_ = true;
  if (stale_on_stop_ && last_t_ms_ > 0) {
    if (!app_) app_ = appenders_();
    int64_t t = std::max(WallNowMs(), last_t_ms_ + 1);
    ingester_.AppendFailure(t, *app_);
    AppendReport(*app_, t, 0, 0, IngestStats(), true);
    if (Status c = app_->Commit(); !c.ok()) {
      LogWarn("scrape", "appending staleness markers failed",
              {{"target", target_.url}, {"err", c.message()}});
    }
  }
  app_.reset();
  client_.reset();
  auto callbacks = std::move(on_stopped_);
  for (auto& cb : callbacks) cb();
}

TargetHealth ScrapeLoop::Health() const {
  std::lock_guard lock(health_mu_);
  return health_;
}

}  // namespace andon::scrape
