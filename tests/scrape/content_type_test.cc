#include "scrape/content_type.h"

#include <gtest/gtest.h>

#include "scrape/openmetrics_parser.h"
#include "scrape/prometheus_text_parser.h"

namespace andon::scrape {
namespace {

TEST(ContentTypeTest, OpenMetricsMediaTypeSelectsOpenMetricsWhateverTheVersion) {
  for (const char* ct :
       {"application/openmetrics-text; version=1.0.0; charset=utf-8",
        "application/openmetrics-text;version=0.0.1", "application/openmetrics-text",
        "Application/OpenMetrics-Text ; version=\"1.0.0\""}) {
    EXPECT_EQ(FormatFromContentType(ct), ExpositionFormat::kOpenMetrics) << ct;
  }
}

TEST(ContentTypeTest, AnythingElseIsTheTextFormat) {
  for (const char* ct : {"text/plain; version=0.0.4; charset=utf-8", "text/plain", "",
                         "application/json", "garbage", "application/openmetrics-text; version",
                         "application/openmetrics-text/x", "application/vnd.google.protobuf"}) {
    EXPECT_EQ(FormatFromContentType(ct), ExpositionFormat::kPrometheusText) << ct;
  }
}

TEST(ContentTypeTest, NewExpositionParserPicksTheParserByContentType) {
  auto om = NewExpositionParser("application/openmetrics-text; version=1.0.0", "a 1\n# EOF\n");
  EXPECT_NE(dynamic_cast<OpenMetricsParser*>(om.get()), nullptr);
  EXPECT_EQ(om->Next(), ExpositionEntry::kSeries);
  auto text = NewExpositionParser("", "a 1\n");
  EXPECT_NE(dynamic_cast<PrometheusTextParser*>(text.get()), nullptr);
  EXPECT_EQ(text->Next(), ExpositionEntry::kSeries);
  EXPECT_EQ(text->Next(), ExpositionEntry::kEof);
}

TEST(ContentTypeTest, AcceptHeaderPrefersOpenMetricsLikePrometheus242) {
  EXPECT_EQ(kScrapeAcceptHeader,
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
            "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
}

}  // namespace
}  // namespace andon::scrape
