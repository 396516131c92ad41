// tests/alerting/dispatcher_test.cc
#include "alerting/dispatcher.h"

#include <gtest/gtest.h>

#include "alerting/alert_json.h"
#include "tests/alerting/alerting_test_util.h"

namespace andon::alerting {
namespace {

using testing::FakeClock;
using testing::kHour;
using testing::kMin;
using testing::kSec;
using testing::kT0;
using testing::MakeAlert;
using testing::Names;
using testing::RecordingNotifier;

constexpr const char* kTeams = R"(
route:
  receiver: default
  group_by: [alertname, team]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - matchers: ['team="a"']
      receiver: team-a
    - matchers: ['team="b"']
      receiver: team-b
    - matchers: ['team="both"']
      receiver: team-a
      continue: true
    - matchers: ['team="both"']
      receiver: team-b
    - matchers: ['team="quiet"']
      receiver: team-a
      mute_time_intervals: [weekend]
    - matchers: ['team="office"']
      receiver: team-a
      active_time_intervals: [office-hours]
receivers:
  - name: default
  - name: team-a
  - name: team-b
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [cluster]
time_intervals:
  - name: weekend
    time_intervals: [{weekdays: [saturday, sunday]}]
  - name: office-hours
    time_intervals: [{weekdays: ['monday:friday'], times: [{start_time: '09:00', end_time: '17:00'}]}]
)";

Alert Firing(std::string name, std::string team, std::string instance, int64_t starts = kT0,
             int64_t ends = kT0 + 24 * kHour) {
  return MakeAlert(Labels{{"alertname", name}, {"team", team}, {"instance", instance}}, starts,
                   ends);
}

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override { Build(); }

  void Build(const std::string& yaml = kTeams, NotificationLog* nflog = nullptr,
             const Silencer* silencer = nullptr) {
    d_.reset();
    Integrations in;
    in["team-a"] = {a_};
    in["team-b"] = {b_, b_quiet_};
    in["default"] = {def_};
    DispatcherOptions options;
    options.clock = clock_.AsFunction();
    options.external_url = "http://andon";
    auto d = Dispatcher::Create(testing::RouterFromYaml(yaml), in, silencer,
                                nflog ? nflog : nflog_.get(), options);
    ASSERT_TRUE(d.ok()) << d.status().message();
    d_ = std::move(d).value();
  }

  // Moves the clock to t and runs what is due.
  size_t At(int64_t t) {
    clock_.Set(t);
    return d_->RunDue();
  }

  void SetUpNflog() {
    auto log = NotificationLog::Open(dir_.path("nflog"));
    ASSERT_TRUE(log.ok()) << log.status().message();
    nflog_ = std::move(log).value();
  }

  FakeClock clock_;
  testing::TempDir dir_;
  std::unique_ptr<NotificationLog> nflog_;
  std::shared_ptr<RecordingNotifier> a_ = std::make_shared<RecordingNotifier>("slack", true);
  std::shared_ptr<RecordingNotifier> b_ = std::make_shared<RecordingNotifier>("slack", true);
  // Second integration of team-b, without send_resolved.
  std::shared_ptr<RecordingNotifier> b_quiet_ =
      std::make_shared<RecordingNotifier>("webhook", false);
  std::shared_ptr<RecordingNotifier> def_ = std::make_shared<RecordingNotifier>("webhook", true);
  std::unique_ptr<Dispatcher> d_;
};

