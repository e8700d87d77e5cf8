// What a rule needs from the server to be evaluated, and what evaluating it
// produces: an instant PromQL query at a time, and samples to append.
// Kept as functions so that rules run the same against the server's
// storage and against a test's fake (rules/rules_test.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/labels.h"
#include "promql/ast.h"
#include "promql/query.h"
#include "promql/queryable.h"
#include "rules/rule_file.h"

namespace mytsdb::rules {

struct EvalContext {
  // Runs `expr` as an instant query at `t` (ms).
  std::function<Result<promql::QueryResult>(const promql::Node& expr, int64_t t)> instant_query;
  // The raw samples of the matching series in `range`, staleness markers
  // included (restoring alerts reads ALERTS_FOR_STATE this way).
  std::function<Result<std::vector<promql::Series>>(const model::Matchers& matchers, model::TimeRange range)>
      select;
  // Runs a rule's SQL (rule_query.h) at `t` (ms) as an instant vector;
  // unset where SQL is not available.
  std::function<Result<std::vector<promql::SeriesResult>>(const std::string& sql, int64_t t)> sql_query;
  LabelMap external_labels;
  std::string external_url;
};

// A sample a rule produces (a recorded series, ALERTS, ALERTS_FOR_STATE).
struct RuleSample {
  model::Labels labels;
  int64_t t = 0;
  double v = 0;
};

}  // namespace mytsdb::rules
