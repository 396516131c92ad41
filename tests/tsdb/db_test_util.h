// Helpers shared by the Db tests: temp dirs and reading whole series back.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tsdb/db.h"

namespace andon::dbtest {

inline constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "andon-db-XXXXXX").string();
    root_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  std::string path(const std::string& sub = "data") const { return root_ + "/" + sub; }

 private:
  std::string root_;
};

// Series as "labels" -> samples with values as bit patterns (bit-exact comparison).
using Bits = std::vector<std::pair<int64_t, uint64_t>>;
using Dump = std::map<std::string, Bits>;

inline Dump ReadAll(Db& db, std::vector<LabelMatcher> ms, int64_t mint = kMin,
                    int64_t maxt = kMax) {
  auto q = db.NewQuerier();
  auto set = q->Select(ms, mint, maxt);
  Dump out;
  while (set->Next()) {
    Bits& b = out[set->At().labels().ToString()];
    auto it = set->At().Iterator();
    while (it->Next()) b.emplace_back(it->At().t, std::bit_cast<uint64_t>(it->At().v));
    EXPECT_TRUE(it->Err().ok());
    // The batch read of a fresh iterator returns the same samples.
    std::vector<Sample> batch;
    EXPECT_TRUE(set->At().Iterator()->ReadAll(&batch));
    Bits bb;
    for (const Sample& s : batch) bb.emplace_back(s.t, std::bit_cast<uint64_t>(s.v));
    EXPECT_EQ(bb, b) << set->At().labels().ToString();
    // So does the zero-copy read, from the start and after the first sample.
    for (int skip : {0, 1}) {
      auto it2 = set->At().Iterator();
      if (skip == 1) EXPECT_TRUE(it2->Next());
      std::optional<std::span<const Sample>> held = it2->TakeAll();
      EXPECT_TRUE(held.has_value());  // a Db's series are held decoded
      Bits bt;
      for (const Sample& s : held.value_or(std::span<const Sample>())) {
        bt.emplace_back(s.t, std::bit_cast<uint64_t>(s.v));
      }
      EXPECT_EQ(bt, Bits(b.begin() + skip, b.end())) << set->At().labels().ToString();
      EXPECT_FALSE(it2->Next());
    }
  }
  EXPECT_TRUE(set->Err().ok()) << set->Err().message();
  return out;
}

inline LabelMatcher Eq(std::string n, std::string v) {
  return LabelMatcher::MustMake(LabelMatcher::Type::kEqual, std::move(n), std::move(v));
}
inline LabelMatcher Re(std::string n, std::string v) {
  return LabelMatcher::MustMake(LabelMatcher::Type::kRegexMatch, std::move(n), std::move(v));
}

}  // namespace andon::dbtest