TEST_F(DispatcherTest, ManyAlertsBecomeOneNotificationAfterGroupWait) {
  SetUpNflog();
  Build();
  d_->Send({Firing("Down", "a", "1"), Firing("Down", "a", "2"), Firing("Down", "a", "3")});
  EXPECT_EQ(d_->group_count(), 1u);
  EXPECT_EQ(d_->NextFlushMs(), kT0 + 30 * kSec);
  At(kT0 + 29 * kSec);
  EXPECT_EQ(a_->count(), 0u);
  EXPECT_EQ(At(kT0 + 30 * kSec), 1u);
  ASSERT_EQ(a_->count(), 1u);
  Notification n = a_->sent()[0];
  EXPECT_EQ(Names(n), (std::vector<std::string>{"Down/1", "Down/2", "Down/3"}));
  EXPECT_EQ(n.receiver, "team-a");
  EXPECT_EQ(n.group_key, R"({}/{team="a"}:{alertname="Down", team="a"})");
  EXPECT_EQ(n.group_labels, (Labels{{"alertname", "Down"}, {"team", "a"}}));
  EXPECT_EQ(n.external_url, "http://andon");
  EXPECT_EQ(n.now_ms, kT0 + 30 * kSec);
  for (const Alert& a : n.alerts) EXPECT_EQ(a.ends_at_ms, 0);  // firing: ends_at cleared
  EXPECT_TRUE(n.AnyFiring());
  // Nobody else heard of it.
  EXPECT_EQ(b_->count() + b_quiet_->count() + def_->count(), 0u);
  auto entry = nflog_->Query("team-a", "slack", 0, n.group_key);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->firing.size(), 3u);
  EXPECT_EQ(entry->timestamp_ms, kT0 + 30 * kSec);
}

TEST_F(DispatcherTest, GroupIntervalSendsOnlyWhenSomethingChanged) {
  d_->Send({Firing("Down", "a", "1")});
  At(kT0 + 30 * kSec);
  ASSERT_EQ(a_->count(), 1u);
  d_->Send({Firing("Down", "a", "2", kT0 + kMin)});
  clock_.Set(kT0 + kMin);
  EXPECT_EQ(d_->NextFlushMs(), kT0 + 30 * kSec + 5 * kMin);  // not earlier for a new alert
  At(kT0 + 5 * kMin + 29 * kSec);
  EXPECT_EQ(a_->count(), 1u);
  At(kT0 + 5 * kMin + 30 * kSec);
  ASSERT_EQ(a_->count(), 2u);
  EXPECT_EQ(Names(a_->sent()[1]), (std::vector<std::string>{"Down/1", "Down/2"}));
  // Unchanged: the next intervals flush but send nothing.
  EXPECT_EQ(At(kT0 + 10 * kMin + 30 * kSec), 1u);
  EXPECT_EQ(At(kT0 + 15 * kMin + 30 * kSec), 1u);
  EXPECT_EQ(a_->count(), 2u);
}

TEST_F(DispatcherTest, UnchangedGroupIsRepeatedAfterRepeatInterval) {
  d_->Send({Firing("Down", "a", "1")});
  At(kT0 + 30 * kSec);
  ASSERT_EQ(a_->count(), 1u);
  // Flushes every 5m; the repeat goes out at the first flush more than 4h after the send.
  int64_t t = kT0 + 30 * kSec;
  for (int k = 1; k <= 48; ++k) {
    t += 5 * kMin;
    At(t);
  }
  EXPECT_EQ(a_->count(), 1u) << "exactly 4h later is not yet 'more than' repeat_interval";
  t += 5 * kMin;
  At(t);
  ASSERT_EQ(a_->count(), 2u);
  EXPECT_EQ(a_->sent()[1].now_ms, kT0 + 30 * kSec + 4 * kHour + 5 * kMin);
  t += 5 * kMin;
  At(t);
  EXPECT_EQ(a_->count(), 2u);
}

