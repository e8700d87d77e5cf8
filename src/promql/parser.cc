#include "promql/parser.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/duration.h"
#include "promql/selector_parser.h"

namespace mytsdb::promql {

namespace {

// ---- Lexer ---------------------------------------------------------------------

enum class Tok {
  kEOF, kIdent, kNumber, kDuration, kString,
  kLParen, kRParen, kLBrace, kRBrace, kLBracket, kRBracket,
  kComma, kColon, kAt, kOp, kError,
};

struct Token {
  Tok type = Tok::kEOF;
  std::string_view text;
  size_t pos = 0;
};

bool IsAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsDurationUnit(char c) {
  return c == 's' || c == 'm' || c == 'h' || c == 'd' || c == 'w' || c == 'y';
}

class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  void Seek(size_t pos) { pos_ = pos; }

  Token Next() {
    SkipSpace();
    Token t;
    t.pos = pos_;
    if (pos_ >= in_.size()) return t;
    char c = in_[pos_];
    auto single = [&](Tok type) {
      t.type = type;
      t.text = in_.substr(pos_, 1);
      ++pos_;
      return t;
    };
    switch (c) {
      case '(': return single(Tok::kLParen);
      case ')': return single(Tok::kRParen);
      case '{': return single(Tok::kLBrace);
      case '}': return single(Tok::kRBrace);
      case '[': return single(Tok::kLBracket);
      case ']': return single(Tok::kRBracket);
      case ',': return single(Tok::kComma);
      case '@': return single(Tok::kAt);
      case '"':
      case '\'':
      case '`': return LexString();
      default: break;
    }
    if (c == ':' && !(pos_ + 1 < in_.size() && (IsAlpha(in_[pos_ + 1]) || in_[pos_ + 1] == ':'))) {
      return single(Tok::kColon);
    }
    if (IsDigit(c) || (c == '.' && pos_ + 1 < in_.size() && IsDigit(in_[pos_ + 1]))) {
      return LexNumberOrDuration();
    }
    if (IsAlpha(c) || c == ':') {
      size_t start = pos_;
      while (pos_ < in_.size() && (IsAlnum(in_[pos_]) || in_[pos_] == ':')) ++pos_;
      t.type = Tok::kIdent;
      t.text = in_.substr(start, pos_ - start);
      return t;
    }
    static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">=", "=~", "!~"};
    for (std::string_view op : kTwo) {
      if (in_.substr(pos_, 2) == op) {
        t.type = Tok::kOp;
        t.text = in_.substr(pos_, 2);
        pos_ += 2;
        return t;
      }
    }
    if (std::string_view("+-*/%^<>=").find(c) != std::string_view::npos) return single(Tok::kOp);
    t.type = Tok::kError;
    t.text = in_.substr(pos_, 1);
    return t;
  }

