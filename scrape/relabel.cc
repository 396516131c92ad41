#include "scrape/relabel.h"

#include <openssl/evp.h>
#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace andon::scrape {
namespace {

using config::RelabelAction;
using config::RelabelConfig;

// Per-thread buffers so that relabeling a sample's labels (metric_relabel_configs) does not
// allocate once the buffers have grown to the working size.
struct Scratch {
  std::string value;        // joined source label values
  std::string target;       // expanded target label name
  std::string replacement;  // expanded replacement
  std::vector<re2::StringPiece> groups;
  std::vector<std::pair<std::string, std::string>> snapshot;  // labelmap input
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

void JoinSourceValues(const RelabelConfig& cfg, const LabelsBuilder& builder, std::string* out) {
  out->clear();
  for (size_t i = 0; i < cfg.source_labels.size(); ++i) {
    if (i > 0) out->append(cfg.separator);
    out->append(builder.Get(cfg.source_labels[i]));
  }
}

bool IsNameByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Group number named by `name` when it is all digits without a leading zero, else -1.
int GroupNumber(std::string_view name) {
  if (name.size() > 1 && name[0] == '0') return -1;
  int num = 0;
  for (char c : name) {
    if (c < '0' || c > '9' || num >= 100000000) return -1;
    num = num * 10 + (c - '0');
  }
  return num;
}

// Appends `tmpl` to `out` with $1, ${1}, $name and ${name} replaced by the matching groups
// of `re` (Go regexp.Expand rules): a name is the longest run of letters, digits and
// underscores, so "$1x" means the group "1x"; an unknown or unmatched group expands to
// nothing; "$$" is a literal "$"; a malformed reference keeps its "$" as text.
void Expand(const re2::RE2& re, std::string_view tmpl, std::span<const re2::StringPiece> groups,
            std::string* out) {
  out->clear();
  while (!tmpl.empty()) {
    size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) {
      out->append(tmpl);
      return;
    }
    out->append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out->push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    bool brace = !tmpl.empty() && tmpl[0] == '{';
    size_t start = brace ? 1 : 0;
    size_t end = start;
    while (end < tmpl.size() && IsNameByte(tmpl[end])) ++end;
    bool ok = end > start && (!brace || (end < tmpl.size() && tmpl[end] == '}'));
    if (!ok) {
      out->push_back('$');
      continue;
    }
    std::string_view name = tmpl.substr(start, end - start);
    tmpl.remove_prefix(brace ? end + 1 : end);
    int num = GroupNumber(name);
    if (num < 0) {
      for (const auto& [group_name, index] : re.NamedCapturingGroups()) {
        if (group_name == name) num = index;
      }
      if (num < 0) continue;
    }
    if (static_cast<size_t>(num) < groups.size() && groups[num].data() != nullptr) {
      out->append(groups[num].data(), groups[num].size());
    }
  }
}

// Matches `text` against the config's regex, filling `groups` (index 0 = whole match). Without
// `want_groups` only the match is decided, which lets re2 use its DFA (no allocation once
// warm); extracting groups can allocate inside re2.
bool MatchGroups(const re2::RE2& re, std::string_view text, bool want_groups,
                 std::vector<re2::StringPiece>* groups) {
  size_t n = want_groups ? static_cast<size_t>(re.NumberOfCapturingGroups()) + 1 : 0;
  groups->assign(n, re2::StringPiece());
  return re.Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), re2::RE2::UNANCHORED,
                  groups->data(), static_cast<int>(groups->size()));
}

bool Matches(const re2::RE2& re, std::string_view text) {
  return re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), re);
}

// Prometheus's hashmod: the MD5 digest's last 8 bytes read as a big-endian integer.
uint64_t Md5Tail64(std::string_view s) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), digest, &len, EVP_md5(), nullptr);
  uint64_t v = 0;
  for (unsigned int i = len - 8; i < len; ++i) v = (v << 8) | digest[i];
  return v;
}

void ToLowerAscii(std::string* s) {
  for (char& c : *s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

void ToUpperAscii(std::string* s) {
  for (char& c : *s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
}

// Applies one config; false when the label set is dropped.
bool Apply(const RelabelConfig& cfg, LabelsBuilder& builder, Scratch& s) {
  const re2::RE2& re = *cfg.compiled;
  JoinSourceValues(cfg, builder, &s.value);
  switch (cfg.action) {
    case RelabelAction::kDrop:
      return !Matches(re, s.value);
    case RelabelAction::kKeep:
      return Matches(re, s.value);
    case RelabelAction::kDropEqual:
      return builder.Get(cfg.target_label) != s.value;
    case RelabelAction::kKeepEqual:
      return builder.Get(cfg.target_label) == s.value;
    case RelabelAction::kReplace: {
      bool want_groups = cfg.target_label.find('$') != std::string::npos ||
                         cfg.replacement.find('$') != std::string::npos;
      if (!MatchGroups(re, s.value, want_groups, &s.groups)) return true;
      Expand(re, cfg.target_label, s.groups, &s.target);
      if (!IsValidLabelName(s.target)) return true;
      Expand(re, cfg.replacement, s.groups, &s.replacement);
      builder.Set(s.target, s.replacement);  // an empty value deletes
      return true;
    }
    case RelabelAction::kLowercase:
      ToLowerAscii(&s.value);
      builder.Set(cfg.target_label, s.value);
      return true;
    case RelabelAction::kUppercase:
      ToUpperAscii(&s.value);
      builder.Set(cfg.target_label, s.value);
      return true;
    case RelabelAction::kHashMod: {
      uint64_t mod = cfg.modulus == 0 ? 0 : Md5Tail64(s.value) % cfg.modulus;
      char buf[24];
      char* end = buf + sizeof buf;
      char* p = end;
      do {
        *--p = static_cast<char>('0' + mod % 10);
        mod /= 10;
      } while (mod != 0);
      builder.Set(cfg.target_label, std::string_view(p, end - p));
      return true;
    }
    case RelabelAction::kLabelMap: {
      // Mapped names are computed from the labels as they were before this action.
      size_t n = 0;
      builder.ForEach([&](const Label& l) {
        if (n == s.snapshot.size()) s.snapshot.emplace_back();
        s.snapshot[n].first.assign(l.name);
        s.snapshot[n].second.assign(l.value);
        ++n;
      });
      for (size_t i = 0; i < n; ++i) {
        const auto& [name, value] = s.snapshot[i];
        if (!MatchGroups(re, name, /*want_groups=*/true, &s.groups)) continue;
        Expand(re, cfg.replacement, s.groups, &s.target);
        builder.Set(s.target, value);
      }
      return true;
    }
    case RelabelAction::kLabelDrop:
      builder.DelIf([&](const Label& l) { return Matches(re, l.name); });
      return true;
    case RelabelAction::kLabelKeep:
      builder.DelIf([&](const Label& l) { return !Matches(re, l.name); });
      return true;
  }
  return true;
}

}  // namespace

bool Relabel(std::span<const config::RelabelConfig> configs, LabelsBuilder& builder) {
  Scratch& scratch = ThreadScratch();
  for (const RelabelConfig& cfg : configs) {
    if (!Apply(cfg, builder, scratch)) return false;
  }
  return true;
}

}  // namespace andon::scrape
