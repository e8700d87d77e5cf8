// Rules whose condition is SQL (MyTSDB's extension to rule files,
// docs/RULES.md "Conditions in SQL"): a rule carries `sql:` instead of
// `expr:`, a SELECT evaluated at the rule's evaluation time, whose rows are
// the rule's result as PromQL's instant vector would be: the column `value`
// is each element's value, every other column one of its labels.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "promql/query.h"
#include "sql/sandbox.h"

namespace mytsdb::sql {

class SqlEngine;

// The one parameter a rule's query may use: the evaluation time, as
// TIMESTAMP WITH TIME ZONE (`WHERE ts > $eval_time - INTERVAL 1 HOUR`).
inline constexpr const char* kEvalTimeParameter = "eval_time";

// Checks a rule's query without running it (`mytsdb check rules`): one
// statement, a SELECT, parsed by DuckDB's parser, with no parameter but
// $eval_time. Whether its tables and columns exist is known only when it
// runs.
Status CheckRuleSql(std::string_view sql);

// Runs a rule's query with $eval_time = `t` (ms) and reads its result:
//   - a column named `value` is required and must be numeric; a row whose
//     value is NULL is no element;
//   - every other column is a label named after it, its value the cell as
//     text (timestamps RFC 3339); NULL or '' leaves the label out;
//   - each element's labels come out sorted; two rows with the same labels
//     are an error, as in PromQL.
// At most `max_rows` rows (an alert or a series each); more is an error.
Result<std::vector<promql::SeriesResult>> RunRuleSql(const SqlEngine& engine, std::string_view sql, int64_t t,
                                                     const QueryControl& control, size_t max_rows = 100'000);

}  // namespace mytsdb::sql
