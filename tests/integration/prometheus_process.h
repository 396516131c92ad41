// tests/integration/prometheus_process.h
//
// PrometheusProcess: Debian's Prometheus 2.42 (/usr/bin/prometheus) as a real peer in
// integration tests, on a free loopback port with a temporary directory for its config,
// rule files and data. Start() writes the given prometheus.yml and waits until it is ready;
// the destructor kills it and removes the directory.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/integration/andon_process.h"

namespace andon::testing {

inline constexpr const char* kPrometheusBinary = "/usr/bin/prometheus";

class PrometheusProcess {
 public:
  PrometheusProcess() : dir_(MakeTempDir("andon-prom-")), port_(FreeLoopbackPort()) {}
  ~PrometheusProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }
  PrometheusProcess(const PrometheusProcess&) = delete;
  PrometheusProcess& operator=(const PrometheusProcess&) = delete;

  // Where the test may put files the config refers to (rule files).
  const std::filesystem::path& dir() const { return dir_; }
  uint16_t port() const { return port_; }

  // Writes prometheus.yml and starts it with `extra_args` as more flags.
  bool Start(const std::string& prometheus_yml, const std::vector<std::string>& extra_args = {}) {
    WriteFile(dir_ / "prometheus.yml", prometheus_yml);
    std::vector<std::string> argv = {kPrometheusBinary,
                                     "--config.file=" + (dir_ / "prometheus.yml").string(),
                                     "--storage.tsdb.path=" + (dir_ / "data").string(),
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_)};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    pid_ = SpawnUntilReady(std::move(argv), dir_ / "prometheus.log", /*stdout_to_log=*/true, port_);
    return pid_ > 0;
  }
  std::string Log() const { return ReadFile(dir_ / "prometheus.log"); }

 private:
  std::filesystem::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace andon::testing
