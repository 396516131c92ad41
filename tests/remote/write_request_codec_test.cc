#include "remote/write_request_codec.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <string>

namespace andon::remote {
namespace {

// Prometheus's staleness marker: a NaN with this exact bit pattern.
constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;

prompb::WriteRequest TwoSeriesWithMetadata() {
  prompb::WriteRequest req;
  auto* ts = req.add_timeseries();
  auto* l = ts->add_labels();
  l->set_name("__name__");
  l->set_value("up");
  l = ts->add_labels();
  l->set_name("job");
  l->set_value("api");
  auto* s = ts->add_samples();
  s->set_timestamp(1000);
  s->set_value(1);
  s = ts->add_samples();
  s->set_timestamp(2000);
  s->set_value(std::bit_cast<double>(kStaleNaNBits));
  ts = req.add_timeseries();
  l = ts->add_labels();
  l->set_name("__name__");
  l->set_value("http_requests_total");
  s = ts->add_samples();
  s->set_timestamp(1500);
  s->set_value(12345.5);
  auto* md = req.add_metadata();
  md->set_type(prompb::MetricMetadata::COUNTER);
  md->set_metric_family_name("http_requests_total");
  md->set_help("Requests served.");
  md->set_unit("requests");
  return req;
}

TEST(WriteRequestCodecTest, RoundTripKeepsSeriesSamplesStaleNaNAndMetadata) {
  prompb::WriteRequest in = TwoSeriesWithMetadata();
  std::string body = EncodeWriteRequest(in);
  std::string scratch;
  prompb::WriteRequest out;
  ASSERT_TRUE(DecodeWriteRequest(body, kDefaultMaxDecodedBytes, scratch, out).ok());
  ASSERT_EQ(out.timeseries_size(), 2);
  EXPECT_EQ(out.timeseries(0).labels(1).value(), "api");
  ASSERT_EQ(out.timeseries(0).samples_size(), 2);
  EXPECT_EQ(out.timeseries(0).samples(0).timestamp(), 1000);
  EXPECT_EQ(std::bit_cast<uint64_t>(out.timeseries(0).samples(1).value()), kStaleNaNBits);
  EXPECT_EQ(out.timeseries(1).samples(0).value(), 12345.5);
  ASSERT_EQ(out.metadata_size(), 1);
  EXPECT_EQ(out.metadata(0).type(), prompb::MetricMetadata::COUNTER);
  EXPECT_EQ(out.metadata(0).help(), "Requests served.");
  EXPECT_EQ(out.metadata(0).unit(), "requests");
}

TEST(WriteRequestCodecTest, DecodeClearsThePreviousRequest) {
  std::string scratch;
  prompb::WriteRequest out = TwoSeriesWithMetadata();
  ASSERT_TRUE(DecodeWriteRequest(EncodeWriteRequest(prompb::WriteRequest{}),
                                 kDefaultMaxDecodedBytes, scratch, out)
                  .ok());
  EXPECT_EQ(out.timeseries_size(), 0);
  EXPECT_EQ(out.metadata_size(), 0);
}

TEST(WriteRequestCodecTest, CorruptSnappyIsRejectedWithTheStepThatFailed) {
  std::string scratch;
  prompb::WriteRequest out;
  Status s = DecodeWriteRequest("x", kDefaultMaxDecodedBytes, scratch, out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "snappy: corrupt input");
  // A valid length header followed by garbage.
  std::string body = EncodeWriteRequest(TwoSeriesWithMetadata());
  body.resize(body.size() / 2);
  EXPECT_EQ(DecodeWriteRequest(body, kDefaultMaxDecodedBytes, scratch, out).message(),
            "snappy: corrupt input");
}

TEST(WriteRequestCodecTest, SnappyOfSomethingElseIsAProtobufError) {
  std::string garbage = "\xff\xff\xff\xff not a protobuf";
  std::string body;
  snappy::Compress(garbage.data(), garbage.size(), &body);
  std::string scratch;
  prompb::WriteRequest out;
  Status s = DecodeWriteRequest(body, kDefaultMaxDecodedBytes, scratch, out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("protobuf: cannot parse WriteRequest"), std::string::npos)
      << s.message();
}

TEST(WriteRequestCodecTest, DecodedSizeAboveTheCapIsRejectedBeforeAllocating) {
  std::string body = EncodeWriteRequest(TwoSeriesWithMetadata());
  std::string scratch;
  prompb::WriteRequest out;
  Status s = DecodeWriteRequest(body, 10, scratch, out);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("exceeds the limit of 10 bytes"), std::string::npos) << s.message();
  EXPECT_TRUE(scratch.empty());
  // A header announcing 4 GiB - 1 in five bytes.
  std::string huge = "\xff\xff\xff\xff\x0f";
  EXPECT_NE(DecodeWriteRequest(huge, kDefaultMaxDecodedBytes, scratch, out)
                .message()
                .find("exceeds the limit"),
            std::string::npos);
}

}  // namespace
}  // namespace andon::remote
