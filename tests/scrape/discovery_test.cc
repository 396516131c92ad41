// Static and file discovery on a real io_context thread with real files in a temp dir.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/logger.h"
#include "scrape/file_discovery.h"
#include "scrape/static_discovery.h"

namespace andon::scrape {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "andon-sd-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Replaces the file atomically, so that the discoverer never sees it half written.
  std::string Write(const std::string& name, const std::string& content) const {
    std::string tmp = File(name + ".tmp~");
    std::ofstream(tmp) << content;
    fs::rename(tmp, File(name));
    return File(name);
  }

 private:
  std::string path_;
};

// An io_context served by one thread for the lifetime of the object.
class IoThread {
 public:
  IoThread() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~IoThread() {
    guard_.reset();
    thread_.join();
  }
  boost::asio::any_io_executor executor() { return io_.get_executor(); }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

// Polls `done` until it holds; gives up after a deadline far beyond any normal run so that a
// broken discoverer fails the test instead of hanging it.
bool Eventually(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Records every update and the latest group per source.
class Updates {
 public:
  Discoverer::UpdateFn Fn() {
    return [this](std::vector<TargetGroup> groups) {
      std::lock_guard lock(mu_);
      for (const TargetGroup& g : groups) latest_[g.source] = g;
      all_.push_back(std::move(groups));
    };
  }
  size_t count() const {
    std::lock_guard lock(mu_);
    return all_.size();
  }
  std::vector<TargetGroup> update(size_t i) const {
    std::lock_guard lock(mu_);
    return all_.at(i);
  }
  std::vector<std::vector<TargetGroup>> all() const {
    std::lock_guard lock(mu_);
    return all_;
  }
  // Addresses of the latest group reported for `source`; nullopt if never reported.
  std::optional<std::vector<std::string>> Targets(const std::string& source) const {
    std::lock_guard lock(mu_);
    auto it = latest_.find(source);
    if (it == latest_.end()) return std::nullopt;
    std::vector<std::string> out;
    for (const Labels& t : it->second.targets) out.emplace_back(t.Get("__address__"));
    return out;
  }
  bool HasTargets(const std::string& source, const std::vector<std::string>& want) const {
    auto got = Targets(source);
    return got.has_value() && *got == want;
  }
  Labels GroupLabels(const std::string& source) const {
    std::lock_guard lock(mu_);
    auto it = latest_.find(source);
    return it == latest_.end() ? Labels() : it->second.labels;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::vector<TargetGroup>> all_;
  std::map<std::string, TargetGroup> latest_;
};

config::FileSdConfig FileSd(std::vector<std::string> patterns, int64_t refresh_ms = 3600000) {
  config::FileSdConfig c;
  c.files = std::move(patterns);
  c.refresh_interval_ms = refresh_ms;
  return c;
}

constexpr FileDiscoverer::Options kFastPoll{std::chrono::milliseconds(10)};

// Sends log lines to a temp file for the lifetime of the object.
class CapturedLog {
 public:
  explicit CapturedLog(const TempDir& dir) : path_(dir.File("log.txt")) {
    file_ = std::fopen(path_.c_str(), "w");
    Logger::Global().SetOutput(file_);
  }
  ~CapturedLog() {
    Logger::Global().SetOutput(stderr);
    std::fclose(file_);
  }
  std::string Text() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::string path_;
  std::FILE* file_;
};

// ---------------------------------------------------------------------------------------
// Static discovery.

TEST(StaticDiscoveryTest, OneGroupPerConfigWithAddressTargetsAndConfigLabels) {
  std::vector<config::StaticConfig> cfgs(2);
  cfgs[0].targets = {"a:1", "b:2"};
  cfgs[0].labels = {{"env", "prod"}};
  cfgs[1].targets = {"c:3"};
  auto groups = StaticTargetGroups(cfgs);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].source, "0");
  EXPECT_EQ(groups[0].targets,
            (std::vector<Labels>{Labels{{"__address__", "a:1"}}, Labels{{"__address__", "b:2"}}}));
  EXPECT_EQ(groups[0].labels, Labels({{"env", "prod"}}));
  EXPECT_EQ(groups[1].source, "1");
  EXPECT_TRUE(groups[1].labels.empty());
}

TEST(StaticDiscoveryTest, ReportsItsGroupsOnceFromTheExecutor) {
  IoThread io;
  std::vector<config::StaticConfig> cfgs(1);
  cfgs[0].targets = {"a:1"};
  Updates updates;
  StaticDiscoverer d(io.executor(), cfgs);
  d.Start(updates.Fn());
  ASSERT_TRUE(Eventually([&] { return updates.count() == 1; }));
  d.Stop();
  EXPECT_TRUE(updates.HasTargets("0", {"a:1"}));
  EXPECT_EQ(updates.count(), 1u);
}

TEST(StaticDiscoveryTest, StopWithoutStartAndTwiceReturns) {
  IoThread io;
  StaticDiscoverer d(io.executor(), {});
  d.Stop();
  d.Stop();
  SUCCEED();
}

// ---------------------------------------------------------------------------------------
// Parsing target group files.

TEST(FileDiscoveryParseTest, ReadsJsonAndYamlGroupsWithFilepathLabelAndIndexedSources) {
  auto json = ParseTargetGroupFile(
      "/sd/a.json",
      R"([{"targets": ["h1:80", "h2:80"], "labels": {"env": "prod"}}, {"targets": ["h3:80"]}])");
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  ASSERT_EQ(json->size(), 2u);
  EXPECT_EQ((*json)[0].source, "/sd/a.json:0");
  EXPECT_EQ((*json)[0].labels, Labels({{"__meta_filepath", "/sd/a.json"}, {"env", "prod"}}));
  EXPECT_EQ((*json)[0].targets, (std::vector<Labels>{Labels{{"__address__", "h1:80"}},
                                                     Labels{{"__address__", "h2:80"}}}));
  EXPECT_EQ((*json)[1].source, "/sd/a.json:1");
  EXPECT_EQ((*json)[1].labels, Labels({{"__meta_filepath", "/sd/a.json"}}));

  auto yaml = ParseTargetGroupFile("/sd/b.YAML",
                                   "- targets: [h4:80]\n  labels:\n    port: 80\n"
                                   "- labels: {a: b}\n");
  ASSERT_TRUE(yaml.ok()) << yaml.status().ToString();
  ASSERT_EQ(yaml->size(), 2u);
  EXPECT_EQ((*yaml)[0].source, "/sd/b.YAML:0");
  EXPECT_EQ((*yaml)[0].labels.Get("port"), "80");
  EXPECT_EQ((*yaml)[0].targets, (std::vector<Labels>{Labels{{"__address__", "h4:80"}}}));
  EXPECT_TRUE((*yaml)[1].targets.empty());
}

TEST(FileDiscoveryParseTest, EmptyFilesHoldNoGroups) {
  for (const char* path : {"/e.json", "/e.yml"}) {
    auto groups = ParseTargetGroupFile(path, std::string_view(path).ends_with("json") ? "[]" : "");
    ASSERT_TRUE(groups.ok()) << path << ": " << groups.status().ToString();
    EXPECT_TRUE(groups->empty()) << path;
  }
}

TEST(FileDiscoveryParseTest, JsonIgnoresUnknownKeysWhileYamlRejectsThem) {
  EXPECT_TRUE(ParseTargetGroupFile("/a.json", R"([{"targets": [], "extra": 1}])").ok());
  auto yaml = ParseTargetGroupFile("/a.yml", "- targets: []\n  extra: 1\n");
  ASSERT_FALSE(yaml.ok());
  EXPECT_NE(yaml.status().message().find("extra"), std::string::npos) << yaml.status().message();
}

TEST(FileDiscoveryParseTest, RejectsMalformedFilesNamingFileAndProblem) {
  struct Case {
    const char* path;
    const char* content;
    const char* error;
  };
  const Case cases[] = {
      {"/a.json", R"([{"targets": ["h:1"])", "/a.json: "},
      {"/a.json", R"({"targets": ["h:1"]})", "expected a list of target groups"},
      {"/a.json", R"([{"targets": [80]}])", "targets must be strings"},
      {"/a.json", R"([{"labels": {"1bad": "x"}}])", R"("1bad" is not a valid label name)"},
      {"/a.json", R"([{"labels": {"a": 1}}])", R"(value of label "a" is not a string)"},
      {"/a.json", R"([null])", "nil target group item found"},
      {"/a.yml", "- targets: [h:1\n", "/a.yml:"},
      {"/a.yml", "- labels: {bad-name: x}\n", R"("bad-name" is not a valid label name)"},
      {"/a.yml", "targets: [h:1]\n", "expected a list of target groups"},
      {"/a.txt", "[]", "unknown file extension"},
  };
  for (const Case& c : cases) {
    auto groups = ParseTargetGroupFile(c.path, c.content);
    ASSERT_FALSE(groups.ok()) << c.path << " " << c.content;
    EXPECT_NE(groups.status().message().find(c.error), std::string::npos)
        << c.content << " -> " << groups.status().message();
  }
}

// ---------------------------------------------------------------------------------------
// File discovery over time.

TEST(FileDiscoveryTest, FirstUpdateHoldsEveryGroupOfEveryMatchingFile) {
  TempDir dir;
  std::string a = dir.Write("a.json", R"([{"targets": ["a1:1"]}, {"targets": ["a2:1"]}])");
  std::string b = dir.Write("b.yml", "- targets: [b1:1]\n");
  dir.Write("c.txt", "not matched");
  IoThread io;
  Updates updates;
  FileDiscoverer d(io.executor(), FileSd({dir.path() + "/*.json", dir.path() + "/*.yml"}),
                   kFastPoll);
  d.Start(updates.Fn());
  ASSERT_TRUE(Eventually([&] { return updates.count() >= 1; }));
  d.Stop();
  std::vector<TargetGroup> first = updates.update(0);
  std::vector<std::string> sources;
  for (const TargetGroup& g : first) sources.push_back(g.source);
  EXPECT_EQ(sources, (std::vector<std::string>{a + ":0", a + ":1", b + ":0"}));
  EXPECT_EQ(updates.GroupLabels(b + ":0"), Labels({{"__meta_filepath", b}}));
  EXPECT_TRUE(updates.HasTargets(a + ":1", {"a2:1"}));
}

TEST(FileDiscoveryTest, FirstUpdateIsSentEvenWhenNoFileMatches) {
  TempDir dir;
  IoThread io;
  Updates updates;
  FileDiscoverer d(io.executor(), FileSd({dir.path() + "/*.json"}), kFastPoll);
  d.Start(updates.Fn());
  ASSERT_TRUE(Eventually([&] { return updates.count() >= 1; }));
  d.Stop();
  EXPECT_TRUE(updates.update(0).empty());
}

TEST(FileDiscoveryTest, ReportsChangedNewAndRemovedFiles) {
  TempDir dir;
  std::string a = dir.Write("a.json", R"([{"targets": ["a1:1"]}, {"targets": ["x:1"]}])");
  std::string b = dir.File("b.yaml");
  IoThread io;
  Updates updates;
  FileDiscoverer d(io.executor(), FileSd({dir.path() + "/*.json", dir.path() + "/*.yaml"}),
                   kFastPoll);
  d.Start(updates.Fn());
  ASSERT_TRUE(Eventually([&] { return updates.HasTargets(a + ":0", {"a1:1"}); }));

  // A change that keeps group 1 as it was reports only group 0.
  size_t before = updates.count();
  dir.Write("a.json", R"([{"targets": ["a1:1", "a2:1"]}, {"targets": ["x:1"]}])");
  ASSERT_TRUE(Eventually([&] { return updates.HasTargets(a + ":0", {"a1:1", "a2:1"}); }));
  ASSERT_GT(updates.count(), before);
  std::vector<TargetGroup> change = updates.update(before);
  ASSERT_EQ(change.size(), 1u);
  EXPECT_EQ(change[0].source, a + ":0");

  // A file with fewer groups reports the surplus source empty.
  dir.Write("a.json", R"([{"targets": ["a1:1", "a2:1"]}])");
  ASSERT_TRUE(Eventually([&] { return updates.HasTargets(a + ":1", {}); }));

  // A new file.
  dir.Write("b.yaml", "- targets: [b1:1]\n  labels: {team: payments}\n");
  ASSERT_TRUE(Eventually([&] { return updates.HasTargets(b + ":0", {"b1:1"}); }));
  EXPECT_EQ(updates.GroupLabels(b + ":0").Get("team"), "payments");

  // A removed file.
  fs::remove(a);
  ASSERT_TRUE(Eventually([&] { return updates.HasTargets(a + ":0", {}); }));
  d.Stop();
  EXPECT_TRUE(updates.HasTargets(b + ":0", {"b1:1"}));
}

TEST(FileDiscoveryTest, ABrokenFileIsLoggedAndKeepsItsLastGoodGroupsUntilFixed) {
  TempDir dir;
  CapturedLog log(dir);
  std::string a = dir.Write("a.json", R"([{"targets": ["a1:1"]}, {"targets": ["a2:1"]}])");
  std::string b = dir.Write("b.json", R"([{"targets": ["b1:1"]}])");
  IoThread io;
  Updates updates;
  FileDiscoverer d(io.executor(), FileSd({dir.path() + "/*.json"}), kFastPoll);
  d.Start(updates.Fn());
  ASSERT_TRUE(Eventually([&] { return updates.count() >= 1; }));

  dir.Write("a.json", R"([{"targets": ["a1:1"]}, {"targets": )");
  ASSERT_TRUE(Eventually([&] {
    std::string text = log.Text();
    return text.find(a) != std::string::npos && text.find("parse error") != std::string::npos;
  })) << log.Text();
  // The discoverer keeps running: another file's change still arrives.
  dir.Write("b.json", R"([{"targets": ["b2:1"]}])");
  ASSERT_TRUE(Eventually([&] { return updates.HasTargets(b + ":0", {"b2:1"}); }));

  dir.Write("a.json", R"([{"targets": ["fixed:1"]}])");
  ASSERT_TRUE(Eventually([&] { return updates.HasTargets(a + ":1", {}); }));
  d.Stop();
  EXPECT_TRUE(updates.HasTargets(a + ":0", {"fixed:1"}));
  // While broken, a's groups were never withdrawn or replaced.
  int a_reports = 0;
  for (const auto& update : updates.all()) {
    for (const TargetGroup& g : update) {
      if (g.source.starts_with(a)) ++a_reports;
    }
  }
  EXPECT_EQ(a_reports, 4);  // two in the first update, two when fixed
}

TEST(FileDiscoveryTest, RefreshIntervalRereadsFilesWithoutWaitingForAPoll) {
  TempDir dir;
  std::string a = dir.Write("a.json", R"([{"targets": ["a1:1"]}])");
  IoThread io;
  Updates updates;
  FileDiscoverer d(io.executor(), FileSd({dir.path() + "/*.json"}, /*refresh_ms=*/20),
                   FileDiscoverer::Options{std::chrono::hours(1)});
  d.Start(updates.Fn());
  ASSERT_TRUE(Eventually([&] { return updates.HasTargets(a + ":0", {"a1:1"}); }));
  dir.Write("a.json", R"([{"targets": ["a2:1"]}])");
  ASSERT_TRUE(Eventually([&] { return updates.HasTargets(a + ":0", {"a2:1"}); }));
  d.Stop();
}

TEST(FileDiscoveryTest, NoUpdateArrivesAfterStopReturnsFromAnotherThread) {
  TempDir dir;
  dir.Write("a.json", R"([{"targets": ["a1:1"]}])");
  IoThread io;
  Updates updates;
  auto d =
      std::make_unique<FileDiscoverer>(io.executor(), FileSd({dir.path() + "/*.json"}), kFastPoll);
  d->Start(updates.Fn());
  ASSERT_TRUE(Eventually([&] { return updates.count() >= 1; }));
  // Keep the discoverer busy with changes while another thread stops it.
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    d->Stop();
    stopped = true;
  });
  for (int i = 0; !stopped; ++i) {
    dir.Write("a.json", R"([{"targets": ["h)" + std::to_string(i) + R"(:1"]}])");
    std::this_thread::sleep_for(1ms);
  }
  stopper.join();
  size_t after_stop = updates.count();
  dir.Write("a.json", R"([{"targets": ["late:1"]}])");
  d.reset();  // destroying a stopped discoverer is safe and does not wait for anything
  EXPECT_EQ(updates.count(), after_stop);
  EXPECT_FALSE(updates.HasTargets(dir.File("a.json") + ":0", {"late:1"}));
}

TEST(FileDiscoveryTest, StopBeforeStartNeedsNoRunningExecutor) {
  boost::asio::io_context idle;
  FileDiscoverer d(idle.get_executor(), FileSd({"/nonexistent/*.json"}));
  d.Stop();
  d.Stop();
  SUCCEED();
}

}  // namespace
}  // namespace andon::scrape
