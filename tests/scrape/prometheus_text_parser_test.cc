#include "scrape/prometheus_text_parser.h"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "scrape/exposition_syntax.h"

namespace andon::scrape {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

Labels Decode(const ExpositionParser& p) {
  LabelsScratch scratch;
  p.DecodeLabels(&scratch);
  Labels out;
  for (const LabelPair& l : scratch.labels()) out.emplace_back(l.name, l.value);
  return out;
}

// Parses a body expected to hold exactly one sample.
struct One {
  explicit One(std::string b) : body(std::move(b)), p(body) {
    e = p.Next();
    if (e == ExpositionEntry::kSeries) labels = Decode(p);
  }
  std::string body;
  PrometheusTextParser p;
  ExpositionEntry e;
  Labels labels;
};

std::string ErrorOf(const std::string& body) {
  PrometheusTextParser p(body);
  for (ExpositionEntry e; (e = p.Next()) != ExpositionEntry::kEof;) {
    if (e == ExpositionEntry::kError) return p.status().message();
  }
  return "";
}

TEST(PrometheusTextParserTest, ParsesNameLabelsValueAndTimestamp) {
  One o("http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n");
  ASSERT_EQ(o.e, ExpositionEntry::kSeries) << o.p.status().message();
  EXPECT_EQ(o.p.series(), "http_requests_total{method=\"post\",code=\"200\"}");
  EXPECT_EQ(o.p.metric_name(), "http_requests_total");
  EXPECT_EQ(o.p.value(), 1027);
  EXPECT_EQ(o.p.timestamp_ms(), 1395066363000);
  EXPECT_EQ(o.labels, (Labels{{"method", "post"}, {"code", "200"}}));
  // The views point into the body: no copy was made.
  EXPECT_EQ(o.p.series().data(), o.body.data());
  EXPECT_EQ(o.p.Next(), ExpositionEntry::kEof);
  EXPECT_EQ(o.p.Next(), ExpositionEntry::kEof);
}

TEST(PrometheusTextParserTest, AcceptsLenientWhitespaceCommasAndNoFinalNewline) {
  One o("  metric_a \t{ a = \"1\" b=\"2\" , c=\"3\", }   42   17  ");
  ASSERT_EQ(o.e, ExpositionEntry::kSeries) << o.p.status().message();
  EXPECT_EQ(o.labels, (Labels{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(o.p.value(), 42);
  EXPECT_EQ(o.p.timestamp_ms(), 17);

  One empty("x{} 1");
  ASSERT_EQ(empty.e, ExpositionEntry::kSeries);
  EXPECT_EQ(empty.p.series(), "x{}");
  EXPECT_TRUE(empty.labels.empty());
  EXPECT_FALSE(empty.p.timestamp_ms().has_value());
}

TEST(PrometheusTextParserTest, UnescapesLabelValuesAndKeepsUnknownEscapes) {
  One o(R"(m{a="q\"uote",b="back\\slash",c="new\nline",d="tab\t",e="C:\\dir\x"} 1)");
  ASSERT_EQ(o.e, ExpositionEntry::kSeries) << o.p.status().message();
  EXPECT_EQ(o.labels, (Labels{{"a", "q\"uote"},
                              {"b", "back\\slash"},
                              {"c", "new\nline"},
                              {"d", "tab\\t"},
                              {"e", "C:\\dir\\x"}}));
}

TEST(PrometheusTextParserTest, AcceptsARawNewlineInsideALabelValueAndCountsTheLine) {
  PrometheusTextParser p("a{b=\"x\ny\"} 1\nc{ 2\n");
  ASSERT_EQ(p.Next(), ExpositionEntry::kSeries);
  EXPECT_EQ(Decode(p), (Labels{{"b", "x\ny"}}));
  ASSERT_EQ(p.Next(), ExpositionEntry::kError);
  EXPECT_EQ(p.error_line(), 3);
  EXPECT_EQ(p.error_column(), 4);
}

TEST(PrometheusTextParserTest, ParsesSpecialAndUnusualFloats) {
  struct Case {
    const char* text;
    double want;
  } cases[] = {
      {"+Inf", std::numeric_limits<double>::infinity()},
      {"-Inf", -std::numeric_limits<double>::infinity()},
      {"inf", std::numeric_limits<double>::infinity()},
      {"+Infinity", std::numeric_limits<double>::infinity()},
      {"0000000000000000000000000000000000000001.2e-1", 0.12},
      {".5", 0.5},
      {"5.", 5},
      {"-0.0", -0.0},
      {"1E3", 1000},
      {"1.7976931348623157e308", std::numeric_limits<double>::max()},
      {"4.9e-324", std::numeric_limits<double>::denorm_min()},
      {"1e-400", 0},
      {"0.1", 0.1},
      {"9007199254740993", 9007199254740992.0},  // correctly rounded (ties to even)
  };
  for (const Case& c : cases) {
    One o(std::string("m ") + c.text + "\n");
    ASSERT_EQ(o.e, ExpositionEntry::kSeries) << c.text << ": " << o.p.status().message();
    EXPECT_EQ(std::bit_cast<uint64_t>(o.p.value()), std::bit_cast<uint64_t>(c.want)) << c.text;
  }
}

// Short decimals take a fast path (one exact division); it must give from_chars's double.
TEST(PrometheusTextParserTest, ShortDecimalsParseBitExactLikeFromChars) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200000; ++i) {
    std::string text;
    if (rng() % 4 == 0) text += rng() % 2 == 0 ? '-' : '+';
    const int digits = 1 + static_cast<int>(rng() % 17);
    const int point = static_cast<int>(rng() % (digits + 2)) - 1;  // -1: none
    for (int d = 0; d < digits; ++d) {
      if (d == point) text += '.';
      text += static_cast<char>('0' + rng() % 10);
    }
    if (point == digits) text += '.';
    double want = 0;
    const char* first = text.data() + (text[0] == '+' ? 1 : 0);
    auto [ptr, ec] = std::from_chars(first, text.data() + text.size(), want);
    ASSERT_TRUE(ec == std::errc() && ptr == text.data() + text.size()) << text;
    double got = 0;
    ASSERT_TRUE(syntax::ParseFloatValue(text, &got)) << text;
    ASSERT_EQ(std::bit_cast<uint64_t>(got), std::bit_cast<uint64_t>(want)) << text;
  }
}

TEST(PrometheusTextParserTest, EveryNaNBecomesTheNormalNaNNotTheStalenessMarker) {
  for (const char* text : {"NaN", "nan", "NAN"}) {
    One o(std::string("m ") + text);
    ASSERT_EQ(o.e, ExpositionEntry::kSeries) << text;
    EXPECT_TRUE(std::isnan(o.p.value()));
    EXPECT_EQ(std::bit_cast<uint64_t>(o.p.value()), 0x7ff8000000000001ULL);
    EXPECT_NE(std::bit_cast<uint64_t>(o.p.value()), 0x7ff0000000000002ULL);
  }
}

TEST(PrometheusTextParserTest, RejectsValuesPrometheusRejects) {
  for (const char* text : {"0x1p-3", "0x10", "1_000", "0b1", "0o7", "1e400", "-1e400", "+nan",
                           "-NaN", "infin", "1e", "e5", ".", "+", "1.2.3", "true", "1,5"}) {
    std::string err = ErrorOf(std::string("m ") + text + "\n");
    EXPECT_EQ(err, std::string("line 1, column 3: invalid value \"") + text + "\"") << text;
  }
}

TEST(PrometheusTextParserTest, TimestampsAreIntegerMillisecondsOnly) {
  One max("m 1 9223372036854775807");
  EXPECT_EQ(max.p.timestamp_ms(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ErrorOf("m 1 9223372036854775808\n"),
            "line 1, column 5: timestamp out of range: \"9223372036854775808\"");
  EXPECT_EQ(ErrorOf("m 1 -5\n"), "line 1, column 5: expected timestamp or new record, got \"-5\"");
  EXPECT_EQ(ErrorOf("m 1 1.5\n"),
            "line 1, column 6: expected next entry after timestamp, got \".5\"");
  EXPECT_EQ(ErrorOf("m 1 2 3\n"),
            "line 1, column 7: expected next entry after timestamp, got \"3\"");
}

TEST(PrometheusTextParserTest, ReportsHelpTypeAndComments) {
  std::string body =
      "# HELP m Some \\\\ help\\nwith \\\"quotes\\\"\n"
      "# TYPE m counter\n"
      "# just a comment\n"
      "#HELP not metadata\n"
      "# HELP\n"
      "m 1\n";
  PrometheusTextParser p(body);
  std::string scratch;
  ASSERT_EQ(p.Next(), ExpositionEntry::kHelp);
  EXPECT_EQ(p.metadata_name(), "m");
  EXPECT_EQ(p.help(&scratch), "Some \\ help\nwith \\\"quotes\\\"");
  ASSERT_EQ(p.Next(), ExpositionEntry::kType);
  EXPECT_EQ(p.metadata_name(), "m");
  EXPECT_EQ(p.type(), MetricType::kCounter);
  ASSERT_EQ(p.Next(), ExpositionEntry::kComment);
  EXPECT_EQ(p.comment(), "# just a comment");
  ASSERT_EQ(p.Next(), ExpositionEntry::kComment);
  ASSERT_EQ(p.Next(), ExpositionEntry::kComment);
  ASSERT_EQ(p.Next(), ExpositionEntry::kSeries);
  EXPECT_EQ(p.Next(), ExpositionEntry::kEof);
}

TEST(PrometheusTextParserTest, TypeMustBeOneOfTheTextFormatTypes) {
  PrometheusTextParser untyped("# TYPE m untyped\n");
  ASSERT_EQ(untyped.Next(), ExpositionEntry::kType);
  EXPECT_EQ(untyped.type(), MetricType::kUnknown);
  EXPECT_EQ(ErrorOf("# TYPE m info\n"), "line 1, column 10: invalid metric type \"info\"");
  EXPECT_EQ(ErrorOf("# TYPE m  gauge\n"), "line 1, column 10: invalid metric type \" gauge\"");
  EXPECT_EQ(ErrorOf("# HELP 1m x\n"),
            "line 1, column 8: expected metric name after HELP, got \"1m\"");
  EXPECT_EQ(ErrorOf("# HELP m bad \xff\n"),
            "line 1, column 10: help text is not valid UTF-8: \"bad \\xff\"");
}

TEST(PrometheusTextParserTest, ErrorsNameLineColumnAndWhatWasExpected) {
  EXPECT_EQ(ErrorOf("a 1\nb{c='d'} 1\n"), "line 2, column 5: expected label value, got \"'d'}\"");
  EXPECT_EQ(ErrorOf("a{b=\n"), "line 1, column 5: expected label value, got end of line");
  EXPECT_EQ(ErrorOf("a{\"b\"=\"c\"} 1\n"),
            "line 1, column 3: expected label name, got \"\\\"b\\\"=\\\"c\\\"}\"");
  EXPECT_EQ(ErrorOf("a{b=\"\xff\"} 1\n"), "line 1, column 6: invalid UTF-8 label value \"\\xff\"");
  EXPECT_EQ(ErrorOf("a{b=\"c} 1\n"), "line 1, column 5: unterminated label value");
  EXPECT_EQ(ErrorOf("a{b=\"c\\\n\"} 1\n"), "line 1, column 5: unterminated label value");
  EXPECT_EQ(ErrorOf("a{,} 1\n"), "line 1, column 3: expected label name, got \",}\"");
  EXPECT_EQ(ErrorOf("a{b\"c\"} 1\n"),
            "line 1, column 4: expected \"=\" after label name, got \"\\\"c\\\"}\"");
  EXPECT_EQ(ErrorOf("metric\n"), "line 1, column 7: expected value after metric, got end of line");
  EXPECT_EQ(ErrorOf("a{b=\"c\"}{d=\"e\"} 1\n"),
            "line 1, column 9: expected value after metric, got \"{d=\\\"e\\\"}\"");
  EXPECT_EQ(
      ErrorOf("{a=\"b\"} 1\n"),
      "line 1, column 1: expected a metric name, comment or blank line, got \"{a=\\\"b\\\"}\"");
  EXPECT_EQ(ErrorOf("0a 1\n"),
            "line 1, column 1: expected a metric name, comment or blank line, got \"0a\"");
  EXPECT_EQ(ErrorOf("a.b 1\n"), "line 1, column 2: invalid value \".b\"");
}

TEST(PrometheusTextParserTest, StaysInErrorAfterAnError) {
  PrometheusTextParser p("bad{ 1\ngood 1\n");
  ASSERT_EQ(p.Next(), ExpositionEntry::kError);
  EXPECT_EQ(p.Next(), ExpositionEntry::kError);
  EXPECT_FALSE(p.status().ok());
}

TEST(PrometheusTextParserTest, LeavesDuplicateLabelNamesToTheScrapeLoop) {
  One o("m{a=\"1\",a=\"2\"} 1\n");
  ASSERT_EQ(o.e, ExpositionEntry::kSeries);
  EXPECT_EQ(o.labels, (Labels{{"a", "1"}, {"a", "2"}}));
}

TEST(PrometheusTextParserTest, BlankLinesAreSkippedAndANulAtALineStartEndsTheBody) {
  std::string body = "\n\n  \t\na 1\n";
  body += std::string("\0b 2\n", 5);
  PrometheusTextParser p(body);
  ASSERT_EQ(p.Next(), ExpositionEntry::kSeries);
  EXPECT_EQ(p.metric_name(), "a");
  EXPECT_EQ(p.Next(), ExpositionEntry::kEof);

  One nul_in_value(std::string("m{a=\"x\0y\"} 1\n", 14));
  ASSERT_EQ(nul_in_value.e, ExpositionEntry::kSeries);
  EXPECT_EQ(nul_in_value.labels, (Labels{{"a", std::string("x\0y", 3)}}));
}

TEST(PrometheusTextParserTest, ResetParsesANewBody) {
  PrometheusTextParser p("broken{\n");
  ASSERT_EQ(p.Next(), ExpositionEntry::kError);
  p.Reset("ok 3\n");
  ASSERT_EQ(p.Next(), ExpositionEntry::kSeries);
  EXPECT_EQ(p.value(), 3);
  EXPECT_TRUE(p.status().ok());
}

TEST(LabelsScratchTest, ValuesWithEscapesStayValidWhenManyAreDecoded) {
  std::string body = "m{";
  for (int i = 0; i < 50; ++i) {
    body += "l" + std::to_string(i) + "=\"v\\\\" + std::to_string(i) + "\",";
  }
  body += "} 1\n";
  PrometheusTextParser p(body);
  ASSERT_EQ(p.Next(), ExpositionEntry::kSeries);
  LabelsScratch scratch;
  p.DecodeLabels(&scratch);
  ASSERT_EQ(scratch.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(scratch[i].value, "v\\" + std::to_string(i));
  }
}

// What Next() reported for one sample line.
struct Parsed {
  std::string series, name;
  Labels labels;
  double value = 0;
  std::optional<int64_t> ts;
  bool hinted = false;
  bool operator==(const Parsed&) const = default;
};

// Parses body, hinting line k's series as hints[k] (when there is one); stops at an error.
std::vector<Parsed> ParseAll(const std::string& body, const std::vector<std::string>& hints,
                             std::string* error = nullptr) {
  PrometheusTextParser p(body);
  std::vector<Parsed> out;
  while (true) {
    if (out.size() < hints.size()) p.HintSeries(hints[out.size()]);
    ExpositionEntry e = p.Next();
    if (e == ExpositionEntry::kEof) break;
    if (e == ExpositionEntry::kError) {
      if (error != nullptr) *error = p.status().message();
      break;
    }
    if (e != ExpositionEntry::kSeries) continue;
    EXPECT_GE(p.series().data(), body.data());  // points into the body, not into the hint
    EXPECT_LE(p.series().data() + p.series().size(), body.data() + body.size());
    out.push_back({std::string(p.series()), std::string(p.metric_name()), Decode(p), p.value(),
                   p.timestamp_ms(), p.series_matched_hint()});
  }
  return out;
}

TEST(PrometheusTextParserTest, AHintedSeriesParsesAsTheFullParseDoes) {
  const std::string body =
      "# HELP a_total A.\n# TYPE a_total counter\n"
      "a_total{x=\"1\",y=\"q\\\"z\"} 5\n"
      "a_total {x=\"2\" , } 6 1700000000000\n"
      "b 7\n"
      "c{le=\"+Inf\"}\t8\n";
  std::vector<Parsed> plain = ParseAll(body, {});
  ASSERT_EQ(plain.size(), 4u);
  std::vector<std::string> hints;
  for (const Parsed& p : plain) hints.push_back(p.series);
  std::vector<Parsed> hinted = ParseAll(body, hints);
  ASSERT_EQ(hinted.size(), 4u);
  for (size_t i = 0; i < plain.size(); ++i) {
    bool braces = plain[i].series.back() == '}';
    EXPECT_EQ(hinted[i].hinted, braces) << i;
    hinted[i].hinted = false;
    EXPECT_EQ(hinted[i], plain[i]) << i;
  }
}

TEST(PrometheusTextParserTest, AHintThatDiffersIsIgnoredAndTheLineStillValidated) {
  std::vector<Parsed> got = ParseAll("m{a=\"c\"} 1\nm{a=\"b\"}x 2\n", {"m{a=\"b\"}", "m{a=\"b\"}"});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].hinted);
  EXPECT_EQ(got[0].labels, (Labels{{"a", "c"}}));
  std::string error;
  ParseAll("m{a=\"\xff\"} 1\n", {"m{a=\"b\"}"}, &error);
  EXPECT_NE(error.find("invalid UTF-8"), std::string::npos) << error;
  // A hinted series is followed by the same checks as a parsed one.
  ParseAll("m{a=\"b\"}x 2\n", {"m{a=\"b\"}"}, &error);
  EXPECT_NE(error.find("invalid value"), std::string::npos) << error;
}

TEST(PrometheusTextParserTest, HintedLinesKeepTheLineCountForLaterErrors) {
  std::string error;
  std::vector<Parsed> got =
      ParseAll("m{a=\"b\"} 1\n\nm{a=\"c\"} 2\nm{ 3\n", {"m{a=\"b\"}", "m{a=\"c\"}"}, &error);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].hinted && got[1].hinted);
  EXPECT_NE(error.find("line 4, column 4"), std::string::npos) << error;
}

}  // namespace
}  // namespace andon::scrape
