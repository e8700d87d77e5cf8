#include "template/parser.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <utility>
#include <vector>

#include "template/lexer.h"
#include "template/quote.h"

namespace mytsdb::tmpl {

namespace {

// Nesting the parser accepts (parentheses, control structures): deep
// enough for any real template, shallow enough for the stack.
constexpr int kMaxDepth = 100;

// Ends parsing with a message (Go's parser panics and recovers the same
// way); never leaves this file.
struct ParseError {
  std::string message;
};

bool IsEmptyTree(const std::vector<Node>& nodes) {
  for (const Node& n : nodes) {
    if (n.kind != Node::Kind::kText) return false;
    for (char c : n.text) {
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\v' && c != '\f') return false;
    }
  }
  return true;
}

// A number constant as Go's parser reads it (parse.newNumber and
// exec.idealConstant): integers in Go syntax (0x, 0o, 0b, leading 0 octal,
// '_' separators) are int, anything with '.', 'e' or 'p' (and not hex) is
// float64.
std::optional<Value> ParseNumber(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (c != '_') clean.push_back(c);
  }
  if (clean.empty()) return std::nullopt;
  bool negative = false;
  std::string_view body = clean;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.empty()) return std::nullopt;
  const bool hex = body.size() > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X');
  const bool floaty = hex ? body.find_first_of(".pP") != std::string_view::npos
                          : body.find_first_of(".eE") != std::string_view::npos;
  if (!floaty) {
    int base = 10;
    std::string_view digits = body;
    if (body.size() > 1 && body[0] == '0') {
      const char p = body[1];
      if (p == 'x' || p == 'X') base = 16, digits.remove_prefix(2);
      else if (p == 'o' || p == 'O') base = 8, digits.remove_prefix(2);
      else if (p == 'b' || p == 'B') base = 2, digits.remove_prefix(2);
      else base = 8, digits.remove_prefix(1);
    }
    if (digits.empty()) return std::nullopt;
    uint64_t u = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
    if (end != digits.data() + digits.size()) return std::nullopt;
    if (ec == std::errc::result_out_of_range || u > static_cast<uint64_t>(INT64_MAX) + (negative ? 1 : 0)) {
      return std::nullopt;  // "integer overflow"
    }
    return Value::Int(negative ? static_cast<int64_t>(0 - u) : static_cast<int64_t>(u));
  }
  // strtod reads decimal and hexadecimal floats ("0x1p-2") as Go does.
  const std::string s(body);
  char* end = nullptr;
  const double f = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  if (std::isinf(f)) return std::nullopt;
  return Value::Float(negative ? -f : f);
}

// Digits only (after an optional sign): what fails to parse is too large.
bool IntegerSyntax(std::string_view text) {
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) text.remove_prefix(1);
  return !text.empty() && text.find_first_not_of("0123456789_") == std::string_view::npos;
}

class Parser {
 public:
  Parser(std::string name, std::vector<Token> tokens, const std::function<bool(std::string_view)>& has_function,
         TreeSet* trees)
      : name_(std::move(name)), tokens_(std::move(tokens)), has_function_(has_function), trees_(trees) {}

  void ParseTop() {
    Tree top{name_, {}};
    while (Peek().kind != TokenKind::kEof) {
      if (Peek().kind == TokenKind::kLeftDelim) {
        const size_t mark = pos_;
        Next();
        if (NextNonSpace().kind == TokenKind::kDefine) {
          ParseDefinition();
          continue;
        }
        pos_ = mark;
      }
      Node n = TextOrAction();
      if (n.kind == Node::Kind::kText && n.line == kEndMarker) Fail("unexpected {{end}}");
      if (n.kind == Node::Kind::kText && n.line == kElseMarker) Fail("unexpected {{else}}");
      top.root.push_back(std::move(n));
    }
    Add(std::move(top));
  }

