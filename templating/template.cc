// templating/template.cc
//
// The executor, after Go 1.19's text/template/exec.go: the same evaluation order, the
// same variable scoping (a variable lives until the {{end}} of the control structure that
// declared it; a {{template}} call sees only $), the same error texts. Errors are thrown
// inside and returned as Status at the API boundary. The variable and argument stacks are
// per-thread vectors reused across executions, so a warm execution allocates only for
// its output and for values it creates (function results, owned strings).
#include "templating/template.h"

#include <algorithm>

#include "templating/go_format.h"
#include "templating/template_tree.h"

namespace andon::templating {

using template_internal::FunctionCall;
using template_internal::FunctionDef;
using template_internal::FunctionError;
using template_internal::Node;
using template_internal::NodeString;
using template_internal::NodeType;
using template_internal::ParamType;
using template_internal::ParamTypeName;
using template_internal::TemplateSet;

namespace {

// Go allows 100000 nested template calls; a C++ stack does not, so the limit is lower.
constexpr int kMaxExecDepth = 1000;
// Stack an execution may use (nested templates times nested pipelines can be deep even
// within the depth and parse nesting limits); beyond it execution fails instead of
// overflowing the thread's stack.
constexpr std::ptrdiff_t kStackBudget = 3 << 20;
thread_local const char* tls_stack_base = nullptr;

struct ExecError {
  std::string message;
};
struct BreakSignal {};
struct ContinueSignal {};

struct Var {
  std::string_view name;
  TemplateValue value;
};

// Per-thread stacks, reused by every execution on the thread (and by nested ones).
struct Stacks {
  std::vector<Var> vars;
  std::vector<TemplateValue> args;
};
Stacks& ThreadStacks() {
  thread_local Stacks s = [] {
    Stacks st;
    st.vars.reserve(64);
    st.args.reserve(64);
    return st;
  }();
  return s;
}

std::string GoQuote(std::string_view s) {
  std::string q;
  AppendGoQuote(&q, s);
  return q;
}

class Executor {
 public:
  Executor(const TemplateSet* set, const TemplateEnv* env, std::string* out, int depth)
      : set_(set), env_(env), out_(out), st_(ThreadStacks()), depth_(depth) {}

  void Run(std::string_view name, const Node* root, const TemplateValue& data) {
    char base_probe;
    const bool outermost = tls_stack_base == nullptr;
    if (outermost) tls_stack_base = &base_probe;
    struct ResetBase {
      bool outermost;
      ~ResetBase() {
        if (outermost) tls_stack_base = nullptr;
      }
    } reset{outermost};
    size_t var_mark = st_.vars.size();
    size_t arg_mark = st_.args.size();
    tmpl_name_ = name;
    var_base_ = var_mark;
    try {
      Push("$", data);
      Walk(data, root);
    } catch (...) {
      st_.vars.resize(var_mark);
      st_.args.resize(arg_mark);
      throw;
    }
    st_.vars.resize(var_mark);
    st_.args.resize(arg_mark);
  }

 private:
  [[noreturn]] void Errorf(const std::string& msg) {
    if (node_ == nullptr) {
      throw ExecError{"template: " + std::string(tmpl_name_) + ": " + msg};
    }
    // Go's ErrorContext: line and byte column (0-based) of the node in the parsed text.
    std::string_view text = std::string_view(set_->text).substr(0, node_->pos);
    size_t nl = text.rfind('\n');
    size_t col = nl == std::string_view::npos ? text.size() : text.size() - (nl + 1);
    int line = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    throw ExecError{"template: " + set_->parse_name + ":" + std::to_string(line) + ":" +
                    std::to_string(col) + ": executing " + GoQuote(tmpl_name_) + " at <" +
                    NodeString(node_) + ">: " + msg};
  }
  void At(const Node* n) { node_ = n; }

