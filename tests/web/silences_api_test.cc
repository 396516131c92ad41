// The silences API on a real HttpServer over loopback and a real RocksDB directory, driven by
// plain HTTP and by Debian's amtool (package prometheus-alertmanager; required, never skipped).
// The expected error bodies are Alertmanager 0.25's, byte for byte where it matters.
#include "web/silences_api.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/rfc3339.h"
#include "tests/integration/andon_process.h"
#include "tests/run_command.h"
#include "tests/web/api_error_case.h"

namespace andon::web {
namespace {

using andon::testing::ApiErrorCase;
using andon::testing::CommandResult;
using andon::testing::ExpectApiError;
using andon::testing::HttpGet;
using andon::testing::HttpRequestTo;
using andon::testing::HttpResult;
using andon::testing::Lines;
using andon::testing::RunCommand;
using andon::testing::Trimmed;
using nlohmann::json;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SilencesApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "silences_api_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    OpenAndServe();
  }
  void TearDown() override {
    StopServer();
    std::filesystem::remove_all(root_);
  }
  void OpenAndServe() {
    alerting::SilencesOptions opts;
    opts.dir = root_ + "/data/alerting/silences";
    opts.registry = &registry_;
    Result<std::unique_ptr<alerting::Silences>> s = alerting::Silences::Open(std::move(opts));
    ASSERT_TRUE(s.ok()) << s.status().message();
    silences_ = std::move(*s);
    HttpServerOptions http;
    http.listen_address = "127.0.0.1:0";
    server_ = std::make_unique<HttpServer>(http);
    RegisterSilencesApi(*server_, *silences_);
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();
  }
  void StopServer() {
    if (server_) server_->Stop();
    server_.reset();
    silences_.reset();
  }

