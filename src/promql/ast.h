// The PromQL syntax tree, as Prometheus's promql/parser builds it: literals,
// selectors, subqueries, unary and binary operations, aggregations and
// function calls. Format() prints an expression back in Prometheus's
// canonical form (what /api/v1/format_query returns).
//
// Nodes are immutable once parsed and owned by their parent (unique_ptr).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/matcher.h"

namespace mytsdb::promql {

// The type an expression evaluates to.
enum class ValueType { kScalar, kVector, kMatrix, kString };
const char* ValueTypeName(ValueType t);  // "scalar", "instant vector", ...

enum class NodeKind {
  kNumber,
  kString,
  kVectorSelector,
  kMatrixSelector,
  kSubquery,
  kParen,
  kUnary,
  kBinary,
  kAggregate,
  kCall,
};

// Byte offsets into the query text, for error messages.
struct PosRange {
  size_t start = 0;
  size_t end = 0;
};

struct Node {
  explicit Node(NodeKind k) : kind(k) {}
  virtual ~Node() = default;
  const NodeKind kind;
  PosRange pos;
  virtual ValueType type() const = 0;
};
using ExprPtr = std::unique_ptr<Node>;

struct NumberLiteral final : Node {
  NumberLiteral() : Node(NodeKind::kNumber) {}
  double value = 0;
  ValueType type() const override { return ValueType::kScalar; }
};

struct StringLiteral final : Node {
  StringLiteral() : Node(NodeKind::kString) {}
  std::string value;
  ValueType type() const override { return ValueType::kString; }
};

// `@ <time>`, `@ start()`, `@ end()`.
struct AtModifier {
  enum class Kind { kNone, kTime, kStart, kEnd };
  Kind kind = Kind::kNone;
  int64_t time_ms = 0;  // for kTime
};

struct VectorSelector final : Node {
  VectorSelector() : Node(NodeKind::kVectorSelector) {}
  std::string name;         // the metric name if written as such (else "")
  model::Matchers matchers;  // includes the __name__ matcher of `name`
  int64_t offset_ms = 0;
  bool has_offset = false;
  AtModifier at;
  ValueType type() const override { return ValueType::kVector; }
};

struct MatrixSelector final : Node {
  MatrixSelector() : Node(NodeKind::kMatrixSelector) {}
  std::unique_ptr<VectorSelector> selector;  // carries offset and @
  int64_t range_ms = 0;
  ValueType type() const override { return ValueType::kMatrix; }
};

struct SubqueryExpr final : Node {
  SubqueryExpr() : Node(NodeKind::kSubquery) {}
  ExprPtr expr;
  int64_t range_ms = 0;
  int64_t step_ms = 0;  // 0: the default evaluation interval
  int64_t offset_ms = 0;
  bool has_offset = false;
  AtModifier at;
  ValueType type() const override { return ValueType::kMatrix; }
};

struct ParenExpr final : Node {
  ParenExpr() : Node(NodeKind::kParen) {}
  ExprPtr expr;
  ValueType type() const override { return expr->type(); }
};

struct UnaryExpr final : Node {
  UnaryExpr() : Node(NodeKind::kUnary) {}
  char op = '-';  // '+' or '-'
  ExprPtr expr;
  ValueType type() const override { return expr->type(); }
};

enum class BinaryOp {
  kAdd, kSub, kMul, kDiv, kMod, kPow, kAtan2,
  kEql, kNeq, kLss, kGtr, kLte, kGte,
  kAnd, kOr, kUnless,
};
const char* BinaryOpName(BinaryOp op);
bool IsComparison(BinaryOp op);
bool IsSetOperator(BinaryOp op);

struct VectorMatching {
  enum class Card { kOneToOne, kManyToOne, kOneToMany, kManyToMany };
  Card card = Card::kOneToOne;
  bool on = false;                    // on(...) rather than ignoring(...)
  bool explicit_ = false;             // on/ignoring was written
  std::vector<std::string> labels;    // of on/ignoring
  std::vector<std::string> include;   // of group_left/group_right
};

struct BinaryExpr final : Node {
  BinaryExpr() : Node(NodeKind::kBinary) {}
  BinaryOp op = BinaryOp::kAdd;
  ExprPtr lhs, rhs;
  bool return_bool = false;
  std::optional<VectorMatching> matching;  // set when both sides are vectors
  ValueType type() const override {
    return lhs->type() == ValueType::kScalar && rhs->type() == ValueType::kScalar
               ? ValueType::kScalar
               : ValueType::kVector;
  }
};

enum class AggregateOp {
  kSum, kAvg, kCount, kMin, kMax, kGroup, kStddev, kStdvar,
  kTopk, kBottomk, kCountValues, kQuantile, kLimitk, kLimitRatio,
};
const char* AggregateOpName(AggregateOp op);

struct AggregateExpr final : Node {
  AggregateExpr() : Node(NodeKind::kAggregate) {}
  AggregateOp op = AggregateOp::kSum;
  ExprPtr expr;
  ExprPtr param;  // topk/bottomk/quantile/limitk/limit_ratio/count_values
  std::vector<std::string> grouping;
  bool without = false;
  bool has_grouping = false;  // `by ()` was written
  ValueType type() const override { return ValueType::kVector; }
};

struct FunctionInfo {
  const char* name;
  std::vector<ValueType> arg_types;
  int variadic;  // 0: exactly arg_types; n > 0: up to n more of the last type; -1: unlimited
  ValueType return_type;
  bool experimental = false;
};
// nullptr for an unknown function.
const FunctionInfo* FindFunction(std::string_view name);

struct Call final : Node {
  Call() : Node(NodeKind::kCall) {}
  const FunctionInfo* func = nullptr;
  std::vector<ExprPtr> args;
  ValueType type() const override { return func->return_type; }
};

// The canonical text of an expression (Prometheus's String()).
std::string Format(const Node& node);
// A float as Go's strconv.FormatFloat(v, 'f', -1, 64) writes it ("+Inf",
// "NaN", "0.1", "100000000000000000000"): number literals and count_values.
std::string FormatFloat(double v);
// A string quoted as Go's strconv.Quote does (how PromQL prints strings and
// how Prometheus's messages quote names): "a\"b".
std::string Quote(std::string_view s);
// A duration in Prometheus's notation: 90000 -> "1m30s".
std::string FormatDuration(int64_t ms);

}  // namespace mytsdb::promql
