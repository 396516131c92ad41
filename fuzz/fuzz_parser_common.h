// fuzz/fuzz_parser_common.h
//
// Drives a parser over one fuzz input and checks the invariants every parser keeps
// whatever the input: entries stay inside the input, decoded labels are well-formed, the
// error message names its line and column, and the iterator terminates.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "scrape/exposition_parser.h"

namespace andon::scrape {

inline bool InsideInput(std::string_view part, std::string_view input) {
  return part.empty() ||
         (part.data() >= input.data() && part.data() + part.size() <= input.data() + input.size());
}

inline void Check(bool ok) {
  if (!ok) std::abort();
}

inline void FuzzParser(ExpositionParser& p, std::string_view input) {
  LabelsScratch scratch;
  std::string help;
  // Every entry consumes at least one byte, so this bounds the loop.
  for (size_t steps = 0; steps <= input.size() + 1; ++steps) {
    ExpositionEntry e = p.Next();
    switch (e) {
      case ExpositionEntry::kEof:
        Check(p.Next() == ExpositionEntry::kEof);
        return;
      case ExpositionEntry::kError: {
        const std::string& m = p.status().message();
        Check(!p.status().ok());
        Check(p.error_line() >= 1 && p.error_column() >= 1);
        Check(p.error_line() <= 1 + std::count(input.begin(), input.end(), '\n'));
        Check(static_cast<size_t>(p.error_column()) <= input.size() + 1);
        Check(m.starts_with("line " + std::to_string(p.error_line()) + ", column " +
                            std::to_string(p.error_column()) + ": "));
        Check(p.Next() == ExpositionEntry::kError);
        return;
      }
      case ExpositionEntry::kSeries:
        Check(InsideInput(p.series(), input));
        Check(p.series().starts_with(p.metric_name()));
        Check(!p.metric_name().empty());
        p.DecodeLabels(&scratch);
        for (const LabelPair& l : scratch.labels()) {
          Check(!l.name.empty() && InsideInput(l.name, input));
        }
        break;
      case ExpositionEntry::kHelp:
        Check(InsideInput(p.metadata_name(), input));
        p.help(&help);
        break;
      case ExpositionEntry::kType:
      case ExpositionEntry::kUnit:
        Check(!p.metadata_name().empty());
        break;
      case ExpositionEntry::kComment:
        Check(InsideInput(p.comment(), input));
        break;
    }
  }
  std::abort();  // did not terminate
}

}  // namespace andon::scrape