TEST_F(DispatcherTest, ResolvedGoesOnlyToSendResolvedIntegrationsThenTheGroupIsRemoved) {
  SetUpNflog();
  Build();
  d_->Send({Firing("Down", "b", "1"), Firing("Down", "b", "2")});
  At(kT0 + 30 * kSec);
  ASSERT_EQ(b_->count(), 1u);
  ASSERT_EQ(b_quiet_->count(), 1u);
  // One resolves: the send_resolved integration is told; the other sees a subset of what
  // it last sent as firing, so it stays quiet.
  clock_.Set(kT0 + 2 * kMin);  // Prometheus sends the resolution after it happened
  d_->Send({Firing("Down", "b", "1", kT0, kT0 + 2 * kMin)});
  At(kT0 + 5 * kMin + 30 * kSec);
  ASSERT_EQ(b_->count(), 2u);
  EXPECT_EQ(Names(b_->sent()[1]), (std::vector<std::string>{"Down/1(resolved)", "Down/2"}));
  EXPECT_EQ(b_quiet_->count(), 1u);
  // The resolved alert left the group after the successful flush.
  auto groups = d_->Groups();
  ASSERT_EQ(groups.size(), 1u);
  ASSERT_EQ(groups[0].alerts.size(), 1u);
  // The last one resolves: a resolved notification, nothing to the quiet one, group gone.
  clock_.Set(kT0 + 7 * kMin);
  d_->Send({Firing("Down", "b", "2", kT0, kT0 + 7 * kMin)});
  At(kT0 + 10 * kMin + 30 * kSec);
  ASSERT_EQ(b_->count(), 3u);
  EXPECT_EQ(Names(b_->sent()[2]), (std::vector<std::string>{"Down/2(resolved)"}));
  EXPECT_FALSE(b_->sent()[2].AnyFiring());
  EXPECT_EQ(b_quiet_->count(), 1u);
  EXPECT_EQ(d_->group_count(), 0u);
  // The quiet integration's log says nothing fires any more (so a new firing is new).
  auto quiet =
      nflog_->Query("team-b", "webhook", 1, R"({}/{team="b"}:{alertname="Down", team="b"})");
  ASSERT_TRUE(quiet.has_value());
  EXPECT_TRUE(quiet->firing.empty());
  // Prometheus keeps re-sending the resolved alert for a while: no new notification.
  d_->Send({Firing("Down", "b", "2", kT0, kT0 + 7 * kMin)});
  At(kT0 + 12 * kMin);
  EXPECT_EQ(b_->count(), 3u);
  EXPECT_EQ(d_->group_count(), 0u);
}

TEST_F(DispatcherTest, NewFiringAlertForTheQuietIntegrationIsSent) {
  d_->Send({Firing("Down", "b", "1")});
  At(kT0 + 30 * kSec);
  d_->Send({Firing("Down", "b", "2", kT0 + kMin)});
  At(kT0 + 5 * kMin + 30 * kSec);
  ASSERT_EQ(b_quiet_->count(), 2u);
  EXPECT_EQ(Names(b_quiet_->sent()[1]), (std::vector<std::string>{"Down/1", "Down/2"}));
}

TEST_F(DispatcherTest, ContinueRoutesNotifyEveryMatchingReceiver) {
  d_->Send({Firing("Down", "both", "1")});
  EXPECT_EQ(d_->group_count(), 2u);
  At(kT0 + 30 * kSec);
  ASSERT_EQ(a_->count(), 1u);
  ASSERT_EQ(b_->count(), 1u);
  EXPECT_EQ(a_->sent()[0].group_key, R"({}/{team="both"}:{alertname="Down", team="both"})");
  EXPECT_EQ(a_->sent()[0].receiver, "team-a");
  EXPECT_EQ(b_->sent()[0].receiver, "team-b");
  auto alerts = d_->Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].receivers, (std::vector<std::string>{"team-a", "team-b"}));
}

TEST_F(DispatcherTest, AlertWithoutTeamGoesToTheDefaultReceiver) {
  d_->Send({MakeAlert(Labels{{"alertname", "Lonely"}}, kT0, kT0 + kHour)});
  At(kT0 + 30 * kSec);
  ASSERT_EQ(def_->count(), 1u);
  EXPECT_EQ(def_->sent()[0].group_key, R"({}:{alertname="Lonely"})");
  EXPECT_EQ(a_->count() + b_->count(), 0u);
}

