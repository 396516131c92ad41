#include "query/printer.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "query/functions.h"
#include "query/lexer.h"

namespace andon::query {
namespace {

// `^` binds tighter than a unary sign, so a left operand of `^` whose text starts with a sign
// (the literal +Inf, printed as Go prints it) is parenthesized: "+Inf ^ 2" would parse back as
// +(Inf ^ 2), "(+Inf) ^ 2" parses back to the same text.
bool NeedsSignParens(const BinaryExpr& b, std::string_view lhs_text) {
  return b.op == BinaryOp::kPow && !lhs_text.empty() && (lhs_text[0] == '+' || lhs_text[0] == '-');
}

constexpr size_t kMaxCharactersPerLine = 100;

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ", ";
    out += v[i];
  }
  return out;
}

std::string AtString(const AtModifier& at) {
  switch (at.kind) {
    case AtModifier::Kind::kTimestamp:
      return fmt::format(" @ {:.3f}", static_cast<double>(at.timestamp_ms) / 1000.0);
    case AtModifier::Kind::kStart:
      return " @ start()";
    case AtModifier::Kind::kEnd:
      return " @ end()";
    case AtModifier::Kind::kNone:
      break;
  }
  return "";
}

std::string OffsetString(int64_t offset_ms) {
  if (offset_ms > 0) return " offset " + FormatPromDuration(offset_ms);
  if (offset_ms < 0) return " offset -" + FormatPromDuration(-offset_ms);
  return "";
}

// The selector without its offset and @ (those print after a range).
std::string SelectorBody(const VectorSelector& vs) {
  std::vector<std::string> parts;
  for (const LabelMatcher& m : vs.matchers) {
    if (m.name() == "__name__" && m.op() == MatchOp::kEqual && m.value() == vs.name) continue;
    parts.push_back(m.String());
  }
  if (parts.empty()) return vs.name;
  std::sort(parts.begin(), parts.end());
  std::string out = vs.name + "{";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += ",";
    out += parts[i];
  }
  return out + "}";
}

std::string AggregatePrefix(const AggregateExpr& a) {
  std::string s(AggregateOpString(a.op));
  if (a.without) {
    s += " without (" + Join(a.grouping) + ") ";
  } else if (!a.grouping.empty()) {
    s += " by (" + Join(a.grouping) + ") ";
  }
  return s;
}

std::string MatchingString(const BinaryExpr& b) {
  if (!b.matching) return "";
  const VectorMatching& vm = *b.matching;
  if (vm.matching_labels.empty() && !vm.on) return "";
  std::string s = fmt::format(" {} ({})", vm.on ? "on" : "ignoring", Join(vm.matching_labels));
  if (vm.card == VectorMatching::Cardinality::kManyToOne ||
      vm.card == VectorMatching::Cardinality::kOneToMany) {
    s += fmt::format(" group_{} ({})",
                     vm.card == VectorMatching::Cardinality::kManyToOne ? "left" : "right",
                     Join(vm.include));
  }
  return s;
}

std::string SubquerySuffix(const SubqueryExpr& s) {
  std::string step = s.step_ms != 0 ? FormatPromDuration(s.step_ms) : "";
  return fmt::format("[{}:{}]{}{}", FormatPromDuration(s.range_ms), step, AtString(s.at),
                     OffsetString(s.offset_ms));
}

std::string Indent(int level) { return std::string(static_cast<size_t>(level) * 2, ' '); }

std::string Pretty(const Expr& e, int level);

bool NeedsSplit(const std::string& s) { return s.size() > kMaxCharactersPerLine; }

std::string Pretty(const Expr& e, int level) {
  std::string flat = ToString(e);
  switch (e.kind) {
    case NodeKind::kAggregate: {
      if (!NeedsSplit(flat)) return Indent(level) + flat;
      const auto& a = e.As<AggregateExpr>();
      std::string s = Indent(level) + AggregatePrefix(a) + "(\n";
      if (a.param) s += Pretty(*a.param, level + 1) + ",\n";
      s += Pretty(*a.expr, level + 1) + "\n" + Indent(level) + ")";
      return s;
    }
    case NodeKind::kBinary: {
      if (!NeedsSplit(flat)) return Indent(level) + flat;
      const auto& b = e.As<BinaryExpr>();
      std::string lhs = Pretty(*b.lhs, level + 1);
      std::string_view lhs_text = lhs;
      lhs_text.remove_prefix(std::min(lhs_text.find_first_not_of(' '), lhs_text.size()));
      if (NeedsSignParens(b, lhs_text)) lhs = Indent(level + 1) + "(" + std::string(lhs_text) + ")";
      return fmt::format("{}\n{}{}{}{}\n{}", lhs, Indent(level), BinaryOpString(b.op),
                         b.return_bool ? " bool" : "", MatchingString(b),
                         Pretty(*b.rhs, level + 1));
    }
    case NodeKind::kCall: {
      if (!NeedsSplit(flat)) return Indent(level) + flat;
      const auto& c = e.As<Call>();
      std::string args;
      for (size_t i = 0; i < c.args.size(); ++i) {
        if (i) args += ",\n";
        args += Pretty(*c.args[i], level + 1);
      }
      return fmt::format("{}{}(\n{}\n{})", Indent(level), c.func->name, args, Indent(level));
    }
    case NodeKind::kParen: {
      if (!NeedsSplit(flat)) return Indent(level) + flat;
      return fmt::format("{}(\n{}\n{})", Indent(level), Pretty(*e.As<ParenExpr>().expr, level + 1),
                         Indent(level));
    }
    case NodeKind::kSubquery: {
      // As in Prometheus 2.42, an unsplit subquery carries no indentation of its own.
      if (!NeedsSplit(flat)) return flat;
      const auto& s = e.As<SubqueryExpr>();
      return Pretty(*s.expr, level) + SubquerySuffix(s);
    }
    case NodeKind::kUnary: {
      const auto& u = e.As<UnaryExpr>();
      std::string child = Pretty(*u.expr, level);
      size_t b = child.find_first_not_of(" \t\n\r");
      size_t end = child.find_last_not_of(" \t\n\r");
      child = b == std::string::npos ? "" : child.substr(b, end - b + 1);
      return Indent(level) + (u.op == UnaryOp::kMinus ? "-" : "+") + child;
    }
    default:
      return Indent(level) + flat;
  }
}

}  // namespace