 private:
  // {{end}} and {{else}} come back from TextOrAction as markers.
  static constexpr int kEndMarker = -1;
  static constexpr int kElseMarker = -2;

  [[noreturn]] void Fail(const std::string& message) {
    throw ParseError{"template: " + name_ + ":" + std::to_string(line_) + ": " + message};
  }

  const Token& Peek() const { return tokens_[std::min(pos_, tokens_.size() - 1)]; }
  const Token& Next() {
    const Token& t = tokens_[std::min(pos_, tokens_.size() - 1)];
    if (pos_ < tokens_.size()) ++pos_;
    line_ = t.line;
    return t;
  }
  const Token& NextNonSpace() {
    while (Peek().kind == TokenKind::kSpace) Next();
    return Next();
  }
  const Token& PeekNonSpace() {
    while (Peek().kind == TokenKind::kSpace) Next();
    return Peek();
  }
  void Backup() { --pos_; }

  [[noreturn]] void Unexpected(const Token& token, std::string_view context) {
    if (token.kind == TokenKind::kError) Fail(token.text);
    Fail("unexpected " + Describe(token) + " in " + std::string(context));
  }
  const Token& Expect(TokenKind kind, std::string_view context) {
    const Token& t = NextNonSpace();
    if (t.kind != kind) Unexpected(t, context);
    return t;
  }

  void Add(Tree tree) {
    auto it = trees_->find(tree.name);
    if (it == trees_->end() || IsEmptyTree(it->second->root)) {
      const std::string name = tree.name;
      (*trees_)[name] = std::make_shared<const Tree>(std::move(tree));
      return;
    }
    if (!IsEmptyTree(tree.root)) Fail("template: multiple definition of template " + GoQuote(tree.name));
  }

  std::string TemplateName(const Token& token, std::string_view context) {
    if (token.kind != TokenKind::kString && token.kind != TokenKind::kRawString) Unexpected(token, context);
    auto name = GoUnquote(token.text);
    if (!name) Fail("invalid syntax");
    return name->text;
  }

  // {{define "name"}} ... {{end}}; "define" is past.
  void ParseDefinition() {
    constexpr std::string_view kContext = "define clause";
    std::string name = TemplateName(NextNonSpace(), kContext);
    Expect(TokenKind::kRightDelim, kContext);
    DefineBody(std::move(name), kContext);
  }

  // Nodes up to {{end}} or {{else}}, which `end` receives.
  std::vector<Node> ItemList(int* end) {
    std::vector<Node> list;
    while (PeekNonSpace().kind != TokenKind::kEof) {
      Node n = TextOrAction();
      if (n.kind == Node::Kind::kText && (n.line == kEndMarker || n.line == kElseMarker)) {
        *end = n.line;
        return list;
      }
      list.push_back(std::move(n));
    }
    Fail("unexpected EOF");
  }

  Node TextOrAction() {
    const Token& token = NextNonSpace();
    switch (token.kind) {
      case TokenKind::kText: {
        Node n;
        n.kind = Node::Kind::kText;
        n.text = token.text;
        n.line = token.line;
        return n;
      }
      case TokenKind::kLeftDelim:
        return Action();
      default:
        Unexpected(token, "input");
    }
  }

  Node Action() {
    const Token& token = NextNonSpace();
    switch (token.kind) {
      case TokenKind::kBlock: return BlockControl();
      case TokenKind::kBreak: return LoopControl(Node::Kind::kBreak, "{{break}}");
      case TokenKind::kContinue: return LoopControl(Node::Kind::kContinue, "{{continue}}");
      case TokenKind::kElse: return ElseControl();
      case TokenKind::kEnd: {
        Expect(TokenKind::kRightDelim, "end");
        Node n;
        n.line = kEndMarker;
        return n;
      }
      case TokenKind::kIf: return Control(Node::Kind::kIf, "if");
      case TokenKind::kRange: return Control(Node::Kind::kRange, "range");
      case TokenKind::kTemplate: return TemplateControl();
      case TokenKind::kWith: return Control(Node::Kind::kWith, "with");
      default: break;
    }
    Backup();
    Node n;
    n.kind = Node::Kind::kAction;
    n.line = Peek().line;
    // Variables declared here live until the enclosing {{end}}.
    n.pipe = ParsePipeline("command", TokenKind::kRightDelim);
    return n;
  }

