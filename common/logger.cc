#include "common/logger.h"

#include <chrono>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace andon {
namespace {

constexpr std::string_view kLevelNames[] = {"debug", "info", "warn", "error"};

void AppendLogfmtValue(std::string& out, std::string_view v) {
  bool quote = v.empty();
  for (char c : v) {
    if (c == ' ' || c == '=' || c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      quote = true;
      break;
    }
  }
  if (!quote) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  out += '"';
}

}  // namespace

Result<LogLevel> ParseLogLevel(std::string_view s) {
  for (int i = 0; i < 4; ++i) {
    if (s == kLevelNames[i]) return static_cast<LogLevel>(i);
  }
  return Status::InvalidArgument("unrecognized log level \"" + std::string(s) +
                                 "\" (want debug, info, warn or error)");
}

Result<LogFormat> ParseLogFormat(std::string_view s) {
  if (s == "logfmt") return LogFormat::kLogfmt;
  if (s == "json") return LogFormat::kJson;
  return Status::InvalidArgument("unrecognized log format \"" + std::string(s) +
                                 "\" (want logfmt or json)");
}

Logger& Logger::Global() {
  static Logger logger;
  return logger;
}

void Logger::Configure(LogLevel level, LogFormat format) {
  std::lock_guard lock(mu_);
  level_ = level;
  format_ = format;
}

void Logger::SetOutput(std::FILE* out) {
  std::lock_guard lock(mu_);
  out_ = out;
}

std::string Logger::Format(LogLevel level, std::string_view component, std::string_view msg,
                           std::initializer_list<LogField> fields) const {
  auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now());
  std::string ts = fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", now);
  std::string_view lvl = kLevelNames[static_cast<int>(level)];
  if (format_ == LogFormat::kJson) {
    nlohmann::ordered_json j;
    j["ts"] = ts;
    j["level"] = lvl;
    j["component"] = component;
    j["msg"] = msg;
    for (const auto& [k, v] : fields) j[std::string(k)] = v;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  std::string out = "ts=" + ts + " level=" + std::string(lvl) + " component=";
  AppendLogfmtValue(out, component);
  out += " msg=";
  AppendLogfmtValue(out, msg);
  for (const auto& [k, v] : fields) {
    out += ' ';
    out += k;
    out += '=';
    AppendLogfmtValue(out, v);
  }
  out += '\n';
  return out;
}

void Logger::Log(LogLevel level, std::string_view component, std::string_view msg,
                 std::initializer_list<LogField> fields) {
  if (!Enabled(level)) return;
  std::string line = Format(level, component, msg, fields);
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace andon
