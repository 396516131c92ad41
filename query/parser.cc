#include "query/parser.h"

#include <fmt/format.h>

#include <cerrno>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>

#include "common/duration.h"
#include "query/functions.h"
#include "query/lexer.h"

namespace andon::query {
namespace {

// Thrown inside the parser and converted to a ParseError at its boundary.
struct Failure {
  PosRange pos;
  std::string message;
};

// Far above any real query; keeps recursive walks of the tree well within thread stacks.
constexpr int kMaxExprDepth = 1000;

constexpr int kPrecOr = 1;
constexpr int kPrecAndUnless = 2;
constexpr int kPrecComparison = 3;
constexpr int kPrecAdd = 4;
constexpr int kPrecMul = 5;
constexpr int kPrecPow = 6;

int BinaryPrecedence(TokenType t) {
  switch (t) {
    case TokenType::kLor:
      return kPrecOr;
    case TokenType::kLand:
    case TokenType::kLunless:
      return kPrecAndUnless;
    case TokenType::kEqlc:
    case TokenType::kNeq:
    case TokenType::kLte:
    case TokenType::kLss:
    case TokenType::kGte:
    case TokenType::kGtr:
      return kPrecComparison;
    case TokenType::kAdd:
    case TokenType::kSub:
      return kPrecAdd;
    case TokenType::kMul:
    case TokenType::kDiv:
    case TokenType::kMod:
    case TokenType::kAtan2:
      return kPrecMul;
    case TokenType::kPow:
      return kPrecPow;
    default:
      return 0;
  }
}

BinaryOp ToBinaryOp(TokenType t) {
  switch (t) {
    case TokenType::kAdd:
      return BinaryOp::kAdd;
    case TokenType::kSub:
      return BinaryOp::kSub;
    case TokenType::kMul:
      return BinaryOp::kMul;
    case TokenType::kDiv:
      return BinaryOp::kDiv;
    case TokenType::kMod:
      return BinaryOp::kMod;
    case TokenType::kPow:
      return BinaryOp::kPow;
    case TokenType::kAtan2:
      return BinaryOp::kAtan2;
    case TokenType::kEqlc:
      return BinaryOp::kEql;
    case TokenType::kNeq:
      return BinaryOp::kNeq;
    case TokenType::kLte:
      return BinaryOp::kLte;
    case TokenType::kLss:
      return BinaryOp::kLss;
    case TokenType::kGte:
      return BinaryOp::kGte;
    case TokenType::kGtr:
      return BinaryOp::kGtr;
    case TokenType::kLand:
      return BinaryOp::kAnd;
    case TokenType::kLor:
      return BinaryOp::kOr;
    default:
      return BinaryOp::kUnless;
  }
}

AggregateOp ToAggregateOp(TokenType t) {
  switch (t) {
    case TokenType::kSum:
      return AggregateOp::kSum;
    case TokenType::kAvg:
      return AggregateOp::kAvg;
    case TokenType::kCount:
      return AggregateOp::kCount;
    case TokenType::kMin:
      return AggregateOp::kMin;
    case TokenType::kMax:
      return AggregateOp::kMax;
    case TokenType::kGroup:
      return AggregateOp::kGroup;
    case TokenType::kStddev:
      return AggregateOp::kStddev;
    case TokenType::kStdvar:
      return AggregateOp::kStdvar;
    case TokenType::kTopk:
      return AggregateOp::kTopk;
    case TokenType::kBottomk:
      return AggregateOp::kBottomk;
    case TokenType::kQuantile:
      return AggregateOp::kQuantile;
    default:
      return AggregateOp::kCountValues;
  }
}

// Tokens that may start a vector selector as its metric name (Prometheus's
// metric_identifier rule: some keywords are valid metric names).
bool IsMetricNameToken(TokenType t) {
  switch (t) {
    case TokenType::kIdentifier:
    case TokenType::kMetricIdentifier:
    case TokenType::kBy:
    case TokenType::kLand:
    case TokenType::kLor:
    case TokenType::kLunless:
    case TokenType::kOffset:
    case TokenType::kWithout:
    case TokenType::kStart:
    case TokenType::kEnd:
      return true;
    default:
      return IsAggregatorToken(t);
  }
}

// Tokens that may name a label in by/without/on/ignoring/group_x lists.
bool IsLabelToken(TokenType t) {
  switch (t) {
    case TokenType::kIdentifier:
    case TokenType::kMetricIdentifier:
    case TokenType::kLand:
    case TokenType::kLor:
    case TokenType::kLunless:
    case TokenType::kAtan2:
    case TokenType::kStart:
    case TokenType::kEnd:
      return true;
    default:
      return IsAggregatorToken(t) || IsKeywordToken(t);
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Go's strconv.ParseInt(s, 0, 64) for the digit strings the lexer produces.
std::optional<int64_t> ParseGoInt(std::string_view s) {
  int base = 10;
  size_t i = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16, i = 2;
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8, i = 1;
  }
  if (i >= s.size()) return std::nullopt;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    int d;
    char c = s[i];
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    if (d >= base) return std::nullopt;
    if (v > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - d) / base) {
      return std::nullopt;
    }
    v = v * base + d;
  }
  return static_cast<int64_t>(v);
}

// Go's %f for the out-of-bounds @ message.
std::string GoFloatF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{:f}", v);
}

