// templating/template_value.h
//
// TemplateValue: the values a template works on, modelled on the Go types Prometheus 2.42
// hands to text/template, so that printing, comparison, truth and error messages match Go:
//
//   Go type                          Kind           created by
//   untyped nil / missing value      kNil           nil, a missing key of a generic map
//   bool, int, float64, string       kBool ...      literals, functions
//   map[string]string                kLabels        .Labels, .ExternalLabels, sample labels
//   map[string]interface {}          kMap           args, data built by a caller
//   []interface {}                   kList          data built by a caller
//   template.queryResult             kQueryResult   query, sortByLabel
//   *template.sample                 kSample        first, range over a query result
//   *time.Time                       kTime          toTime
//   struct {Labels ...; Value ...}   kAlert         the data of alert templates
//
// A value is small (40 bytes) and cheap to copy: strings are either borrowed views (of
// the template text or of caller data, which must outlive the execution) or owned;
// composite values are shared, immutable and reference counted. Copying never allocates
// except for an owned string longer than the small-string buffer.
// Not thread-safe to mutate; immutable values may be shared between threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/labels.h"

namespace andon::templating {

// The data Prometheus gives alert annotation and label templates (.Labels,
// .ExternalLabels, .ExternalURL, .Value).
struct AlertTemplateData {
  Labels labels;
  Labels external_labels;
  std::string external_url;
  double value = 0;
};

// One element of a `query` result: a series' labels and its value.
struct QuerySample {
  Labels labels;
  double value = 0;
};
using QueryResult = std::vector<QuerySample>;

class TemplateValue;
// map[string]interface {} (sorted by key, as Go prints and ranges over maps).
using TemplateMap = std::map<std::string, TemplateValue, std::less<>>;
using TemplateList = std::vector<TemplateValue>;

class TemplateValue {
 public:
  enum class Kind : uint8_t {
    kNil,
    kBool,
    kInt,
    kFloat,
    kString,
    kLabels,
    kMap,
    kList,
    kQueryResult,
    kSample,
    kTime,
    kAlert,
  };

  TemplateValue() = default;
  static TemplateValue Bool(bool b) { return TemplateValue(Rep(b)); }
  static TemplateValue Int(int64_t i) { return TemplateValue(Rep(i)); }
  static TemplateValue Float(double f) { return TemplateValue(Rep(f)); }
  // A view of s; s must outlive every use of the value.
  static TemplateValue BorrowedString(std::string_view s) { return TemplateValue(Rep(s)); }
  static TemplateValue String(std::string s) { return TemplateValue(Rep(std::move(s))); }
  // A label value viewed inside its label set, which the value keeps alive.
  static TemplateValue LabelString(const Labels& owner, std::string_view value) {
    return TemplateValue(Rep(LabelRef{owner, value}));
  }
  static TemplateValue LabelMap(Labels l) { return TemplateValue(Rep(std::move(l))); }
  // A view of a label set; l must outlive every use of the value.
  static TemplateValue BorrowedLabelMap(const Labels* l) { return TemplateValue(Rep(l)); }
  static TemplateValue Map(TemplateMap m) {
    return TemplateValue(Rep(std::make_shared<const TemplateMap>(std::move(m))));
  }
  static TemplateValue List(TemplateList l) {
    return TemplateValue(Rep(std::make_shared<const TemplateList>(std::move(l))));
  }
  static TemplateValue Query(std::shared_ptr<const QueryResult> r) {
    return TemplateValue(Rep(std::move(r)));
  }
  // Element i of a query result.
  static TemplateValue Sample(std::shared_ptr<const QueryResult> r, size_t i) {
    return TemplateValue(Rep(SampleRef{std::move(r), i}));
  }
  static TemplateValue Time(int64_t unix_nanos) { return TemplateValue(Rep(TimeRef{unix_nanos})); }
  // html/template.HTML (what safeHtml returns): a string whose Go type differs.
  static TemplateValue Html(std::string s) { return TemplateValue(Rep(HtmlString{std::move(s)})); }
  // A view of data; data must outlive every use of the value.
  static TemplateValue Alert(const AlertTemplateData* data) { return TemplateValue(Rep(data)); }

  Kind kind() const;
  bool is_nil() const { return kind() == Kind::kNil; }
  bool bool_value() const { return std::get<bool>(rep_); }
  int64_t int_value() const { return std::get<int64_t>(rep_); }
  double float_value() const { return std::get<double>(rep_); }
  // The string of a kString value.
  std::string_view string_value() const;
  const Labels& labels_value() const {
    if (const auto* p = std::get_if<const Labels*>(&rep_)) return **p;
    return std::get<Labels>(rep_);
  }
  // The value of label name of a kLabels value, viewed without copying: borrowed when the
  // label set is, otherwise keeping the label set alive.
  TemplateValue LabelValue(std::string_view value) const {
    if (std::holds_alternative<const Labels*>(rep_)) return BorrowedString(value);
    return LabelString(std::get<Labels>(rep_), value);
  }
  const TemplateMap& map_value() const {
    return *std::get<std::shared_ptr<const TemplateMap>>(rep_);
  }
  const TemplateList& list_value() const {
    return *std::get<std::shared_ptr<const TemplateList>>(rep_);
  }
  const std::shared_ptr<const QueryResult>& query_value() const {
    return std::get<std::shared_ptr<const QueryResult>>(rep_);
  }
  const QuerySample& sample_value() const {
    const auto& s = std::get<SampleRef>(rep_);
    return (*s.result)[s.index];
  }
  int64_t time_value() const { return std::get<TimeRef>(rep_).unix_nanos; }
  const AlertTemplateData& alert_value() const { return *std::get<const AlertTemplateData*>(rep_); }

  // Go's %T of the value ("float64", "map[string]string", "*template.sample", ...).
  std::string_view GoTypeName() const;
  // Length for len/index/range: strings, maps, lists, query results; -1 for other kinds.
  int64_t Length() const;

 private:
  struct HtmlString {
    std::string s;
  };
  struct LabelRef {
    Labels owner;
    std::string_view value;
  };
  struct SampleRef {
    std::shared_ptr<const QueryResult> result;
    size_t index;
  };
  struct TimeRef {
    int64_t unix_nanos;
  };
  using Rep = std::variant<std::monostate, bool, int64_t, double, std::string_view, std::string,
                           LabelRef, Labels, std::shared_ptr<const TemplateMap>,
                           std::shared_ptr<const TemplateList>, std::shared_ptr<const QueryResult>,
                           SampleRef, TimeRef, const AlertTemplateData*, HtmlString, const Labels*>;
  explicit TemplateValue(Rep r) : rep_(std::move(r)) {}
  Rep rep_;
};

// Go's truth of a value for if/with/and/or/not: false, 0, nil, and empty strings, maps
// and slices are false; everything else is true.
bool IsTrue(const TemplateValue& v);

}  // namespace andon::templating
