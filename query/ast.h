// query/ast.h
//
// The typed PromQL syntax tree the parser produces and the evaluator walks (Prometheus 2.42
// semantics, no native histograms). Every node is an Expr with a `kind` to switch on, a byte
// range `pos` into the query text (for error messages), and a static result `Type()`.
// Children are owned through ExprPtr (unique_ptr); Clone() deep-copies a tree. Nodes are
// plain data: immutable after parsing by convention, safe to read from many threads.
//
// Invariants after a successful parse (the parser's type checks guarantee them):
//  - VectorSelector::matchers contains at least one matcher that does not match "", and when
//    `name` is set, its `__name__="<name>"` matcher is the last entry.
//  - MatrixSelector wraps a VectorSelector; the selector's offset/@ belong to the range.
//  - Call::args match Call::func's arity and argument types.
//  - AggregateExpr::param is set exactly for topk, bottomk, quantile (scalar) and
//    count_values (string); `expr` is an instant vector.
//  - BinaryExpr operands are scalars or instant vectors; `matching` is set exactly when both
//    are instant vectors (cardinality kManyToMany for and/or/unless).
//  - Offsets and ranges are in milliseconds; `@` timestamps in milliseconds since the epoch.
#pragma once

#include <re2/re2.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace andon::query {

enum class ValueType : uint8_t { kNone, kScalar, kVector, kMatrix, kString };
// "scalar", "vector", "matrix", "string", "none" (Prometheus's ValueType names).
std::string_view ValueTypeName(ValueType t);
// "scalar", "instant vector", "range vector", "string" (the names used in type errors).
std::string_view DocumentedTypeName(ValueType t);

// Byte offsets [start, end) into the query text.
struct PosRange {
  uint32_t start = 0;
  uint32_t end = 0;
};

enum class NodeKind : uint8_t {
  kNumberLiteral,
  kStringLiteral,
  kVectorSelector,
  kMatrixSelector,
  kSubquery,
  kCall,
  kAggregate,
  kBinary,
  kUnary,
  kParen,
};

enum class BinaryOp : uint8_t {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kAtan2,
  kEql,
  kNeq,
  kLte,
  kLss,
  kGte,
  kGtr,
  kAnd,
  kOr,
  kUnless,
};
std::string_view BinaryOpString(BinaryOp op);  // "+", "==", "and", "atan2", ...
bool IsComparisonOp(BinaryOp op);
bool IsSetOp(BinaryOp op);

enum class AggregateOp : uint8_t {
  kSum,
  kAvg,
  kCount,
  kMin,
  kMax,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kQuantile,
  kCountValues,
};
std::string_view AggregateOpString(AggregateOp op);  // "sum", "count_values", ...
bool AggregateOpHasParam(AggregateOp op);            // topk bottomk quantile count_values

enum class UnaryOp : uint8_t { kPlus, kMinus };

enum class MatchOp : uint8_t { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };
std::string_view MatchOpString(MatchOp op);  // "=", "!=", "=~", "!~"

// A label matcher of a vector selector. Regex matchers hold a compiled RE2 of the anchored
// pattern ^(?:value)$ (linear time, thread-safe to share). Copies share the compiled regex.
class LabelMatcher {
 public:
  // Fails only for a regex that does not compile; the message reads like Prometheus's
  // ("error parsing regexp: missing closing ): `^(?:(a)$`").
  static Result<LabelMatcher> Make(MatchOp op, std::string name, std::string value);

  const std::string& name() const { return name_; }
  MatchOp op() const { return op_; }
  const std::string& value() const { return value_; }
  const re2::RE2* regex() const { return regex_.get(); }  // null unless =~ or !~

  bool Matches(std::string_view v) const;
  // name, operator and Go-quoted value: job=~"api.*".
  std::string String() const;

  bool operator==(const LabelMatcher& o) const {
    return op_ == o.op_ && name_ == o.name_ && value_ == o.value_;
  }

 private:
  LabelMatcher(MatchOp op, std::string name, std::string value)
      : name_(std::move(name)), op_(op), value_(std::move(value)) {}

  std::string name_;
  MatchOp op_;
  std::string value_;
  std::shared_ptr<const re2::RE2> regex_;
};

// The @ modifier of a selector or subquery.
struct AtModifier {
  enum class Kind : uint8_t { kNone, kTimestamp, kStart, kEnd };
  Kind kind = Kind::kNone;
  int64_t timestamp_ms = 0;  // for kTimestamp