  Node LoopControl(Node::Kind kind, std::string_view context) {
    const Token& token = NextNonSpace();
    if (token.kind != TokenKind::kRightDelim) Unexpected(token, context);
    if (range_depth_ == 0) Fail(std::string(context) + " outside {{range}}");
    Node n;
    n.kind = kind;
    n.line = token.line;
    return n;
  }

  Node ElseControl() {
    const Token& peek = PeekNonSpace();
    // "{{else if" and "{{else with" leave the keyword for Control.
    if (peek.kind != TokenKind::kIf && peek.kind != TokenKind::kWith) Expect(TokenKind::kRightDelim, "else");
    Node n;
    n.line = kElseMarker;
    return n;
  }

  Node Control(Node::Kind kind, std::string_view context) {
    if (++depth_ > kMaxDepth) Fail("max expression depth exceeded");
    const size_t vars = vars_.size();
    Node n;
    n.kind = kind;
    n.pipe = ParsePipeline(context, TokenKind::kRightDelim);
    n.line = n.pipe->line;
    if (kind == Node::Kind::kRange) ++range_depth_;
    int end = 0;
    n.list = ItemList(&end);
    if (kind == Node::Kind::kRange) --range_depth_;
    if (end == kElseMarker) {
      n.has_else = true;
      // {{else if ...}} / {{else with ...}}: a nested control whose {{end}}
      // ends this one too.
      if ((kind == Node::Kind::kIf && Peek().kind == TokenKind::kIf) ||
          (kind == Node::Kind::kWith && Peek().kind == TokenKind::kWith)) {
        Next();
        n.else_list.push_back(Control(kind, context));
      } else {
        n.else_list = ItemList(&end);
        if (end != kEndMarker) Fail("expected end; found {{else}}");
      }
    }
    vars_.resize(vars);
    --depth_;
    return n;
  }

  // {{block "name" pipeline}} T {{end}}: defines T and runs it here.
  Node BlockControl() {
    constexpr std::string_view kContext = "block clause";
    Node n = TemplateCall(kContext, /*pipe_required=*/true);
    DefineBody(n.text, kContext);
    return n;
  }

  Node TemplateControl() { return TemplateCall("template clause", /*pipe_required=*/false); }

  // {{template "name" [pipeline]}} or the head of a block, keyword past.
  Node TemplateCall(std::string_view context, bool pipe_required) {
    const Token& token = NextNonSpace();
    Node n;
    n.kind = Node::Kind::kTemplate;
    n.line = token.line;
    n.text = TemplateName(token, context);
    if (pipe_required || NextNonSpace().kind != TokenKind::kRightDelim) {
      if (!pipe_required) Backup();
      n.pipe = ParsePipeline(context, TokenKind::kRightDelim);
    }
    return n;
  }

  // The body of {{define}} or {{block}} up to its {{end}}: template `name`,
  // which sees only its own variables.
  void DefineBody(std::string name, std::string_view context) {
    Tree tree{std::move(name), {}};
    const auto saved_vars = std::exchange(vars_, {"$"});
    int end = 0;
    tree.root = ItemList(&end);
    if (end != kEndMarker) Fail("unexpected {{else}} in " + std::string(context));
    vars_ = saved_vars;
    Add(std::move(tree));
  }

