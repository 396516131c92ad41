#include "alerting/silences.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

namespace andon::alerting {
namespace {

using config::Matcher;
using Op = config::Matcher::Op;

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kT0 = 1'700'000'000'000;  // the fake clock's start

Matcher M(std::string name, Op op, std::string value) {
  return Matcher{std::move(name), op, std::move(value), nullptr};
}

Silence MakeSilence(std::vector<Matcher> matchers, int64_t starts, int64_t ends) {
  Silence s;
  s.matchers = std::move(matchers);
  s.starts_at_ms = starts;
  s.ends_at_ms = ends;
  s.created_by = "alice";
  s.comment = "maintenance";
  return s;
}

double GaugeValue(const MetricsRegistry& registry, std::string_view state) {
  for (const FamilySnapshot& f : registry.Gather()) {
    if (f.name != "andon_silences") continue;
    for (const MetricSnapshot& m : f.metrics) {
      if (m.label_values == std::vector<std::string>{std::string(state)}) return m.value;
    }
  }
  return -1;
}

class SilencesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "silences_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    Reopen();
  }
  void TearDown() override {
    silences_.reset();
    std::filesystem::remove_all(root_);
  }
  void Reopen() {
    silences_.reset();
    SilencesOptions opts;
    opts.dir = root_ + "/alerting/silences";
    opts.now_ms = [this] { return now_.load(); };
    opts.registry = &registry_;
    Result<std::unique_ptr<Silences>> s = Silences::Open(std::move(opts));
    ASSERT_TRUE(s.ok()) << s.status().message();
    silences_ = std::move(*s);
  }
  std::string MustSet(Silence s) {
    Result<std::string> id = silences_->Set(std::move(s));
    EXPECT_TRUE(id.ok()) << id.status().message();
    return id.ok() ? *id : "";
  }
  SilenceState StateOf(const std::string& id) {
    std::optional<Silence> s = silences_->Get(id);
    EXPECT_TRUE(s.has_value()) << id;
    return s ? s->StateAt(now_.load()) : SilenceState::kExpired;
  }

  std::string root_;
  std::atomic<int64_t> now_{kT0};
  MetricsRegistry registry_;
  std::unique_ptr<Silences> silences_;
};

struct ValidationCase {
  const char* name;
  std::vector<Matcher> matchers;
  int64_t starts_offset;
  int64_t ends_offset;
  const char* error;  // nullptr: accepted
};

TEST_F(SilencesTest, ValidationFollowsAlertmanagerWording) {
  const std::vector<ValidationCase> cases = {
      {"plain", {M("alertname", Op::kEqual, "Foo")}, 0, kHour, nullptr},
      {"no matchers", {}, 0, kHour, "silence invalid: at least one matcher required"},
      {"regex matching empty",
       {M("a", Op::kRegexMatch, ".*")},
       0,
       kHour,
       "silence invalid: at least one matcher must not match the empty string"},
      {"all match empty",
       {M("a", Op::kEqual, ""), M("b", Op::kRegexMatch, "x|")},
       0,
       kHour,
       "silence invalid: at least one matcher must not match the empty string"},
      {"one does not match empty",
       {M("a", Op::kEqual, ""), M("b", Op::kRegexMatch, "x")},
       0,
       kHour,
       nullptr},
      {"not-equal empty is fine", {M("a", Op::kNotEqual, "")}, 0, kHour, nullptr},
      {"negative regex never matches empty as a rule",
       {M("a", Op::kRegexNoMatch, ".*")},
       0,
       kHour,
       nullptr},
      {"bad regex",
       {M("a", Op::kEqual, "x"), M("b", Op::kRegexMatch, "(")},
       0,
       kHour,
       "silence invalid: invalid label matcher 1: invalid regular expression \"(\": "},
      {"bad label name",
       {M("a-b", Op::kEqual, "x")},
       0,
       kHour,
       "silence invalid: invalid label matcher 0: invalid label name \"a-b\""},
      {"empty label name",
       {M("", Op::kEqual, "x")},
       0,
       kHour,
       "silence invalid: invalid label matcher 0: invalid label name \"\""},
      {"bad utf8 value",
       {M("a", Op::kEqual, "\xff")},
       0,
       kHour,
       "silence invalid: invalid label matcher 0: invalid label value \"\xff\""},
      {"end before start",
       {M("a", Op::kEqual, "x")},
       kHour,
       0,
       "Failed to create silence: start time must be before end time"},
      {"end equals start",
       {M("a", Op::kEqual, "x")},
       kHour,
       kHour,
       "Failed to create silence: start time must be before end time"},
      {"end in the past",
       {M("a", Op::kEqual, "x")},
       -2 * kHour,
       -kHour,
       "Failed to create silence: end time can't be in the past"},
      {"time checks come before matcher checks",
       {},
       -2 * kHour,
       -kHour,
       "Failed to create silence: end time can't be in the past"},
  };
  for (const ValidationCase& c : cases) {
    SCOPED_TRACE(c.name);
    Result<std::string> id =
        silences_->Set(MakeSilence(c.matchers, kT0 + c.starts_offset, kT0 + c.ends_offset));
    if (c.error == nullptr) {
      EXPECT_TRUE(id.ok()) << id.status().message();
    } else {
      ASSERT_FALSE(id.ok());
      EXPECT_EQ(id.status().code(), Status::Code::kInvalidArgument);
      EXPECT_EQ(id.status().message().rfind(c.error, 0), 0u) << id.status().message();
    }
  }
  EXPECT_EQ(silences_->size(), 4u);  // the accepted ones only
}

