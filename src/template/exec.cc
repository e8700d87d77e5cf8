// Template execution, after Go's text/template/exec.go.
#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "template/format.h"
#include "template/quote.h"
#include "template/template.h"

namespace mytsdb::tmpl {

namespace {

// Ends execution with a message (Go panics and recovers the same way);
// never leaves this file.
struct ExecError {
  std::string message;
};

enum class Flow { kNormal, kBreak, kContinue };

class Executor {
 public:
  Executor(const TreeSet& trees, const FunctionMap* funcs, const ExecOptions& options,
           std::string* out)
      : trees_(trees), funcs_(funcs), options_(options), out_(out) {}

  void Run(const Tree& tree, const Value& data) {
    tree_ = &tree;
    vars_.clear();
    vars_.emplace_back("$", data);
    Walk(data, tree.root);
  }

 private:
  [[noreturn]] void Fail(const std::string& message) {
    std::string where = "template: " + tree_->name + ":" + std::to_string(line_) + ": executing " +
                        GoQuote(tree_->name);
    if (!at_.empty()) where += " at <" + at_ + ">";
    throw ExecError{where + ": " + message};
  }

  void Step() {
    if (++steps_ > options_.max_steps) Fail("template execution exceeded " + std::to_string(options_.max_steps) + " steps");
  }

  // Counts what a function or method returned against max_value_bytes.
  const Value& Produced(const Value& v) {
    if (v.kind() == Kind::kString) {
      produced_ += v.AsString().size();
      if (produced_ > options_.max_value_bytes) {
        Fail("template values exceed " + std::to_string(options_.max_value_bytes) + " bytes");
      }
    }
    return v;
  }

  void Write(std::string_view s) {
    if (out_->size() + s.size() > options_.max_output_bytes) {
      Fail("template output exceeds " + std::to_string(options_.max_output_bytes) + " bytes");
    }
    out_->append(s);
  }

  Flow Walk(const Value& dot, const std::vector<Node>& list) {
    for (const Node& node : list) {
      const Flow flow = WalkNode(dot, node);
      if (flow != Flow::kNormal) return flow;
    }
    return Flow::kNormal;
  }

  Flow WalkNode(const Value& dot, const Node& node) {
    Step();
    line_ = node.line;
    switch (node.kind) {
      case Node::Kind::kText:
        Write(node.text);
        return Flow::kNormal;
      case Node::Kind::kAction: {
        // Variables declared by an action live until the enclosing {{end}}:
        // not popped here.
        const Value v = EvalPipeline(dot, *node.pipe);
        if (node.pipe->decl.empty()) PrintValue(v);
        return Flow::kNormal;
      }
      case Node::Kind::kIf:
      case Node::Kind::kWith: {
        const size_t mark = vars_.size();
        const Value v = EvalPipeline(dot, *node.pipe);
        Flow flow = Flow::kNormal;
        if (v.IsTrue()) {
          flow = Walk(node.kind == Node::Kind::kWith ? v : dot, node.list);
        } else if (node.has_else) {
          flow = Walk(dot, node.else_list);
        }
        vars_.resize(mark);
        return flow;
      }
      case Node::Kind::kRange:
        WalkRange(dot, node);
        return Flow::kNormal;
      case Node::Kind::kTemplate:
        WalkTemplate(dot, node);
        return Flow::kNormal;
      case Node::Kind::kBreak:
        return Flow::kBreak;
      case Node::Kind::kContinue:
        return Flow::kContinue;
    }
    return Flow::kNormal;
  }

  void WalkRange(const Value& dot, const Node& node) {
    const size_t outer = vars_.size();
    const Value v = EvalPipeline(dot, *node.pipe);
    const size_t mark = vars_.size();
    const Pipe& pipe = *node.pipe;
    // One iteration: set the range's variables, run the body.
    auto iteration = [&](const Value& index, const Value& elem) {
      Step();
      if (!pipe.decl.empty()) {
        if (pipe.is_assign) {
          SetVar(pipe.decl[0], pipe.decl.size() > 1 ? index : elem);
        } else {
          vars_[mark - 1].second = elem;  // the last declared: the element
        }
      }
      if (pipe.decl.size() > 1) {
        if (pipe.is_assign) {
          SetVar(pipe.decl[1], elem);
        } else {
          vars_[mark - 2].second = index;
        }
      }
      const Flow flow = Walk(elem, node.list);
      vars_.resize(mark);
      return flow != Flow::kBreak;
    };
    bool empty = true;
    switch (v.kind()) {
      case Kind::kList: {
        const auto& items = v.AsList();
        empty = items.empty();
        for (size_t i = 0; i < items.size(); ++i) {
          if (!iteration(Value::Int(static_cast<int64_t>(i)), items[i])) break;
        }
        break;
      }
      case Kind::kMap: {
        const auto& entries = v.AsMap().entries;
        empty = entries.empty();
        for (const auto& [key, value] : entries) {
          if (!iteration(Value::String(key), value)) break;
        }
        break;
      }
      case Kind::kInt: {
        if (pipe.decl.size() > 1) Fail("can't use " + ToText(v) + " to iterate over more than one variable");
        empty = v.AsInt() <= 0;
        for (int64_t i = 0; i < v.AsInt(); ++i) {
          if (!iteration(Value::Int(i), Value::Int(i))) break;
        }
        break;
      }
      case Kind::kNil:
        break;
      default:
        Fail("range can't iterate over " + ToText(v));
    }
    if (empty && node.has_else) Walk(dot, node.else_list);
    vars_.resize(outer);
  }

