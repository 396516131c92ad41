#include "common/metrics_registry.h"

#include "common/labels.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <new>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/text_exposition_writer.h"

// Counts this thread's heap allocations, to check that updates allocate nothing. GCC 12
// warns about free() in a replaced operator delete once it is inlined; the pairing is right.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
thread_local int64_t allocations = 0;
}  // namespace

void* operator new(size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace andon {
namespace {

// A sample line read back from the exposition text, label values unescaped.
struct ParsedSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  std::string value;
};

// A strict reader for the subset of the text format the writer produces; fails the test on
// anything else.
struct ParsedExposition {
  std::map<std::string, std::string> help;  // unescaped
  std::map<std::string, std::string> type;
  std::vector<ParsedSample> samples;
  std::vector<std::string> family_order;
};

std::string Unescape(std::string_view s, bool allow_quote) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out.push_back(s[i]);
      continue;
    }
    EXPECT_LT(i + 1, s.size()) << "dangling backslash in " << s;
    char c = s[++i];
    if (c == 'n') {
      out.push_back('\n');
    } else if (c == '\\' || (allow_quote && c == '"')) {
      out.push_back(c);
    } else {
      ADD_FAILURE() << "unknown escape \\" << c << " in " << s;
    }
  }
  return out;
}

ParsedExposition Parse(const std::string& text) {
  ParsedExposition out;
  EXPECT_TRUE(text.empty() || text.back() == '\n');
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("# HELP ")) {
      std::string rest = line.substr(7);
      size_t sp = rest.find(' ');
      std::string name = rest.substr(0, sp);
      out.help[name] = Unescape(rest.substr(sp + 1), /*allow_quote=*/false);
      out.family_order.push_back(name);
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      std::string rest = line.substr(7);
      size_t sp = rest.find(' ');
      out.type[rest.substr(0, sp)] = rest.substr(sp + 1);
      continue;
    }
    ParsedSample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') s.name.push_back(line[i++]);
    EXPECT_TRUE(IsValidMetricName(s.name)) << line;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (line[i] != '}') {
        size_t eq = line.find("=\"", i);
        std::string label = line.substr(i, eq - i);
        EXPECT_TRUE(IsValidLabelName(label)) << line;
        size_t j = eq + 2;
        std::string raw;
        while (line[j] != '"') {
          if (line[j] == '\\') raw.push_back(line[j++]);
          raw.push_back(line[j++]);
        }
        s.labels.emplace_back(label, Unescape(raw, /*allow_quote=*/true));
        i = j + 1;
        if (line[i] == ',') ++i;
      }
      ++i;
    }
    EXPECT_EQ(line[i], ' ') << line;
    s.value = line.substr(i + 1);
    EXPECT_EQ(s.value.find(' '), std::string::npos) << "no timestamps expected: " << line;
    out.samples.push_back(std::move(s));
  }
  return out;
}

double ParseValue(const std::string& v) {
  if (v == "+Inf") return std::numeric_limits<double>::infinity();
  if (v == "-Inf") return -std::numeric_limits<double>::infinity();
  if (v == "NaN") return std::nan("");
  return std::strtod(v.c_str(), nullptr);
}

std::string Expose(const MetricsRegistry& registry) { return TextExposition(registry.Gather()); }

TEST(FormatExpositionFloatTest, MatchesGoShortestGFormatting) {
  const std::pair<double, const char*> cases[] = {
      {0, "0"},
      {-0.0, "-0"},
      {1, "1"},
      {-1, "-1"},
      {0.005, "0.005"},
      {0.1, "0.1"},
      {0.25, "0.25"},
      {2.5, "2.5"},
      {10, "10"},
      {100000, "100000"},
      {123456, "123456"},
      {999999, "999999"},
      {123456.7, "123456.7"},
      {999999.5, "999999.5"},
      {1e6, "1e+06"},
      {1234567, "1.234567e+06"},
      {-2.5e7, "-2.5e+07"},
      {1712345678.123, "1.712345678123e+09"},
      {608863452348.1149, "6.088634523481149e+11"},
      {1e21, "1e+21"},
      {0.0001, "0.0001"},
      {0.000123, "0.000123"},
      {-0.00042, "-0.00042"},
      {0.00001, "1e-05"},
      {1.5e-05, "1.5e-05"},
      {1.0 / 3, "0.3333333333333333"},
      {0.1 + 0.2, "0.30000000000000004"},
      {std::numeric_limits<double>::max(), "1.7976931348623157e+308"},
      {std::numeric_limits<double>::denorm_min(), "5e-324"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::nan(""), "NaN"},
  };
  for (const auto& [v, want] : cases) EXPECT_EQ(FormatExpositionFloat(v), want) << v;
}

