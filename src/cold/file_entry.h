// What the cold tier keeps in memory about its files: the catalog of series
// (labels, postings index, dense ids) and, per data file, where each series'
// rows are and the file's statistics. Built from the files' metric, series_id
// and label columns only (never the samples).
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

#include "cold/cold_store.h"
#include "cold/delta_log.h"
#include "cold/file_stats.h"
#include "common/mutex.h"
#include "common/result.h"
#include "index/postings.h"
#include "io/file_system.h"
#include "model/labels.h"

namespace mytsdb::cold {

// Series seen in the files. Thread-safe.
class SeriesCatalog {
 public:
  // The id of a series, adding it if new.
  ColdSeriesId Intern(model::Labels labels) EXCLUDES(mu_);
  std::optional<ColdSeriesId> Find(const model::Labels& labels) const EXCLUDES(mu_);
  // The series' labels; empty for an id freed by RebuildPostings (a read
  // racing with the commit that removed the series' last file).
  model::Labels Labels(ColdSeriesId id) const EXCLUDES(mu_);
  // Series with labels (not freed).
  size_t size() const EXCLUDES(mu_);
  // Ids handed out so far (freed ones included).
  size_t ids() const EXCLUDES(mu_);
  // The label index. Shared so that a rebuild can replace it while readers
  // still use the old one.
  std::shared_ptr<const index::MemPostings> postings() const EXCLUDES(mu_);
  // Series in no file any more (live[id] false) leave the label index and
  // the catalog; their ids are not handed out again (older snapshots may
  // still name them), and cost nothing once gone.
  void RebuildPostings(const std::vector<bool>& live) EXCLUDES(mu_);

 private:
  mutable Mutex mu_;
  std::unordered_map<ColdSeriesId, model::Labels> labels_ GUARDED_BY(mu_);
  ColdSeriesId next_id_ GUARDED_BY(mu_) = 0;
  std::unordered_map<uint64_t, std::vector<ColdSeriesId>> by_hash_ GUARDED_BY(mu_);
  std::shared_ptr<index::MemPostings> postings_ GUARDED_BY(mu_) =
      std::make_shared<index::MemPostings>();
};

// A committed (or about to be committed) file and where its series are.
struct FileEntry {
  AddFile add;             // min_ts/max_ts/num_records exact, from the file if not tagged
  std::string full_path;
  std::shared_ptr<parquet::FileMetaData> metadata;
  int ts_column = -1;
  int value_column = -1;
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

// An immutable view of the table: what one read sees from start to end.
struct ColdStore::Snapshot {
  int64_t version = -1;
  int64_t watermark = INT64_MIN;
  std::vector<std::shared_ptr<const FileEntry>> files;  // by their rows' version, ascending
};

// Reads the key columns of the file `add` names (below `table_dir`), interns
// its series in `catalog` and computes its spans and statistics. Corruption,
// naming the file, if it is unreadable or lacks the table's fixed columns.
Result<std::shared_ptr<const FileEntry>> LoadFileEntry(io::FileSystem* fs,
                                                       const std::string& table_dir,
                                                       const AddFile& add,
                                                       SeriesCatalog* catalog);

}  // namespace mytsdb::cold
