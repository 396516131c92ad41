#include "common/labels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

namespace andon {
namespace {

TEST(LabelsTest, SortsByNameAndDropsEmptyValues) {
  Labels l{{"job", "api"}, {"__name__", "up"}, {"instance", "10.0.0.1:80"}, {"empty", ""}};
  std::vector<std::string> names;
  for (const Label& x : l) names.emplace_back(x.name);
  EXPECT_EQ(names, (std::vector<std::string>{"__name__", "instance", "job"}));
  EXPECT_EQ(l.size(), 3u);
  EXPECT_EQ(l.MetricName(), "up");
  EXPECT_EQ(l.Get("job"), "api");
  EXPECT_EQ(l.Get("missing"), "");
  EXPECT_FALSE(l.Has("empty"));
}

TEST(LabelsTest, LaterDuplicateNameWins) {
  Labels l{{"a", "1"}, {"a", "2"}};
  EXPECT_EQ(l.size(), 1u);
  EXPECT_EQ(l.Get("a"), "2");
}

TEST(LabelsTest, EmptySetAllocatesNothingAndPrintsBraces) {
  Labels l;
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.HeapBytes(), 0u);
  EXPECT_EQ(l.ToString(), "{}");
  EXPECT_EQ(l.begin(), l.end());
  EXPECT_EQ(Labels({{"a", ""}}), l);
}

TEST(LabelsTest, ToStringQuotesAndEscapesValues) {
  Labels l{{"__name__", "up"}, {"job", "x"}};
  EXPECT_EQ(l.ToString(), R"({__name__="up", job="x"})");
  Labels odd{{"a", "q\"b\\c\nd\te"}};
  EXPECT_EQ(odd.ToString(), R"({a="q\"b\\c\nd\te"})");
}

TEST(LabelsTest, CopiesShareOneBlockAndOutliveTheOriginal) {
  Labels copy;
  {
    Labels l{{"__name__", "up"}, {"job", "x"}};
    copy = l;
    EXPECT_EQ(copy.Packed().data(), l.Packed().data());
  }
  EXPECT_EQ(copy.ToString(), R"({__name__="up", job="x"})");
  Labels moved = std::move(copy);
  EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(moved.Get("job"), "x");
}

TEST(LabelsTest, EqualityAndOrderingFollowLabelByLabelComparison) {
  Labels a{{"a", "1"}};
  Labels a2{{"a", "2"}};
  Labels ab{{"a", "1"}, {"b", "1"}};
  Labels b{{"b", "0"}};
  EXPECT_EQ(a, Labels({{"a", "1"}}));
  EXPECT_NE(a, a2);
  EXPECT_LT(Compare(a, a2), 0);
  EXPECT_LT(Compare(a, ab), 0);  // prefix first
  EXPECT_LT(Compare(ab, b), 0);  // name "a" < "b"
  EXPECT_GT(Compare(b, a2), 0);
  EXPECT_EQ(Compare(ab, Labels({{"b", "1"}, {"a", "1"}})), 0);
  // A length prefix must not distort the order: "ab" < "b" although it is longer.
  EXPECT_LT(Compare(Labels({{"x", "ab"}}), Labels({{"x", "b"}})), 0);
}

TEST(LabelsTest, HashIsStableAcrossVersions) {
  // Pinned: these values may be persisted; a change here is a format change.
  EXPECT_EQ(Labels({{"__name__", "up"}, {"job", "x"}}).Hash(), 1064363989873202902u);
  EXPECT_EQ(Hash64("", 0), 11809434866664617123u);
  EXPECT_EQ(Hash64("hello, world, sixteen+ bytes", 28), 15302568972440527119u);
}

TEST(LabelsTest, HashHasNoCollisionsOnAMillionSimilarSetsAndSpreadsLowBits) {
  std::unordered_set<uint64_t> seen;
  std::vector<int> buckets(256);
  LabelsBuilder b;
  constexpr int kN = 1000000;
  for (int i = 0; i < kN; ++i) {
    b.Set("__name__", "http_requests_total").Set("pod", "api-" + std::to_string(i / 10));
    b.Set("code", std::to_string(200 + i % 10));
    uint64_t h = b.Build().Hash();
    seen.insert(h);
    ++buckets[h & 255];
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kN));
  for (int c : buckets) {
    EXPECT_GT(c, kN / 256 * 9 / 10);
    EXPECT_LT(c, kN / 256 * 11 / 10);
  }
}

TEST(LabelsTest, HashDependsOnEveryByteAndOnBoundaries) {
  EXPECT_NE(Labels({{"ab", "c"}}).Hash(), Labels({{"a", "bc"}}).Hash());
  std::string s(40, 'x');
  uint64_t base = Hash64(s.data(), s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    std::string t = s;
    t[i] = 'y';
    EXPECT_NE(Hash64(t.data(), t.size()), base) << i;
  }
  EXPECT_NE(Hash64(s.data(), 39), Hash64(s.data(), 40));
}

