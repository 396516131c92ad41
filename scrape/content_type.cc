#include "scrape/content_type.h"

#include "scrape/openmetrics_parser.h"
#include "scrape/prometheus_text_parser.h"

namespace andon::scrape {
namespace {

// RFC 7230 token characters.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Checks "; name=value" parameters (value a token or a quoted string).
bool ParametersValid(std::string_view s) {
  while (true) {
    s = Trim(s);
    if (s.empty()) return true;
    if (s.front() != ';') return false;
    s = Trim(s.substr(1));
    if (s.empty()) return true;  // a trailing ';' is tolerated
    size_t eq = s.find('=');
    if (eq == std::string_view::npos || !IsToken(Trim(s.substr(0, eq)))) return false;
    s = Trim(s.substr(eq + 1));
    if (!s.empty() && s.front() == '"') {
      size_t i = 1;
      while (i < s.size() && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
      if (i >= s.size()) return false;
      s = s.substr(i + 1);
    } else {
      size_t end = s.find(';');
      if (!IsToken(Trim(s.substr(0, end)))) return false;
      s = end == std::string_view::npos ? std::string_view() : s.substr(end);
    }
  }
}

}  // namespace

ExpositionFormat FormatFromContentType(std::string_view content_type) {
  size_t semi = content_type.find(';');
  std::string_view media = Trim(content_type.substr(0, semi));
  size_t slash = media.find('/');
  if (slash == std::string_view::npos || !IsToken(media.substr(0, slash)) ||
      !IsToken(media.substr(slash + 1))) {
    return ExpositionFormat::kPrometheusText;
  }
  if (semi != std::string_view::npos && !ParametersValid(content_type.substr(semi))) {
    return ExpositionFormat::kPrometheusText;
  }
  return EqualsIgnoreCase(media, "application/openmetrics-text")
             ? ExpositionFormat::kOpenMetrics
             : ExpositionFormat::kPrometheusText;
}

std::unique_ptr<ExpositionParser> NewExpositionParser(std::string_view content_type,
                                                      std::string_view body) {
  if (FormatFromContentType(content_type) == ExpositionFormat::kOpenMetrics) {
    return std::make_unique<OpenMetricsParser>(body);
  }
  return std::make_unique<PrometheusTextParser>(body);
}

}  // namespace andon::scrape
