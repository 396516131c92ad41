// The runner half of rules/rule_unit_test.h: loads a test group's input series into an
// in-memory Head, evaluates the rule groups step by step, and checks alerts and PromQL
// expressions, following cmd/promtool/unittest.go of Prometheus 2.42.
#include "rules/rule_unit_test.h"

#include <glob.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "common/duration.h"
#include "query/engine.h"
#include "rules/rule_context.h"
#include "rules/rule_file.h"
#include "rules/rule_group.h"
#include "tsdb/head.h"

namespace andon::rules {
namespace {

constexpr int64_t kDefaultEvaluationIntervalMs = 60'000;

// Engine settings of promtool's test loader (promql.NewLazyLoader).
query::EngineOptions UnitTestEngineOptions(int64_t evaluation_interval_ms) {
  query::EngineOptions o;
  o.max_samples = 10'000;
  o.timeout_ms = 100'000;
  o.default_subquery_step_ms = evaluation_interval_ms;
  return o;
}

// A label or annotation set as promtool compares and prints it: every key kept, even with
// an empty value.
using StringPairs = std::map<std::string, std::string>;

std::string PairsString(const StringPairs& m) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out += ", ";
    first = false;
    out += k + "=" + QuoteLabelValue(v);
  }
  return out + "}";
}

StringPairs ToPairs(const Labels& l) {
  StringPairs m;
  for (const Label& x : l) m.emplace(std::string(x.name), std::string(x.value));
  return m;
}

// Prefixes every line but the first with `indent`.
std::string IndentLines(const std::string& lines, const std::string& indent) {
  std::string out;
  size_t start = 0;
  bool first = true;
  while (true) {
    size_t nl = lines.find('\n', start);
    if (!first) out += indent;
    first = false;
    if (nl == std::string::npos) {
      out.append(lines, start, std::string::npos);
      break;
    }
    out.append(lines, start, nl - start + 1);
    start = nl + 1;
  }
  return out;
}

struct AlertView {
  StringPairs labels;
  StringPairs annotations;

  bool operator==(const AlertView&) const = default;
  bool operator<(const AlertView& o) const {
    if (labels != o.labels) return labels < o.labels;
    return annotations < o.annotations;
  }
  std::string String() const {
    return "Labels:" + PairsString(labels) + "\nAnnotations:" + PairsString(annotations);
  }
};

std::string AlertsString(const std::vector<AlertView>& alerts) {
  if (alerts.empty()) return "[]";
  std::string s;
  for (size_t i = 0; i < alerts.size(); ++i) {
    s += i == 0 ? "[\n" : ",\n";
    s += std::to_string(i) + ":" + IndentLines("\n" + alerts[i].String(), "  ");
  }
  return s + "\n]";
}

struct SampleView {
  Labels labels;
  double value;
};

std::string SamplesString(const std::vector<SampleView>& samples) {
  if (samples.empty()) return "nil";
  std::string s;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (i > 0) s += ", ";
    s += samples[i].labels.ToString() + " " + FormatGoFloatE(samples[i].value);
  }
  return s;
}

bool SamplesEqual(const std::vector<SampleView>& a, const std::vector<SampleView>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    // Exact, as reflect.DeepEqual compares floats: NaN never equals NaN.
    if (!(a[i].labels == b[i].labels) || !(a[i].value == b[i].value)) return false;
  }
  return true;
}

// Runs an instant query and turns its result into samples, as promtool's query() does.
std::optional<std::string> Query(const query::Engine& engine, Head& head, const std::string& expr,
                                 int64_t t, std::vector<SampleView>* out) {
  std::unique_ptr<Querier> q = head.NewQuerier();
  query::QueryResult r = engine.Instant(*q, expr, t);
  if (r.error) return r.error->message;
  if (const auto* v = std::get_if<query::Vector>(&r.value)) {
    for (const query::VectorSample& s : *v) out->push_back({s.metric, s.v});
    return std::nullopt;
  }
  if (const auto* s = std::get_if<query::Scalar>(&r.value)) {
    out->push_back({Labels(), s->v});
    return std::nullopt;
  }
  return std::string("rule result is not a vector or scalar");
}