  // ---- variables ----
  void Push(std::string_view name, TemplateValue v) { st_.vars.push_back({name, std::move(v)}); }
  size_t Mark() const { return st_.vars.size(); }
  void Pop(size_t mark) { st_.vars.resize(mark); }
  Var* FindVar(std::string_view name) {
    for (size_t i = st_.vars.size(); i > var_base_; --i) {
      if (st_.vars[i - 1].name == name) return &st_.vars[i - 1];
    }
    return nullptr;
  }
  const TemplateValue& VarValue(std::string_view name) {
    Var* v = FindVar(name);
    if (v == nullptr) Errorf("undefined variable: " + std::string(name));
    return v->value;
  }
  void SetVar(std::string_view name, const TemplateValue& value) {
    Var* v = FindVar(name);
    if (v == nullptr) Errorf("undefined variable: " + std::string(name));
    v->value = value;
  }

  // ---- walking ----
  void CheckStack() {
    char probe;
    if (tls_stack_base - &probe > kStackBudget) Errorf("exceeded maximum template nesting");
  }

  void Walk(const TemplateValue& dot, const Node* n) {
    switch (n->type) {
      case NodeType::kList:
        for (const Node* c : n->nodes) Walk(dot, c);
        return;
      case NodeType::kText:
        out_->append(n->text);
        return;
      case NodeType::kComment:
        return;
      case NodeType::kAction: {
        TemplateValue v = EvalPipeline(dot, n->pipe);
        if (n->pipe->decl.empty()) PrintValue(n, v);
        return;
      }
      case NodeType::kIf:
      case NodeType::kWith: {
        size_t mark = Mark();
        TemplateValue v = EvalPipeline(dot, n->pipe);
        if (IsTrue(v)) {
          Walk(n->type == NodeType::kWith ? v : dot, n->list);
        } else if (n->else_list != nullptr) {
          Walk(dot, n->else_list);
        }
        Pop(mark);
        return;
      }
      case NodeType::kRange:
        WalkRange(dot, n);
        return;
      case NodeType::kTemplate:
        WalkTemplate(dot, n);
        return;
      case NodeType::kBreak:
        throw BreakSignal{};
      case NodeType::kContinue:
        throw ContinueSignal{};
      default:
        At(n);
        Errorf("unknown node: " + NodeString(n));
    }
  }

  void PrintValue(const Node* n, const TemplateValue& v) {
    At(n);
    switch (v.kind()) {
      case TemplateValue::Kind::kNil:
        out_->append("<no value>");
        return;
      case TemplateValue::Kind::kString:
        out_->append(v.string_value());
        return;
      case TemplateValue::Kind::kSample: {
        // text/template prints what a pointer points to: {map[...] 1}
        size_t start = out_->size();
        AppendGoValue(out_, v);
        out_->erase(start, 1);
        return;
      }
      default:
        AppendGoValue(out_, v);
    }
  }

  void WalkRange(const TemplateValue& dot, const Node* r) {
    At(r);
    size_t mark = Mark();
    TemplateValue val = EvalPipeline(dot, r->pipe);
    size_t inner = Mark();
    const size_t ndecl = r->pipe->decl.size();
    bool iterated = false;
    auto one = [&](const TemplateValue& index, const TemplateValue& elem) -> bool {
      if (ndecl > 0) st_.vars[inner - 1].value = elem;
      if (ndecl > 1) st_.vars[inner - 2].value = index;
      bool stop = false;
      try {
        Walk(elem, r->list);
      } catch (const ContinueSignal&) {
      } catch (const BreakSignal&) {
        stop = true;
      }
      Pop(inner);
      return !stop;
    };
    using K = TemplateValue::Kind;
    switch (val.kind()) {
      case K::kList: {
        const TemplateList& l = val.list_value();
        iterated = !l.empty();
        for (size_t i = 0; i < l.size(); ++i) {
          if (!one(TemplateValue::Int(static_cast<int64_t>(i)), l[i])) break;
        }
        break;
      }
      case K::kQueryResult: {
        const auto& q = val.query_value();
        iterated = q != nullptr && !q->empty();
        for (size_t i = 0; iterated && i < q->size(); ++i) {
          if (!one(TemplateValue::Int(static_cast<int64_t>(i)), TemplateValue::Sample(q, i))) {
            break;
          }
        }
        break;
      }
      case K::kLabels: {
        const Labels& l = val.labels_value();
        iterated = !l.empty();
        for (const Label& lb : l) {
          if (!one(val.LabelValue(lb.name), val.LabelValue(lb.value))) {
            break;
          }
        }
        break;
      }
      case K::kMap: {
        const TemplateMap& m = val.map_value();
        iterated = !m.empty();
        for (const auto& [k, v] : m) {
          if (!one(TemplateValue::String(k), v)) break;
        }
        break;
      }
      case K::kNil:
        break;
      default: {
        std::string s;
        if (val.kind() == K::kSample) {
          AppendGoValue(&s, val);
          s.erase(0, 1);
        } else {
          AppendGoValue(&s, val);
        }
        Errorf("range can't iterate over " + s);
      }
    }
    if (!iterated && r->else_list != nullptr) Walk(dot, r->else_list);
    Pop(mark);
  }