TEST_F(DispatcherTest, InhibitedAlertsAreLeftOutAndMarked) {
  auto labels = [](std::string name, std::string sev, std::string cluster) {
    return Labels{{"alertname", name}, {"team", "a"}, {"severity", sev}, {"cluster", cluster}};
  };
  Alert crit = MakeAlert(labels("Down", "critical", "c1"), kT0, kT0 + kHour);
  Alert warn1 = MakeAlert(labels("Slow", "warning", "c1"), kT0, kT0 + kHour);
  Alert warn2 = MakeAlert(labels("Slow", "warning", "c2"), kT0, kT0 + kHour);
  d_->Send({crit, warn1, warn2});
  At(kT0 + 30 * kSec);
  ASSERT_EQ(a_->count(), 2u);  // groups Down and Slow
  std::vector<std::string> got;
  for (const Notification& n : a_->sent()) {
    for (const Alert& a : n.alerts) got.push_back(a.labels.ToString());
  }
  EXPECT_EQ(got.size(), 2u);
  for (const std::string& s : got) EXPECT_EQ(s.find("c1\", severity=\"warning"), std::string::npos);

  auto alerts = d_->Alerts();
  ASSERT_EQ(alerts.size(), 3u);
  for (const AlertStatusView& v : alerts) {
    if (v.alert.labels == warn1.labels) {
      EXPECT_EQ(v.state, "suppressed");
      EXPECT_EQ(v.inhibited_by, (std::vector<std::string>{AlertmanagerFingerprint(crit.labels)}));
    } else {
      EXPECT_EQ(v.state, "active") << v.alert.labels.ToString();
      EXPECT_TRUE(v.inhibited_by.empty());
    }
    EXPECT_EQ(v.fingerprint, AlertmanagerFingerprint(v.alert.labels));
  }
  // The critical one resolves: the warning is no longer inhibited and is sent.
  clock_.Set(kT0 + 2 * kMin);
  d_->Send({MakeAlert(crit.labels, kT0, kT0 + 2 * kMin)});
  At(kT0 + 5 * kMin + 30 * kSec);
  ASSERT_GE(a_->count(), 3u);
  bool warn1_sent = false;
  for (const Notification& n : a_->sent()) {
    for (const Alert& a : n.alerts) warn1_sent |= a.labels == warn1.labels;
  }
  EXPECT_TRUE(warn1_sent);
}

TEST_F(DispatcherTest, SilencedAlertsAreLeftOutAndMarked) {
  testing::LabelSilencer silencer("instance", "2");
  Build(kTeams, nullptr, &silencer);
  d_->Send({Firing("Down", "a", "1"), Firing("Down", "a", "2")});
  At(kT0 + 30 * kSec);
  ASSERT_EQ(a_->count(), 1u);
  EXPECT_EQ(Names(a_->sent()[0]), (std::vector<std::string>{"Down/1"}));
  auto alerts = d_->Alerts();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].state, "active");
  EXPECT_EQ(alerts[1].state, "suppressed");
  EXPECT_EQ(alerts[1].silenced_by, (std::vector<std::string>{"silence-1"}));
  // A group that is entirely silenced sends nothing.
  d_->Send({Firing("Other", "a", "2")});
  At(kT0 + kMin);
  EXPECT_EQ(a_->count(), 1u);
}

TEST_F(DispatcherTest, MuteTimeIntervalsHoldNotificationsUntilTheyEnd) {
  const int64_t saturday = kT0 + 5 * 24 * kHour;  // Sat 10:00 UTC
  clock_.Set(saturday);
  d_->Send({Firing("Down", "quiet", "1", saturday, saturday + 3 * 24 * kHour)});
  At(saturday + 30 * kSec);
  EXPECT_EQ(a_->count(), 0u);
  // Still muted through Sunday; Monday 00:00 is the first unmuted flush.
  int64_t t = saturday + 30 * kSec;
  while (t < saturday + 38 * kHour) {
    t += 5 * kMin;
    At(t);
  }
  ASSERT_EQ(a_->count(), 1u);
  EXPECT_GE(a_->sent()[0].now_ms, saturday + 38 * kHour);  // Mon 00:00
  EXPECT_LT(a_->sent()[0].now_ms, saturday + 38 * kHour + 5 * kMin);
}

