#include "rules/rule_query.h"

#include "promql/parser.h"

namespace mytsdb::rules {

Result<std::vector<promql::SeriesResult>> InstantVector(const promql::Node& expr, int64_t t,
                                                        const EvalContext& context) {
  ASSIGN_OR_RETURN(promql::QueryResult r, context.instant_query(expr, t));
  switch (r.type) {
    case promql::ValueType::kVector:
      return std::move(r.series);
    case promql::ValueType::kScalar:
      return std::vector<promql::SeriesResult>{{model::Labels(), {r.scalar}}};
    default:
      return Status::InvalidArgument("rule result is not a vector or scalar");
  }
}

Result<RuleQuery> RuleQuery::Make(const Rule& spec) {
  RuleQuery q;
  if (!spec.sql.empty()) {
    q.sql_ = spec.sql;
    return q;
  }
  ASSIGN_OR_RETURN(promql::ExprPtr expr, promql::ParseExpr(spec.expr));
  q.expr_ = std::move(expr);
  return q;
}

Result<std::vector<promql::SeriesResult>> RuleQuery::Run(int64_t t, const EvalContext& context) const {
  if (expr_ != nullptr) return InstantVector(*expr_, t, context);
  if (!context.sql_query) return Status::Unimplemented("SQL rules are not available here");
  return context.sql_query(sql_, t);
}

std::string RuleQuery::Text() const { return expr_ != nullptr ? promql::Format(*expr_) : sql_; }

}  // namespace mytsdb::rules