  void WalkTemplate(const TemplateValue& dot, const Node* t) {
    At(t);
    auto it = set_->trees.find(t->text);
    if (it == set_->trees.end()) Errorf("template " + GoQuote(t->text) + " not defined");
    if (depth_ >= kMaxExecDepth) {
      Errorf("exceeded maximum template depth (" + std::to_string(kMaxExecDepth) + ")");
    }
    TemplateValue new_dot = t->pipe != nullptr ? EvalPipeline(dot, t->pipe) : TemplateValue();
    std::string_view saved_name = tmpl_name_;
    size_t saved_base = var_base_;
    size_t mark = Mark();
    tmpl_name_ = it->first;
    var_base_ = mark;
    ++depth_;
    Push("$", new_dot);
    Walk(new_dot, it->second);
    --depth_;
    Pop(mark);
    var_base_ = saved_base;
    tmpl_name_ = saved_name;
  }

 public:
  // Executes a named template as `tmpl` does (nested in the current execution).
  int depth() const { return depth_; }

 private:
  // ---- evaluation ----
  TemplateValue EvalPipeline(const TemplateValue& dot, const Node* pipe) {
    At(pipe);
    CheckStack();
    TemplateValue value;
    bool has_final = false;
    for (const Node* cmd : pipe->nodes) {
      value = EvalCommand(dot, cmd, has_final ? &value : nullptr);
      has_final = true;
    }
    for (const Node* v : pipe->decl) {
      if (pipe->is_assign) {
        SetVar(v->ident[0], value);
      } else {
        Push(v->ident[0], value);
      }
    }
    return value;
  }

  void NotAFunction(std::span<const Node* const> args, const TemplateValue* final) {
    if (args.size() > 1 || final != nullptr) {
      Errorf("can't give argument to non-function " + NodeString(args[0]));
    }
  }

  TemplateValue EvalCommand(const TemplateValue& dot, const Node* cmd, const TemplateValue* final) {
    const Node* first = cmd->nodes[0];
    std::span<const Node* const> args(cmd->nodes.data(), cmd->nodes.size());
    switch (first->type) {
      case NodeType::kField:
        At(first);
        return EvalFieldChain(dot, dot, first, first->ident, args, final);
      case NodeType::kChain:
        return EvalChainNode(dot, first, args, final);
      case NodeType::kIdentifier:
        return EvalFunction(dot, first, cmd, args, final);
      case NodeType::kPipe:
        NotAFunction(args, final);
        return EvalPipeline(dot, first);
      case NodeType::kVariable:
        return EvalVariableNode(dot, first, args, final);
      default:
        break;
    }
    At(first);
    NotAFunction(args, final);
    switch (first->type) {
      case NodeType::kBool:
        return TemplateValue::Bool(first->bool_value);
      case NodeType::kDot:
        return dot;
      case NodeType::kNil:
        Errorf("nil is not a command");
      case NodeType::kNumber:
        return IdealConstant(first);
      case NodeType::kString:
        return first->constant;
      default:
        Errorf("can't evaluate command " + NodeString(first));
    }
  }

  TemplateValue IdealConstant(const Node* n) {
    At(n);
    if (n->constant.is_nil()) Errorf(n->text + " overflows int");
    return n->constant;
  }