TEST_F(DispatcherTest, ActiveTimeIntervalsSendOnlyInsideThem) {
  const int64_t evening = kT0 + 8 * kHour;  // Mon 18:00 UTC
  clock_.Set(evening);
  d_->Send({Firing("Down", "office", "1", evening, evening + 24 * kHour)});
  At(evening + 30 * kSec);
  EXPECT_EQ(a_->count(), 0u);
  int64_t t = evening + 30 * kSec;
  while (a_->count() == 0 && t < evening + 24 * kHour) {
    t += 5 * kMin;
    At(t);
  }
  ASSERT_EQ(a_->count(), 1u);
  EXPECT_EQ(a_->sent()[0].now_ms, kT0 + 23 * kHour + 30 * kSec);  // Tue 09:00:30
}

TEST_F(DispatcherTest, RestartWithThePersistedLogDoesNotResend) {
  SetUpNflog();
  Build();
  d_->Send({Firing("Down", "a", "1"), Firing("Down", "a", "2")});
  At(kT0 + 30 * kSec);
  ASSERT_EQ(a_->count(), 1u);
  // Restart 10 minutes later: a new process, the log reopened from disk.
  d_.reset();
  nflog_.reset();
  SetUpNflog();
  Build();
  clock_.Set(kT0 + 10 * kMin);
  // Prometheus re-sends its firing alerts; they started long ago, so the new group
  // flushes at once, and de-duplication finds them already sent.
  d_->Send({Firing("Down", "a", "1"), Firing("Down", "a", "2")});
  EXPECT_EQ(d_->NextFlushMs(), kT0 + 10 * kMin);
  EXPECT_EQ(At(kT0 + 10 * kMin), 1u);
  EXPECT_EQ(a_->count(), 1u);
  // A new alert in the group is news and goes out at the next interval.
  d_->Send({Firing("Down", "a", "3", kT0 + 11 * kMin)});
  At(kT0 + 15 * kMin);
  ASSERT_EQ(a_->count(), 2u);
  EXPECT_EQ(Names(a_->sent()[1]), (std::vector<std::string>{"Down/1", "Down/2", "Down/3"}));
}

TEST_F(DispatcherTest, RestartWithoutALogResends) {
  // The control for the test above: without the log the same sequence notifies twice.
  d_->Send({Firing("Down", "a", "1")});
  At(kT0 + 30 * kSec);
  Build();
  clock_.Set(kT0 + 10 * kMin);
  d_->Send({Firing("Down", "a", "1")});
  At(kT0 + 10 * kMin);
  EXPECT_EQ(a_->count(), 2u);
}

TEST_F(DispatcherTest, FailedNotificationIsNotLoggedAndIsRetriedAtTheNextInterval) {
  SetUpNflog();
  Build();
  a_->set_status(Status::Unavailable("slack: 503"));
  d_->Send({Firing("Down", "a", "1")});
  At(kT0 + 30 * kSec);
  ASSERT_EQ(a_->count(), 1u);
  const std::string key = R"({}/{team="a"}:{alertname="Down", team="a"})";
  EXPECT_FALSE(nflog_->Query("team-a", "slack", 0, key).has_value());
  a_->set_status(Status::Ok());
  At(kT0 + 5 * kMin + 30 * kSec);
  ASSERT_EQ(a_->count(), 2u);
  EXPECT_TRUE(nflog_->Query("team-a", "slack", 0, key).has_value());
  At(kT0 + 10 * kMin + 30 * kSec);
  EXPECT_EQ(a_->count(), 2u);
}

TEST_F(DispatcherTest, LogIsWrittenOnlyWhenDoneArrivesAndAnInFlightGroupSkipsAFlush) {
  SetUpNflog();
  Build();
  a_->hold(true);
  d_->Send({Firing("Down", "a", "1")});
  At(kT0 + 30 * kSec);
  ASSERT_EQ(a_->count(), 1u);
  const std::string key = R"({}/{team="a"}:{alertname="Down", team="a"})";
  EXPECT_FALSE(nflog_->Query("team-a", "slack", 0, key).has_value());
  // Still in flight at the next interval: skipped, no second notification.
  EXPECT_EQ(At(kT0 + 5 * kMin + 30 * kSec), 1u);
  EXPECT_EQ(a_->count(), 1u);
  clock_.Set(kT0 + 6 * kMin);
  a_->ReleaseAll(Status::Ok());
  auto entry = nflog_->Query("team-a", "slack", 0, key);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->timestamp_ms, kT0 + 6 * kMin);  // when it was delivered
  a_->hold(false);
  At(kT0 + 10 * kMin + 30 * kSec);
  EXPECT_EQ(a_->count(), 1u);  // delivered and logged: nothing new to send
}

