// SqlSandbox: an embedded DuckDB that can read and nothing else.
//
// Every SQL query runs in it (docs/design/sql.md). DuckDB's own settings
// keep queries away from files outside one directory (allowed_directories,
// enable_external_access=false, lock_configuration, no extension installs
// or loads), but still let COPY, EXPORT, ATTACH and CREATE write inside it;
// so each request is also checked before it runs: one statement, and a
// SELECT. The tables over MyTSDB's data are added by the caller's set-up
// hook (sql/tables.h), before the configuration is locked.
//
// Built on DuckDB's C++ API (the library and headers of one version, from
// npm: scripts/setup.sh), which table functions need for filter pushdown.
// Thread-safe: each query uses its own connection.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace duckdb {
class Connection;
class DataChunk;
struct LogicalType;
}  // namespace duckdb

struct ArrowSchema;
struct ArrowArray;

namespace mytsdb::sql {

struct SandboxOptions {
  // The one directory queries may read files under (absolute).
  std::string allowed_directory;
  // Others, also absolute (the alert history's table).
  std::vector<std::string> more_allowed_directories;
  // DuckDB's memory limit and threads for SQL as a whole (0: DuckDB's
  // defaults, 80% of RAM and one thread a core).
  uint64_t memory_limit_bytes = 0;
  int threads = 0;
  // Where DuckDB spills what does not fit in memory, and how much (empty:
  // no spilling; queries over the limit fail). Outside the allowed
  // directory: queries cannot read it.
  std::string temp_directory;
  uint64_t max_temp_bytes = 0;
  // Added to the nice value of DuckDB's worker threads (0: the caller's),
  // so that SQL takes only the CPU ingestion and rule evaluation leave.
  int worker_nice = 0;
  // Runs once on a connection of the new database, before the sandbox's
  // settings are locked: registers functions and tables.
  std::function<Status(duckdb::Connection&)> setup;
};

// A result, whole, as text (NULL as nullopt), with each column's SQL type.
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::string> types;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

// What may stop a query: a timeout, and a flag (the client left, the
// server stops) polled while it runs.
struct QueryControl {
  std::chrono::milliseconds timeout{0};  // 0: none
  // When the timeout started, if before the call that takes this control
  // (the query was prepared first); default: at that call.
  std::optional<std::chrono::steady_clock::time_point> started;
  std::shared_ptr<const std::atomic<bool>> cancel;
  const std::atomic<bool>* shutdown = nullptr;
};

// A running query's result, read a chunk at a time (DuckDB computes the
// next chunks as they are read, so a large result never sits in memory).
// Errors, also those found only while reading, are Status: InvalidArgument
// for the query itself (parsing, binding, refused statements and files),
// DeadlineExceeded for the timeout, Cancelled, ResourceExhausted for the
// memory limit, Internal for DuckDB's internal errors, and OutOfRange for
// the other errors of execution (conversions, overflows, ...).
class Cursor {
 public:
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<std::string>& types() const { return types_; }
  std::vector<duckdb::LogicalType> logical_types() const;
  // The next chunk of rows (false at the end). The chunk stays valid until
  // the next call; its vectors are flat.
  Result<bool> Next();
  const duckdb::DataChunk& chunk() const;
  // The result's schema, and the current chunk's first `rows` rows, in
  // Arrow's C data interface (the caller releases them).
  void ExportSchema(ArrowSchema* out) const;
  void ExportChunk(uint64_t rows, ArrowArray* out) const;
  // Why the result may lack rows (partial_result.h), as far as read.
  std::vector<std::string> warnings() const;

 private:
  friend class PreparedQuery;
  struct Impl;
  explicit Cursor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> columns_;
  std::vector<std::string> types_;
};

// A statement checked and prepared (as Execute checks it), to run once or
// more with parameters $1, $2, ... (the PostgreSQL protocol's extended
// queries). Runs one at a time: a new Run ends the previous one's cursor.
class PreparedQuery {
 public:
  ~PreparedQuery();
  PreparedQuery(const PreparedQuery&) = delete;
  PreparedQuery& operator=(const PreparedQuery&) = delete;

  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<std::string>& types() const { return types_; }
  std::vector<duckdb::LogicalType> logical_types() const;
  // DuckDB's type for each of $1..$n, "UNKNOWN" where it cannot tell.
  const std::vector<std::string>& parameter_types() const { return parameter_types_; }
  // Runs it with `parameters` as text (nullopt: NULL), each cast by DuckDB
  // to the type it expects; InvalidArgument if their number is not
  // parameter_types().size().
  Result<std::unique_ptr<Cursor>> Run(const std::vector<std::optional<std::string>>& parameters,
                                      const QueryControl& control);
  // Runs it with named parameters ($name in the statement), each a point in
  // time in ms since the epoch, bound as TIMESTAMP WITH TIME ZONE (a rule's
  // $eval_time). InvalidArgument, naming them, if the statement has
  // parameters not given; given ones it does not use are ignored.
  Result<std::unique_ptr<Cursor>> RunAt(const std::map<std::string, int64_t>& times_ms,
                                        const QueryControl& control);

 private:
  friend class SqlSandbox;
  struct Impl;
  explicit PreparedQuery(std::unique_ptr<Impl> impl);
  // A cursor over the result of `execute`, which runs the statement under
  // the watchdog of `control`.
  Result<std::unique_ptr<Cursor>> Start(const std::function<void(Cursor::Impl&)>& execute,
                                        const QueryControl& control);
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> columns_, types_, parameter_types_;
};

class SqlSandbox {
 public:
  static Result<std::unique_ptr<SqlSandbox>> Open(const SandboxOptions& options);
  ~SqlSandbox();
  SqlSandbox(const SqlSandbox&) = delete;
  SqlSandbox& operator=(const SqlSandbox&) = delete;

  // Runs one read-only statement. InvalidArgument, with nothing run, for a
  // request that is not exactly one SELECT (the message names what it is)
  // or that does not parse; InvalidArgument with DuckDB's message for a
  // file or URL outside the allowed directory and for other errors of the
  // query itself.
  Result<QueryResult> Query(std::string_view sql) const;
  // The same, streaming: checks and starts the query, and returns its
  // result to read. Errors of the statement (parsing, binding, refused
  // statements) come here; errors of its execution may come from
  // Cursor::Next.
  Result<std::unique_ptr<Cursor>> Execute(std::string_view sql, const QueryControl& control) const;
  // Runs statements of MyTSDB's own (no checks: never a user's text) on a
  // connection of their own.
  Status RunTrusted(const std::string& sql) const;
  // Checks and prepares one statement (binding it: `control` stops a
  // promql() that takes too long), on a connection of its own.
  Result<std::unique_ptr<PreparedQuery>> Prepare(std::string_view sql, const QueryControl& control) const;

 private:
  struct Impl;
  explicit SqlSandbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mytsdb::sql
