#include "scrape/openmetrics_parser.h"

#include <cmath>
#include <limits>
#include <span>

#include "scrape/exposition_syntax.h"

namespace andon::scrape {

using syntax::Quote;

namespace {

constexpr size_t kMaxExemplarCodePoints = 128;

uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

struct Fnv {
  uint64_t h = 14695981039346656037ULL;
  void Add(unsigned char c) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  void Add(std::string_view s) {
    for (char c : s) Add(static_cast<unsigned char>(c));
  }
};

// Hash of a label pair, with the value as it reads once unescaped.
uint64_t PairHash(std::string_view name, std::string_view raw_value) {
  Fnv f;
  f.Add(name);
  f.Add(static_cast<unsigned char>(0xff));  // never part of a name
  for (size_t i = 0; i < raw_value.size(); ++i) {
    char c = raw_value[i];
    if (c == '\\' && i + 1 < raw_value.size()) {
      char next = raw_value[++i];
      if (next == 'n') {
        f.Add('\n');
      } else if (next == '\\' || next == '"') {
        f.Add(static_cast<unsigned char>(next));
      } else {
        f.Add('\\');
        f.Add(static_cast<unsigned char>(next));
      }
      continue;
    }
    f.Add(static_cast<unsigned char>(c));
  }
  return Mix(f.h);
}

// Code points of a raw label value once unescaped (\\, \n, \" are one each).
size_t UnescapedCodePoints(std::string_view raw) {
  size_t n = syntax::CountCodePoints(raw);
  for (size_t i = 0; i + 1 < raw.size(); ++i) {
    if (raw[i] != '\\') continue;
    char next = raw[i + 1];
    if (next == '\\' || next == 'n' || next == '"') --n;
    ++i;
  }
  return n;
}

bool IsWholeNumber(double v) { return std::isfinite(v) && v == std::trunc(v); }

// Sample-name suffixes each type allows after the family name.
bool SuffixAllowed(MetricType type, std::string_view s) {
  switch (type) {
    case MetricType::kCounter:
      return s == "_total" || s == "_created";
    case MetricType::kSummary:
      return s.empty() || s == "_count" || s == "_sum" || s == "_created";
    case MetricType::kHistogram:
      return s == "_count" || s == "_sum" || s == "_bucket" || s == "_created";
    case MetricType::kGaugeHistogram:
      return s == "_gcount" || s == "_gsum" || s == "_bucket";
    case MetricType::kInfo:
      return s == "_info";
    case MetricType::kGauge:
    case MetricType::kStateset:
    case MetricType::kUnknown:
      return s.empty();
  }
  return false;
}

// The names a family of `type` claims besides its own, for the clash check.
std::span<const std::string_view> ClaimedSuffixes(MetricType type) {
  static constexpr std::string_view kCounter[] = {"_total", "_created"};
  static constexpr std::string_view kSummary[] = {"_count", "_sum", "_created"};
  static constexpr std::string_view kHistogram[] = {"_count", "_sum", "_bucket", "_created"};
  static constexpr std::string_view kGaugeHistogram[] = {"_gcount", "_gsum", "_bucket"};
  static constexpr std::string_view kInfo[] = {"_info"};
  switch (type) {
    case MetricType::kCounter:
      return kCounter;
    case MetricType::kSummary:
      return kSummary;
    case MetricType::kHistogram:
      return kHistogram;
    case MetricType::kGaugeHistogram:
      return kGaugeHistogram;
    case MetricType::kInfo:
      return kInfo;
    default:
      return {};
  }
}

bool ParseType(std::string_view s, MetricType* type) {
  static constexpr MetricType kAll[] = {
      MetricType::kUnknown,        MetricType::kCounter, MetricType::kGauge, MetricType::kHistogram,
      MetricType::kGaugeHistogram, MetricType::kSummary, MetricType::kInfo,  MetricType::kStateset};
  for (MetricType t : kAll) {
    if (s == MetricTypeName(t)) {
      *type = t;
      return true;
    }
  }
  return false;
}

bool IsHistogram(MetricType t) {
  return t == MetricType::kHistogram || t == MetricType::kGaugeHistogram;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// HashSet, NameSet

bool OpenMetricsParser::HashSet::Insert(uint64_t key) {
  if ((size_ + 1) * 2 > slots_.size()) Grow();
  size_t mask = slots_.size() - 1;
  for (size_t i = Mix(key) & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.generation != generation_) {
      s.key = key;
      s.generation = generation_;
      ++size_;
      return true;
    }
    if (s.key == key) return false;
  }
}

bool OpenMetricsParser::HashSet::Contains(uint64_t key) const {
  if (slots_.empty()) return false;
  size_t mask = slots_.size() - 1;
  for (size_t i = Mix(key) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.generation != generation_) return false;
    if (s.key == key) return true;
  }
}

void OpenMetricsParser::HashSet::Grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{0, 0});
  size_ = 0;
  uint32_t live = generation_;
  generation_ = 1;
  for (const Slot& s : old) {
    if (s.generation == live) Insert(s.key);
  }
}

