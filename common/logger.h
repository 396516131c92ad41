// common/logger.h
//
// Structured logging as logfmt or JSON lines: ts, level, component, msg, then key/value
// fields in the order given. One process-wide Logger configured at start-up (and on
// --log.* changes); writes are serialized by a mutex and go to stderr unless redirected.
// Never pass a secret as a field: callers redact before logging.
#pragma once

#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace andon {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kLogfmt, kJson };

Result<LogLevel> ParseLogLevel(std::string_view s);    // debug|info|warn|error
Result<LogFormat> ParseLogFormat(std::string_view s);  // logfmt|json

using LogField = std::pair<std::string_view, std::string>;

class Logger {
 public:
  static Logger& Global();

  void Configure(LogLevel level, LogFormat format);
  void SetOutput(std::FILE* out);  // for tests; default stderr
  bool Enabled(LogLevel level) const { return level >= level_; }

  void Log(LogLevel level, std::string_view component, std::string_view msg,
           std::initializer_list<LogField> fields = {});

  // Formats one line without writing it (exposed for tests).
  std::string Format(LogLevel level, std::string_view component, std::string_view msg,
                     std::initializer_list<LogField> fields) const;

 private:
  LogLevel level_ = LogLevel::kInfo;
  LogFormat format_ = LogFormat::kLogfmt;
  std::FILE* out_ = stderr;
  std::mutex mu_;
};

inline void LogInfo(std::string_view component, std::string_view msg,
                    std::initializer_list<LogField> fields = {}) {
  Logger::Global().Log(LogLevel::kInfo, component, msg, fields);
}
inline void LogWarn(std::string_view component, std::string_view msg,
                    std::initializer_list<LogField> fields = {}) {
  Logger::Global().Log(LogLevel::kWarn, component, msg, fields);
}
inline void LogError(std::string_view component, std::string_view msg,
                     std::initializer_list<LogField> fields = {}) {
  Logger::Global().Log(LogLevel::kError, component, msg, fields);
}
inline void LogDebug(std::string_view component, std::string_view msg,
                     std::initializer_list<LogField> fields = {}) {
  Logger::Global().Log(LogLevel::kDebug, component, msg, fields);
}

}  // namespace andon
