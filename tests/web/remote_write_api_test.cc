#include "web/remote_write_api.h"

#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/metrics_registry.h"
#include "common/text_exposition_writer.h"
#include "remote/write_request_codec.h"
#include "tests/integration/andon_process.h"
#include "tests/stored_samples.h"
#include "tsdb/db.h"

namespace andon::web {
namespace {

using andon::testing::HttpRequestTo;
using andon::testing::HttpResult;
using andon::testing::StoredSamples;

// Builds WriteRequests: Series({{"__name__","up"}}, {{1000, 1}, ...}).
class RequestBuilder {
 public:
  RequestBuilder& Series(std::vector<std::pair<std::string, std::string>> labels,
                         std::vector<std::pair<int64_t, double>> samples) {
    auto* ts = req_.add_timeseries();
    for (auto& [n, v] : labels) {
      auto* l = ts->add_labels();
      l->set_name(n);
      l->set_value(v);
    }
    for (auto [t, v] : samples) {
      auto* s = ts->add_samples();
      s->set_timestamp(t);
      s->set_value(v);
    }
    return *this;
  }
  RequestBuilder& Metadata(const std::string& name, remote::prompb::MetricMetadata::MetricType type,
                           const std::string& help) {
    auto* md = req_.add_metadata();
    md->set_metric_family_name(name);
    md->set_type(type);
    md->set_help(help);
    return *this;
  }
  std::string Body() const { return remote::EncodeWriteRequest(req_); }

 private:
  remote::prompb::WriteRequest req_;
};

// A real Db in a temp dir behind a real HttpServer with the receiver enabled.
class RemoteWriteApiTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(true); }
  void Start(bool enabled) {
    dir_ = andon::testing::MakeTempDir("andon-remote-write-");
    auto db = Db::Open((dir_ / "data").string(), DbOptions{.background = false});
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(db).value();
    server_ = std::make_unique<HttpServer>(HttpServerOptions{.listen_address = "127.0.0.1:0"});
    receiver_ = RegisterRemoteWriteApi(*server_, [this] { return db_->NewAppender(); },
                                       {.enabled = enabled, .metrics = &registry_});
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    server_->Stop();
    (void)db_->Close();
    std::filesystem::remove_all(dir_);
  }

  HttpResult Post(const std::string& body) {
    return HttpRequestTo(
        server_->port(), "POST", "/api/v1/write", body, "application/x-protobuf",
        {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "0.1.0"}});
  }
  std::vector<Sample> Stored(const std::string& name) {
    auto q = db_->NewQuerier();
    return StoredSamples(*q, {{"__name__", name}});
  }
  std::string Metrics() { return TextExposition(registry_.Gather()); }

  MetricsRegistry registry_;
  std::filesystem::path dir_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<HttpServer> server_;
  std::shared_ptr<RemoteWriteReceiver> receiver_;
};

TEST_F(RemoteWriteApiTest, StoresSamplesStalenessMarkersAndMetadata) {
  const double stale = std::bit_cast<double>(kStaleNaNBits);
  HttpResult r =
      Post(RequestBuilder()
               .Series({{"__name__", "up"}, {"job", "api"}}, {{1000, 1}, {2000, stale}})
               .Series({{"__name__", "reqs_total"}, {"code", "200"}}, {{1500, 7.25}})
               .Metadata("reqs_total", remote::prompb::MetricMetadata::COUNTER, "Requests.")
               .Body());
  ASSERT_EQ(r.status, 204) << r.body;
  std::vector<Sample> up = Stored("up");
  ASSERT_EQ(up.size(), 2u);
  EXPECT_EQ(up[0].t, 1000);
  EXPECT_EQ(up[0].v, 1);
  EXPECT_EQ(up[1].t, 2000);
  EXPECT_EQ(std::bit_cast<uint64_t>(up[1].v), kStaleNaNBits);
  std::vector<Sample> reqs = Stored("reqs_total");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].v, 7.25);

  std::vector<RemoteWriteMetadata> md = receiver_->Metadata();
  ASSERT_EQ(md.size(), 1u);
  EXPECT_EQ(md[0].metric, "reqs_total");
  EXPECT_EQ(md[0].type, "counter");
  EXPECT_EQ(md[0].help, "Requests.");
  EXPECT_NE(Metrics().find("andon_remote_write_samples_received_total 3"), std::string::npos)
      << Metrics();
}

