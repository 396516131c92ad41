// alerting/time_interval.cc
#include "alerting/time_interval.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <span>

#include "common/file_reader.h"

namespace andon::alerting {
namespace {

// ---- TZif (RFC 8536) --------------------------------------------------------------------

uint32_t ReadBe32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
int64_t ReadBe64(const unsigned char* p) {
  return static_cast<int64_t>((uint64_t{ReadBe32(p)} << 32) | ReadBe32(p + 4));
}

Result<std::string> ReadZoneFile(const std::string& path) {
  Result<std::string> data = ReadFileUpTo(path, kMaxConfigFileBytes);
  if (!data.ok()) return Status::NotFound("unknown time zone: cannot read " + path);
  return data;
}

bool ValidZoneName(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' ||
          c == '+' || c == '.')) {
      return false;
    }
  }
  return true;
}

// ---- Spec parsing -----------------------------------------------------------------------

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ParseInt(std::string_view s, int* out) {
  if (s.empty()) return false;
  const char* b = s.data();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// "HH:MM" with HH 00-23, or "24:00"; minutes of the day.
bool ParseClock(std::string_view s, int* minutes) {
  if (s == "24:00") {
    *minutes = 24 * 60;
    return true;
  }
  if (s.size() != 5 || s[2] != ':') return false;
  for (int i : {0, 1, 3, 4}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  int h = (s[0] - '0') * 10 + (s[1] - '0');
  int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 23 || m > 59) return false;
  *minutes = h * 60 + m;
  return true;
}

constexpr std::string_view kWeekdays[] = {"sunday",   "monday", "tuesday", "wednesday",
                                          "thursday", "friday", "saturday"};
constexpr std::string_view kMonths[] = {"january",   "february", "march",    "april",
                                        "may",       "june",     "july",     "august",
                                        "september", "october",  "november", "december"};

// Splits "a:b" (or "a") into its two ends.
std::pair<std::string_view, std::string_view> SplitRange(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return {s, s};
  return {s.substr(0, colon), s.substr(colon + 1)};
}

class SpecParser {
 public:
  explicit SpecParser(std::string prefix) : prefix_(std::move(prefix)) {}

  Status Error(const std::string& what, std::string_view value) const {
    return Status::InvalidArgument(prefix_ + ": " + what + " \"" + std::string(value) + "\"");
  }

  Status Times(const std::vector<config::TimeRange>& in,
               std::vector<TimeIntervalMatcher::Range>* out) {
    for (const config::TimeRange& r : in) {
      int b, e;
      if (!ParseClock(r.start_time, &b) || b == 24 * 60)
        return Error("bad start_time", r.start_time);
      if (!ParseClock(r.end_time, &e)) return Error("bad end_time", r.end_time);
      if (b >= e) {
        return Error("start time cannot be equal or greater than end time:",
                     r.start_time + " >= " + r.end_time);
      }
      out->push_back({b, e});
    }
    return Status::Ok();
  }

  Status Named(const std::vector<std::string>& in, std::span<const std::string_view> names,
               int first, const char* what, bool allow_numbers,
               std::vector<TimeIntervalMatcher::Range>* out) {
    auto one = [&](std::string_view s, int* v) {
      std::string l = Lower(s);
      for (size_t i = 0; i < names.size(); ++i) {
        if (l == names[i]) {
          *v = static_cast<int>(i) + first;
          return true;
        }
      }
      return allow_numbers && ParseInt(s, v) && *v >= first &&
             *v < first + static_cast<int>(names.size());
    };
    for (const std::string& s : in) {
      auto [a, b] = SplitRange(s);
      int begin, end;
      if (!one(a, &begin) || !one(b, &end)) return Error(std::string("bad ") + what, s);
      if (begin > end) return Error(std::string("start of ") + what + " range after its end", s);
      out->push_back({begin, end});
    }
    return Status::Ok();
  }

  Status DaysOfMonth(const std::vector<std::string>& in,
                     std::vector<TimeIntervalMatcher::Range>* out) {
    for (const std::string& s : in) {
      auto [a, b] = SplitRange(s);
      int begin, end;
      if (!ParseInt(a, &begin) || !ParseInt(b, &end) || begin == 0 || end == 0 || begin < -31 ||
          begin > 31 || end < -31 || end > 31) {
        return Error("bad day of month", s);
      }
      if (((begin > 0 && end > 0) || (begin < 0 && end < 0)) && begin > end) {
        return Error("start day cannot be after end day", s);
      }
      if (begin < 0 && end > 0)
        return Error("end day must be negative if start day is negative", s);
      out->push_back({begin, end});
    }
    return Status::Ok();
  }

  Status Years(const std::vector<std::string>& in, std::vector<TimeIntervalMatcher::Range>* out) {
    for (const std::string& s : in) {
      auto [a, b] = SplitRange(s);
      int begin, end;
      if (!ParseInt(a, &begin) || !ParseInt(b, &end) || begin <= 0 || end <= 0) {
        return Error("bad year", s);
      }
      if (begin > end) return Error("start year cannot be after end year", s);
      out->push_back({begin, end});
    }
    return Status::Ok();
  }

 private:
  std::string prefix_;
};

bool InRanges(const std::vector<TimeIntervalMatcher::Range>& ranges, int v) {
  for (const auto& r : ranges) {
    if (v >= r.begin && v <= r.end) return true;
  }
  return false;
}

}  // namespace

