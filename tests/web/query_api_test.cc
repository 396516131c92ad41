// The PromQL HTTP API on a real loopback HttpServer over a real Db. Every expected body was
// taken from Prometheus 2.42 (Debian's /usr/bin/prometheus) serving the same nine samples
// (`promtool tsdb create-blocks-from openmetrics`) and asked the same request.
#include "web/query_api.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/url_escape.h"
#include "tests/integration/andon_process.h"
#include "tsdb/db.h"

namespace andon::web {
namespace {

using andon::testing::HttpGet;
using andon::testing::HttpRequestTo;
using andon::testing::HttpResult;

std::string UrlEncode(std::string_view s) {
  std::string out;
  AppendUrlEscaped(s, /*query=*/true, &out);
  return out;
}

using Params = std::vector<std::pair<std::string, std::string>>;

// "a=b&c=d" from pairs, each value URL-encoded.
std::string Form(const Params& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += UrlEncode(v);
  }
  return out;
}

constexpr int64_t kNowMs = 1700000030000;

// up{job="api"} 1 and up{job="db"} 0 at 1700000000, +15 s, +30 s; a counter whose path
// label needs JSON escaping; served by RegisterQueryApi with a clock fixed at kNowMs.
class QueryApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = andon::testing::MakeTempDir("andon-query-api-");
    auto db = Db::Open((dir_ / "data").string(), DbOptions{.background = false});
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(db).value();
    auto app = db_->NewAppender();
    auto add = [&](std::initializer_list<std::pair<std::string_view, std::string_view>> l,
                   std::initializer_list<double> values) {
      LabelsBuilder b;
      for (auto [k, v] : l) b.Set(k, v);
      Labels labels = b.Build();
      int64_t t = 1700000000000;
      for (double v : values) {
        ASSERT_TRUE(app->Append(0, labels, t, v).ok());
        t += 15000;
      }
    };
    add({{"__name__", "up"}, {"job", "api"}, {"instance", "a:1"}}, {1, 1, 1});
    add({{"__name__", "up"}, {"job", "db"}, {"instance", "b:1"}}, {0, 0, 0});
    add({{"__name__", "http_requests_total"}, {"job", "api"}, {"path", "/<x>"}}, {0, 15, 30.5});
    ASSERT_TRUE(app->Commit().ok());
    Serve({}, {});
  }
  void TearDown() override {
    StopServer();
    ASSERT_TRUE(db_->Close().ok());
    std::filesystem::remove_all(dir_);
  }

  void Serve(query::EngineOptions engine_options, QueryApiOptions api_options) {
    StopServer();
    engine_ = std::make_unique<query::Engine>(engine_options);
    server_ = std::make_unique<HttpServer>(
        HttpServerOptions{.listen_address = "127.0.0.1:0", .threads = 4});
    if (!api_options.now_ms) api_options.now_ms = [] { return kNowMs; };
    api_ = RegisterQueryApi(
        *server_, [this](int64_t mint, int64_t maxt) { return db_->NewQuerier(mint, maxt); },
        *engine_, std::move(api_options));
    ASSERT_TRUE(server_->Start().ok());
  }
  void StopServer() {
    if (api_) api_->Shutdown();
    if (server_) server_->Stop();
    server_.reset();
    api_.reset();
  }

  HttpResult Get(const std::string& path, const Params& params) {
    return HttpGet(server_->port(), path + "?" + Form(params));
  }
  HttpResult Post(const std::string& path, const Params& params) {
    return HttpRequestTo(server_->port(), "POST", path, Form(params),
                         "application/x-www-form-urlencoded");
  }

  std::filesystem::path dir_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<query::Engine> engine_;
  std::unique_ptr<HttpServer> server_;
  std::shared_ptr<QueryApi> api_;
};

#define EXPECT_RESPONSE(result, want_status, want_body)       \
  do {                                                        \
    HttpResult r_ = (result);                                 \
    EXPECT_EQ(r_.status, want_status) << r_.body << r_.error; \
    EXPECT_EQ(r_.body, want_body);                            \
    EXPECT_EQ(r_.content_type, "application/json");           \
  } while (0)