bool OpenMetricsParser::NameSet::Insert(std::string_view prefix, std::string_view suffix) {
  if ((size_ + 1) * 2 > slots_.size()) Grow();
  Fnv f;
  f.Add(prefix);
  f.Add(suffix);
  uint64_t hash = Mix(f.h);
  size_t mask = slots_.size() - 1;
  size_t total = prefix.size() + suffix.size();
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.generation != generation_) {
      s.hash = hash;
      s.offset = static_cast<uint32_t>(arena_.size());
      s.size = static_cast<uint32_t>(total);
      s.generation = generation_;
      arena_.append(prefix);
      arena_.append(suffix);
      ++size_;
      return true;
    }
    if (s.hash == hash && s.size == total) {
      std::string_view stored(arena_.data() + s.offset, s.size);
      if (stored.substr(0, prefix.size()) == prefix && stored.substr(prefix.size()) == suffix) {
        return false;
      }
    }
  }
}

void OpenMetricsParser::NameSet::Clear() {
  ++generation_;
  size_ = 0;
  arena_.clear();
}

void OpenMetricsParser::NameSet::Grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
  size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.generation != generation_) continue;
    size_t i = s.hash & mask;
    while (slots_[i].generation == generation_) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

// ---------------------------------------------------------------------------------------
// Parser

OpenMetricsParser::OpenMetricsParser(std::string_view input, bool allow_split_families)
    : ExpositionParser(input), allow_split_families_(allow_split_families) {
  help_unescapes_quote_ = true;
}

void OpenMetricsParser::Reset(std::string_view input) {
  ResetBase(input);
  help_unescapes_quote_ = true;
  family_ = Family();
  seen_groups_.Clear();
  seen_names_.Clear();
  line_pending_ = false;
  done_ = false;
}

std::string OpenMetricsParser::Got() const {
  if (pos_ >= in_.size()) return "end of input";
  char c = in_[pos_];
  if (c == '\n') return "end of line";
  if (c == ' ') return "\" \"";
  size_t end = pos_;
  while (end < in_.size() && in_[end] != '\n' && in_[end] != ' ' && end - pos_ < 40) ++end;
  return Quote(in_.substr(pos_, end - pos_));
}

bool OpenMetricsParser::Expected(std::string_view what) {
  if (pos_ >= in_.size()) {
    return FailAt(pos_,
                  "unexpected end of input (every line ends with a newline and the "
                  "last line is \"# EOF\")");
  }
  std::string msg = "expected ";
  msg.append(what);
  msg += ", got ";
  msg += Got();
  return FailAt(pos_, msg);
}