class Parser {
 public:
  explicit Parser(std::string_view input) : input_(input), lexer_(input) {}

  ExprPtr ParseTop() {
    tok_ = Fetch();
    if (tok_.type == TokenType::kEof) Fail({0, 0}, "no expression found in input");
    ExprPtr e = ParseBinary(0);
    if (tok_.type != TokenType::kEof) Unexpected("", "");
    Check(*e);
    return e;
  }

  std::vector<LabelMatcher> ParseSelectorOnly() {
    tok_ = Fetch();
    if (tok_.type != TokenType::kLeftBrace && !IsMetricNameToken(tok_.type)) Unexpected("", "");
    ExprPtr e = ParseVectorSelector();
    if (tok_.type != TokenType::kEof) Unexpected("", "");
    Check(*e);
    return std::move(e->As<VectorSelector>().matchers);
  }

 private:
  [[noreturn]] void Fail(PosRange r, std::string message) { throw Failure{r, std::move(message)}; }

  // Prometheus's generic syntax error: "unexpected <token>[ in <context>][, expected <x>]".
  [[noreturn]] void Unexpected(std::string_view context, std::string_view expected) {
    std::string msg = "unexpected " + DescribeToken(tok_);
    if (!context.empty()) msg += fmt::format(" in {}", context);
    if (!expected.empty()) msg += fmt::format(", expected {}", expected);
    Fail({tok_.pos, tok_.end()}, std::move(msg));
  }

  Token Fetch() {
    for (;;) {
      Token t = lexer_.Next();
      if (t.type == TokenType::kComment) continue;
      if (t.type == TokenType::kError) {
        Fail({t.pos, static_cast<uint32_t>(input_.size())}, lexer_.error_message());
      }
      return t;
    }
  }

  void Advance() {
    switch (tok_.type) {
      case TokenType::kRightParen:
      case TokenType::kRightBrace:
      case TokenType::kRightBracket:
      case TokenType::kDuration:
      case TokenType::kNumber:
        last_closing_ = tok_.end();
        break;
      default:
        break;
    }
    if (has_next_) {
      tok_ = next_;
      has_next_ = false;
    } else {
      tok_ = Fetch();
    }
  }

  const Token& PeekNext() {
    if (!has_next_) {
      next_ = Fetch();
      has_next_ = true;
    }
    return next_;
  }

  // Bounds the depth of the tree (and so the recursion of everything that walks it): every
  // node that can wrap or chain others counts one level on the current path.
  void Deeper() {
    if (++depth_ > kMaxExprDepth) {
      Fail({tok_.pos, tok_.end()},
           fmt::format("expression nests deeper than {} levels", kMaxExprDepth));
    }
  }

