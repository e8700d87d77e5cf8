// SqlSandbox: an embedded DuckDB that can read and nothing else.
//
// The first part of issue 12's SQL engine (docs/design/sql.md): the
// sandbox every SQL query will run in. DuckDB's own settings keep queries
// away from files outside one directory (allowed_directories,
// enable_external_access=false, lock_configuration, no extension
// installs or loads), but still let COPY, EXPORT, ATTACH and CREATE write
// inside it; so each request is also checked before it runs: one
// statement, and a SELECT.
//
// Not yet: the tables over both tiers, streaming results, limits per
// query. Thread-safe: each Query uses its own connection.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mytsdb::sql {

struct SandboxOptions {
  // The one directory queries may read files under (absolute).
  std::string allowed_directory;
  // DuckDB's memory limit and threads for SQL as a whole (0: DuckDB's
  // defaults, 80% of RAM and one thread a core).
  uint64_t memory_limit_bytes = 0;
  int threads = 0;
};

// A result, whole, as text (NULL as nullopt). Streaming comes with the
// HTTP endpoint.
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
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

 private:
  struct Impl;
  explicit SqlSandbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mytsdb::sql