ExpositionEntry OpenMetricsParser::Next() {
  if (failed_) return ExpositionEntry::kError;
  if (done_) return ExpositionEntry::kEof;
  if (line_pending_) {
    NewLine();
    line_pending_ = false;
  }
  if (pos_ >= in_.size()) {
    return Fail(pos_, "unexpected end of input: missing \"# EOF\"");
  }
  char c = in_[pos_];
  if (c == '\n') return Fail(pos_, "blank lines are not allowed");
  if (c == '#') return ParseMetadataOrEof();
  return ParseSample();
}

ExpositionEntry OpenMetricsParser::ParseMetadataOrEof() {
  size_t line_pos = pos_;
  ++pos_;
  if (pos_ >= in_.size() || in_[pos_] != ' ') {
    Expected("\" \" after \"#\" (OpenMetrics has no comments)");
    return ExpositionEntry::kError;
  }
  ++pos_;
  std::string_view rest = in_.substr(pos_);
  if (rest.starts_with("EOF")) {
    pos_ += 3;
    if (pos_ < in_.size() && in_[pos_] != '\n') {
      Expected("end of line after \"# EOF\"");
      return ExpositionEntry::kError;
    }
    if (!EndFamily(line_pos)) return ExpositionEntry::kError;
    if (pos_ < in_.size()) {
      NewLine();
      if (pos_ < in_.size()) return Fail(pos_, "unexpected data after \"# EOF\"");
    }
    done_ = true;
    return ExpositionEntry::kEof;
  }
  ExpositionEntry kind;
  if (rest.starts_with("HELP ")) {
    kind = ExpositionEntry::kHelp;
  } else if (rest.starts_with("TYPE ")) {
    kind = ExpositionEntry::kType;
  } else if (rest.starts_with("UNIT ")) {
    kind = ExpositionEntry::kUnit;
  } else if (rest.starts_with("HELP") || rest.starts_with("TYPE") || rest.starts_with("UNIT")) {
    pos_ += 4;
    Expected("\" \" and a metric name after " + std::string(rest.substr(0, 4)));
    return ExpositionEntry::kError;
  } else {
    Expected("HELP, TYPE, UNIT or EOF after \"# \"");
    return ExpositionEntry::kError;
  }
  const char* keyword = kind == ExpositionEntry::kHelp   ? "HELP"
                        : kind == ExpositionEntry::kType ? "TYPE"
                                                         : "UNIT";
  pos_ += 5;
  size_t name_start = pos_;
  if (pos_ < in_.size() && syntax::IsMetricNameStart(in_[pos_])) {
    while (pos_ < in_.size() && syntax::IsMetricNameChar(in_[pos_])) ++pos_;
  }
  if (pos_ == name_start) {
    Expected(std::string("a metric name after ") + keyword);
    return ExpositionEntry::kError;
  }
  std::string_view name = in_.substr(name_start, pos_ - name_start);
  if (pos_ >= in_.size() || in_[pos_] != ' ') {
    Expected(std::string("\" \" and the ") +
             (kind == ExpositionEntry::kHelp   ? "help text"
              : kind == ExpositionEntry::kType ? "type"
                                               : "unit") +
             " after the metric name");
    return ExpositionEntry::kError;
  }
  ++pos_;
  size_t text_pos = pos_;
  size_t eol = in_.find('\n', pos_);
  if (eol == std::string_view::npos) {
    pos_ = in_.size();
    Expected("end of line");
    return ExpositionEntry::kError;
  }
  std::string_view text = in_.substr(text_pos, eol - text_pos);

  // Family bookkeeping: metadata opens a family or must precede the family's samples.
  if (family_.active && family_.name == name) {
    if (family_.has_samples) {
      return Fail(line_pos, std::string(keyword) + " for " + Quote(name) +
                                " after its samples (metadata must come first)");
    }
  } else {
    if (!EndFamily(line_pos)) return ExpositionEntry::kError;
    StartFamily(name);
  }
  metadata_name_ = name;
  if (kind == ExpositionEntry::kHelp) {
    if (family_.has_help) return Fail(line_pos, "second HELP for " + Quote(name));
    if (!syntax::IsValidUtf8(text)) {
      return Fail(text_pos, "help text is not valid UTF-8: " + Quote(text));
    }
    family_.has_help = true;
    help_raw_ = text;
  } else if (kind == ExpositionEntry::kType) {
    if (family_.has_type) return Fail(line_pos, "second TYPE for " + Quote(name));
    MetricType type;
    if (!ParseType(text, &type)) {
      return Fail(text_pos, "invalid metric type " + Quote(text) +
                                " (counter, gauge, histogram, gaugehistogram, summary, info, "
                                "stateset or unknown)");
    }
    if (family_.has_unit && !family_.unit.empty() &&
        (type == MetricType::kInfo || type == MetricType::kStateset)) {
      return Fail(text_pos, std::string(MetricTypeName(type)) + " metrics cannot have a unit");
    }
    family_.has_type = true;
    family_.type = type;
    type_ = type;
  } else {
    if (family_.has_unit) return Fail(line_pos, "second UNIT for " + Quote(name));
    for (size_t i = 0; i < text.size(); ++i) {
      if (!syntax::IsMetricNameChar(text[i])) {
        return Fail(text_pos + i, "invalid unit " + Quote(text));
      }
    }
    if (!text.empty()) {
      if (name.size() <= text.size() || !name.ends_with(text) ||
          name[name.size() - text.size() - 1] != '_') {
        return Fail(text_pos, "unit " + Quote(text) + " is not a suffix of metric name " +
                                  Quote(name) + " (expected \"<name>_" + std::string(text) + "\")");
      }
      if (family_.type == MetricType::kInfo || family_.type == MetricType::kStateset) {
        return Fail(text_pos,
                    std::string(MetricTypeName(family_.type)) + " metrics cannot have a unit");
      }
    }
    family_.has_unit = true;
    family_.unit = text;
    unit_ = text;
  }
  pos_ = eol;
  line_pending_ = true;
  return kind;
}

