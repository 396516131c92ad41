// alerting/time_interval.h
//
// Evaluation of `time_intervals` (and the older `mute_time_intervals`) of alertmanager.yml
// as Alertmanager 0.25 does it. A named interval matches an instant when any of its specs
// does; a spec matches when every field it sets matches (an unset field matches always):
//   times:         [{start_time: "09:00", end_time: "17:00"}], minutes of the day, start
//                  inclusive, end exclusive, "24:00" allowed as an end
//   weekdays:      "monday", "monday:friday" (inclusive; sunday is the first day)
//   days_of_month: "1", "1:5", "-1" (last day), "-7:-1"; negatives count from the month's
//                  end; a range starting after the month's last day does not match
//   months:        "january", "1", "january:march", "1:3"
//   years:         "2024", "2024:2026"
//   location:      "" or "UTC", "Local", or an IANA name ("Europe/Berlin")
//
// Time zones: read from the system tz database (TZif files under /usr/share/zoneinfo,
// versions 1-3), because libstdc++ 12 has no std::chrono time zones. The transition
// table is used; an instant after the file's last transition keeps the last offset (the
// POSIX TZ footer rule is not evaluated; Debian's tzdata is built "fat", with transitions
// through 2037). "Local" is $TZ when set (a zone name, optionally prefixed by ':'),
// otherwise /etc/localtime, otherwise UTC. Zone names with ".." or a leading '/' are
// rejected.
//
// Compiled intervals are immutable and safe to share between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/status.h"

namespace andon::alerting {

inline constexpr std::string_view kZoneinfoDir = "/usr/share/zoneinfo";

// A time zone: the UTC offset in effect at each instant.
class TimeZone {
 public:
  static std::shared_ptr<const TimeZone> Utc();
  // See the header comment for the names understood.
  static Result<std::shared_ptr<const TimeZone>> Load(std::string_view name,
                                                      std::string_view zoneinfo_dir = kZoneinfoDir);
  // Parses a TZif file's bytes; `name` is used in messages.
  static Result<std::shared_ptr<const TimeZone>> FromTzif(std::string_view data,
                                                          std::string_view name);

  // Seconds east of UTC at the instant utc_seconds.
  int32_t OffsetSeconds(int64_t utc_seconds) const;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::vector<int64_t> transitions_;   // ascending, UTC seconds
  std::vector<int32_t> offset_after_;  // offset in effect from transitions_[i] on
  int32_t offset_before_ = 0;          // before the first transition
};

// One `time_intervals` entry, compiled.
class TimeIntervalMatcher {
 public:
  // Parses every spec; errors name the interval and the bad value, e.g.
  // `time interval "offhours": bad weekday "funday"`.
  static Result<TimeIntervalMatcher> Compile(const config::TimeInterval& interval,
                                             std::string_view zoneinfo_dir = kZoneinfoDir);

  const std::string& name() const { return name_; }
  bool Contains(int64_t t_ms) const;

  struct Range {
    int begin = 0, end = 0;  // inclusive (times: minutes, end exclusive)
  };
  struct Spec {
    std::vector<Range> times, weekdays, days_of_month, months, years;
    std::shared_ptr<const TimeZone> zone;
  };

 private:
  static bool SpecContains(const Spec& spec, int64_t t_ms);
  std::string name_;
  std::vector<Spec> specs_;
};

}  // namespace andon::alerting
