// tests/integration/victoria_metrics_process.h
//
// VictoriaMetricsProcess: Debian's single-node VictoriaMetrics (/usr/bin/victoria-metrics)
// as a real remote-write receiver in integration tests, on a loopback port and data
// directory that stay the same across Stop() and Start(), so a test can restart it.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/integration/andon_process.h"

namespace andon::testing {

inline constexpr const char* kVictoriaMetricsBinary = "/usr/bin/victoria-metrics";

class VictoriaMetricsProcess {
 public:
  VictoriaMetricsProcess() : dir_(MakeTempDir("andon-vm-")), port_(FreeLoopbackPort()) {}
  ~VictoriaMetricsProcess() {
    Stop();
    std::filesystem::remove_all(dir_);
  }
  VictoriaMetricsProcess(const VictoriaMetricsProcess&) = delete;
  VictoriaMetricsProcess& operator=(const VictoriaMetricsProcess&) = delete;

  uint16_t port() const { return port_; }

  // Starts it (again) and waits until /health answers 200. Identical samples (same series
  // and timestamp) are kept once, as a remote-write receiver for an HA pair is set up.
  bool Start() {
    ++starts_;
    std::vector<std::string> argv = {kVictoriaMetricsBinary,
                                     "-httpListenAddr=127.0.0.1:" + std::to_string(port_),
                                     "-storageDataPath=" + (dir_ / "data").string(),
                                     "-dedup.minScrapeInterval=1ms",
                                     "-search.latencyOffset=0s",
                                     "-search.disableCache"};
    pid_ = SpawnUntilReady(std::move(argv), dir_ / ("vm" + std::to_string(starts_) + ".log"),
                           /*stdout_to_log=*/true, port_,
                           [](uint16_t port) { return HttpGet(port, "/health").status == 200; });
    return pid_ > 0;
  }

  // SIGTERM (VictoriaMetrics flushes what it holds) and waits for the exit.
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::string Log() const {
    std::string out;
    for (int i = 1; i <= starts_; ++i) out += ReadFile(dir_ / ("vm" + std::to_string(i) + ".log"));
    return out;
  }

 private:
  std::filesystem::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  int starts_ = 0;
};

}  // namespace andon::testing
