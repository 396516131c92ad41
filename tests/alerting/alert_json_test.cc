// Alertmanager API v2 postable-alert JSON: encoding as Prometheus 2.42 posts it, decoding
// and validation with Alertmanager's words, and the RFC 3339 times both use.
#include "alerting/alert_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/rfc3339.h"

namespace andon::alerting {
namespace {

// 2026-01-02T03:04:05.678Z
constexpr int64_t kT = 1767323045678;

Alert MakeAlert() {
  Alert a;
  a.labels = Labels{{"alertname", "InstanceDown"}, {"job", "api"}, {"severity", "page"}};
  a.annotations = Labels{{"summary", "api is \"down\""}};
  a.starts_at_ms = kT;
  a.ends_at_ms = kT + 180000;
  a.generator_url = "http://andon:9090/graph?g0.expr=up+%3D%3D+0";
  return a;
}

TEST(AlertTimeTest, FormatsRfc3339WithMillisecondsInUtc) {
  EXPECT_EQ(FormatRfc3339Millis(kT), "2026-01-02T03:04:05.678Z");
  EXPECT_EQ(FormatRfc3339Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Millis(951782400000), "2000-02-29T00:00:00.000Z");
}

TEST(AlertTimeTest, FormatsLikeGoTimeJson) {
  EXPECT_EQ(FormatRfc3339Trimmed(kT), "2026-01-02T03:04:05.678Z");
  EXPECT_EQ(FormatRfc3339Trimmed(kT - 678), "2026-01-02T03:04:05Z");
  EXPECT_EQ(FormatRfc3339Trimmed(kT - 78), "2026-01-02T03:04:05.6Z");
  EXPECT_EQ(FormatRfc3339Trimmed(0), "0001-01-01T00:00:00Z");
}

TEST(AlertTimeTest, ParsesRfc3339WithFractionsAndOffsets) {
  EXPECT_EQ(*ParseRfc3339("2026-01-02T03:04:05.678Z"), kT);
  EXPECT_EQ(*ParseRfc3339("2026-01-02T03:04:05Z"), kT - 678);
  EXPECT_EQ(*ParseRfc3339("2026-01-02T03:04:05.678123456Z"), kT);
  EXPECT_EQ(*ParseRfc3339("2026-01-02T05:04:05.678+02:00"), kT);
  EXPECT_EQ(*ParseRfc3339("2026-01-01T23:04:05.678-04:00"), kT);
  for (const char* bad :
       {"", "2026-01-02", "2026-01-02T03:04:05", "2026-02-30T00:00:00Z", "2026-01-02T03:04:05.Z",
        "2026-01-02T03:04:05Zjunk", "yesterday", "2026-13-02T03:04:05Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad).ok()) << bad;
  }
}

TEST(AlertJsonTest, EncodesFieldsInPrometheusOrder) {
  Alert a = MakeAlert();
  EXPECT_EQ(EncodePostableAlerts({&a, 1}),
            R"([{"annotations":{"summary":"api is \"down\""},)"
            R"("endsAt":"2026-01-02T03:07:05.678Z","startsAt":"2026-01-02T03:04:05.678Z",)"
            R"("generatorURL":"http://andon:9090/graph?g0.expr=up+%3D%3D+0",)"
            R"("labels":{"alertname":"InstanceDown","job":"api","severity":"page"}}])");
}

TEST(AlertJsonTest, LeavesOutWhatIsUnset) {
  Alert a;
  a.labels = Labels{{"alertname", "X"}};
  a.starts_at_ms = kT;
  EXPECT_EQ(EncodePostableAlerts({&a, 1}),
            R"([{"startsAt":"2026-01-02T03:04:05.678Z","labels":{"alertname":"X"}}])");
  EXPECT_EQ(EncodePostableAlerts({}), "[]");
}

TEST(AlertJsonTest, DecodeRoundTripsEncode) {
  std::vector<Alert> in = {MakeAlert(), MakeAlert()};
  in[1].labels = Labels{{"alertname", "Other"}};
  in[1].ends_at_ms = 0;
  in[1].annotations = Labels();
  auto out = DecodePostableAlerts(EncodePostableAlerts(in));
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*out)[i].labels, in[i].labels);
    EXPECT_EQ((*out)[i].annotations, in[i].annotations);
    EXPECT_EQ((*out)[i].starts_at_ms, in[i].starts_at_ms);
    EXPECT_EQ((*out)[i].ends_at_ms, in[i].ends_at_ms);
    EXPECT_EQ((*out)[i].generator_url, in[i].generator_url);
  }
}

TEST(AlertJsonTest, DecodeLeavesMissingTimesAtZero) {
  auto out = DecodePostableAlerts(R"([{"labels":{"alertname":"A"}}])");
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].starts_at_ms, 0);
  EXPECT_EQ((*out)[0].ends_at_ms, 0);
  EXPECT_EQ((*out)[0].labels.Get("alertname"), "A");
}

TEST(AlertJsonTest, DecodeErrorsAreWordedLikeAlertmanagers) {
  auto msg = [](std::string_view body) { return DecodePostableAlerts(body).status().message(); };
  EXPECT_EQ(msg("{"), "parsing alerts body failed, because the body is not valid JSON");
  EXPECT_EQ(msg(R"({"labels":{}})"),
            "parsing alerts body failed, because json: cannot unmarshal object into Go value "
            "of type models.PostableAlerts");
  EXPECT_EQ(msg(R"([{"labels":{"a":"b"}},{"annotations":{}}])"), "1.labels in body is required");
  EXPECT_EQ(msg(R"([{"labels":{"a":1}}])"),
            "0.labels.a in body must be of type string: \"number\"");
  EXPECT_EQ(msg(R"([{"labels":{"a":"b"},"startsAt":"yesterday"}])"),
            "0.startsAt in body must be of type date-time: \"yesterday\"");
  EXPECT_EQ(msg(R"([{"labels":{"a":"b"},"endsAt":5}])"),
            "0.endsAt in body must be of type date-time: \"5\"");
}

TEST(AlertJsonTest, ValidatesAsAlertmanagerDoes) {
  Alert a = MakeAlert();
  EXPECT_TRUE(ValidateAlert(a).ok());
  Alert no_start = a;
  no_start.starts_at_ms = 0;
  EXPECT_EQ(ValidateAlert(no_start).message(), "start time missing");
  Alert backwards = a;
  backwards.ends_at_ms = a.starts_at_ms - 1;
  EXPECT_EQ(ValidateAlert(backwards).message(), "start time must be before end time");
  Alert no_labels = a;
  no_labels.labels = Labels();
  EXPECT_EQ(ValidateAlert(no_labels).message(), "at least one label pair required");
  auto decoded = DecodePostableAlerts(
      R"([{"labels":{"1x":"v"},"startsAt":"2026-01-02T03:04:05Z"},)"
      R"({"labels":{"a":"b"},"annotations":{"bad-name":"v"},"startsAt":"2026-01-02T03:04:05Z"}])");
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(ValidateAlert((*decoded)[0]).message(), "invalid label set: invalid name \"1x\"");
  EXPECT_EQ(ValidateAlert((*decoded)[1]).message(),
            "invalid annotations: invalid name \"bad-name\"");
}

}  // namespace
}  // namespace andon::alerting