  void WalkTemplate(const Value& dot, const Node& node) {
    at_ = "{{template " + GoQuote(node.text) + (node.pipe ? " " + node.pipe->text : "") + "}}";
    auto it = trees_.find(node.text);
    if (it == trees_.end()) {
      Fail("template " + GoQuote(node.text) + " not defined");
    }
    const Value new_dot = node.pipe ? EvalPipeline(dot, *node.pipe) : Value();
    if (++depth_ > options_.max_depth) {
      Fail("exceeded maximum template depth (" + std::to_string(options_.max_depth) + ")");
    }
    // The called template sees only `$`, set to its dot.
    auto saved_vars = std::exchange(vars_, {{"$", new_dot}});
    const Tree* saved_tree = std::exchange(tree_, it->second.get());
    Walk(new_dot, tree_->root);
    tree_ = saved_tree;
    vars_ = std::move(saved_vars);
    --depth_;
  }

  void PrintValue(const Value& v) {
    std::string text = v.IsNil() ? "<no value>" : ToText(v);
    // html/template in the text of a page: what an action prints is
    // escaped, unless it is template.HTML (safeHtml).
    if (options_.escape_html && !(v.type() != nullptr && v.type()->name == kHtmlTypeName)) text = HtmlEscape(text, /*plus=*/true);
    Write(text);
  }

  Value EvalPipeline(const Value& dot, const Pipe& pipe) {
    Value value;
    bool has_final = false;
    for (const Command& cmd : pipe.commands) {
      value = EvalCommand(dot, cmd, has_final ? &value : nullptr);
      has_final = true;
    }
    for (const std::string& name : pipe.decl) {
      if (pipe.is_assign) {
        SetVar(name, value);
      } else {
        vars_.emplace_back(name, value);
      }
    }
    return value;
  }

