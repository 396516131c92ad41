// scrape/openmetrics_parser.h
//
// Strict parser of the OpenMetrics 1.0 text format. Besides the line syntax (single
// spaces, no blank lines, no comments other than HELP/TYPE/UNIT, a final "# EOF" with
// nothing after it) it checks, as it streams, the rules about whole metric families that
// the OpenMetrics reference validator checks: metadata before samples and at most once,
// units as name suffixes, sample names allowed for the family's type (counter _total,
// ...), families not split or clashing, groups (label sets) contiguous with timestamps
// that do not go backwards, counter-like values not negative or NaN, le/quantile labels,
// histogram buckets in order and consistent with _count, stateset/info values, and
// exemplars (syntax, only on counter _total and histogram _bucket samples, label set at
// most 128 code points). Exemplars are otherwise ignored. The list with the reasons is in
// docs/exposition-formats.md.
//
// Some family rules can only be judged when a family ends, so an error may be reported
// on the line that starts the next family (or on "# EOF"): the caller must treat any
// error as fatal for the whole body. Timestamps (float seconds) are converted to
// milliseconds exactly, truncating toward zero, saturating at the int64 range.
//
// Memory: the bookkeeping (names seen, label sets seen in the current family) grows with
// the number of families and label sets, never per sample, and is kept across Reset(), so
// a parser reused for the next scrape of a target does not allocate in steady state.
//
// Thread-safety and lifetime: see ExpositionParser.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "scrape/exposition_parser.h"

namespace andon::scrape {

class OpenMetricsParser final : public ExpositionParser {
 public:
  // Families whose samples are split into several runs (allowed when
  // `allow_split_families`) are accepted like Prometheus accepts them; the OpenMetrics spec
  // (and the default) rejects them. `andon tsdb import` allows them, as promtool does.
  explicit OpenMetricsParser(std::string_view input, bool allow_split_families = false);

  // Starts over on a new body, keeping the capacity of the bookkeeping tables.
  void Reset(std::string_view input);

  ExpositionEntry Next() override;

  // For kSeries: the type of the family the sample belongs to (kUnknown without # TYPE).
  MetricType family_type() const { return family_.type; }

 private:
  bool allow_split_families_;

  // Set of 64-bit hashes whose clear() is O(1) (generation counter).
  class HashSet {
   public:
    // Returns false if `key` was already present.
    bool Insert(uint64_t key);
    bool Contains(uint64_t key) const;
    void Clear() {
      ++generation_;
      size_ = 0;
    }

   private:
    struct Slot {
      uint64_t key = 0;
      uint32_t generation = 0;
    };
    void Grow();
    std::vector<Slot> slots_;
    uint32_t generation_ = 1;
    size_t size_ = 0;
  };

  // Set of strings (metric names) with their bytes kept in an arena.
  class NameSet {
   public:
    // Returns false if `prefix + suffix` was already present.
    bool Insert(std::string_view prefix, std::string_view suffix);
    void Clear();

   private:
    struct Slot {
      uint64_t hash = 0;
      uint32_t offset = 0;
      uint32_t size = 0;
      uint32_t generation = 0;
    };
    void Grow();
    std::vector<Slot> slots_;
    std::string arena_;
    uint32_t generation_ = 1;
    size_t size_ = 0;
  };

  // What a label set scan found.
  struct LabelScan {
    uint64_t hash = 0;           // order-independent hash of all (name, unescaped value)
    uint64_t excluded_hash = 0;  // the part of `hash` due to `exclude_name`
    bool has_excluded = false;
    std::string_view le;  // raw values of these labels, if present
    std::string_view quantile;
    bool has_le = false;
    bool has_quantile = false;
    size_t code_points = 0;  // names plus unescaped values
  };

  struct Family {
    bool active = false;
    std::string_view name;
    MetricType type = MetricType::kUnknown;
    bool has_type = false;
    bool has_help = false;
    bool has_unit = false;
    std::string_view unit;
    bool has_samples = false;
    // The current group (label set without le/quantile/state label) and its timestamp.
    bool has_group = false;
    uint64_t group = 0;
    bool group_has_ts = false;
    double group_ts = 0;
    // Histogram checks run over consecutive samples with the same group and timestamp.
    bool run_active = false;
    uint64_t run_group = 0;
    bool run_has_ts = false;
    double run_ts = 0;
    bool run_has_bucket = false;
    double run_last_le = 0;
    double run_last_bucket = 0;
    bool run_has_count = false;
    double run_count = 0;
    bool run_has_sum = false;
    bool run_has_gsum = false;
    bool run_negative_bucket = false;
    bool run_negative_gsum = false;
  };

  ExpositionEntry ParseMetadataOrEof();
  ExpositionEntry ParseSample();
  // Parses from '{' to just after '}'. `exclude_name` is the label left out of the group.
  bool ScanLabels(std::string_view exclude_name, LabelScan* scan);
  // Parses " # {labels} value [timestamp]" starting at the '#'.
  bool ParseExemplar();
  bool CheckSample(std::string_view suffix, const LabelScan& scan, double ts_seconds,
                   size_t value_pos, bool has_exemplar, size_t line_pos);
  bool CheckHistogramRun(size_t pos);
  // Applies the end-of-family rules and forgets the family.
  bool EndFamily(size_t pos);
  void StartFamily(std::string_view name);
  bool SampleBelongsToFamily(std::string_view sample_name, std::string_view* suffix) const;
  // "expected X, got <token at pos_>".
  bool Expected(std::string_view what);
  std::string Got() const;
  bool FailAt(size_t pos, std::string_view what) {
    Fail(pos, what);
    return false;
  }

  Family family_;
  HashSet seen_groups_;
  NameSet seen_names_;
  std::vector<std::string_view> label_names_;  // of the label set being scanned
  bool line_pending_ = false;                  // pos_ is at the '\n' ending the last line
  bool done_ = false;
};

}  // namespace andon::scrape
