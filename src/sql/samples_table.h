// The `samples` table: every sample of both tiers, one row each, as PromQL
// sees them (docs/SQL.md has the columns).
//
// A DuckDB table function over storage::Storage's read path, the one
// PromQL reads through: series chosen by the postings indexes of the head
// and the cold tier, samples merged per series with duplicates resolved
// (head over cold, the file committed last among files), the cold tier
// read from one Delta snapshot per batch of series (the head first, so a
// flush between the two can neither hide nor double a sample), and
// staleness markers left out. The query's filters on the metric, labels
// and time narrow what is read (scan_bounds.h); only the columns a query
// names are built. Batches of series are read on DuckDB's threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "duckdb.hpp"

namespace mytsdb::storage {
class Storage;
}  // namespace mytsdb::storage

namespace mytsdb::sql {

// What scans of `samples` read (for /metrics, and for tests that check
// what a filter saves).
struct ScanCounters {
  std::atomic<uint64_t> scans{0};
  std::atomic<uint64_t> series{0};   // series selected by the scans' bounds
  std::atomic<uint64_t> samples{0};  // samples read, staleness markers too
};

// The column of `samples` that holds label `name` (docs/SQL.md).
std::string SamplesLabelColumn(std::string_view name);

// The table function behind `samples`, reading `storage`; `counters` may
// be null. Both must outlive every query that uses it.
duckdb::TableFunction SamplesTableFunction(const storage::Storage* storage,
                                           ScanCounters* counters);

}  // namespace mytsdb::sql