TEST(LabelsTest, HashForAndWithoutLabelsGroupEqualSubsets) {
  Labels a{{"__name__", "m"}, {"job", "x"}, {"pod", "1"}};
  Labels b{{"__name__", "n"}, {"job", "x"}, {"pod", "2"}};
  std::vector<std::string> by{"job"};
  EXPECT_EQ(a.HashForLabels(by), b.HashForLabels(by));
  std::vector<std::string> without{"pod"};
  EXPECT_EQ(a.HashWithoutLabels(without), b.HashWithoutLabels(without));  // drops __name__
  std::vector<std::string> none;
  EXPECT_NE(a.HashWithoutLabels(none), b.HashWithoutLabels(none));
}

TEST(LabelsTest, BuilderSetsDeletesAndRebuilds) {
  Labels base{{"__name__", "up"}, {"job", "x"}};
  LabelsBuilder b(base);
  b.Set("instance", "h:1").Del("job").Set("__name__", "");
  EXPECT_EQ(b.Get("instance"), "h:1");
  EXPECT_EQ(b.Build(), Labels({{"instance", "h:1"}}));
  b.Reset(base).Set("job", "y");
  EXPECT_EQ(b.Build().ToString(), R"({__name__="up", job="y"})");
  EXPECT_TRUE(b.Clear().Build().empty());
}

TEST(LabelsTest, BuilderVisitsAndDeletesItsCurrentLabels) {
  LabelsBuilder b(Labels{{"__meta_a", "1"}, {"job", "x"}});
  b.Set("instance", "h:1").Del("job");
  std::vector<std::string> seen;
  b.ForEach(
      [&](const Label& l) { seen.push_back(std::string(l.name) + "=" + std::string(l.value)); });
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"__meta_a=1", "instance=h:1"}));
  b.DelIf([](const Label& l) { return l.name.starts_with("__"); });
  EXPECT_EQ(b.Build(), Labels({{"instance", "h:1"}}));
}

TEST(LabelsTest, BuilderStaysCorrectWhenReusingDeletedAndSurplusSlots) {
  LabelsBuilder b(Labels{{"a", "1"}, {"b", "2"}, {"c", "3"}});
  b.Del("a").Set("d", "4").Del("c").Set("a", "5");
  EXPECT_EQ(b.Build(), Labels({{"a", "5"}, {"b", "2"}, {"d", "4"}}));
  EXPECT_EQ(b.Get("c"), "");
  b.Reset(Labels{{"x", "1"}});
  EXPECT_EQ(b.Get("b"), "");
  EXPECT_EQ(b.Set("y", "2").Build(), Labels({{"x", "1"}, {"y", "2"}}));
  b.Clear();
  EXPECT_EQ(b.Get("x"), "");
  EXPECT_EQ(b.Set("z", "3").Build(), Labels({{"z", "3"}}));
}

TEST(LabelsTest, PackedRoundTripsAndRejectsCorruptInput) {
  Labels l{{"__name__", "up"}, {"job", std::string(300, 'v')}};
  auto back = Labels::FromPacked(l.Packed());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, l);
  EXPECT_FALSE(Labels::FromPacked(l.Packed().substr(0, 5)).ok());
  std::string unsorted =
      std::string(Labels({{"b", "1"}}).Packed()) + std::string(Labels({{"a", "1"}}).Packed());
  EXPECT_FALSE(Labels::FromPacked(unsorted).ok());
}

TEST(LabelsTest, HeapBytesIsTextPlusSmallOverhead) {
  Labels l{{"__name__", "up"}, {"job", "x"}};  // 8+2+3+1 text, 4 length bytes
  EXPECT_EQ(l.HeapBytes(), 8u + 14u + 4u);
}

TEST(LabelsTest, ValidatesNamesPerPrometheusRules) {
  EXPECT_TRUE(IsValidLabelName("job"));
  EXPECT_TRUE(IsValidLabelName("_x9"));
  EXPECT_TRUE(IsValidLabelName("__name__"));
  EXPECT_FALSE(IsValidLabelName(""));
  EXPECT_FALSE(IsValidLabelName("9x"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("a-b"));
  EXPECT_TRUE(IsValidMetricName("ns:rate5m"));
  EXPECT_TRUE(IsValidMetricName(":x"));
  EXPECT_FALSE(IsValidMetricName("1x"));
  EXPECT_FALSE(IsValidMetricName("a.b"));
  EXPECT_TRUE(Labels({{"__name__", "up"}, {"job", "x"}}).Validate().ok());
  Status bad = Labels({{"a-b", "1"}}).Validate();
  EXPECT_EQ(bad.message(), R"(invalid label name "a-b" in {a-b="1"})");
  EXPECT_FALSE(Labels({{"__name__", "a b"}}).Validate().ok());
  EXPECT_FALSE(Labels({{"x", "\xff"}}).Validate().ok());
  EXPECT_TRUE(Labels({{"x", "z\xc3\xbcrich"}}).Validate().ok());
}

TEST(LabelsTest, Utf8ValidatorRejectsOverlongAndSurrogates) {
  EXPECT_TRUE(IsValidUtf8("plain \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
}

}  // namespace
}  // namespace andon