TEST(FormatExpositionFloatTest, EveryFiniteValueReadsBackBitForBit) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<uint64_t> bits;
  for (int i = 0; i < 100000; ++i) {
    double v = std::bit_cast<double>(bits(rng));
    if (!std::isfinite(v)) continue;
    std::string s = FormatExpositionFloat(v);
    EXPECT_EQ(std::bit_cast<uint64_t>(std::strtod(s.c_str(), nullptr)), std::bit_cast<uint64_t>(v))
        << s;
  }
}

TEST(TextExpositionTest, WritesFamiliesSortedByNameWithExactText) {
  MetricsRegistry registry;
  auto requests =
      registry.RegisterCounter("http_requests_total", "Requests served.", {"method", "code"});
  ASSERT_TRUE(requests.ok());
  auto temp = registry.RegisterGauge("a_temperature", "Degrees.");
  ASSERT_TRUE(temp.ok());
  (*requests)->WithLabels({"POST", "500"}).Inc(3);
  (*requests)->WithLabels({"GET", "200"}).Inc();
  (*temp)->WithLabels().Set(-4.5);

  EXPECT_EQ(Expose(registry),
            "# HELP a_temperature Degrees.\n"
            "# TYPE a_temperature gauge\n"
            "a_temperature -4.5\n"
            "# HELP http_requests_total Requests served.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{method=\"GET\",code=\"200\"} 1\n"
            "http_requests_total{method=\"POST\",code=\"500\"} 3\n");
}