TEST_F(SilencesTest, NewSilenceGetsUuidV4AndStartClampedToNow) {
  std::string id = MustSet(MakeSilence({M("a", Op::kEqual, "x")}, kT0 - kHour, kT0 + kHour));
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
  std::optional<Silence> s = silences_->Get(id);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->starts_at_ms, kT0);
  EXPECT_EQ(s->ends_at_ms, kT0 + kHour);
  EXPECT_EQ(s->updated_at_ms, kT0);
  EXPECT_EQ(s->created_by, "alice");
  EXPECT_EQ(s->comment, "maintenance");
  EXPECT_NE(MustSet(MakeSilence({M("a", Op::kEqual, "x")}, kT0, kT0 + kHour)), id);
}

TEST_F(SilencesTest, UnknownIdIsNotFound) {
  Silence s = MakeSilence({M("a", Op::kEqual, "x")}, kT0, kT0 + kHour);
  s.id = "4f6d3b3a-1111-4222-8333-444455556666";
  Result<std::string> id = silences_->Set(s);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(id.status().message(), "silence not found");
  Status st = silences_->Expire("4f6d3b3a-1111-4222-8333-444455556666");
  EXPECT_EQ(st.code(), Status::Code::kNotFound);
  EXPECT_EQ(st.message(), "silence not found");
}

TEST_F(SilencesTest, StateMovesWithTheClockAndTheGaugeFollows) {
  std::string id = MustSet(MakeSilence({M("a", Op::kEqual, "x")}, kT0 + kHour, kT0 + 2 * kHour));
  EXPECT_EQ(StateOf(id), SilenceState::kPending);
  EXPECT_EQ(GaugeValue(registry_, "pending"), 1);
  EXPECT_EQ(GaugeValue(registry_, "active"), 0);
  Labels alert{{"alertname", "A"}, {"a", "x"}};
  EXPECT_TRUE(silences_->MutedBy(alert, now_).empty());

  now_ = kT0 + kHour;
  EXPECT_EQ(StateOf(id), SilenceState::kActive);
  EXPECT_EQ(silences_->MutedBy(alert, now_), std::vector<std::string>{id});
  ASSERT_TRUE(silences_->GC().ok());  // GC also refreshes the gauge
  EXPECT_EQ(GaugeValue(registry_, "active"), 1);
  EXPECT_EQ(GaugeValue(registry_, "pending"), 0);

  now_ = kT0 + 2 * kHour - 1;
  EXPECT_EQ(StateOf(id), SilenceState::kActive);
  now_ = kT0 + 2 * kHour;
  EXPECT_EQ(StateOf(id), SilenceState::kExpired);
  EXPECT_TRUE(silences_->MutedBy(alert, now_).empty());
  ASSERT_TRUE(silences_->GC().ok());
  EXPECT_EQ(GaugeValue(registry_, "expired"), 1);
  EXPECT_EQ(GaugeValue(registry_, "active"), 0);
}

