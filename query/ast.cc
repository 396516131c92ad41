#include "query/ast.h"

#include <algorithm>
#include <cmath>

#include "query/functions.h"
#include "query/lexer.h"

namespace andon::query {
namespace {

// Go's regexp/syntax wording for RE2's error codes.
std::string_view GoRegexpError(re2::RE2::ErrorCode code) {
  switch (code) {
    case re2::RE2::ErrorBadEscape:
      return "invalid escape sequence";
    case re2::RE2::ErrorBadCharClass:
      return "invalid character class";
    case re2::RE2::ErrorBadCharRange:
      return "invalid character class range";
    case re2::RE2::ErrorMissingBracket:
      return "missing closing ]";
    case re2::RE2::ErrorMissingParen:
      return "missing closing )";
    case re2::RE2::ErrorUnexpectedParen:
      return "unexpected )";
    case re2::RE2::ErrorTrailingBackslash:
      return "trailing backslash at end of expression";
    case re2::RE2::ErrorRepeatArgument:
      return "missing argument to repetition operator";
    case re2::RE2::ErrorRepeatSize:
      return "invalid repeat count";
    case re2::RE2::ErrorRepeatOp:
      return "invalid nested repetition operator";
    case re2::RE2::ErrorBadPerlOp:
      return "invalid or unsupported Perl syntax";
    case re2::RE2::ErrorBadUTF8:
      return "invalid UTF-8";
    case re2::RE2::ErrorBadNamedCapture:
      return "invalid named capture";
    case re2::RE2::ErrorPatternTooLarge:
      return "expression too large";
    default:
      return "unexpected error";
  }
}

std::vector<ExprPtr> CloneAll(const std::vector<ExprPtr>& v) {
  std::vector<ExprPtr> out;
  out.reserve(v.size());
  for (const auto& e : v) out.push_back(e->Clone());
  return out;
}

bool EqualPtr(const ExprPtr& a, const ExprPtr& b) {
  if (!a || !b) return !a && !b;
  return Equal(*a, *b);
}

bool SameNumber(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b;
}

}  // namespace

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kVector:
      return "vector";
    case ValueType::kMatrix:
      return "matrix";
    case ValueType::kString:
      return "string";
    case ValueType::kNone:
      break;
  }
  return "none";
}

std::string_view DocumentedTypeName(ValueType t) {
  switch (t) {
    case ValueType::kVector:
      return "instant vector";
    case ValueType::kMatrix:
      return "range vector";
    default:
      return ValueTypeName(t);
  }
}

std::string_view BinaryOpString(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "^";
    case BinaryOp::kAtan2:
      return "atan2";
    case BinaryOp::kEql:
      return "==";
    case BinaryOp::kNeq:
      return "!=";
    case BinaryOp::kLte:
      return "<=";
    case BinaryOp::kLss:
      return "<";
    case BinaryOp::kGte:
      return ">=";
    case BinaryOp::kGtr:
      return ">";
    case BinaryOp::kAnd:
      return "and";
    case BinaryOp::kOr:
      return "or";
    case BinaryOp::kUnless:
      return "unless";
  }
  return "?";
}

bool IsComparisonOp(BinaryOp op) { return op >= BinaryOp::kEql && op <= BinaryOp::kGtr; }
bool IsSetOp(BinaryOp op) { return op >= BinaryOp::kAnd; }

std::string_view AggregateOpString(AggregateOp op) {
  switch (op) {
    case AggregateOp::kSum:
      return "sum";
    case AggregateOp::kAvg:
      return "avg";
    case AggregateOp::kCount:
      return "count";
    case AggregateOp::kMin:
      return "min";
    case AggregateOp::kMax:
      return "max";
    case AggregateOp::kGroup:
      return "group";
    case AggregateOp::kStddev:
      return "stddev";
    case AggregateOp::kStdvar:
      return "stdvar";
    case AggregateOp::kTopk:
      return "topk";
    case AggregateOp::kBottomk:
      return "bottomk";
    case AggregateOp::kQuantile:
      return "quantile";
    case AggregateOp::kCountValues:
      return "count_values";
  }
  return "?";
}

bool AggregateOpHasParam(AggregateOp op) { return op >= AggregateOp::kTopk; }

std::string_view MatchOpString(MatchOp op) {
  switch (op) {
    case MatchOp::kEqual:
      return "=";
    case MatchOp::kNotEqual:
      return "!=";
    case MatchOp::kRegexMatch:
      return "=~";
    case MatchOp::kRegexNoMatch:
      return "!~";
  }
  return "?";
}

Result<LabelMatcher> LabelMatcher::Make(MatchOp op, std::string name, std::string value) {
  LabelMatcher m(op, std::move(name), std::move(value));
  if (op == MatchOp::kRegexMatch || op == MatchOp::kRegexNoMatch) {
    re2::RE2::Options opts;
    opts.set_log_errors(false);
    std::string anchored = "^(?:" + m.value_ + ")$";
    auto re = std::make_shared<const re2::RE2>(anchored, opts);
    if (!re->ok()) {
      std::string arg = re->error_code() == re2::RE2::ErrorMissingParen ||
                                re->error_code() == re2::RE2::ErrorUnexpectedParen
                            ? anchored
                            : re->error_arg();
      return Status::InvalidArgument(
          "error parsing regexp: " + std::string(GoRegexpError(re->error_code())) + ": `" + arg +
          "`");
    }
    m.regex_ = std::move(re);
  }
  return m;
}