  TemplateValue EvalChainNode(const TemplateValue& dot, const Node* chain,
                              std::span<const Node* const> args, const TemplateValue* final) {
    if (chain->chain_base->type == NodeType::kNil) {
      Errorf("indirection through explicit nil in " + NodeString(chain));
    }
    TemplateValue base = EvalArg(dot, ParamType::kAny, chain->chain_base);
    return EvalFieldChain(dot, base, chain, chain->ident, args, final);
  }

  TemplateValue EvalVariableNode(const TemplateValue& dot, const Node* var,
                                 std::span<const Node* const> args, const TemplateValue* final) {
    At(var);
    const TemplateValue& value = VarValue(var->ident[0]);
    if (var->ident.size() == 1) {
      NotAFunction(args, final);
      return value;
    }
    TemplateValue receiver = value;
    return EvalFieldChain(dot, receiver, var, std::span<const std::string>(var->ident).subspan(1),
                          args, final);
  }

  TemplateValue EvalFieldChain(const TemplateValue& dot, TemplateValue receiver, const Node* node,
                               std::span<const std::string> ident,
                               std::span<const Node* const> args, const TemplateValue* final) {
    size_t n = ident.size();
    bool boxed = false;  // receiver came out of a map[string]interface {}
    for (size_t i = 0; i + 1 < n; ++i) {
      bool next_boxed = receiver.kind() == TemplateValue::Kind::kMap;
      receiver = EvalField(ident[i], {}, nullptr, receiver, boxed);
      boxed = next_boxed;
    }
    return EvalField(ident[n - 1], args, final, receiver, boxed);
  }

  TemplateValue EvalField(const std::string& name, std::span<const Node* const> args,
                          const TemplateValue* final, const TemplateValue& receiver, bool boxed) {
    using K = TemplateValue::Kind;
    const bool has_args = args.size() > 1 || final != nullptr;
    auto field = [&](TemplateValue v) {
      if (has_args) Errorf(name + " has arguments but cannot be invoked as function");
      return v;
    };
    switch (receiver.kind()) {
      case K::kNil:
        return TemplateValue();
      case K::kAlert: {
        const AlertTemplateData& a = receiver.alert_value();
        if (name == "Labels") return field(TemplateValue::BorrowedLabelMap(&a.labels));
        if (name == "ExternalLabels") {
          return field(TemplateValue::BorrowedLabelMap(&a.external_labels));
        }
        if (name == "ExternalURL") return field(TemplateValue::BorrowedString(a.external_url));
        if (name == "Value") return field(TemplateValue::Float(a.value));
        break;
      }
      case K::kSample: {
        const QuerySample& s = receiver.sample_value();
        if (name == "Labels") return field(TemplateValue::LabelMap(s.labels));
        if (name == "Value") return field(TemplateValue::Float(s.value));
        break;
      }
      case K::kLabels: {
        if (has_args) Errorf(name + " is not a method but has arguments");
        return receiver.LabelValue(receiver.labels_value().Get(name));
      }
      case K::kMap: {
        if (has_args) Errorf(name + " is not a method but has arguments");
        const TemplateMap& m = receiver.map_value();
        auto it = m.find(name);
        return it == m.end() ? TemplateValue() : it->second;
      }
      default:
        break;
    }
    Errorf("can't evaluate field " + name + " in type " +
           std::string(boxed ? "interface {}" : receiver.GoTypeName()));
  }

  TemplateValue EvalFunction(const TemplateValue& dot, const Node* ident, const Node* cmd,
                             std::span<const Node* const> args, const TemplateValue* final) {
    At(ident);
    return EvalCall(dot, ident->func, cmd, args, final);
  }