TEST_F(DispatcherTest, DoneAfterTheDispatcherIsGoneIsIgnored) {
  a_->hold(true);
  d_->Send({Firing("Down", "a", "1")});
  At(kT0 + 30 * kSec);
  ASSERT_EQ(a_->count(), 1u);
  d_.reset();
  a_->ReleaseAll(Status::Ok());  // must not touch freed memory (ASan checks)
  SUCCEED();
}

TEST_F(DispatcherTest, SnapshotsListActiveAlertsAndGroups) {
  d_->Send({Firing("Down", "a", "1"), Firing("Down", "a", "2"), Firing("Up", "b", "1"),
            MakeAlert(Labels{{"alertname", "Gone"}, {"team", "a"}}, kT0 - kHour, kT0 - kMin)});
  auto alerts = d_->Alerts();
  ASSERT_EQ(alerts.size(), 3u);  // the resolved one is not listed
  EXPECT_EQ(alerts[0].alert.labels.Get("alertname"), "Down");
  EXPECT_EQ(alerts[0].receivers, (std::vector<std::string>{"team-a"}));
  EXPECT_EQ(alerts[0].updated_at_ms, kT0);
  EXPECT_EQ(alerts[2].receivers, (std::vector<std::string>{"team-b"}));
  auto groups = d_->Groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].labels, (Labels{{"alertname", "Down"}, {"team", "a"}}));
  EXPECT_EQ(groups[0].receiver, "team-a");
  EXPECT_EQ(groups[0].alerts.size(), 2u);
  EXPECT_EQ(groups[0].route_id, R"({}/{team="a"}/0)");
  EXPECT_EQ(groups[1].receiver, "team-b");
}

TEST_F(DispatcherTest, ResolveTimeoutResolvesAlertsSentWithoutEndsAt) {
  d_->Send({MakeAlert(Labels{{"alertname", "Api"}, {"team", "a"}}, 0, 0)});
  auto alerts = d_->Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].alert.starts_at_ms, kT0);
  EXPECT_EQ(alerts[0].alert.ends_at_ms, kT0 + 5 * kMin);  // default resolve_timeout
  At(kT0 + 30 * kSec);
  ASSERT_EQ(a_->count(), 1u);
  // Never re-sent: resolved at +5m, notified at the next flush, then collected.
  At(kT0 + 5 * kMin + 30 * kSec);
  ASSERT_EQ(a_->count(), 2u);
  EXPECT_FALSE(a_->sent()[1].AnyFiring());
  EXPECT_TRUE(d_->Alerts().empty());
  EXPECT_EQ(d_->group_count(), 0u);
}

TEST_F(DispatcherTest, GroupByAllMakesOneGroupPerLabelSet) {
  Build(R"(
route:
  receiver: team-a
  group_by: ['...']
  group_wait: 1s
receivers: [{name: team-a}, {name: team-b}, {name: default}]
)");
  d_->Send({Firing("Down", "a", "1"), Firing("Down", "a", "2")});
  EXPECT_EQ(d_->group_count(), 2u);
  At(kT0 + kSec);
  ASSERT_EQ(a_->count(), 2u);
  EXPECT_EQ(a_->sent()[0].alerts.size(), 1u);
}