  void SetVar(const std::string& name, const Value& value) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) {
        it->second = value;
        return;
      }
    }
    Fail("undefined variable: " + name);
  }

  Value VarValue(const std::string& name) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) return it->second;
    }
    Fail("undefined variable: " + name);
  }

  // `final` is the value piped in from the previous command, if any.
  Value EvalCommand(const Value& dot, const Command& cmd, const Value* final) {
    Step();
    const Operand& first = cmd.args[0];
    at_ = cmd.text;
    switch (first.kind) {
      case Operand::Kind::kField:
        return EvalFieldChain(dot, dot, first.fields, cmd.args, final);
      case Operand::Kind::kChain:
        return EvalChain(dot, first, cmd.args, final);
      case Operand::Kind::kFunction:
        return EvalFunction(dot, first.name, cmd.args, final, cmd.text);
      case Operand::Kind::kVariable:
        return EvalVariable(dot, first, cmd.args, final);
      case Operand::Kind::kPipe:
        NotAFunction(cmd.args, final);
        return EvalPipeline(dot, *first.pipe);
      default:
        break;
    }
    NotAFunction(cmd.args, final);
    switch (first.kind) {
      case Operand::Kind::kConstant: return first.constant.Evaluated();
      case Operand::Kind::kDot: return dot;
      case Operand::Kind::kNil: Fail("nil is not a command");
      default: Fail("can't evaluate command " + GoQuote(first.text));
    }
  }

  void NotAFunction(const std::vector<Operand>& args, const Value* final) {
    if (args.size() > 1 || final) Fail("can't give argument to non-function " + args[0].text);
  }

  Value EvalArg(const Value& dot, const Operand& arg) {
    at_ = arg.text;
    switch (arg.kind) {
      case Operand::Kind::kDot: return dot;
      case Operand::Kind::kNil: return Value();
      case Operand::Kind::kConstant: return arg.constant;
      case Operand::Kind::kField: return EvalFieldChain(dot, dot, arg.fields, {arg}, nullptr);
      case Operand::Kind::kVariable: return EvalVariable(dot, arg, {arg}, nullptr);
      case Operand::Kind::kPipe: return EvalPipeline(dot, *arg.pipe);
      case Operand::Kind::kFunction: return EvalFunction(dot, arg.name, {arg}, nullptr, arg.text);
      case Operand::Kind::kChain: return EvalChain(dot, arg, {arg}, nullptr);
    }
    return Value();
  }

  Value EvalVariable(const Value& dot, const Operand& var, const std::vector<Operand>& args, const Value* final) {
    const Value value = VarValue(var.name);
    if (var.fields.empty()) {
      NotAFunction(args, final);
      return value;
    }
    return EvalFieldChain(dot, value, var.fields, args, final);
  }

  Value EvalChain(const Value& dot, const Operand& chain, const std::vector<Operand>& args, const Value* final) {
    if (chain.term && chain.term->kind == Operand::Kind::kNil) {
      Fail("indirection through explicit nil in " + chain.text);
    }
    const Value receiver = chain.pipe ? EvalPipeline(dot, *chain.pipe) : EvalArg(dot, *chain.term);
    return EvalFieldChain(dot, receiver, chain.fields, args, final);
  }

  // .A.B.C on `receiver`: arguments go to the last element only.
  Value EvalFieldChain(const Value& dot, Value receiver, const std::vector<std::string>& fields,
                       const std::vector<Operand>& args, const Value* final) {
    for (size_t i = 0; i + 1 < fields.size(); ++i) receiver = EvalField(dot, fields[i], {}, nullptr, receiver);
    return EvalField(dot, fields.back(), args, final, receiver);
  }

  Value EvalField(const Value& dot, const std::string& name, const std::vector<Operand>& args, const Value* final,
                  const Value& receiver) {
    if (receiver.IsNil()) {
      if (options_.missing_key == MissingKey::kError) Fail("nil data; no entry for key " + GoQuote(name));
      return Value();
    }
    if (const Method* method = receiver.FindMethod(name)) {
      std::vector<Value> values = Arguments(dot, args, final);
      PrepareArguments(name, method->params, method->variadic, method->rest, args, &values);
      auto result = method->call(receiver, values);
      if (!result.ok()) Fail("error calling " + name + ": " + result.status().message());
      return Produced(*result);
    }
    const bool has_args = args.size() > 1 || final;
    switch (receiver.kind()) {
      case Kind::kMap: {
        if (has_args) Fail(name + " is not a method but has arguments");
        const auto& map = receiver.AsMap();
        if (auto it = map.entries.find(name); it != map.entries.end()) return it->second;
        switch (options_.missing_key) {
          case MissingKey::kDefault: return Value();
          case MissingKey::kZero: return map.zero ? *map.zero : Value();
          case MissingKey::kError: Fail("map has no entry for key " + GoQuote(name));
        }
        return Value();
      }
      case Kind::kStruct: {
        for (const auto& [field, value] : receiver.AsFields()) {
          if (field != name) continue;
          if (has_args) Fail(name + " has arguments but cannot be invoked as function");
          return value;
        }
        break;
      }
      default:
        break;
    }
    Fail("can't evaluate field " + name + " in type " + receiver.TypeName());
  }

  // Converts an argument to the parameter's type as Go's evalArg does:
  // a constant written in the template converts, other values must have
  // the type. `text` is the argument as written (empty for a piped value).
  Value Convert(const Value& v, Param param, const Operand* written) {
    const auto wrong = [&](const char* go_type, const char* constant_kind) -> Value {
      if (written && written->kind == Operand::Kind::kNil) Fail(std::string("cannot assign nil to ") + go_type);
      if (written && v.is_constant()) Fail(std::string("expected ") + constant_kind + "; found " + written->text);
      if (v.IsNil()) Fail(std::string("invalid value; expected ") + go_type);
      Fail("wrong type for value; expected " + std::string(go_type) + "; got " + v.TypeName());
    };
    switch (param) {
      case Param::kAny:
        return v;
      case Param::kString:
        return v.kind() == Kind::kString ? v : wrong("string", "string");
      case Param::kBool:
        return v.kind() == Kind::kBool ? v : wrong("bool", "bool");
      case Param::kFloat:
        if (v.kind() == Kind::kFloat) return v;
        if (v.kind() == Kind::kInt && v.is_constant()) return Value::Float(static_cast<double>(v.AsInt()));
        return wrong("float64", "float");
      case Param::kInt:
        if (v.kind() == Kind::kInt) return v;
        if (v.kind() == Kind::kFloat && v.is_constant() && std::trunc(v.AsFloat()) == v.AsFloat() &&
            std::fabs(v.AsFloat()) < 9.2e18) {
          return Value::Int(static_cast<int64_t>(v.AsFloat()));
        }
        return wrong("int", "integer");
    }
    return v;
  }

  // The values of a call's arguments (args[1:], then the piped value).
  std::vector<Value> Arguments(const Value& dot, const std::vector<Operand>& args, const Value* final) {
    std::vector<Value> values;
    const std::string at = at_;
    for (size_t i = 1; i < args.size(); ++i) values.push_back(EvalArg(dot, args[i]));
    at_ = at;
    if (final) values.push_back(*final);
    return values;
  }

  // Checks the number of arguments and converts them to the parameters'
  // types, as Go's evalCall does for functions and methods alike.
  void PrepareArguments(const std::string& name, const std::vector<Param>& params, bool variadic, Param rest,
                        const std::vector<Operand>& args, std::vector<Value>* values) {
    const size_t fixed = params.size();
    if (variadic) {
      if (values->size() < fixed) {
        Fail("wrong number of args for " + name + ": want at least " + std::to_string(fixed) + " got " +
             std::to_string(values->size()));
      }
    } else if (values->size() != fixed) {
      Fail("wrong number of args for " + name + ": want " + std::to_string(fixed) + " got " +
           std::to_string(values->size()));
    }
    for (size_t i = 0; i < values->size(); ++i) {
      const Operand* written = i + 1 < args.size() ? &args[i + 1] : nullptr;
      (*values)[i] = Convert((*values)[i], i < fixed ? params[i] : rest, written);
    }
  }

  // `at` is the command, for messages.
  Value EvalFunction(const Value& dot, const std::string& name, const std::vector<Operand>& args, const Value* final,
                     const std::string& at) {
    // and/or stop at the first argument that decides (Go 1.18).
    if (name == "and" || name == "or") {
      const bool is_and = name == "and";
      const size_t n = args.size() - 1 + (final ? 1 : 0);
      if (n < 1) Fail("wrong number of args for " + name + ": want at least 1 got 0");
      Value v;
      for (size_t i = 1; i < args.size(); ++i) {
        v = EvalArg(dot, args[i]);
        if (v.IsTrue() != is_and) return v;
      }
      if (final) v = *final;
      return v;
    }
    const Function* fn = nullptr;
    if (funcs_) {
      if (auto it = funcs_->find(name); it != funcs_->end()) fn = &it->second;
    }
    if (!fn) {
      auto it = Builtins().find(name);
      if (it == Builtins().end()) Fail(GoQuote(name) + " is not a defined function");
      fn = &it->second;
    }
    std::vector<Value> values = Arguments(dot, args, final);
    at_ = at;
    PrepareArguments(name, fn->params, fn->variadic, fn->rest, args, &values);
    auto result = fn->call(values);
    if (!result.ok()) Fail("error calling " + name + ": " + result.status().message());
    return Produced(*result);
  }

  const TreeSet& trees_;
  const FunctionMap* funcs_;
  const ExecOptions& options_;
  std::string* out_;
  const Tree* tree_ = nullptr;
  std::vector<std::pair<std::string, Value>> vars_;
  std::string at_;
  int line_ = 0;
  int depth_ = 0;
  size_t steps_ = 0;
  size_t produced_ = 0;
};

}  // namespace