TEST(TextExpositionTest, EscapesLabelValuesAndHelpAndParsesBack) {
  MetricsRegistry registry;
  auto family = registry.RegisterGauge("escaped", "Line one\nback\\slash \"quoted\"", {"path"});
  ASSERT_TRUE(family.ok());
  const std::string nasty = "a\"b\\c\nd}e,f=\"g";
  (*family)->WithLabels({nasty}).Set(1);

  std::string text = Expose(registry);
  EXPECT_NE(text.find(R"(# HELP escaped Line one\nback\\slash "quoted")"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(escaped{path="a\"b\\c\nd}e,f=\"g"} 1)"), std::string::npos) << text;

  ParsedExposition parsed = Parse(text);
  EXPECT_EQ(parsed.help["escaped"], "Line one\nback\\slash \"quoted\"");
  ASSERT_EQ(parsed.samples.size(), 1u);
  ASSERT_EQ(parsed.samples[0].labels.size(), 1u);
  EXPECT_EQ(parsed.samples[0].labels[0].second, nasty);
}

TEST(TextExpositionTest, HistogramBucketsAreCumulativeAndEndWithInfEqualToCount) {
  MetricsRegistry registry;
  auto family =
      registry.RegisterHistogram("latency_seconds", "Latency.", {"handler"}, {0.1, 0.5, 1, 2.5});
  ASSERT_TRUE(family.ok());
  Histogram& h = (*family)->WithLabels({"/q"});
  for (double v : {0.05, 0.1, 0.3, 0.5, 0.7, 2.0, 2.5, 3.0, 100.0}) h.Observe(v);

  std::string text = Expose(registry);
  EXPECT_EQ(text,
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{handler=\"/q\",le=\"0.1\"} 2\n"
            "latency_seconds_bucket{handler=\"/q\",le=\"0.5\"} 4\n"
            "latency_seconds_bucket{handler=\"/q\",le=\"1\"} 5\n"
            "latency_seconds_bucket{handler=\"/q\",le=\"2.5\"} 7\n"
            "latency_seconds_bucket{handler=\"/q\",le=\"+Inf\"} 9\n"
            "latency_seconds_sum{handler=\"/q\"} 109.15\n"
            "latency_seconds_count{handler=\"/q\"} 9\n");

  ParsedExposition parsed = Parse(text);
  EXPECT_EQ(parsed.type["latency_seconds"], "histogram");
  double previous_le = -std::numeric_limits<double>::infinity();
  double previous_count = 0;
  double inf_count = -1;
  for (const ParsedSample& s : parsed.samples) {
    if (s.name != "latency_seconds_bucket") continue;
    double le = ParseValue(s.labels.back().second);
    double count = ParseValue(s.value);
    EXPECT_GT(le, previous_le);
    EXPECT_GE(count, previous_count);
    previous_le = le;
    previous_count = count;
    if (std::isinf(le)) inf_count = count;
  }
  EXPECT_EQ(inf_count, 9);
}

TEST(TextExpositionTest, DefaultBucketsAreFormattedLikePrometheus) {
  MetricsRegistry registry;
  auto family = registry.RegisterHistogram("d", "D.");
  ASSERT_TRUE(family.ok());
  std::string text = Expose(registry);
  std::vector<std::string> les;
  for (const ParsedSample& s : Parse(text).samples) {
    if (s.name == "d_bucket") les.push_back(s.labels.back().second);
  }
  EXPECT_EQ(les, (std::vector<std::string>{"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
                                           "1", "2.5", "5", "10", "+Inf"}));
}

TEST(HistogramTest, ValueOnABoundCountsInThatBucketAndNaNOnlyInInf) {
  MetricsRegistry registry;
  auto family = registry.RegisterHistogram("h", "H.", {}, {1, 2});
  ASSERT_TRUE(family.ok());
  Histogram& h = (*family)->WithLabels();
  h.Observe(1);
  h.Observe(std::nan(""));
  h.Observe(-5);
  MetricSnapshot snapshot;
  h.Snapshot(&snapshot);
  EXPECT_EQ(snapshot.cumulative_counts, (std::vector<uint64_t>{2, 2, 3}));
  EXPECT_TRUE(std::isnan(snapshot.sum));
}

TEST(MetricsRegistryTest, UnlabeledFamiliesAreExportedAsZeroBeforeAnyUpdate) {
  MetricsRegistry registry;
  ASSERT_TRUE(registry.RegisterCounter("c_total", "C.").ok());
  ASSERT_TRUE(registry.RegisterGauge("labeled", "L.", {"x"}).ok());
  std::vector<FamilySnapshot> families = registry.Gather();
  ASSERT_EQ(families.size(), 1u) << "a labeled family without children is omitted";
  EXPECT_EQ(families[0].name, "c_total");
  ASSERT_EQ(families[0].metrics.size(), 1u);
  EXPECT_EQ(families[0].metrics[0].value, 0);
}

TEST(MetricsRegistryTest, ConcurrentUpdatesFromSeveralThreadsSumExactly) {
  MetricsRegistry registry;
  auto counters = registry.RegisterCounter("ops_total", "Ops.", {"kind"});
  auto gauges = registry.RegisterGauge("level", "Level.");
  auto histograms = registry.RegisterHistogram("size", "Size.", {}, {1, 10});
  ASSERT_TRUE(counters.ok() && gauges.ok() && histograms.ok());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Every thread resolves the same child itself: creation races must yield one child.
      Counter& c = (*counters)->WithLabels({"read"});
      Gauge& g = (*gauges)->WithLabels();
      Histogram& h = (*histograms)->WithLabels();
      for (int i = 0; i < kPerThread; ++i) {
        c.Inc();
        c.Inc(0.5);
        g.Add(2);
        g.Dec();
        h.Observe(t % 2 == 0 ? 0.5 : 5);
      }
    });
  }
  for (auto& th : threads) th.join();

  constexpr double kTotal = double{kThreads} * kPerThread;
  EXPECT_EQ((*counters)->WithLabels({"read"}).Value(), kTotal * 1.5);
  EXPECT_EQ((*gauges)->WithLabels().Value(), kTotal);
  MetricSnapshot h;
  (*histograms)->WithLabels().Snapshot(&h);
  EXPECT_EQ(h.cumulative_counts, (std::vector<uint64_t>{100000, 200000, 200000}));
  EXPECT_EQ(h.sum, kTotal / 2 * 0.5 + kTotal / 2 * 5);
}

