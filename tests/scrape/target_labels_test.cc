#include "scrape/target_labels.h"

#include <gtest/gtest.h>

#include <string>

namespace andon::scrape {
namespace {

// A scrape config as the loader produces it (defaults filled in: interval 1m, timeout 10s).
config::ScrapeConfig Job(const std::string& extra_yaml = "") {
  std::string doc = "scrape_configs:\n  - job_name: api\n" + extra_yaml;
  auto cfg = config::ParseConfig(doc, "test.yml", "");
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  if (!cfg.ok()) return {};
  return cfg->scrape_configs.at(0);
}

TEST(TargetLabelsTest, MergesGroupAndTargetLabelsAndAddsScrapeSettings) {
  auto t = PopulateTargetLabels(Labels{{"__address__", "10.0.0.1:9100"}, {"__meta_pod", "p1"}},
                                Labels{{"env", "prod"}}, Job());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_FALSE(t->dropped);
  EXPECT_EQ(t->discovered, Labels({{"__address__", "10.0.0.1:9100"},
                                   {"__meta_pod", "p1"},
                                   {"__metrics_path__", "/metrics"},
                                   {"__scheme__", "http"},
                                   {"__scrape_interval__", "1m"},
                                   {"__scrape_timeout__", "10s"},
                                   {"env", "prod"},
                                   {"job", "api"}}));
  EXPECT_EQ(t->labels, Labels({{"env", "prod"}, {"instance", "10.0.0.1:9100"}, {"job", "api"}}));
  EXPECT_EQ(t->address, "10.0.0.1:9100");
  EXPECT_EQ(t->scheme, "http");
  EXPECT_EQ(t->metrics_path, "/metrics");
  EXPECT_EQ(t->url, "http://10.0.0.1:9100/metrics");
  EXPECT_EQ(t->interval_ms, 60000);
  EXPECT_EQ(t->timeout_ms, 10000);
}

TEST(TargetLabelsTest, TargetLabelsWinOverGroupLabelsAndPresetLabelsAreKept) {
  auto t = PopulateTargetLabels(
      Labels{{"__address__", "h:1"}, {"env", "target"}, {"__scheme__", "https"}},
      Labels{{"env", "group"}, {"job", "from-group"}, {"__metrics_path__", "/m"}}, Job());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->labels, Labels({{"env", "target"}, {"instance", "h:1"}, {"job", "from-group"}}));
  EXPECT_EQ(t->url, "https://h:1/m");
}

TEST(TargetLabelsTest, ParamsBecomeLabelsAndRelabeledParamsReplaceTheFirstValue) {
  auto cfg =
      Job("    params: {module: [http_2xx, b], 'q s': ['a b&c']}\n"
          "    relabel_configs:\n"
          "      - {source_labels: [__address__], target_label: __param_target}\n"
          "      - {target_label: __param_module, replacement: icmp}\n"
          "      - {target_label: __address__, replacement: 'blackbox:9115'}\n"
          "      - {target_label: __metrics_path__, replacement: /probe}\n");
  auto t = PopulateTargetLabels(Labels{{"__address__", "example.com"}}, Labels{}, cfg);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->discovered.Get("__param_module"), "http_2xx");
  EXPECT_EQ(t->discovered.Get("__param_q s"), "a b&c");
  EXPECT_EQ(t->url,
            "http://blackbox:9115/probe?module=icmp&module=b&q+s=a+b%26c&target=example.com");
  EXPECT_EQ(t->labels, Labels({{"instance", "blackbox:9115"}, {"job", "api"}}));
}

TEST(TargetLabelsTest, AParamLabelAlreadyDiscoveredIsNotOverwritten) {
  auto t = PopulateTargetLabels(Labels{{"__address__", "h"}, {"__param_module", "mine"}}, Labels{},
                                Job("    params: {module: [cfg]}\n"));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->url, "http://h:80/metrics?module=mine");
}

TEST(TargetLabelsTest, AnAddressWithoutPortGetsTheSchemesDefaultPortLikePrometheus242) {
  auto t = PopulateTargetLabels(Labels{{"__address__", "example.com"}}, Labels{}, Job());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->labels.Get("instance"), "example.com:80");
  EXPECT_EQ(t->url, "http://example.com:80/metrics");

  auto tls = PopulateTargetLabels(Labels{{"__address__", "[::1]"}, {"__scheme__", "https"}},
                                  Labels{}, Job());
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  EXPECT_EQ(tls->address, "[::1]:443");
  EXPECT_EQ(tls->labels.Get("instance"), "[::1]:443");

  auto kept =
      PopulateTargetLabels(Labels{{"__address__", "h:1"}, {"instance", "mine"}}, Labels{}, Job());
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->labels.Get("instance"), "mine");
}

TEST(TargetLabelsTest, RelabelingShapesTheFinalLabelsAndAllReservedLabelsAreRemoved) {
  auto cfg =
      Job("    relabel_configs:\n"
          "      - {regex: '__meta_kubernetes_pod_label_(.+)', action: labelmap}\n"
          "      - {source_labels: [__meta_kubernetes_pod_name], target_label: pod}\n"
          "      - {target_label: __custom, replacement: x}\n");
  auto t = PopulateTargetLabels(Labels{{"__address__", "10.1.2.3:8080"},
                                       {"__meta_kubernetes_pod_name", "api-1"},
                                       {"__meta_kubernetes_pod_label_team", "payments"}},
                                Labels{}, cfg);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(
      t->labels,
      Labels(
          {{"instance", "10.1.2.3:8080"}, {"job", "api"}, {"pod", "api-1"}, {"team", "payments"}}));
  EXPECT_FALSE(t->discovered.Has("pod"));
}

