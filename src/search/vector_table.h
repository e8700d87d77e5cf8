// The search vectors as a Delta table (issue 15, seed §3.2), so that the
// embeddings serve outside tools too: DATA/search/vectors, unpartitioned,
// one row per metric family:
//
//   metric     string     the family's name (catalog.h)
//   text       string     what the model embedded (metric_text.h)
//   model      string     the model's name, e.g. all-MiniLM-L6-v2
//   embedding  array<float> in the Delta schema (which has no fixed-size
//              type); FixedSizeList<float, dimension> in the Parquet files'
//              Arrow schema; L2-normalized
//   updated    timestamp  when the row was written (UTC, ms)
//
// Updated incrementally: new and changed rows go to a new file, the files
// that held changed or removed rows are rewritten without them, all in one
// commit; when the table has more than kMaxFiles files they are merged.
// Replaced files are deleted once no snapshot younger than kDeleteGraceMs
// names them. At Open, temporary files and files written but never
// committed (rows that are recomputed anyway) are deleted; any other file
// stops the start with a message naming it. One writer per table.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cold/delta_log.h"
#include "common/result.h"
#include "io/file_system.h"

namespace mytsdb::search {

struct VectorRow {
  std::string metric;
  std::string text;
  std::vector<float> embedding;
};

class VectorTable {
 public:
  static constexpr size_t kMaxFiles = 8;
  static constexpr int64_t kDeleteGraceMs = 10 * 60 * 1000;

  // Opens (or creates) the table in `dir` for vectors of `dimension` floats
  // from `model`. Rows of another model or dimension are not loaded: they
  // count as missing, and the next Update replaces them.
  static Result<std::unique_ptr<VectorTable>> Open(const std::string& dir, const std::string& model, size_t dimension,
                                                   io::FileSystem* fs = io::PosixFileSystem());

  // Calls fn for each row of the current snapshot (reading the files).
  Status ForEach(const std::function<void(const VectorRow&)>& fn) const;

  // The text each metric's row holds (what decides whether to re-embed).
  const std::map<std::string, std::string, std::less<>>& texts() const { return texts_; }

  // Writes `upserts` (new metrics, or new texts) and drops `removed`, in
  // one commit. Nothing changes on error.
  Status Update(std::span<const VectorRow> upserts, std::span<const std::string> removed);

  int64_t version() const { return table_->version(); }
  size_t files() const { return table_->files().size(); }
  const std::string& dir() const { return dir_; }

 private:
  VectorTable(std::string dir, std::string model, size_t dimension, io::FileSystem* fs)
      : dir_(std::move(dir)), model_(std::move(model)), dimension_(dimension), fs_(fs) {}
  Status Load();
  Status CleanUp(bool at_open);
  // The rows of `path` (relative) of this model that `keep` accepts,
  // appended to *out; every row's metric to *all_metrics if given.
  Status ReadRows(const std::string& path, const std::function<bool(const std::string&)>& keep,
                  std::vector<VectorRow>* out, std::vector<std::string>* all_metrics = nullptr) const;
  Result<cold::AddFile> WriteFile(std::span<const VectorRow> rows) const;

  std::string dir_;
  std::string model_;
  size_t dimension_;
  io::FileSystem* fs_;
  std::unique_ptr<cold::DeltaTable> table_;
  std::map<std::string, std::string, std::less<>> texts_;  // metric -> text, rows of this model
  std::map<std::string, std::string> file_of_;              // metric -> file (relative path), every row
};

}  // namespace mytsdb::search