 private:
  void SkipSpace() {
    while (pos_ < in_.size()) {
      char c = in_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < in_.size() && in_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  Token LexString() {
    Token t;
    t.pos = pos_;
    char quote = in_[pos_++];
    while (pos_ < in_.size() && in_[pos_] != quote) {
      if (in_[pos_] == '\\' && quote != '`') ++pos_;
      if (pos_ < in_.size() && in_[pos_] == '\n' && quote != '`') break;
      ++pos_;
    }
    if (pos_ >= in_.size() || in_[pos_] != quote) {
      t.type = Tok::kError;
      t.text = "unterminated quoted string";
      return t;
    }
    ++pos_;
    t.type = Tok::kString;
    t.text = in_.substr(t.pos, pos_ - t.pos);
    return t;
  }

  Token LexNumberOrDuration() {
    Token t;
    t.pos = pos_;
    size_t start = pos_;
    if (in_[pos_] == '0' && pos_ + 1 < in_.size() && (in_[pos_ + 1] == 'x' || in_[pos_ + 1] == 'X')) {
      pos_ += 2;
      while (pos_ < in_.size() && std::isxdigit(static_cast<unsigned char>(in_[pos_]))) ++pos_;
      t.type = Tok::kNumber;
      t.text = in_.substr(start, pos_ - start);
      return t;
    }
    while (pos_ < in_.size() && IsDigit(in_[pos_])) ++pos_;
    bool plain_integer = true;
    // A duration: digits followed by a unit, possibly repeated (1h30m).
    if (pos_ < in_.size() && IsDurationUnit(in_[pos_])) {
      while (pos_ < in_.size() && (IsDigit(in_[pos_]) || IsDurationUnit(in_[pos_]))) ++pos_;
      t.type = Tok::kDuration;
      t.text = in_.substr(start, pos_ - start);
      if (pos_ < in_.size() && IsAlnum(in_[pos_])) {
        while (pos_ < in_.size() && IsAlnum(in_[pos_])) ++pos_;
        t.type = Tok::kError;
        t.text = in_.substr(start, pos_ - start);
      }
      return t;
    }
    if (pos_ < in_.size() && in_[pos_] == '.') {
      plain_integer = false;
      ++pos_;
      while (pos_ < in_.size() && IsDigit(in_[pos_])) ++pos_;
    }
    if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      size_t save = pos_;
      ++pos_;
      if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) ++pos_;
      if (pos_ < in_.size() && IsDigit(in_[pos_])) {
        while (pos_ < in_.size() && IsDigit(in_[pos_])) ++pos_;
      } else {
        pos_ = save;
      }
    }
    (void)plain_integer;
    t.type = Tok::kNumber;
    t.text = in_.substr(start, pos_ - start);
    if (pos_ < in_.size() && IsAlpha(in_[pos_])) {
      while (pos_ < in_.size() && IsAlnum(in_[pos_])) ++pos_;
      t.type = Tok::kError;
      t.text = in_.substr(start, pos_ - start);
    }
    return t;
  }

  std::string_view in_;
  size_t pos_ = 0;
};

// ---- Parser ------------------------------------------------------------------

bool EqualsFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::optional<AggregateOp> AggregateByName(std::string_view s) {
  static const std::pair<const char*, AggregateOp> kOps[] = {
      {"sum", AggregateOp::kSum},       {"avg", AggregateOp::kAvg},
      {"count", AggregateOp::kCount},   {"min", AggregateOp::kMin},
      {"max", AggregateOp::kMax},       {"group", AggregateOp::kGroup},
      {"stddev", AggregateOp::kStddev}, {"stdvar", AggregateOp::kStdvar},
      {"topk", AggregateOp::kTopk},     {"bottomk", AggregateOp::kBottomk},
      {"count_values", AggregateOp::kCountValues},
      {"quantile", AggregateOp::kQuantile},
      {"limitk", AggregateOp::kLimitk}, {"limit_ratio", AggregateOp::kLimitRatio},
  };
  for (const auto& [name, op] : kOps) {
    if (EqualsFold(s, name)) return op;
  }
  return std::nullopt;
}

bool AggregateHasParam(AggregateOp op) {
  return op == AggregateOp::kTopk || op == AggregateOp::kBottomk ||
         op == AggregateOp::kCountValues || op == AggregateOp::kQuantile ||
         op == AggregateOp::kLimitk || op == AggregateOp::kLimitRatio;
}

struct OpInfo {
  BinaryOp op;
  int precedence;
  bool right_assoc;
};

std::optional<OpInfo> BinaryOpOf(const Token& t) {
  if (t.type == Tok::kIdent) {
    if (EqualsFold(t.text, "and")) return OpInfo{BinaryOp::kAnd, 2, false};
    if (EqualsFold(t.text, "or")) return OpInfo{BinaryOp::kOr, 1, false};
    if (EqualsFold(t.text, "unless")) return OpInfo{BinaryOp::kUnless, 2, false};
    if (EqualsFold(t.text, "atan2")) return OpInfo{BinaryOp::kAtan2, 5, false};
    return std::nullopt;
  }
  if (t.type != Tok::kOp) return std::nullopt;
  std::string_view s = t.text;
  if (s == "+") return OpInfo{BinaryOp::kAdd, 4, false};
  if (s == "-") return OpInfo{BinaryOp::kSub, 4, false};
  if (s == "*") return OpInfo{BinaryOp::kMul, 5, false};
  if (s == "/") return OpInfo{BinaryOp::kDiv, 5, false};
  if (s == "%") return OpInfo{BinaryOp::kMod, 5, false};
  if (s == "^") return OpInfo{BinaryOp::kPow, 6, true};
  if (s == "==") return OpInfo{BinaryOp::kEql, 3, false};
  if (s == "!=") return OpInfo{BinaryOp::kNeq, 3, false};
  if (s == "<") return OpInfo{BinaryOp::kLss, 3, false};
  if (s == ">") return OpInfo{BinaryOp::kGtr, 3, false};
  if (s == "<=") return OpInfo{BinaryOp::kLte, 3, false};
  if (s == ">=") return OpInfo{BinaryOp::kGte, 3, false};
  return std::nullopt;
}

