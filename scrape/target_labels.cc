#include "scrape/target_labels.h"

#include <map>
#include <string_view>
#include <utility>

#include "common/duration.h"
#include "common/url_escape.h"
#include "scrape/relabel.h"

namespace andon::scrape {
namespace {

constexpr std::string_view kAddressLabel = "__address__";
constexpr std::string_view kSchemeLabel = "__scheme__";
constexpr std::string_view kMetricsPathLabel = "__metrics_path__";
constexpr std::string_view kIntervalLabel = "__scrape_interval__";
constexpr std::string_view kTimeoutLabel = "__scrape_timeout__";
constexpr std::string_view kParamPrefix = "__param_";
constexpr std::string_view kReservedPrefix = "__";

std::string Quoted(std::string_view s) { return QuoteLabelValue(s); }

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// An address is host[:port] or [ipv6][:port]; nothing that would change the URL's meaning.
Status CheckAddress(std::string_view addr) {
  auto invalid = [&](std::string_view why) {
    return Status::InvalidArgument("invalid address " + Quoted(addr) + ": " + std::string(why));
  };
  for (char c : addr) {
    auto u = static_cast<unsigned char>(c);
    if (c == '/') return invalid("must be host:port, without a scheme or path");
    if (c == '?' || c == '#' || c == '@' || c == '\\' || u <= 0x20 || u == 0x7f) {
      return invalid("must be host:port");
    }
  }
  std::string_view host = addr, port;
  bool has_port = false;
  if (addr.starts_with('[')) {
    size_t close = addr.find(']');
    if (close == std::string_view::npos) return invalid("missing ']' in IPv6 address");
    host = addr.substr(1, close - 1);
    std::string_view rest = addr.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return invalid("unexpected text after ']'");
      has_port = true;
      port = rest.substr(1);
    }
  } else {
    size_t colon = addr.find(':');
    if (colon != std::string_view::npos) {
      if (addr.find(':', colon + 1) != std::string_view::npos) {
        return invalid("too many colons (put an IPv6 address in brackets)");
      }
      host = addr.substr(0, colon);
      has_port = true;
      port = addr.substr(colon + 1);
    }
  }
  if (host.empty()) return invalid("missing host");
  if (has_port && (port.empty() || port.size() > 5 || !AllDigits(port))) {
    return invalid("port must be a number");
  }
  return Status::Ok();
}

// Configured params, with each `__param_<name>` label replacing that param's first value.
std::string BuildUrl(const TargetLabels& t, const Labels& internal,
                     const config::ScrapeConfig& cfg) {
  std::map<std::string, std::vector<std::string>> params = cfg.params;
  for (const Label& l : internal) {
    if (!l.name.starts_with(kParamPrefix)) continue;
    auto& values = params[std::string(l.name.substr(kParamPrefix.size()))];
    if (values.empty()) {
      values.emplace_back(l.value);
    } else {
      values[0] = std::string(l.value);
    }
  }
  std::string url = t.scheme + "://" + t.address;
  AppendUrlEscaped(t.metrics_path, /*query=*/false, &url);
  char sep = '?';
  for (const auto& [name, values] : params) {
    for (const std::string& v : values) {
      url.push_back(sep);
      sep = '&';
      AppendUrlEscaped(name, /*query=*/true, &url);
      url.push_back('=');
      AppendUrlEscaped(v, /*query=*/true, &url);
    }
  }
  return url;
}

Result<int64_t> ParseNonZeroDuration(std::string_view value, std::string_view what) {
  auto d = ParseDurationMs(value);
  if (!d.ok()) {
    return Status::InvalidArgument("error parsing scrape " + std::string(what) + ": " +
                                   d.status().message());
  }
  if (*d == 0) return Status::InvalidArgument("scrape " + std::string(what) + " cannot be 0");
  return *d;
}

}  // namespace