TEST_F(QueryApiTest, InstantVectorIsByteExact) {
  EXPECT_RESPONSE(
      Get("/api/v1/query", {{"query", "up"}, {"time", "1700000030.5"}}), 200,
      R"({"status":"success","data":{"resultType":"vector","result":[)"
      R"({"metric":{"__name__":"up","instance":"a:1","job":"api"},"value":[1700000030.500,"1"]},)"
      R"({"metric":{"__name__":"up","instance":"b:1","job":"db"},"value":[1700000030.500,"0"]}]}})");
  EXPECT_RESPONSE(
      Get("/api/v1/query", {{"query", "http_requests_total"}, {"time", "1700000030.5"}}), 200,
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":)"
      R"({"__name__":"http_requests_total","job":"api","path":"/\u003cx\u003e"},)"
      R"("value":[1700000030.500,"30.5"]}]}})");
  EXPECT_RESPONSE(Get("/api/v1/query", {{"query", "sum(up)"}, {"time", "1700000030.5"}}), 200,
                  R"({"status":"success","data":{"resultType":"vector","result":[)"
                  R"({"metric":{},"value":[1700000030.500,"1"]}]}})");
  EXPECT_RESPONSE(Get("/api/v1/query", {{"query", "nothing_here"}, {"time", "1700000030"}}), 200,
                  R"({"status":"success","data":{"resultType":"vector","result":[]}})");
}

TEST_F(QueryApiTest, InstantScalarStringAndMatrixAreByteExact) {
  EXPECT_RESPONSE(
      Get("/api/v1/query", {{"query", "1+1"}, {"time", "1700000000"}}), 200,
      R"({"status":"success","data":{"resultType":"scalar","result":[1700000000,"2"]}})");
  EXPECT_RESPONSE(
      Get("/api/v1/query", {{"query", "1"}, {"time", "1700000000.5"}}), 200,
      R"({"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"1"]}})");
  EXPECT_RESPONSE(
      Get("/api/v1/query", {{"query", "\"hello\""}, {"time", "1700000000.123"}}), 200,
      R"({"status":"success","data":{"resultType":"string","result":[1700000000.123,"hello"]}})");
  EXPECT_RESPONSE(Get("/api/v1/query", {{"query", "up[30s]"}, {"time", "1700000030.5"}}), 200,
                  R"({"status":"success","data":{"resultType":"matrix","result":[)"
                  R"({"metric":{"__name__":"up","instance":"a:1","job":"api"},)"
                  R"("values":[[1700000015,"1"],[1700000030,"1"]]},)"
                  R"({"metric":{"__name__":"up","instance":"b:1","job":"db"},)"
                  R"("values":[[1700000015,"0"],[1700000030,"0"]]}]}})");
}

// Grafana's data source health check is the instant query 1+1 without a time.
TEST_F(QueryApiTest, TimeDefaultsToNowAsGrafanasHealthCheckSends) {
  EXPECT_RESPONSE(
      Get("/api/v1/query", {{"query", "1+1"}}), 200,
      R"({"status":"success","data":{"resultType":"scalar","result":[1700000030,"2"]}})");
  EXPECT_RESPONSE(
      Get("/api/v1/query", {{"query", "1+1"}, {"time", ""}}), 200,
      R"({"status":"success","data":{"resultType":"scalar","result":[1700000030,"2"]}})");
  EXPECT_RESPONSE(Get("/api/v1/query", {{"query", "up{job=\"api\"}"}}), 200,
                  R"({"status":"success","data":{"resultType":"vector","result":[)"
                  R"({"metric":{"__name__":"up","instance":"a:1","job":"api"},)"
                  R"("value":[1700000030,"1"]}]}})");
}

TEST_F(QueryApiTest, RangeQueriesAreByteExact) {
  EXPECT_RESPONSE(
      Get("/api/v1/query_range",
          {{"query", "up"}, {"start", "1700000000"}, {"end", "1700000030"}, {"step", "15"}}),
      200,
      R"({"status":"success","data":{"resultType":"matrix","result":[)"
      R"({"metric":{"__name__":"up","instance":"a:1","job":"api"},)"
      R"("values":[[1700000000,"1"],[1700000015,"1"],[1700000030,"1"]]},)"
      R"({"metric":{"__name__":"up","instance":"b:1","job":"db"},)"
      R"("values":[[1700000000,"0"],[1700000015,"0"],[1700000030,"0"]]}]}})");
  EXPECT_RESPONSE(
      Get("/api/v1/query_range",
          {{"query", "1+1"}, {"start", "1700000000"}, {"end", "1700000060"}, {"step", "30s"}}),
      200,
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},)"
      R"("values":[[1700000000,"2"],[1700000030,"2"],[1700000060,"2"]]}]}})");
  EXPECT_RESPONSE(Get("/api/v1/query_range", {{"query", "vector(time())"},
                                              {"start", "1700000000"},
                                              {"end", "1700000001"},
                                              {"step", "0.5"}}),
                  200,
                  R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},)"
                  R"("values":[[1700000000,"1700000000"],[1700000000.500,"1700000000.5"],)"
                  R"([1700000001,"1700000001"]]}]}})");
  EXPECT_RESPONSE(Get("/api/v1/query_range", {{"query", "1"},
                                              {"start", "2023-11-14T22:13:20Z"},
                                              {"end", "2023-11-14T22:14:20.5Z"},
                                              {"step", "30"}}),
                  200,
                  R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},)"
                  R"("values":[[1700000000,"1"],[1700000030,"1"],[1700000060,"1"]]}]}})");
}