TEST_F(SilencesTest, ExpireEndsActiveAndPendingSilencesNow) {
  std::string active = MustSet(MakeSilence({M("a", Op::kEqual, "x")}, kT0, kT0 + kHour));
  std::string pending =
      MustSet(MakeSilence({M("a", Op::kEqual, "y")}, kT0 + kHour, kT0 + 2 * kHour));
  now_ = kT0 + 1000;
  ASSERT_TRUE(silences_->Expire(active).ok());
  ASSERT_TRUE(silences_->Expire(pending).ok());
  std::optional<Silence> a = silences_->Get(active);
  std::optional<Silence> p = silences_->Get(pending);
  EXPECT_EQ(a->starts_at_ms, kT0);
  EXPECT_EQ(a->ends_at_ms, kT0 + 1000);
  EXPECT_EQ(a->updated_at_ms, kT0 + 1000);
  EXPECT_EQ(p->starts_at_ms, kT0 + 1000);
  EXPECT_EQ(p->ends_at_ms, kT0 + 1000);
  EXPECT_EQ(StateOf(active), SilenceState::kExpired);
  EXPECT_EQ(StateOf(pending), SilenceState::kExpired);
  EXPECT_TRUE(silences_->MutedBy(Labels{{"a", "x"}}, now_).empty());
  EXPECT_EQ(GaugeValue(registry_, "expired"), 2);
  // Expiring again changes nothing and is not an error (Alertmanager 0.25 answers 200).
  now_ = kT0 + 5000;
  EXPECT_TRUE(silences_->Expire(active).ok());
  EXPECT_EQ(silences_->Get(active)->ends_at_ms, kT0 + 1000);
}

