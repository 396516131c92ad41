#include "alerting/alert_json.h"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/labels.h"

namespace andon::alerting {
namespace {

using json = nlohmann::ordered_json;

struct Civil {
  int year;
  unsigned month, day, hour, minute, second, millis;
};

Civil ToCivil(int64_t unix_ms) {
  using namespace std::chrono;
  int64_t secs = unix_ms >= 0 ? unix_ms / 1000 : -((-unix_ms + 999) / 1000);
  int64_t millis = unix_ms - secs * 1000;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  return Civil{static_cast<int>(ymd.year()),           static_cast<unsigned>(ymd.month()),
               static_cast<unsigned>(ymd.day()),       static_cast<unsigned>(rem / 3600),
               static_cast<unsigned>(rem % 3600 / 60), static_cast<unsigned>(rem % 60),
               static_cast<unsigned>(millis)};
}

json LabelsToJson(const Labels& labels) {
  json out = json::object();
  for (const Label& l : labels) out[std::string(l.name)] = std::string(l.value);
  return out;
}

Status BodyError(std::string_view why) {
  return Status::InvalidArgument(fmt::format("parsing alerts body failed, because {}", why));
}

// Reads a JSON object of strings into labels; `field` is the swagger-style name for errors.
Result<Labels> LabelsFromJson(const json& j, const std::string& field) {
  if (!j.is_object()) {
    return Status::InvalidArgument(
        fmt::format("{} in body must be of type object: \"{}\"", field, j.type_name()));
  }
  LabelsBuilder b;
  for (const auto& [name, value] : j.items()) {
    if (!value.is_string()) {
      return Status::InvalidArgument(fmt::format("{}.{} in body must be of type string: \"{}\"",
                                                 field, name, value.type_name()));
    }
    b.Set(name, value.get_ref<const std::string&>());
  }
  return b.Build();
}

Status ValidateLabelSet(const Labels& labels) {
  for (const Label& l : labels) {
    if (!IsValidLabelName(l.name))
      return Status::InvalidArgument(fmt::format("invalid name \"{}\"", l.name));
    if (!IsValidUtf8(l.value)) {
      return Status::InvalidArgument(fmt::format("invalid value \"{}\"", l.value));
    }
  }
  return Status::Ok();
}

int Digits(std::string_view s, size_t pos, size_t n, bool* ok) {
  int v = 0;
  if (pos + n > s.size()) {
    *ok = false;
    return 0;
  }
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      *ok = false;
      return 0;
    }
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::string FormatRfc3339Millis(int64_t unix_ms) {
  Civil c = ToCivil(unix_ms);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", c.year, c.month, c.day,
                     c.hour, c.minute, c.second, c.millis);
}

std::string FormatRfc3339Nano(int64_t unix_ms) {
  if (unix_ms == 0) return "0001-01-01T00:00:00Z";
  Civil c = ToCivil(unix_ms);
  std::string out = fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}", c.year, c.month, c.day,
                                c.hour, c.minute, c.second);
  if (c.millis != 0) {
    std::string frac = fmt::format("{:03d}", c.millis);
    while (frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out + "Z";
}

std::string AlertmanagerFingerprint(const Labels& labels) {
  constexpr uint64_t kOffset = 14695981039346656037ULL;
  constexpr uint64_t kPrime = 1099511628211ULL;
  uint64_t h = kOffset;
  auto add = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= kPrime;
    }
  };
  auto add_separator = [&] {
    h ^= 0xff;
    h *= kPrime;
  };
  for (const Label& l : labels) {  // sorted by name
    add(l.name);
    add_separator();
    add(l.value);
    add_separator();
  }
  return fmt::format("{:016x}", h);
}

Result<int64_t> ParseRfc3339(std::string_view s) {
  auto bad = [&] {
    return Status::InvalidArgument(fmt::format("parsing time \"{}\" as RFC 3339 failed", s));
  };
  bool ok = true;
  int year = Digits(s, 0, 4, &ok);
  int month = Digits(s, 5, 2, &ok);
  int day = Digits(s, 8, 2, &ok);
  int hour = Digits(s, 11, 2, &ok);
  int minute = Digits(s, 14, 2, &ok);
  int second = Digits(s, 17, 2, &ok);
  if (!ok || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
      s[16] != ':' || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 ||
      second > 60) {
    return bad();
  }
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                     std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return bad();
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      millis += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return bad();
  }
  int64_t offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    int oh = Digits(s, pos + 1, 2, &ok);
    int om = Digits(s, pos + 4, 2, &ok);
    if (!ok || pos + 3 >= s.size() || s[pos + 3] != ':') return bad();
    offset_min = sign * (oh * 60 + om);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  int64_t days = sys_days{ymd}.time_since_epoch().count();
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_min * 60;
  return secs * 1000 + millis;
}