// ---- TimeZone ---------------------------------------------------------------------------

std::shared_ptr<const TimeZone> TimeZone::Utc() {
  static const std::shared_ptr<const TimeZone> utc = [] {
    auto z = std::make_shared<TimeZone>();
    z->name_ = "UTC";
    return std::shared_ptr<const TimeZone>(std::move(z));
  }();
  return utc;
}

Result<std::shared_ptr<const TimeZone>> TimeZone::FromTzif(std::string_view data,
                                                           std::string_view name) {
  auto bad = [&](const char* why) {
    return Status::Corruption("time zone " + std::string(name) + ": invalid TZif data: " + why);
  };
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  if (n < 44 || data.substr(0, 4) != "TZif") return bad("no TZif header");
  int version = p[4] == 0 ? 1 : p[4] - '0';
  auto counts = [&](size_t off, uint32_t c[6]) {
    for (int i = 0; i < 6; ++i) c[i] = ReadBe32(p + off + 20 + 4 * i);
  };
  uint32_t c[6];  // isutcnt isstdcnt leapcnt timecnt typecnt charcnt
  counts(0, c);
  size_t off = 44;
  int time_size = 4;
  if (version >= 2) {
    // Skip the v1 block; read the 64-bit one.
    size_t v1 = size_t{c[3]} * 5 + size_t{c[4]} * 6 + c[5] + size_t{c[2]} * 8 + c[1] + c[0];
    if (off + v1 + 44 > n) return bad("truncated");
    off += v1;
    if (data.substr(off, 4) != "TZif") return bad("no second header");
    counts(off, c);
    off += 44;
    time_size = 8;
  }
  uint32_t timecnt = c[3], typecnt = c[4];
  if (typecnt == 0) return bad("no local time types");
  size_t need = size_t{timecnt} * (time_size + 1) + size_t{typecnt} * 6;
  if (off + need > n) return bad("truncated");
  auto zone = std::make_shared<TimeZone>();
  zone->name_ = std::string(name);
  const unsigned char* times = p + off;
  const unsigned char* idx = times + size_t{timecnt} * time_size;
  const unsigned char* types = idx + timecnt;
  auto type_offset = [&](uint32_t t) { return static_cast<int32_t>(ReadBe32(types + 6 * t)); };
  zone->offset_before_ = type_offset(0);
  zone->transitions_.reserve(timecnt);
  for (uint32_t i = 0; i < timecnt; ++i) {
    int64_t t =
        time_size == 8 ? ReadBe64(times + 8 * i) : static_cast<int32_t>(ReadBe32(times + 4 * i));
    if (idx[i] >= typecnt) return bad("transition type out of range");
    if (!zone->transitions_.empty() && t <= zone->transitions_.back()) {
      return bad("transitions not ascending");
    }
    zone->transitions_.push_back(t);
    zone->offset_after_.push_back(type_offset(idx[i]));
  }
  return std::shared_ptr<const TimeZone>(std::move(zone));
}

