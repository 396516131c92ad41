// web/remote_write_api.cc: see remote_write_api.h.
#include "web/remote_write_api.h"

#include <google/protobuf/arena.h>

#include <string_view>
#include <utility>

#include "common/labels.h"
#include "common/logger.h"

namespace andon::web {
namespace {

using remote::prompb::MetricMetadata;
using remote::prompb::WriteRequest;

std::string_view TypeName(MetricMetadata::MetricType type) {
  switch (type) {
    case MetricMetadata::COUNTER:
      return "counter";
    case MetricMetadata::GAUGE:
      return "gauge";
    case MetricMetadata::HISTOGRAM:
      return "histogram";
    case MetricMetadata::GAUGEHISTOGRAM:
      return "gaugehistogram";
    case MetricMetadata::SUMMARY:
      return "summary";
    case MetricMetadata::INFO:
      return "info";
    case MetricMetadata::STATESET:
      return "stateset";
    default:
      return "unknown";
  }
}

// The rejected-sample reason label for an Append error, or "" for a storage failure.
std::string_view RejectReason(const Status& s) {
  if (s.message() == kErrOutOfOrderSample) return "out_of_order";
  if (s.message() == kErrDuplicateSampleForTimestamp) return "duplicate";
  if (s.message() == kErrOutOfBounds) return "out_of_bounds";
  if (s.message().starts_with(kErrSeriesLimitPerMetric)) return "series_limit";
  if (s.code() == Status::Code::kInvalidArgument) return "invalid_labels";
  return "";
}

// Per server thread: the decode buffer and the arena the request is parsed on, both
// reused so a steady stream allocates only when a request is larger than any before.
struct DecodeScratch {
  std::string uncompressed;
  google::protobuf::Arena arena;
  LabelsBuilder labels;
};

DecodeScratch& ThreadScratch() {
  thread_local DecodeScratch scratch;
  return scratch;
}

uint64_t SampleCount(const WriteRequest& request) {
  uint64_t n = 0;
  for (const auto& ts : request.timeseries()) n += ts.samples_size();
  return n;
}

}  // namespace

RemoteWriteReceiver::RemoteWriteReceiver(AppenderFactory appenders, RemoteWriteOptions options)
    : appenders_(std::move(appenders)), options_(options) {
  if (options_.metrics == nullptr) return;
  auto received = options_.metrics->RegisterCounter(
      "andon_remote_write_samples_received_total",
      "Samples received over remote write and committed to storage.");
  auto metadata =
      options_.metrics->RegisterCounter("andon_remote_write_metadata_received_total",
                                        "Metric metadata entries received over remote write.");
  auto rejected = options_.metrics->RegisterCounter(
      "andon_remote_write_samples_rejected_total",
      "Samples in remote-write requests answered 400 (rolled back), by reason.", {"reason"});
  if (!received.ok() || !metadata.ok() || !rejected.ok()) {
    LogWarn("remote_write", "self-metrics not registered",
            {{"err", (!received.ok()   ? received.status()
                      : !metadata.ok() ? metadata.status()
                                       : rejected.status())
                         .message()}});
    return;
  }
  counters_.samples_received = &(*received)->WithLabels({});
  counters_.metadata_received = &(*metadata)->WithLabels({});
  counters_.samples_rejected = *rejected;
  for (const char* reason :
       {"out_of_order", "duplicate", "out_of_bounds", "invalid_labels", "malformed_request"}) {
    counters_.samples_rejected->WithLabels({reason});
  }
}

void RemoteWriteReceiver::Handle(const HttpRequest& req, HttpResponse& res) {
  res.content_type = "text/plain; charset=utf-8";
  if (auto it = req.headers.find("content-encoding");
      it != req.headers.end() && !it->second.empty() && it->second != "snappy") {
    res.status = 400;
    res.body = "unsupported Content-Encoding \"" + it->second + "\", want snappy\n";
    Reject("malformed_request", 0);
    return;
  }
  DecodeScratch& scratch = ThreadScratch();
  auto* request = google::protobuf::Arena::CreateMessage<WriteRequest>(&scratch.arena);
  Status decoded = remote::DecodeWriteRequest(req.body, options_.max_decoded_bytes,
                                              scratch.uncompressed, *request);
  if (!decoded.ok()) {
    res.status = 400;
    res.body = decoded.message() + "\n";
    Reject("malformed_request", 0);
    scratch.arena.Reset();
    return;
  }

  std::unique_ptr<Appender> app = TakeAppender();
  std::string error;
  res.status = Append(*request, *app, error);
  if (res.status == 204) {
    StoreMetadata(*request);
  } else {
    res.body = error + "\n";
    LogWarn("remote_write", "request rejected",
            {{"status", std::to_string(res.status)}, {"err", error}});
  }
  ReturnAppender(std::move(app));
  scratch.arena.Reset();
}

int RemoteWriteReceiver::Append(const WriteRequest& request, Appender& app, std::string& error) {
  LabelsBuilder& builder = ThreadScratch().labels;
  uint64_t samples = 0;
  for (const auto& ts : request.timeseries()) {
    if (ts.samples_size() == 0) continue;
    builder.Clear();
    for (const auto& l : ts.labels()) {
      if (!builder.Get(l.name()).empty()) {
        app.Rollback();
        error = "invalid labels: duplicate label name \"" + l.name() + "\"";
        Reject("invalid_labels", SampleCount(request));
        return 400;
      }
      builder.Set(l.name(), l.value());
    }
    Labels labels = builder.Build();
    if (Status valid = labels.Validate(); !valid.ok()) {
      app.Rollback();
      error = "invalid labels: " + valid.message();
      Reject("invalid_labels", SampleCount(request));
      return 400;
    }
    SeriesRef ref = 0;
    for (const auto& s : ts.samples()) {
      Result<SeriesRef> appended = app.Append(ref, labels, s.timestamp(), s.value());
      if (!appended.ok()) {
        app.Rollback();
        const Status& st = appended.status();
        std::string_view reason = RejectReason(st);
        error = st.message() + " (series " + labels.ToString() + ", timestamp " +
                std::to_string(s.timestamp()) + ")";
        if (reason.empty()) return 500;
        Reject(reason, SampleCount(request));
        return 400;
      }
      ref = *appended;
    }
    samples += ts.samples_size();
  }
  if (Status s = app.Commit(); !s.ok()) {
    error = "commit: " + s.message();
    return 500;
  }
  if (counters_.samples_received != nullptr) counters_.samples_received->Inc(samples);
  return 204;
}

void RemoteWriteReceiver::StoreMetadata(const WriteRequest& request) {
  if (request.metadata_size() == 0) return;
  std::lock_guard lock(metadata_mu_);
  for (const MetricMetadata& md : request.metadata()) {
    if (md.metric_family_name().empty()) continue;
    auto it = metadata_.find(md.metric_family_name());
    if (it == metadata_.end()) {
      it = metadata_.emplace(md.metric_family_name(), RemoteWriteMetadata{}).first;
      it->second.metric = md.metric_family_name();
    }
    it->second.type = TypeName(md.type());
    it->second.help = md.help();
    it->second.unit = md.unit();
  }
  if (counters_.metadata_received != nullptr) {
    counters_.metadata_received->Inc(request.metadata_size());
  }
}

std::vector<RemoteWriteMetadata> RemoteWriteReceiver::Metadata() const {
  std::lock_guard lock(metadata_mu_);
  std::vector<RemoteWriteMetadata> out;
  out.reserve(metadata_.size());
  for (const auto& [name, md] : metadata_) out.push_back(md);
  return out;
}

void RemoteWriteReceiver::Reject(std::string_view reason, uint64_t samples) {
  if (counters_.samples_rejected == nullptr || samples == 0) return;
  counters_.samples_rejected->WithLabels({std::string(reason)}).Inc(samples);
}

std::unique_ptr<Appender> RemoteWriteReceiver::TakeAppender() {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      std::unique_ptr<Appender> app = std::move(pool_.back());
      pool_.pop_back();
      return app;
    }
  }
  return appenders_();
}