void OpenMetricsParser::StartFamily(std::string_view name) {
  family_ = Family();
  family_.active = true;
  family_.name = name;
  seen_groups_.Clear();
}

bool OpenMetricsParser::EndFamily(size_t pos) {
  if (!family_.active) return true;
  if (IsHistogram(family_.type) && family_.run_active && !CheckHistogramRun(pos)) return false;
  if (allow_split_families_) {
    family_.active = false;
    return true;
  }
  if (!seen_names_.Insert(family_.name, "")) {
    return FailAt(pos, "metric family " + Quote(family_.name) +
                           " appears twice or clashes with an earlier family (samples of a "
                           "family must be together)");
  }
  for (std::string_view suffix : ClaimedSuffixes(family_.type)) {
    if (!seen_names_.Insert(family_.name, suffix)) {
      return FailAt(pos, std::string(MetricTypeName(family_.type)) + " " + Quote(family_.name) +
                             " clashes with an earlier metric named " +
                             Quote(std::string(family_.name) + std::string(suffix)));
    }
  }
  family_.active = false;
  return true;
}

bool OpenMetricsParser::SampleBelongsToFamily(std::string_view sample_name,
                                              std::string_view* suffix) const {
  if (!family_.active || !sample_name.starts_with(family_.name)) return false;
  std::string_view s = sample_name.substr(family_.name.size());
  if (!SuffixAllowed(family_.type, s)) return false;
  *suffix = s;
  return true;
}

