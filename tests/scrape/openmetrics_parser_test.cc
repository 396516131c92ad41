#include "scrape/openmetrics_parser.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace andon::scrape {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string ErrorOf(const std::string& body) {
  OpenMetricsParser p(body);
  for (ExpositionEntry e; (e = p.Next()) != ExpositionEntry::kEof;) {
    if (e == ExpositionEntry::kError) return p.status().message();
  }
  return "";
}

// Timestamp in ms of the single sample of "m 1 <ts>".
std::optional<int64_t> TimestampOf(const std::string& ts) {
  std::string body = "m 1 " + ts + "\n# EOF\n";
  OpenMetricsParser p(body);
  EXPECT_EQ(p.Next(), ExpositionEntry::kSeries) << ts << ": " << p.status().message();
  return p.timestamp_ms();
}

TEST(OpenMetricsParserTest, StreamsMetadataAndSamplesOfAFamily) {
  std::string body =
      "# TYPE rpc_seconds histogram\n"
      "# UNIT rpc_seconds seconds\n"
      "# HELP rpc_seconds Latency \\\"of\\\" RPCs\\n.\n"
      "rpc_seconds_bucket{path=\"/a\",le=\"0.5\"} 3 # {trace_id=\"x\"} 0.2 1520879607.789\n"
      "rpc_seconds_bucket{path=\"/a\",le=\"+Inf\"} 4\n"
      "rpc_seconds_sum{path=\"/a\"} 1.5\n"
      "rpc_seconds_count{path=\"/a\"} 4\n"
      "# EOF\n";
  OpenMetricsParser p(body);
  std::string scratch;
  ASSERT_EQ(p.Next(), ExpositionEntry::kType);
  EXPECT_EQ(p.metadata_name(), "rpc_seconds");
  EXPECT_EQ(p.type(), MetricType::kHistogram);
  ASSERT_EQ(p.Next(), ExpositionEntry::kUnit);
  EXPECT_EQ(p.unit(), "seconds");
  ASSERT_EQ(p.Next(), ExpositionEntry::kHelp);
  EXPECT_EQ(p.help(&scratch), "Latency \"of\" RPCs\n.");
  ASSERT_EQ(p.Next(), ExpositionEntry::kSeries) << p.status().message();
  EXPECT_EQ(p.series(), "rpc_seconds_bucket{path=\"/a\",le=\"0.5\"}");
  EXPECT_EQ(p.metric_name(), "rpc_seconds_bucket");
  EXPECT_EQ(p.value(), 3);
  EXPECT_FALSE(p.timestamp_ms().has_value());  // the exemplar's timestamp is not the sample's
  EXPECT_EQ(p.family_type(), MetricType::kHistogram);
  LabelsScratch labels;
  p.DecodeLabels(&labels);
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0].name, "path");
  EXPECT_EQ(labels[1].value, "0.5");
  for (int i = 0; i < 3; ++i) ASSERT_EQ(p.Next(), ExpositionEntry::kSeries) << p.status().message();
  EXPECT_EQ(p.metric_name(), "rpc_seconds_count");
  EXPECT_EQ(p.Next(), ExpositionEntry::kEof);
  EXPECT_EQ(p.Next(), ExpositionEntry::kEof);
}

