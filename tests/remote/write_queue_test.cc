// WriteQueue against a real Db in a temporary directory and a real loopback HTTP receiver
// that decodes every remote-write request: what arrives (labels, order, headers), what a
// failing receiver costs (retries for 5xx, counted drops for 4xx), and that a receiver
// outage across a restart of the sender loses nothing.
#include "remote/write_queue.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "remote/write_request_codec.h"
#include "tests/loopback_http_server.h"
#include "tests/wait_for.h"

namespace andon::remote {
namespace {

namespace asio = boost::asio;
using andon::testing::LoopbackHttpServer;
using andon::testing::TestReply;
using andon::testing::TestRequest;
using andon::testing::WaitFor;

// Decodes remote-write requests and keeps their samples by series ("{a="x", ...}").
class Receiver {
 public:
  Receiver() : server_([this](const TestRequest& req) { return Handle(req); }) {}

  // The status answered to the next `count` requests (then 200 again).
  void FailNext(int count, int status) {
    std::lock_guard lock(mu_);
    fail_count_ = count;
    fail_status_ = status;
  }
  std::map<std::string, std::vector<std::pair<int64_t, double>>> samples() const {
    std::lock_guard lock(mu_);
    return samples_;
  }
  size_t total() const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& [s, v] : samples_) n += v.size();
    return n;
  }
  std::string Url() const { return server_.Url("/api/v1/write"); }
  TestRequest last_request() const { return server_.last_request(); }
  int requests() const { return server_.requests(); }

 private:
  TestReply Handle(const TestRequest& req) {
    std::lock_guard lock(mu_);
    if (fail_count_ > 0) {
      --fail_count_;
      return TestReply{.status = fail_status_, .body = "refused for the test"};
    }
    prompb::WriteRequest wr;
    std::string scratch;
    if (Status st = DecodeWriteRequest(req.body, kDefaultMaxDecodedBytes, scratch, wr); !st.ok()) {
      return TestReply{.status = 400, .body = st.message()};
    }
    for (const prompb::TimeSeries& ts : wr.timeseries()) {
      std::string key = "{";
      for (const prompb::Label& l : ts.labels()) {
        if (key.size() > 1) key += ", ";
        key += l.name() + "=\"" + l.value() + "\"";
      }
      key += "}";
      for (const prompb::Sample& s : ts.samples()) {
        samples_[key].emplace_back(s.timestamp(), s.value());
      }
    }
    return TestReply{.status = 204};
  }

  mutable std::mutex mu_;
  int fail_count_ = 0;
  int fail_status_ = 0;
  std::map<std::string, std::vector<std::pair<int64_t, double>>> samples_;
  LoopbackHttpServer server_;  // last: stops before the state its handler uses
};

class WriteQueueTest : public ::testing::Test {
 protected:
  WriteQueueTest() : work_(ioc_.get_executor()), thread_([this] { ioc_.run(); }) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "andon-rw-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    OpenDb();
  }
  ~WriteQueueTest() override {
    queue_.reset();
    db_.reset();
    work_.reset();
    thread_.join();
    std::filesystem::remove_all(dir_);
  }

  void OpenDb() {
    DbOptions o;
    o.background = false;
    auto db = Db::Open(dir_ + "/data", o);
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(*db);
  }

  config::RemoteWriteConfig Config() const {
    config::RemoteWriteConfig c;
    c.url = receiver_.Url();
    c.name = "test";
    c.queue_config.batch_send_deadline_ms = 50;
    c.queue_config.max_samples_per_send = 100;
    c.queue_config.min_backoff_ms = 10;
    c.queue_config.max_backoff_ms = 50;
    return c;
  }

  void StartQueue(config::RemoteWriteConfig c, config::LabelMap external = {}) {
    WriteQueueOptions o;
    o.registry = &registry_;
    o.external_labels = std::move(external);
    o.poll_interval = std::chrono::milliseconds(20);
    auto q = WriteQueue::Create(ioc_.get_executor(), *db_, std::move(c), o);
    ASSERT_TRUE(q.ok()) << q.status().message();
    queue_ = std::move(*q);
    ASSERT_TRUE(queue_->Start().ok());
  }

  // `n` samples of each series (value = t / 1000) in one commit, so one WAL record: the
  // queue sees all of them or none.
  void Append(const std::vector<Labels>& series, int64_t t0, int n) {
    auto app = db_->NewAppender();
    for (int i = 0; i < n; ++i) {
      const int64_t t = t0 + i * 1000;
      for (const Labels& l : series) ASSERT_TRUE(app->Append(0, l, t, t / 1000.0).ok());
    }
    ASSERT_TRUE(app->Commit().ok());
  }

  double Metric(const std::string& name, const std::string& label_value = "") const {
    for (const FamilySnapshot& f : registry_.Gather()) {
      if (f.name != name) continue;
      double sum = 0;
      for (const MetricSnapshot& m : f.metrics) {
        bool match = label_value.empty();
        for (const auto& v : m.label_values) match = match || v == label_value;
        if (match) sum += m.value;
      }
      return sum;
    }
    return 0;
  }

  std::string dir_;
  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  MetricsRegistry registry_;
  Receiver receiver_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<WriteQueue> queue_;
};

const Labels kUp{{"__name__", "up"}, {"job", "node"}};
const Labels kLoad{{"__name__", "node_load1"}, {"job", "node"}};
const Labels kDebug{{"__name__", "debug_only"}, {"job", "node"}};