// Unary minus binds tighter than * and looser than ^ (-2^2 == -4).
constexpr int kUnaryPrecedence = 6;

class Parser {
 public:
  explicit Parser(std::string_view in) : in_(in), lexer_(in) { Advance(); }

  Result<ExprPtr> Parse() {
    if (tok_.type == Tok::kEOF) return Error(tok_.pos, "no expression found in input");
    ASSIGN_OR_RETURN(ExprPtr expr, ParseBinary(0));
    if (tok_.type != Tok::kEOF) return Unexpected("");
    return expr;
  }

 private:
  // ---- helpers
  void Advance() {
    prev_end_ = tok_.pos + tok_.text.size();
    tok_ = lexer_.Next();
  }
  bool IsIdent(std::string_view word) const {
    return tok_.type == Tok::kIdent && EqualsFold(tok_.text, word);
  }

  Status Error(size_t pos, const std::string& msg) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos && i < in_.size(); ++i) {
      if (in_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return Status::InvalidArgument(std::to_string(line) + ":" + std::to_string(col) +
                                   ": parse error: " + msg);
  }

  std::string Describe(const Token& t) const {
    switch (t.type) {
      case Tok::kEOF: return "end of input";
      case Tok::kIdent: return "identifier \"" + std::string(t.text) + "\"";
      case Tok::kNumber: return "number \"" + std::string(t.text) + "\"";
      case Tok::kDuration: return "duration \"" + std::string(t.text) + "\"";
      case Tok::kString: return "string " + std::string(t.text);
      case Tok::kError: return "character \"" + std::string(t.text) + "\"";
      default: return "\"" + std::string(t.text) + "\"";
    }
  }

  Status Unexpected(const std::string& context) const {
    if (tok_.type == Tok::kError) {
      if (tok_.text == "unterminated quoted string") return Error(tok_.pos, "unterminated quoted string");
      return Error(tok_.pos, "unexpected character: " + Describe(tok_).substr(10));
    }
    return Error(tok_.pos, "unexpected " + Describe(tok_) + (context.empty() ? "" : " in " + context));
  }

  Status Expect(Tok type, const std::string& context) {
    if (tok_.type != type) return Unexpected(context);
    Advance();
    return Status::OK();
  }

  template <typename T>
  std::unique_ptr<T> Make(size_t start) {
    auto n = std::make_unique<T>();
    n->pos.start = start;
    return n;
  }

  // ---- binary expressions (precedence climbing)
  Result<ExprPtr> ParseBinary(int min_precedence) {
    // Recursion is bounded so that a hostile query cannot exhaust the stack.
    if (depth_ >= kMaxDepth) {
      return Error(tok_.pos, "expression nested too deeply (more than " +
                                 std::to_string(kMaxDepth) + " levels)");
    }
    ++depth_;
    struct Unwind {
      int* depth;
      ~Unwind() { --*depth; }
    } unwind{&depth_};
    ASSIGN_OR_RETURN(ExprPtr lhs, ParseUnary());
    for (;;) {
      std::optional<OpInfo> info = BinaryOpOf(tok_);
      if (!info || info->precedence < min_precedence) return lhs;
      size_t op_pos = tok_.pos;
      Advance();
      auto bin = Make<BinaryExpr>(lhs->pos.start);
      bin->op = info->op;
      if (IsIdent("bool")) {
        bin->return_bool = true;
        Advance();
      }
      VectorMatching matching;
      bool has_matching = false;
      if (IsIdent("on") || IsIdent("ignoring")) {
        has_matching = true;
        matching.on = IsIdent("on");
        matching.explicit_ = true;
        Advance();
        ASSIGN_OR_RETURN(matching.labels, ParseLabelList("grouping opts"));
        if (IsIdent("group_left") || IsIdent("group_right")) {
          matching.card = IsIdent("group_left") ? VectorMatching::Card::kManyToOne
                                                : VectorMatching::Card::kOneToMany;
          Advance();
          if (tok_.type == Tok::kLParen) {
            ASSIGN_OR_RETURN(matching.include, ParseLabelList("grouping opts"));
          }
        }
      } else if (IsIdent("group_left") || IsIdent("group_right")) {
        return Unexpected("binary expression");
      }
      ASSIGN_OR_RETURN(ExprPtr rhs,
                       ParseBinary(info->right_assoc ? info->precedence : info->precedence + 1));
      bin->pos.end = rhs->pos.end;
      bin->lhs = std::move(lhs);
      bin->rhs = std::move(rhs);
      RETURN_NOT_OK(CheckBinary(bin.get(), op_pos, has_matching ? &matching : nullptr));
      lhs = std::move(bin);
    }
  }

  Status CheckBinary(BinaryExpr* b, size_t op_pos, const VectorMatching* matching) {
    ValueType lt = b->lhs->type(), rt = b->rhs->type();
    auto ok_type = [](ValueType t) { return t == ValueType::kScalar || t == ValueType::kVector; };
    if (!ok_type(lt) || !ok_type(rt)) {
      return Error(b->pos.start, "binary expression must contain only scalar and instant vector types");
    }
    bool both_vectors = lt == ValueType::kVector && rt == ValueType::kVector;
    if (b->return_bool && !IsComparison(b->op)) {
      return Error(op_pos, "bool modifier can only be used on comparison operators");
    }
    if (IsComparison(b->op) && !b->return_bool && lt == ValueType::kScalar &&
        rt == ValueType::kScalar) {
      return Error(b->pos.start, "comparisons between scalars must use BOOL modifier");
    }
    if (IsSetOperator(b->op)) {
      if (lt == ValueType::kScalar || rt == ValueType::kScalar) {
        return Error(b->pos.start, std::string("set operator \"") + BinaryOpName(b->op) +
                                       "\" not allowed in binary scalar expression");
      }
    }
    if (matching != nullptr && !both_vectors) {
      return Error(b->pos.start, "vector matching only allowed between instant vectors");
    }
    if (both_vectors) {
      VectorMatching m = matching ? *matching : VectorMatching{};
      if (IsSetOperator(b->op)) {
        if (m.card != VectorMatching::Card::kOneToOne) {
          return Error(op_pos, std::string("no grouping allowed for \"") + BinaryOpName(b->op) +
                                   "\" operation");
        }
        m.card = VectorMatching::Card::kManyToMany;
      }
      if (m.on) {
        for (const std::string& l : m.include) {
          for (const std::string& o : m.labels) {
            if (l == o) {
              return Error(op_pos, "label \"" + l + "\" must not occur in ON and GROUP clause at once");
            }
          }
        }
      }
      b->matching = std::move(m);
    }
    return Status::OK();
  }

  // ---- unary
  Result<ExprPtr> ParseUnary() {
    if (tok_.type == Tok::kOp && (tok_.text == "+" || tok_.text == "-")) {
      char op = tok_.text[0];
      size_t start = tok_.pos;
      Advance();
      ASSIGN_OR_RETURN(ExprPtr operand, ParseBinary(kUnaryPrecedence));
      if (operand->kind == NodeKind::kNumber) {
        // Prometheus folds a sign into a number literal.
        auto* n = static_cast<NumberLiteral*>(operand.get());
        if (op == '-') n->value = -n->value;
        n->pos.start = start;
        return operand;
      }
      if (operand->type() != ValueType::kScalar && operand->type() != ValueType::kVector) {
        return Error(start, std::string("unary expression only allowed on expressions of type "
                                        "scalar or instant vector, got \"") +
                                ValueTypeName(operand->type()) + "\"");
      }
      // Unary plus changes nothing; dropping it keeps printing stable
      // ("+Inf ^ 2" would otherwise print as "++Inf ^ 2"). Prometheus keeps
      // the node, so format_query shows "foo" where it shows "+foo".
      if (op == '+') return operand;
      auto u = Make<UnaryExpr>(start);
      u->op = op;
      u->pos.end = operand->pos.end;
      u->expr = std::move(operand);
      return ExprPtr(std::move(u));
    }
    ASSIGN_OR_RETURN(ExprPtr primary, ParsePrimary());
    return ParsePostfix(std::move(primary));
  }

  // ---- postfix: [range], [range:step], offset, @
  Result<ExprPtr> ParsePostfix(ExprPtr expr) {
    for (;;) {
      if (tok_.type == Tok::kLBracket) {
        size_t bracket = tok_.pos;
        Advance();
        ASSIGN_OR_RETURN(int64_t range, ParseDurationToken("range"));
        if (tok_.type == Tok::kColon) {
          Advance();
          int64_t step = 0;
          if (tok_.type != Tok::kRBracket) {
            ASSIGN_OR_RETURN(step, ParseDurationToken("subquery step"));
          }
          RETURN_NOT_OK(Expect(Tok::kRBracket, "subquery selector"));
          if (expr->type() != ValueType::kVector) {
            return Error(expr->pos.start, std::string("subquery is only allowed on instant vector, got ") +
                                              ValueTypeName(expr->type()));
          }
          auto sq = Make<SubqueryExpr>(expr->pos.start);
          sq->range_ms = range;
          sq->step_ms = step;
          sq->pos.end = prev_end_;
          sq->expr = std::move(expr);
          expr = std::move(sq);
          continue;
        }
        RETURN_NOT_OK(Expect(Tok::kRBracket, "matrix selector"));
        if (expr->kind != NodeKind::kVectorSelector) {
          return Error(bracket, "ranges only allowed for vector selectors");
        }
        auto* vs = static_cast<VectorSelector*>(expr.get());
        if (vs->has_offset || vs->at.kind != AtModifier::Kind::kNone) {
          return Error(bracket, "no offset or @ modifiers allowed before range");
        }
        if (range <= 0) return Error(bracket, "range must be greater than zero");
        auto ms = Make<MatrixSelector>(expr->pos.start);
        ms->range_ms = range;
        ms->pos.end = prev_end_;
        ms->selector.reset(static_cast<VectorSelector*>(expr.release()));
        expr = std::move(ms);
        continue;
      }
      if (IsIdent("offset")) {
        size_t at = tok_.pos;
        Advance();
        bool negative = false;
        if (tok_.type == Tok::kOp && (tok_.text == "-" || tok_.text == "+")) {
          negative = tok_.text == "-";
          Advance();
        }
        ASSIGN_OR_RETURN(int64_t d, ParseDurationToken("offset"));
        if (negative) d = -d;
        bool* has = nullptr;
        int64_t* target = nullptr;
        RETURN_NOT_OK(ModifierTarget(expr.get(), at, "offset", &has, &target, nullptr));
        if (*has) return Error(at, "offset may not be set multiple times");
        *has = true;
        *target = d;
        continue;
      }
      if (tok_.type == Tok::kAt) {
        size_t at = tok_.pos;
        Advance();
        AtModifier mod;
        if (IsIdent("start") || IsIdent("end")) {
          mod.kind = IsIdent("start") ? AtModifier::Kind::kStart : AtModifier::Kind::kEnd;
          Advance();
          RETURN_NOT_OK(Expect(Tok::kLParen, "@ modifier"));
          RETURN_NOT_OK(Expect(Tok::kRParen, "@ modifier"));
        } else {
          bool negative = false;
          if (tok_.type == Tok::kOp && (tok_.text == "-" || tok_.text == "+")) {
            negative = tok_.text == "-";
            Advance();
          }
          double secs;
          if (tok_.type == Tok::kDuration) {
            // Prometheus 3 also takes a duration (seconds since the epoch).
            auto d = ParseDurationMs(tok_.text);
            if (!d.ok()) return Error(tok_.pos, d.status().message());
            secs = static_cast<double>(*d) / 1000;
          } else if (tok_.type == Tok::kNumber) {
            ASSIGN_OR_RETURN(secs, ParseNumber(tok_));
          } else {
            return Unexpected("@ modifier");
          }
          Advance();
          if (negative) secs = -secs;
          if (!std::isfinite(secs) || std::fabs(secs) > 9.2e15) {
            return Error(at, "timestamp out of bounds for @ modifier");
          }
          mod.kind = AtModifier::Kind::kTime;
          mod.time_ms = static_cast<int64_t>(std::llround(secs * 1000));
        }
        AtModifier* target = nullptr;
        bool* unused = nullptr;
        int64_t* unused2 = nullptr;
        RETURN_NOT_OK(ModifierTarget(expr.get(), at, "@", &unused, &unused2, &target));
        if (target->kind != AtModifier::Kind::kNone) {
          return Error(at, "@ <timestamp> may not be set multiple times");
        }
        *target = mod;
        continue;
      }
      return expr;
    }
  }

  // Where an offset or @ written after `expr` goes.
  Status ModifierTarget(Node* expr, size_t pos, const char* what, bool** has_offset,
                        int64_t** offset, AtModifier** at) {
    switch (expr->kind) {
      case NodeKind::kVectorSelector: {
        auto* vs = static_cast<VectorSelector*>(expr);
        *has_offset = &vs->has_offset;
        *offset = &vs->offset_ms;
        if (at) *at = &vs->at;
        return Status::OK();
      }
      case NodeKind::kMatrixSelector: {
        auto* vs = static_cast<MatrixSelector*>(expr)->selector.get();
        *has_offset = &vs->has_offset;
        *offset = &vs->offset_ms;
        if (at) *at = &vs->at;
        return Status::OK();
      }
      case NodeKind::kSubquery: {
        auto* sq = static_cast<SubqueryExpr*>(expr);
        *has_offset = &sq->has_offset;
        *offset = &sq->offset_ms;
        if (at) *at = &sq->at;
        return Status::OK();
      }
      default:
        return Error(pos, std::string(what) +
                              " modifier must be preceded by an instant vector selector or range "
                              "vector selector or a subquery");
    }
  }

  Result<int64_t> ParseDurationToken(const std::string& context) {
    if (tok_.type == Tok::kDuration) {
      auto d = ParseDurationMs(tok_.text);
      if (!d.ok()) return Error(tok_.pos, d.status().message());
      Advance();
      return *d;
    }
    if (tok_.type == Tok::kNumber) {
      // Prometheus 3 accepts a number of seconds where a duration goes.
      ASSIGN_OR_RETURN(double secs, ParseNumber(tok_));
      // Durations are int64 milliseconds; stay well inside them.
      if (!std::isfinite(secs) || std::fabs(secs) > 9.2e15) {
        return Error(tok_.pos, "duration out of range: \"" + std::string(tok_.text) + "\"");
      }
      Advance();
      return static_cast<int64_t>(std::llround(secs * 1000));
    }
    return Unexpected(context);
  }

  Result<double> ParseNumber(const Token& t) {
    std::string s(t.text);
    if (EqualsFold(s, "inf")) return INFINITY;
    if (EqualsFold(s, "nan")) return NAN;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      uint64_t v = 0;
      auto r = std::from_chars(s.data() + 2, s.data() + s.size(), v, 16);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
        return Error(t.pos, "invalid number \"" + s + "\"");
      }
      return static_cast<double>(v);
    }
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size()) return Error(t.pos, "invalid number \"" + s + "\"");
    return v;
  }

  // ---- primaries
  Result<ExprPtr> ParsePrimary() {
    size_t start = tok_.pos;
    switch (tok_.type) {
      case Tok::kNumber: {
        auto n = Make<NumberLiteral>(start);
        ASSIGN_OR_RETURN(n->value, ParseNumber(tok_));
        Advance();
        n->pos.end = prev_end_;
        return ExprPtr(std::move(n));
      }
      case Tok::kDuration: {
        // A duration used as a number: its length in seconds.
        auto n = Make<NumberLiteral>(start);
        auto d = ParseDurationMs(tok_.text);
        if (!d.ok()) return Error(start, d.status().message());
        n->value = static_cast<double>(*d) / 1000.0;
        Advance();
        n->pos.end = prev_end_;
        return ExprPtr(std::move(n));
      }
      case Tok::kString: {
        auto s = Make<StringLiteral>(start);
        auto v = UnquoteString(tok_.text);
        if (!v.ok()) return Error(start, v.status().message());
        s->value = std::move(*v);
        Advance();
        s->pos.end = prev_end_;
        return ExprPtr(std::move(s));
      }
      case Tok::kLParen: {
        Advance();
        auto p = Make<ParenExpr>(start);
        ASSIGN_OR_RETURN(p->expr, ParseBinary(0));
        RETURN_NOT_OK(Expect(Tok::kRParen, "paren expression"));
        p->pos.end = prev_end_;
        return ExprPtr(std::move(p));
      }
      case Tok::kLBrace:
        return ParseSelector("", start);
      case Tok::kIdent:
        return ParseIdentifier();
      default:
        return Unexpected("");
    }
  }

  Result<ExprPtr> ParseIdentifier() {
    size_t start = tok_.pos;
    std::string_view name = tok_.text;
    if (EqualsFold(name, "inf") || EqualsFold(name, "nan")) {
      auto n = Make<NumberLiteral>(start);
      n->value = EqualsFold(name, "inf") ? INFINITY : NAN;
      Advance();
      n->pos.end = prev_end_;
      return ExprPtr(std::move(n));
    }
    std::optional<AggregateOp> agg = AggregateByName(name);
    Advance();
    if (agg && (tok_.type == Tok::kLParen || IsIdent("by") || IsIdent("without"))) {
      return ParseAggregate(*agg, start);
    }
    if (tok_.type == Tok::kLParen && name.find(':') == std::string_view::npos) {
      return ParseCall(name, start);
    }
    return ParseSelector(std::string(name), start);
  }

  Result<ExprPtr> ParseCall(std::string_view name, size_t start) {
    const FunctionInfo* f = FindFunction(name);
    if (f == nullptr) return Error(start, "unknown function with name \"" + std::string(name) + "\"");
    Advance();  // (
    auto call = Make<Call>(start);
    call->func = f;
    if (tok_.type != Tok::kRParen) {
      for (;;) {
        ASSIGN_OR_RETURN(ExprPtr arg, ParseBinary(0));
        call->args.push_back(std::move(arg));
        if (tok_.type == Tok::kComma) {
          Advance();
          continue;
        }
        break;
      }
    }
    RETURN_NOT_OK(Expect(Tok::kRParen, "function call"));
    call->pos.end = prev_end_;
    // Argument count and types.
    size_t n = call->args.size(), want = f->arg_types.size();
    std::string fname = "\"" + std::string(f->name) + "\"";
    if (f->variadic == 0 && n != want) {
      return Error(start, "expected " + std::to_string(want) + " argument(s) in call to " + fname +
                              ", got " + std::to_string(n));
    }
    if (f->variadic != 0) {
      // As Prometheus: the last argument type is optional (round(v[, to]),
      // hour([v])) and, with variadic > 1 or < 0, may repeat.
      size_t min = want - 1;
      if (n < min) {
        return Error(start, "expected at least " + std::to_string(min) +
                                " argument(s) in call to " + fname + ", got " + std::to_string(n));
      }
      if (f->variadic > 0 && n > min + static_cast<size_t>(f->variadic)) {
        return Error(start, "expected at most " + std::to_string(min + f->variadic) +
                                " argument(s) in call to " + fname + ", got " + std::to_string(n));
      }
    }
    for (size_t i = 0; i < n; ++i) {
      ValueType expected = i < want ? f->arg_types[i] : f->arg_types.back();
      ValueType got = call->args[i]->type();
      if (got != expected) {
        return Error(call->args[i]->pos.start,
                     std::string("expected type ") + ValueTypeName(expected) +
                         " in call to function " + fname + ", got " + ValueTypeName(got));
      }
    }
    return ExprPtr(std::move(call));
  }

  Result<std::vector<std::string>> ParseLabelList(const std::string& context) {
    std::vector<std::string> out;
    RETURN_NOT_OK(Expect(Tok::kLParen, context));
    while (tok_.type != Tok::kRParen) {
      if (tok_.type == Tok::kIdent) {
        out.emplace_back(tok_.text);
      } else if (tok_.type == Tok::kString) {
        auto s = UnquoteString(tok_.text);
        if (!s.ok()) return Error(tok_.pos, s.status().message());
        out.push_back(std::move(*s));
      } else {
        return Unexpected(context);
      }
      Advance();
      if (tok_.type == Tok::kComma) {
        Advance();
      } else if (tok_.type != Tok::kRParen) {
        return Unexpected(context);
      }
    }
    Advance();
    return out;
  }

  Result<ExprPtr> ParseAggregate(AggregateOp op, size_t start) {
    auto agg = Make<AggregateExpr>(start);
    agg->op = op;
    auto grouping = [&]() -> Status {
      if (!(IsIdent("by") || IsIdent("without"))) return Status::OK();
      if (agg->has_grouping) return Unexpected("aggregation");
      agg->without = IsIdent("without");
      agg->has_grouping = true;
      Advance();
      ASSIGN_OR_RETURN(agg->grouping, ParseLabelList("grouping opts"));
      return Status::OK();
    };
    RETURN_NOT_OK(grouping());
    RETURN_NOT_OK(Expect(Tok::kLParen, "aggregation"));
    std::vector<ExprPtr> args;
    if (tok_.type != Tok::kRParen) {
      for (;;) {
        ASSIGN_OR_RETURN(ExprPtr arg, ParseBinary(0));
        args.push_back(std::move(arg));
        if (tok_.type != Tok::kComma) break;
        Advance();
      }
    }
    RETURN_NOT_OK(Expect(Tok::kRParen, "aggregation"));
    RETURN_NOT_OK(grouping());
    agg->pos.end = prev_end_;
    size_t want = AggregateHasParam(op) ? 2 : 1;
    if (args.size() != want) {
      return Error(start, std::string("wrong number of arguments for aggregate expression provided, "
                                      "expected ") +
                              std::to_string(want) + ", got " + std::to_string(args.size()));
    }
    if (want == 2) agg->param = std::move(args[0]);
    agg->expr = std::move(args.back());
    if (agg->expr->type() != ValueType::kVector) {
      return Error(agg->expr->pos.start,
                   std::string("expected type instant vector in aggregation expression, got ") +
                       ValueTypeName(agg->expr->type()));
    }
    if (agg->param) {
      ValueType want_type =
          op == AggregateOp::kCountValues ? ValueType::kString : ValueType::kScalar;
      if (agg->param->type() != want_type) {
        return Error(agg->param->pos.start, std::string("expected type ") + ValueTypeName(want_type) +
                                                " in aggregation parameter, got " +
                                                ValueTypeName(agg->param->type()));
      }
    }
    return ExprPtr(std::move(agg));
  }

  Result<ExprPtr> ParseSelector(std::string name, size_t start) {
    auto vs = Make<VectorSelector>(start);
    vs->name = name;
    std::string braces;
    if (tok_.type == Tok::kLBrace) {
      // The matcher list is parsed by the series-selector parser, which
      // knows quoted UTF-8 names and all escapes.
      size_t open = tok_.pos;
      size_t i = open + 1;
      char quote = 0;
      for (; i < in_.size(); ++i) {
        char c = in_[i];
        if (quote) {
          if (c == '\\' && quote != '`') {
            ++i;
          } else if (c == quote) {
            quote = 0;
          }
        } else if (c == '"' || c == '\'' || c == '`') {
          quote = c;
        } else if (c == '}') {
          break;
        }
      }
      if (i >= in_.size()) return Error(open, "unexpected end of input inside braces");
      braces = std::string(in_.substr(open, i - open + 1));
      // Continue lexing after the closing brace.
      lexer_.Seek(i + 1);
      prev_end_ = i + 1;
      tok_ = lexer_.Next();
    }
    std::string selector = name + braces;
    auto matchers = ParseSeriesSelector(selector);
    if (!matchers.ok()) {
      std::string msg = matchers.status().message();
      // Re-base "1:N: parse error: ..." positions onto the whole query.
      size_t colon = msg.find(": parse error: ");
      std::string detail = colon == std::string::npos ? msg : msg.substr(colon + 15);
      return Error(start, detail);
    }
    vs->matchers = std::move(*matchers);
    vs->pos.end = prev_end_;
    return ExprPtr(std::move(vs));
  }

  static constexpr int kMaxDepth = 200;

  std::string_view in_;
  Lexer lexer_;
  Token tok_;
  size_t prev_end_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<int64_t> ParseDurationMs(std::string_view s) { return model::ParseDuration(s); }

Result<ExprPtr> ParseExpr(std::string_view query) { return Parser(query).Parse(); }

}  // namespace mytsdb::promql
