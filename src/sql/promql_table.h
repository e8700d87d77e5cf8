// promql(): PromQL inside SQL (docs/SQL.md). A table function that runs a
// PromQL query through the same engine and read path as /api/v1/query and
// /api/v1/query_range and returns one row per point:
//
//   promql(query, at)                  an instant query at `at`
//   promql(query, start, end, step)    a range query
//
// Columns: ts, value, metric (NULL when the result has no name), one per
// label name of the result (named as in `samples`), and labels (a MAP of
// all but the name). The query runs when the SQL statement is bound, so
// its columns are those of its result; its errors are the statement's
// (a PromQL parse error is a bad query, an evaluation error an execution
// error). Its limits are PromQL's (--query.max-samples, --query.timeout),
// and the SQL statement's timeout stops it too.
#pragma once

#include "duckdb.hpp"
#include "promql/query.h"

namespace mytsdb::storage {
class Storage;
}  // namespace mytsdb::storage

namespace mytsdb::sql {

// Both forms, over `storage` (which must outlive every query using them).
duckdb::TableFunctionSet PromqlTableFunctions(const storage::Storage* storage,
                                             const promql::EngineOptions& options);

}  // namespace mytsdb::sql
