// rules/rule_context.h
//
// RuleContext: what evaluating a rule needs from the server — instant queries at the
// evaluation time, the external labels and URL that templates see. Built once per rule
// manager (or unit-test run) and shared by every group; its functions must be thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/labels.h"
#include "common/status.h"
#include "query/ast.h"
#include "query/engine.h"
#include "query/value.h"

namespace andon::rules {

struct RuleContext {
  // Instant query at t_ms. A scalar result comes back as one sample without labels (as
  // Prometheus's rule query function does); a string or matrix result is an error
  // "rule result is not a vector or scalar". Engine errors keep the engine's message.
  std::function<Result<query::Vector>(const query::Expr& expr, int64_t t_ms)> query;
  // The same from text, for the templates' `query` function.
  std::function<Result<query::Vector>(std::string_view expr, int64_t t_ms)> query_text;
  Labels external_labels;
  std::string external_url;
};

// A context evaluating through `engine` on a fresh querier from `new_querier` per query.
// `engine` (and `cancel`, when given: setting it ends queries in flight) must outlive the
// context.
RuleContext EngineRuleContext(const query::Engine& engine,
                              std::function<std::unique_ptr<Querier>()> new_querier,
                              Labels external_labels, std::string external_url,
                              const std::atomic<bool>* cancel = nullptr);

}  // namespace andon::rules
