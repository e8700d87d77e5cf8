// MyTSDB's tables in SQL: `samples` (samples_table.h), `series` (the
// samples grouped by series) and `metadata`, over a storage::Storage, and
// `alerts`, the alert history's Delta table, as the names a query uses
// (docs/SQL.md).
//
// Each is found under its plain name by a replacement scan, so that its
// columns (one per label name) are bound again by every query: a view
// would fix them when it is created.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "promql/query.h"
#include "sql/samples_table.h"

namespace duckdb {
class Connection;
}  // namespace duckdb

namespace mytsdb::storage {
class Storage;
}  // namespace mytsdb::storage

namespace mytsdb::sql {

// The files of the alert history's current snapshot, absolute paths.
using AlertFilesFn = std::function<std::vector<std::string>()>;

// Adds the tables over `storage` to the database of `con`, and promql()
// (promql_table.h) with the PromQL engine's `promql` options; scans of
// `samples` count what they read in `counters` (may be null). Both must
// outlive the database. `alerts` reads the files `alert_files` gives when
// a query names it (none if unset).
Status RegisterTables(duckdb::Connection& con, const storage::Storage* storage,
                      const promql::EngineOptions& promql, ScanCounters* counters = nullptr,
                      AlertFilesFn alert_files = nullptr);

// The statements that (re)create the tables as views, so that they are
// listed in information_schema and pg_catalog like tables (for tools that
// browse them), for the label names `label_names` (the storage's now). A
// view fixes its columns, so they must be created again when the label
// names change (SqlEngine does).
std::string CreateViewsSql(const std::vector<std::string>& label_names);

}  // namespace mytsdb::sql
