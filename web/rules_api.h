// web/rules_api.h
//
// The rules half of Prometheus 2.42's API, answered from the rule manager's snapshots:
//   /api/v1/rules   {"groups": [{name, file, rules, interval, limit, evaluationTime,
//                   lastEvaluation}]}; alerting rules carry state, name, query, duration,
//                   keepFiringFor, labels, annotations, alerts, health, lastError (when
//                   set), evaluationTime, lastEvaluation, type "alerting"; recording rules
//                   name, query, labels (when set), health, lastError, evaluationTime,
//                   lastEvaluation, type "recording". `type=alert|record` keeps one kind
//                   (groups stay, possibly with no rules); other values are bad_data.
//   /api/v1/alerts  {"alerts": [{labels, annotations, state, activeAt, value}]}: every
//                   pending and firing alert.
// Queries are printed in PromQL's canonical form; times are RFC 3339 in UTC ("0001-01-01T
// 00:00:00Z" before the first evaluation); values as Go's %e ("1e+00"). GET and POST.
#pragma once

#include <functional>
#include <vector>

#include "rules/rule_group.h"
#include "web/http_server.h"

namespace andon::web {

using RuleGroupsSource = std::function<std::vector<rules::GroupSnapshot>()>;

void RegisterRulesApi(HttpServer& server, RuleGroupsSource groups);

}  // namespace andon::web