TEST_F(QueryApiTest, FormPostIsAnsweredLikeGet) {
  EXPECT_RESPONSE(
      Post("/api/v1/query", {{"query", "1+2"}, {"time", "1700000000"}}), 200,
      R"({"status":"success","data":{"resultType":"scalar","result":[1700000000,"3"]}})");
  EXPECT_RESPONSE(
      Post("/api/v1/query_range",
           {{"query", "time()"}, {"start", "1700000000"}, {"end", "1700000060"}, {"step", "1m"}}),
      200,
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},)"
      R"("values":[[1700000000,"1700000000"],[1700000060,"1700000060"]]}]}})");
  EXPECT_RESPONSE(Post("/api/v1/format_query", {{"query", "foo{b=\"1\",a=\"2\"}"}}), 200,
                  R"({"status":"success","data":"foo{a=\"2\",b=\"1\"}"})");
  EXPECT_EQ(HttpRequestTo(server_->port(), "PUT", "/api/v1/query?query=1").status, 405);
}

TEST_F(QueryApiTest, InstantQueryErrorsHavePrometheusWordsAndCodes) {
  struct Case {
    Params params;
    int status;
    std::string body;
  };
  const Case cases[] = {
      {{{"query", "1+"}, {"time", "1700000000"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:3: parse error: unexpected end of input"})"},
      {{{"time", "1700000000"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:1: parse error: no expression found in input"})"},
      {{{"query", "foo bar"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unexpected identifier \"bar\""})"},
      {{{"query", "rate(up)"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:6: parse error: expected type range vector in call to function \"rate\", got instant vector"})"},
      {{{"query", "1"}, {"time", "abc"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"time\": Invalid time value for 'time': cannot parse \"abc\" to a valid timestamp"})"},
      {{{"query", "1"}, {"timeout", "abc"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"timeout\": cannot parse \"abc\" to a valid duration"})"},
      {{{"query", "1"}, {"timeout", "0"}},
       503,
       R"({"status":"error","errorType":"timeout","error":"query timed out in query queue"})"},
      {{{"query", "1"}, {"timeout", "-1"}},
       503,
       R"({"status":"error","errorType":"timeout","error":"query timed out in query queue"})"},
      {{{"query", "label_replace(vector(1),\"a\",\"b\",\"c\",\"(\")"}, {"time", "0"}},
       422,
       R"({"status":"error","errorType":"execution","error":"invalid regular expression in label_replace(): ("})"},
  };
  for (const Case& c : cases) {
    HttpResult r = Get("/api/v1/query", c.params);
    EXPECT_EQ(r.status, c.status) << c.body;
    EXPECT_EQ(r.body, c.body);
    EXPECT_EQ(r.content_type, "application/json");
  }
}

TEST_F(QueryApiTest, RangeQueryErrorsHavePrometheusWordsAndCodes) {
  struct Case {
    Params params;
    int status;
    std::string body;
  };
  const std::string kStep =
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer"})";
  const std::string kTooMany =
      R"x({"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"})x";
  const Case cases[] = {
      {{{"query", "1"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": cannot parse \"\" to a valid timestamp"})"},
      {{{"query", "1"}, {"start", "x"}, {"end", "1700000060"}, {"step", "30"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": cannot parse \"x\" to a valid timestamp"})"},
      {{{"query", "1"}, {"start", "1700000000"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"end\": cannot parse \"\" to a valid timestamp"})"},
      {{{"query", "1"}, {"start", "1700000000"}, {"end", "1600000000"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"end\": end timestamp must not be before start time"})"},
      {{{"query", "1"}, {"start", "1700000000"}, {"end", "1700000000"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": cannot parse \"\" to a valid duration"})"},
      {{{"query", "1"}, {"start", "1700000000"}, {"end", "1700000000"}, {"step", "x"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": cannot parse \"x\" to a valid duration"})"},
      {{{"query", "1"}, {"start", "1700000000"}, {"end", "1700000000"}, {"step", "0"}}, 400, kStep},
      {{{"query", "1"}, {"start", "1700000000"}, {"end", "1700000000"}, {"step", "-1"}},
       400,
       kStep},
      {{{"query", "1"}, {"start", "0"}, {"end", "11001"}, {"step", "1"}}, 400, kTooMany},
      {{{"query", "1"}, {"start", "-1e15"}, {"end", "1e15"}, {"step", "1"}}, 400, kTooMany},
      {{{"query", "1"}, {"start", "1"}, {"end", "2"}, {"step", "x"}, {"timeout", "x"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": cannot parse \"x\" to a valid duration"})"},
      {{{"query", "1"}, {"start", "1"}, {"end", "61"}, {"step", "30"}, {"timeout", "x"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"timeout\": cannot parse \"x\" to a valid duration"})"},
      {{{"query", "1"}, {"start", "1"}, {"end", "61"}, {"step", "30"}, {"timeout", "0"}},
       503,
       R"({"status":"error","errorType":"timeout","error":"query timed out in query queue"})"},
      // Unlike /api/v1/query, Prometheus does not wrap the parse error here.
      {{{"query", "1+"}, {"start", "1"}, {"end", "61"}, {"step", "30"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"1:3: parse error: unexpected end of input"})"},
      {{{"query", "\"a\""}, {"start", "1"}, {"end", "61"}, {"step", "30s"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"invalid expression type \"string\" for range query, must be Scalar or instant Vector"})"},
      {{{"query", "up[5m]"}, {"start", "1"}, {"end", "61"}, {"step", "30"}},
       400,
       R"({"status":"error","errorType":"bad_data","error":"invalid expression type \"range vector\" for range query, must be Scalar or instant Vector"})"},
  };
  for (const Case& c : cases) {
    HttpResult r = Get("/api/v1/query_range", c.params);
    EXPECT_EQ(r.status, c.status) << c.body;
    EXPECT_EQ(r.body, c.body);
  }
  // 11,000 steps (11,001 points) is still accepted, as in Prometheus.
  HttpResult edge =
      Get("/api/v1/query_range", {{"query", "1"}, {"start", "0"}, {"end", "11000"}, {"step", "1"}});
  EXPECT_EQ(edge.status, 200);
  EXPECT_NE(edge.body.find(R"([10999,"1"],[11000,"1"]]}]}})"), std::string::npos);
}

TEST_F(QueryApiTest, FormatQueryPrettifiesOrReportsTheParseError) {
  EXPECT_RESPONSE(Get("/api/v1/format_query", {{"query", "sum(x)   by (a) + y"}}), 200,
                  R"({"status":"success","data":"sum by (a) (x) + y"})");
  EXPECT_RESPONSE(Get("/api/v1/format_query", {{"query", "\"<&>\""}}), 200,
                  R"({"status":"success","data":"\"\u003c\u0026\u003e\""})");
  EXPECT_RESPONSE(
      Get("/api/v1/format_query", {{"query", "1+"}}), 400,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:3: parse error: unexpected end of input"})");
  EXPECT_RESPONSE(
      Get("/api/v1/format_query", {}), 400,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:1: parse error: no expression found in input"})");
}

TEST_F(QueryApiTest, TooManySamplesIsAnExecutionError) {
  Serve({.max_samples = 1}, {});
  EXPECT_RESPONSE(
      Get("/api/v1/query", {{"query", "up"}, {"time", "1700000030"}}), 422,
      R"({"status":"error","errorType":"execution","error":"query processing would load too many samples into memory in query execution"})");
}

TEST_F(QueryApiTest, AnEvaluationPastTheRequestTimeoutIsATimeout) {
  // 2.6 million subquery steps cannot finish within a millisecond.
  HttpResult r =
      Get("/api/v1/query", {{"query", "count_over_time(vector(1)[30d:1s])"}, {"timeout", "0.001"}});
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find(R"({"status":"error","errorType":"timeout","error":"query timed out in )"),
            std::string::npos)
      << r.body;
}

TEST_F(QueryApiTest, AQueryWaitsForAFreeSlotWithinItsTimeout) {
  Serve({}, {.max_concurrency = 1});
  ASSERT_EQ(api_->slots().Acquire(std::chrono::steady_clock::now() + std::chrono::seconds(1)),
            QuerySlots::Outcome::kAcquired);
  EXPECT_RESPONSE(
      Get("/api/v1/query", {{"query", "1"}, {"time", "1"}, {"timeout", "0.2"}}), 503,
      R"({"status":"error","errorType":"timeout","error":"query timed out in query queue"})");

  // A waiting query runs as soon as the slot is released.
  std::thread waiter([&] {
    EXPECT_RESPONSE(Get("/api/v1/query", {{"query", "1"}, {"time", "1"}, {"timeout", "30s"}}), 200,
                    R"({"status":"success","data":{"resultType":"scalar","result":[1,"1"]}})");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  api_->slots().Release();
  waiter.join();
  EXPECT_EQ(api_->slots().free(), 1);
}

TEST_F(QueryApiTest, ShutdownCancelsQueriesWaitingForASlot) {
  Serve({}, {.max_concurrency = 1});
  ASSERT_EQ(api_->slots().Acquire(std::chrono::steady_clock::now() + std::chrono::seconds(1)),
            QuerySlots::Outcome::kAcquired);
  std::thread waiter([&] {
    EXPECT_RESPONSE(
        Get("/api/v1/query", {{"query", "1"}}), 503,
        R"({"status":"error","errorType":"canceled","error":"query was canceled in query queue"})");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  api_->Shutdown();
  waiter.join();
  api_->slots().Release();
}

TEST_F(QueryApiTest, EachLimitHitIsCountedByLimit) {
  MetricsRegistry registry;
  auto hits = [&registry](std::string_view limit) {
    auto family = registry.RegisterCounter("andon_query_limit_hits_total",
                                           "Queries of the HTTP API refused by a limit, by limit.",
                                           {"limit"});
    return family.ok() ? (*family)->WithLabels({limit}).Value() : -1.0;
  };
  Serve({.max_samples = 1}, {.metrics = &registry});
  EXPECT_EQ(Get("/api/v1/query", {{"query", "up"}, {"time", "1700000030"}}).status, 422);
  EXPECT_EQ(hits("max_samples"), 1);
  EXPECT_EQ(hits("timeout"), 0);

  Serve({}, {.max_concurrency = 1, .metrics = &registry});
  HttpResult slow =
      Get("/api/v1/query", {{"query", "count_over_time(vector(1)[30d:1s])"}, {"timeout", "0.001"}});
  EXPECT_EQ(slow.status, 503) << slow.body;
  EXPECT_EQ(hits("timeout"), 1);
  HttpResult wide =
      Get("/api/v1/query_range", {{"query", "1"}, {"start", "0"}, {"end", "11001"}, {"step", "1"}});
  EXPECT_EQ(wide.status, 400) << wide.body;
  EXPECT_EQ(hits("max_points"), 1);
  ASSERT_EQ(api_->slots().Acquire(std::chrono::steady_clock::now() + std::chrono::seconds(1)),
            QuerySlots::Outcome::kAcquired);
  EXPECT_EQ(Get("/api/v1/query", {{"query", "1"}, {"time", "1"}, {"timeout", "0.1"}}).status, 503);
  api_->slots().Release();
  EXPECT_EQ(hits("queue_timeout"), 1);
  EXPECT_EQ(hits("max_samples"), 1);
}

TEST(QuerySlotsTest, BoundsHoldersAndWakesWaitersInTurn) {
  QuerySlots slots(2);
  auto soon = [] { return std::chrono::steady_clock::now() + std::chrono::seconds(5); };
  EXPECT_EQ(slots.Acquire(soon()), QuerySlots::Outcome::kAcquired);
  EXPECT_EQ(slots.Acquire(soon()), QuerySlots::Outcome::kAcquired);
  EXPECT_EQ(slots.Acquire(std::chrono::steady_clock::now() + std::chrono::milliseconds(20)),
            QuerySlots::Outcome::kTimedOut);
  EXPECT_EQ(slots.Acquire(std::chrono::steady_clock::now()), QuerySlots::Outcome::kTimedOut);
  std::atomic<int> got{0};
  std::thread a([&] { got += slots.Acquire(soon()) == QuerySlots::Outcome::kAcquired; });
  slots.Release();
  a.join();
  EXPECT_EQ(got.load(), 1);
  EXPECT_EQ(slots.free(), 0);
  slots.Release();
  slots.Release();
  EXPECT_EQ(slots.free(), 2);
  // A past deadline times out even with free slots, as an expired Go context does.
  EXPECT_EQ(slots.Acquire(std::chrono::steady_clock::now() - std::chrono::seconds(1)),
            QuerySlots::Outcome::kTimedOut);
  slots.Shutdown();
  EXPECT_EQ(slots.Acquire(soon()), QuerySlots::Outcome::kShutDown);
}

}  // namespace
}  // namespace andon::web
