// What a rule asks at each evaluation: its PromQL expression or (MyTSDB's
// extension, docs/RULES.md "Conditions in SQL") its SQL query, answered as
// an instant vector either way, so that recording and alerting rules treat
// both alike.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "promql/ast.h"
#include "promql/query.h"
#include "rules/evaluation.h"
#include "rules/rule_file.h"

namespace mytsdb::rules {

class RuleQuery {
 public:
  // The rule's `expr` parsed, or its `sql` kept to run.
  static Result<RuleQuery> Make(const Rule& spec);

  // The result at `t` (ms). A PromQL scalar becomes one element without
  // labels, as Prometheus's rule query function makes it; a range vector or
  // a string is an error.
  Result<std::vector<promql::SeriesResult>> Run(int64_t t, const EvalContext& context) const;

  bool is_sql() const { return expr_ == nullptr; }
  // The query as Prometheus's API shows it: the expression formatted, or
  // the SQL as written.
  std::string Text() const;

 private:
  std::shared_ptr<const promql::Node> expr_;  // null for SQL
  std::string sql_;
};

// An instant query of `expr` at `t` through the context, as a vector.
Result<std::vector<promql::SeriesResult>> InstantVector(const promql::Node& expr, int64_t t,
                                                        const EvalContext& context);

}  // namespace mytsdb::rules