// The input series of a test group, appended lazily up to each evaluation time.
class LazyLoader {
 public:
  // Parses the series as promtool's `load <interval>` block would.
  static Result<LazyLoader> Create(const TestGroup& tg) {
    LazyLoader l;
    std::map<Labels, size_t> index;
    for (const InputSeries& in : tg.input_series) {
      Result<SeriesDescription> d = ParseSeriesDescription(in.series + " " + in.values);
      if (!d.ok()) return d.status();
      Series s;
      s.labels = d->labels;
      for (size_t i = 0; i < d->values.size(); ++i) {
        if (d->values[i]) {
          s.samples.push_back({static_cast<int64_t>(i) * tg.interval_ms, *d->values[i]});
        }
      }
      // The last description of a series wins, as in a `load` block.
      auto [it, inserted] = index.emplace(s.labels, l.series_.size());
      if (inserted) {
        l.series_.push_back(std::move(s));
      } else {
        l.series_[it->second] = std::move(s);
      }
    }
    return l;
  }

  // Appends every sample with a timestamp <= t not appended yet, in one transaction. On an
  // error nothing of this step is kept and the next call tries again (promtool reports the
  // error at every evaluation step).
  Status AppendTill(Head& head, int64_t t) {
    std::unique_ptr<Appender> app = head.NewAppender();
    std::vector<size_t> start(series_.size());
    for (size_t i = 0; i < series_.size(); ++i) start[i] = series_[i].next;
    auto fail = [&](Status s) {
      app->Rollback();
      for (size_t i = 0; i < series_.size(); ++i) series_[i].next = start[i];
      return s;
    };
    for (Series& s : series_) {
      while (s.next < s.samples.size() && s.samples[s.next].t <= t) {
        if (s.labels.empty())
          return fail(Status::InvalidArgument("empty labelset: invalid sample"));
        const Sample& smp = s.samples[s.next++];
        Result<SeriesRef> ref = app->Append(s.ref, s.labels, smp.t, smp.v);
        if (!ref.ok()) return fail(ref.status());
        s.ref = *ref;
      }
    }
    return app->Commit();
  }

 private:
  struct Series {
    Labels labels;
    std::vector<Sample> samples;
    size_t next = 0;
    SeriesRef ref = 0;
  };
  std::vector<Series> series_;
};

// Joins relative rule-file names with the test file's directory and expands globs, warning
// about patterns that match nothing (promtool's resolveAndGlobFilepaths).
std::vector<std::string> ResolveRuleFiles(const std::string& test_file,
                                          const std::vector<std::string>& patterns,
                                          std::vector<std::string>* warnings) {
  std::filesystem::path dir = std::filesystem::path(test_file).parent_path();
  std::vector<std::string> out;
  for (const std::string& p : patterns) {
    std::string full = p;
    if (!p.empty() && std::filesystem::path(p).is_relative() && !dir.empty()) {
      full = (dir / p).lexically_normal().string();
    }
    glob_t g{};
    int rc = glob(full.c_str(), 0, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        // A file matched twice is loaded once (promtool keys its groups by file and name).
        if (std::find(out.begin(), out.end(), g.gl_pathv[i]) == out.end()) {
          out.emplace_back(g.gl_pathv[i]);
        }
      }
    } else {
      warnings->push_back("  WARNING: no file match pattern " + full);
    }
    globfree(&g);
  }
  return out;
}

// Rule-file errors as promtool prints them: "file: 7:15: group ..." (a space after the file
// name), one error per problem.
std::vector<std::string> RuleFileErrors(const std::string& file, const Status& status) {
  std::vector<std::string> out;
  std::istringstream in(status.message());
  std::string line;
  const std::string prefix = file + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0 && line.size() > prefix.size() && line[prefix.size()] != ' ') {
      line = prefix + " " + line.substr(prefix.size());
    }
    out.push_back(line);
  }
  if (out.empty()) out.push_back(file + ": " + status.message());
  return out;
}

// One loaded rule group under test, evaluated by the rule core (rules/rule_group.h) with
// its alerting rules marked restored, so ALERTS is written from the first evaluation.
class GroupUnderTest {
 public:
  GroupUnderTest(const std::string& file, const RuleGroup& def, int64_t interval_ms,
                 const std::string& external_url)
      : evaluator_(file, def, interval_ms, RuleGroupOptions{.external_url = external_url}) {
    evaluator_.SetRestored();
  }

  void Eval(int64_t ts, const RuleContext& ctx, Appender& appender) {
    evaluator_.Eval(ts, ctx, appender, /*sink=*/nullptr);
  }

