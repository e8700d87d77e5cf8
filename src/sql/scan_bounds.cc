#include "sql/scan_bounds.h"

#include <re2/re2.h>

#include <algorithm>
#include <string>
#include <vector>

#include "duckdb.hpp"
#include "duckdb/execution/expression_executor.hpp"
#include "duckdb/planner/expression/bound_between_expression.hpp"
#include "duckdb/planner/expression/bound_columnref_expression.hpp"
#include "duckdb/planner/expression/bound_comparison_expression.hpp"
#include "duckdb/planner/expression/bound_conjunction_expression.hpp"
#include "duckdb/planner/expression/bound_operator_expression.hpp"

namespace mytsdb::sql {

namespace {

using duckdb::Expression;
using duckdb::ExpressionClass;
using duckdb::ExpressionType;

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// The role of `e` if it is a column of this scan.
std::optional<ColumnRole> ColumnOf(const Expression& e, uint64_t table_index,
                                   const std::function<ColumnRole(uint64_t)>& column_role) {
  if (e.GetExpressionClass() != ExpressionClass::BOUND_COLUMN_REF) return std::nullopt;
  const auto& ref = e.Cast<duckdb::BoundColumnRefExpression>();
  if (ref.binding.table_index != table_index || ref.depth != 0) return std::nullopt;
  return column_role(ref.binding.column_index);
}

// The value of `e` if it is a constant (after folding), not NULL.
std::optional<duckdb::Value> ConstantOf(duckdb::ClientContext& context, const Expression& e) {
  if (!e.IsFoldable()) return std::nullopt;
  duckdb::Value v;
  if (!duckdb::ExpressionExecutor::TryEvaluateScalar(context, e, v) || v.IsNull()) {
    return std::nullopt;
  }
  return v;
}

// The microseconds of a timestamp constant.
std::optional<int64_t> MicrosOf(const duckdb::Value& v) {
  const auto id = v.type().id();
  if (id != duckdb::LogicalTypeId::TIMESTAMP_TZ && id != duckdb::LogicalTypeId::TIMESTAMP) {
    return std::nullopt;
  }
  return v.GetValueUnsafe<int64_t>();
}

std::optional<std::string> StringOf(const duckdb::Value& v) {
  if (v.type().id() != duckdb::LogicalTypeId::VARCHAR) return std::nullopt;
  return duckdb::StringValue::Get(v);
}

std::string LabelName(const ColumnRole& role) {
  return role.kind == ColumnRole::kMetric ? std::string(model::kMetricNameLabel) : role.label;
}

void AddMatcher(model::MatchType type, const ColumnRole& role, std::string value,
                ScanBounds* bounds) {
  Result<model::Matcher> m = model::Matcher::Make(type, LabelName(role), std::move(value));
  if (m.ok()) bounds->matchers.push_back(std::move(*m));
}

// `column op constant`, the column first.
void NarrowByComparison(ExpressionType op, const ColumnRole& role, const duckdb::Value& value,
                        ScanBounds* bounds) {
  if (role.kind == ColumnRole::kTime) {
    const std::optional<int64_t> us = MicrosOf(value);
    if (!us) return;
    // A sample at t ms is at t * 1000 us: the bounds in ms that keep
    // exactly the samples the comparison keeps.
    const int64_t floor_ms = FloorDiv(*us, 1000);
    const int64_t ceil_ms = floor_ms + (*us % 1000 != 0 ? 1 : 0);
    auto at_least = [&](int64_t ms) { bounds->range.min = std::max(bounds->range.min, ms); };
    auto at_most = [&](int64_t ms) { bounds->range.max = std::min(bounds->range.max, ms); };
    switch (op) {
      case ExpressionType::COMPARE_EQUAL:
        at_least(ceil_ms);
        at_most(floor_ms);
        break;
      case ExpressionType::COMPARE_GREATERTHAN: at_least(floor_ms + 1); break;
      case ExpressionType::COMPARE_GREATERTHANOREQUALTO: at_least(ceil_ms); break;
      case ExpressionType::COMPARE_LESSTHAN: at_most(ceil_ms - 1); break;
      case ExpressionType::COMPARE_LESSTHANOREQUALTO: at_most(floor_ms); break;
      default: break;
    }
    if (bounds->range.min > bounds->range.max) bounds->nothing = true;
    return;
  }
  if (role.kind != ColumnRole::kMetric && role.kind != ColumnRole::kLabel) return;
  std::optional<std::string> s = StringOf(value);
  if (!s) return;
  if (op == ExpressionType::COMPARE_EQUAL) {
    // A label column is NULL where a series lacks the label, so `= ''`
    // keeps no row; the matcher keeps more, which is allowed.
    AddMatcher(model::MatchType::kEqual, role, std::move(*s), bounds);
  } else if (op == ExpressionType::COMPARE_NOTEQUAL) {
    AddMatcher(model::MatchType::kNotEqual, role, std::move(*s), bounds);
  }
}

ExpressionType Flip(ExpressionType op) {
  switch (op) {
    case ExpressionType::COMPARE_GREATERTHAN: return ExpressionType::COMPARE_LESSTHAN;
    case ExpressionType::COMPARE_GREATERTHANOREQUALTO: return ExpressionType::COMPARE_LESSTHANOREQUALTO;
    case ExpressionType::COMPARE_LESSTHAN: return ExpressionType::COMPARE_GREATERTHAN;
    case ExpressionType::COMPARE_LESSTHANOREQUALTO: return ExpressionType::COMPARE_GREATERTHANOREQUALTO;
    default: return op;
  }
}

}  // namespace

void NarrowBounds(duckdb::ClientContext& context, const Expression& filter, uint64_t table_index,
                  const std::function<ColumnRole(uint64_t)>& column_role, ScanBounds* bounds) {
  switch (filter.GetExpressionClass()) {
    case ExpressionClass::BOUND_CONJUNCTION: {
      if (filter.GetExpressionType() != ExpressionType::CONJUNCTION_AND) return;
      for (const auto& child : filter.Cast<duckdb::BoundConjunctionExpression>().children) {
        NarrowBounds(context, *child, table_index, column_role, bounds);
      }
      return;
    }
    case ExpressionClass::BOUND_COMPARISON: {
      const auto& cmp = filter.Cast<duckdb::BoundComparisonExpression>();
      ExpressionType op = filter.GetExpressionType();
      std::optional<ColumnRole> role = ColumnOf(*cmp.left, table_index, column_role);
      const Expression* other = cmp.right.get();
      if (!role) {
        role = ColumnOf(*cmp.right, table_index, column_role);
        other = cmp.left.get();
        op = Flip(op);
      }
      if (!role) return;
      std::optional<duckdb::Value> value = ConstantOf(context, *other);
      if (value) NarrowByComparison(op, *role, *value, bounds);
      return;
    }
    case ExpressionClass::BOUND_BETWEEN: {
      const auto& between = filter.Cast<duckdb::BoundBetweenExpression>();
      std::optional<ColumnRole> role = ColumnOf(*between.input, table_index, column_role);
      if (!role) return;
      // The optimizer also writes `a >= x AND a < y` as a BETWEEN.
      if (std::optional<duckdb::Value> lo = ConstantOf(context, *between.lower)) {
        NarrowByComparison(between.lower_inclusive ? ExpressionType::COMPARE_GREATERTHANOREQUALTO
                                                   : ExpressionType::COMPARE_GREATERTHAN,
                           *role, *lo, bounds);
      }
      if (std::optional<duckdb::Value> hi = ConstantOf(context, *between.upper)) {
        NarrowByComparison(between.upper_inclusive ? ExpressionType::COMPARE_LESSTHANOREQUALTO
                                                   : ExpressionType::COMPARE_LESSTHAN,
                           *role, *hi, bounds);
      }
      return;
    }
    case ExpressionClass::BOUND_OPERATOR: {
      if (filter.GetExpressionType() != ExpressionType::COMPARE_IN) return;
      const auto& in = filter.Cast<duckdb::BoundOperatorExpression>();
      if (in.children.empty()) return;
      std::optional<ColumnRole> role = ColumnOf(*in.children[0], table_index, column_role);
      if (!role || (role->kind != ColumnRole::kMetric && role->kind != ColumnRole::kLabel)) return;
      std::string alternatives;
      for (size_t i = 1; i < in.children.size(); ++i) {
        std::optional<duckdb::Value> v = ConstantOf(context, *in.children[i]);
        std::optional<std::string> s = v ? StringOf(*v) : std::nullopt;
        if (!s) return;  // not a list of strings: no bound
        if (i > 1) alternatives += '|';
        alternatives += RE2::QuoteMeta(*s);
      }
      AddMatcher(model::MatchType::kRegexMatch, *role, std::move(alternatives), bounds);
      return;
    }
    default: return;
  }
}

}  // namespace mytsdb::sql