void RemoteWriteReceiver::ReturnAppender(std::unique_ptr<Appender> app) {
  std::lock_guard lock(pool_mu_);
  pool_.push_back(std::move(app));
}

std::shared_ptr<RemoteWriteReceiver> RegisterRemoteWriteApi(
    HttpServer& server, RemoteWriteReceiver::AppenderFactory appenders,
    RemoteWriteOptions options) {
  const bool enabled = options.enabled;
  if (!enabled) options.metrics = nullptr;  // no counters for a receiver that never runs
  auto receiver = std::make_shared<RemoteWriteReceiver>(std::move(appenders), options);
  if (!enabled) {
    server.Handle("/api/v1/write", {"POST"}, [](const HttpRequest&, HttpResponse& res) {
      res.status = 404;
      res.content_type = "text/plain; charset=utf-8";
      res.body = std::string(kRemoteWriteDisabledMessage) + "\n";
    });
    return receiver;
  }
  // On the io thread: decoding and appending a request is short CPU work, and a hand-off to
  // the handler pool and back costs about as much (bench/remote_write_compare).
  server.Handle(
      "/api/v1/write", {"POST"},
      [receiver](const HttpRequest& req, HttpResponse& res) { receiver->Handle(req, res); },
      HandlerThread::kIo);
  return receiver;
}

}  // namespace andon::web