ExpositionEntry OpenMetricsParser::ParseSample() {
  size_t line_pos = pos_;
  if (!syntax::IsMetricNameStart(in_[pos_])) {
    Expected("a metric name, \"# HELP\", \"# TYPE\", \"# UNIT\" or \"# EOF\"");
    return ExpositionEntry::kError;
  }
  while (pos_ < in_.size() && syntax::IsMetricNameChar(in_[pos_])) ++pos_;
  metric_name_ = in_.substr(line_pos, pos_ - line_pos);

  std::string_view suffix;
  if (!SampleBelongsToFamily(metric_name_, &suffix)) {
    if (family_.active && metric_name_ == family_.name) {
      // Would reopen the family as an untyped one, a certain clash: say why right here.
      std::string names;
      for (std::string_view s : ClaimedSuffixes(family_.type)) {
        names += names.empty() ? "" : ", ";
        names += std::string(family_.name) + std::string(s);
      }
      return Fail(line_pos, std::string(MetricTypeName(family_.type)) + " " + Quote(family_.name) +
                                " cannot have a sample named " + Quote(metric_name_) +
                                " (its samples are " + names + ")");
    }
    if (!EndFamily(line_pos)) return ExpositionEntry::kError;
    StartFamily(metric_name_);
  }
  // The label left out of the group: le of buckets, quantile of summary quantiles, the
  // state label of a stateset.
  std::string_view exclude;
  if (IsHistogram(family_.type) && suffix == "_bucket") {
    exclude = "le";
  } else if (family_.type == MetricType::kSummary && suffix.empty()) {
    exclude = "quantile";
  } else if (family_.type == MetricType::kStateset) {
    exclude = family_.name;
  }

  LabelScan scan;
  labels_ = {};
  bool braces = pos_ < in_.size() && in_[pos_] == '{';
  if (braces) {
    size_t open = pos_;
    if (!ScanLabels(exclude, &scan)) return ExpositionEntry::kError;
    labels_ = in_.substr(open + 1, pos_ - open - 2);
  }
  series_ = in_.substr(line_pos, pos_ - line_pos);

  if (pos_ >= in_.size() || in_[pos_] != ' ') {
    Expected("\" \" and a value after " + std::string(braces ? "the labels" : "the metric name"));
    return ExpositionEntry::kError;
  }
  ++pos_;
  size_t value_pos = pos_;
  while (pos_ < in_.size() && in_[pos_] != ' ' && in_[pos_] != '\n') ++pos_;
  if (pos_ == value_pos) {
    Expected("a value");
    return ExpositionEntry::kError;
  }
  std::string_view value = in_.substr(value_pos, pos_ - value_pos);
  if (!syntax::ParseFloatValue(value, &value_)) {
    return Fail(value_pos, "invalid value " + Quote(value));
  }

  has_timestamp_ = false;
  double ts_seconds = 0;
  bool has_exemplar = false;
  if (pos_ < in_.size() && in_[pos_] == ' ') {
    ++pos_;
    if (pos_ < in_.size() && in_[pos_] == '#') {
      if (!ParseExemplar()) return ExpositionEntry::kError;
      has_exemplar = true;
    } else {
      size_t ts_pos = pos_;
      while (pos_ < in_.size() && in_[pos_] != ' ' && in_[pos_] != '\n') ++pos_;
      if (pos_ == ts_pos) {
        Expected("a timestamp or an exemplar");
        return ExpositionEntry::kError;
      }
      std::string_view ts = in_.substr(ts_pos, pos_ - ts_pos);
      if (!syntax::ParseTimestampSeconds(ts, &ts_seconds, &timestamp_ms_)) {
        return Fail(ts_pos, "invalid timestamp " + Quote(ts) + " (float seconds expected)");
      }
      has_timestamp_ = true;
      if (pos_ < in_.size() && in_[pos_] == ' ') {
        ++pos_;
        if (pos_ >= in_.size() || in_[pos_] != '#') {
          Expected("\"#\" starting an exemplar");
          return ExpositionEntry::kError;
        }
        if (!ParseExemplar()) return ExpositionEntry::kError;
        has_exemplar = true;
      }
    }
  }
  if (pos_ >= in_.size() || in_[pos_] != '\n') {
    Expected("end of line");
    return ExpositionEntry::kError;
  }
  if (!CheckSample(suffix, scan, ts_seconds, value_pos, has_exemplar, line_pos)) {
    return ExpositionEntry::kError;
  }
  family_.has_samples = true;
  line_pending_ = true;
  return ExpositionEntry::kSeries;
}

