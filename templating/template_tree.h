// templating/template_tree.h
//
// Internals of templating/template.h shared by its parser, executor and function table: the
// parse tree (after Go's text/template/parse nodes) and the function signatures. Not an
// API for other layers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "templating/template.h"
#include "templating/template_value.h"

namespace re2 {
class RE2;
}

namespace andon::templating::template_internal {

enum class NodeType : uint8_t {
  kText,
  kAction,
  kComment,
  kIf,
  kRange,
  kWith,
  kTemplate,
  kList,
  kPipe,
  kCommand,
  kField,
  kVariable,
  kChain,
  kIdentifier,
  kDot,
  kNil,
  kBool,
  kNumber,
  kString,
  kEnd,
  kElse,
  kBreak,
  kContinue,
};

struct FunctionDef;

// One node; which members are used depends on the type (see the comments).
struct Node {
  NodeType type;
  int pos = 0;   // byte offset of the node in the parsed text
  int line = 0;  // 1-based line of the node
  // kText: the text; kString: the unquoted value; kNumber: the literal; kIdentifier: the
  // name; kTemplate: the template name.
  std::string text;
  std::string quoted;                 // kString: the literal as written
  std::vector<std::string> ident;     // kField: a.b; kVariable: $x.a; kChain: the fields
  std::vector<Node*> nodes;           // kList: items; kPipe: commands; kCommand: operands
  std::vector<Node*> decl;            // kPipe: declared or assigned variables
  bool is_assign = false;             // kPipe: "=" rather than ":="
  Node* pipe = nullptr;               // kAction, kIf, kRange, kWith, kTemplate
  Node* list = nullptr;               // kIf, kRange, kWith
  Node* else_list = nullptr;          // kIf, kRange, kWith
  Node* chain_base = nullptr;         // kChain: the operand whose fields are taken
  const FunctionDef* func = nullptr;  // kIdentifier
  // kIdentifier of match/reReplaceAll whose pattern is a string literal: the pattern,
  // compiled once at parse time (null if it does not compile; the call reports that).
  std::shared_ptr<const re2::RE2> regex;
  // kNumber, as Go's NumberNode
  bool is_int = false;
  bool is_float = false;
  bool is_uint = false;
  int64_t int_value = 0;
  double float_value = 0;
  bool bool_value = false;  // kBool
  // kNumber: the constant the executor yields (int or float64, as Go's idealConstant)
  TemplateValue constant;
};

// Go's Node.String(): the node as template source, used in error messages.
void AppendNodeString(std::string* out, const Node* n);
std::string NodeString(const Node* n);

// All templates of one Parse: the main one and those of define/block.
struct TemplateSet {
  std::string parse_name;
  std::string text;  // the full parsed text; node positions index into it
  std::vector<std::unique_ptr<Node>> arena;
  std::map<std::string, Node*, std::less<>> trees;  // name -> root list
};

// Parses text into set (throws ParseError with Go's message).
struct ParseError {
  std::string message;
};
void ParseInto(TemplateSet* set, bool console_functions);

// Function parameters, as the Go types of Prometheus' and text/template's functions.
enum class ParamType : uint8_t {
  kAny,          // interface{}
  kValue,        // reflect.Value (builtins that take anything, nil included)
  kString,       // string
  kSample,       // *template.sample
  kQueryResult,  // template.queryResult
};

// What a function sees of the execution calling it.
struct FunctionCall {
  const TemplateEnv* env;
  const struct TemplateSet* set;
  int depth;                        // template nesting depth, for `tmpl`
  const re2::RE2* regex = nullptr;  // the precompiled literal pattern, if any
};
// Compiles pattern with Go's regexp semantics (for match/reReplaceAll).
std::shared_ptr<const re2::RE2> CompileGoRegexp(std::string_view pattern);
// Executes template name of call.set with data, appending to out (for `tmpl`); throws
// FunctionError.
void ExecuteNamedTemplate(const FunctionCall& call, std::string_view name,
                          const TemplateValue& data, std::string* out);

using FunctionImpl = TemplateValue (*)(FunctionCall& call, std::span<const TemplateValue> args);

struct FunctionDef {
  std::string_view name;
  FunctionImpl impl;
  std::vector<ParamType> params;  // for a variadic function the last is the element type
  bool variadic = false;
};

// Functions known to templates; console adds `tmpl`.
const FunctionDef* FindFunction(std::string_view name, bool console);
std::string_view ParamTypeName(ParamType t);

// Thrown by functions; the executor reports "error calling <name>: <message>".
struct FunctionError {
  std::string message;
};

}  // namespace andon::templating::template_internal
