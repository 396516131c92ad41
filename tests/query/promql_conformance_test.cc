// Runs the upstream PromQL test scripts (shared/conformance/promql/*.test, Prometheus
// v2.42.0; the language is described in FORMAT.md there) against the engine, the way
// upstream's promql/test.go does: each eval runs as an instant query, then as a range query
// from t-1m to t+1m step 1m whose points at t must match too, and again with `@ t` pinned on
// every selector and outermost subquery, evaluated at other instants. Samples are loaded
// into an in-memory Head. Failures not listed in promql_expected_failures.txt fail the test.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "query/ast.h"
#include "query/engine.h"
#include "query/functions.h"
#include "query/parser.h"
#include "tsdb/head.h"
#include "tsdb/sample.h"

namespace andon::query {
namespace {

std::string Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

// Prometheus durations: 1h30m, 5m, 10s, 1ms, 0.
bool ParseDuration(std::string_view s, int64_t* out) {
  if (s == "0") {
    *out = 0;
    return true;
  }
  int64_t total = 0;
  size_t i = 0;
  if (s.empty()) return false;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j == i) return false;
    int64_t n = std::stoll(std::string(s.substr(i, j - i)));
    size_t k = j;
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]))) ++k;
    std::string_view unit = s.substr(j, k - j);
    int64_t mult;
    if (unit == "ms") {
      mult = 1;
    } else if (unit == "s") {
      mult = 1000;
    } else if (unit == "m") {
      mult = 60'000;
    } else if (unit == "h") {
      mult = 3'600'000;
    } else if (unit == "d") {
      mult = 86'400'000;
    } else if (unit == "w") {
      mult = 7 * 86'400'000LL;
    } else if (unit == "y") {
      mult = 365 * 86'400'000LL;
    } else {
      return false;
    }
    total += n * mult;
    i = k;
  }
  *out = total;
  return true;
}

bool ParseNumber(std::string_view s, double* out) {
  std::string str(s);
  if (str.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(str.c_str(), &end);
  if (end != str.c_str() + str.size()) return false;
  *out = v;
  return true;
}

// A series description: labels and the expanded values (nullopt = omitted slot).
struct SeriesDesc {
  Labels labels;
  std::vector<std::optional<double>> values;
};

// Parses `name{a="b", ...} v1 v2 ...`; returns false on a syntax error.
bool ParseSeriesDesc(const std::string& line, SeriesDesc* out, std::string* err) {
  size_t i = 0;
  LabelsBuilder b;
  while (i < line.size() && line[i] != '{' && line[i] != ' ' && line[i] != '\t') ++i;
  if (i > 0) b.Set("__name__", line.substr(0, i));
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (true) {
      while (i < line.size() && (line[i] == ' ' || line[i] == ',' || line[i] == '\t')) ++i;
      if (i >= line.size()) {
        *err = "unterminated labels";
        return false;
      }
      if (line[i] == '}') {
        ++i;
        break;
      }
      size_t ns = i;
      while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) ||
                                 line[i] == '_' || line[i] == ':')) {
        ++i;
      }
      std::string name = line.substr(ns, i - ns);
      while (i < line.size() && line[i] == ' ') ++i;
      if (i >= line.size() || line[i] != '=') {
        *err = "expected = in labels";
        return false;
      }
      ++i;
      while (i < line.size() && line[i] == ' ') ++i;
      if (i >= line.size() || (line[i] != '"' && line[i] != '\'')) {
        *err = "expected quoted label value";
        return false;
      }
      char q = line[i++];
      std::string value;
      while (i < line.size() && line[i] != q) {
        if (line[i] == '\\' && i + 1 < line.size()) {
          char c = line[i + 1];
          value.push_back(c == 'n' ? '\n' : c == 't' ? '\t' : c);
          i += 2;
        } else {
          value.push_back(line[i++]);
        }
      }
      ++i;
      b.Set(name, value);
    }
  }
  out->labels = b.Build();
  std::istringstream in(line.substr(i));
  std::string tok;
  while (in >> tok) {
    if (tok == "stale") {
      out->values.push_back(kStaleNaN);
      continue;
    }
    if (tok[0] == '_') {
      int64_t times = 1;
      if (tok.size() > 1) {
        if (tok[1] != 'x') {
          *err = "bad token " + tok;
          return false;
        }
        times = std::stoll(tok.substr(2));
      }
      for (int64_t k = 0; k < times; ++k) out->values.push_back(std::nullopt);
      continue;
    }
    size_t x = tok.find('x');
    if (x == std::string::npos) {
      double v;
      if (!ParseNumber(tok, &v)) {
        *err = "bad number " + tok;
        return false;
      }
      out->values.push_back(v);
      continue;
    }
    int64_t times = std::stoll(tok.substr(x + 1));
    std::string base = tok.substr(0, x);
    // A, then optionally +B or -B. strtod reads A (with its exponent) first.
    const char* s = base.c_str();
    char* end = nullptr;
    double a = std::strtod(s, &end);
    if (end == s) {
      *err = "bad number " + tok;
      return false;
    }
    double inc = 0;
    if (*end != '\0') {
      double bv;
      if (!ParseNumber(end, &bv)) {
        *err = "bad increment " + tok;
        return false;
      }
      inc = bv;
    }
    double v = a;
    for (int64_t k = 0; k <= times; ++k) {
      out->values.push_back(v);
      v += inc;
    }
  }
  return true;
}

