// web/remote_write_api.h
//
// POST /api/v1/write: the Prometheus remote-write 1.0 receiver (see
// remote/write_request_codec.h for the body). Each request is one Appender transaction:
//   204  every sample appended and committed;
//   400  a malformed body (snappy or protobuf), a series with invalid labels, or a sample
//        that is out of order, a duplicate timestamp with another value or out of bounds
//        — the whole request is rolled back, as Prometheus 2.42 does, and the sender does
//        not retry it;
//   500  the storage failed (e.g. the commit could not reach the WAL): the sender retries.
// Errors are plain text, as Prometheus answers them. Staleness markers (the special NaN)
// are stored bit for bit. Metric metadata in the request is kept in memory, latest per
// metric family (Metadata()). Exemplars are accepted and dropped.
//
// When the receiver is disabled the route still exists and answers 404 naming the flag
// that enables it (Prometheus 2.42 answers the same way).
//
// Thread-safety: the handler runs on any server thread; Appenders come from a small pool,
// one per request in flight, so a steady stream allocates no Appender per request.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/metrics_registry.h"
#include "remote/write_request_codec.h"
#include "tsdb/appender.h"
#include "web/http_server.h"

namespace andon::web {

inline constexpr std::string_view kRemoteWriteDisabledMessage =
    "remote write receiver needs to be enabled with --web.enable-remote-write-receiver";

struct RemoteWriteOptions {
  bool enabled = false;
  size_t max_decoded_bytes = remote::kDefaultMaxDecodedBytes;
  // Registers andon_remote_write_* counters here when set. Not owned; must outlive the
  // receiver.
  MetricsRegistry* metrics = nullptr;
};

// One metric family's metadata as a remote-write sender described it.
struct RemoteWriteMetadata {
  std::string metric;
  std::string type;  // "counter", "gauge", ..., "unknown" (Prometheus's lower-case names)
  std::string help;
  std::string unit;
};

class RemoteWriteReceiver {
 public:
  using AppenderFactory = std::function<std::unique_ptr<Appender>()>;

  RemoteWriteReceiver(AppenderFactory appenders, RemoteWriteOptions options);
  RemoteWriteReceiver(const RemoteWriteReceiver&) = delete;
  RemoteWriteReceiver& operator=(const RemoteWriteReceiver&) = delete;

  void Handle(const HttpRequest& req, HttpResponse& res);
  // Sorted by metric family name.
  std::vector<RemoteWriteMetadata> Metadata() const;

 private:
  struct Counters {
    Counter* samples_received = nullptr;
    Counter* metadata_received = nullptr;
    CounterFamily* samples_rejected = nullptr;  // {reason}
  };
  // Appends every sample of `request`; returns the HTTP status and, on error, its message.
  int Append(const remote::prompb::WriteRequest& request, Appender& app, std::string& error);
  void StoreMetadata(const remote::prompb::WriteRequest& request);
  void Reject(std::string_view reason, uint64_t samples);
  std::unique_ptr<Appender> TakeAppender();
  void ReturnAppender(std::unique_ptr<Appender> app);

  AppenderFactory appenders_;
  RemoteWriteOptions options_;
  Counters counters_;

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Appender>> pool_;  // guarded by pool_mu_

  mutable std::mutex metadata_mu_;
  std::map<std::string, RemoteWriteMetadata, std::less<>> metadata_;  // guarded by metadata_mu_
};

// Routes POST /api/v1/write to a new receiver (or to the 404 refusal when
// !options.enabled). The receiver is shared with the route; keep the pointer to read its
// metadata.
std::shared_ptr<RemoteWriteReceiver> RegisterRemoteWriteApi(
    HttpServer& server, RemoteWriteReceiver::AppenderFactory appenders, RemoteWriteOptions options);

}  // namespace andon::web
