#include "scrape/relabel.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace andon::scrape {
namespace {

// Relabel configs as a user writes them: parsed and validated by the config loader.
std::vector<config::RelabelConfig> Rules(const std::string& yaml_list) {
  std::string doc = "scrape_configs:\n  - job_name: j\n    relabel_configs: " + yaml_list + "\n";
  auto cfg = config::ParseConfig(doc, "test.yml", "");
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  if (!cfg.ok()) return {};
  return cfg->scrape_configs.at(0).relabel_configs;
}

struct Case {
  const char* name;
  std::string rules;
  Labels in;
  std::optional<Labels> out;  // nullopt: the label set is dropped
};

void RunCases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    auto rules = Rules(c.rules);
    LabelsBuilder b(c.in);
    bool kept = Relabel(rules, b);
    if (!c.out.has_value()) {
      EXPECT_FALSE(kept) << c.name;
      continue;
    }
    ASSERT_TRUE(kept) << c.name;
    EXPECT_EQ(b.Build(), *c.out) << c.name << ": got " << b.Build().ToString();
  }
}

TEST(RelabelTest, ReplaceWritesTheExpandedReplacementWhenTheRegexMatches) {
  Labels in{{"a", "foo"}, {"b", "bar"}};
  RunCases({
      {"default regex and replacement copy the joined value",
       "[{source_labels: [a, b], target_label: c}]", in,
       Labels{{"a", "foo"}, {"b", "bar"}, {"c", "foo;bar"}}},
      {"custom separator", "[{source_labels: [a, b], separator: '-', target_label: c}]", in,
       Labels{{"a", "foo"}, {"b", "bar"}, {"c", "foo-bar"}}},
      {"missing source labels join as empty strings",
       "[{source_labels: [x, a, y], target_label: c}]", in,
       Labels{{"a", "foo"}, {"b", "bar"}, {"c", ";foo;"}}},
      {"groups by number, in braces and by name",
       R"([{source_labels: [a, b], regex: '(f)(?P<rest>o+);(.*)', target_label: c,
            replacement: '$1-${2}-$rest-${3}x'}])",
       in, Labels{{"a", "foo"}, {"b", "bar"}, {"c", "f-oo-oo-barx"}}},
      {"$1x names the group 1x, which does not exist",
       "[{source_labels: [a], regex: '(.*)', target_label: c, replacement: '$1x-${1}x'}]", in,
       Labels{{"a", "foo"}, {"b", "bar"}, {"c", "-foox"}}},
      {"$$ is a literal dollar and a malformed reference stays as text",
       "[{source_labels: [a], target_label: c, replacement: '$$1 ${1 $ $-'}]", in,
       Labels{{"a", "foo"}, {"b", "bar"}, {"c", "$1 ${1 $ $-"}}},
      {"references to missing or unmatched groups expand to nothing",
       "[{source_labels: [a], regex: '(f)(x)?(.*)', target_label: c,"
       " replacement: '<$2|$9|$nope|${10}|$3>'}]",
       in, Labels{{"a", "foo"}, {"b", "bar"}, {"c", "<||||oo>"}}},
      {"the target label name is expanded too",
       "[{source_labels: [a], regex: '(.*)', target_label: 'x_${1}', replacement: v}]", in,
       Labels{{"a", "foo"}, {"b", "bar"}, {"x_foo", "v"}}},
      {"overwrites an existing label", "[{source_labels: [b], target_label: a}]", in,
       Labels{{"a", "bar"}, {"b", "bar"}}},
      {"a constant replacement without source labels", "[{target_label: env, replacement: prod}]",
       in, Labels{{"a", "foo"}, {"b", "bar"}, {"env", "prod"}}},
  });
}

TEST(RelabelTest, ReplaceLeavesLabelsUnchangedWhenNothingApplies) {
  Labels in{{"a", "foo"}, {"b", "bar"}};
  RunCases({
      {"regex does not match the whole value",
       "[{source_labels: [a], regex: 'fo', target_label: c, replacement: x}]", in, in},
      {"regex does not match a missing source label",
       "[{source_labels: [missing], regex: '.+', target_label: c, replacement: x}]", in, in},
      {"expanded target label is not a valid name",
       "[{source_labels: [a], regex: '(.*)', target_label: '${1}', replacement: x},"
       " {source_labels: [b], regex: '(.*)', target_label: '${2}', replacement: x}]",
       Labels{{"a", "1foo"}, {"b", "bar"}}, Labels{{"a", "1foo"}, {"b", "bar"}}},
  });
}