struct Expectation {
  bool scalar = false;
  double scalar_value = 0;
  std::vector<std::pair<Labels, double>> series;
};

struct EvalCmd {
  std::string file;
  int line = 0;
  bool fail = false;
  bool ordered = false;
  int64_t t = 0;
  std::string expr;
  Expectation want;
};

bool AlmostEqual(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  constexpr double kMinNormal = 2.2250738585072014e-308;
  double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || diff < kMinNormal) return diff < 1e-6 * kMinNormal;
  return diff / (std::fabs(a) + std::fabs(b)) < 1e-6;
}

std::string Compare(const EvalCmd& cmd, const Value& got) {
  if (cmd.want.scalar) {
    if (!std::holds_alternative<Scalar>(got)) return "expected a scalar";
    double v = std::get<Scalar>(got).v;
    if (!AlmostEqual(cmd.want.scalar_value, v)) {
      return "expected scalar " + std::to_string(cmd.want.scalar_value) + ", got " +
             std::to_string(v);
    }
    return "";
  }
  if (!std::holds_alternative<Vector>(got)) return "expected a vector";
  const Vector& vec = std::get<Vector>(got);
  std::map<std::string, std::pair<size_t, double>> want;
  for (size_t i = 0; i < cmd.want.series.size(); ++i) {
    want[cmd.want.series[i].first.ToString()] = {i, cmd.want.series[i].second};
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < vec.size(); ++i) {
    std::string key = vec[i].metric.ToString();
    auto it = want.find(key);
    if (it == want.end()) return "unexpected metric " + key + " in result";
    if (cmd.ordered && it->second.first != i) {
      return "expected metric " + key + " at position " + std::to_string(it->second.first) +
             ", got " + std::to_string(i);
    }
    if (!AlmostEqual(it->second.second, vec[i].v)) {
      std::ostringstream os;
      os.precision(17);
      os << "expected " << it->second.second << " for " << key << ", got " << vec[i].v;
      return os.str();
    }
    seen.insert(key);
  }
  for (const auto& [key, v] : want) {
    if (!seen.count(key)) return "expected metric " + key + " not found";
  }
  return "";
}

bool IsAtUnsafe(FunctionId id) {
  switch (id) {
    case FunctionId::kDaysInMonth:
    case FunctionId::kDayOfMonth:
    case FunctionId::kDayOfWeek:
    case FunctionId::kDayOfYear:
    case FunctionId::kHour:
    case FunctionId::kMinute:
    case FunctionId::kMonth:
    case FunctionId::kYear:
    case FunctionId::kPredictLinear:
    case FunctionId::kTime:
    case FunctionId::kTimestamp:
      return true;
    default:
      return false;
  }
}

// Pins `@ t` on selectors and outermost subqueries without one (upstream's
// atModifierTestCases); false when the expression calls a time-dependent function.
bool PinAt(Expr& e, int64_t t, bool* unsafe) {
  AtModifier at;
  at.kind = AtModifier::Kind::kTimestamp;
  at.timestamp_ms = t;
  switch (e.kind) {
    case NodeKind::kVectorSelector: {
      auto& vs = e.As<VectorSelector>();
      if (vs.at.kind == AtModifier::Kind::kNone) vs.at = at;
      break;
    }
    case NodeKind::kMatrixSelector: {
      auto& vs = *e.As<MatrixSelector>().selector;
      if (vs.at.kind == AtModifier::Kind::kNone) vs.at = at;
      break;
    }
    case NodeKind::kSubquery: {
      auto& sq = e.As<SubqueryExpr>();
      if (sq.at.kind == AtModifier::Kind::kNone) sq.at = at;
      break;  // nodes inside keep their own times
    }
    case NodeKind::kCall: {
      auto& c = e.As<Call>();
      if (IsAtUnsafe(c.func->id)) *unsafe = true;
      for (auto& a : c.args) PinAt(*a, t, unsafe);
      break;
    }
    case NodeKind::kAggregate: {
      auto& a = e.As<AggregateExpr>();
      if (a.param) PinAt(*a.param, t, unsafe);
      PinAt(*a.expr, t, unsafe);
      break;
    }
    case NodeKind::kBinary:
      PinAt(*e.As<BinaryExpr>().lhs, t, unsafe);
      PinAt(*e.As<BinaryExpr>().rhs, t, unsafe);
      break;
    case NodeKind::kUnary:
      PinAt(*e.As<UnaryExpr>().expr, t, unsafe);
      break;
    case NodeKind::kParen:
      PinAt(*e.As<ParenExpr>().expr, t, unsafe);
      break;
    default:
      break;
  }
  return !*unsafe;
}

