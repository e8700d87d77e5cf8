// The live-file manifest: DATA/parquet/_mytsdb_files.json (one line of
// JSON, written with RapidJSON as the Delta log is), the files of the
// table's current version, rewritten (atomically) after every commit, so
// that engines that read Parquet files but not the Delta log (DuckDB,
// pyarrow, polars) read exactly one snapshot and never count a compacted
// day twice (README, "Bring your own engine"; docs/FORMAT.md).
//
//   {"version": 12, "watermark_ms": 1767232800000,
//    "files": [{"path": "day=2026-01-01/part-...parquet", "min_ts": ...,
//               "max_ts": ..., "rows": ..., "bytes": ..., "file_version": 3}]}
//
// Paths are relative to the table directory, decoded (as on disk); files
// in commit order of their rows (`file_version`: where two files hold the
// same series and time, the higher one wins). Delta readers ignore the file
// (it is not in the log), and the table's start-up clean-up leaves it alone.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "cold/file_entry.h"

namespace mytsdb::cold {

inline constexpr std::string_view kManifestName = "_mytsdb_files.json";

// The manifest of `snapshot`.
Result<std::string> ManifestJson(const TableSnapshot& snapshot);

}  // namespace mytsdb::cold