  // "rule: <name>, time: <t>, err: <error>" lines for the rules that failed at `ts`.
  void Errors(int64_t ts, std::vector<std::string>* out) const {
    for (const RuleSnapshot& r : evaluator_.Snapshot().rules) {
      if (r.health == RuleHealth::kErr) {
        out->push_back("    rule: " + r.rule.name + ", time: " + FormatGoDuration(ts) +
                       ", err: " + r.last_error);
      }
    }
  }

  // Appends the firing alerts of the group's alerting rules called `alertname`.
  void FiringAlerts(const std::string& alertname, std::vector<AlertView>* out) const {
    for (const RuleSnapshot& r : evaluator_.Snapshot().rules) {
      if (!r.rule.alerting() || r.rule.name != alertname) continue;
      for (const RuleAlert& a : r.alerts) {
        if (a.state == AlertState::kFiring) {
          out->push_back({ToPairs(a.labels), ToPairs(a.annotations)});
        }
      }
    }
  }

 private:
  RuleGroupEvaluator evaluator_;
};

std::vector<std::string> RunTestGroup(const TestGroup& tg, int64_t eval_interval,
                                      const std::map<std::string, int>& group_order,
                                      const std::vector<std::string>& rule_files) {
  Result<LazyLoader> loader = LazyLoader::Create(tg);
  if (!loader.ok()) return {loader.status().message()};

  Head head;
  query::Engine engine(UnitTestEngineOptions(eval_interval));

  std::vector<std::string> errs;
  struct Def {
    std::string file;
    RuleGroup group;
  };
  std::vector<Def> defs;
  for (const std::string& f : rule_files) {
    Result<RuleFile> rf = LoadRuleFile(f);
    if (!rf.ok()) {  // promtool stops at the first file that does not load
      for (std::string& e : RuleFileErrors(f, rf.status())) errs.push_back(std::move(e));
      return errs;
    }
    for (RuleGroup& g : rf->groups) defs.push_back({f, std::move(g)});
  }

  // Listed groups in the listed order; the others rank as the first listed one, as
  // promtool's partial order does (kept in file order here).
  auto rank = [&](const Def& d) {
    auto it = group_order.find(d.group.name);
    return it == group_order.end() ? 0 : it->second;
  };
  std::stable_sort(defs.begin(), defs.end(),
                   [&](const Def& a, const Def& b) { return rank(a) < rank(b); });
  std::vector<std::unique_ptr<GroupUnderTest>> groups;
  for (const Def& d : defs) {
    // A group without its own interval takes the test group's (promtool's LoadGroups
    // default); it only matters to alert resending, which no test observes.
    int64_t interval = d.group.interval_ms.value_or(tg.interval_ms);
    if (interval <= 0) interval = eval_interval;
    groups.push_back(std::make_unique<GroupUnderTest>(d.file, d.group, interval, tg.external_url));
  }
  LabelsBuilder external;
  for (const auto& [k, v] : tg.external_labels) external.Set(k, v);
  RuleContext ctx = EngineRuleContext(
      engine, [&head] { return head.NewQuerier(); }, external.Build(), tg.external_url);
  std::unique_ptr<Appender> rule_appender = head.NewAppender();

  int64_t maxt = 0;
  std::map<int64_t, std::vector<const AlertTestCase*>> alert_tests;
  for (const AlertTestCase& a : tg.alert_rule_test) {
    if (a.alertname.empty()) {
      std::string where = tg.name.empty() ? "" : " (in TestGroup " + tg.name + ")";
      return {"an item under alert_rule_test misses required attribute alertname at eval_time " +
              FormatDurationMs(a.eval_time_ms) + where};
    }
    alert_tests[a.eval_time_ms].push_back(&a);
    maxt = std::max(maxt, a.eval_time_ms);
  }
  for (const PromqlTestCase& p : tg.promql_expr_test) maxt = std::max(maxt, p.eval_time_ms);

  auto next_alert_time = alert_tests.begin();
  for (int64_t ts = 0; ts <= maxt; ts += eval_interval) {
    std::vector<std::string> eval_errs;
    Status appended = loader->AppendTill(head, ts);
    if (!appended.ok()) {
      errs.push_back(appended.message());
    } else {
      for (auto& g : groups) {
        g->Eval(ts, ctx, *rule_appender);
        g->Errors(ts, &eval_errs);
      }
    }
    if (!eval_errs.empty()) {
      errs.insert(errs.end(), eval_errs.begin(), eval_errs.end());
      return errs;
    }
    // Alerts asked for at ts <= eval_time < ts + evaluation_interval are compared now.
    while (next_alert_time != alert_tests.end() && ts <= next_alert_time->first &&
           next_alert_time->first - ts < eval_interval) {
      for (const AlertTestCase* tc : next_alert_time->second) {
        std::vector<AlertView> got;
        for (const auto& g : groups) g->FiringAlerts(tc->alertname, &got);
        std::vector<AlertView> exp;
        for (const ExpectedAlert& e : tc->exp_alerts) {
          AlertView v{e.labels, e.annotations};
          v.labels["alertname"] = tc->alertname;
          exp.push_back(std::move(v));
        }
        std::sort(got.begin(), got.end());
        std::sort(exp.begin(), exp.end());
        if (got != exp) {
          std::string name = tg.name.empty() ? "" : "    name: " + tg.name + ",\n";
          errs.push_back(name + "    alertname: " + tc->alertname +
                         ", time: " + FormatDurationMs(tc->eval_time_ms) +
                         ", \n        exp:" + IndentLines(AlertsString(exp), "            ") +
                         ", \n        got:" + IndentLines(AlertsString(got), "            "));
        }
      }
      ++next_alert_time;
    }
    if (maxt - ts < eval_interval) break;  // no overflow past the last step
  }

  for (const PromqlTestCase& tc : tg.promql_expr_test) {
    const std::string head_line =
        "    expr: " + QuoteLabelValue(tc.expr) + ", time: " + FormatDurationMs(tc.eval_time_ms);
    std::vector<SampleView> got;
    if (std::optional<std::string> err = Query(engine, head, tc.expr, tc.eval_time_ms, &got)) {
      errs.push_back(head_line + ", err: " + *err);
      continue;
    }
    std::vector<SampleView> exp;
    std::optional<std::string> bad_labels;
    for (const ExpectedSample& s : tc.exp_samples) {
      Result<Labels> l = ParseSeriesLabels(s.labels);
      if (!l.ok()) {
        bad_labels = "labels " + QuoteLabelValue(s.labels) + ": " + l.status().message();
        break;
      }
      exp.push_back({*l, s.value});
    }
    if (bad_labels) {
      errs.push_back(head_line + ", err: " + *bad_labels);
      continue;
    }
    auto by_labels = [](const SampleView& a, const SampleView& b) {
      return Compare(a.labels, b.labels) < 0;
    };
    std::stable_sort(exp.begin(), exp.end(), by_labels);
    std::stable_sort(got.begin(), got.end(), by_labels);
    if (!SamplesEqual(exp, got)) {
      errs.push_back(head_line + ",\n        exp: " + SamplesString(exp) +
                     "\n        got: " + SamplesString(got));
    }
  }
  return errs;
}

}  // namespace