  HttpResult Post(const std::string& body, const std::string& content_type = "application/json") {
    return HttpRequestTo(port_, "POST", "/api/v2/silences", body, content_type);
  }
  // A PostableSilence with one matcher; times relative to now in minutes.
  static json Body(json matchers, int start_min, int end_min) {
    int64_t now = NowMs();
    return json{{"matchers", std::move(matchers)},
                {"startsAt", FormatRfc3339Millis(now + start_min * 60'000LL)},
                {"endsAt", FormatRfc3339Millis(now + end_min * 60'000LL)},
                {"createdBy", "alice"},
                {"comment", "deploy"}};
  }
  static json Eq(const std::string& name, const std::string& value) {
    return json{{"name", name}, {"value", value}, {"isRegex", false}};
  }
  std::string CreateOk(const json& body) {
    HttpResult r = Post(body.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).at("silenceID").get<std::string>();
  }
  CommandResult Amtool(std::vector<std::string> args) {
    std::vector<std::string> argv = {
        "amtool", "--alertmanager.url=http://127.0.0.1:" + std::to_string(port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, root_);
  }

  std::string root_;
  MetricsRegistry registry_;
  std::unique_ptr<alerting::Silences> silences_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(SilencesApiTest, AmtoolAddsQueriesUpdatesAndExpiresSilences) {
  ASSERT_EQ(RunCommand({"sh", "-c", "command -v amtool"}, root_).exit_code, 0)
      << "amtool is missing: install Debian's prometheus-alertmanager (scripts/install-deps.sh)";

  CommandResult add = Amtool({"silence", "add", "alertname=DiskFull", "team=payments",
                              "--comment=disk swap", "--author=alice", "--duration=1h"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  std::string id = Trimmed(add.out);
  ASSERT_EQ(id.size(), 36u) << add.out;
  std::optional<alerting::Silence> stored = silences_->Get(id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->created_by, "alice");
  EXPECT_EQ(stored->comment, "disk swap");
  ASSERT_EQ(stored->matchers.size(), 2u);
  EXPECT_EQ(stored->matchers[0].ToString(), "alertname=\"DiskFull\"");
  EXPECT_NEAR(static_cast<double>(stored->ends_at_ms - stored->starts_at_ms), 3600e3, 5e3);
  // The silence mutes what the dispatcher asks about.
  Labels alert{{"alertname", "DiskFull"}, {"team", "payments"}, {"instance", "db-1"}};
  EXPECT_EQ(silences_->MutedBy(alert, NowMs()), std::vector<std::string>{id});
  EXPECT_TRUE(
      silences_->MutedBy(Labels{{"alertname", "DiskFull"}, {"team", "search"}}, NowMs()).empty());

  CommandResult pending =
      Amtool({"silence", "add", "severity=~\"crit|warn\"", "--comment=later", "--author=bob",
              "--start=" + FormatRfc3339Millis(NowMs() + 3600'000), "--end=2099-01-01T00:00:00Z"});
  ASSERT_EQ(pending.exit_code, 0) << pending.err;
  std::string pending_id = Trimmed(pending.out);

  CommandResult query = Amtool({"silence", "query", "-q"});
  ASSERT_EQ(query.exit_code, 0) << query.err;
  EXPECT_EQ(Lines(query.out), (std::vector<std::string>{id, pending_id}));  // active first

  CommandResult table = Amtool({"silence", "query"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("alertname=\"DiskFull\" team=\"payments\""), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("severity=~\"crit|warn\""), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("2099-01-01 00:00:00 UTC"), std::string::npos) << table.out;

  CommandResult filtered = Amtool({"-o", "json", "silence", "query", "team=payments"});
  ASSERT_EQ(filtered.exit_code, 0) << filtered.err;
  json list = json::parse(filtered.out);
  ASSERT_EQ(list.size(), 1u) << filtered.out;
  EXPECT_EQ(list[0]["id"], id);
  EXPECT_EQ(list[0]["status"]["state"], "active");
  EXPECT_EQ(list[0]["createdBy"], "alice");
  EXPECT_EQ(list[0]["matchers"][1],
            (json{{"isEqual", true}, {"isRegex", false}, {"name", "team"}, {"value", "payments"}}));

  // Extending an active silence keeps its id. (amtool 0.25's `update -q` prints a pointer
  // instead of the id, so read the silence it prints back as JSON.)
  CommandResult extend = Amtool({"-o", "json", "silence", "update", id, "--duration=3h"});
  ASSERT_EQ(extend.exit_code, 0) << extend.err;
  json extended = json::parse(extend.out);
  ASSERT_EQ(extended.size(), 1u) << extend.out;
  EXPECT_EQ(extended[0]["id"], id);
  EXPECT_EQ(silences_->size(), 2u);
  EXPECT_NEAR(static_cast<double>(silences_->Get(id)->ends_at_ms - NowMs()), 3 * 3600e3, 60e3);

  CommandResult expire = Amtool({"silence", "expire", id});
  ASSERT_EQ(expire.exit_code, 0) << expire.err;
  EXPECT_TRUE(silences_->MutedBy(alert, NowMs()).empty());
  EXPECT_EQ(Lines(Amtool({"silence", "query", "-q"}).out), std::vector<std::string>{pending_id});
  EXPECT_EQ(Lines(Amtool({"silence", "query", "-q", "--expired"}).out),
            std::vector<std::string>{id});

  CommandResult bad = Amtool({"silence", "add", "a=~\".*\"", "--comment=x"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("[POST /silences][400] postSilencesBadRequest  silence invalid: at "
                         "least one matcher must not match the empty string"),
            std::string::npos)
      << bad.err;
  CommandResult past = Amtool({"silence", "add", "foo=bar", "--comment=x",
                               "--start=2020-01-01T00:00:00Z", "--end=2020-01-01T01:00:00Z"});
  EXPECT_NE(past.exit_code, 0);
  EXPECT_NE(past.err.find("Failed to create silence: end time can't be in the past"),
            std::string::npos)
      << past.err;
  CommandResult unknown = Amtool({"silence", "expire", "4f6d3b3a-1111-4222-8333-444455556666"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("[DELETE /silence/{silenceID}][500] deleteSilenceInternalServerError"
                             "  silence not found"),
            std::string::npos)
      << unknown.err;

  // Everything amtool did is on disk: a restarted server shows the same silences.
  StopServer();
  OpenAndServe();
  EXPECT_EQ(Lines(Amtool({"silence", "query", "-q"}).out), std::vector<std::string>{pending_id});
  EXPECT_EQ(Lines(Amtool({"silence", "query", "-q", "--expired"}).out),
            std::vector<std::string>{id});
}

TEST_F(SilencesApiTest, GetShowsAlertmanagersShape) {
  json body =
      Body(json::array(
               {Eq("alertname", "Foo"),
                {{"name", "env"}, {"value", "dev|test"}, {"isRegex", true}, {"isEqual", false}}}),
           0, 60);
  body["startsAt"] = "2020-01-01T00:00:00Z";  // a start in the past becomes now
  body["endsAt"] = "2099-06-01T12:30:00+02:00";
  int64_t before = NowMs();
  std::string id = CreateOk(body);
  HttpResult r = HttpGet(port_, "/api/v2/silence/" + id);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  ASSERT_EQ(r.body.back(), '\n');
  json got = json::parse(r.body);
  // Field order as Alertmanager prints it.
  std::vector<std::string> keys;
  nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(r.body);
  for (auto& [k, v] : ordered.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "status", "updatedAt", "comment", "createdBy",
                                            "endsAt", "matchers", "startsAt"}));
  EXPECT_EQ(got["id"], id);
  EXPECT_EQ(got["status"], (json{{"state", "active"}}));
  EXPECT_EQ(got["endsAt"], "2099-06-01T10:30:00.000Z");
  Result<int64_t> starts = ParseApiTime(got["startsAt"].get<std::string>());
  ASSERT_TRUE(starts.ok());
  EXPECT_GE(*starts, before);
  EXPECT_EQ(got["updatedAt"], got["startsAt"]);
  EXPECT_EQ(got["matchers"],
            json::parse(R"([{"isEqual":true,"isRegex":false,"name":"alertname","value":"Foo"},
                            {"isEqual":false,"isRegex":true,"name":"env","value":"dev|test"}])"));
  EXPECT_EQ(got["createdBy"], "alice");
  EXPECT_EQ(got["comment"], "deploy");
}

TEST_F(SilencesApiTest, PostUpdatesInPlaceOrReplacesAsAlertmanager) {
  std::string id = CreateOk(Body(json::array({Eq("a", "x")}), 0, 60));
  json current = json::parse(HttpGet(port_, "/api/v2/silence/" + id).body);
  json update = Body(json::array({Eq("a", "x")}), 0, 120);
  update["id"] = id;
  update["startsAt"] = current["startsAt"];
  update["comment"] = "longer";
  HttpResult r = Post(update.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "{\"silenceID\":\"" + id + "\"}\n");
  EXPECT_EQ(json::parse(HttpGet(port_, "/api/v2/silence/" + id).body)["comment"], "longer");

  update["matchers"] = json::array({Eq("a", "y")});
  r = Post(update.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  std::string replacement = json::parse(r.body)["silenceID"];
  EXPECT_NE(replacement, id);
  EXPECT_EQ(json::parse(HttpGet(port_, "/api/v2/silence/" + id).body)["status"]["state"],
            "expired");
  EXPECT_EQ(json::parse(HttpGet(port_, "/api/v2/silence/" + replacement).body)["status"]["state"],
            "active");
}

TEST_F(SilencesApiTest, ListFiltersAndOrders) {
  std::string late = CreateOk(Body(json::array({Eq("team", "a")}), 0, 120));
  std::string soon = CreateOk(Body(json::array({Eq("team", "a"), Eq("env", "prod")}), 0, 60));
  std::string pending = CreateOk(Body(json::array({Eq("team", "b")}), 60, 120));
  std::string gone = CreateOk(Body(json::array({Eq("team", "a")}), 0, 60));
  ASSERT_EQ(HttpRequestTo(port_, "DELETE", "/api/v2/silence/" + gone).status, 200);
  auto ids = [&](const std::string& target) {
    HttpResult r = HttpGet(port_, target);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    for (const json& s : json::parse(r.body)) out.push_back(s["id"]);
    return out;
  };
  EXPECT_EQ(ids("/api/v2/silences"), (std::vector<std::string>{soon, late, pending, gone}));
  EXPECT_EQ(ids("/api/v2/silences?filter=team%3Da"), (std::vector<std::string>{soon, late, gone}));
  EXPECT_EQ(ids("/api/v2/silences?filter=team%3D%22a%22&filter=env%3Dprod"),
            std::vector<std::string>{soon});
  EXPECT_EQ(ids("/api/v2/silences?filter=team%3D~a"), std::vector<std::string>{});
}

TEST_F(SilencesApiTest, PostErrorsMatchAlertmanager) {
  auto body = [](json matchers, int start_min, int end_min,
                 std::function<void(json&)> edit = nullptr) {
    json b = Body(std::move(matchers), start_min, end_min);
    if (edit) edit(b);
    return b.dump();
  };
  json ok_matchers = json::array({Eq("a", "x")});
  std::vector<ApiErrorCase> cases = {
      {"empty matchers", body(json::array(), 0, 60), "application/json", 422,
       R"({"code":612,"message":"matchers in body should have at least 1 items"})"},
      {"regex matching the empty string",
       body(json::array({{{"name", "a"}, {"value", ".*"}, {"isRegex", true}}}), 0, 60),
       "application/json", 400,
       "\"silence invalid: at least one matcher must not match the empty string\"\n"},
      {"bad regex", body(json::array({{{"name", "a"}, {"value", "("}, {"isRegex", true}}}), 0, 60),
       "application/json", 400,
       R"("silence invalid: invalid label matcher 0: invalid regular expression \"(\": ...)"},
      {"bad label name", body(json::array({Eq("a-b", "x")}), 0, 60), "application/json", 400,
       "\"silence invalid: invalid label matcher 0: invalid label name \\\"a-b\\\"\"\n"},
      {"end before start", body(ok_matchers, 60, 0), "application/json", 400,
       "\"Failed to create silence: start time must be before end time\"\n"},
      {"end equals start", body(ok_matchers, 30, 30), "application/json", 400,
       "\"Failed to create silence: start time must be before end time\"\n"},
      {"end in the past", body(ok_matchers, -120, -60), "application/json", 400,
       "\"Failed to create silence: end time can't be in the past\"\n"},
      {"unknown id",
       body(ok_matchers, 0, 60, [](json& b) { b["id"] = "4f6d3b3a-1111-4222-8333-444455556666"; }),
       "application/json", 404, "\"silence not found\"\n"},
      {"missing createdBy", body(ok_matchers, 0, 60, [](json& b) { b.erase("createdBy"); }),
       "application/json", 422, R"({"code":602,"message":"createdBy in body is required"})"},
      {"null startsAt", body(ok_matchers, 0, 60, [](json& b) { b["startsAt"] = nullptr; }),
       "application/json", 422, R"({"code":602,"message":"startsAt in body is required"})"},
      {"missing isRegex", body(json::array({{{"name", "a"}, {"value", "x"}}}), 0, 60),
       "application/json", 422,
       R"({"code":602,"message":"matchers.0.isRegex in body is required"})"},
      {"required fields in schema order", R"({"matchers":[{"name":"a","value":"x"}]})",
       "application/json", 422, R"({"code":602,"message":"comment in body is required"})"},
      {"empty body", "", "application/json", 422,
       R"({"code":602,"message":"silence in body is required"})"},
      {"syntax error", "{bad", "application/json", 400,
       R"({"code":400,"message":"parsing silence body from \"\" failed, because ...)"},
      {"wrong type", body(json::array({{{"name", 1}, {"value", "x"}, {"isRegex", false}}}), 0, 60),
       "application/json", 400,
       R"({"code":400,"message":"parsing silence body from \"\" failed, because json: cannot unmarshal number into Go struct field Matcher.matchers.name of type string"})"},
      {"bad time", body(ok_matchers, 0, 60, [](json& b) { b["startsAt"] = "-2h"; }),
       "application/json", 400,
       R"({"code":400,"message":"parsing silence body from \"\" failed, because parsing time \"-2h\"...)"},
      {"form content type", body(ok_matchers, 0, 60), "application/x-www-form-urlencoded", 415,
       R"({"code":415,"message":"unsupported media type \"application/x-www-form-urlencoded\", only [application/json] are allowed"})"},
      {"no content type", body(ok_matchers, 0, 60), "", 415,
       R"({"code":415,"message":"unsupported media type \"application/octet-stream\", only [application/json] are allowed"})"},
  };
  for (const ApiErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectApiError(Post(c.body, c.content_type), c);
  }

  EXPECT_EQ(silences_->size(), 0u);
  // Accepted despite looking odd: a != "" matcher, empty author and comment, extra fields.
  HttpResult r = Post(
      body(json::array({{{"name", "a"}, {"value", ""}, {"isRegex", false}, {"isEqual", false}}}), 0,
           60, [](json& b) {
             b["createdBy"] = "";
             b["comment"] = "";
             b["status"] = {{"state", "expired"}};
           }));
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(SilencesApiTest, SilenceByIdErrors) {
  HttpResult bad = HttpGet(port_, "/api/v2/silence/foo");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.body,
            R"({"code":601,"message":"silenceID in path must be of type uuid: \"foo\""})");
  EXPECT_EQ(HttpRequestTo(port_, "DELETE", "/api/v2/silence/foo").status, 422);

  HttpResult missing = HttpGet(port_, "/api/v2/silence/4f6d3b3a-1111-4222-8333-444455556666");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "");
  HttpResult del =
      HttpRequestTo(port_, "DELETE", "/api/v2/silence/4f6d3b3a-1111-4222-8333-444455556666");
  EXPECT_EQ(del.status, 500);  // Alertmanager 0.25's answer
  EXPECT_EQ(del.body, "\"silence not found\"\n");

  std::string id = CreateOk(Body(json::array({Eq("a", "x")}), 0, 60));
  HttpResult expired = HttpRequestTo(port_, "DELETE", "/api/v2/silence/" + id);
  EXPECT_EQ(expired.status, 200);
  EXPECT_EQ(expired.body, "");
  EXPECT_EQ(HttpRequestTo(port_, "DELETE", "/api/v2/silence/" + id).status, 200);  // again

  HttpResult filter = HttpGet(port_, "/api/v2/silences?filter=bad");
  EXPECT_EQ(filter.status, 400);
  EXPECT_EQ(filter.body, "\"bad matcher format: bad\"\n");
  HttpResult braces = HttpGet(port_, "/api/v2/silences?filter=%7Ba%3D%22b%22%7D");
  EXPECT_EQ(braces.status, 400);
  EXPECT_EQ(braces.body, "\"bad matcher format: {a=\\\"b\\\"}\"\n");
  EXPECT_EQ(HttpGet(port_, "/api/v2/silences?filter=a%3D~%22%28%22").status, 400);
  EXPECT_EQ(HttpRequestTo(port_, "PUT", "/api/v2/silences").status, 405);
}

TEST(ApiTimeTest, FormatsAndParsesRfc3339) {
  EXPECT_EQ(FormatRfc3339Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(1'717'236'000'123), "2024-06-01T10:00:00.123Z");
  EXPECT_EQ(*ParseApiTime("2024-06-01T10:00:00.123Z"), 1'717'236'000'123);
  EXPECT_EQ(*ParseApiTime("2024-06-01T10:00:00Z"), 1'717'236'000'000);
  EXPECT_EQ(*ParseApiTime("2024-06-01T12:00:00.123456789+02:00"), 1'717'236'000'123);
  EXPECT_EQ(*ParseApiTime("2024-06-01T05:30:00-0430"), 1'717'236'000'000);
  EXPECT_EQ(*ParseApiTime("2024-06-01 10:00:00"), 1'717'236'000'000);
  EXPECT_EQ(*ParseApiTime("2024-06-01T10:00Z"), 1'717'236'000'000);
  for (const char* bad : {"", "-2h", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z",
                          "2024-06-01T24:00:00Z", "2024-06-01", "2024-06-01T10:00:00+25:00"}) {
    EXPECT_FALSE(ParseApiTime(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace andon::web