Result<std::shared_ptr<const TimeZone>> TimeZone::Load(std::string_view name,
                                                       std::string_view zoneinfo_dir) {
  if (name.empty() || name == "UTC") return Utc();
  if (name == "Local") {
    const char* tz = std::getenv("TZ");
    if (tz != nullptr && *tz != '\0') {
      std::string_view t = tz;
      if (t.front() == ':') t.remove_prefix(1);
      if (!t.empty() && t.front() == '/') {
        auto data = ReadZoneFile(std::string(t));
        if (!data.ok()) return data.status();
        return FromTzif(*data, "Local");
      }
      if (t == "UTC" || t == "UTC0") return Utc();
      if (ValidZoneName(t)) {
        auto data = ReadZoneFile(std::string(zoneinfo_dir) + "/" + std::string(t));
        if (data.ok()) return FromTzif(*data, "Local");
      }
      return Utc();  // as Go does for an unknown $TZ
    }
    auto data = ReadZoneFile("/etc/localtime");
    if (!data.ok()) return Utc();
    return FromTzif(*data, "Local");
  }
  if (!ValidZoneName(name)) {
    return Status::InvalidArgument("unknown time zone " + std::string(name));
  }
  auto data = ReadZoneFile(std::string(zoneinfo_dir) + "/" + std::string(name));
  if (!data.ok()) return Status::InvalidArgument("unknown time zone " + std::string(name));
  return FromTzif(*data, name);
}

int32_t TimeZone::OffsetSeconds(int64_t utc_seconds) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_seconds);
  if (it == transitions_.begin()) return offset_before_;
  return offset_after_[static_cast<size_t>(it - transitions_.begin()) - 1];
}

// ---- TimeIntervalMatcher ----------------------------------------------------------------

Result<TimeIntervalMatcher> TimeIntervalMatcher::Compile(const config::TimeInterval& interval,
                                                         std::string_view zoneinfo_dir) {
  TimeIntervalMatcher m;
  m.name_ = interval.name;
  SpecParser p("time interval \"" + interval.name + "\"");
  for (const config::TimeIntervalSpec& s : interval.time_intervals) {
    Spec spec;
    Status st = p.Times(s.times, &spec.times);
    if (st.ok()) st = p.Named(s.weekdays, kWeekdays, 0, "weekday", false, &spec.weekdays);
    if (st.ok()) st = p.DaysOfMonth(s.days_of_month, &spec.days_of_month);
    if (st.ok()) st = p.Named(s.months, kMonths, 1, "month", true, &spec.months);
    if (st.ok()) st = p.Years(s.years, &spec.years);
    if (!st.ok()) return st;
    auto zone = TimeZone::Load(s.location, zoneinfo_dir);
    if (!zone.ok()) return zone.status().WithContext("time interval \"" + interval.name + "\"");
    spec.zone = *zone;
    m.specs_.push_back(std::move(spec));
  }
  return m;
}

bool TimeIntervalMatcher::Contains(int64_t t_ms) const {
  for (const Spec& s : specs_) {
    if (SpecContains(s, t_ms)) return true;
  }
  return false;
}

bool TimeIntervalMatcher::SpecContains(const Spec& spec, int64_t t_ms) {
  using namespace std::chrono;
  int64_t utc_s = t_ms >= 0 ? t_ms / 1000 : -((-t_ms + 999) / 1000);
  int64_t local_s = utc_s + spec.zone->OffsetSeconds(utc_s);
  int64_t day = local_s >= 0 ? local_s / 86400 : -((-local_s + 86399) / 86400);
  int minute = static_cast<int>((local_s - day * 86400) / 60);
  sys_days sd{days{day}};
  year_month_day ymd{sd};
  if (!spec.times.empty()) {
    bool in = false;
    for (const Range& r : spec.times) {
      if (minute >= r.begin && minute < r.end) in = true;
    }
    if (!in) return false;
  }
  if (!spec.weekdays.empty() && !InRanges(spec.weekdays, weekday{sd}.c_encoding())) return false;
  if (!spec.days_of_month.empty()) {
    int dim = static_cast<int>(
        unsigned{year_month_day_last{ymd.year(), month_day_last{ymd.month()}}.day()});
    int d = static_cast<int>(unsigned{ymd.day()});
    bool in = false;
    for (const Range& r : spec.days_of_month) {
      int begin = r.begin < 0 ? dim + r.begin + 1 : r.begin;
      int end = r.end < 0 ? dim + r.end + 1 : r.end;
      if (begin > dim) continue;
      begin = std::clamp(begin, -dim, dim);
      end = std::clamp(end, -dim, dim);
      if (d >= begin && d <= end) {
        in = true;
        break;
      }
    }
    if (!in) return false;
  }
  if (!spec.months.empty() && !InRanges(spec.months, static_cast<int>(unsigned{ymd.month()}))) {
    return false;
  }
  if (!spec.years.empty() && !InRanges(spec.years, static_cast<int>(ymd.year()))) return false;
  return true;
}

}  // namespace andon::alerting
