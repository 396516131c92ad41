// scrape/exposition_parser.h
//
// The common interface of the metrics exposition parsers: Prometheus text format 0.0.4
// (scrape/prometheus_text_parser.h) and OpenMetrics 1.0 text (scrape/openmetrics_parser.h).
// What each accepts and rejects, and why, is written down in docs/exposition-formats.md.
//
// A parser is a pull-style iterator over one response body:
//
//   PrometheusTextParser p(body);
//   LabelsScratch scratch;
//   for (ExpositionEntry e; (e = p.Next()) != ExpositionEntry::kEof;) {
//     if (e == ExpositionEntry::kError) return p.status();  // discard what was appended
//     if (e != ExpositionEntry::kSeries) continue;           // or read help()/type()/unit()
//     if (!cache.Has(p.series())) { p.DecodeLabels(&scratch); ... }  // miss: decode labels
//     append(p.series(), p.timestamp_ms(), p.value());
//   }
//
// Every string_view a parser returns points into the body (or into a caller's scratch
// buffer) and stays valid as long as the body does. The body is never copied. Next()
// allocates nothing; on a cache hit a sample costs no allocation at all. DecodeLabels()
// allocates only while the scratch buffer grows, so a reused LabelsScratch reaches zero.
//
// After kError, status() holds "line L, column C: <what went wrong>" (1-based; the column
// counts bytes) and every later Next() returns kError again. After kEof, Next() keeps
// returning kEof. Entries delivered before an error are not retracted: a caller that must
// be all-or-nothing (the scrape loop) rolls back its transaction on error.
//
// Not thread-safe: one parser per body, used by one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace andon::scrape {

enum class ExpositionEntry {
  kSeries,   // a sample line: series(), metric_name(), value(), timestamp_ms()
  kHelp,     // # HELP: metadata_name(), help()
  kType,     // # TYPE: metadata_name(), type()
  kUnit,     // # UNIT (OpenMetrics only): metadata_name(), unit()
  kComment,  // any other "#" line (text format only): comment()
  kEof,      // the body is exhausted (OpenMetrics: after "# EOF")
  kError,    // see status()
};

// A metric family's type as declared by # TYPE. The text format's "untyped" and
// OpenMetrics' "unknown" are both kUnknown.
enum class MetricType {
  kUnknown,
  kCounter,
  kGauge,
  kHistogram,
  kGaugeHistogram,
  kSummary,
  kInfo,
  kStateset,
};

// "counter", "gaugehistogram", ..., and "unknown" for kUnknown.
std::string_view MetricTypeName(MetricType type);

struct LabelPair {
  std::string_view name;
  std::string_view value;  // unescaped
};

// Reusable output buffer for ExpositionParser::DecodeLabels(). Values without escapes point
// into the body; unescaped values point into the scratch's own storage, which is only
// valid until the next DecodeLabels() into the same scratch.
class LabelsScratch {
 public:
  std::span<const LabelPair> labels() const { return pairs_; }
  size_t size() const { return pairs_.size(); }
  const LabelPair& operator[](size_t i) const { return pairs_[i]; }

 private:
  friend class ExpositionParser;
  std::vector<LabelPair> pairs_;
  std::string unescaped_;
};

// Base of both parsers: the current entry's fields live here, Next() is the format.
class ExpositionParser {
 public:
  virtual ~ExpositionParser() = default;

  // Advances to the next entry and returns its kind.
  virtual ExpositionEntry Next() = 0;

  // --- kSeries ---
  // The raw bytes of `name{labels}` as written in the body (a cache key: identical bytes
  // are the identical series within one target).
  std::string_view series() const { return series_; }
  std::string_view metric_name() const { return metric_name_; }
  double value() const { return value_; }
  // Milliseconds since the epoch when the sample carries a timestamp.
  std::optional<int64_t> timestamp_ms() const {
    return has_timestamp_ ? std::optional<int64_t>(timestamp_ms_) : std::nullopt;
  }
  // Fills `out` with the labels inside the braces of the current series, unescaped, in the
  // order written (the metric name is not included; it is metric_name()).
  void DecodeLabels(LabelsScratch* out) const;

  // A hint for the next sample line, consumed by it (metadata and comment lines in between
  // leave it in place): `series` must be a series() that a parser of the same format
  // returned for an earlier body, and must stay valid until that line is parsed. When the
  // line starts with exactly those bytes, ending in `}`, its name and labels are taken as
  // they were then (identical bytes parse and validate identically) instead of being parsed
  // again, and series_matched_hint() is true for the entry. Parsers may ignore hints (the
  // OpenMetrics parser does); an empty hint is none.
  void HintSeries(std::string_view series) { hint_ = series; }
  // Whether the current kSeries entry's series() equals the hint it consumed.
  bool series_matched_hint() const { return hint_matched_; }

  // --- kHelp, kType, kUnit ---
  std::string_view metadata_name() const { return metadata_name_; }
  // The help text, unescaped; uses `scratch` only when the text has escapes.
  std::string_view help(std::string* scratch) const;
  MetricType type() const { return type_; }
  std::string_view unit() const { return unit_; }

  // --- kComment ---
  std::string_view comment() const { return comment_; }

  // --- kError ---
  const Status& status() const { return status_; }
  int error_line() const { return error_line_; }
  int error_column() const { return error_column_; }

  // The value every parsed NaN gets (0x7ff8000000000001, Prometheus' "normal NaN"), so a
  // scraped NaN can never collide with the staleness marker's bit pattern.
  static double NormalNaN();

 protected:
  explicit ExpositionParser(std::string_view input) : in_(input) {}
  // Resets the per-body state; derived Reset() methods call it.
  void ResetBase(std::string_view input);

  // Records the error at byte offset `pos` and returns kError.
  ExpositionEntry Fail(size_t pos, std::string_view what);
  // Line and column of byte offset `pos` (which must not precede line_start_).
  int ColumnOf(size_t pos) const { return static_cast<int>(pos - line_start_) + 1; }
  // Consumes the '\n' at pos_ and starts the next line.
  void NewLine() {
    ++pos_;
    ++line_;
    line_start_ = pos_;
  }

  std::string_view in_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  int line_ = 1;
  bool failed_ = false;

  std::string_view series_;
  std::string_view metric_name_;
  std::string_view labels_;  // between the braces, exclusive; empty without braces
  double value_ = 0;
  int64_t timestamp_ms_ = 0;
  bool has_timestamp_ = false;
  std::string_view hint_;  // see HintSeries()
  bool hint_matched_ = false;

  std::string_view metadata_name_;
  std::string_view help_raw_;
  bool help_unescapes_quote_ = false;  // OpenMetrics unescapes \" in HELP, the text format not
  MetricType type_ = MetricType::kUnknown;
  std::string_view unit_;
  std::string_view comment_;

  Status status_;
  int error_line_ = 0;
  int error_column_ = 0;
};

}  // namespace andon::scrape
