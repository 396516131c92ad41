// bench/remote_write_sender.cc: the remote-write load generator of bench/remote_write_compare
// and bench/remote_write_send_compare.
//
// Builds --series series (10 metric names x instances, 6 labels each, values that look like
// counters and gauges) and --rounds rounds of one sample per series, `interval_ms` apart and
// ending now (or --end-offset-ms after now: a relaying server's remote-write queue sends
// only samples newer than its own start, as Prometheus's does). Every round is cut into
// WriteRequests of --batch samples (Prometheus's default max_samples_per_send is 500), all
// encoded (protobuf + snappy) before anything is sent.
// --connections keep-alive HTTP/1.1 connections then POST them: connection k owns requests
// k, k+C, ... of every round and goes round by round, so each series' samples arrive in
// time order. The first --warmup rounds create the series and are not measured; over the
// rest the sender measures wall time and, with --pid, the receiving process's CPU time
// (/proc/<pid>/stat). Prints one JSON line:
//   {"samples": measured samples, "seconds": wall, "cpu_seconds": receiver CPU,
//    "requests": measured requests, "errors": non-2xx answers, "first_error": "..."}
#include <unistd.h>

// clang-format off
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange
// clang-format on

#include <atomic>
#include <barrier>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "remote/write_request_codec.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using andon::remote::prompb::WriteRequest;

struct Options {
  int port = 0;
  int series = 20000;
  int rounds = 60;
  int warmup = 2;
  int batch = 500;
  int connections = 4;
  int interval_ms = 1000;
  int end_offset_ms = 0;
  int pid = 0;
};

double CpuSeconds(int pid) {
  if (pid == 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  long long utime = 0, stime = 0;
  for (int i = 3; fields >> f; ++i) {
    if (i == 14) utime = std::stoll(f);
    if (i == 15) {
      stime = std::stoll(f);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// bodies[round][request]
std::vector<std::vector<std::string>> EncodeRounds(const Options& o) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t t0 = now + o.end_offset_ms - static_cast<int64_t>(o.rounds) * o.interval_ms;
  std::mt19937_64 rng(42);
  std::vector<double> value(o.series);
  for (double& v : value) v = static_cast<double>(rng() % 100000);
  std::vector<std::vector<std::string>> rounds(o.rounds);
  for (int r = 0; r < o.rounds; ++r) {
    for (int first = 0; first < o.series; first += o.batch) {
      WriteRequest req;
      for (int i = first; i < std::min(o.series, first + o.batch); ++i) {
        auto* ts = req.add_timeseries();
        auto label = [&](const char* n, const std::string& v) {
          auto* l = ts->add_labels();
          l->set_name(n);
          l->set_value(v);
        };
        const int metric = i % 10;
        label("__name__",
              "rw_bench_metric_" + std::to_string(metric) + (metric < 5 ? "_total" : ""));
        label("env", "prod");
        label("instance",
              "10.1." + std::to_string(i / 2560) + "." + std::to_string((i / 10) % 256) + ":9100");
        label("job", "node");
        label("pod", "api-" + std::to_string(i / 10 % 97) + "-x" + std::to_string(i / 970));
        label("team", i % 3 == 0 ? "payments" : "search");
        // Counters grow by small integers; gauges move by two decimals.
        value[i] += metric < 5
                        ? static_cast<double>(rng() % 50)
                        : static_cast<double>(static_cast<int64_t>(rng() % 2001) - 1000) / 100.0;
        auto* s = ts->add_samples();
        s->set_timestamp(t0 + static_cast<int64_t>(r) * o.interval_ms);
        s->set_value(value[i]);
      }
      rounds[r].push_back(andon::remote::EncodeWriteRequest(req));
    }
  }
  return rounds;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (k == "--port")
      o.port = v;
    else if (k == "--series")
      o.series = v;
    else if (k == "--rounds")
      o.rounds = v;
    else if (k == "--warmup")
      o.warmup = v;
    else if (k == "--batch")
      o.batch = v;
    else if (k == "--connections")
      o.connections = v;
    else if (k == "--interval-ms")
      o.interval_ms = v;
    else if (k == "--end-offset-ms")
      o.end_offset_ms = v;
    else if (k == "--pid")
      o.pid = v;
    else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  if (o.port == 0 || o.warmup >= o.rounds) {
    std::fprintf(stderr,
                 "usage: remote_write_sender --port P [--pid PID] [--series N] [--rounds R] "
                 "[--warmup W < R] [--batch B] [--connections C] [--interval-ms MS] "
                 "[--end-offset-ms MS]\n");
    return 2;
  }
  const std::vector<std::vector<std::string>> rounds = EncodeRounds(o);
  const int per_round = static_cast<int>(rounds[0].size());

  std::atomic<uint64_t> errors{0};
  std::mutex error_mu;
  std::string first_error;
  // All connections finish round r before anyone's round r+1 is timed: the barrier at the
  // end of the warm-up lets the measured window start together.
  std::barrier sync(o.connections);
  std::chrono::steady_clock::time_point start;
  double cpu_start = 0;
  auto run = [&](int k) {
    boost::asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                  static_cast<uint16_t>(o.port)));
    beast::flat_buffer buf;
    for (int r = 0; r < o.rounds; ++r) {
      if (r == o.warmup) {
        sync.arrive_and_wait();
        if (k == 0) {
          start = std::chrono::steady_clock::now();
          cpu_start = CpuSeconds(o.pid);
        }
        sync.arrive_and_wait();
      }
      for (int q = k; q < per_round; q += o.connections) {
        http::request<http::string_body> req{http::verb::post, "/api/v1/write", 11};
        req.set(http::field::host, "127.0.0.1");
        req.set(http::field::content_type, "application/x-protobuf");
        req.set(http::field::content_encoding, "snappy");
        req.set("X-Prometheus-Remote-Write-Version", "0.1.0");
        req.body() = rounds[r][q];
        req.prepare_payload();
        http::write(stream, req);
        http::response<http::string_body> res;
        http::read(stream, buf, res);
        if (res.result_int() / 100 != 2) {
          if (errors.fetch_add(1) == 0) {
            std::lock_guard lock(error_mu);
            first_error = std::to_string(res.result_int()) + " " + res.body();
          }
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int k = 0; k < o.connections; ++k) threads.emplace_back(run, k);
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = CpuSeconds(o.pid) - cpu_start;
  const uint64_t measured_rounds = static_cast<uint64_t>(o.rounds - o.warmup);
  std::string escaped;
  for (char c : first_error) {
    if (c == '"' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c == '\n' ? ' ' : c);
  }
  std::printf(
      "{\"samples\": %llu, \"seconds\": %.3f, \"cpu_seconds\": %.3f, \"requests\": %llu, "
      "\"errors\": %llu, \"first_error\": \"%s\"}\n",
      static_cast<unsigned long long>(measured_rounds * static_cast<uint64_t>(o.series)), seconds,
      cpu, static_cast<unsigned long long>(measured_rounds * per_round),
      static_cast<unsigned long long>(errors.load()), escaped.c_str());
  return errors.load() == 0 ? 0 : 1;
}
