// `mytsdb sql "QUERY"`: runs a SQL query (docs/SQL.md) and prints its
// result, either against a running server (--url) or over the data
// directory of a stopped one, WAL included, without changing it.
#pragma once

#include <cstdint>
#include <string>

namespace mytsdb::app {

struct SqlCommandOptions {
  std::string query;
  std::string url;              // a running server's; empty: read data_dir
  std::string data_dir = "data";
  std::string format = "table";  // table, csv, json
  int64_t max_rows = 1000;      // of a table; csv and json print every row
  std::string user;             // basic auth against --url; password from MYTSDB_PASSWORD
  int64_t timeout_ms = 120'000;
};

// Prints the result on stdout; returns the exit code (an error goes to
// stderr as one line).
int RunSqlCommand(const SqlCommandOptions& options);

}  // namespace mytsdb::app
