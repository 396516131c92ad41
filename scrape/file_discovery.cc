#include "scrape/file_discovery.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "common/file_reader.h"
#include "common/logger.h"
#include "common/yaml_reader.h"

namespace andon::scrape {
namespace {

constexpr std::string_view kFilepathLabel = "__meta_filepath";

std::string Quoted(std::string_view s) { return QuoteLabelValue(s); }

std::string LowerExtension(const std::string& path) {
  size_t dot = path.rfind('.');
  if (dot == std::string::npos) return "";
  std::string ext = path.substr(dot);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

// Collects one group's labels and targets, checking them as Prometheus does.
class GroupBuilder {
 public:
  explicit GroupBuilder(const std::string& path) : path_(path) {}

  Status AddLabel(const std::string& name, const std::string& value) {
    if (!IsValidLabelName(name)) {
      return Status::InvalidArgument(Quoted(name) + " is not a valid label name");
    }
    if (!IsValidUtf8(value)) {
      return Status::InvalidArgument("invalid UTF-8 in value of label " + Quoted(name));
    }
    labels_.Set(name, value);
    return Status::Ok();
  }
  void AddTarget(std::string_view address) {
    group_.targets.push_back(Labels{{"__address__", address}});
  }
  TargetGroup Finish(size_t index) {
    group_.source = path_ + ":" + std::to_string(index);
    labels_.Set(kFilepathLabel, path_);
    group_.labels = labels_.Build();
    return std::move(group_);
  }

 private:
  const std::string& path_;
  TargetGroup group_;
  LabelsBuilder labels_;
};

Result<std::vector<TargetGroup>> ParseJson(const std::string& path, std::string_view content) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(content);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(path + ": " + e.what());
  }
  std::vector<TargetGroup> groups;
  if (doc.is_null()) return groups;
  if (!doc.is_array()) {
    return Status::InvalidArgument(path + ": expected a list of target groups");
  }
  for (size_t i = 0; i < doc.size(); ++i) {
    const nlohmann::json& item = doc[i];
    auto fail = [&](const std::string& what) {
      return Status::InvalidArgument(path + ": target group " + std::to_string(i) + ": " + what);
    };
    if (item.is_null()) return fail("nil target group item found");
    if (!item.is_object()) return fail("expected an object");
    GroupBuilder b(path);
    if (auto it = item.find("labels"); it != item.end() && !it->is_null()) {
      if (!it->is_object()) return fail("\"labels\" must be an object");
      for (const auto& [name, value] : it->items()) {
        if (!value.is_string()) return fail("value of label " + Quoted(name) + " is not a string");
        if (Status s = b.AddLabel(name, value.get<std::string>()); !s.ok())
          return fail(s.message());
      }
    }
    if (auto it = item.find("targets"); it != item.end() && !it->is_null()) {
      if (!it->is_array()) return fail("\"targets\" must be a list");
      for (const nlohmann::json& t : *it) {
        if (!t.is_string()) return fail("targets must be strings");
        b.AddTarget(t.get<std::string>());
      }
    }
    groups.push_back(b.Finish(i));
  }
  return groups;
}

Result<std::vector<TargetGroup>> ParseYaml(const std::string& path, std::string_view content) {
  auto doc = yaml::LoadYaml(content, path);
  if (!doc.ok()) return doc.status();
  yaml::Source src(path);
  std::vector<TargetGroup> groups;
  try {
    if (doc->IsNull()) return groups;
    if (!doc->IsSequence()) src.Fail(*doc, "expected a list of target groups");
    size_t i = 0;
    for (const YAML::Node& item : *doc) {
      if (item.IsNull()) src.Fail(item, "nil target group item found");
      yaml::MapReader m(src, item, "targetgroup.Group");
      std::vector<std::string> targets;
      std::map<std::string, std::string> labels;
      m.StringList("targets", &targets);
      m.StringMap("labels", &labels);
      m.Finish();
      GroupBuilder b(path);
      for (const auto& [name, value] : labels) {
        if (Status s = b.AddLabel(name, value); !s.ok()) src.Fail(item, s.message());
      }
      for (const std::string& t : targets) b.AddTarget(t);
      groups.push_back(b.Finish(i++));
    }
  } catch (const yaml::ParseError& e) {
    return Status::InvalidArgument(e.what());
  }
  return groups;
}

// Sorted, unique paths matching any of the patterns.
std::set<std::string> ExpandGlobs(const std::vector<std::string>& patterns) {
  std::set<std::string> paths;
  for (const std::string& pattern : patterns) {
    glob_t g{};
    if (glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.insert(g.gl_pathv[i]);
    }
    globfree(&g);
  }
  return paths;
}

bool SameGroup(const TargetGroup& a, const TargetGroup& b) {
  return a.source == b.source && a.labels == b.labels && a.targets == b.targets;
}

}  // namespace