  std::shared_ptr<Pipe> ParsePipeline(std::string_view context, TokenKind end) {
    auto pipe = std::make_shared<Pipe>();
    pipe->line = PeekNonSpace().line;
    // Declarations: "$x :=", "$x =", "$k, $v :=" (range only).
    while (PeekNonSpace().kind == TokenKind::kVariable) {
      const size_t mark = pos_;
      const Token& v = Next();
      const TokenKind after = PeekNonSpace().kind;
      const bool comma = after == TokenKind::kChar && Peek().text == ",";
      if (after == TokenKind::kAssign || after == TokenKind::kDeclare) {
        pipe->is_assign = after == TokenKind::kAssign;
        NextNonSpace();
        pipe->decl.push_back(v.text);
        vars_.push_back(v.text);
        break;
      }
      if (comma) {
        NextNonSpace();
        pipe->decl.push_back(v.text);
        vars_.push_back(v.text);
        if (context == "range" && pipe->decl.size() < 2) {
          const TokenKind next = PeekNonSpace().kind;
          if (next == TokenKind::kVariable || next == TokenKind::kRightDelim || next == TokenKind::kRightParen) {
            continue;
          }
          Fail("range can only initialize variables");
        }
        Fail("too many declarations in " + std::string(context));
      }
      pos_ = mark;
      break;
    }
    while (true) {
      const Token& token = NextNonSpace();
      if (token.kind == end) {
        if (pipe->commands.empty()) Fail("missing value for " + std::string(context));
        for (size_t i = 1; i < pipe->commands.size(); ++i) {
          const Operand& first = pipe->commands[i].args[0];
          if (first.kind == Operand::Kind::kConstant || first.kind == Operand::Kind::kNil ||
              first.kind == Operand::Kind::kDot) {
            Fail("non executable command in pipeline stage " + std::to_string(i + 1));
          }
        }
        for (size_t i = 0; i < pipe->decl.size(); ++i) pipe->text += (i ? ", " : "") + pipe->decl[i];
        if (!pipe->decl.empty()) pipe->text += pipe->is_assign ? " = " : " := ";
        for (size_t i = 0; i < pipe->commands.size(); ++i) pipe->text += (i ? " | " : "") + pipe->commands[i].text;
        return pipe;
      }
      switch (token.kind) {
        case TokenKind::kBool: case TokenKind::kCharConstant: case TokenKind::kComplex: case TokenKind::kDot:
        case TokenKind::kField: case TokenKind::kIdentifier: case TokenKind::kNumber: case TokenKind::kNil:
        case TokenKind::kRawString: case TokenKind::kString: case TokenKind::kVariable:
        case TokenKind::kLeftParen:
          Backup();
          pipe->commands.push_back(ParseCommand());
          break;
        default:
          Unexpected(token, context);
      }
    }
  }

  Command ParseCommand() {
    Command cmd;
    while (true) {
      PeekNonSpace();
      if (auto operand = ParseOperand()) cmd.args.push_back(std::move(*operand));
      const Token& token = Next();
      if (token.kind == TokenKind::kSpace) continue;
      if (token.kind == TokenKind::kRightDelim || token.kind == TokenKind::kRightParen) {
        Backup();
      } else if (token.kind != TokenKind::kPipe) {
        Unexpected(token, "operand");
      }
      break;
    }
    if (cmd.args.empty()) Fail("empty command");
    for (size_t i = 0; i < cmd.args.size(); ++i) cmd.text += (i ? " " : "") + cmd.args[i].text;
    return cmd;
  }