  bool operator==(const AtModifier& o) const {
    return kind == o.kind && (kind != Kind::kTimestamp || timestamp_ms == o.timestamp_ms);
  }
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  virtual ~Expr() = default;
  virtual ValueType Type() const = 0;
  virtual ExprPtr Clone() const = 0;
  // The canonical one-line form (Prometheus's String()); parses back to an equal tree.
  std::string String() const;

  template <typename T>
  const T& As() const {
    return static_cast<const T&>(*this);
  }
  template <typename T>
  T& As() {
    return static_cast<T&>(*this);
  }

  const NodeKind kind;
  PosRange pos;

 protected:
  explicit Expr(NodeKind k) : kind(k) {}
  Expr(const Expr&) = default;
};

struct NumberLiteral final : Expr {
  NumberLiteral() : Expr(NodeKind::kNumberLiteral) {}
  ValueType Type() const override { return ValueType::kScalar; }
  ExprPtr Clone() const override { return std::make_unique<NumberLiteral>(*this); }
  double value = 0;
};

struct StringLiteral final : Expr {
  StringLiteral() : Expr(NodeKind::kStringLiteral) {}
  ValueType Type() const override { return ValueType::kString; }
  ExprPtr Clone() const override { return std::make_unique<StringLiteral>(*this); }
  std::string value;  // unquoted
};

struct VectorSelector final : Expr {
  VectorSelector() : Expr(NodeKind::kVectorSelector) {}
  ValueType Type() const override { return ValueType::kVector; }
  ExprPtr Clone() const override { return std::make_unique<VectorSelector>(*this); }
  std::string name;  // metric name written before the braces, or empty
  std::vector<LabelMatcher> matchers;
  int64_t offset_ms = 0;  // may be negative
  AtModifier at;
};

struct MatrixSelector final : Expr {
  MatrixSelector() : Expr(NodeKind::kMatrixSelector) {}
  ValueType Type() const override { return ValueType::kMatrix; }
  ExprPtr Clone() const override;
  std::unique_ptr<VectorSelector> selector;
  int64_t range_ms = 0;
};

struct SubqueryExpr final : Expr {
  SubqueryExpr() : Expr(NodeKind::kSubquery) {}
  ValueType Type() const override { return ValueType::kMatrix; }
  ExprPtr Clone() const override;
  ExprPtr expr;
  int64_t range_ms = 0;
  int64_t step_ms = 0;  // 0: the evaluation's default step
  int64_t offset_ms = 0;
  AtModifier at;
};

struct FunctionInfo;

struct Call final : Expr {
  Call() : Expr(NodeKind::kCall) {}
  ValueType Type() const override;
  ExprPtr Clone() const override;
  const FunctionInfo* func = nullptr;  // from the static table in query/functions.h
  std::vector<ExprPtr> args;
};

struct AggregateExpr final : Expr {
  AggregateExpr() : Expr(NodeKind::kAggregate) {}
  ValueType Type() const override { return ValueType::kVector; }
  ExprPtr Clone() const override;
  AggregateOp op = AggregateOp::kSum;
  ExprPtr expr;
  ExprPtr param;  // topk/bottomk/quantile/count_values only
  std::vector<std::string> grouping;
  bool without = false;
};

struct VectorMatching {
  enum class Cardinality : uint8_t { kOneToOne, kManyToOne, kOneToMany, kManyToMany };
  Cardinality card = Cardinality::kOneToOne;
  std::vector<std::string> matching_labels;  // on(...) / ignoring(...)
  bool on = false;
  std::vector<std::string> include;  // group_left(...) / group_right(...)

  bool operator==(const VectorMatching& o) const {
    return card == o.card && matching_labels == o.matching_labels && on == o.on &&
           include == o.include;
  }
};

struct BinaryExpr final : Expr {
  BinaryExpr() : Expr(NodeKind::kBinary) {}
  ValueType Type() const override;
  ExprPtr Clone() const override;
  BinaryOp op = BinaryOp::kAdd;
  ExprPtr lhs;
  ExprPtr rhs;
  bool return_bool = false;
  std::optional<VectorMatching> matching;  // set iff both operands are instant vectors
};

struct UnaryExpr final : Expr {
  UnaryExpr() : Expr(NodeKind::kUnary) {}
  ValueType Type() const override { return expr->Type(); }
  ExprPtr Clone() const override;
  UnaryOp op = UnaryOp::kMinus;
  ExprPtr expr;
};

struct ParenExpr final : Expr {
  ParenExpr() : Expr(NodeKind::kParen) {}
  ValueType Type() const override { return expr->Type(); }
  ExprPtr Clone() const override;
  ExprPtr expr;
};

// Structural equality: same node kinds and contents, positions ignored; NaN equals NaN.
bool Equal(const Expr& a, const Expr& b);

}  // namespace andon::query