class Runner {
 public:
  explicit Runner(Engine& engine) : engine_(engine) { Clear(); }

  void Clear() { head_ = std::make_unique<Head>(); }

  std::string Load(int64_t step, const std::vector<SeriesDesc>& block) {
    // The last line of a series in one block wins.
    std::map<std::string, const SeriesDesc*> last;
    std::vector<const SeriesDesc*> order;
    for (const SeriesDesc& d : block) {
      auto [it, inserted] = last.try_emplace(d.labels.ToString(), &d);
      if (!inserted) {
        std::replace(order.begin(), order.end(), it->second, &d);
        it->second = &d;
      } else {
        order.push_back(&d);
      }
    }
    auto app = head_->NewAppender();
    for (const SeriesDesc* d : order) {
      for (size_t i = 0; i < d->values.size(); ++i) {
        if (!d->values[i]) continue;
        auto r = app->Append(0, d->labels, static_cast<int64_t>(i) * step, *d->values[i]);
        if (!r.ok()) return r.status().message();
      }
    }
    Status st = app->Commit();
    return st.ok() ? "" : st.message();
  }

  // Empty when the eval passes; else what went wrong.
  std::string Eval(const EvalCmd& cmd) {
    auto q = head_->NewQuerier();
    std::vector<std::pair<std::string, int64_t>> queries = {{cmd.expr, cmd.t}};
    auto parsed = ParseExpr(cmd.expr);
    if (!parsed.ok()) return "parse: " + parsed.status().message();
    bool unsafe = false;
    if (PinAt(**parsed, cmd.t, &unsafe)) {
      std::string pinned = (*parsed)->String();
      std::vector<int64_t> times = {-10 * cmd.t, 0, cmd.t / 5, cmd.t, 10 * cmd.t};
      if (cmd.t == 0) times = {-1000, 0, 1000};
      for (int64_t t : times) queries.push_back({pinned, t});
    }
    for (const auto& [expr, t] : queries) {
      ++instant_queries;
      auto res = engine_.Instant(*q, expr, t);
      if (res.error) {
        if (cmd.fail) continue;
        return "error evaluating " + expr + " at " + std::to_string(t) + ": " + res.error->message;
      }
      if (cmd.fail) return "expected an error evaluating " + expr + " but got none";
      std::string d = Compare(cmd, res.value);
      if (!d.empty()) return expr + " at " + std::to_string(t) + ": " + d;
      ++range_queries;
      auto range = engine_.Range(*q, expr, t - 60000, t + 60000, 60000);
      if (range.error) {
        return "error evaluating " + expr + " in range mode: " + range.error->message;
      }
      if (cmd.ordered) continue;
      const Matrix& m = std::get<Matrix>(range.value);
      Vector vec;
      for (const MatrixSeries& s : m) {
        for (const FPoint& p : s.points) {
          if (p.t == t) {
            vec.push_back(VectorSample{s.metric, p.t, p.v});
            break;
          }
        }
      }
      Value v;
      if (std::holds_alternative<Scalar>(res.value)) {
        if (vec.empty()) return expr + " range mode: no point at t";
        v = Scalar{t, vec[0].v};
      } else {
        v = std::move(vec);
      }
      d = Compare(cmd, v);
      if (!d.empty()) return expr + " at " + std::to_string(t) + " (range mode): " + d;
    }
    return "";
  }

  int64_t instant_queries = 0;
  int64_t range_queries = 0;

 private:
  Engine& engine_;
  std::unique_ptr<Head> head_;
};

std::filesystem::path ScriptDir() {
  const char* env = std::getenv("ANDON_SHARED_DIR");
  return std::filesystem::path(env ? env : ANDON_SHARED_DIR) / "conformance" / "promql";
}