  ExprPtr ParseBinary(int min_prec) {
    int saved_depth = depth_;
    Deeper();
    ExprPtr lhs = ParseUnary();
    for (;;) {
      int prec = BinaryPrecedence(tok_.type);
      if (prec == 0 || prec < min_prec) {
        depth_ = saved_depth;
        return lhs;
      }
      Deeper();
      auto bin = std::make_unique<BinaryExpr>();
      bin->op = ToBinaryOp(tok_.type);
      Advance();
      VectorMatching vm;
      if (tok_.type == TokenType::kBool) {
        bin->return_bool = true;
        Advance();
      }
      if (tok_.type == TokenType::kOn || tok_.type == TokenType::kIgnoring) {
        vm.on = tok_.type == TokenType::kOn;
        Advance();
        vm.matching_labels = ParseGroupingLabels();
        if (tok_.type == TokenType::kGroupLeft || tok_.type == TokenType::kGroupRight) {
          vm.card = tok_.type == TokenType::kGroupLeft ? VectorMatching::Cardinality::kManyToOne
                                                       : VectorMatching::Cardinality::kOneToMany;
          Advance();
          if (tok_.type == TokenType::kLeftParen) vm.include = ParseGroupingLabels();
        }
      }
      bin->matching = std::move(vm);
      bin->rhs = ParseBinary(prec == kPrecPow ? prec : prec + 1);
      bin->lhs = std::move(lhs);
      bin->pos = {bin->lhs->pos.start, bin->rhs->pos.end};
      lhs = std::move(bin);
    }
  }

  ExprPtr ParseUnary() {
    if (tok_.type != TokenType::kAdd && tok_.type != TokenType::kSub) {
      return ParsePostfix(ParsePrimary());
    }
    Token op = tok_;
    Advance();
    ExprPtr operand = ParseBinary(kPrecPow);
    if (operand->kind == NodeKind::kNumberLiteral) {
      auto& n = operand->As<NumberLiteral>();
      if (op.type == TokenType::kSub) n.value = -n.value;
      n.pos.start = op.pos;
      return operand;
    }
    auto u = std::make_unique<UnaryExpr>();
    u->op = op.type == TokenType::kSub ? UnaryOp::kMinus : UnaryOp::kPlus;
    u->pos = {op.pos, operand->pos.end};
    u->expr = std::move(operand);
    return u;
  }

  ExprPtr ParsePrimary() {
    switch (tok_.type) {
      case TokenType::kNumber: {
        auto n = std::make_unique<NumberLiteral>();
        n->value = ParseNumber(tok_);
        n->pos = {tok_.pos, tok_.end()};
        Advance();
        return n;
      }
      case TokenType::kString: {
        auto s = std::make_unique<StringLiteral>();
        s->value = Unquote(tok_);
        s->pos = {tok_.pos, tok_.end()};
        Advance();
        return s;
      }
      case TokenType::kLeftParen: {
        auto p = std::make_unique<ParenExpr>();
        p->pos.start = tok_.pos;
        Advance();
        p->expr = ParseBinary(0);
        if (tok_.type != TokenType::kRightParen) Unexpected("", "");
        p->pos.end = tok_.end();
        Advance();
        return p;
      }
      case TokenType::kLeftBrace:
        return ParseVectorSelector();
      case TokenType::kIdentifier:
        if (PeekNext().type == TokenType::kLeftParen) return ParseFunctionCall();
        return ParseVectorSelector();
      default:
        break;
    }
    if (IsAggregatorToken(tok_.type)) {
      TokenType next = PeekNext().type;
      if (next == TokenType::kLeftParen || next == TokenType::kBy || next == TokenType::kWithout) {
        return ParseAggregate();
      }
    }
    if (IsMetricNameToken(tok_.type)) return ParseVectorSelector();
    Unexpected("", "");
  }

  ExprPtr ParsePostfix(ExprPtr e) {
    for (;;) {
      switch (tok_.type) {
        case TokenType::kLeftBracket:
          Deeper();
          e = ParseRangeOrSubquery(std::move(e));
          break;
        case TokenType::kOffset: {
          Advance();
          bool negative = false;
          if (tok_.type == TokenType::kSub) {
            negative = true;
            Advance();
            if (tok_.type != TokenType::kDuration) Unexpected("", "");
          }
          if (tok_.type != TokenType::kDuration) Unexpected("offset", "duration");
          int64_t d = ParseDuration();
          AddOffset(e.get(), negative ? -d : d);
          break;
        }
        case TokenType::kAt:
          ParseAt(e.get());
          break;
        default:
          return e;
      }
    }
  }

