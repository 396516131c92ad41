// scrape/exposition_syntax.h
//
// Lexical pieces shared by the exposition parsers (internal to scrape/): character
// classes of names, the number grammar, UTF-8 checks and the quoting used in error
// messages. Stateless, thread-safe functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace andon::scrape::syntax {

inline bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
// Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*
inline bool IsMetricNameStart(char c) { return IsAsciiLetter(c) || c == '_' || c == ':'; }
inline bool IsMetricNameChar(char c) { return IsMetricNameStart(c) || IsDigit(c); }
// Label names: [a-zA-Z_][a-zA-Z0-9_]*
inline bool IsLabelNameStart(char c) { return IsAsciiLetter(c) || c == '_'; }
inline bool IsLabelNameChar(char c) { return IsLabelNameStart(c) || IsDigit(c); }

// Parses a sample value: [+-] digits with an optional fraction and exponent (".5", "5.",
// "007", "1.5e-3"), [+-]Inf/Infinity or NaN (case-insensitive, NaN without a sign).
// No hex, octal, binary, underscores or whitespace. The result is the correctly rounded
// double; NaN is ExpositionParser::NormalNaN(). Values too large for a double are
// rejected, values too small round to zero. Returns false when `s` is not a number.
bool ParseFloatValue(std::string_view s, double* out);

// Parses an OpenMetrics timestamp (float seconds: the decimal part of the grammar above,
// no Inf or NaN) into `seconds` and into milliseconds truncated toward zero, computed
// from the decimal digits exactly and saturated at the int64 range.
bool ParseTimestampSeconds(std::string_view s, double* seconds, int64_t* ms);

// Parses a text-format timestamp: one or more ASCII digits, integer milliseconds that fit
// an int64.
bool ParseTimestampMs(std::string_view s, int64_t* ms);

bool IsValidUtf8(std::string_view s);
// The number of code points of valid UTF-8 text.
size_t CountCodePoints(std::string_view s);

// `s` in double quotes for an error message, with control bytes, quotes and bytes >= 0x80
// escaped and anything beyond `max` bytes cut with "...".
std::string Quote(std::string_view s, size_t max = 40);

// Unescapes a label value or help text: \\ -> \, \n -> newline and, when
// `unescape_quote`, \" -> "; any other backslash sequence is kept as written.
void AppendUnescaped(std::string_view raw, bool unescape_quote, std::string* out);

}  // namespace andon::scrape::syntax