TEST(OpenMetricsParserTest, ConvertsFloatSecondTimestampsToMillisecondsExactly) {
  EXPECT_EQ(TimestampOf("1520879607.789"), 1520879607789);
  EXPECT_EQ(TimestampOf("1.001"), 1001);  // 1.001 * 1000 in doubles is 1000.9999999999999
  EXPECT_EQ(TimestampOf("0.0019"), 1);
  EXPECT_EQ(TimestampOf("000"), 0);
  EXPECT_EQ(TimestampOf("1.5e3"), 1500000);
  EXPECT_EQ(TimestampOf("15e-4"), 1);
  EXPECT_EQ(TimestampOf("-1.5"), -1500);
  EXPECT_EQ(TimestampOf("-0.0005"), 0);
  EXPECT_EQ(TimestampOf("+2"), 2000);
  EXPECT_EQ(TimestampOf("12345678901234567890.1234567890"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(TimestampOf("-1e300"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(TimestampOf("0e999999999"), 0);
}

TEST(OpenMetricsParserTest, RejectsTimestampsThatAreNotFiniteDecimals) {
  for (const char* ts : {"NaN", "Inf", "-Inf", "0x1p-3", "1_2", "1.1.1", "1z", "1e400"}) {
    EXPECT_EQ(
        ErrorOf(std::string("m 1 ") + ts + "\n# EOF\n"),
        std::string("line 1, column 5: invalid timestamp \"") + ts + "\" (float seconds expected)");
  }
}

TEST(OpenMetricsParserTest, ParsesNaNAsTheNormalNaNAndInfinitiesInGauges) {
  OpenMetricsParser p("a NaN\nb +Inf\nc -Inf\n# EOF");
  ASSERT_EQ(p.Next(), ExpositionEntry::kSeries);
  EXPECT_EQ(std::bit_cast<uint64_t>(p.value()), 0x7ff8000000000001ULL);
  ASSERT_EQ(p.Next(), ExpositionEntry::kSeries);
  EXPECT_EQ(p.value(), std::numeric_limits<double>::infinity());
  ASSERT_EQ(p.Next(), ExpositionEntry::kSeries);
  EXPECT_EQ(p.value(), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(p.Next(), ExpositionEntry::kEof);
}

TEST(OpenMetricsParserTest, UnescapesLabelsTheSameWayAsTheTextFormat) {
  OpenMetricsParser p(R"(m{a="q\"",b="b\\s",c="n\nl",d="\z"} 1)"
                      "\n# EOF\n");
  ASSERT_EQ(p.Next(), ExpositionEntry::kSeries) << p.status().message();
  LabelsScratch s;
  p.DecodeLabels(&s);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].value, "q\"");
  EXPECT_EQ(s[1].value, "b\\s");
  EXPECT_EQ(s[2].value, "n\nl");
  EXPECT_EQ(s[3].value, "\\z");
}

TEST(OpenMetricsParserTest, ExemplarLabelSetsMayHaveUpTo128CodePoints) {
  auto body = [](size_t n) {
    return "# TYPE a counter\na_total 1 # {id=\"" + std::string(n - 2, 'x') + "\"} 1\n# EOF\n";
  };
  EXPECT_EQ(ErrorOf(body(128)), "");
  EXPECT_EQ(ErrorOf(body(129)),
            "line 2, column 11: exemplar label set has 129 code points, more than 128");
  // Multi-byte characters count once; an escape sequence counts as the character it means.
  std::string wide = "# TYPE a counter\na_total 1 # {i=\"\\n";
  for (int i = 0; i < 126; ++i) wide += "\xc3\xa9";
  wide += "\"} 1\n# EOF\n";
  EXPECT_EQ(ErrorOf(wide), "");
}

TEST(OpenMetricsParserTest, ErrorsNameLineColumnAndWhatWasExpected) {
  EXPECT_EQ(ErrorOf("a 1\n\n# EOF\n"), "line 2, column 1: blank lines are not allowed");
  EXPECT_EQ(ErrorOf("a 1\n"), "line 2, column 1: unexpected end of input: missing \"# EOF\"");
  EXPECT_EQ(ErrorOf("a 1\n# EOF\nb 1\n"), "line 3, column 1: unexpected data after \"# EOF\"");
  EXPECT_EQ(ErrorOf("# some comment\n# EOF\n"),
            "line 1, column 3: expected HELP, TYPE, UNIT or EOF after \"# \", got \"some\"");
  EXPECT_EQ(ErrorOf("a{b=\"c\",} 1\n# EOF\n"),
            "line 1, column 9: expected a label name, got \"}\"");
  EXPECT_EQ(ErrorOf("x 1\na{b=c} 1\n# EOF\n"),
            "line 2, column 5: expected a label value in double quotes, got \"c}\"");
  EXPECT_EQ(ErrorOf("a  1\n# EOF\n"), "line 1, column 3: expected a value, got \" \"");
  EXPECT_EQ(ErrorOf("a 1\n# EOF"), "");
}

TEST(OpenMetricsParserTest, ChecksFamilyRulesAcrossLines) {
  EXPECT_EQ(ErrorOf("# TYPE a counter\na 1\n# EOF\n"),
            "line 2, column 1: counter \"a\" cannot have a sample named \"a\" (its samples are "
            "a_total, a_created)");
  EXPECT_EQ(ErrorOf("a 1\nb 1\na 2\n# EOF\n"),
            "line 4, column 1: metric family \"a\" appears twice or clashes with an earlier "
            "family (samples of a family must be together)");
  EXPECT_EQ(ErrorOf("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n# EOF\n"),
            "line 5, column 1: histogram \"h\": missing the le=\"+Inf\" bucket");
  EXPECT_EQ(ErrorOf("# TYPE a gauge\na{x=\"1\"} 1\na{x=\"2\"} 1\na{x=\"1\"} 1\n# EOF\n"),
            "line 4, column 1: samples of one label set of \"a\" are not together "
            "(interleaved with another label set)");
  // Escaped and unescaped spellings of one value are one label set.
  EXPECT_NE(ErrorOf("a{x=\"\\z\"} 1\na{x=\"y\"} 1\na{x=\"\\\\z\"} 1\n# EOF\n"), "");
}

TEST(OpenMetricsParserTest, ResetForgetsTheFamiliesOfThePreviousBody) {
  std::string body = "# TYPE a counter\na_total 1\n# EOF\n";
  OpenMetricsParser p(body);
  for (int round = 0; round < 3; ++round) {
    p.Reset(body);
    ASSERT_EQ(p.Next(), ExpositionEntry::kType);
    ASSERT_EQ(p.Next(), ExpositionEntry::kSeries) << p.status().message();
    ASSERT_EQ(p.Next(), ExpositionEntry::kEof);
  }
}

TEST(OpenMetricsParserTest, HandlesManyFamiliesAndLabelSets) {
  std::string body;
  for (int f = 0; f < 300; ++f) {
    body += "# TYPE f" + std::to_string(f) + " gauge\n";
    for (int s = 0; s < 40; ++s) {
      body += "f" + std::to_string(f) + "{s=\"" + std::to_string(s) + "\"} 1\n";
    }
  }
  body += "# EOF\n";
  OpenMetricsParser p(body);
  int samples = 0;
  for (ExpositionEntry e; (e = p.Next()) != ExpositionEntry::kEof;) {
    ASSERT_NE(e, ExpositionEntry::kError) << p.status().message();
    samples += e == ExpositionEntry::kSeries;
  }
  EXPECT_EQ(samples, 12000);
}

}  // namespace
}  // namespace andon::scrape
