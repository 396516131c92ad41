#include "web/query_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace andon::web {
namespace {

std::string Value(double v) {
  std::string out;
  AppendSampleValue(out, v);
  return out;
}

std::string Time(int64_t ms) {
  std::string out;
  AppendTimestamp(out, ms);
  return out;
}

std::string Data(const query::Value& v) {
  std::string out;
  AppendQueryData(out, v);
  return out;
}

Labels L(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  LabelsBuilder b;
  for (auto [k, v] : pairs) b.Set(k, v);
  return b.Build();
}

TEST(QueryJsonTest, SampleValuesUseGosShortestFixedNotation) {
  EXPECT_EQ(Value(1), "1");
  EXPECT_EQ(Value(0.1), "0.1");
  EXPECT_EQ(Value(-0.0), "-0");
  EXPECT_EQ(Value(1e21), "1000000000000000000000");
  EXPECT_EQ(Value(1.5e-7), "0.00000015");
  EXPECT_EQ(Value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(Value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(Value(std::numeric_limits<double>::max()).size(), 309u);
  // Shortest digits padded with zeros, as Go (checked against Prometheus 2.42), not the
  // exact binary value.
  EXPECT_EQ(Value(std::ldexp(1.0, 70)), "1180591620717411300000");
  EXPECT_EQ(Value(1e301), "1" + std::string(301, '0'));
  EXPECT_EQ(Value(std::numeric_limits<double>::max()), "17976931348623157" + std::string(292, '0'));
  EXPECT_EQ(Value(5e-324), "0." + std::string(323, '0') + "5");
  EXPECT_EQ(Value(-2.2250738585072009e-308), "-0." + std::string(307, '0') + "2225073858507201");
  EXPECT_EQ(Value(-123.456), "-123.456");
  EXPECT_EQ(Value(0), "0");
  EXPECT_EQ(Value(1700000000.5), "1700000000.5");
  EXPECT_EQ(Value(0.5168055555555555), "0.5168055555555555");
}

TEST(QueryJsonTest, TimestampsAreSecondsWithUpToThreeDecimals) {
  EXPECT_EQ(Time(1700000000000), "1700000000");
  EXPECT_EQ(Time(1700000000500), "1700000000.5");
  EXPECT_EQ(Time(1700000000120), "1700000000.12");
  EXPECT_EQ(Time(1700000000001), "1700000000.001");
  EXPECT_EQ(Time(0), "0");
  EXPECT_EQ(Time(-1), "-0.001");
  EXPECT_EQ(Time(-1500), "-1.5");
}

TEST(QueryJsonTest, EachResultTypeHasPrometheusShape) {
  EXPECT_EQ(Data(query::Scalar{1000, 2}), R"({"resultType":"scalar","result":[1,"2"]})");
  EXPECT_EQ(Data(query::String{1000, "a\"b"}), R"({"resultType":"string","result":[1,"a\"b"]})");
  query::Vector vec = {{L({{"__name__", "up"}, {"job", "a"}}), 1500, 1},
                       {L({{"job", "b"}}), 1500, 0}};
  EXPECT_EQ(Data(vec), R"({"resultType":"vector","result":[)"
                       R"({"metric":{"__name__":"up","job":"a"},"value":[1.500,"1"]},)"
                       R"({"metric":{"job":"b"},"value":[1.500,"0"]}]})");
  query::Matrix m = {{L({{"job", "a"}}), {{0, 1}, {15000, 2.5}}}};
  EXPECT_EQ(Data(m), R"({"resultType":"matrix","result":[)"
                     R"({"metric":{"job":"a"},"values":[[0,"1"],[15,"2.5"]]}]})");
  EXPECT_EQ(Data(query::Vector{}), R"({"resultType":"vector","result":[]})");
  // The longest values, as points (formatted in a fixed buffer): a negative subnormal with
  // 16 digits and the largest double.
  query::Matrix extremes = {
      {L({}), {{-1, -2.2250738585072009e-308}, {1, -std::numeric_limits<double>::max()}}}};
  EXPECT_EQ(Data(extremes), R"({"resultType":"matrix","result":[{"metric":{},"values":[)"
                            R"([-0.001,"-0.)" +
                                std::string(307, '0') +
                                R"(2225073858507201"],[0.001,"-17976931348623157)" +
                                std::string(292, '0') + R"("]]}]})");
}

// Prometheus 2.42 answers vector(1) at time=1700000000.05 with "value":[1700000000.050,"1"]
// but the scalar 1 at time=1700000000.5 with [1700000000.5,"1"].
TEST(QueryJsonTest, VectorAndMatrixPointsPrintTheirFractionWithThreeDigits) {
  query::Vector vec = {{L({}), 1700000000050, 1}};
  EXPECT_EQ(Data(vec),
            R"({"resultType":"vector","result":[{"metric":{},"value":[1700000000.050,"1"]}]})");
  query::Matrix m = {{L({}), {{-1500, 1}, {-1000, 1}, {-500, 1}, {0, 1}, {1, 2}}}};
  EXPECT_EQ(Data(m), R"({"resultType":"matrix","result":[{"metric":{},"values":)"
                     R"([[-1.500,"1"],[-1,"1"],[-0.500,"1"],[0,"1"],[0.001,"2"]]}]})");
  EXPECT_EQ(Data(query::Scalar{1700000000500, 1}),
            R"({"resultType":"scalar","result":[1700000000.5,"1"]})");
  EXPECT_EQ(Data(query::String{-1500, "x"}), R"({"resultType":"string","result":[-1.5,"x"]})");
}

std::string Json(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

// Bytes as Prometheus 2.42 (Go encoding/json) writes them, checked against the real binary.
TEST(QueryJsonTest, StringsAreEscapedAsGoEncodingJsonDoes) {
  EXPECT_EQ(Json("<&>\xc3\xa9"), R"("\u003c\u0026\u003e)"
                                 "\xc3\xa9\"");
  EXPECT_EQ(Json("a\"b\\c\n\r\t\b\f\x01\x7f"), R"("a\"b\\c\n\r\t\u0008\u000c\u0001)"
                                               "\x7f\"");
  EXPECT_EQ(Json("\u2028\u2029"), R"("\u2028\u2029")");
  EXPECT_EQ(Json("\xff"), R"("\ufffd")");
  EXPECT_EQ(Json("a\xe2\x82"), R"("a\ufffd\ufffd")");          // truncated sequence
  EXPECT_EQ(Json("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // a surrogate
  EXPECT_EQ(Json("\xc0\xaf"), R"("\ufffd\ufffd")");            // overlong '/'
  EXPECT_EQ(Json("\xf8\xbf\xbf\xbf"), R"("\ufffd\ufffd\ufffd\ufffd")");
  EXPECT_EQ(Json("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");  // U+1F600 stays raw
  query::Vector vec = {{L({{"a", "<&>"}}), 0, 1}};
  EXPECT_EQ(
      Data(vec),
      R"({"resultType":"vector","result":[{"metric":{"a":"\u003c\u0026\u003e"},"value":[0,"1"]}]})");
}

}  // namespace
}  // namespace andon::web