// "file:line" -> reason.
std::map<std::string, std::string> ExpectedFailures() {
  std::map<std::string, std::string> out;
  std::ifstream in(std::filesystem::path(ANDON_SOURCE_DIR) / "tests" / "query" /
                   "promql_expected_failures.txt");
  std::string line;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.find_first_of(" \t");
    std::string key = line.substr(0, sp);
    out[key] = sp == std::string::npos ? "" : Trim(line.substr(sp));
  }
  return out;
}

TEST(PromqlConformanceTest, UpstreamScriptsPass) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(ScriptDir())) {
    for (const auto& entry : std::filesystem::directory_iterator(ScriptDir())) {
      if (entry.path().extension() == ".test") files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "no scripts under " << ScriptDir();
  auto expected = ExpectedFailures();
  for (const auto& [key, reason] : expected) {
    EXPECT_FALSE(reason.empty()) << key << " is listed without a reason";
  }
  EngineOptions opts;
  opts.timeout_ms = 100'000;  // upstream's harness settings
  opts.max_samples = 10'000;
  Engine engine(opts);
  int total = 0;
  int passed = 0;
  std::set<std::string> failed_keys;
  for (const auto& path : files) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    std::string l;
    while (std::getline(in, l)) lines.push_back(Trim(l));
    const std::string file = path.filename().string();
    Runner runner(engine);
    int file_total = 0;
    int file_passed = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string& line = lines[i];
      if (line.empty() || line[0] == '#') continue;
      std::string word = line.substr(0, line.find_first_of(" \t"));
      for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (word == "clear") {
        runner.Clear();
        continue;
      }
      if (word == "load") {
        int64_t step = 0;
        ASSERT_TRUE(ParseDuration(Trim(line.substr(4)), &step)) << file << ":" << i + 1;
        std::vector<SeriesDesc> block;
        while (i + 1 < lines.size() && !lines[i + 1].empty() && lines[i + 1][0] != '#') {
          ++i;
          SeriesDesc d;
          std::string err;
          ASSERT_TRUE(ParseSeriesDesc(lines[i], &d, &err)) << file << ":" << i + 1 << ": " << err;
          block.push_back(std::move(d));
        }
        std::string err = runner.Load(step, block);
        ASSERT_TRUE(err.empty()) << file << ":" << i + 1 << ": " << err;
        continue;
      }
      ASSERT_EQ(word.rfind("eval", 0), 0u) << file << ":" << i + 1 << ": invalid command";
      EvalCmd cmd;
      cmd.file = file;
      cmd.line = static_cast<int>(i + 1);
      cmd.fail = word == "eval_fail";
      cmd.ordered = word == "eval_ordered";
      std::istringstream hs(line);
      std::string w, mode, at, dur;
      hs >> w >> mode >> at >> dur;
      ASSERT_EQ(mode, "instant") << file << ":" << i + 1;
      ASSERT_TRUE(ParseDuration(dur, &cmd.t)) << file << ":" << i + 1;
      std::getline(hs, cmd.expr);
      cmd.expr = Trim(cmd.expr);
      while (i + 1 < lines.size() && !lines[i + 1].empty() && lines[i + 1][0] != '#') {
        ++i;
        double v;
        if (ParseNumber(lines[i], &v)) {
          cmd.want.scalar = true;
          cmd.want.scalar_value = v;
          break;  // a scalar line ends the expectations
        }
        SeriesDesc d;
        std::string err;
        ASSERT_TRUE(ParseSeriesDesc(lines[i], &d, &err)) << file << ":" << i + 1 << ": " << err;
        ASSERT_EQ(d.values.size(), 1u) << file << ":" << i + 1;
        cmd.want.series.push_back({d.labels, d.values[0].value_or(0)});
      }
      ++file_total;
      std::string result = runner.Eval(cmd);
      const std::string key = file + ":" + std::to_string(cmd.line);
      if (result.empty()) {
        ++file_passed;
        continue;
      }
      failed_keys.insert(key);
      if (!expected.count(key)) {
        ADD_FAILURE() << key << ": " << cmd.expr << "\n  " << result;
      }
    }
    std::cout << "[conformance] " << file << ": " << file_passed << "/" << file_total << " passed ("
              << runner.instant_queries << " instant, " << runner.range_queries
              << " range queries)\n";
    total += file_total;
    passed += file_passed;
  }
  for (const auto& [key, reason] : expected) {
    if (!failed_keys.count(key)) {
      std::cout << "[conformance] note: " << key << " is listed as an expected failure but "
                << "passes\n";
    }
  }
  std::cout << "[conformance] total: " << passed << "/" << total << " passed\n";
  RecordProperty("passed", passed);
  RecordProperty("total", total);
  EXPECT_GT(total, 500);
}

}  // namespace
}  // namespace andon::query