  void ParseAt(Expr* e) {
    Advance();
    if (tok_.type == TokenType::kStart || tok_.type == TokenType::kEnd) {
      AtModifier::Kind kind =
          tok_.type == TokenType::kStart ? AtModifier::Kind::kStart : AtModifier::Kind::kEnd;
      Advance();
      if (tok_.type != TokenType::kLeftParen) Unexpected("", "");
      Advance();
      if (tok_.type != TokenType::kRightParen) Unexpected("", "");
      Advance();
      AtModifier* at = AtSlot(e);
      at->kind = kind;
      return;
    }
    bool negative = false;
    if (tok_.type == TokenType::kAdd || tok_.type == TokenType::kSub) {
      negative = tok_.type == TokenType::kSub;
      Advance();
      if (tok_.type != TokenType::kNumber) Unexpected("", "");
    }
    if (tok_.type != TokenType::kNumber) Unexpected("@", "timestamp");
    double ts = ParseNumber(tok_);
    Advance();
    if (negative) ts = -ts;
    if (std::isnan(ts) || std::isinf(ts) ||
        ts >= static_cast<double>(std::numeric_limits<int64_t>::max()) ||
        ts <= static_cast<double>(std::numeric_limits<int64_t>::min())) {
      Fail(e->pos, "timestamp out of bounds for @ modifier: " + GoFloatF(ts));
    }
    AtModifier* at = AtSlot(e);
    double ms = std::round(ts * 1000.0);
    constexpr double kLimit = 9.2e18;
    at->kind = AtModifier::Kind::kTimestamp;
    at->timestamp_ms = ms >= kLimit    ? std::numeric_limits<int64_t>::max()
                       : ms <= -kLimit ? std::numeric_limits<int64_t>::min()
                                       : static_cast<int64_t>(ms);
  }

  // The @ modifier slot of e (extending e's end over the modifier), or a parse failure.
  AtModifier* AtSlot(Expr* e) {
    AtModifier* at;
    switch (e->kind) {
      case NodeKind::kVectorSelector:
        at = &e->As<VectorSelector>().at;
        break;
      case NodeKind::kMatrixSelector:
        at = &e->As<MatrixSelector>().selector->at;
        break;
      case NodeKind::kSubquery:
        at = &e->As<SubqueryExpr>().at;
        break;
      default:
        Fail(e->pos,
             "@ modifier must be preceded by an instant vector selector or range vector "
             "selector or a subquery");
    }
    if (at->kind != AtModifier::Kind::kNone) {
      Fail(e->pos, "@ <timestamp> may not be set multiple times");
    }
    e->pos.end = last_closing_;
    return at;
  }

  void AddOffset(Expr* e, int64_t offset_ms) {
    int64_t* slot;
    switch (e->kind) {
      case NodeKind::kVectorSelector:
        slot = &e->As<VectorSelector>().offset_ms;
        break;
      case NodeKind::kMatrixSelector:
        slot = &e->As<MatrixSelector>().selector->offset_ms;
        break;
      case NodeKind::kSubquery:
        slot = &e->As<SubqueryExpr>().offset_ms;
        break;
      default:
        Fail(e->pos,
             "offset modifier must be preceded by an instant vector selector or range vector "
             "selector or a subquery");
    }
    if (*slot != 0) Fail(e->pos, "offset may not be set multiple times");
    *slot = offset_ms;
    e->pos.end = last_closing_;
  }

