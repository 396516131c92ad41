// remote/write_queue.h
//
// WriteQueue: one `remote_write` target. It tails the TSDB's WAL from a named WAL cursor
// (Db::OpenWalCursor, "remote_write/<remote name>") and posts what it reads as remote-write
// 1.0 requests (remote/write_request_codec.h), so a receiver outage loses nothing while the
// WAL holds the data (DbOptions::wal_hold) and a restarted Andon resumes where it stopped.
//
// The loop, on a strand of the executor given at creation:
// - Read: WAL records after the cursor up to Db::VisibleWalSeq(), at most
//   shards x queue_config.capacity samples (one segment). A segment smaller than one full
//   batch waits up to batch_send_deadline for more.
// - Label: each series' stored labels, global external labels added (the series' own label
//   wins), then write_relabel_configs; cached per series ref. A dropped series or a ref
//   with no stored labels is counted in andon_remote_storage_samples_dropped_total{reason}.
// - Send: samples go to shards by series (so a series' samples stay in order); each shard
//   posts batches of max_samples_per_send in turn, all shards concurrently. 2xx: sent.
//   5xx, 429 (with retry_on_http_429) and transport errors: the same batch again after a
//   backoff doubling from min_backoff to max_backoff. Other 4xx: the batch is dropped,
//   counted in andon_remote_storage_samples_failed_total{code} and logged with the answer.
// - Advance: when every shard has finished, the cursor moves past the segment; at most one
//   segment is in flight, so a restart re-sends at most that one (receivers accept equal
//   duplicates). The shard count for the next segment doubles (up to max_shards) after a
//   full segment and halves (down to min_shards) after a small one.
//
// Metrics (Prometheus's prometheus_remote_storage_* under andon_, labels remote_name and
// url): samples_total, samples_failed_total{code}, samples_retried_total,
// samples_dropped_total{reason}, samples_pending, shards,
// queue_highest_sent_timestamp_seconds, sent_batch_duration_seconds.
//
// Threading: Start() and Stop() from one controlling thread. Stop() (also run by the
// destructor) cancels the request in flight, waits until no handler uses the Db any more
// and returns; the executor's io_context must keep running until then. The Db must
// outlive the queue.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "common/config.h"
#include "common/labels.h"
#include "common/metrics_registry.h"
#include "common/status.h"
#include "tsdb/db.h"

namespace andon::remote {

struct WriteQueueOptions {
  config::LabelMap external_labels;  // global.external_labels
  MetricsRegistry* registry = &MetricsRegistry::Default();
  // How often an idle queue looks for new WAL records.
  std::chrono::milliseconds poll_interval{200};
};

class WriteQueue {
 public:
  // The remote name: the config's `name`, else a short hash of its URL (as Prometheus
  // names unnamed queues). It keys the WAL cursor and the metrics.
  static std::string RemoteName(const config::RemoteWriteConfig& config);
  static std::string CursorName(const config::RemoteWriteConfig& config);

  // Fails when TLS files cannot be loaded or the metrics cannot be registered.
  static Result<std::unique_ptr<WriteQueue>> Create(boost::asio::any_io_executor executor, Db& db,
                                                    config::RemoteWriteConfig config,
                                                    WriteQueueOptions options = {});
  ~WriteQueue();
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Opens the WAL cursor and starts the loop.
  Status Start();
  void Stop();

 private:
  class Impl;
  explicit WriteQueue(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace andon::remote
