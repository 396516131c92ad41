// scrape/file_discovery.h
//
// `file_sd_configs`: target groups read from JSON (*.json) and YAML (*.yml, *.yaml) files
// matched by the config's glob patterns. A file holds a list of groups
// `[{targets: ["host:port", ...], labels: {name: value, ...}}, ...]`; group i of file
// <path> has source "<path>:<i>" and the group label `__meta_filepath="<path>"`, and each
// target becomes {__address__="<target>"}. YAML files are read strictly (unknown keys are
// errors); JSON files ignore unknown keys, as Prometheus does.
//
// Refresh: every `poll_interval` the globs are expanded again and files that are new or whose
// modification time or size changed are re-read; every `refresh_interval` all files are
// re-read. Only groups that changed are reported; a file that now has fewer groups reports
// its surplus sources empty, and a file that disappeared reports all its sources empty. A
// file that cannot be read or parsed is logged (component "file_sd", with path and error)
// and its last good groups stay in force.
//
// Threading as the Discoverer contract (scrape/target_group.h). All work, including file
// reads, runs on a strand of the executor given to the constructor. Stop() needs that
// executor to keep running until it returns.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/status.h"
#include "scrape/pending_handlers.h"
#include "scrape/target_group.h"

namespace andon::scrape {

// Parses one file's content. `path` names the file in the groups (source, __meta_filepath)
// and in errors; its extension picks the format.
Result<std::vector<TargetGroup>> ParseTargetGroupFile(const std::string& path,
                                                      std::string_view content);

class FileDiscoverer final : public Discoverer {
 public:
  struct Options {
    std::chrono::milliseconds poll_interval{std::chrono::seconds(5)};
  };

  FileDiscoverer(boost::asio::any_io_executor executor, config::FileSdConfig config,
                 Options options);
  FileDiscoverer(boost::asio::any_io_executor executor, config::FileSdConfig config)
      : FileDiscoverer(std::move(executor), std::move(config), Options()) {}
  ~FileDiscoverer() override;  // calls Stop()

  void Start(UpdateFn on_update) override;
  void Stop() override;

 private:
  struct FileState {
    int64_t mtime_ns = 0;
    int64_t size = -1;
    std::vector<TargetGroup> groups;  // last good groups
  };

  void Tick(bool initial);
  void ScheduleTick();
  // Re-reads what needs it and returns the changed groups.
  std::vector<TargetGroup> Refresh(bool full);

  const config::FileSdConfig config_;
  const Options options_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  // The members below are used only from handlers on strand_.
  boost::asio::steady_timer timer_;
  std::map<std::string, FileState> files_;
  std::chrono::steady_clock::time_point next_full_refresh_;
  UpdateFn on_update_;                // set by Start() before the first handler is posted
  std::atomic<bool> started_{false};  // Start() was called; read by Stop()
  PendingHandlers pending_;
};

}  // namespace andon::scrape
