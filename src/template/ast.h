// The parse tree of a Go template (text/template/parse's nodes): a list of
// text and actions, actions being pipelines of commands, commands being
// operands (constants, dot, fields, variables, function names, chains and
// parenthesized pipelines).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "template/value.h"

namespace mytsdb::tmpl {

struct Pipe;

struct Operand {
  enum class Kind { kConstant, kNil, kDot, kField, kVariable, kFunction, kPipe, kChain };
  Kind kind = Kind::kConstant;
  Value constant;                   // kConstant (bool, number, string)
  std::string name;                 // kVariable: "$x"; kFunction: its name
  std::vector<std::string> fields;  // kField: .A.B; kVariable: $x.A.B; kChain: fields after the term
  std::shared_ptr<Pipe> pipe;       // kPipe; kChain whose term is a pipe
  std::shared_ptr<Operand> term;    // kChain whose term is not a pipe
  std::string text;                 // as written, for messages
};

struct Command {
  std::vector<Operand> args;
  std::string text;
};

struct Pipe {
  bool is_assign = false;         // $x = ... rather than $x := ...
  std::vector<std::string> decl;  // declared or assigned variables
  std::vector<Command> commands;
  int line = 0;
  std::string text;
};

struct Node {
  enum class Kind { kText, kAction, kIf, kRange, kWith, kTemplate, kBreak, kContinue };
  Kind kind = Kind::kText;
  int line = 0;
  std::string text;              // kText: the text; kTemplate: the template's name
  std::shared_ptr<Pipe> pipe;    // kAction, kIf, kRange, kWith; kTemplate (may be null)
  std::vector<Node> list;        // kIf, kRange, kWith
  std::vector<Node> else_list;   // kIf, kRange, kWith
  bool has_else = false;
};

// A named template: the top-level one or one from {{define}}/{{block}}.
struct Tree {
  std::string name;
  std::vector<Node> root;
};

}  // namespace mytsdb::tmpl
