// What sandbox.cc and cursor.cc share: DuckDB's errors as Status, the
// watchdog that interrupts a query, and the insides of PreparedQuery and
// Cursor. Private to the sql module.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "duckdb.hpp"
#include "sql/sandbox.h"

namespace mytsdb::sql {

// A DuckDB error as a Status (sandbox.h, Cursor), "SQL: " and its message;
// a parse error names its position.
Status ToStatus(const duckdb::ErrorData& error);
Status ToStatus(const std::exception& e);

// Interrupts a connection's query once its time is up or its cancel flag
// is set; polls the flags every 100 ms.
class Watchdog {
 public:
  Watchdog(duckdb::Connection* con, const QueryControl& control);
  ~Watchdog();
  // Why the query was interrupted, as the status to answer; OK if it was not.
  Status reason() const;

 private:
  void Watch();

  duckdb::Connection* const con_;
  const QueryControl control_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;   // guarded by mu_
  Status reason_;       // guarded by mu_
  std::thread thread_;
};

struct PreparedQuery::Impl {
  std::shared_ptr<duckdb::Connection> con;
  std::shared_ptr<duckdb::PreparedStatement> prepared;
};

struct Cursor::Impl {
  // The statement's, kept while the result is read.
  std::shared_ptr<duckdb::Connection> con;
  std::shared_ptr<duckdb::PreparedStatement> prepared;
  std::unique_ptr<Watchdog> watchdog;  // after con: stops before it closes
  duckdb::unique_ptr<duckdb::QueryResult> result;
  duckdb::unique_ptr<duckdb::DataChunk> chunk;

  // The status of an error, or of the interruption behind it.
  Status Fail(Status st) const {
    Status why = watchdog ? watchdog->reason() : Status::OK();
    return why.ok() ? st : why;
  }
};

}  // namespace mytsdb::sql
