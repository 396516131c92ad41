#include "web/federate_api.h"

#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <memory>
#include <string>

#include "tests/integration/andon_process.h"
#include "tsdb/db.h"

namespace andon::web {
namespace {

using andon::testing::HttpGet;

constexpr int64_t kNow = 10 * 60 * 1000;  // 600 s

// A real Db holding a few series around kNow, served by RegisterFederateApi with a pinned
// clock and external labels {cluster="eu"}.
class FederateApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = andon::testing::MakeTempDir("andon-federate-");
    auto db = Db::Open((dir_ / "data").string(), DbOptions{.background = false});
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(db).value();
    auto app = db_->NewAppender();
    auto add = [&](Labels labels, int64_t t, double v) {
      ASSERT_TRUE(app->Append(0, labels, t, v).ok());
    };
    add({{"__name__", "up"}, {"job", "api"}, {"instance", "a:1"}}, kNow - 20000, 0);
    add({{"__name__", "up"}, {"job", "api"}, {"instance", "a:1"}}, kNow - 5000, 1);
    add({{"__name__", "up"}, {"job", "api"}, {"instance", "a:1"}}, kNow + 5000, 7);  // future
    add({{"__name__", "up"}, {"job", "db"}, {"instance", "b:1"}, {"cluster", "us"}}, kNow - 1000,
        1);
    add({{"__name__", "http_requests_total"}, {"path", "/a\"b\\c\nd"}}, kNow - 2000, 1e6);
    add({{"__name__", "old"}}, kNow - 6 * 60 * 1000, 1);  // outside the 5 m lookback
    add({{"__name__", "gone"}}, kNow - 3000, 1);
    add({{"__name__", "gone"}}, kNow - 2000, std::bit_cast<double>(kStaleNaNBits));
    ASSERT_TRUE(app->Commit().ok());

    server_ = std::make_unique<HttpServer>(HttpServerOptions{.listen_address = "127.0.0.1:0"});
    RegisterFederateApi(*server_,
                        [this](int64_t mint, int64_t maxt) { return db_->NewQuerier(mint, maxt); },
                        {.external_labels =
                             [] {
                               return config::LabelMap{{"cluster", "eu"}};
                             },
                         .now_ms = [] { return kNow; }});
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    server_->Stop();
    ASSERT_TRUE(db_->Close().ok());
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(FederateApiTest, LatestSamplePerSeriesAsUntypedTextWithExternalLabels) {
  auto r = HttpGet(server_->port(),
                   "/federate?match[]=up&match[]=%7B__name__%3D~%22http.*%7Cold%7Cgone%22%7D"
                   "&match[]=%7Bjob%3D%22api%22%7D");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body,
            "# TYPE http_requests_total untyped\n"
            "http_requests_total{path=\"/a\\\"b\\\\c\\nd\",cluster=\"eu\",instance=\"\"} 1e+06 "
            "598000\n"
            "# TYPE up untyped\n"
            "up{cluster=\"us\",instance=\"b:1\",job=\"db\"} 1 599000\n"
            "up{instance=\"a:1\",job=\"api\",cluster=\"eu\"} 1 595000\n");
}

TEST_F(FederateApiTest, NoMatchIsEmptyAndABadSelectorIs400) {
  auto r = HttpGet(server_->port(), "/federate");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  r = HttpGet(server_->port(), "/federate?match[]=up%7B");
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(r.body.empty());
}

}  // namespace
}  // namespace andon::web