  ExprPtr ParseRangeOrSubquery(ExprPtr e) {
    Token left = tok_;
    Advance();
    if (tok_.type != TokenType::kDuration) Unexpected("subquery selector", "duration");
    int64_t range = ParseDuration();
    if (tok_.type == TokenType::kRightBracket) {
      Token right = tok_;
      Advance();
      const char* error = nullptr;
      if (e->kind != NodeKind::kVectorSelector) {
        error = "ranges only allowed for vector selectors";
      } else if (e->As<VectorSelector>().offset_ms != 0) {
        error = "no offset modifiers allowed before range";
      } else if (e->As<VectorSelector>().at.kind != AtModifier::Kind::kNone) {
        error = "no @ modifiers allowed before range";
      }
      if (error) Fail({left.pos, right.end()}, error);
      auto m = std::make_unique<MatrixSelector>();
      m->pos = {e->pos.start, right.end()};
      m->range_ms = range;
      m->selector.reset(static_cast<VectorSelector*>(e.release()));
      return m;
    }
    if (tok_.type != TokenType::kColon) Unexpected("subquery or range", "\":\" or \"]\"");
    Advance();
    auto s = std::make_unique<SubqueryExpr>();
    s->range_ms = range;
    if (tok_.type == TokenType::kDuration) {
      s->step_ms = ParseDuration();
      if (tok_.type != TokenType::kRightBracket) Unexpected("subquery selector", "\"]\"");
    } else if (tok_.type != TokenType::kRightBracket) {
      Unexpected("subquery selector", "duration or \"]\"");
    }
    s->pos = {e->pos.start, tok_.end()};
    Advance();
    s->expr = std::move(e);
    return s;
  }

  ExprPtr ParseVectorSelector() {
    auto vs = std::make_unique<VectorSelector>();
    vs->pos.start = tok_.pos;
    if (tok_.type != TokenType::kLeftBrace) {
      vs->name = std::string(tok_.text);
      vs->pos.end = tok_.end();
      Advance();
    }
    if (tok_.type == TokenType::kLeftBrace) {
      ParseMatchers(vs.get());
      vs->pos.end = last_closing_;
    }
    if (!vs->name.empty()) {
      vs->matchers.push_back(*LabelMatcher::Make(MatchOp::kEqual, "__name__", vs->name));
    }
    return vs;
  }

  void ParseMatchers(VectorSelector* vs) {
    Advance();  // {
    if (tok_.type == TokenType::kRightBrace) {
      Advance();
      return;
    }
    for (;;) {
      if (tok_.type != TokenType::kIdentifier) {
        Unexpected("label matching", "identifier or \"}\"");
      }
      Token name = tok_;
      Advance();
      MatchOp op;
      switch (tok_.type) {
        case TokenType::kAssign:
          op = MatchOp::kEqual;
          break;
        case TokenType::kNeq:
          op = MatchOp::kNotEqual;
          break;
        case TokenType::kEqlRegex:
          op = MatchOp::kRegexMatch;
          break;
        case TokenType::kNeqRegex:
          op = MatchOp::kRegexNoMatch;
          break;
        default:
          Unexpected("label matching", "label matching operator");
      }
      Advance();
      if (tok_.type != TokenType::kString) Unexpected("label matching", "string");
      Token value = tok_;
      auto m = LabelMatcher::Make(op, std::string(name.text), Unquote(value));
      if (!m.ok()) Fail({name.pos, value.end()}, m.status().message());
      vs->matchers.push_back(std::move(*m));
      Advance();
      if (tok_.type == TokenType::kComma) {
        Advance();
        if (tok_.type == TokenType::kRightBrace) {
          Advance();
          return;
        }
        continue;
      }
      if (tok_.type == TokenType::kRightBrace) {
        Advance();
        return;
      }
      Unexpected("label matching", "\",\" or \"}\"");
    }
  }

  ExprPtr ParseFunctionCall() {
    Token name = tok_;
    Advance();
    auto call = std::make_unique<Call>();
    call->args = ParseCallArgs();
    call->func = FindFunction(name.text);
    if (!call->func) {
      Fail({name.pos, name.end()}, "unknown function with name " + QuoteString(name.text));
    }
    call->pos = {name.pos, last_closing_};
    return call;
  }

  std::vector<ExprPtr> ParseCallArgs() {
    Advance();  // (
    std::vector<ExprPtr> args;
    if (tok_.type == TokenType::kRightParen) {
      Advance();
      return args;
    }
    for (;;) {
      args.push_back(ParseBinary(0));
      if (tok_.type == TokenType::kComma) {
        Token comma = tok_;
        Advance();
        if (tok_.type == TokenType::kRightParen) {
          Fail({comma.pos, comma.end()}, "trailing commas not allowed in function call args");
        }
        continue;
      }
      if (tok_.type != TokenType::kRightParen) Unexpected("", "");
      Advance();
      return args;
    }
  }