TEST(TargetLabelsTest, ADroppedTargetKeepsOnlyItsDiscoveredLabels) {
  auto cfg =
      Job("    relabel_configs:\n"
          "      - {source_labels: [__meta_scrape], regex: 'true', action: keep}\n");
  auto t = PopulateTargetLabels(Labels{{"__address__", "h:1"}}, Labels{}, cfg);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->dropped);
  EXPECT_EQ(t->discovered.Get("__address__"), "h:1");
  EXPECT_EQ(t->discovered.Get("job"), "api");
  EXPECT_TRUE(t->labels.empty());
}

TEST(TargetLabelsTest, ScrapeIntervalAndTimeoutCanBeRelabeled) {
  auto cfg =
      Job("    relabel_configs:\n"
          "      - {target_label: __scrape_interval__, replacement: 30s}\n"
          "      - {target_label: __scrape_timeout__, replacement: 1s500ms}\n");
  auto t = PopulateTargetLabels(Labels{{"__address__", "h:1"}}, Labels{}, cfg);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->interval_ms, 30000);
  EXPECT_EQ(t->timeout_ms, 1500);
}

TEST(TargetLabelsTest, ReportsTargetsThatCannotBeScraped) {
  struct Case {
    const char* name;
    Labels target;
    std::string relabel_yaml;
    std::string error;
  };
  const Case cases[] = {
      {"no address at all", Labels{{"a", "b"}}, "", "no address"},
      {"address removed by relabeling", Labels{{"__address__", "h:1"}},
       "[{target_label: __address__, replacement: ''}]", "no address"},
      {"a path", Labels{{"__address__", "h:1/metrics"}}, "", R"(invalid address "h:1/metrics")"},
      {"a URL", Labels{{"__address__", "http://h:1"}}, "", R"(invalid address "http://h:1")"},
      {"unbracketed IPv6", Labels{{"__address__", "::1"}}, "", R"(invalid address "::1")"},
      {"unclosed bracket", Labels{{"__address__", "[::1:80"}}, "", "invalid address"},
      {"non-numeric port", Labels{{"__address__", "h:http"}}, "", "port must be a number"},
      {"empty host", Labels{{"__address__", ":80"}}, "", "missing host"},
      {"whitespace", Labels{{"__address__", "h 1:80"}}, "", "invalid address"},
      {"bad scheme", Labels{{"__address__", "h:1"}},
       "[{target_label: __scheme__, replacement: ftp}]", R"(invalid scheme: "ftp")"},
      {"unparsable interval", Labels{{"__address__", "h:1"}},
       "[{target_label: __scrape_interval__, replacement: often}]",
       "error parsing scrape interval: not a valid duration string"},
      {"zero timeout", Labels{{"__address__", "h:1"}},
       "[{target_label: __scrape_timeout__, replacement: '0'}]", "scrape timeout cannot be 0"},
      {"timeout above interval", Labels{{"__address__", "h:1"}},
       "[{target_label: __scrape_timeout__, replacement: 2m}]",
       R"(scrape timeout cannot be greater than scrape interval ("2m" > "1m"))"},
      {"label name made invalid by labelmap", Labels{{"__address__", "h:1"}, {"__meta_x_1a", "v"}},
       "[{regex: '__meta_x_(.*)', replacement: '$1', action: labelmap}]",
       R"(invalid label name "1a")"},
      {"invalid UTF-8 value", Labels{{"__address__", "h:1"}, {"bad", "\xff"}}, "",
       R"(invalid label value for "bad")"},
  };
  for (const Case& c : cases) {
    auto cfg = Job(c.relabel_yaml.empty() ? "" : "    relabel_configs: " + c.relabel_yaml + "\n");
    auto t = PopulateTargetLabels(c.target, Labels{}, cfg);
    ASSERT_FALSE(t.ok()) << c.name;
    EXPECT_EQ(t.status().code(), Status::Code::kInvalidArgument) << c.name;
    EXPECT_NE(t.status().message().find(c.error), std::string::npos)
        << c.name << ": " << t.status().message();
  }
}

TEST(TargetLabelsTest, AcceptsHostsWithAndWithoutPortsAndBracketedIpv6) {
  for (const char* addr : {"h", "h:80", "10.0.0.1", "[::1]", "[::1]:9100", "my-host.example:1"}) {
    auto t = PopulateTargetLabels(Labels{{"__address__", addr}}, Labels{}, Job());
    EXPECT_TRUE(t.ok()) << addr << ": " << t.status().ToString();
  }
}

TEST(TargetLabelsTest, TargetsFromGroupKeepsKeptAndDroppedTargetsAndNamesFailures) {
  auto cfg =
      Job("    relabel_configs:\n"
          "      - {source_labels: [__address__], regex: 'skip.*', action: drop}\n");
  TargetGroup g{"file.json:0",
                {Labels{{"__address__", "a:1"}}, Labels{{"__address__", "skip:1"}},
                 Labels{{"__address__", "bad/path"}}},
                Labels{{"env", "dev"}}};
  GroupTargets out = TargetsFromGroup(g, cfg);
  ASSERT_EQ(out.targets.size(), 2u);
  EXPECT_FALSE(out.targets[0].dropped);
  EXPECT_EQ(out.targets[0].labels.Get("env"), "dev");
  EXPECT_TRUE(out.targets[1].dropped);
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].message().rfind("instance 2 in group file.json:0: invalid address", 0),
            0u)
      << out.errors[0].message();
}

}  // namespace
}  // namespace andon::scrape
