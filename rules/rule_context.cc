#include "rules/rule_context.h"

#include <utility>
#include <variant>

namespace andon::rules {
namespace {

Result<query::Vector> ToVector(query::QueryResult r) {
  if (r.error) return Status::InvalidArgument(std::move(r.error->message));
  if (auto* v = std::get_if<query::Vector>(&r.value)) return std::move(*v);
  if (auto* s = std::get_if<query::Scalar>(&r.value)) {
    return query::Vector{query::VectorSample{Labels(), s->t, s->v}};
  }
  return Status::InvalidArgument("rule result is not a vector or scalar");
}

}  // namespace

RuleContext EngineRuleContext(const query::Engine& engine,
                              std::function<std::unique_ptr<Querier>()> new_querier,
                              Labels external_labels, std::string external_url,
                              const std::atomic<bool>* cancel) {
  RuleContext ctx;
  ctx.query = [&engine, new_querier, cancel](const query::Expr& expr, int64_t t) {
    std::unique_ptr<Querier> q = new_querier();
    return ToVector(engine.Instant(*q, expr, t, cancel));
  };
  ctx.query_text = [&engine, new_querier, cancel](std::string_view expr, int64_t t) {
    std::unique_ptr<Querier> q = new_querier();
    return ToVector(engine.Instant(*q, expr, t, cancel));
  };
  ctx.external_labels = std::move(external_labels);
  ctx.external_url = std::move(external_url);
  return ctx;
}

}  // namespace andon::rules