Result<TargetLabels> PopulateTargetLabels(const Labels& target, const Labels& group_labels,
                                          const config::ScrapeConfig& cfg) {
  LabelsBuilder b(group_labels);
  for (const Label& l : target) b.Set(l.name, l.value);
  auto set_default = [&](std::string_view name, std::string_view value) {
    if (b.Get(name).empty()) b.Set(name, value);
  };
  set_default("job", cfg.job_name);
  set_default(kIntervalLabel, FormatDurationMs(cfg.scrape_interval_ms));
  set_default(kTimeoutLabel, FormatDurationMs(cfg.scrape_timeout_ms));
  set_default(kMetricsPathLabel, cfg.metrics_path);
  set_default(kSchemeLabel, cfg.scheme);
  for (const auto& [name, values] : cfg.params) {
    if (!values.empty()) set_default(std::string(kParamPrefix) + name, values.front());
  }

  TargetLabels t;
  t.discovered = b.Build();
  if (!Relabel(cfg.relabel_configs, b)) {
    t.dropped = true;
    return t;
  }
  Labels internal = b.Build();

  t.address = internal.Get(kAddressLabel);
  if (t.address.empty()) return Status::InvalidArgument("no address");
  if (Status s = CheckAddress(t.address); !s.ok()) return s;
  t.scheme = internal.Get(kSchemeLabel);
  if (t.scheme != "http" && t.scheme != "https") {
    return Status::InvalidArgument("invalid scheme: " + Quoted(t.scheme));
  }
  t.metrics_path = internal.Get(kMetricsPathLabel);
  // Prometheus 2.42 gives an address without a port the scheme's default port (the
  // no-default-scrape-port flag that turns this off came in 2.43).
  bool has_port = t.address.starts_with('[') ? t.address.find("]:") != std::string::npos
                                             : t.address.find(':') != std::string::npos;
  if (!has_port) {
    t.address += t.scheme == "https" ? ":443" : ":80";
    b.Set(kAddressLabel, t.address);
    internal = b.Build();
  }

  std::string_view interval = internal.Get(kIntervalLabel);
  auto interval_ms = ParseNonZeroDuration(interval, "interval");
  if (!interval_ms.ok()) return interval_ms.status();
  std::string_view timeout = internal.Get(kTimeoutLabel);
  auto timeout_ms = ParseNonZeroDuration(timeout, "timeout");
  if (!timeout_ms.ok()) return timeout_ms.status();
  if (*timeout_ms > *interval_ms) {
    return Status::InvalidArgument("scrape timeout cannot be greater than scrape interval (" +
                                   Quoted(timeout) + " > " + Quoted(interval) + ")");
  }
  t.interval_ms = *interval_ms;
  t.timeout_ms = *timeout_ms;
  t.url = BuildUrl(t, internal, cfg);

  if (b.Get("instance").empty()) b.Set("instance", t.address);
  b.DelIf([](const Label& l) { return l.name.starts_with(kReservedPrefix); });
  t.labels = b.Build();
  for (const Label& l : t.labels) {
    if (!IsValidLabelName(l.name)) {
      return Status::InvalidArgument("invalid label name " + Quoted(l.name));
    }
    if (!IsValidUtf8(l.value)) {
      return Status::InvalidArgument("invalid label value for " + Quoted(l.name) + ": " +
                                     Quoted(l.value));
    }
  }
  return t;
}

GroupTargets TargetsFromGroup(const TargetGroup& group, const config::ScrapeConfig& cfg) {
  GroupTargets out;
  out.targets.reserve(group.targets.size());
  for (size_t i = 0; i < group.targets.size(); ++i) {
    auto t = PopulateTargetLabels(group.targets[i], group.labels, cfg);
    if (t.ok()) {
      out.targets.push_back(std::move(t).value());
    } else {
      out.errors.push_back(
          t.status().WithContext("instance " + std::to_string(i) + " in group " + group.source));
    }
  }
  return out;
}

}  // namespace andon::scrape