TEST(MetricsRegistryTest, GatherWhileOtherThreadsUpdateAndAddChildrenSeesMonotonicCounts) {
  MetricsRegistry registry;
  auto counters = registry.RegisterCounter("ops_total", "Ops.", {"worker", "n"});
  ASSERT_TRUE(counters.ok());
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        (*counters)->WithLabels({std::to_string(t), std::to_string(i % 50)}).Inc();
      }
    });
  }
  std::thread scraper([&] {
    double last_total = 0;
    while (!done.load()) {
      double total = 0;
      for (const FamilySnapshot& f : registry.Gather()) {
        for (const MetricSnapshot& m : f.metrics) total += m.value;
      }
      EXPECT_GE(total, last_total);
      last_total = total;
      TextExposition(registry.Gather());
    }
  });
  for (auto& w : writers) w.join();
  done.store(true);
  scraper.join();
  std::vector<FamilySnapshot> families = registry.Gather();
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0].metrics.size(), 100u);
  for (const MetricSnapshot& m : families[0].metrics) EXPECT_EQ(m.value, 40);
}

TEST(MetricsRegistryTest, UpdatesOnACachedChildAllocateNothing) {
  MetricsRegistry registry;
  Counter& c = (*registry.RegisterCounter("c_total", "C.", {"a"}))->WithLabels({"x"});
  Gauge& g = (*registry.RegisterGauge("g", "G."))->WithLabels();
  Histogram& h = (*registry.RegisterHistogram("h", "H.", {"a"}))->WithLabels({"x"});
  int64_t before = allocations;
  for (int i = 0; i < 1000; ++i) {
    c.Inc();
    c.Inc(0.5);
    g.Set(i);
    g.Add(1);
    h.Observe(i * 0.01);
  }
  EXPECT_EQ(allocations, before);
  EXPECT_EQ(c.Value(), 1500);
}

TEST(MetricsRegistryTest, WithLabelsReturnsTheSameChildEveryTime) {
  MetricsRegistry registry;
  auto family = registry.RegisterCounter("x_total", "X.", {"a", "b"});
  ASSERT_TRUE(family.ok());
  Counter* first = &(*family)->WithLabels({"1", "2"});
  for (int i = 0; i < 100; ++i) (*family)->WithLabels({std::to_string(i), "z"});
  EXPECT_EQ(&(*family)->WithLabels({"1", "2"}), first);
  std::vector<std::string> values = {"1", "2"};
  EXPECT_EQ(&(*family)->WithLabels(values), first);
}

TEST(MetricsRegistryTest, WrongNumberOfLabelValuesThrows) {
  MetricsRegistry registry;
  auto family = registry.RegisterCounter("x_total", "X.", {"a", "b"});
  ASSERT_TRUE(family.ok());
  EXPECT_THROW((*family)->WithLabels({"only-one"}), std::invalid_argument);
  EXPECT_THROW((*family)->WithLabels(), std::invalid_argument);
}

TEST(MetricsRegistryTest, CounterIgnoresNegativeAndNaNIncrements) {
  Counter c;
  c.Inc(2);
  c.Inc(-1);
  c.Inc(std::nan(""));
  c.Inc(0.25);
  EXPECT_EQ(c.Value(), 2.25);
}

TEST(MetricsRegistryTest, SameRegistrationTwiceReturnsTheExistingFamily) {
  MetricsRegistry registry;
  auto a = registry.RegisterCounter("dup_total", "Dup.", {"x"});
  auto b = registry.RegisterCounter("dup_total", "Dup.", {"x"});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  auto h1 = registry.RegisterHistogram("dup_h", "H.", {}, {1, 2});
  auto h2 = registry.RegisterHistogram("dup_h", "H.", {},
                                       {1, 2, std::numeric_limits<double>::infinity()});
  ASSERT_TRUE(h1.ok() && h2.ok());
  EXPECT_EQ(*h1, *h2);
}