TEST_F(DispatcherTest, ReloadKeepsAlertsAndDoesNotResendUnchangedGroups) {
  d_->Send({Firing("Down", "a", "1")});
  At(kT0 + 30 * kSec);
  ASSERT_EQ(a_->count(), 1u);
  clock_.Set(kT0 + 2 * kMin);
  Integrations in{{"team-a", {a_}}, {"team-b", {b_}}, {"default", {def_}}};
  ASSERT_TRUE(d_->Reload(testing::RouterFromYaml(kTeams), in).ok());
  EXPECT_EQ(d_->group_count(), 1u);
  EXPECT_EQ(d_->NextFlushMs(), kT0 + 2 * kMin);  // rebuilt group of old alerts: at once
  At(kT0 + 2 * kMin);
  EXPECT_EQ(a_->count(), 1u);  // the log knows it was sent
  // A config that routes team a to team-b: the new receiver hears about it.
  std::string moved = kTeams;
  moved.replace(moved.find("receiver: team-a"), 16, "receiver: team-b");
  ASSERT_TRUE(d_->Reload(testing::RouterFromYaml(moved), in).ok());
  At(kT0 + 3 * kMin);
  ASSERT_EQ(b_->count(), 1u);
  EXPECT_EQ(b_->sent()[0].receiver, "team-b");
  EXPECT_EQ(d_->route_tree()->Match(Labels{{"team", "a"}})[0]->options().receiver, "team-b");
  // A bad config is refused and the running one stays.
  config::RouterConfig bad = testing::RouterFromYaml(kTeams);
  bad.route.routes[0].receiver = "ghost";
  EXPECT_FALSE(d_->Reload(bad, in).ok());
  EXPECT_EQ(d_->route_tree()->Match(Labels{{"team", "a"}})[0]->options().receiver, "team-b");
  EXPECT_EQ(d_->Alerts().size(), 1u);
}

TEST_F(DispatcherTest, ADoneFromBeforeAReloadLeavesTheRebuiltGroupAlone) {
  a_->hold(true);
  d_->Send({Firing("Down", "a", "1")});
  At(kT0 + 30 * kSec);
  ASSERT_EQ(a_->count(), 1u);
  clock_.Set(kT0 + kMin);
  Integrations in{{"team-a", {a_}}, {"team-b", {b_}}, {"default", {def_}}};
  ASSERT_TRUE(d_->Reload(testing::RouterFromYaml(kTeams), in).ok());
  At(kT0 + kMin);  // the rebuilt group flushes; nothing was logged yet, so it sends
  ASSERT_EQ(a_->count(), 2u);
  a_->ReleaseAll(Status::Ok());
  EXPECT_EQ(d_->group_count(), 1u);
  a_->hold(false);
  At(kT0 + 6 * kMin);
  EXPECT_EQ(a_->count(), 2u);  // both deliveries logged; the group is not stuck in flight
  d_->Send({Firing("Down", "a", "2", kT0 + 6 * kMin)});
  At(kT0 + 11 * kMin);
  EXPECT_EQ(a_->count(), 3u);
}

TEST(DispatcherCreateTest, RejectsUndefinedNamesAndBadIntervals) {
  // Built by hand: the config parser already rejects these in files.
  config::RouterConfig cfg;
  cfg.route.receiver = "r";
  cfg.receivers.emplace_back();
  cfg.receivers.back().name = "r";
  config::Route child;
  child.mute_time_intervals = {"nope"};
  cfg.route.routes.push_back(child);
  auto d = Dispatcher::Create(cfg, {}, nullptr, nullptr);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "undefined time interval \"nope\" used in route {}/{}");
  cfg.route.routes[0].mute_time_intervals.clear();
  cfg.route.routes[0].receiver = "ghost";
  d = Dispatcher::Create(cfg, {}, nullptr, nullptr);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "undefined receiver \"ghost\" used in route {}/{}");
  cfg.route.routes.clear();
  config::TimeInterval ti;
  ti.name = "bad";
  ti.time_intervals.emplace_back();
  ti.time_intervals.back().weekdays = {"someday"};
  cfg.time_intervals.push_back(ti);
  d = Dispatcher::Create(cfg, {}, nullptr, nullptr);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "time interval \"bad\": bad weekday \"someday\"");
}

