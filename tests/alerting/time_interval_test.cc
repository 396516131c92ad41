// tests/alerting/time_interval_test.cc
#include "alerting/time_interval.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/alerting/alerting_test_util.h"

namespace andon::alerting {
namespace {

using testing::kHour;
using testing::kMin;
using testing::kT0;  // Monday 2024-01-15 10:00 UTC

constexpr int64_t kDay = 24 * kHour;

TimeIntervalMatcher Compile(const std::string& yaml_specs) {
  auto router = testing::RouterFromYaml(
      "route: {receiver: r}\nreceivers: [{name: r}]\n"
      "time_intervals:\n  - name: t\n    time_intervals:\n" +
      yaml_specs);
  EXPECT_EQ(router.time_intervals.size(), 1u);
  auto m = TimeIntervalMatcher::Compile(router.time_intervals.at(0));
  EXPECT_TRUE(m.ok()) << m.status().message();
  return std::move(m).value();
}

Status CompileError(const std::string& yaml_specs) {
  auto router = testing::RouterFromYaml(
      "route: {receiver: r}\nreceivers: [{name: r}]\n"
      "time_intervals:\n  - name: t\n    time_intervals:\n" +
      yaml_specs);
  auto m = TimeIntervalMatcher::Compile(router.time_intervals.at(0));
  EXPECT_FALSE(m.ok());
  return m.ok() ? Status::Ok() : m.status();
}

TEST(TimeIntervalTest, BusinessHoursOnWeekdays) {
  auto m = Compile(
      "      - weekdays: ['monday:friday']\n"
      "        times: [{start_time: '09:00', end_time: '17:00'}]\n");
  EXPECT_TRUE(m.Contains(kT0));                   // Mon 10:00
  EXPECT_TRUE(m.Contains(kT0 - 1 * kHour));       // Mon 09:00, start inclusive
  EXPECT_FALSE(m.Contains(kT0 - 1 * kHour - 1));  // Mon 08:59:59.999
  EXPECT_FALSE(m.Contains(kT0 + 7 * kHour));      // Mon 17:00, end exclusive
  EXPECT_TRUE(m.Contains(kT0 + 7 * kHour - 1));
  EXPECT_FALSE(m.Contains(kT0 + 5 * kDay));  // Saturday 10:00
  EXPECT_FALSE(m.Contains(kT0 - kDay));      // Sunday 10:00
  EXPECT_TRUE(m.Contains(kT0 + 4 * kDay));   // Friday 10:00
}

TEST(TimeIntervalTest, AnySpecMatchingIsEnoughAndUnsetFieldsMatchAll) {
  auto m = Compile(
      "      - weekdays: [saturday, Sunday]\n"
      "      - times: [{start_time: '22:00', end_time: '24:00'}]\n");
  EXPECT_FALSE(m.Contains(kT0));
  EXPECT_TRUE(m.Contains(kT0 - kDay));                 // Sunday
  EXPECT_TRUE(m.Contains(kT0 + 12 * kHour));           // Mon 22:00
  EXPECT_TRUE(m.Contains(kT0 + 14 * kHour - 1));       // Mon 23:59:59.999
  EXPECT_FALSE(m.Contains(kT0 + 14 * kHour));          // Tue 00:00
  EXPECT_TRUE(Compile("      - {}\n").Contains(kT0));  // an empty spec matches always
}

TEST(TimeIntervalTest, NegativeDaysOfMonthCountFromTheEnd) {
  auto last = Compile("      - days_of_month: ['-1']\n");
  EXPECT_TRUE(last.Contains(kT0 + 16 * kDay));   // 2024-01-31
  EXPECT_FALSE(last.Contains(kT0 + 15 * kDay));  // 2024-01-30
  // February 2024 has 29 days.
  EXPECT_TRUE(last.Contains(kT0 + 45 * kDay));   // 2024-02-29
  EXPECT_FALSE(last.Contains(kT0 + 44 * kDay));  // 2024-02-28
  auto range = Compile("      - days_of_month: ['1:5', '-3:-2']\n");
  EXPECT_FALSE(range.Contains(kT0));              // 15th
  EXPECT_TRUE(range.Contains(kT0 - 10 * kDay));   // 5th
  EXPECT_TRUE(range.Contains(kT0 + 14 * kDay));   // 29th = -3 of January
  EXPECT_TRUE(range.Contains(kT0 + 15 * kDay));   // 30th = -2
  EXPECT_FALSE(range.Contains(kT0 + 16 * kDay));  // 31st = -1
  // A range starting after the month's end does not match (no 31st in February).
  auto d31 = Compile("      - days_of_month: ['31']\n");
  EXPECT_FALSE(d31.Contains(kT0 + 45 * kDay));
  EXPECT_TRUE(d31.Contains(kT0 + 16 * kDay));
}

TEST(TimeIntervalTest, MonthsAndYears) {
  auto m = Compile("      - months: ['january:february', '12']\n        years: ['2024']\n");
  EXPECT_TRUE(m.Contains(kT0));
  EXPECT_TRUE(m.Contains(kT0 + 20 * kDay));    // Feb 4
  EXPECT_FALSE(m.Contains(kT0 + 60 * kDay));   // March
  EXPECT_TRUE(m.Contains(kT0 + 330 * kDay));   // 2024-12-10
  EXPECT_FALSE(m.Contains(kT0 + 366 * kDay));  // 2025-01
}

TEST(TimeIntervalTest, LocationShiftsTheClockAndFollowsDaylightSavingTime) {
  if (!std::filesystem::exists("/usr/share/zoneinfo/Europe/Berlin")) {
    GTEST_SKIP() << "no tz database";
  }
  // 09:00-17:00 in Berlin: 08:00-16:00 UTC in January (CET), 07:00-15:00 in July (CEST).
  auto m = Compile(
      "      - times: [{start_time: '09:00', end_time: '17:00'}]\n"
      "        location: Europe/Berlin\n");
  EXPECT_TRUE(m.Contains(kT0 - 2 * kHour));  // 08:00 UTC = 09:00 CET
  EXPECT_FALSE(m.Contains(kT0 - 2 * kHour - 1));
  EXPECT_FALSE(m.Contains(kT0 + 6 * kHour));     // 16:00 UTC = 17:00 CET
  const int64_t july15 = 1721037600000;          // 2024-07-15 10:00 UTC
  EXPECT_TRUE(m.Contains(july15 - 3 * kHour));   // 07:00 UTC = 09:00 CEST
  EXPECT_FALSE(m.Contains(july15 + 5 * kHour));  // 15:00 UTC = 17:00 CEST
  EXPECT_TRUE(m.Contains(july15 + 5 * kHour - 1));
}

TEST(TimeIntervalTest, TimeZoneOffsetsFromTheTzDatabase) {
  if (!std::filesystem::exists("/usr/share/zoneinfo/America/New_York")) {
    GTEST_SKIP() << "no tz database";
  }
  auto ny = TimeZone::Load("America/New_York");
  ASSERT_TRUE(ny.ok()) << ny.status().message();
  EXPECT_EQ((*ny)->OffsetSeconds(kT0 / 1000), -5 * 3600);
  EXPECT_EQ((*ny)->OffsetSeconds(1721037600), -4 * 3600);
  // DST starts 2024-03-10 07:00 UTC.
  EXPECT_EQ((*ny)->OffsetSeconds(1710054000 - 1), -5 * 3600);
  EXPECT_EQ((*ny)->OffsetSeconds(1710054000), -4 * 3600);
  EXPECT_EQ(TimeZone::Utc()->OffsetSeconds(kT0 / 1000), 0);
  auto utc = TimeZone::Load("");
  ASSERT_TRUE(utc.ok());
  EXPECT_EQ((*utc)->name(), "UTC");
}

TEST(TimeIntervalTest, RejectsUnknownZonesAndPathTricks) {
  EXPECT_FALSE(TimeZone::Load("Mars/Olympus_Mons").ok());
  EXPECT_FALSE(TimeZone::Load("../../etc/passwd").ok());
  EXPECT_FALSE(TimeZone::Load("/etc/localtime").ok());
  auto bad = TimeZone::FromTzif("TZif2 not really", "x");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("invalid TZif data"), std::string::npos);
}

TEST(TimeIntervalTest, RejectsBadSpecs) {
  EXPECT_EQ(CompileError("      - weekdays: [funday]\n").message(),
            "time interval \"t\": bad weekday \"funday\"");
  EXPECT_NE(CompileError("      - weekdays: ['friday:monday']\n").message().find("range"),
            std::string::npos);
  EXPECT_NE(CompileError("      - times: [{start_time: '17:00', end_time: '09:00'}]\n")
                .message()
                .find("start time cannot be equal or greater than end time"),
            std::string::npos);
  EXPECT_FALSE(CompileError("      - times: [{start_time: '9am', end_time: '17:00'}]\n").ok());
  EXPECT_FALSE(CompileError("      - times: [{start_time: '09:00', end_time: '25:00'}]\n").ok());
  EXPECT_FALSE(CompileError("      - days_of_month: ['0']\n").ok());
  EXPECT_FALSE(CompileError("      - days_of_month: ['32']\n").ok());
  EXPECT_FALSE(CompileError("      - days_of_month: ['10:2']\n").ok());
  EXPECT_FALSE(CompileError("      - months: ['13']\n").ok());
  EXPECT_FALSE(CompileError("      - years: ['2025:2024']\n").ok());
  EXPECT_NE(CompileError("      - location: Nowhere/City\n").message().find("unknown time zone"),
            std::string::npos);
}

}  // namespace
}  // namespace andon::alerting