bool OpenMetricsParser::ScanLabels(std::string_view exclude_name, LabelScan* scan) {
  ++pos_;  // '{'
  label_names_.clear();
  if (pos_ < in_.size() && in_[pos_] == '}') {
    ++pos_;
    return true;
  }
  while (true) {
    size_t name_pos = pos_;
    if (pos_ < in_.size() && syntax::IsLabelNameStart(in_[pos_])) {
      while (pos_ < in_.size() && syntax::IsLabelNameChar(in_[pos_])) ++pos_;
    }
    if (pos_ == name_pos) return Expected("a label name");
    std::string_view name = in_.substr(name_pos, pos_ - name_pos);
    for (std::string_view seen : label_names_) {
      if (seen == name) return FailAt(name_pos, "duplicate label name " + Quote(name));
    }
    label_names_.push_back(name);
    if (pos_ >= in_.size() || in_[pos_] != '=') return Expected("\"=\" after the label name");
    ++pos_;
    if (pos_ >= in_.size() || in_[pos_] != '"') {
      return Expected("a label value in double quotes");
    }
    size_t quote_pos = pos_;
    ++pos_;
    size_t value_pos = pos_;
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') {
        return FailAt(quote_pos, "unterminated label value");
      }
      char c = in_[pos_];
      if (c == '"') break;
      if (c == '\\') {
        if (pos_ + 1 >= in_.size() || in_[pos_ + 1] == '\n') {
          return FailAt(quote_pos, "unterminated label value");
        }
        ++pos_;
      }
      ++pos_;
    }
    std::string_view value = in_.substr(value_pos, pos_ - value_pos);
    ++pos_;  // closing quote
    if (!syntax::IsValidUtf8(value)) {
      return FailAt(value_pos, "invalid UTF-8 label value " + Quote(value));
    }
    uint64_t h = PairHash(name, value);
    scan->hash += h;
    if (name == exclude_name) {
      scan->excluded_hash = h;
      scan->has_excluded = true;
    }
    if (name == "le") {
      scan->le = value;
      scan->has_le = true;
    } else if (name == "quantile") {
      scan->quantile = value;
      scan->has_quantile = true;
    }
    scan->code_points += name.size() + UnescapedCodePoints(value);
    if (pos_ < in_.size() && in_[pos_] == ',') {
      ++pos_;
      continue;
    }
    if (pos_ < in_.size() && in_[pos_] == '}') {
      ++pos_;
      return true;
    }
    return Expected("\",\" or \"}\" after the label value");
  }
}

bool OpenMetricsParser::ParseExemplar() {
  size_t hash_pos = pos_;
  if (in_.substr(pos_, 3) != "# {") return Expected("\"# {\" starting an exemplar");
  pos_ += 2;
  LabelScan scan;
  if (!ScanLabels({}, &scan)) return false;
  if (scan.code_points > kMaxExemplarCodePoints) {
    return FailAt(hash_pos, "exemplar label set has " + std::to_string(scan.code_points) +
                                " code points, more than " +
                                std::to_string(kMaxExemplarCodePoints));
  }
  if (pos_ >= in_.size() || in_[pos_] != ' ') {
    return Expected("\" \" and a value after the exemplar labels");
  }
  ++pos_;
  size_t value_pos = pos_;
  while (pos_ < in_.size() && in_[pos_] != ' ' && in_[pos_] != '\n') ++pos_;
  if (pos_ == value_pos) return Expected("an exemplar value");
  double value;
  std::string_view v = in_.substr(value_pos, pos_ - value_pos);
  if (!syntax::ParseFloatValue(v, &value)) {
    return FailAt(value_pos, "invalid exemplar value " + Quote(v));
  }
  if (pos_ < in_.size() && in_[pos_] == ' ') {
    ++pos_;
    size_t ts_pos = pos_;
    while (pos_ < in_.size() && in_[pos_] != ' ' && in_[pos_] != '\n') ++pos_;
    if (pos_ == ts_pos) return Expected("an exemplar timestamp");
    std::string_view ts = in_.substr(ts_pos, pos_ - ts_pos);
    double seconds;
    int64_t ms;
    if (!syntax::ParseTimestampSeconds(ts, &seconds, &ms)) {
      return FailAt(ts_pos, "invalid exemplar timestamp " + Quote(ts));
    }
  }
  return true;
}

