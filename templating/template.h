// templating/template.h
//
// Template: the template language of alert annotations and labels (and, later, of
// notification texts): Go's text/template as Prometheus 2.42 runs it, with Prometheus'
// template functions (humanize, query, ...). Parse once, execute many: a parsed Template
// is immutable and may be executed concurrently from several threads; executing one
// allocates only for its output and its variables. What is supported and where it differs
// from Go is written down in docs/templates.md.
//
// Errors carry Go's wording so that users see what Prometheus would have said:
//   parse:   template: __alert_A:1: function "foo" not defined
//   execute: template: __alert_A:1:115: executing "__alert_A" at <humanize "x">: error
//            calling humanize: strconv.ParseFloat: parsing "x": invalid syntax
//
// Example (what the rules layer does for an alert annotation):
//   auto t = Template::ParseAlert("{{ $labels.job }} is down ({{ $value }})", "JobDown");
//   AlertTemplateData data{labels, external_labels, "http://andon:9090", 1};
//   Result<std::string> text = t->ExecuteAlert(data, env);
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "templating/template_value.h"

namespace andon::templating {

namespace template_internal {
struct TemplateSet;
}

// The `query` function's backend: evaluates a PromQL expression at the evaluation time of
// the alert and returns the samples of the resulting instant vector (a scalar as one
// sample without labels), or an error that the template reports as
// "error calling query: <message>".
using TemplateQueryFunc = std::function<Result<QueryResult>(std::string_view expr)>;

// What template functions need from the world outside the data.
struct TemplateEnv {
  TemplateQueryFunc query;        // for `query`; when empty, `query` fails
  std::string_view external_url;  // for `externalURL` and `pathPrefix`
};

class Template {
 public:
  // Parses text as a template named name, with the functions of Prometheus' alert
  // templates; console additionally defines `tmpl` (as Prometheus' console templates do).
  // Fails with Go's message, e.g. "template: x:1: unexpected EOF".
  static Result<Template> Parse(std::string_view text, std::string_view name, bool console = false);

  // Parses an alert annotation or label template as Prometheus 2.42 does: named
  // "__alert_<alertname>", with {{$labels := .Labels}}{{$externalLabels :=
  // .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}} put in front (so
  // error columns on the first line count those 112 bytes, as in Prometheus' messages).
  static Result<Template> ParseAlert(std::string_view text, std::string_view alert_name);

  // Executes the template with data as dot (and $). The error (with Go's wording)
  // replaces any partial output.
  Result<std::string> Execute(const TemplateValue& data, const TemplateEnv& env) const;
  // Appends the output to *out; on error *out holds the partial output.
  Status ExecuteTo(const TemplateValue& data, const TemplateEnv& env, std::string* out) const;
  // Executes the template defined (define/block) as name.
  Status ExecuteTemplateTo(std::string_view name, const TemplateValue& data, const TemplateEnv& env,
                           std::string* out) const;

  // Execute with an alert's data (.Labels, .Value, ...).
  Result<std::string> ExecuteAlert(const AlertTemplateData& data, const TemplateEnv& env) const {
    return Execute(TemplateValue::Alert(&data), env);
  }

  const std::string& name() const;

 private:
  explicit Template(std::shared_ptr<const template_internal::TemplateSet> set)
      : set_(std::move(set)) {}
  std::shared_ptr<const template_internal::TemplateSet> set_;
};

// Prometheus' Expander.Expand for alert templates: parses and executes text in one go and
// words errors as Prometheus does ("error parsing template __alert_A: ...", "error
// executing template __alert_A: ..."). The rules layer renders a failure as
// "<error expanding template: " + message + ">".
Result<std::string> ExpandAlertTemplate(std::string_view text, std::string_view alert_name,
                                        const AlertTemplateData& data, const TemplateEnv& env);

}  // namespace andon::templating