TEST_F(WriteQueueTest, SendsNewSamplesInOrderWithExternalLabelsAndWriteRelabeling) {
  Append({kUp}, 1'000'000, 5);  // before the queue existed: not sent
  config::RemoteWriteConfig c = Config();
  config::RelabelConfig drop;
  drop.action = config::RelabelAction::kDrop;
  drop.source_labels = {"__name__"};
  drop.regex = "debug_.*";
  drop.compiled = std::make_shared<re2::RE2>("^(?:debug_.*)$");
  c.write_relabel_configs.push_back(drop);
  c.headers = {{"X-Scope-OrgID", "team-a"}};
  StartQueue(c, {{"cluster", "eu-1"}, {"job", "ignored"}});
  Append({kUp, kLoad, kDebug}, 2'000'000, 250);

  ASSERT_TRUE(WaitFor([&] { return receiver_.total() >= 500; })) << receiver_.total();
  auto got = receiver_.samples();
  ASSERT_EQ(got.size(), 2u);
  // The series' own job wins over the external label; cluster is added.
  const auto& up = got["{__name__=\"up\", cluster=\"eu-1\", job=\"node\"}"];
  const auto& load = got["{__name__=\"node_load1\", cluster=\"eu-1\", job=\"node\"}"];
  ASSERT_EQ(up.size(), 250u);
  ASSERT_EQ(load.size(), 250u);
  for (int i = 0; i < 250; ++i) {
    EXPECT_EQ(up[i].first, 2'000'000 + i * 1000);
    EXPECT_EQ(up[i].second, 2000.0 + i);
  }
  TestRequest last = receiver_.last_request();
  EXPECT_EQ(last.headers["content-encoding"], "snappy");
  EXPECT_EQ(last.headers["content-type"], "application/x-protobuf");
  EXPECT_EQ(last.headers["x-prometheus-remote-write-version"], "0.1.0");
  EXPECT_EQ(last.headers["x-scope-orgid"], "team-a");
  EXPECT_TRUE(WaitFor([&] { return Metric("andon_remote_storage_samples_total") == 500; }));
  EXPECT_EQ(Metric("andon_remote_storage_samples_dropped_total", "write_relabel"), 250);
  EXPECT_EQ(Metric("andon_remote_storage_queue_highest_sent_timestamp_seconds"), 2249);
  EXPECT_EQ(Metric("andon_remote_storage_samples_pending"), 0);
}

TEST_F(WriteQueueTest, RetriesServerErrorsAndDropsClientErrorsCountingThem) {
  StartQueue(Config());
  receiver_.FailNext(3, 503);
  Append({kUp}, 1'000'000, 50);
  ASSERT_TRUE(WaitFor([&] { return receiver_.total() == 50; })) << receiver_.total();
  EXPECT_EQ(receiver_.samples().begin()->second.front().first, 1'000'000);
  EXPECT_GE(Metric("andon_remote_storage_samples_retried_total"), 3 * 1);
  EXPECT_EQ(Metric("andon_remote_storage_samples_failed_total"), 0);

  // A 400 is not retried: the batch is dropped, counted with its code, and later samples
  // still go out.
  const int before = receiver_.requests();
  receiver_.FailNext(1, 400);
  Append({kUp}, 2'000'000, 10);
  ASSERT_TRUE(
      WaitFor([&] { return Metric("andon_remote_storage_samples_failed_total", "400") == 10; }));
  EXPECT_EQ(receiver_.requests(), before + 1);
  Append({kUp}, 3'000'000, 10);
  ASSERT_TRUE(WaitFor([&] { return receiver_.total() == 60; })) << receiver_.total();
}

// Tried: the receiver refuses everything (503) while samples are appended, a checkpoint
// runs, and the sender (queue and Db) stops and restarts. What must survive: every sample,
// delivered once the receiver is back, and the WAL records after the cursor.
TEST_F(WriteQueueTest, AReceiverOutageAcrossASenderRestartLosesNothing) {
  StartQueue(Config());
  receiver_.FailNext(1'000'000, 503);
  Append({kUp, kLoad}, 1'000'000, 100);
  ASSERT_TRUE(WaitFor([&] { return receiver_.requests() >= 2; }));
  ASSERT_TRUE(db_->Checkpoint().ok());
  queue_.reset();
  ASSERT_TRUE(db_->Close().ok());
  db_.reset();

  OpenDb();
  StartQueue(Config());
  Append({kUp, kLoad}, 2'000'000, 20);
  receiver_.FailNext(0, 0);
  ASSERT_TRUE(WaitFor([&] { return receiver_.total() >= 240; })) << receiver_.total();
  auto got = receiver_.samples();
  ASSERT_EQ(got.size(), 2u);
  for (const auto& [series, samples] : got) {
    ASSERT_EQ(samples.size(), 120u) << series;
    EXPECT_EQ(samples.front().first, 1'000'000) << series;
    EXPECT_EQ(samples.back().first, 2'019'000) << series;
  }
  // Delivered: the cursor releases the WAL.
  ASSERT_TRUE(WaitFor([&] { return Metric("andon_remote_storage_samples_total") == 240; }));
  ASSERT_TRUE(db_->Checkpoint().ok());
  EXPECT_EQ(db_->Stats().wal_truncated_upto, db_->VisibleWalSeq());
}

}  // namespace
}  // namespace andon::remote