bool OpenMetricsParser::CheckSample(std::string_view suffix, const LabelScan& scan,
                                    double ts_seconds, size_t value_pos, bool has_exemplar,
                                    size_t line_pos) {
  const MetricType type = family_.type;
  const double v = value_;
  double le = 0;

  if (type == MetricType::kStateset && !scan.has_excluded) {
    return FailAt(line_pos,
                  "stateset sample without the label " + Quote(family_.name) + " naming its state");
  }
  if (IsHistogram(type) && suffix == "_bucket") {
    if (!scan.has_le) return FailAt(line_pos, "bucket without an \"le\" label");
    if (!syntax::ParseFloatValue(scan.le, &le) || std::isnan(le) ||
        (std::isinf(le) && le > 0 && scan.le != "+Inf")) {
      return FailAt(line_pos, "invalid \"le\" label value " + Quote(scan.le) +
                                  " (a number; +Inf written as \"+Inf\")");
    }
    if (!IsWholeNumber(v)) {
      return FailAt(value_pos, "bucket value " + Quote(series_) + " must be a whole number");
    }
  }
  if ((suffix == "_count" || suffix == "_gcount") && !IsWholeNumber(v)) {
    return FailAt(value_pos, "count value must be a whole number");
  }
  if (type == MetricType::kSummary && suffix.empty()) {
    double q;
    if (!scan.has_quantile) {
      return FailAt(line_pos, "summary quantile sample without a \"quantile\" label");
    }
    if (!syntax::ParseFloatValue(scan.quantile, &q) || !(q >= 0 && q <= 1)) {
      return FailAt(line_pos,
                    "invalid \"quantile\" label value " + Quote(scan.quantile) + " (0 to 1)");
    }
  }

  // Groups: a label set's samples are contiguous, and their timestamps, all present or
  // all absent, do not go backwards (info metrics excepted).
  uint64_t group = type == MetricType::kInfo ? 0 : scan.hash - scan.excluded_hash;
  if (family_.has_group && group != family_.group && seen_groups_.Contains(group)) {
    return FailAt(line_pos, "samples of one label set of " + Quote(family_.name) +
                                " are not together (interleaved with another label set)");
  }
  if (family_.has_group && group == family_.group) {
    if (has_timestamp_ != family_.group_has_ts) {
      return FailAt(line_pos, "some samples of a label set have a timestamp and some not");
    }
    if (has_timestamp_ && ts_seconds < family_.group_ts && type != MetricType::kInfo) {
      return FailAt(line_pos, "timestamps of a label set go backwards");
    }
  }
  seen_groups_.Insert(group);
  family_.has_group = true;
  family_.group = group;
  family_.group_has_ts = has_timestamp_;
  family_.group_ts = ts_seconds;

  if (type == MetricType::kStateset && v != 0 && v != 1) {
    return FailAt(value_pos, "stateset value must be 0 or 1");
  }
  if (type == MetricType::kInfo && v != 1) {
    return FailAt(value_pos, "info value must be 1");
  }
  if (type == MetricType::kSummary && suffix.empty() && v < 0) {
    return FailAt(value_pos, "quantile value must not be negative");
  }
  bool counter_like = suffix == "_total" || suffix == "_sum" || suffix == "_count" ||
                      suffix == "_bucket" || suffix == "_gcount";
  if ((counter_like || suffix == "_gsum") && std::isnan(v)) {
    return FailAt(value_pos, "value of " + Quote(metric_name_) + " must not be NaN");
  }
  if (counter_like && v < 0) {
    return FailAt(value_pos, "value of " + Quote(metric_name_) + " must not be negative");
  }
  if (has_exemplar && !((IsHistogram(type) && suffix == "_bucket") ||
                        (type == MetricType::kCounter && suffix == "_total"))) {
    return FailAt(line_pos,
                  "exemplars are only allowed on counter _total and histogram "
                  "_bucket samples");
  }

  if (!IsHistogram(type)) return true;
  // Histogram rules over runs of one group and timestamp.
  if (family_.run_active && (group != family_.run_group || has_timestamp_ != family_.run_has_ts ||
                             (has_timestamp_ && ts_seconds != family_.run_ts))) {
    if (!CheckHistogramRun(line_pos)) return false;
  }
  if (!family_.run_active) {
    family_.run_active = true;
    family_.run_group = group;
    family_.run_has_ts = has_timestamp_;
    family_.run_ts = ts_seconds;
  }
  if (suffix == "_bucket") {
    if (le < 0) family_.run_negative_bucket = true;
    if (family_.run_has_bucket && le <= family_.run_last_le) {
      return FailAt(line_pos, "histogram buckets out of order (le must increase)");
    }
    if (v < family_.run_last_bucket) {
      return FailAt(value_pos, "histogram bucket counts must not decrease");
    }
    family_.run_has_bucket = true;
    family_.run_last_le = le;
    family_.run_last_bucket = v;
  } else if (suffix == "_count" || suffix == "_gcount") {
    family_.run_has_count = true;
    family_.run_count = v;
  } else if (suffix == "_sum") {
    family_.run_has_sum = true;
  } else if (suffix == "_gsum") {
    family_.run_has_gsum = true;
    if (v < 0) family_.run_negative_gsum = true;
  }
  return true;
}

