// SqlEngine: SQL over MyTSDB's data, as the HTTP API, the CLI and the
// PostgreSQL protocol run it (docs/SQL.md). One sandboxed DuckDB
// (sandbox.h) with the tables over a storage (tables.h), its limits set by
// --sql.memory-limit, --sql.threads and --sql.timeout.
//
// DuckDB's memory limit and threads belong to a database, so they are
// shared by all SQL queries at once: a query that needs more than the
// limit fails alone (ResourceExhausted), the others and ingestion go on.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "promql/query.h"
#include "sql/samples_table.h"
#include "sql/tables.h"
#include "sql/sandbox.h"

namespace mytsdb::storage {
class Storage;
}  // namespace mytsdb::storage

namespace mytsdb::sql {

struct SqlOptions {
  // For all SQL queries together (0: a quarter of the machine's memory).
  uint64_t memory_limit_bytes = 0;
  int threads = 0;  // 0: one a core
  // The longest a query may run; a request may ask for less.
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  // promql()'s engine: the server's PromQL limits (lookback, samples,
  // timeout).
  promql::EngineOptions promql;
  // Added to the nice value of DuckDB's worker threads: SQL queries run
  // below ingestion and rule evaluation, as PromQL queries do.
  int worker_nice = 19;
  // The files of the alert history's current snapshot (absolute paths,
  // under DATA/alerts/), for the `alerts` table; unset: it is empty.
  AlertFilesFn alert_files;
};

class SqlEngine {
 public:
  // Over `storage` (which must outlive the engine), whose data directory is
  // `data_dir`: queries may read files under its parquet/ directory, and
  // spill to its sql-tmp/ directory (emptied here), up to the memory
  // limit's size.
  static Result<std::unique_ptr<SqlEngine>> Open(const storage::Storage* storage,
                                                 const std::string& data_dir,
                                                 const SqlOptions& options);
  ~SqlEngine();

  const SqlOptions& options() const { return options_; }
  uint64_t memory_limit_bytes() const { return memory_limit_bytes_; }
  // Starts a query (sandbox.h). control.timeout is capped by the engine's,
  // which applies when it is 0.
  Result<std::unique_ptr<Cursor>> Execute(std::string_view sql, QueryControl control) const;
  // Prepares one with parameters (sandbox.h), with the same cap; run it
  // with WithTimeout(control).
  Result<std::unique_ptr<PreparedQuery>> Prepare(std::string_view sql, QueryControl control) const;
  // `control` with its timeout capped by the engine's (which applies when
  // it is 0).
  QueryControl WithTimeout(QueryControl control) const;
  // The whole result (small results; tests).
  Result<QueryResult> Query(std::string_view sql) const;
  const ScanCounters& counters() const { return *counters_; }

 private:
  SqlEngine(const SqlOptions& options) : options_(options) {}
  // Creates the tables' views again if the label names changed since they
  // were (or `force`).
  Status RefreshViews(bool force) const;
  // Runs `attempt` after refreshing the views, and once more after a
  // forced refresh if DuckDB found a view's columns changed meanwhile.
  template <typename T, typename Fn>
  Result<T> WithFreshViews(Fn&& attempt) const;

  const SqlOptions options_;
  uint64_t memory_limit_bytes_ = 0;
  std::unique_ptr<ScanCounters> counters_;
  std::unique_ptr<SqlSandbox> sandbox_;
  const storage::Storage* storage_ = nullptr;
  mutable std::mutex views_mu_;
  mutable std::vector<std::string> view_labels_;  // guarded by views_mu_
  mutable bool views_created_ = false;            // guarded by views_mu_
};

}  // namespace mytsdb::sql
