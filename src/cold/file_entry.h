// What the cold tier keeps in memory about each data file: where each
// series' rows are and the file's statistics. Built from the files' metric,
// series_id and label columns only (never the samples); the series
// themselves are in the catalog (series_catalog.h).
//
// Private to the cold module.
#pragma once

#include <parquet/metadata.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cold/delta_log.h"
#include "cold/file_stats.h"
#include "cold/series_catalog.h"
#include "common/mutex.h"
#include "common/result.h"
#include "index/postings.h"
#include "io/file_system.h"
#include "model/labels.h"

namespace mytsdb::cold {

// A committed (or about to be committed) file and where its series are.
struct FileEntry {
  AddFile add;             // min_ts/max_ts/num_records exact, from the file if not tagged
  std::string full_path;
  std::shared_ptr<parquet::FileMetaData> metadata;
  int ts_column = -1;
  int value_column = -1;
  // The decimal columns (value_encoding.h); -1 in files from before them.
  int value_int_column = -1;
  int value_div_column = -1;
  std::vector<int64_t> row_group_starts;  // first row of each row group
  struct Span {
    ColdSeriesId id;
    int64_t first_row;
    int64_t num_rows;
  };
  std::vector<Span> spans;  // sorted by id
  FileStats stats;          // exact, for the Delta log's `stats`

  const Span* Find(ColdSeriesId id) const;
};

// An immutable view of the table at one version: what one read sees from
// start to end.
struct TableSnapshot {
  int64_t version = -1;
  int64_t watermark = INT64_MIN;  // this writer's
  // Below it the table's windows are complete (compaction_policy.h): this
  // writer's watermark, or in a shared table its writers' (ClusterWatermark).
  int64_t compaction_watermark = INT64_MIN;
  std::vector<std::shared_ptr<const FileEntry>> files;  // by their rows' version, ascending
};

// Reads the key columns of the file `add` names (below `table_dir`), interns
// its series in `catalog` and computes its spans and statistics. Corruption,
// naming the file, if it is unreadable or lacks the table's fixed columns.
Result<std::shared_ptr<FileEntry>> LoadFileEntry(io::FileSystem* fs,
                                                 const std::string& table_dir,
                                                 const AddFile& add, SeriesCatalog* catalog);

}  // namespace mytsdb::cold