bool OpenMetricsParser::CheckHistogramRun(size_t pos) {
  Family& f = family_;
  const bool gauge = f.type == MetricType::kGaugeHistogram;
  auto fail = [&](std::string_view what) {
    return FailAt(
        pos, std::string(MetricTypeName(f.type)) + " " + Quote(f.name) + ": " + std::string(what));
  };
  if (!f.run_has_bucket || !(std::isinf(f.run_last_le) && f.run_last_le > 0)) {
    return fail("missing the le=\"+Inf\" bucket");
  }
  if (f.run_has_count && f.run_count != f.run_last_bucket) {
    return fail(gauge ? "_gcount differs from the +Inf bucket"
                      : "_count differs from the +Inf bucket");
  }
  if (f.run_has_sum && !f.run_has_count) return fail("_sum without _count");
  if (f.run_has_gsum && !f.run_has_count) return fail("_gsum without _gcount");
  if (f.run_has_count && !f.run_has_sum && !f.run_has_gsum) {
    return fail(gauge ? "_gcount without _gsum" : "_count without _sum");
  }
  if (f.run_negative_bucket && f.run_has_sum) {
    return fail("_sum is not allowed with negative buckets");
  }
  if (!f.run_negative_bucket && f.run_negative_gsum) {
    return fail("negative _gsum needs negative buckets");
  }
  f.run_active = false;
  f.run_has_bucket = f.run_has_count = f.run_has_sum = f.run_has_gsum = false;
  f.run_negative_bucket = f.run_negative_gsum = false;
  f.run_last_le = f.run_last_bucket = f.run_count = 0;
  return true;
}

}  // namespace andon::scrape
