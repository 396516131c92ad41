// tests/integration/andon_process.h
//
// Test fixtures for integration tests: AndonProcess runs the real `andon` binary as a
// child process on a loopback port with a temporary data directory, captures its stderr,
// and stops it with a signal; HttpGet/HttpRaw speak HTTP/1.1 to it over loopback.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace andon::testing {

struct HttpResult {
  int status = 0;  // 0 when the connection failed
  std::string body;
  std::string content_type;
  std::string error;
};

// Sends one request and reads the response.
inline HttpResult HttpRequestTo(uint16_t port, const std::string& method, const std::string& target,
                                const std::string& body = "", const std::string& content_type = "",
                                std::vector<std::pair<std::string, std::string>> headers = {}) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  HttpResult out;
  try {
    boost::asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    for (auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(256 * 1024 * 1024);
    http::read(stream, buf, parser);
    out.status = static_cast<int>(parser.get().result_int());
    out.body = parser.get().body();
    out.content_type = std::string(parser.get()[http::field::content_type]);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return out;
}

inline HttpResult HttpGet(uint16_t port, const std::string& target) {
  return HttpRequestTo(port, "GET", target);
}

// Writes raw bytes and returns whatever the server sends back until it closes or 5 s pass.
// The value of `series` (name with its labels, as /metrics writes it) in the /metrics of
// the server on `port`; -1 when absent.
inline double MetricValue(uint16_t port, const std::string& series) {
  const std::string body = HttpGet(port, "/metrics").body;
  size_t at = body.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + series.size() + 2));
}

inline std::string HttpRaw(uint16_t port, const std::string& bytes) {
  boost::asio::io_context ioc;
  boost::beast::tcp_stream stream(ioc);
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  stream.expires_after(std::chrono::seconds(5));
  boost::asio::write(stream.socket(), boost::asio::buffer(bytes));
  std::string out;
  char buf[4096];
  boost::system::error_code ec;
  for (;;) {
    size_t n = stream.socket().read_some(boost::asio::buffer(buf), ec);
    if (ec) break;
    out.append(buf, n);
    if (out.find("\r\n\r\n") != std::string::npos &&
        out.find("Content-Length") != std::string::npos) {
      size_t hdr_end = out.find("\r\n\r\n") + 4;
      size_t cl = out.find("Content-Length: ");
      size_t len = std::stoul(out.substr(cl + 16));
      if (out.size() >= hdr_end + len) break;
    }
  }
  return out;
}

// A keep-alive connection that has had one GET answered (so the server has accepted it)
// and stays open, idle, until destroyed: it holds one of the server's connection slots.
class HeldConnection {
 public:
  HeldConnection(uint16_t port, const std::string& target) : stream_(ioc_) {
    namespace http = boost::beast::http;
    try {
      stream_.expires_after(std::chrono::seconds(10));
      stream_.connect(
          boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
      http::request<http::empty_body> req{http::verb::get, target, 11};
      req.set(http::field::host, "127.0.0.1");
      http::write(stream_, req);
      boost::beast::flat_buffer buf;
      http::response<http::string_body> res;
      http::read(stream_, buf, res);
      status_ = static_cast<int>(res.result_int());
    } catch (const std::exception&) {
      status_ = 0;
    }
  }
  // The status of the first answer; 0 when the connection failed.
  int status() const { return status_; }

 private:
  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  int status_ = 0;
};

inline uint16_t FreeLoopbackPort() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(
      ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

inline std::filesystem::path MakeTempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  char* made = mkdtemp(tmpl.data());
  return made ? std::filesystem::path(made) : std::filesystem::path();
}

inline void WriteFile(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `andon ARGS...` to completion and returns (exit code, stdout+stderr).
inline std::pair<int, std::string> RunAndon(const std::vector<std::string>& args) {
  auto dir = MakeTempDir("andon-run-");
  std::string out_path = (dir / "out").string();
  std::string cmd = ANDON_BINARY;
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " >" + out_path + " 2>&1 </dev/null";
  int rc = std::system(cmd.c_str());
  std::string out = ReadFile(out_path);
  std::filesystem::remove_all(dir);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

// Runs `command` through the shell to completion; returns (exit code, stdout+stderr).
inline std::pair<int, std::string> RunShell(const std::string& command) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return {-1, ""};
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int rc = pclose(p);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

// A running `andon` server process.
// Starts argv[0] with stderr (and stdout, unless `stdout_to_log` is false: then /dev/null)
// written to `log`, and waits up to 30 s until GET /-/ready on `port` answers 200 (or
// `ready(port)` holds, when given: for servers behind TLS or authentication). Returns
// the pid, or -1 when it could not start, exited, or never got ready (then it is killed).
inline pid_t SpawnUntilReady(std::vector<std::string> argv, const std::filesystem::path& log,
                             bool stdout_to_log, uint16_t port,
                             const std::function<bool(uint16_t)>& ready = nullptr) {
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 1, stdout_to_log ? log.c_str() : "/dev/null",
                                   O_WRONLY | O_APPEND, 0644);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready ? ready(port) : HttpGet(port, "/-/ready").status == 200) return pid;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

class AndonProcess {
 public:
  explicit AndonProcess(std::vector<std::string> extra_args = {}) : args_(std::move(extra_args)) {
    dir_ = MakeTempDir("andon-it-");
  }
  ~AndonProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }

  const std::filesystem::path& dir() const { return dir_; }
  uint16_t port() const { return port_; }

  // Starts the server and waits until /-/ready answers 200, or `ready(port)` holds (up to
  // 30 s).
  bool Start(const std::function<bool(uint16_t)>& ready = nullptr) {
    port_ = FreeLoopbackPort();
    std::vector<std::string> argv = {ANDON_BINARY,
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                     "--storage.tsdb.path=" + (dir_ / "data").string()};
    argv.insert(argv.end(), args_.begin(), args_.end());
    pid_ =
        SpawnUntilReady(std::move(argv), dir_ / "andon.log", /*stdout_to_log=*/true, port_, ready);
    return pid_ > 0;
  }

  void Signal(int sig) { kill(pid_, sig); }

  // Sends `sig` and waits up to `timeout` for exit; returns the exit code, or -1 when it
  // did not exit (then it is killed) or died from a signal.
  int StopWith(int sig, std::chrono::seconds timeout = std::chrono::seconds(30)) {
    kill(pid_, sig);
    return WaitForExit(timeout);
  }

  // Waits up to `timeout` for the server to exit by itself; the exit code as StopWith.
  int WaitForExit(std::chrono::seconds timeout = std::chrono::seconds(30)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  std::string Log() const { return ReadFile(dir_ / "andon.log"); }

 private:
  std::vector<std::string> args_;
  std::filesystem::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace andon::testing
