// Warnings of a SQL query whose result may lack samples: on a read-only
// node, a writer that did not answer (storage/recent_source.h). The scans
// that meet them record them in the query's DuckDB client context (one
// connection per query, sandbox.h); the result writer adds them to the
// answer, as PromQL's API adds its warnings.
#pragma once

#include <string>
#include <vector>

namespace duckdb {
class ClientContext;
}  // namespace duckdb

namespace mytsdb::sql {

// Records `warnings` (each distinct one once) for the context's query.
void AddPartialWarnings(duckdb::ClientContext& context, const std::vector<std::string>& warnings);
// The warnings recorded so far, in the order first recorded.
std::vector<std::string> PartialWarnings(duckdb::ClientContext& context);

}  // namespace mytsdb::sql