  std::optional<Operand> ParseOperand() {
    auto term = ParseTerm();
    if (!term) return std::nullopt;
    if (Peek().kind != TokenKind::kField) return term;
    std::vector<std::string> fields;
    std::string chain = term->text;
    while (Peek().kind == TokenKind::kField) {
      const std::string& field = Next().text;
      fields.push_back(field.substr(1));
      chain += field;
    }
    switch (term->kind) {
      case Operand::Kind::kField: case Operand::Kind::kVariable:
        term->fields.insert(term->fields.end(), fields.begin(), fields.end());
        term->text = chain;
        return term;
      case Operand::Kind::kConstant: case Operand::Kind::kNil: case Operand::Kind::kDot:
        Fail("unexpected . after term " + GoQuote(term->text));
      default: {
        Operand c;
        c.kind = Operand::Kind::kChain;
        c.fields = std::move(fields);
        c.text = chain;
        if (term->kind == Operand::Kind::kPipe) {
          c.pipe = term->pipe;
        } else {
          c.term = std::make_shared<Operand>(std::move(*term));
        }
        return c;
      }
    }
  }

  std::optional<Operand> ParseTerm() {
    const Token& token = NextNonSpace();
    Operand o;
    o.text = token.text;
    switch (token.kind) {
      case TokenKind::kIdentifier:
        if (!has_function_(token.text)) Fail("function " + GoQuote(token.text) + " not defined");
        o.kind = Operand::Kind::kFunction;
        o.name = token.text;
        return o;
      case TokenKind::kDot:
        o.kind = Operand::Kind::kDot;
        return o;
      case TokenKind::kNil:
        o.kind = Operand::Kind::kNil;
        return o;
      case TokenKind::kVariable: {
        bool declared = false;
        for (const std::string& v : vars_) declared = declared || v == token.text;
        if (!declared) Fail("undefined variable " + GoQuote(token.text));
        o.kind = Operand::Kind::kVariable;
        o.name = token.text;
        return o;
      }
      case TokenKind::kField: {
        o.kind = Operand::Kind::kField;
        o.fields.push_back(token.text.substr(1));
        return o;
      }
      case TokenKind::kBool:
        o.constant = Value::Constant(Value::Bool(token.text == "true"));
        return o;
      case TokenKind::kCharConstant: {
        auto c = GoUnquote(token.text);
        if (!c) Fail("malformed character constant: " + token.text);
        o.constant = Value::Constant(Value::Int(c->rune));
        return o;
      }
      case TokenKind::kComplex:
        Fail("complex constants are not supported: " + token.text);
      case TokenKind::kNumber: {
        if (token.text.ends_with("i")) Fail("complex constants are not supported: " + token.text);
        auto n = ParseNumber(token.text);
        if (!n) Fail(IntegerSyntax(token.text) ? "integer overflow: " + GoQuote(token.text)
                                               : "illegal number syntax: " + GoQuote(token.text));
        o.constant = Value::Constant(*n);
        return o;
      }
      case TokenKind::kLeftParen: {
        if (++depth_ > kMaxDepth) Fail("max expression depth exceeded");
        o.kind = Operand::Kind::kPipe;
        o.pipe = ParsePipeline("parenthesized pipeline", TokenKind::kRightParen);
        o.text = "(" + o.pipe->text + ")";
        --depth_;
        return o;
      }
      case TokenKind::kString: case TokenKind::kRawString: {
        auto s = GoUnquote(token.text);
        if (!s) Fail("invalid syntax");
        o.constant = Value::Constant(Value::String(std::move(s->text)));
        return o;
      }
      default:
        Backup();
        return std::nullopt;
    }
  }

  std::string name_;
  std::vector<Token> tokens_;
  const std::function<bool(std::string_view)>& has_function_;
  TreeSet* trees_;
  size_t pos_ = 0;
  int line_ = 1;
  int range_depth_ = 0;
  int depth_ = 0;
  std::vector<std::string> vars_{"$"};
};

}  // namespace

Status Parse(std::string_view name, std::string_view text, const std::function<bool(std::string_view)>& has_function,
             TreeSet* trees) {
  try {
    Parser parser(std::string(name), Lex(text), has_function, trees);
    parser.ParseTop();
  } catch (const ParseError& e) {
    return Status::InvalidArgument(e.message);
  }
  return Status::OK();
}

}  // namespace mytsdb::tmpl