  // args[0] is the function's own node (or args is empty for a function used as an
  // argument, which gets no arguments).
  TemplateValue EvalCall(const TemplateValue& dot, const FunctionDef* f, const Node* node,
                         std::span<const Node* const> args, const TemplateValue* final) {
    const std::string_view name = f->name;
    const re2::RE2* regex = args.empty() ? nullptr : args[0]->regex.get();
    if (!args.empty()) args = args.subspan(1);
    const size_t nparams = f->params.size();
    size_t num_in = args.size() + (final != nullptr ? 1 : 0);
    size_t num_fixed = args.size();
    if (f->variadic) {
      num_fixed = nparams - 1;
      if (num_in < num_fixed) {
        Errorf("wrong number of args for " + std::string(name) + ": want at least " +
               std::to_string(num_fixed) + " got " + std::to_string(args.size()));
      }
    } else if (num_in != nparams) {
      Errorf("wrong number of args for " + std::string(name) + ": want " + std::to_string(nparams) +
             " got " + std::to_string(num_in));
    }
    if (name == "and" || name == "or") {
      TemplateValue v;
      for (const Node* a : args) {
        v = EvalArg(dot, ParamType::kValue, a);
        if (IsTrue(v) == (name == "or")) return v;
      }
      if (final != nullptr) v = ValidateType(*final, ParamType::kValue);
      return v;
    }
    size_t base = st_.args.size();
    size_t i = 0;
    for (; i < num_fixed && i < args.size(); ++i) {
      TemplateValue v = EvalArg(dot, f->params[i], args[i]);
      st_.args.push_back(std::move(v));
    }
    for (; i < args.size(); ++i) {
      TemplateValue v = EvalArg(dot, f->params.back(), args[i]);
      st_.args.push_back(std::move(v));
    }
    if (final != nullptr) {
      ParamType t = f->params.back();
      if (f->variadic && num_in - 1 < num_fixed) t = f->params[num_in - 1];
      st_.args.push_back(ValidateType(*final, t));
    }
    FunctionCall call{env_, set_, depth_, regex};
    TemplateValue result;
    try {
      result = f->impl(call, std::span<const TemplateValue>(st_.args.data() + base, num_in));
    } catch (const FunctionError& e) {
      st_.args.resize(base);
      At(node);
      Errorf("error calling " + std::string(name) + ": " + e.message);
    }
    st_.args.resize(base);
    return result;
  }

  static bool CanBeNil(ParamType t) {
    return t == ParamType::kAny || t == ParamType::kSample || t == ParamType::kQueryResult;
  }

  TemplateValue ValidateType(const TemplateValue& v, ParamType t) {
    using K = TemplateValue::Kind;
    if (v.is_nil()) {
      if (CanBeNil(t) || t == ParamType::kValue) return v;
      Errorf("invalid value; expected " + std::string(ParamTypeName(t)));
    }
    K want;
    switch (t) {
      case ParamType::kAny:
      case ParamType::kValue:
        return v;
      case ParamType::kString:
        want = K::kString;
        break;
      case ParamType::kSample:
        want = K::kSample;
        break;
      default:
        want = K::kQueryResult;
        break;
    }
    if (v.kind() != want) {
      Errorf("wrong type for value; expected " + std::string(ParamTypeName(t)) + "; got " +
             std::string(v.GoTypeName()));
    }
    return v;
  }

  TemplateValue EvalArg(const TemplateValue& dot, ParamType t, const Node* n) {
    At(n);
    switch (n->type) {
      case NodeType::kDot:
        return ValidateType(dot, t);
      case NodeType::kNil:
        if (CanBeNil(t) || t == ParamType::kValue) return TemplateValue();
        Errorf("cannot assign nil to " + std::string(ParamTypeName(t)));
      case NodeType::kField: {
        const Node* self[] = {n};
        return ValidateType(EvalFieldChain(dot, dot, n, n->ident, self, nullptr), t);
      }
      case NodeType::kVariable:
        return ValidateType(EvalVariableNode(dot, n, {}, nullptr), t);
      case NodeType::kPipe:
        return ValidateType(EvalPipeline(dot, n), t);
      case NodeType::kIdentifier:
        return ValidateType(EvalCall(dot, n->func, n, {}, nullptr), t);
      case NodeType::kChain:
        return ValidateType(EvalChainNode(dot, n, {}, nullptr), t);
      default:
        break;
    }
    switch (t) {
      case ParamType::kString:
        if (n->type == NodeType::kString) return n->constant;
        Errorf("expected string; found " + NodeString(n));
      case ParamType::kAny:
      case ParamType::kValue:
        switch (n->type) {
          case NodeType::kBool:
            return TemplateValue::Bool(n->bool_value);
          case NodeType::kNumber:
            return IdealConstant(n);
          case NodeType::kString:
            return n->constant;
          default:
            Errorf("can't handle " + NodeString(n) + " for arg of type interface {}");
        }
      default:
        Errorf("can't handle " + NodeString(n) + " for arg of type " +
               std::string(ParamTypeName(t)));
    }
  }