  ExprPtr ParseAggregate() {
    Token op = tok_;
    Advance();
    auto agg = std::make_unique<AggregateExpr>();
    agg->op = ToAggregateOp(op.type);
    bool grouped = false;
    auto parse_modifier = [&] {
      agg->without = tok_.type == TokenType::kWithout;
      Advance();
      agg->grouping = ParseGroupingLabels();
      grouped = true;
    };
    if (tok_.type == TokenType::kBy || tok_.type == TokenType::kWithout) parse_modifier();
    if (tok_.type != TokenType::kLeftParen) Unexpected("", "");
    std::vector<ExprPtr> args = ParseCallArgs();
    if (!grouped && (tok_.type == TokenType::kBy || tok_.type == TokenType::kWithout)) {
      parse_modifier();
    }
    agg->pos = {op.pos, last_closing_};
    if (args.empty()) Fail(agg->pos, "no arguments for aggregate expression provided");
    size_t want = AggregateOpHasParam(agg->op) ? 2 : 1;
    if (args.size() != want) {
      Fail(agg->pos, fmt::format("wrong number of arguments for aggregate expression provided, "
                                 "expected {}, got {}",
                                 want, args.size()));
    }
    if (want == 2) agg->param = std::move(args[0]);
    agg->expr = std::move(args.back());
    return agg;
  }

  std::vector<std::string> ParseGroupingLabels() {
    if (tok_.type != TokenType::kLeftParen) Unexpected("grouping opts", "\"(\"");
    Advance();
    std::vector<std::string> labels;
    if (tok_.type == TokenType::kRightParen) {
      Advance();
      return labels;
    }
    for (;;) {
      if (!IsLabelToken(tok_.type) || !IsValidLabelName(tok_.text)) {
        Unexpected("grouping opts", "label");
      }
      labels.emplace_back(tok_.text);
      Advance();
      if (tok_.type == TokenType::kComma) {
        Advance();
        if (tok_.type == TokenType::kRightParen) {
          Advance();
          return labels;
        }
        continue;
      }
      if (tok_.type != TokenType::kRightParen) Unexpected("grouping opts", "\",\" or \")\"");
      Advance();
      return labels;
    }
  }

  int64_t ParseDuration() {
    Token d = tok_;
    auto ms = ParseDurationMs(d.text);
    if (!ms.ok()) Fail({d.pos, d.end()}, ms.status().message());
    if (*ms == 0) Fail({d.pos, d.end()}, "duration must be greater than 0");
    Advance();
    return *ms;
  }

  std::string Unquote(const Token& t) {
    std::string out;
    if (!UnquoteString(t.text, &out)) {
      Fail({t.pos, t.end()}, "error unquoting string " + QuoteString(t.text) + ": invalid syntax");
    }
    return out;
  }

  // Go's ParseInt(s, 0, 64), falling back to ParseFloat, as Prometheus reads numbers.
  double ParseNumber(const Token& t) {
    std::string_view s = t.text;
    if (EqualsIgnoreCase(s, "inf")) return std::numeric_limits<double>::infinity();
    if (EqualsIgnoreCase(s, "nan")) return std::numeric_limits<double>::quiet_NaN();
    if (auto i = ParseGoInt(s)) return static_cast<double>(*i);
    auto fail = [&](std::string_view why) {
      Fail({t.pos, t.end()}, fmt::format("error parsing number: strconv.ParseFloat: parsing "
                                         "{}: {}",
                                         QuoteString(s), why));
    };
    if (s.size() > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) fail("invalid syntax");
    std::string buf(s);
    errno = 0;
    char* end = nullptr;
    double v = std::strtod(buf.c_str(), &end);
    if (end != buf.c_str() + buf.size() || buf.empty()) fail("invalid syntax");
    if (errno == ERANGE && std::isinf(v)) fail("value out of range");
    return v;
  }