TEST(MetricsRegistryTest, ConflictingRegistrationsAreInvalidArgument) {
  MetricsRegistry registry;
  ASSERT_TRUE(registry.RegisterCounter("dup_total", "Dup.", {"x"}).ok());
  ASSERT_TRUE(registry.RegisterHistogram("lat", "Lat.", {}, {1, 2}).ok());

  auto as_gauge = registry.RegisterGauge("dup_total", "Dup.", {"x"});
  ASSERT_FALSE(as_gauge.ok());
  EXPECT_EQ(as_gauge.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(as_gauge.status().message(),
            "metric dup_total already registered as a counter, cannot register it as a gauge");
  EXPECT_FALSE(registry.RegisterCounter("dup_total", "Dup.", {"y"}).ok());
  EXPECT_FALSE(registry.RegisterCounter("dup_total", "Other help.", {"x"}).ok());
  EXPECT_FALSE(registry.RegisterHistogram("lat", "Lat.", {}, {1, 3}).ok());
  EXPECT_FALSE(registry.RegisterCallbackGauge("dup_total", "Dup.", [] { return 1.0; }).ok());
  // A family whose samples would share names with the histogram's.
  auto clash = registry.RegisterGauge("lat_count", "Clash.");
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.status().message().find("lat"), std::string::npos);
  // And the other way round: a histogram whose _sum is an existing family.
  ASSERT_TRUE(registry.RegisterGauge("queue_sum", "Sum.").ok());
  EXPECT_FALSE(registry.RegisterHistogram("queue", "Clash.").ok());
  EXPECT_TRUE(registry.RegisterHistogram("dup", "No clash with dup_total.").ok());
}

TEST(MetricsRegistryTest, RejectsInvalidNamesAndBuckets) {
  MetricsRegistry registry;
  EXPECT_FALSE(registry.RegisterCounter("1bad", "B.").ok());
  EXPECT_FALSE(registry.RegisterCounter("bad-name", "B.").ok());
  EXPECT_FALSE(registry.RegisterCounter("", "B.").ok());
  EXPECT_TRUE(registry.RegisterCounter("ok:name_total", "B.").ok());
  EXPECT_FALSE(registry.RegisterCounter("c1", "B.", {"__reserved"}).ok());
  EXPECT_FALSE(registry.RegisterCounter("c2", "B.", {"a", "a"}).ok());
  EXPECT_FALSE(registry.RegisterCounter("c3", "B.", {"a-b"}).ok());
  EXPECT_FALSE(registry.RegisterHistogram("h1", "B.", {"le"}).ok());
  EXPECT_TRUE(registry.RegisterGauge("g1", "B.", {"le"}).ok());
  EXPECT_FALSE(registry.RegisterHistogram("h2", "B.", {}, {1, 1}).ok());
  EXPECT_FALSE(registry.RegisterHistogram("h3", "B.", {}, {2, 1}).ok());
  EXPECT_FALSE(registry.RegisterHistogram("h4", "B.", {}, {std::nan("")}).ok());
}

TEST(MetricsRegistryTest, CallbacksAreEvaluatedAtEveryGatherUntilUnregistered) {
  MetricsRegistry registry;
  int calls = 0;
  ASSERT_TRUE(registry
                  .RegisterCallbackGauge("head_series", "Series.",
                                         [&calls] { return static_cast<double>(++calls); })
                  .ok());
  ASSERT_TRUE(registry.RegisterCallbackCounter("cb_total", "Cb.", [] { return 7.0; }).ok());
  EXPECT_EQ(Expose(registry),
            "# HELP cb_total Cb.\n# TYPE cb_total counter\ncb_total 7\n"
            "# HELP head_series Series.\n# TYPE head_series gauge\nhead_series 1\n");
  EXPECT_NE(Expose(registry).find("head_series 2\n"), std::string::npos);

  Status again = registry.RegisterCallbackGauge("head_series", "Series.", [] { return 0.0; });
  EXPECT_EQ(again.code(), Status::Code::kAlreadyExists);

  EXPECT_TRUE(registry.Unregister("head_series"));
  EXPECT_FALSE(registry.Unregister("head_series"));
  EXPECT_EQ(Expose(registry).find("head_series"), std::string::npos);
  EXPECT_EQ(calls, 2);
}

TEST(MetricsRegistryTest, BucketHelpersProduceTheDescribedBounds) {
  EXPECT_EQ(LinearBuckets(1, 2, 4), (std::vector<double>{1, 3, 5, 7}));
  EXPECT_EQ(ExponentialBuckets(1, 10, 3), (std::vector<double>{1, 10, 100}));
  EXPECT_EQ(DefaultHistogramBuckets().size(), 11u);
}

TEST(MetricsRegistryTest, DefaultRegistryIsOneInstance) {
  EXPECT_EQ(&MetricsRegistry::Default(), &MetricsRegistry::Default());
}

}  // namespace
}  // namespace andon
