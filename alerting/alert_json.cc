#include "alerting/alert_json.h"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/labels.h"
#include "common/rfc3339.h"

namespace andon::alerting {
namespace {

using json = nlohmann::ordered_json;

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

}  // namespace

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