TEST_F(SilencesTest, ActiveSilenceWithSameMatchersIsUpdatedInPlace) {
  std::string id = MustSet(MakeSilence({M("a", Op::kEqual, "x")}, kT0, kT0 + kHour));
  now_ = kT0 + 60'000;
  Silence update = *silences_->Get(id);
  update.ends_at_ms = kT0 + 3 * kHour;
  update.comment = "longer";
  update.created_by = "bob";
  EXPECT_EQ(MustSet(update), id);
  std::optional<Silence> s = silences_->Get(id);
  EXPECT_EQ(s->ends_at_ms, kT0 + 3 * kHour);
  EXPECT_EQ(s->comment, "longer");
  EXPECT_EQ(s->created_by, "bob");
  EXPECT_EQ(s->updated_at_ms, kT0 + 60'000);
  EXPECT_EQ(silences_->size(), 1u);
  // Shortening into the near future is still in place.
  update.ends_at_ms = kT0 + 120'000;
  EXPECT_EQ(MustSet(update), id);
  EXPECT_EQ(silences_->size(), 1u);
}

TEST_F(SilencesTest, ActiveSilenceWithChangedMatchersIsExpiredAndReplaced) {
  std::string id = MustSet(MakeSilence({M("a", Op::kEqual, "x")}, kT0, kT0 + kHour));
  now_ = kT0 + 60'000;
  Silence update = *silences_->Get(id);
  update.matchers = {M("a", Op::kEqual, "y")};
  std::string replacement = MustSet(update);
  ASSERT_NE(replacement, id);
  std::optional<Silence> old = silences_->Get(id);
  EXPECT_EQ(old->ends_at_ms, now_.load());
  EXPECT_EQ(old->matchers[0].value, "x");
  EXPECT_EQ(StateOf(id), SilenceState::kExpired);
  std::optional<Silence> fresh = silences_->Get(replacement);
  EXPECT_EQ(fresh->starts_at_ms, now_.load());  // the original start is in the past
  EXPECT_EQ(fresh->matchers[0].value, "y");
  EXPECT_EQ(StateOf(replacement), SilenceState::kActive);
  EXPECT_EQ(silences_->MutedBy(Labels{{"a", "y"}}, now_), std::vector<std::string>{replacement});
  EXPECT_TRUE(silences_->MutedBy(Labels{{"a", "x"}}, now_).empty());
}

TEST_F(SilencesTest, ActiveSilenceWithMovedStartOrPastEndIsReplaced) {
  std::string id = MustSet(MakeSilence({M("a", Op::kEqual, "x")}, kT0, kT0 + kHour));
  now_ = kT0 + 60'000;
  Silence update = *silences_->Get(id);
  update.starts_at_ms = kT0 + 30'000;
  std::string second = MustSet(update);
  EXPECT_NE(second, id);
  EXPECT_EQ(StateOf(id), SilenceState::kExpired);
  EXPECT_EQ(StateOf(second), SilenceState::kActive);
}

TEST_F(SilencesTest, PendingSilenceUpdatesInPlaceUnlessItWouldStartInThePast) {
  std::string id = MustSet(MakeSilence({M("a", Op::kEqual, "x")}, kT0 + kHour, kT0 + 2 * kHour));
  Silence update = *silences_->Get(id);
  update.starts_at_ms = kT0 + 30 * 60'000;
  EXPECT_EQ(MustSet(update), id);
  EXPECT_EQ(silences_->Get(id)->starts_at_ms, kT0 + 30 * 60'000);

  update.starts_at_ms = kT0 - 1000;  // moves the start into the past: replaced
  std::string second = MustSet(update);
  EXPECT_NE(second, id);
  std::optional<Silence> old = silences_->Get(id);
  EXPECT_EQ(old->starts_at_ms, kT0);
  EXPECT_EQ(old->ends_at_ms, kT0);
  EXPECT_EQ(StateOf(id), SilenceState::kExpired);
  EXPECT_EQ(silences_->Get(second)->starts_at_ms, kT0);
  EXPECT_EQ(StateOf(second), SilenceState::kActive);
}

TEST_F(SilencesTest, UpdatingAnExpiredSilenceCreatesANewOneAndLeavesTheOld) {
  std::string id = MustSet(MakeSilence({M("a", Op::kEqual, "x")}, kT0, kT0 + kHour));
  now_ = kT0 + 2 * kHour;
  Silence update = *silences_->Get(id);
  update.ends_at_ms = kT0 + 3 * kHour;
  std::string second = MustSet(update);
  EXPECT_NE(second, id);
  EXPECT_EQ(silences_->Get(id)->ends_at_ms, kT0 + kHour);  // history untouched
  EXPECT_EQ(StateOf(second), SilenceState::kActive);
}

TEST_F(SilencesTest, InvalidUpdateLeavesThePreviousSilenceActive) {
  std::string id = MustSet(MakeSilence({M("a", Op::kEqual, "x")}, kT0, kT0 + kHour));
  Silence update = *silences_->Get(id);
  update.matchers = {M("a", Op::kRegexMatch, "(")};
  EXPECT_FALSE(silences_->Set(update).ok());
  EXPECT_EQ(StateOf(id), SilenceState::kActive);
  EXPECT_EQ(silences_->size(), 1u);
}

TEST_F(SilencesTest, SilencesSurviveReopen) {
  std::string eq = MustSet(MakeSilence({M("team", Op::kEqual, "payments")}, kT0, kT0 + kHour));
  std::string re = MustSet(
      MakeSilence({M("severity", Op::kRegexMatch, "crit.*"), M("env", Op::kNotEqual, "dev")}, kT0,
                  kT0 + kHour));
  std::string gone = MustSet(MakeSilence({M("a", Op::kEqual, "x")}, kT0, kT0 + kHour));
  ASSERT_TRUE(silences_->Expire(gone).ok());
  Reopen();
  ASSERT_EQ(silences_->size(), 3u);
  std::optional<Silence> s = silences_->Get(re);
  ASSERT_TRUE(s.has_value());
  ASSERT_EQ(s->matchers.size(), 2u);
  EXPECT_EQ(s->matchers[0].op, Op::kRegexMatch);
  EXPECT_EQ(s->matchers[1].op, Op::kNotEqual);
  EXPECT_EQ(s->created_by, "alice");
  EXPECT_EQ(StateOf(gone), SilenceState::kExpired);
  EXPECT_EQ(silences_->MutedBy(Labels{{"severity", "critical"}, {"env", "prod"}}, now_),
            std::vector<std::string>{re});
  EXPECT_EQ(silences_->MutedBy(Labels{{"team", "payments"}}, now_), std::vector<std::string>{eq});
  EXPECT_EQ(GaugeValue(registry_, "active"), 2);
  EXPECT_EQ(GaugeValue(registry_, "expired"), 1);
}

TEST_F(SilencesTest, InvalidUtf8InTheCommentIsStoredReplaced) {
  Silence s = MakeSilence({M("a", Op::kEqual, "x")}, kT0, kT0 + kHour);
  s.comment = "bad \xff byte";
  std::string id = MustSet(s);
  Reopen();
  std::optional<Silence> back = silences_->Get(id);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->comment, "bad \xef\xbf\xbd byte");  // U+FFFD, as Go would store it
}

TEST_F(SilencesTest, GcDropsSilencesExpiredLongerThanTheRetention) {
  std::string old = MustSet(MakeSilence({M("a", Op::kEqual, "x")}, kT0, kT0 + kHour));
  std::string recent = MustSet(MakeSilence({M("a", Op::kEqual, "y")}, kT0, kT0 + 100 * kHour));
  now_ = kT0 + kHour + 120 * kHour;  // exactly at the retention: kept
  Result<size_t> n = silences_->GC();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  now_ = now_ + 1;
  n = silences_->GC();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  EXPECT_FALSE(silences_->Get(old).has_value());
  EXPECT_TRUE(silences_->Get(recent).has_value());
  Reopen();  // the deletion is durable
  EXPECT_FALSE(silences_->Get(old).has_value());
  EXPECT_EQ(silences_->size(), 1u);
}

TEST_F(SilencesTest, MutedByAppliesEveryMatcherWithAbsentLabelsAsEmpty) {
  std::string s1 = MustSet(
      MakeSilence({M("alertname", Op::kEqual, "DiskFull"), M("instance", Op::kRegexMatch, "db-.*")},
                  kT0, kT0 + kHour));
  std::string s2 = MustSet(
      MakeSilence({M("team", Op::kEqual, "payments"), M("env", Op::kEqual, "")}, kT0, kT0 + kHour));
  std::string s3 =
      MustSet(MakeSilence({M("severity", Op::kRegexNoMatch, "critical")}, kT0, kT0 + kHour));
  std::string s4 = MustSet(
      MakeSilence({M("team", Op::kNotEqual, "payments"), M("alertname", Op::kEqual, "DiskFull")},
                  kT0, kT0 + kHour));
  auto muted = [&](Labels l) { return silences_->MutedBy(l, now_); };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(muted({{"alertname", "DiskFull"},
                   {"instance", "db-1"},
                   {"severity", "critical"},
                   {"team", "infra"}}),
            sorted({s1, s4}));
  EXPECT_EQ(muted({{"alertname", "DiskFull"},
                   {"instance", "web-1"},
                   {"severity", "critical"},
                   {"team", "payments"}}),
            std::vector<std::string>{s2});  // s1 wants db-.*, s4 another team
  EXPECT_EQ(muted({{"alertname", "X"}, {"team", "payments"}, {"severity", "critical"}}),
            std::vector<std::string>{s2});
  EXPECT_EQ(
      muted({{"alertname", "X"}, {"team", "payments"}, {"env", "prod"}, {"severity", "critical"}}),
      std::vector<std::string>{});  // env="" requires env to be absent
  EXPECT_EQ(muted({{"alertname", "X"}, {"severity", "warning"}}), std::vector<std::string>{s3});
}

TEST_F(SilencesTest, MutedByAgreesWithAScanOfEverySilence) {
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const std::vector<std::string> names = {"alertname", "team", "severity", "instance"};
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    std::vector<Matcher> ms;
    int count = 1 + pick(3);
    for (int j = 0; j < count; ++j) {
      Op op = static_cast<Op>(pick(4));
      std::string value = "v" + std::to_string(pick(5));
      if (op == Op::kRegexMatch || op == Op::kRegexNoMatch)
        value = "v[" + std::to_string(pick(5)) + "-4]";
      ms.push_back(M(names[pick(4)], op, value));
    }
    int64_t start = kT0 + (pick(3) - 1) * kHour;
    Result<std::string> id = silences_->Set(MakeSilence(ms, start, start + 2 * kHour));
    if (id.ok()) ids.push_back(*id);
  }
  ASSERT_GT(ids.size(), 100u);
  for (int step = 0; step < 3; ++step) {
    now_ = kT0 + step * kHour / 2 * 3;
    for (int i = 0; i < 500; ++i) {
      LabelsBuilder b;
      for (const std::string& n : names) {
        if (pick(4) != 0) b.Set(n, "v" + std::to_string(pick(5)));
      }
      Labels alert = b.Build();
      std::vector<std::string> want;
      for (const std::string& id : ids) {
        std::optional<Silence> s = silences_->Get(id);
        if (s->StateAt(now_) == SilenceState::kActive && s->Matches(alert)) want.push_back(id);
      }
      std::sort(want.begin(), want.end());
      ASSERT_EQ(silences_->MutedBy(alert, now_), want) << alert.ToString();
    }
  }
}