TEST(DispatcherThreadTest, BackgroundThreadFlushesDueGroupsAndStopsCleanly) {
  FakeClock clock;
  auto n = std::make_shared<RecordingNotifier>("slack", true);
  auto cfg = testing::RouterFromYaml(
      "route: {receiver: r, group_wait: 30s, group_by: [alertname]}\nreceivers: [{name: r}]\n");
  DispatcherOptions options;
  options.clock = clock.AsFunction();
  auto d = Dispatcher::Create(cfg, {{"r", {n}}}, nullptr, nullptr, options);
  ASSERT_TRUE(d.ok());
  (*d)->Start();
  (*d)->Start();  // idempotent
  // An alert older than group_wait flushes at once.
  (*d)->Send({MakeAlert(Labels{{"alertname", "Old"}}, kT0 - kHour, kT0 + kHour)});
  ASSERT_TRUE(n->WaitForCount(1));
  // A new one waits for the clock to reach group_wait.
  (*d)->Send({MakeAlert(Labels{{"alertname", "New"}}, kT0, kT0 + kHour)});
  clock.Advance(30 * kSec);
  (*d)->Wake();
  ASSERT_TRUE(n->WaitForCount(2));
  EXPECT_EQ(n->sent()[1].group_labels, (Labels{{"alertname", "New"}}));
  // Concurrent senders while the thread flushes.
  std::vector<std::thread> senders;
  for (int i = 0; i < 4; ++i) {
    senders.emplace_back([&, i] {
      for (int j = 0; j < 50; ++j) {
        (*d)->Send(
            {MakeAlert(Labels{{"alertname", "C" + std::to_string(i)}, {"n", std::to_string(j)}},
                       kT0 - kHour, kT0 + kHour)});
        (void)(*d)->Alerts();
      }
    });
  }
  for (auto& t : senders) t.join();
  ASSERT_TRUE(n->WaitForCount(6));
  (*d)->Stop();
  (*d)->Stop();
  EXPECT_EQ((*d)->Alerts().size(), 202u);
}

}  // namespace
}  // namespace andon::alerting

namespace andon::alerting {
namespace {

TEST(DispatcherMetricsTest, CountsReceivedAlertsAndTracksGroups) {
  testing::FakeClock clock;
  MetricsRegistry registry;
  auto n = std::make_shared<testing::RecordingNotifier>("slack", true);
  auto cfg = testing::RouterFromYaml(
      "route: {receiver: r, group_wait: 30s, group_by: [alertname]}\nreceivers: [{name: r}]\n");
  DispatcherOptions options;
  options.clock = clock.AsFunction();
  options.registry = &registry;
  auto d = Dispatcher::Create(cfg, {{"r", {n}}}, nullptr, nullptr, options);
  ASSERT_TRUE(d.ok()) << d.status().message();
  (*d)->Send(
      {testing::MakeAlert(Labels{{"alertname", "A"}}, testing::kT0, testing::kT0 + testing::kHour),
       testing::MakeAlert(Labels{{"alertname", "B"}}, testing::kT0, testing::kT0 + testing::kHour),
       testing::MakeAlert(Labels{{"alertname", "C"}}, testing::kT0 - testing::kHour,
                          testing::kT0 - testing::kMin)});
  auto received = registry.RegisterCounter("andon_alerts_received_total",
                                           "Alerts received by the alert router.", {"status"});
  ASSERT_TRUE(received.ok()) << received.status().message();
  EXPECT_EQ((*received)->WithLabels({"firing"}).Value(), 2);
  EXPECT_EQ((*received)->WithLabels({"resolved"}).Value(), 1);
  auto groups =
      registry.RegisterGauge("andon_alert_aggregation_groups", "Aggregation groups of the router.");
  ASSERT_TRUE(groups.ok()) << groups.status().message();
  EXPECT_EQ((*groups)->WithLabels().Value(), 3);
  // C was resolved before it was ever sent: its group flushes at once, sends nothing and goes.
  clock.Set(testing::kT0);
  (*d)->RunDue();
  EXPECT_EQ((*groups)->WithLabels().Value(), 2);
  EXPECT_EQ(n->count(), 0u);
  // A second dispatcher in the same registry (a reload done by re-creating) reuses them.
  auto d2 = Dispatcher::Create(cfg, {}, nullptr, nullptr, options);
  EXPECT_TRUE(d2.ok()) << d2.status().message();
}

}  // namespace
}  // namespace andon::alerting