UnitTestReport RunRuleUnitTestFile(const std::string& path) {
  UnitTestReport report;
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || std::filesystem::is_directory(path, ec)) {
    report.unreadable = true;
    report.failures.push_back(
        "open " + path + ": " +
        (std::filesystem::exists(path, ec) ? "cannot read file" : "no such file or directory"));
    return report;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    report.unreadable = true;
    report.failures.push_back("read " + path + ": cannot read file");
    return report;
  }

  Result<UnitTestFile> file = ParseUnitTestFile(buf.str());
  if (!file.ok()) {
    report.failures.push_back(file.status().message());
    return report;
  }
  std::vector<std::string> rule_files = ResolveRuleFiles(path, file->rule_files, &report.warnings);
  int64_t eval_interval = file->evaluation_interval_ms == 0 ? kDefaultEvaluationIntervalMs
                                                            : file->evaluation_interval_ms;
  std::map<std::string, int> order;
  for (size_t i = 0; i < file->group_eval_order.size(); ++i) {
    const std::string& g = file->group_eval_order[i];
    if (!order.emplace(g, static_cast<int>(i)).second) {
      report.failures.push_back("group name repeated in evaluation order: " + g);
      return report;
    }
  }
  for (const TestGroup& tg : file->tests) {
    for (std::string& e : RunTestGroup(tg, eval_interval, order, rule_files)) {
      report.failures.push_back(std::move(e));
    }
  }
  return report;
}

}  // namespace andon::rules