TEST(RelabelTest, ReplaceWithAnEmptyResultDeletesTheTargetLabel) {
  RunCases({
      {"empty replacement", "[{source_labels: [a], target_label: b, replacement: ''}]",
       Labels{{"a", "foo"}, {"b", "bar"}}, Labels{{"a", "foo"}}},
      {"empty source value", "[{source_labels: [missing], target_label: b}]",
       Labels{{"a", "foo"}, {"b", "bar"}}, Labels{{"a", "foo"}}},
  });
}

TEST(RelabelTest, KeepAndDropDecideOnTheFullJoinedValue) {
  Labels in{{"a", "foo"}, {"b", "bar"}};
  RunCases({
      {"keep on match", "[{source_labels: [a], regex: 'f.*', action: keep}]", in, in},
      {"keep drops on partial match", "[{source_labels: [a], regex: 'f', action: keep}]", in,
       std::nullopt},
      {"keep with joined sources", "[{source_labels: [a, b], regex: 'foo;bar', action: keep}]", in,
       in},
      {"keep a missing label that must be non-empty",
       "[{source_labels: [missing], regex: '.+', action: keep}]", in, std::nullopt},
      {"keep a missing label matched as empty",
       "[{source_labels: [missing], regex: '', action: keep}]", in, in},
      {"drop on match", "[{source_labels: [b], regex: 'ba.', action: drop}]", in, std::nullopt},
      {"drop keeps on no match", "[{source_labels: [b], regex: 'ba', action: drop}]", in, in},
      {"a drop stops later rules",
       "[{source_labels: [a], regex: foo, action: drop}, {target_label: c, replacement: x}]", in,
       std::nullopt},
  });
}

TEST(RelabelTest, KeepEqualAndDropEqualCompareTheJoinedValueWithTheTargetLabel) {
  RunCases({
      {"keepequal keeps an equal value",
       "[{source_labels: [__meta_port], target_label: port, action: keepequal}]",
       Labels{{"__meta_port", "80"}, {"port", "80"}},
       Labels{{"__meta_port", "80"}, {"port", "80"}}},
      {"keepequal drops a different value",
       "[{source_labels: [__meta_port], target_label: port, action: keepequal}]",
       Labels{{"__meta_port", "80"}, {"port", "81"}}, std::nullopt},
      {"keepequal: both absent are equal",
       "[{source_labels: [x], target_label: y, action: keepequal}]", Labels{{"a", "1"}},
       Labels{{"a", "1"}}},
      {"keepequal joins several sources with the separator",
       "[{source_labels: [a, b], target_label: c, action: keepequal}]",
       Labels{{"a", "h"}, {"b", "1"}, {"c", "h;1"}}, Labels{{"a", "h"}, {"b", "1"}, {"c", "h;1"}}},
      {"dropequal drops an equal value",
       "[{source_labels: [a], target_label: b, action: dropequal}]", Labels{{"a", "x"}, {"b", "x"}},
       std::nullopt},
      {"dropequal keeps a different value",
       "[{source_labels: [a], target_label: b, action: dropequal}]", Labels{{"a", "x"}, {"b", "y"}},
       Labels{{"a", "x"}, {"b", "y"}}},
  });
}

// Expected values computed independently:
//   python3 -c "import hashlib; d=hashlib.md5(s.encode()).digest();
//               print(int.from_bytes(d[8:], 'big') % m)"
TEST(RelabelTest, HashModMatchesPrometheusMd5Sharding) {
  RunCases({
      {"address mod 10",
       "[{source_labels: [__address__], modulus: 10, target_label: shard, action: hashmod}]",
       Labels{{"__address__", "10.0.0.1:9100"}},
       Labels{{"__address__", "10.0.0.1:9100"}, {"shard", "5"}}},
      {"joined values mod 1000",
       "[{source_labels: [a, b], modulus: 1000, target_label: shard, action: hashmod}]",
       Labels{{"a", "a"}, {"b", "b"}}, Labels{{"a", "a"}, {"b", "b"}, {"shard", "74"}}},
      {"missing source is the hash of the empty string",
       "[{source_labels: [x], modulus: 7, target_label: shard, action: hashmod}]", Labels{},
       Labels{{"shard", "1"}}},
      {"a modulus above 32 bits uses all 64 bits",
       "[{source_labels: [p], modulus: 4294967296, target_label: s, action: hashmod}]",
       Labels{{"p", "pod-1"}}, Labels{{"p", "pod-1"}, {"s", "550244143"}}},
      {"modulus 1 gives 0", "[{source_labels: [x], modulus: 1, target_label: s, action: hashmod}]",
       Labels{{"x", "x"}}, Labels{{"s", "0"}, {"x", "x"}}},
  });
}