TEST_F(RemoteWriteApiTest, OutOfOrderSampleIs400AndRollsBackTheWholeRequest) {
  ASSERT_EQ(Post(RequestBuilder().Series({{"__name__", "up"}}, {{5000, 1}}).Body()).status, 204);
  HttpResult r = Post(RequestBuilder()
                          .Series({{"__name__", "other"}}, {{6000, 1}})
                          .Series({{"__name__", "up"}}, {{4000, 2}})
                          .Body());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("out of order sample"), std::string::npos) << r.body;
  EXPECT_TRUE(Stored("other").empty());  // rolled back with the rejected sample
  EXPECT_EQ(Stored("up").size(), 1u);
  EXPECT_NE(Metrics().find("andon_remote_write_samples_rejected_total{reason=\"out_of_order\"} 2"),
            std::string::npos)
      << Metrics();
}

TEST_F(RemoteWriteApiTest, DuplicateTimestampWithAnotherValueIs400SameValueIsAccepted) {
  ASSERT_EQ(Post(RequestBuilder().Series({{"__name__", "up"}}, {{5000, 1}}).Body()).status, 204);
  EXPECT_EQ(Post(RequestBuilder().Series({{"__name__", "up"}}, {{5000, 1}}).Body()).status, 204);
  HttpResult r = Post(RequestBuilder().Series({{"__name__", "up"}}, {{5000, 2}}).Body());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("duplicate sample for timestamp"), std::string::npos) << r.body;
  ASSERT_EQ(Stored("up").size(), 1u);
  EXPECT_EQ(Stored("up")[0].v, 1);
}

TEST_F(RemoteWriteApiTest, MalformedBodiesAre400WithTheReason) {
  HttpResult r = Post("definitely not snappy");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("snappy: corrupt input"), std::string::npos) << r.body;
  r = HttpRequestTo(server_->port(), "POST", "/api/v1/write", RequestBuilder().Body(), "",
                    {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("unsupported Content-Encoding"), std::string::npos) << r.body;
  r = Post(RequestBuilder().Series({{"__name__", "bad metric"}}, {{1000, 1}}).Body());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("invalid metric name"), std::string::npos) << r.body;
  r = Post(
      RequestBuilder().Series({{"__name__", "x"}, {"a", "1"}, {"a", "2"}}, {{1000, 1}}).Body());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("duplicate label name"), std::string::npos) << r.body;
}

TEST_F(RemoteWriteApiTest, StorageFailureIs500SoTheSenderRetries) {
  // Warms the appender pool, then closes the storage under it: the next commit fails.
  ASSERT_EQ(Post(RequestBuilder().Series({{"__name__", "up"}}, {{1000, 1}}).Body()).status, 204);
  ASSERT_TRUE(db_->Close().ok());
  HttpResult r = Post(RequestBuilder().Series({{"__name__", "up"}}, {{2000, 1}}).Body());
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("commit"), std::string::npos) << r.body;
}

TEST_F(RemoteWriteApiTest, DisabledReceiverRefusesWith404NamingTheFlag) {
  TearDown();
  Start(false);
  HttpResult r = Post(RequestBuilder().Series({{"__name__", "up"}}, {{1000, 1}}).Body());
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("--web.enable-remote-write-receiver"), std::string::npos) << r.body;
  EXPECT_TRUE(Stored("up").empty());
  EXPECT_EQ(HttpRequestTo(server_->port(), "GET", "/api/v1/write").status, 405);
}

}  // namespace
}  // namespace andon::web
