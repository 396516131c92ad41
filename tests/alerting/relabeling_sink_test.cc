// RelabelingSink: alert_relabel_configs in front of the router and the Alertmanagers.
#include "alerting/relabeling_sink.h"

#include <gtest/gtest.h>

namespace andon::alerting {
namespace {

class RecordingSink : public AlertSink {
 public:
  void Send(std::vector<Alert> alerts) override { batches.push_back(std::move(alerts)); }
  std::vector<std::vector<Alert>> batches;
};

Alert AlertWith(Labels labels) {
  Alert a;
  a.labels = std::move(labels);
  return a;
}

TEST(RelabelingSinkTest, RelabelsDropsAndForwardsOnlyWhatRemains) {
  RecordingSink next;
  RelabelingSink sink(&next);
  // Without a relabel function alerts pass unchanged.
  sink.Send({AlertWith({{"alertname", "A"}, {"replica", "a"}})});
  ASSERT_EQ(next.batches.size(), 1u);
  EXPECT_EQ(next.batches[0][0].labels, (Labels{{"alertname", "A"}, {"replica", "a"}}));

  // Drops `replica`; drops alerts of team "noisy"; one relabeled to no labels at all goes too.
  sink.SetRelabel([](LabelsBuilder& b) {
    if (b.Get("team") == "noisy") return false;
    b.Del("replica");
    if (b.Get("alertname") == "Empty") b.Del("alertname");
    return true;
  });
  Alert a = AlertWith({{"alertname", "A"}, {"replica", "b"}});
  Alert b = AlertWith({{"alertname", "A"}, {"replica", "a"}});
  EXPECT_NE(a.Fingerprint(), b.Fingerprint());
  sink.Send({a, b, AlertWith({{"alertname", "B"}, {"team", "noisy"}}),
             AlertWith({{"alertname", "Empty"}, {"replica", "a"}})});
  ASSERT_EQ(next.batches.size(), 2u);
  ASSERT_EQ(next.batches[1].size(), 2u);
  EXPECT_EQ(next.batches[1][0].labels, (Labels{{"alertname", "A"}}));
  EXPECT_EQ(next.batches[1][0].Fingerprint(), next.batches[1][1].Fingerprint());

  // A batch that is dropped whole is not forwarded at all.
  sink.Send({AlertWith({{"alertname", "B"}, {"team", "noisy"}})});
  EXPECT_EQ(next.batches.size(), 2u);

  sink.SetRelabel(nullptr);
  sink.Send({AlertWith({{"alertname", "B"}, {"team", "noisy"}})});
  EXPECT_EQ(next.batches.size(), 3u);
}

}  // namespace
}  // namespace andon::alerting
