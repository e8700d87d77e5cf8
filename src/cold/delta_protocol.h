// What of the Delta protocol MyTSDB implements, and the checks that refuse
// a table using more (so that MyTSDB never misreads another writer's table,
// nor writes to it in a way that breaks a feature it does not know).
//
// Implemented: reader version 1, writer version 2 (or 3 / 7 with empty
// feature lists, or writer features "appendOnly" and "invariants" while not
// in use). Refused: deletion vectors, column mapping, change data feed,
// check constraints, generated or identity columns, v2 checkpoints, and any
// feature not named here; append-only tables (compaction and retention
// remove files); `add` paths outside the table directory.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mytsdb::cold {

// A data file of the table, as an `add` action records it.
struct AddFile {
  std::string path;  // relative to the table directory, e.g. "day=2026-01-01/part-….parquet"
  std::string day;   // partition value, YYYY-MM-DD (UTC)
  int64_t size_bytes = 0;
  int64_t num_records = 0;
  int64_t min_ts = 0;  // ms (MyTSDB's tags; 0/0 if the writer was not MyTSDB)
  int64_t max_ts = 0;
  int64_t modification_time_ms = 0;
  // The commit that first added the file's rows: orders files for "last
  // write wins" (a rewritten file keeps the version of the rows it holds).
  // Set when read or committed; -1 in a request means "this commit".
  int64_t version = -1;
  bool has_mytsdb_tags = false;  // min_ts/max_ts/num_records come from MyTSDB's tags
  // The `stats` JSON as recorded (file_stats.h); empty: none.
  std::string stats_json;
  // false for an add that only refreshes the statistics of a file already
  // in the table (its rows do not change).
  bool data_change = true;
};

// The `txn` application id under which the head watermark is recorded: this,
// or for a named writer of a shared table "mytsdb.head/<writer>"
// (WatermarkAppId), so that each writer keeps its own.
inline constexpr const char* kWatermarkAppId = "mytsdb.head";
std::string WatermarkAppId(std::string_view writer);

// The `txn` application ids of the compactor's lease in a shared table:
// "mytsdb.compactor/<writer>", whose version is when the lease ends (ms).
inline constexpr std::string_view kCompactorLeasePrefix = "mytsdb.compactor/";
std::string CompactorLeaseAppId(std::string_view writer);

struct ProtocolAction {
  int min_reader_version = 1;
  int min_writer_version = 2;
  std::vector<std::string> reader_features;
  std::vector<std::string> writer_features;
  bool operator==(const ProtocolAction&) const = default;
};

// Unimplemented naming what the table needs, if MyTSDB cannot honour it.
Status CheckProtocol(const ProtocolAction& protocol);
// Unimplemented if a table property asks for behaviour MyTSDB lacks
// (delta.appendOnly, change data feed, check constraints).
Status CheckConfiguration(const std::map<std::string, std::string>& configuration);
// Unimplemented if the schema uses column invariants or generated columns.
Status CheckSchemaString(std::string_view schema_string);

// The table-relative file path of an add/remove action's `path` (a URI
// reference, percent-encoded): decoded, and InvalidArgument unless it is a
// relative path that stays inside the table (no scheme, no leading '/', no
// '..' or '.' component, no empty component).
Result<std::string> DecodeActionPath(std::string_view raw);

}  // namespace mytsdb::cold