std::string EncodePostableAlerts(std::span<const Alert> alerts) {
  json arr = json::array();
  for (const Alert& a : alerts) {
    json j = json::object();
    if (!a.annotations.empty()) j["annotations"] = LabelsToJson(a.annotations);
    if (a.ends_at_ms != 0) j["endsAt"] = FormatRfc3339Millis(a.ends_at_ms);
    if (a.starts_at_ms != 0) j["startsAt"] = FormatRfc3339Millis(a.starts_at_ms);
    if (!a.generator_url.empty()) j["generatorURL"] = a.generator_url;
    j["labels"] = LabelsToJson(a.labels);
    arr.push_back(std::move(j));
  }
  return arr.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::vector<Alert>> DecodePostableAlerts(std::string_view body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return BodyError("the body is not valid JSON");
  if (!doc.is_array()) {
    return BodyError(
        fmt::format("json: cannot unmarshal {} into Go value of type "
                    "models.PostableAlerts",
                    doc.type_name()));
  }
  std::vector<Alert> out;
  out.reserve(doc.size());
  for (size_t i = 0; i < doc.size(); ++i) {
    const json& j = doc[i];
    std::string idx = std::to_string(i);
    if (!j.is_object()) {
      return BodyError(
          fmt::format("json: cannot unmarshal {} into Go value of type "
                      "models.PostableAlert",
                      j.type_name()));
    }
    Alert a;
    auto labels = j.find("labels");
    if (labels == j.end() || labels->is_null()) {
      return Status::InvalidArgument(idx + ".labels in body is required");
    }
    auto l = LabelsFromJson(*labels, idx + ".labels");
    if (!l.ok()) return l.status();
    a.labels = std::move(l).value();
    if (auto ann = j.find("annotations"); ann != j.end() && !ann->is_null()) {
      auto an = LabelsFromJson(*ann, idx + ".annotations");
      if (!an.ok()) return an.status();
      a.annotations = std::move(an).value();
    }
    for (auto [field, dest] : {std::pair{"startsAt", &a.starts_at_ms}, {"endsAt", &a.ends_at_ms}}) {
      auto it = j.find(field);
      if (it == j.end() || it->is_null()) continue;
      std::string shown = it->is_string() ? it->get<std::string>() : it->dump();
      auto t = it->is_string() ? ParseRfc3339(it->get_ref<const std::string&>())
                               : Result<int64_t>(Status::InvalidArgument(""));
      if (!t.ok()) {
        return Status::InvalidArgument(
            fmt::format("{}.{} in body must be of type date-time: \"{}\"", idx, field, shown));
      }
      *dest = *t;
    }
    if (auto g = j.find("generatorURL"); g != j.end() && !g->is_null()) {
      if (!g->is_string()) {
        return Status::InvalidArgument(
            fmt::format("{}.generatorURL in body must be of type uri: \"{}\"", idx, g->dump()));
      }
      a.generator_url = g->get<std::string>();
    }
    out.push_back(std::move(a));
  }
  return out;
}

Status ValidateAlert(const Alert& alert) {
  if (alert.starts_at_ms == 0) return Status::InvalidArgument("start time missing");
  if (alert.ends_at_ms != 0 && alert.ends_at_ms < alert.starts_at_ms) {
    return Status::InvalidArgument("start time must be before end time");
  }
  if (Status s = ValidateLabelSet(alert.labels); !s.ok()) {
    return Status::InvalidArgument("invalid label set: " + s.message());
  }
  if (alert.labels.empty()) return Status::InvalidArgument("at least one label pair required");
  if (Status s = ValidateLabelSet(alert.annotations); !s.ok()) {
    return Status::InvalidArgument("invalid annotations: " + s.message());
  }
  return Status::Ok();
}

}  // namespace andon::alerting