  // Type checks, in the order Prometheus runs them after a successful parse.
  ValueType Check(Expr& e) {
    switch (e.kind) {
      case NodeKind::kNumberLiteral:
      case NodeKind::kStringLiteral:
        break;
      case NodeKind::kParen:
        Check(*e.As<ParenExpr>().expr);
        break;
      case NodeKind::kVectorSelector:
        CheckSelector(e.As<VectorSelector>());
        break;
      case NodeKind::kMatrixSelector:
        Check(*e.As<MatrixSelector>().selector);
        break;
      case NodeKind::kSubquery: {
        auto& s = e.As<SubqueryExpr>();
        ValueType t = Check(*s.expr);
        if (t != ValueType::kVector) {
          Fail(s.pos, fmt::format("subquery is only allowed on instant vector, got {} instead",
                                  ValueTypeName(t)));
        }
        break;
      }
      case NodeKind::kCall:
        CheckCall(e.As<Call>());
        break;
      case NodeKind::kAggregate: {
        auto& a = e.As<AggregateExpr>();
        ExpectType(*a.expr, ValueType::kVector, "aggregation expression");
        if (a.op == AggregateOp::kTopk || a.op == AggregateOp::kBottomk ||
            a.op == AggregateOp::kQuantile) {
          ExpectType(*a.param, ValueType::kScalar, "aggregation parameter");
        } else if (a.op == AggregateOp::kCountValues) {
          ExpectType(*a.param, ValueType::kString, "aggregation parameter");
        }
        break;
      }
      case NodeKind::kBinary:
        CheckBinary(e.As<BinaryExpr>());
        break;
      case NodeKind::kUnary: {
        auto& u = e.As<UnaryExpr>();
        ValueType t = Check(*u.expr);
        if (t != ValueType::kScalar && t != ValueType::kVector) {
          Fail(u.pos, fmt::format("unary expression only allowed on expressions of type scalar "
                                  "or instant vector, got {}",
                                  QuoteString(DocumentedTypeName(t))));
        }
        break;
      }
    }
    return e.Type();
  }

  void ExpectType(Expr& e, ValueType want, std::string_view context) {
    ValueType t = Check(e);
    if (t != want) {
      Fail(e.pos, fmt::format("expected type {} in {}, got {}", DocumentedTypeName(want), context,
                              DocumentedTypeName(t)));
    }
  }

  void CheckSelector(const VectorSelector& vs) {
    if (!vs.name.empty()) {
      for (size_t i = 0; i + 1 < vs.matchers.size(); ++i) {
        if (vs.matchers[i].name() == "__name__") {
          Fail(vs.pos, fmt::format("metric name must not be set twice: {} or {}",
                                   QuoteString(vs.name), QuoteString(vs.matchers[i].value())));
        }
      }
      return;
    }
    for (const LabelMatcher& m : vs.matchers) {
      if (!m.Matches("")) return;
    }
    Fail(vs.pos, "vector selector must contain at least one non-empty matcher");
  }

  void CheckCall(Call& c) {
    const FunctionInfo& f = *c.func;
    size_t nargs = f.arg_types.size();
    std::string name = QuoteString(f.name);
    if (f.variadic == 0) {
      if (nargs != c.args.size()) {
        Fail(c.pos, fmt::format("expected {} argument(s) in call to {}, got {}", nargs, name,
                                c.args.size()));
      }
    } else {
      size_t na = nargs - 1;
      if (na > c.args.size()) {
        Fail(c.pos, fmt::format("expected at least {} argument(s) in call to {}, got {}", na, name,
                                c.args.size()));
      } else if (f.variadic > 0 && na + f.variadic < c.args.size()) {
        Fail(c.pos, fmt::format("expected at most {} argument(s) in call to {}, got {}",
                                na + f.variadic, name, c.args.size()));
      }
    }
    std::string context = "call to function " + name;
    for (size_t i = 0; i < c.args.size(); ++i) {
      size_t k = i < nargs ? i : nargs - 1;
      ExpectType(*c.args[i], f.arg_types[k], context);
    }
  }

  // The operator's position: the first non-space byte after the left operand.
  PosRange OperatorRange(const BinaryExpr& b) {
    uint32_t p = b.lhs->pos.end;
    while (p < input_.size() &&
           (input_[p] == ' ' || input_[p] == '\t' || input_[p] == '\n' || input_[p] == '\r')) {
      ++p;
    }
    return {p, b.rhs->pos.start};
  }

