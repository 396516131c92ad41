#include "rules/rule_lint.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "common/labels.h"

namespace andon::rules {

LintOptions ParseLintOptions(std::string_view value, std::vector<std::string>* warnings) {
  LintOptions out;
  out.duplicate_rules = false;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view item = value.substr(start, comma - start);
    if (item == "all" || item == "duplicate-rules") {
      out.duplicate_rules = true;
    } else if (item == "policy") {
      out.policy = true;
    } else if (item != "none" && warnings != nullptr) {
      warnings->push_back("WARNING: unknown lint option " + std::string(item));
    }
    start = comma + 1;
  }
  return out;
}

std::vector<DuplicateRule> FindDuplicateRules(const RuleFile& file) {
  std::vector<DuplicateRule> all;
  for (const RuleGroup& g : file.groups) {
    for (const Rule& r : g.rules) {
      // Rule::labels is a std::map, so the pairs come out sorted by label name.
      all.push_back({r.name, {r.labels.begin(), r.labels.end()}});
    }
  }
  auto key = [](const DuplicateRule& d) { return std::tie(d.name, d.labels); };
  std::sort(all.begin(), all.end(),
            [&](const DuplicateRule& a, const DuplicateRule& b) { return key(a) < key(b); });
  std::vector<DuplicateRule> out;
  for (size_t i = 1; i < all.size(); ++i) {
    if (key(all[i - 1]) != key(all[i])) continue;
    if (!out.empty() && key(out.back()) == key(all[i])) continue;
    out.push_back(all[i]);
  }
  return out;
}

std::string FormatDuplicateRules(const std::vector<DuplicateRule>& duplicates) {
  std::string out = std::to_string(duplicates.size()) + " duplicate rule(s) found.\n";
  for (const DuplicateRule& d : duplicates) {
    out += "Metric: " + d.name + "\nLabel(s):\n";
    for (const auto& [k, v] : d.labels) out += "\t" + k + ": " + v + "\n";
  }
  out += "Might cause inconsistency while recording expressions";
  return out;
}

std::vector<std::string> LintRuleFile(const RuleFile& file, const LintOptions& options) {
  std::vector<std::string> out;
  if (options.duplicate_rules) {
    std::vector<DuplicateRule> dups = FindDuplicateRules(file);
    if (!dups.empty()) out.push_back("lint error " + FormatDuplicateRules(dups));
  }
  return out;
}

std::vector<Finding> DuplicateRuleFindings(const RuleFile& file) {
  using Key = std::pair<std::string, std::map<std::string, std::string>>;
  std::map<Key, std::pair<const RuleGroup*, size_t>> first;  // -> where it was first seen
  std::vector<Finding> out;
  for (const RuleGroup& g : file.groups) {
    for (size_t i = 0; i < g.rules.size(); ++i) {
      const Rule& r = g.rules[i];
      auto [it, inserted] = first.emplace(Key{r.name, r.labels}, std::make_pair(&g, i));
      if (inserted) continue;
      Finding f;
      f.file = file.filename;
      f.pos = r.name_pos.line > 0 ? r.name_pos : r.pos;
      f.group = g.name;
      f.rule_index = i + 1;
      f.rule = r.name;
      f.check = "duplicate-rules";
      f.message = "same name and labels as group " + QuoteLabelValue(it->second.first->name) +
                  ", rule " + std::to_string(it->second.second + 1) +
                  " (both write or fire the same series)";
      f.warning = true;
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace andon::rules