Result<std::vector<TargetGroup>> ParseTargetGroupFile(const std::string& path,
                                                      std::string_view content) {
  std::string ext = LowerExtension(path);
  if (ext == ".json") return ParseJson(path, content);
  if (ext == ".yml" || ext == ".yaml") return ParseYaml(path, content);
  return Status::InvalidArgument(path + ": unknown file extension (want .json, .yml or .yaml)");
}

FileDiscoverer::FileDiscoverer(boost::asio::any_io_executor executor, config::FileSdConfig config,
                               Options options)
    : config_(std::move(config)),
      options_(options),
      strand_(boost::asio::make_strand(std::move(executor))),
      timer_(strand_) {}

FileDiscoverer::~FileDiscoverer() { Stop(); }

void FileDiscoverer::Start(UpdateFn on_update) {
  on_update_ = std::move(on_update);
  if (!pending_.TryAdd()) return;
  started_ = true;
  boost::asio::post(strand_, [this] { Tick(/*initial=*/true); });
}

void FileDiscoverer::Stop() {
  pending_.BeginStop();
  if (started_) {
    pending_.Add();
    boost::asio::post(strand_, [this] {
      timer_.cancel();
      pending_.Done();
    });
  }
  pending_.WaitIdle();
}

void FileDiscoverer::Tick(bool initial) {
  if (!pending_.Stopping()) {
    auto now = std::chrono::steady_clock::now();
    bool full = initial || now >= next_full_refresh_;
    if (full) {
      next_full_refresh_ = now + std::chrono::milliseconds(config_.refresh_interval_ms);
    }
    std::vector<TargetGroup> changed = Refresh(full);
    if (initial || !changed.empty()) on_update_(std::move(changed));
    ScheduleTick();
  }
  pending_.Done();
}

void FileDiscoverer::ScheduleTick() {
  if (!pending_.TryAdd()) return;
  auto now = std::chrono::steady_clock::now();
  auto next = std::min(now + options_.poll_interval, next_full_refresh_);
  timer_.expires_at(next);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) {
      pending_.Done();
      return;
    }
    Tick(/*initial=*/false);
  });
}

std::vector<TargetGroup> FileDiscoverer::Refresh(bool full) {
  std::vector<TargetGroup> changed;
  std::set<std::string> present;
  for (const std::string& path : ExpandGlobs(config_.files)) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;  // gone since the glob: handled below
    present.insert(path);
    int64_t mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    auto it = files_.find(path);
    if (!full && it != files_.end() && it->second.mtime_ns == mtime_ns &&
        it->second.size == st.st_size) {
      continue;
    }
    FileState& state = files_[path];
    state.mtime_ns = mtime_ns;
    state.size = st.st_size;
    auto content = ReadFileUpTo(path, kMaxConfigFileBytes);
    auto groups = content.ok() ? ParseTargetGroupFile(path, *content)
                               : Result<std::vector<TargetGroup>>(content.status());
    if (!groups.ok()) {
      LogError("file_sd", "error reading file, keeping its last good target groups",
               {{"path", path}, {"err", groups.status().message()}});
      continue;
    }
    std::vector<TargetGroup>& old = state.groups;
    for (size_t i = 0; i < groups->size(); ++i) {
      if (i >= old.size() || !SameGroup(old[i], (*groups)[i])) changed.push_back((*groups)[i]);
    }
    for (size_t i = groups->size(); i < old.size(); ++i) {
      changed.push_back(TargetGroup{old[i].source, {}, {}});
    }
    old = std::move(groups).value();
  }
  for (auto it = files_.begin(); it != files_.end();) {
    if (present.contains(it->first)) {
      ++it;
      continue;
    }
    for (const TargetGroup& g : it->second.groups) changed.push_back(TargetGroup{g.source, {}, {}});
    it = files_.erase(it);
  }
  return changed;
}

}  // namespace andon::scrape