  void CheckBinary(BinaryExpr& b) {
    ValueType lt = Check(*b.lhs);
    ValueType rt = Check(*b.rhs);
    if (b.return_bool && !IsComparisonOp(b.op)) {
      Fail(OperatorRange(b), "bool modifier can only be used on comparison operators");
    }
    if (IsComparisonOp(b.op) && !b.return_bool && lt == ValueType::kScalar &&
        rt == ValueType::kScalar) {
      Fail(OperatorRange(b), "comparisons between scalars must use BOOL modifier");
    }
    if (IsSetOp(b.op) && b.matching && b.matching->card == VectorMatching::Cardinality::kOneToOne) {
      b.matching->card = VectorMatching::Cardinality::kManyToMany;
    }
    if (b.matching && b.matching->on) {
      for (const auto& l1 : b.matching->matching_labels) {
        for (const auto& l2 : b.matching->include) {
          if (l1 == l2) {
            Fail(OperatorRange(b), fmt::format("label {} must not occur in ON and GROUP clause "
                                               "at once",
                                               QuoteString(l1)));
          }
        }
      }
    }
    const char* kOperandTypes =
        "binary expression must contain only scalar and instant vector types";
    if (lt != ValueType::kScalar && lt != ValueType::kVector) Fail(b.lhs->pos, kOperandTypes);
    if (rt != ValueType::kScalar && rt != ValueType::kVector) Fail(b.rhs->pos, kOperandTypes);
    std::string op = QuoteString(BinaryOpString(b.op));
    if (lt != ValueType::kVector || rt != ValueType::kVector) {
      if (b.matching && !b.matching->matching_labels.empty()) {
        Fail(b.pos, "vector matching only allowed between instant vectors");
      }
      b.matching.reset();
    } else if (IsSetOp(b.op)) {
      auto card = b.matching->card;
      if (card == VectorMatching::Cardinality::kOneToMany ||
          card == VectorMatching::Cardinality::kManyToOne) {
        Fail(b.pos, fmt::format("no grouping allowed for {} operation", op));
      }
      if (card != VectorMatching::Cardinality::kManyToMany) {
        Fail(b.pos, "set operations must always be many-to-many");
      }
    }
    if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && IsSetOp(b.op)) {
      Fail(b.pos, fmt::format("set operator {} not allowed in binary scalar expression", op));
    }
  }

  std::string_view input_;
  Lexer lexer_;
  Token tok_;
  Token next_;
  bool has_next_ = false;
  uint32_t last_closing_ = 0;
  int depth_ = 0;
};

ParseError MakeError(std::string_view input, const Failure& f) {
  ParseError e;
  e.pos = f.pos;
  e.message = f.message;
  uint32_t p = std::min<uint32_t>(f.pos.start, static_cast<uint32_t>(input.size()));
  int64_t last_break = -1;
  for (uint32_t i = 0; i < p; ++i) {
    if (input[i] == '\n') {
      last_break = i;
      ++e.line;
    }
  }
  e.column = static_cast<int>(static_cast<int64_t>(p) - last_break);
  return e;
}

}  // namespace

std::string ParseError::ToString() const {
  return fmt::format("{}:{}: parse error: {}", line, column, message);
}

Result<ExprPtr> ParseExpr(std::string_view input, ParseError* error) {
  try {
    Parser p(input);
    return p.ParseTop();
  } catch (const Failure& f) {
    ParseError e = MakeError(input, f);
    Status s = Status::InvalidArgument(e.ToString());
    if (error) *error = std::move(e);
    return s;
  }
}

Result<std::vector<LabelMatcher>> ParseMetricSelector(std::string_view input, ParseError* error) {
  try {
    Parser p(input);
    return p.ParseSelectorOnly();
  } catch (const Failure& f) {
    ParseError e = MakeError(input, f);
    Status s = Status::InvalidArgument(e.ToString());
    if (error) *error = std::move(e);
    return s;
  }
}

}  // namespace andon::query
