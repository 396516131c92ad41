// scrape/prometheus_text_parser.h
//
// Parser of the Prometheus text exposition format 0.0.4, accepting what Prometheus 2.42
// accepts (details and the reasons in docs/exposition-formats.md):
//   * blank lines, blanks (spaces, tabs) before and between tokens, no trailing newline;
//   * "# HELP name text" and "# TYPE name counter|gauge|histogram|summary|untyped";
//     every other line starting with "#" is a kComment;
//   * name[{label="value",...}] value [timestamp], with an optional trailing comma and
//     optional commas between labels, "{}" and a blank before "{"; label values may hold
//     any valid UTF-8 (even a raw newline) and the escapes \\ \" \n (others are kept as
//     written); the value is a float (see syntax::ParseFloatValue); the timestamp is
//     integer milliseconds.
// Duplicate label names are not detected here (Prometheus catches them when the scrape
// loop builds the label set, and so must ours).
//
// Thread-safety and lifetime: see ExpositionParser.
#pragma once

#include <string_view>

#include "scrape/exposition_parser.h"

namespace andon::scrape {

class PrometheusTextParser final : public ExpositionParser {
 public:
  explicit PrometheusTextParser(std::string_view input) : ExpositionParser(input) {}

  // Starts over on a new body (keeps nothing but reusable memory).
  void Reset(std::string_view input) { ResetBase(input); }

  ExpositionEntry Next() override;

 private:
  ExpositionEntry ParseMetadataOrComment();
  ExpositionEntry ParseSample();
  // At the start of a sample line: when the line starts with the (validated) series `hint`,
  // sets series_, metric_name_ and labels_ from it, moves past it and returns true.
  bool TakeHintedSeries(std::string_view hint);
  // Parses from just after '{' to just after '}'.
  ExpositionEntry ParseLabels();
  // Describes the token at pos_ for "expected X, got <token>" messages.
  std::string Got() const;
  void SkipBlanks() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\t')) ++pos_;
  }
};

}  // namespace andon::scrape