TEST_F(SilencesTest, ListFiltersByEqualMatchersAndSortsAsTheApi) {
  std::string a_late = MustSet(MakeSilence({M("a", Op::kEqual, "x")}, kT0, kT0 + 3 * kHour));
  std::string a_soon = MustSet(
      MakeSilence({M("a", Op::kEqual, "x"), M("b", Op::kRegexMatch, "y.*")}, kT0, kT0 + kHour));
  std::string pending =
      MustSet(MakeSilence({M("a", Op::kEqual, "z")}, kT0 + kHour, kT0 + 2 * kHour));
  std::string exp1 = MustSet(MakeSilence({M("c", Op::kEqual, "1")}, kT0, kT0 + kHour));
  std::string exp2 = MustSet(MakeSilence({M("c", Op::kEqual, "2")}, kT0, kT0 + kHour));
  now_ = kT0 + 1000;
  ASSERT_TRUE(silences_->Expire(exp1).ok());
  now_ = kT0 + 2000;
  ASSERT_TRUE(silences_->Expire(exp2).ok());

  auto ids = [](const std::vector<Silence>& v) {
    std::vector<std::string> out;
    for (const Silence& s : v) out.push_back(s.id);
    return out;
  };
  EXPECT_EQ(ids(silences_->List({}, now_)),
            (std::vector<std::string>{a_soon, a_late, pending, exp2, exp1}));
  EXPECT_EQ(ids(silences_->List({M("a", Op::kEqual, "x")}, now_)),
            (std::vector<std::string>{a_soon, a_late}));
  EXPECT_EQ(ids(silences_->List({M("a", Op::kEqual, "x"), M("b", Op::kRegexMatch, "y.*")}, now_)),
            (std::vector<std::string>{a_soon}));
  // The filter compares matchers, it does not evaluate them.
  EXPECT_TRUE(silences_->List({M("b", Op::kEqual, "y.*")}, now_).empty());
  EXPECT_TRUE(silences_->List({M("a", Op::kRegexMatch, "x")}, now_).empty());
}