  const TemplateSet* set_;
  const TemplateEnv* env_;
  std::string* out_;
  Stacks& st_;
  int depth_;
  std::string_view tmpl_name_;
  size_t var_base_ = 0;
  const Node* node_ = nullptr;
};

constexpr std::string_view kAlertDefs =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}"
    "{{$externalURL := .ExternalURL}}{{$value := .Value}}";

}  // namespace

namespace template_internal {

void ExecuteNamedTemplate(const FunctionCall& call, std::string_view name,
                          const TemplateValue& data, std::string* out) {
  auto it = call.set->trees.find(name);
  if (it == call.set->trees.end()) {
    throw FunctionError{"template: no template " + GoQuote(name) + " associated with template " +
                        GoQuote(call.set->parse_name)};
  }
  if (call.depth >= kMaxExecDepth) {
    throw FunctionError{"exceeded maximum template depth (" + std::to_string(kMaxExecDepth) + ")"};
  }
  Executor ex(call.set, call.env, out, call.depth + 1);
  try {
    ex.Run(it->first, it->second, data);
  } catch (const ExecError& e) {
    throw FunctionError{e.message};
  }
}

}  // namespace template_internal

Result<Template> Template::Parse(std::string_view text, std::string_view name, bool console) {
  auto set = std::make_shared<TemplateSet>();
  set->parse_name = std::string(name);
  set->text = std::string(text);
  try {
    template_internal::ParseInto(set.get(), console);
  } catch (const template_internal::ParseError& e) {
    return Status::InvalidArgument(e.message);
  }
  return Template(std::move(set));
}

Result<Template> Template::ParseAlert(std::string_view text, std::string_view alert_name) {
  std::string full(kAlertDefs);
  full.append(text);
  return Parse(full, "__alert_" + std::string(alert_name));
}

const std::string& Template::name() const { return set_->parse_name; }

Status Template::ExecuteTemplateTo(std::string_view name, const TemplateValue& data,
                                   const TemplateEnv& env, std::string* out) const {
  auto it = set_->trees.find(name);
  if (it == set_->trees.end()) {
    return Status::InvalidArgument("template: no template " + GoQuote(name) +
                                   " associated with template " + GoQuote(set_->parse_name));
  }
  Executor ex(set_.get(), &env, out, 0);
  try {
    ex.Run(it->first, it->second, data);
  } catch (const ExecError& e) {
    return Status::InvalidArgument(e.message);
  } catch (const BreakSignal&) {
    return Status::Internal("template: {{break}} outside {{range}}");
  } catch (const ContinueSignal&) {
    return Status::Internal("template: {{continue}} outside {{range}}");
  }
  return Status::Ok();
}

Status Template::ExecuteTo(const TemplateValue& data, const TemplateEnv& env,
                           std::string* out) const {
  return ExecuteTemplateTo(set_->parse_name, data, env, out);
}

Result<std::string> Template::Execute(const TemplateValue& data, const TemplateEnv& env) const {
  std::string out;
  Status s = ExecuteTo(data, env, &out);
  if (!s.ok()) return s;
  return out;
}

Result<std::string> ExpandAlertTemplate(std::string_view text, std::string_view alert_name,
                                        const AlertTemplateData& data, const TemplateEnv& env) {
  std::string name = "__alert_" + std::string(alert_name);
  Result<Template> t = Template::ParseAlert(text, alert_name);
  if (!t.ok()) {
    return Status::InvalidArgument("error parsing template " + name + ": " + t.status().message());
  }
  Result<std::string> r = t->ExecuteAlert(data, env);
  if (!r.ok()) {
    return Status::InvalidArgument("error executing template " + name + ": " +
                                   r.status().message());
  }
  return r;
}

}  // namespace andon::templating