Result<Template> Template::Parse(std::string name, std::string_view text, std::shared_ptr<const FunctionMap> funcs) {
  Template t;
  t.name_ = std::move(name);
  t.funcs_ = std::move(funcs);
  RETURN_NOT_OK(t.AddText(t.name_, text));
  return t;
}

Status Template::AddText(std::string_view name, std::string_view text) {
  const FunctionMap* funcs = funcs_.get();
  const std::function<bool(std::string_view)> has_function = [funcs](std::string_view fn) {
    return (funcs && funcs->count(fn) > 0) || Builtins().count(fn) > 0;
  };
  // Parse into a copy: a failed parse leaves the set as it was.
  TreeSet trees = trees_;
  RETURN_NOT_OK(tmpl::Parse(name, text, has_function, &trees));
  trees_ = std::move(trees);
  return Status::OK();
}

Result<std::string> Template::Execute(const Value& data, const ExecOptions& options) const {
  return ExecuteTemplate(name_, data, options);
}

Result<std::string> Template::ExecuteTemplate(std::string_view name, const Value& data,
                                              const ExecOptions& options) const {
  auto it = trees_.find(name);
  if (it == trees_.end()) {
    return Status::InvalidArgument("template: no template " + GoQuote(name) + " associated with template " +
                                   GoQuote(name_));
  }
  std::string out;
  try {
    Executor(trees_, funcs_.get(), options, &out).Run(*it->second, data);
  } catch (const ExecError& e) {
    return Status::InvalidArgument(e.message);
  }
  return out;
}

}  // namespace mytsdb::tmpl
