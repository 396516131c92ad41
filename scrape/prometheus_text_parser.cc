#include "scrape/prometheus_text_parser.h"

#include <cstring>

#include "scrape/exposition_syntax.h"

namespace andon::scrape {

using syntax::Quote;

std::string PrometheusTextParser::Got() const {
  if (pos_ >= in_.size()) return "end of input";
  char c = in_[pos_];
  if (c == '\n') return "end of line";
  size_t end = pos_;
  while (end < in_.size() && in_[end] != '\n' && in_[end] != ' ' && in_[end] != '\t' &&
         end - pos_ < 40) {
    ++end;
  }
  return Quote(in_.substr(pos_, std::max<size_t>(end - pos_, 1)));
}

ExpositionEntry PrometheusTextParser::Next() {
  if (failed_) return ExpositionEntry::kError;
  while (true) {
    SkipBlanks();
    if (pos_ >= in_.size()) return ExpositionEntry::kEof;
    char c = in_[pos_];
    if (c == '\n') {
      NewLine();
      continue;
    }
    // Prometheus reads a NUL byte at the start of a line as the end of the body.
    if (c == '\0') {
      pos_ = in_.size();
      return ExpositionEntry::kEof;
    }
    if (c == '#') return ParseMetadataOrComment();
    if (syntax::IsMetricNameStart(c)) return ParseSample();
    return Fail(pos_, "expected a metric name, comment or blank line, got " + Got());
  }
}

ExpositionEntry PrometheusTextParser::ParseMetadataOrComment() {
  size_t hash = pos_;
  size_t eol = in_.find('\n', pos_);
  if (eol == std::string_view::npos) eol = in_.size();
  auto comment = [&] {
    comment_ = in_.substr(hash, eol - hash);
    pos_ = eol;
    return ExpositionEntry::kComment;
  };
  ++pos_;
  size_t after_hash = pos_;
  SkipBlanks();
  if (pos_ == after_hash) return comment();  // "#foo"
  std::string_view rest = in_.substr(pos_, eol - pos_);
  bool help = rest.starts_with("HELP");
  bool type = rest.starts_with("TYPE");
  if ((!help && !type) || rest.size() < 5 || (rest[4] != ' ' && rest[4] != '\t')) {
    return comment();
  }
  const char* keyword = help ? "HELP" : "TYPE";
  pos_ += 4;
  SkipBlanks();
  size_t name_start = pos_;
  if (pos_ < eol && syntax::IsMetricNameStart(in_[pos_])) {
    while (pos_ < eol && syntax::IsMetricNameChar(in_[pos_])) ++pos_;
  }
  if (pos_ == name_start) {
    return Fail(pos_, std::string("expected metric name after ") + keyword + ", got " + Got());
  }
  metadata_name_ = in_.substr(name_start, pos_ - name_start);
  // As in Prometheus, the text is the rest of the line without its first byte (the blank
  // that separates it from the name).
  std::string_view text = pos_ < eol ? in_.substr(pos_ + 1, eol - pos_ - 1) : std::string_view();
  size_t text_pos = pos_ < eol ? pos_ + 1 : pos_;
  pos_ = eol;
  if (help) {
    if (!syntax::IsValidUtf8(text)) {
      return Fail(text_pos, "help text is not valid UTF-8: " + Quote(text));
    }
    help_raw_ = text;
    help_unescapes_quote_ = false;
    return ExpositionEntry::kHelp;
  }
  if (text == "counter") {
    type_ = MetricType::kCounter;
  } else if (text == "gauge") {
    type_ = MetricType::kGauge;
  } else if (text == "histogram") {
    type_ = MetricType::kHistogram;
  } else if (text == "summary") {
    type_ = MetricType::kSummary;
  } else if (text == "untyped") {
    type_ = MetricType::kUnknown;
  } else {
    return Fail(text_pos, "invalid metric type " + Quote(text));
  }
  return ExpositionEntry::kType;
}

bool PrometheusTextParser::TakeHintedSeries(std::string_view hint) {
  const size_t start = pos_;
  // A hint without braces saves nothing; one with a newline inside a label value would skip
  // the line accounting of ParseLabels.
  if (hint.size() < 3 || hint.back() != '}' || in_.size() - start < hint.size() ||
      std::memcmp(in_.data() + start, hint.data(), hint.size()) != 0 ||
      std::memchr(hint.data(), '\n', hint.size()) != nullptr) {
    return false;
  }
  size_t name_end = 0;
  while (syntax::IsMetricNameChar(hint[name_end])) ++name_end;
  const size_t brace = hint.find('{', name_end);
  metric_name_ = in_.substr(start, name_end);
  labels_ = in_.substr(start + brace + 1, hint.size() - brace - 2);
  series_ = in_.substr(start, hint.size());
  pos_ = start + hint.size();
  return true;
}

ExpositionEntry PrometheusTextParser::ParseSample() {
  size_t start = pos_;
  hint_matched_ = !hint_.empty() && TakeHintedSeries(hint_);
  hint_ = {};
  if (hint_matched_) {
    SkipBlanks();
  } else {
    while (pos_ < in_.size() && syntax::IsMetricNameChar(in_[pos_])) ++pos_;
    metric_name_ = in_.substr(start, pos_ - start);
    series_ = metric_name_;
    labels_ = {};
    SkipBlanks();
    if (pos_ < in_.size() && in_[pos_] == '{') {
      ++pos_;
      size_t labels_start = pos_;
      if (ParseLabels() == ExpositionEntry::kError) return ExpositionEntry::kError;
      labels_ = in_.substr(labels_start, pos_ - 1 - labels_start);
      series_ = in_.substr(start, pos_ - start);
      SkipBlanks();
    }
  }
  size_t value_start = pos_;
  while (pos_ < in_.size() && in_[pos_] != ' ' && in_[pos_] != '\t' && in_[pos_] != '\n' &&
         in_[pos_] != '{') {
    ++pos_;
  }
  if (pos_ == value_start) {
    return Fail(pos_, "expected value after metric, got " + Got());
  }
  std::string_view value = in_.substr(value_start, pos_ - value_start);
  if (!syntax::ParseFloatValue(value, &value_)) {
    return Fail(value_start, "invalid value " + Quote(value));
  }
  has_timestamp_ = false;
  SkipBlanks();
  if (pos_ >= in_.size() || in_[pos_] == '\n') return ExpositionEntry::kSeries;
  if (!syntax::IsDigit(in_[pos_])) {
    return Fail(pos_, "expected timestamp or new record, got " + Got());
  }
  size_t ts_start = pos_;
  while (pos_ < in_.size() && syntax::IsDigit(in_[pos_])) ++pos_;
  std::string_view ts = in_.substr(ts_start, pos_ - ts_start);
  if (!syntax::ParseTimestampMs(ts, &timestamp_ms_)) {
    return Fail(ts_start, "timestamp out of range: " + Quote(ts));
  }
  has_timestamp_ = true;
  SkipBlanks();
  if (pos_ < in_.size() && in_[pos_] != '\n') {
    return Fail(pos_, "expected next entry after timestamp, got " + Got());
  }
  return ExpositionEntry::kSeries;
}

ExpositionEntry PrometheusTextParser::ParseLabels() {
  while (true) {
    SkipBlanks();
    if (pos_ < in_.size() && in_[pos_] == '}') {
      ++pos_;
      return ExpositionEntry::kSeries;
    }
    if (pos_ >= in_.size() || !syntax::IsLabelNameStart(in_[pos_])) {
      return Fail(pos_, "expected label name, got " + Got());
    }
    while (pos_ < in_.size() && syntax::IsLabelNameChar(in_[pos_])) ++pos_;
    SkipBlanks();
    if (pos_ >= in_.size() || in_[pos_] != '=') {
      return Fail(pos_, "expected \"=\" after label name, got " + Got());
    }
    ++pos_;
    SkipBlanks();
    if (pos_ >= in_.size() || in_[pos_] != '"') {
      return Fail(pos_, "expected label value, got " + Got());
    }
    size_t quote_pos = pos_;
    int quote_line = line_;
    size_t quote_line_start = line_start_;
    ++pos_;
    size_t value_start = pos_;
    bool closed = false;
    while (pos_ < in_.size()) {
      char c = in_[pos_];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c == '\\') {
        // Any escaped byte but a newline; unknown escapes are kept as written.
        if (pos_ + 1 >= in_.size() || in_[pos_ + 1] == '\n') break;
        pos_ += 2;
        continue;
      }
      if (c == '\n') {
        NewLine();  // a raw newline inside a label value is accepted
        continue;
      }
      ++pos_;
    }
    if (!closed) {
      line_ = quote_line;
      line_start_ = quote_line_start;
      return Fail(quote_pos, "unterminated label value");
    }
    std::string_view value = in_.substr(value_start, pos_ - value_start);
    if (!syntax::IsValidUtf8(value)) {
      line_ = quote_line;
      line_start_ = quote_line_start;
      return Fail(value_start, "invalid UTF-8 label value " + Quote(value));
    }
    ++pos_;
    SkipBlanks();
    if (pos_ < in_.size() && in_[pos_] == ',') ++pos_;
  }
}

}  // namespace andon::scrape
