#include "web/series_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/andon_process.h"
#include "tsdb/db.h"
#include "web/api_params.h"

namespace andon::web {
namespace {

using andon::testing::HttpGet;
using andon::testing::HttpRequestTo;
using json = nlohmann::json;

// A real Db in a temp dir holding three series, served by RegisterSeriesApi.
class SeriesApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = andon::testing::MakeTempDir("andon-series-api-");
    auto db = Db::Open((dir_ / "data").string(), DbOptions{.background = false});
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(db).value();
    auto app = db_->NewAppender();
    auto add = [&](std::initializer_list<std::pair<std::string_view, std::string_view>> l,
                   int64_t t) {
      LabelsBuilder b;
      for (auto [k, v] : l) b.Set(k, v);
      ASSERT_TRUE(app->Append(0, b.Build(), t, 1).ok());
    };
    add({{"__name__", "up"}, {"job", "api"}, {"instance", "a:1"}}, 1000);
    add({{"__name__", "up"}, {"job", "db"}, {"instance", "b:1"}}, 1000);
    add({{"__name__", "http_requests_total"}, {"job", "api"}, {"path", "/x"}}, 500000);
    ASSERT_TRUE(app->Commit().ok());

    server_ = std::make_unique<HttpServer>(HttpServerOptions{.listen_address = "127.0.0.1:0"});
    RegisterSeriesApi(*server_,
                      [this](int64_t mint, int64_t maxt) { return db_->NewQuerier(mint, maxt); });
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    server_->Stop();
    ASSERT_TRUE(db_->Close().ok());
    std::filesystem::remove_all(dir_);
  }

  // GETs `target`; checks the status code and returns the parsed body.
  json Get(const std::string& target, int want_status = 200) {
    auto r = HttpGet(server_->port(), target);
    EXPECT_EQ(r.status, want_status) << target << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(SeriesApiTest, SeriesReturnsTheLabelSetsOfEveryMatchSorted) {
  json j = Get("/api/v1/series?match[]=up&match[]=%7Bpath%3D%22%2Fx%22%7D");
  EXPECT_EQ(j["status"], "success");
  EXPECT_EQ(j["data"], json::parse(R"([
    {"__name__":"http_requests_total","job":"api","path":"/x"},
    {"__name__":"up","instance":"a:1","job":"api"},
    {"__name__":"up","instance":"b:1","job":"db"}])"));
}

TEST_F(SeriesApiTest, SeriesHonoursTimeRangeLimitAndFormPost) {
  EXPECT_EQ(Get("/api/v1/series?match[]=%7Bjob%3D%22api%22%7D&start=100&end=600")["data"].size(),
            1u);  // only http_requests_total has a sample in [100 s, 600 s]
  EXPECT_EQ(Get("/api/v1/series?match[]=up&limit=1")["data"].size(), 1u);
  auto r = HttpRequestTo(server_->port(), "POST", "/api/v1/series", "match%5B%5D=up",
                         "application/x-www-form-urlencoded");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["data"].size(), 2u);
}

TEST_F(SeriesApiTest, BadParametersAreBadDataWithPrometheusWording) {
  json none = Get("/api/v1/series", 400);
  EXPECT_EQ(none["errorType"], "bad_data");
  EXPECT_EQ(none["error"], "no match[] parameter provided");

  json bad_sel = Get("/api/v1/series?match[]=up%7B", 400);
  EXPECT_EQ(bad_sel["errorType"], "bad_data");
  EXPECT_NE(bad_sel["error"].get<std::string>().find("parse error"), std::string::npos)
      << bad_sel.dump();

  json bad_time = Get("/api/v1/series?match[]=up&start=yesterday", 400);
  EXPECT_EQ(bad_time["error"],
            "invalid parameter \"start\": Invalid time value for 'start': cannot parse "
            "\"yesterday\" to a valid timestamp");

  EXPECT_EQ(Get("/api/v1/labels?limit=-1", 400)["errorType"], "bad_data");
  EXPECT_EQ(Get("/api/v1/label/0bad/values", 400)["error"], "invalid label name: \"0bad\"");
}

// As Prometheus 2.42 answers (checked against the real binary): an empty range is no error,
// and a form value wins over the same parameter in the URL.
TEST_F(SeriesApiTest, EndBeforeStartMatchesNothingAndFormValuesWinOverTheUrl) {
  EXPECT_EQ(Get("/api/v1/series?match[]=up&start=10&end=5")["data"], json::array());
  EXPECT_EQ(Get("/api/v1/labels?start=10&end=5")["data"], json::array());
  EXPECT_EQ(Get("/api/v1/label/job/values?start=10&end=5")["data"], json::array());
  auto r = HttpRequestTo(server_->port(), "POST", "/api/v1/series?match[]=up&start=abc", "start=0",
                         "application/x-www-form-urlencoded");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["data"].size(), 2u);
}

TEST_F(SeriesApiTest, LabelsListsNamesOfAllOrOfMatchingSeries) {
  EXPECT_EQ(Get("/api/v1/labels")["data"], json::parse(R"(["__name__","instance","job","path"])"));
  EXPECT_EQ(Get("/api/v1/labels?match[]=up")["data"],
            json::parse(R"(["__name__","instance","job"])"));
  EXPECT_EQ(Get("/api/v1/labels?limit=2")["data"], json::parse(R"(["__name__","instance"])"));
}

TEST_F(SeriesApiTest, LabelValuesListsValuesOfAllOrOfMatchingSeries) {
  EXPECT_EQ(Get("/api/v1/label/job/values")["data"], json::parse(R"(["api","db"])"));
  EXPECT_EQ(Get("/api/v1/label/__name__/values")["data"],
            json::parse(R"(["http_requests_total","up"])"));
  EXPECT_EQ(Get("/api/v1/label/instance/values?match[]=%7Bjob%3D%22db%22%7D")["data"],
            json::parse(R"(["b:1"])"));
  EXPECT_EQ(Get("/api/v1/label/nope/values")["data"], json::array());
}

TEST(ApiParamsTest, TimesAreUnixSecondsOrRfc3339) {
  EXPECT_EQ(*ParseApiTime("1700000000"), 1700000000000);
  EXPECT_EQ(*ParseApiTime("1700000000.123"), 1700000000123);
  EXPECT_EQ(*ParseApiTime("-1.5"), -1500);
  EXPECT_EQ(*ParseApiTime("2023-11-14T22:13:20Z"), 1700000000000);
  EXPECT_EQ(*ParseApiTime("2023-11-14T22:13:20.25Z"), 1700000000250);
  EXPECT_EQ(*ParseApiTime("2023-11-14T23:13:20+01:00"), 1700000000000);
  for (const char* bad : {"", "abc", "2023-11-14", "2023-13-01T00:00:00Z", "NaN", "1e400"}) {
    EXPECT_FALSE(ParseApiTime(bad).ok()) << bad;
  }
}

TEST(ApiParamsTest, DurationsAreSecondsOrPrometheusDurations) {
  EXPECT_EQ(*ParseApiDuration("15"), 15000);
  EXPECT_EQ(*ParseApiDuration("0.5"), 500);
  EXPECT_EQ(*ParseApiDuration("1m30s"), 90000);
  EXPECT_EQ(ParseApiDuration("soon").status().message(),
            "cannot parse \"soon\" to a valid duration");
}

}  // namespace
}  // namespace andon::web