TEST_F(SilencesTest, ConcurrentReadersAndWriters) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      Labels alert{{"alertname", "A"}, {"team", "t3"}};
      while (!stop.load()) {
        for (const std::string& id : silences_->MutedBy(alert, now_)) {
          EXPECT_TRUE(silences_->Get(id).has_value());
        }
        silences_->List({}, now_);
      }
    });
  }
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    ids.push_back(MustSet(
        MakeSilence({M("team", Op::kEqual, "t" + std::to_string(i % 5))}, kT0, kT0 + kHour)));
    if (i % 3 == 0) {
      EXPECT_TRUE(silences_->Expire(ids[i / 2]).ok());
    }
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(silences_->size(), 40u);
}

TEST(SilencesOpenTest, CorruptRecordIsAnErrorNamingTheKey) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "silences_bad_XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, tmpl, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "some-id", "{not json").ok());
  }
  MetricsRegistry registry;
  SilencesOptions opts{tmpl, 120 * kHour, nullptr, &registry};
  Result<std::unique_ptr<Silences>> s = Silences::Open(opts);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kCorruption);
  EXPECT_NE(s.status().message().find("silence record some-id"), std::string::npos)
      << s.status().message();
  std::filesystem::remove_all(tmpl);
}

TEST(SilencesOpenTest, UnusableDirectoryIsAnIoError) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "silences_file_XXXXXX").string();
  int fd = mkstemp(tmpl.data());
  ASSERT_GE(fd, 0);
  close(fd);
  MetricsRegistry registry;
  SilencesOptions opts{tmpl + "/silences", 120 * kHour, nullptr, &registry};
  Result<std::unique_ptr<Silences>> s = Silences::Open(opts);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kIOError);
  EXPECT_NE(s.status().message().find(tmpl), std::string::npos) << s.status().message();
  std::filesystem::remove(tmpl);
}

}  // namespace
}  // namespace andon::alerting