bool LabelMatcher::Matches(std::string_view v) const {
  switch (op_) {
    case MatchOp::kEqual:
      return v == value_;
    case MatchOp::kNotEqual:
      return v != value_;
    case MatchOp::kRegexMatch:
      return re2::RE2::FullMatch(v, *regex_);
    case MatchOp::kRegexNoMatch:
      return !re2::RE2::FullMatch(v, *regex_);
  }
  return false;
}

std::string LabelMatcher::String() const {
  return name_ + std::string(MatchOpString(op_)) + QuoteString(value_);
}

ExprPtr MatrixSelector::Clone() const {
  auto c = std::make_unique<MatrixSelector>();
  c->pos = pos;
  c->range_ms = range_ms;
  c->selector.reset(static_cast<VectorSelector*>(selector->Clone().release()));
  return c;
}

ExprPtr SubqueryExpr::Clone() const {
  auto c = std::make_unique<SubqueryExpr>();
  c->pos = pos;
  c->expr = expr->Clone();
  c->range_ms = range_ms;
  c->step_ms = step_ms;
  c->offset_ms = offset_ms;
  c->at = at;
  return c;
}

ValueType Call::Type() const { return func ? func->return_type : ValueType::kNone; }

ExprPtr Call::Clone() const {
  auto c = std::make_unique<Call>();
  c->pos = pos;
  c->func = func;
  c->args = CloneAll(args);
  return c;
}

ExprPtr AggregateExpr::Clone() const {
  auto c = std::make_unique<AggregateExpr>();
  c->pos = pos;
  c->op = op;
  c->expr = expr ? expr->Clone() : nullptr;
  c->param = param ? param->Clone() : nullptr;
  c->grouping = grouping;
  c->without = without;
  return c;
}

ValueType BinaryExpr::Type() const {
  return lhs->Type() == ValueType::kScalar && rhs->Type() == ValueType::kScalar
             ? ValueType::kScalar
             : ValueType::kVector;
}

ExprPtr BinaryExpr::Clone() const {
  auto c = std::make_unique<BinaryExpr>();
  c->pos = pos;
  c->op = op;
  c->lhs = lhs->Clone();
  c->rhs = rhs->Clone();
  c->return_bool = return_bool;
  c->matching = matching;
  return c;
}

ExprPtr UnaryExpr::Clone() const {
  auto c = std::make_unique<UnaryExpr>();
  c->pos = pos;
  c->op = op;
  c->expr = expr->Clone();
  return c;
}

ExprPtr ParenExpr::Clone() const {
  auto c = std::make_unique<ParenExpr>();
  c->pos = pos;
  c->expr = expr->Clone();
  return c;
}

bool Equal(const Expr& a, const Expr& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case NodeKind::kNumberLiteral:
      return SameNumber(a.As<NumberLiteral>().value, b.As<NumberLiteral>().value);
    case NodeKind::kStringLiteral:
      return a.As<StringLiteral>().value == b.As<StringLiteral>().value;
    case NodeKind::kVectorSelector: {
      const auto& x = a.As<VectorSelector>();
      const auto& y = b.As<VectorSelector>();
      if (x.name != y.name || x.offset_ms != y.offset_ms || !(x.at == y.at) ||
          x.matchers.size() != y.matchers.size()) {
        return false;
      }
      // Matchers compare as a set: the printer sorts them.
      for (const LabelMatcher& m : x.matchers) {
        if (std::count(x.matchers.begin(), x.matchers.end(), m) !=
            std::count(y.matchers.begin(), y.matchers.end(), m)) {
          return false;
        }
      }
      return true;
    }
    case NodeKind::kMatrixSelector: {
      const auto& x = a.As<MatrixSelector>();
      const auto& y = b.As<MatrixSelector>();
      return x.range_ms == y.range_ms && Equal(*x.selector, *y.selector);
    }
    case NodeKind::kSubquery: {
      const auto& x = a.As<SubqueryExpr>();
      const auto& y = b.As<SubqueryExpr>();
      return x.range_ms == y.range_ms && x.step_ms == y.step_ms && x.offset_ms == y.offset_ms &&
             x.at == y.at && Equal(*x.expr, *y.expr);
    }
    case NodeKind::kCall: {
      const auto& x = a.As<Call>();
      const auto& y = b.As<Call>();
      if (x.func != y.func || x.args.size() != y.args.size()) return false;
      for (size_t i = 0; i < x.args.size(); ++i) {
        if (!Equal(*x.args[i], *y.args[i])) return false;
      }
      return true;
    }
    case NodeKind::kAggregate: {
      const auto& x = a.As<AggregateExpr>();
      const auto& y = b.As<AggregateExpr>();
      return x.op == y.op && x.without == y.without && x.grouping == y.grouping &&
             EqualPtr(x.expr, y.expr) && EqualPtr(x.param, y.param);
    }
    case NodeKind::kBinary: {
      const auto& x = a.As<BinaryExpr>();
      const auto& y = b.As<BinaryExpr>();
      return x.op == y.op && x.return_bool == y.return_bool && x.matching == y.matching &&
             Equal(*x.lhs, *y.lhs) && Equal(*x.rhs, *y.rhs);
    }
    case NodeKind::kUnary: {
      const auto& x = a.As<UnaryExpr>();
      const auto& y = b.As<UnaryExpr>();
      return x.op == y.op && Equal(*x.expr, *y.expr);
    }
    case NodeKind::kParen:
      return Equal(*a.As<ParenExpr>().expr, *b.As<ParenExpr>().expr);
  }
  return false;
}

}  // namespace andon::query