TEST(RelabelTest, LabelMapCopiesMatchingLabelsUnderTheExpandedName) {
  Labels in{{"__meta_kubernetes_pod_label_app", "api"},
            {"__meta_kubernetes_pod_label_team", "payments"},
            {"__meta_other", "x"}};
  RunCases({
      {"one group", "[{regex: '__meta_kubernetes_pod_label_(.+)', action: labelmap}]", in,
       Labels{{"__meta_kubernetes_pod_label_app", "api"},
              {"__meta_kubernetes_pod_label_team", "payments"},
              {"__meta_other", "x"},
              {"app", "api"},
              {"team", "payments"}}},
      {"several groups and text",
       "[{regex: '__meta_(kubernetes)_pod_label_(.+)', replacement: 'k_${2}_$1', "
       "action: labelmap}]",
       in,
       Labels{{"__meta_kubernetes_pod_label_app", "api"},
              {"__meta_kubernetes_pod_label_team", "payments"},
              {"__meta_other", "x"},
              {"k_app_kubernetes", "api"},
              {"k_team_kubernetes", "payments"}}},
      {"mapped labels overwrite existing ones",
       "[{regex: '__meta_other', replacement: app, action: labelmap}]",
       Labels{{"__meta_other", "x"}, {"app", "old"}}, Labels{{"__meta_other", "x"}, {"app", "x"}}},
      {"labels added by the action are not mapped again",
       "[{regex: '(.*)', replacement: 'x$1', action: labelmap}]", Labels{{"a", "1"}},
       Labels{{"a", "1"}, {"xa", "1"}}},
      {"no match changes nothing", "[{regex: 'nothing_(.*)', action: labelmap}]", in, in},
  });
}

TEST(RelabelTest, LabelDropAndLabelKeepFilterByName) {
  Labels in{{"__meta_a", "1"}, {"__meta_b", "2"}, {"job", "j"}, {"instance", "i"}};
  RunCases({
      {"labeldrop removes matches", "[{regex: '__meta_.*', action: labeldrop}]", in,
       Labels{{"instance", "i"}, {"job", "j"}}},
      {"labeldrop matches whole names only", "[{regex: 'jo', action: labeldrop}]", in, in},
      {"labelkeep removes the rest", "[{regex: 'job|__meta_a', action: labelkeep}]", in,
       Labels{{"__meta_a", "1"}, {"job", "j"}}},
      {"labelkeep matching nothing empties the set", "[{regex: 'none', action: labelkeep}]", in,
       Labels{}},
  });
}

TEST(RelabelTest, LowercaseAndUppercaseWriteTheConvertedJoinedValue) {
  Labels in{{"a", "MiXed-1"}, {"b", "Two"}};
  RunCases({
      {"lowercase", "[{source_labels: [a, b], target_label: c, action: lowercase}]", in,
       Labels{{"a", "MiXed-1"}, {"b", "Two"}, {"c", "mixed-1;two"}}},
      {"uppercase in place", "[{source_labels: [a], target_label: a, action: uppercase}]", in,
       Labels{{"a", "MIXED-1"}, {"b", "Two"}}},
      {"an empty result deletes the target",
       "[{source_labels: [missing], target_label: b, action: lowercase}]", in,
       Labels{{"a", "MiXed-1"}}},
  });
}

TEST(RelabelTest, RulesApplyInOrderEachSeeingThePreviousResult) {
  RunCases({
      {"chain",
       "[{source_labels: [__address__], regex: '([^:]+):.*', target_label: host},"
       " {source_labels: [host], regex: 'db-.*', action: drop},"
       " {source_labels: [host], target_label: host, action: uppercase},"
       " {regex: '__address__', action: labeldrop}]",
       Labels{{"__address__", "web-1:80"}}, Labels{{"host", "WEB-1"}}},
      {"chain dropped at the second rule",
       "[{source_labels: [__address__], regex: '([^:]+):.*', target_label: host},"
       " {source_labels: [host], regex: 'db-.*', action: drop}]",
       Labels{{"__address__", "db-1:80"}}, std::nullopt},
      {"no rules keep everything", "[]", Labels{{"a", "1"}}, Labels{{"a", "1"}}},
  });
}

}  // namespace
}  // namespace andon::scrape
