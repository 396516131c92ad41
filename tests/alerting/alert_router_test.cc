// AlertRouter as the server runs it: real Silences and NotificationLog in a temporary
// directory, real webhook notifiers posting to a loopback receiver, its own io thread and
// silences GC timer. Under ThreadSanitizer (alerting_test is in `make test-tsan`) these
// tests also check that reloads, sends and shutdown race with nothing.
#include "alerting/alert_router.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/alerting/alerting_test_util.h"
#include "tests/loopback_http_server.h"
#include "tests/wait_for.h"

namespace andon::alerting {
namespace {

using andon::testing::LoopbackHttpServer;
using andon::testing::TestReply;
using andon::testing::TestRequest;
using andon::testing::WaitFor;
using testing::RouterFromYaml;
using testing::TempDir;

// alertmanager.yml routing everything to one webhook at `url`, with short timers.
std::string WebhookRouterYaml(const std::string& receiver, const std::string& url) {
  return "route:\n"
         "  receiver: " +
         receiver +
         "\n"
         "  group_by: [alertname]\n"
         "  group_wait: 10ms\n"
         "  group_interval: 50ms\n"
         "receivers:\n"
         "- name: " +
         receiver + "\n  webhook_configs:\n  - url: " + url + "\n";
}

Alert FiringNow(const std::string& name) {
  Alert a;
  a.labels = Labels{{"alertname", name}};
  a.starts_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return a;
}

// The receiver names of the webhook payloads posted to `server`.
std::vector<std::string> Receivers(const LoopbackHttpServer& server) {
  std::vector<std::string> out;
  for (const TestRequest& r : server.received()) {
    out.push_back(nlohmann::json::parse(r.body, nullptr, false).value("receiver", ""));
  }
  return out;
}

class AlertRouterTest : public ::testing::Test {
 protected:
  AlertRouterTest() : webhook_([](const TestRequest&) { return TestReply{.body = "ok"}; }) {}

  std::unique_ptr<AlertRouter> Open() {
    AlertRouterOptions o;
    o.data_dir = dir_.path("alerting");
    o.registry = &registry_;
    o.silences_gc_interval_ms = 5;  // the GC timer fires many times during a test
    auto router = AlertRouter::Open(o);
    EXPECT_TRUE(router.ok()) << router.status().message();
    return router.ok() ? std::move(router).value() : nullptr;
  }

  TempDir dir_;
  MetricsRegistry registry_;
  LoopbackHttpServer webhook_;
};

TEST_F(AlertRouterTest, BlackholeUntilConfiguredThenDeliversAndKeepsTheOldRouterOnABadReload) {
  auto router = Open();
  ASSERT_NE(router, nullptr);
  EXPECT_EQ(router->config()->route.receiver, "blackhole");

  auto first = router->Prepare(RouterFromYaml(WebhookRouterYaml("ops", webhook_.Url("/hook"))), {});
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_TRUE(router->Commit(std::move(*first)).ok());
  router->Send({FiringNow("Down")});
  ASSERT_TRUE(WaitFor([&] { return Receivers(webhook_).size() == 1; }));
  EXPECT_EQ(Receivers(webhook_)[0], "ops");

  // A route naming a receiver that does not exist: refused, and the running router stays.
  config::RouterConfig broken = RouterFromYaml(WebhookRouterYaml("ops", webhook_.Url("/hook")));
  broken.route.receiver = "nobody";
  auto refused = router->Prepare(broken, {});
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(router->config()->route.receiver, "ops");
  router->Send({FiringNow("AlsoDown")});
  ASSERT_TRUE(WaitFor([&] { return Receivers(webhook_).size() == 2; }));

  // A good reload renames the receiver: the alerts are kept and regrouped under it.
  auto second =
      router->Prepare(RouterFromYaml(WebhookRouterYaml("oncall", webhook_.Url("/hook"))), {});
  ASSERT_TRUE(second.ok()) << second.status().message();
  ASSERT_TRUE(router->Commit(std::move(*second)).ok());
  ASSERT_TRUE(WaitFor([&] {
    std::vector<std::string> r = Receivers(webhook_);
    return std::count(r.begin(), r.end(), "oncall") == 2;
  }));
  router->Stop();
  router->Stop();  // idempotent
}

TEST_F(AlertRouterTest, SilencesSurviveReopeningTheDataDirectory) {
  std::string silence_id;
  {
    auto router = Open();
    ASSERT_NE(router, nullptr);
    Silence s;
    s.matchers = {*config::MakeMatcher("alertname", config::Matcher::Op::kEqual, "Down")};
    s.starts_at_ms = FiringNow("x").starts_at_ms;
    s.ends_at_ms = s.starts_at_ms + 3600 * 1000;
    s.created_by = "test";
    s.comment = "maintenance";
    auto id = router->silences().Set(s);
    ASSERT_TRUE(id.ok()) << id.status().message();
    silence_id = *id;
  }  // the destructor stops everything and closes both stores
  auto router = Open();
  ASSERT_NE(router, nullptr);
  std::optional<Silence> again = router->silences().Get(silence_id);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->comment, "maintenance");
}

}  // namespace
}  // namespace andon::alerting