std::string FormatPromDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string r;
  auto unit = [&](const char* name, int64_t mult, bool exact) {
    if (exact && ms % mult != 0) return;
    int64_t v = ms / mult;
    if (v > 0) {
      r += std::to_string(v) + name;
      ms -= v * mult;
    }
  };
  unit("y", 1000LL * 60 * 60 * 24 * 365, true);
  unit("w", 1000LL * 60 * 60 * 24 * 7, true);
  unit("d", 1000LL * 60 * 60 * 24, false);
  unit("h", 1000LL * 60 * 60, false);
  unit("m", 1000LL * 60, false);
  unit("s", 1000LL, false);
  unit("ms", 1, false);
  return r;
}

std::string FormatGoFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Shortest round-trip digits laid out as Go's shortest %g: exponent form when the decimal
  // exponent is < -4 or >= 6 (at least two exponent digits), plain decimal otherwise.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  // sci looks like "-1.2345e+06" or "5e-07".
  bool neg = sci[0] == '-';
  size_t epos = sci.find('e');
  std::string mant = sci.substr(neg ? 1 : 0, epos - (neg ? 1 : 0));
  int exp = std::stoi(sci.substr(epos + 1));
  std::string digits;
  for (char c : mant) {
    if (c != '.') digits += c;
  }
  std::string out = neg ? "-" : "";
  if (exp < -4 || exp >= 6) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += fmt::format("e{}{:02d}", exp < 0 ? '-' : '+', std::abs(exp));
    return out;
  }
  if (exp < 0) {
    out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
    out += digits + std::string(static_cast<size_t>(exp) + 1 - digits.size(), '0');
  } else {
    out += digits.substr(0, static_cast<size_t>(exp) + 1) + "." +
           digits.substr(static_cast<size_t>(exp) + 1);
  }
  return out;
}

std::string ToString(const Expr& e) {
  switch (e.kind) {
    case NodeKind::kNumberLiteral:
      return FormatGoFloat(e.As<NumberLiteral>().value);
    case NodeKind::kStringLiteral:
      return QuoteString(e.As<StringLiteral>().value);
    case NodeKind::kVectorSelector: {
      const auto& vs = e.As<VectorSelector>();
      return SelectorBody(vs) + AtString(vs.at) + OffsetString(vs.offset_ms);
    }
    case NodeKind::kMatrixSelector: {
      const auto& m = e.As<MatrixSelector>();
      const VectorSelector& vs = *m.selector;
      return fmt::format("{}[{}]{}{}", SelectorBody(vs), FormatPromDuration(m.range_ms),
                         AtString(vs.at), OffsetString(vs.offset_ms));
    }
    case NodeKind::kSubquery: {
      const auto& s = e.As<SubqueryExpr>();
      return ToString(*s.expr) + SubquerySuffix(s);
    }
    case NodeKind::kCall: {
      const auto& c = e.As<Call>();
      std::string s(c.func->name);
      s += "(";
      for (size_t i = 0; i < c.args.size(); ++i) {
        if (i) s += ", ";
        s += ToString(*c.args[i]);
      }
      return s + ")";
    }
    case NodeKind::kAggregate: {
      const auto& a = e.As<AggregateExpr>();
      std::string s = AggregatePrefix(a) + "(";
      if (a.param) s += ToString(*a.param) + ", ";
      return s + ToString(*a.expr) + ")";
    }
    case NodeKind::kBinary: {
      const auto& b = e.As<BinaryExpr>();
      std::string lhs = ToString(*b.lhs);
      if (NeedsSignParens(b, lhs)) lhs = "(" + lhs + ")";
      return fmt::format("{} {}{}{} {}", lhs, BinaryOpString(b.op), b.return_bool ? " bool" : "",
                         MatchingString(b), ToString(*b.rhs));
    }
    case NodeKind::kUnary: {
      const auto& u = e.As<UnaryExpr>();
      return (u.op == UnaryOp::kMinus ? "-" : "+") + ToString(*u.expr);
    }
    case NodeKind::kParen:
      return "(" + ToString(*e.As<ParenExpr>().expr) + ")";
  }
  return "";
}

std::string Prettify(const Expr& e) { return Pretty(e, 0); }

std::string Expr::String() const { return ToString(*this); }

}  // namespace andon::query
